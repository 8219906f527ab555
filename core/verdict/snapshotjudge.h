#pragma once

#include "session/buildseries.h"
#include "traffic/observedsplit.h"
#include "verdict/impactpreview.h"
#include "verdict/verdict.h"

namespace canary::verdict {

// The verdict on a snapshot: the canary against the stable build over the complete intervals (ended by
// `completeUntilMs`, within the policy's lookback from the newest of them) in which the canary received
// requests, so both are judged over the same minutes. Failure rate from the summed request and failure counts
// (an interval with requests and no failure data counts as no failures: Dynatrace reports no data points
// rather than zeros for a count that stayed 0); response time from the per-interval means. A metric the
// snapshot does not carry is left out; with neither, or without both builds, the verdict is NOT ENOUGH DATA
// with the reason as its summary.
Verdict judgeSnapshot(const session::Snapshot &snapshot, const traffic::BuildRoles &roles,
    qint64 completeUntilMs, const VerdictPolicy &policy = {});

// Requests per minute over the newest `minutes` of complete intervals (all builds), and each build's own
// failure rate over them, for the impact preview.
CurrentRates currentRates(const session::Snapshot &snapshot, const traffic::BuildRoles &roles,
    qint64 completeUntilMs, double minutes = 5);

} // namespace canary::verdict
