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
    if (newestMs == std::numeric_limits<qint64>::min())
        return notJudged(u"Not enough data: no complete interval yet"_s);
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

namespace {

// "10s", "1m", "5m", "1h", "1d" in ms; 0 when it is not one of those.
qint64 resolutionMs(const QString &resolution)
{
    if (resolution.size() < 2)
        return 0;
    bool ok = false;
    const qint64 count = resolution.left(resolution.size() - 1).toLongLong(&ok);
    if (!ok || count <= 0)
        return 0;
    switch (resolution.back().toLatin1()) {
    case 's':
        return count * 1'000;
    case 'm':
        return count * 60'000;
    case 'h':
        return count * 3'600'000;
    case 'd':
        return count * 86'400'000;
    default:
        return 0;
    }
}

} // namespace

CurrentRates currentRates(const session::Snapshot &snapshot, const traffic::BuildRoles &roles,
    qint64 completeUntilMs, double minutes)
{
    CurrentRates rates;
    // As the verdict: the span ends at the tenant's newest complete interval, not at this machine's clock.
    qint64 newestMs = std::numeric_limits<qint64>::min();
    for (const auto &build : snapshot.builds) {
        for (const qint64 t : build.timestamps) {
            if (t <= completeUntilMs)
                newestMs = std::max(newestMs, t);
        }
    }
    if (newestMs == std::numeric_limits<qint64>::min())
        return rates;
    const qint64 fromMs = newestMs - qint64(minutes * 60'000);
    std::vector<qint64> stamps; // every interval in the span that any build has
    double total = 0;
    double canaryRequests = 0, canaryFailures = 0, stableRequests = 0, stableFailures = 0;
    for (const auto &build : snapshot.builds) {
        for (std::size_t i = 0; i < build.timestamps.size(); ++i) {
            const qint64 t = build.timestamps[i];
            if (t <= fromMs || t > newestMs)
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
    // Each timestamp closes one interval of the snapshot's resolution; without it, the smallest spacing.
    qint64 interval = resolutionMs(snapshot.resolution);
    for (std::size_t i = 1; interval == 0 && i < stamps.size(); ++i)
        interval = stamps[i] - stamps[i - 1];
    for (std::size_t i = 1; i < stamps.size(); ++i)
        interval = std::min(interval, stamps[i] - stamps[i - 1]);
    if (interval <= 0)
        interval = 60'000;
    rates.minutes = double(qint64(stamps.size()) * interval) / 60'000.0;
    rates.totalRequestsPerMin = total / rates.minutes;
    if (snapshot.hasFailures && canaryRequests > 0)
        rates.canaryFailureRate = canaryFailures / canaryRequests;
    if (snapshot.hasFailures && stableRequests > 0)
        rates.stableFailureRate = stableFailures / stableRequests;
    return rates;
}

} // namespace canary::verdict
