#pragma once

#include <optional>

#include <QString>

#include "simerror.h"
#include "util/expected.h"

namespace canary::sim {

// The [from, to) window of a query, in epoch milliseconds.
struct Timeframe
{
    qint64 fromMs = 0;
    qint64 toMs = 0;

    qint64 durationMs() const { return toMs - fromMs; }

    // One from/to value: epoch milliseconds, ISO 8601 ("2021-01-25T05:57:01.123+01:00"; UTC without a zone;
    // a space may replace the T) or relative "now", "now-30m", "now-2h/h" with units s m h d w.
    static canary::Expected<qint64, QString> parseTimestamp(const QString &text, qint64 nowMs);

    // Dynatrace's defaults (from = now-2h, to = now) for absent parameters; from must lie before to.
    static canary::Expected<Timeframe, SimError> parse(
        const std::optional<QString> &from, const std::optional<QString> &to, qint64 nowMs);
};

} // namespace canary::sim
