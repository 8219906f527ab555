#pragma once

#include <optional>
#include <vector>

#include "session/buildseries.h"
#include "split.h"

namespace canary::traffic {

// Which of the charted builds is the stable one and which the canary.
struct BuildRoles
{
    QString stable;
    QString canary;

    bool isComplete() const { return !stable.isEmpty() && !canary.isEmpty(); }
};

// The configured names win; otherwise, with exactly two builds, the higher version is the canary
// ("4.0.0-034c71" over "1.0.0-034c71"; numeric parts compare as numbers).
BuildRoles resolveBuildRoles(const std::vector<session::BuildSeries> &builds, const BuildRoles &configured);

// "1.10.0" > "1.9.2": dot/dash-separated numeric parts compare as numbers, the rest as text.
int compareVersions(const QString &a, const QString &b);

// The canary's share of requests (0..100) in one complete metric interval.
struct ObservedShare
{
    qint64 slotEndMs = 0;
    double canaryPercent = 0;
    double requests = 0; // both builds, in that slot
};

// The newest `count` complete slots (ending by `nowMs`, not before `notBeforeMs`) that had traffic,
// newest first.
std::vector<ObservedShare> observedShares(const session::Snapshot &snapshot, const BuildRoles &roles,
    qint64 nowMs, int count, qint64 notBeforeMs = 0);

// Observed traffic disagrees with the applied split in each of the newest `intervals` complete slots that
// started after the split was applied: by more than `marginPercent`, and by more than a weighted random
// router's chance variation (three standard deviations of the share at that slot's request count).
bool isDrifting(const session::Snapshot &snapshot, const BuildRoles &roles, const Split &applied,
    qint64 appliedAtMs, qint64 nowMs, double marginPercent, int intervals = 2);

} // namespace canary::traffic
