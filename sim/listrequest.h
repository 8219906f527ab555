#pragma once

#include <optional>

#include <QByteArrayList>
#include <QStringList>

#include "entityselector.h"
#include "pagekey.h"
#include "simerror.h"
#include "timeframe.h"
#include "util/expected.h"

namespace canary::sim {

struct SimRequest;

// What every list endpoint of the simulated tenant (events, problems) reads first — its query or the one its
// nextPageKey carries, the window (default now-2h to now), the page size and the entity selector — and how
// it answers with one page.
struct ListRequest
{
    PageKey key; // key.offset: where this page starts
    Timeframe frame;
    int pageSize = 0;
    std::optional<EntitySelector> entities;

    // A 400 for whatever Dynatrace would refuse: a nextPageKey with company (but `allowedWithKey`), a bad
    // key, window, pageSize (1..maxPageSize) or entity selector.
    static canary::Expected<ListRequest, SimError> read(const SimRequest &request, qint64 nowMs,
        int defaultPageSize, int maxPageSize, const QStringList &allowedWithKey = {});

    // Whether [startMs, endMs] (endMs nullopt: still open) overlaps the window, counting what started at its
    // very end: "to" defaults to now, and an event ingested a moment ago must be listed.
    bool overlaps(qint64 startMs, std::optional<qint64> endMs) const;

    // The items this page shows, as [first, last) of `total`.
    qsizetype first(qsizetype total) const;
    qsizetype last(qsizetype total) const;

    // {"totalCount":…,"pageSize":…,"nextPageKey":…|null,"<itemsKey>":[…],"warnings":[]} with `items` (this
    // page, already JSON). The next key replays the window resolved to epoch milliseconds, the page size and
    // the `keep` parameters of the first request, so every page sees the same list.
    QByteArray answer(
        qsizetype total, const char *itemsKey, const QByteArrayList &items, const QStringList &keep) const;
};

} // namespace canary::sim
