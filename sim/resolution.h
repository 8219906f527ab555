#pragma once

#include <QString>

#include "simerror.h"
#include "timeframe.h"
#include "util/expected.h"

namespace canary::sim {

// The slot width of a metrics query. Slots are aligned to multiples of the width since the epoch; every slot
// overlapping [from, to) is returned, each stamped with its END, so the last one may lie in the future.
struct Resolution
{
    static constexpr qint64 MaxPointsPerSeries = 10'080;
    static constexpr int DefaultPointCount = 120;

    qint64 ms = 0; // 0: Inf, one slot covering the whole timeframe
    QString label; // as the response states it: "10s", "1m", "1h", "Inf"

    bool isInf() const { return ms == 0; }
    qint64 firstSlot(const Timeframe &frame) const;
    qint64 slotCount(const Timeframe &frame) const;

    // A timespan ("10s", "5m", "1h", "1d", "1w"; at least 1s), a point count ("60", rounded up to a nice
    // resolution of at least a minute like Dynatrace does) or "Inf". Empty: 120 points.
    static canary::Expected<Resolution, SimError> parse(const QString &text, const Timeframe &frame);
    static QString format(qint64 ms);
};

} // namespace canary::sim
