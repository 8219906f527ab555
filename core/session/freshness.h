#pragma once

#include <QString>

namespace canary::session {

// How old a panel's data is, and when that makes it stale. Shared by every panel of the window and by
// canaryctl, so "stale" means the same everywhere.
struct Freshness
{
    qint64 fetchedAtMs = 0; // 0: nothing has arrived yet
    qint64 staleAfterMs = 0; // older than this is stale
    bool lastReadFailed = false; // the newest read failed: what is shown is older than it looks

    // Data older than two refresh intervals is stale: one late refresh is normal, two are not. Never
    // less than 10 s, so a fast demo does not flicker.
    static qint64 staleAfterFor(qint64 refreshIntervalMs);

    bool hasData() const { return fetchedAtMs > 0; }
    qint64 ageMs(qint64 nowMs) const { return hasData() ? std::max<qint64>(0, nowMs - fetchedAtMs) : 0; }
    bool isStale(qint64 nowMs) const;
};

// "just now", "12 s", "3 min", "1 h 5 min", "2 d 3 h": the age of data in a short, readable form.
QString ageText(qint64 ageMs);

} // namespace canary::session
