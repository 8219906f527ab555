#include "snapshotjudge.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace Qt::Literals::StringLiterals;

namespace canary::verdict {

namespace {

const session::BuildSeries *findBuild(const session::Snapshot &snapshot, const QString &name)
{
    const auto it = std::find_if(snapshot.builds.cbegin(), snapshot.builds.cend(),
        [&name](const session::BuildSeries &build) { return build.build == name && !build.isRemainder; });
    return it == snapshot.builds.cend() ? nullptr : &*it;
}

double valueAt(const std::vector<std::optional<double>> &values, std::size_t i)
{
    return i < values.size() && values[i] ? *values[i] : 0.0;
}

// The index of each timestamp of `build` in `other`, or -1.
std::vector<std::ptrdiff_t> alignedIndices(
    const session::BuildSeries &build, const session::BuildSeries &other)
{
    std::vector<std::ptrdiff_t> indices(build.timestamps.size(), -1);
    std::size_t j = 0;
    for (std::size_t i = 0; i < build.timestamps.size(); ++i) {
        while (j < other.timestamps.size() && other.timestamps[j] < build.timestamps[i])
            ++j;
        if (j < other.timestamps.size() && other.timestamps[j] == build.timestamps[i])
            indices[i] = std::ptrdiff_t(j);
    }
    return indices;
}

Verdict notJudged(const QString &why)
{
    Verdict verdict;
    verdict.summary = why;
    return verdict;
}

} // namespace

Verdict judgeSnapshot(const session::Snapshot &snapshot, const traffic::BuildRoles &roles,
    qint64 completeUntilMs, const VerdictPolicy &policy)
{
    if (!snapshot.hasFailures && !snapshot.hasResponseTime)
        return notJudged(snapshot.healthNote.isEmpty()
                ? u"No failure or response-time metric per build: nothing to judge"_s
                : snapshot.healthNote);
    if (!roles.isComplete())
        return notJudged(u"Not enough data: which build is stable and which the canary is not known yet"_s);
    const auto *canary = findBuild(snapshot, roles.canary);
    const auto *stable = findBuild(snapshot, roles.stable);
    if (!canary || !stable) {
        return notJudged(u"Not enough data: %1 has no requests in the window"_s.arg(
            !canary ? u"the canary (%1)"_s.arg(roles.canary) : u"the stable build (%1)"_s.arg(roles.stable)));
    }

    qint64 canaryRequests = 0, canaryFailures = 0, stableRequests = 0, stableFailures = 0;
    std::vector<double> canaryMs, stableMs;
    const auto stableIndex = alignedIndices(*canary, *stable);
    // The lookback ends at the newest complete interval the tenant reported, not at the local clock: a
    // tenant whose clock differs from this machine's (or a simulator on a virtual clock) is judged on its
    // own newest minutes.
    qint64 newestMs = std::numeric_limits<qint64>::min();
    for (const auto *build : { canary, stable }) {
        for (const qint64 t : build->timestamps) {
            if (t <= completeUntilMs)
                newestMs = std::max(newestMs, t);
        }
    }
    const qint64 fromMs = newestMs - policy.lookbackMs;
    for (std::size_t i = 0; i < canary->timestamps.size(); ++i) {
        if (canary->timestamps[i] > completeUntilMs)
            break;
        if (canary->timestamps[i] <= fromMs)
            continue;
        const double requests = valueAt(canary->values, i);
        if (requests <= 0 || stableIndex[i] < 0)
            continue;
        const auto s = std::size_t(stableIndex[i]);
        const double otherRequests = valueAt(stable->values, s);
        canaryRequests += qint64(std::llround(requests));
        canaryFailures += qint64(std::llround(valueAt(canary->failures, i)));
        stableRequests += qint64(std::llround(otherRequests));
        stableFailures += qint64(std::llround(valueAt(stable->failures, s)));
        if (i < canary->responseTimeMs.size() && canary->responseTimeMs[i]
            && s < stable->responseTimeMs.size() && stable->responseTimeMs[s]) {
            canaryMs.push_back(*canary->responseTimeMs[i]);
            stableMs.push_back(*stable->responseTimeMs[s]);
        }
    }

    std::vector<MetricVerdict> metrics;
    if (snapshot.hasFailures)
        metrics.push_back(
            judgeFailureRate(canaryFailures, canaryRequests, stableFailures, stableRequests, policy));
    if (snapshot.hasResponseTime)
        metrics.push_back(judgeResponseTime(canaryMs, stableMs, policy));
    return combine(std::move(metrics));
}

CurrentRates currentRates(const session::Snapshot &snapshot, const traffic::BuildRoles &roles,
    qint64 completeUntilMs, double minutes)
{
    CurrentRates rates;
    const qint64 fromMs = completeUntilMs - qint64(minutes * 60'000);
    std::vector<qint64> stamps; // every interval in the span that any build has
    double total = 0;
    double canaryRequests = 0, canaryFailures = 0, stableRequests = 0, stableFailures = 0;
    for (const auto &build : snapshot.builds) {
        for (std::size_t i = 0; i < build.timestamps.size(); ++i) {
            const qint64 t = build.timestamps[i];
            if (t <= fromMs || t > completeUntilMs)
                continue;
            stamps.push_back(t);
            const double requests = valueAt(build.values, i);
            total += requests;
            if (build.isRemainder)
                continue;
            if (build.build == roles.canary) {
                canaryRequests += requests;
                canaryFailures += valueAt(build.failures, i);
            } else if (build.build == roles.stable) {
                stableRequests += requests;
                stableFailures += valueAt(build.failures, i);
            }
        }
    }
    std::sort(stamps.begin(), stamps.end());
    stamps.erase(std::unique(stamps.begin(), stamps.end()), stamps.end());
    if (stamps.empty())
        return rates;
    // Each timestamp closes one interval of the snapshot's resolution: n of them cover n intervals.
    const qint64 interval
        = stamps.size() > 1 ? (stamps.back() - stamps.front()) / qint64(stamps.size() - 1) : 60'000;
    rates.minutes = double(qint64(stamps.size()) * interval) / 60'000.0;
    rates.totalRequestsPerMin = total / rates.minutes;
    if (snapshot.hasFailures && canaryRequests > 0)
        rates.canaryFailureRate = canaryFailures / canaryRequests;
    if (snapshot.hasFailures && stableRequests > 0)
        rates.stableFailureRate = stableFailures / stableRequests;
    return rates;
}

} // namespace canary::verdict
