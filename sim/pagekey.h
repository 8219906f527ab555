#pragma once

#include <optional>

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include "simerror.h"
#include "util/expected.h"

namespace canary::sim {

struct SimRequest;

// The nextPageKey the simulated tenant hands out: the first request's query (from/to already resolved to
// epoch milliseconds, so every page sees the same window) and where the next page starts, as base64url JSON.
// Opaque to clients, like Dynatrace's.
struct PageKey
{
    QList<QPair<QString, QString>> query;
    qint64 offset = 0;

    std::optional<QString> value(const QString &key) const;
    QString encode() const;
    static std::optional<PageKey> decode(const QString &text);

    // The query a list request stands for: its own (offset 0), or the one its nextPageKey carries.
    // Dynatrace's rule: a request with nextPageKey carries no other parameter (except `allowedWithKey`, e.g.
    // the problems API's fields, and the Api-Token used to authenticate) — otherwise a 400 constraint
    // violation.
    static canary::Expected<PageKey, SimError> fromRequest(
        const SimRequest &request, const QStringList &allowedWithKey = {});
};

} // namespace canary::sim
