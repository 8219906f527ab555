#include "world.h"

#include <algorithm>
#include <limits>

#include "timeunits.h"
#include "util/clock.h"

namespace canary::sim {

namespace {

constexpr qint64 Never = std::numeric_limits<qint64>::max();

// Distinct seeds per stream, derived from the one user seed.
quint64 streamSeed(quint64 seed, quint64 stream)
{
    SeededRandom mixer(seed ^ (stream * 0xD1B54A32D192ED03ULL));
    return mixer.next();
}

} // namespace

void SecondStats::add(qint64 responseUs, bool isFailure)
{
    if (requests == 0) {
        minUs = responseUs;
        maxUs = responseUs;
    } else {
        minUs = std::min(minUs, responseUs);
        maxUs = std::max(maxUs, responseUs);
    }
    ++requests;
    failed += isFailure ? 1 : 0;
    sumUs += responseUs;
}

void SecondStats::merge(const SecondStats &other)
{
    if (other.requests == 0)
        return;
    if (requests == 0) {
        *this = other;
        return;
    }
    requests += other.requests;
    failed += other.failed;
    sumUs += other.sumUs;
    minUs = std::min(minUs, other.minUs);
    maxUs = std::max(maxUs, other.maxUs);
}

World::World(WorldConfig config, quint64 seed, canary::Clock &clock, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_clock(clock)
    , m_startMs(clock.nowMs() - std::max<qint64>(0, m_config.historyMs))
    , m_simulatedUntilMs(m_startMs)
    , m_nextArrivalMs(Never)
    , m_canaryWeight(std::clamp(m_config.initialCanaryWeight, 0, 100))
    , m_arrivalRandom(streamSeed(seed, 1))
    , m_routerRandom(streamSeed(seed, 2))
    , m_latencyRandom(streamSeed(seed, 3))
{
    std::stable_sort(m_config.schedule.begin(), m_config.schedule.end(),
        [](const WeightChange &a, const WeightChange &b) { return a.offsetMs < b.offsetMs; });
    m_config.intervalJitter = std::clamp(m_config.intervalJitter, 0.0, 0.95);
    m_config.retentionMs = std::max<qint64>(m_config.retentionMs, 60'000);
    if (m_config.requestsPerSecond > 0)
        m_nextArrivalMs = m_startMs + nextGapMs();
}

World::~World() = default;

const BuildProfile &World::build(BuildRole role) const
{
    return role == BuildRole::Stable ? m_config.stable : m_config.canary;
}

qint64 World::nextGapMs()
{
    const double meanMs = 1000.0 / m_config.requestsPerSecond;
    const double jitter = m_config.intervalJitter;
    const double factor = 1.0 - jitter + 2.0 * jitter * m_arrivalRandom.nextDouble();
    return std::max<qint64>(1, qRound64(meanMs * factor));
}

void World::applyScheduleUpTo(qint64 atMs)
{
    while (m_nextScheduled < m_config.schedule.size()
        && m_startMs + m_config.schedule.at(m_nextScheduled).offsetMs <= atMs) {
        m_canaryWeight = std::clamp(m_config.schedule.at(m_nextScheduled).canaryWeight, 0, 100);
        ++m_nextScheduled;
    }
}

void World::catchUp()
{
    const qint64 now = m_clock.nowMs();
    if (now <= m_simulatedUntilMs)
        return;

    const int weightBefore = m_canaryWeight;
    const qint64 retentionSeconds = m_config.retentionMs / 1000;
    while (m_nextArrivalMs <= now) {
        applyScheduleUpTo(m_nextArrivalMs);
        simulateRequest(m_nextArrivalMs);
        m_nextArrivalMs += nextGapMs();
        // A clock that jumps days ahead must not grow the store past retention while catching up.
        if (qint64(m_seconds[0].size()) > retentionSeconds + 3600)
            trimBefore(floorDiv(m_nextArrivalMs - m_config.retentionMs, 1000));
    }
    applyScheduleUpTo(now);
    m_simulatedUntilMs = now;
    trimBefore(floorDiv(now - m_config.retentionMs, 1000));

    if (m_canaryWeight != weightBefore)
        Q_EMIT canaryWeightChanged(m_canaryWeight);
}

void World::simulateRequest(qint64 atMs)
{
    // Every request draws from every stream, so the streams stay aligned whatever the weight is.
    const bool toCanary = qint64(m_routerRandom.nextBelow(100)) < m_canaryWeight;
    const double latencyFactor = 0.95 + 0.1 * m_latencyRandom.nextDouble();

    const int index = toCanary ? 1 : 0;
    const BuildProfile &profile = toCanary ? m_config.canary : m_config.stable;
    const qint64 responseUs = qRound64(double(profile.responseTimeUs) * latencyFactor);
    ++m_invokeCount[index];
    const bool failed
        = profile.failEveryNthInvoke > 0 && m_invokeCount[index] % profile.failEveryNthInvoke == 0;

    bucket(index, floorDiv(atMs, 1000)).add(responseUs, failed);
    m_lastRequestMs = atMs;
}

SecondStats &World::bucket(int buildIndex, qint64 second)
{
    if (m_seconds[0].empty())
        m_firstSecond = second;
    const qint64 needed = second - m_firstSecond + 1;
    for (auto &seconds : m_seconds) {
        if (qint64(seconds.size()) < needed)
            seconds.resize(std::size_t(needed));
    }
    return m_seconds[buildIndex][std::size_t(second - m_firstSecond)];
}

void World::trimBefore(qint64 second)
{
    while (!m_seconds[0].empty() && m_firstSecond < second) {
        for (auto &seconds : m_seconds)
            seconds.pop_front();
        ++m_firstSecond;
    }
}

int World::canaryWeight()
{
    catchUp();
    return m_canaryWeight;
}

void World::setCanaryWeight(int percent, WeightOrigin origin)
{
    catchUp();
    percent = std::clamp(percent, 0, 100);
    if (percent == m_canaryWeight)
        return;
    m_canaryWeight = percent;
    if (origin.atMs < 0)
        origin.atMs = m_clock.nowMs();
    m_lastWeightChange = std::move(origin);
    Q_EMIT canaryWeightChanged(m_canaryWeight);
}

std::vector<SecondSample> World::samples(BuildRole role, qint64 fromMs, qint64 toMs)
{
    catchUp();
    std::vector<SecondSample> result;
    const auto &seconds = m_seconds[indexOf(role)];
    if (seconds.empty() || toMs <= fromMs)
        return result;
    const qint64 first = std::max(floorDiv(fromMs, 1000), m_firstSecond);
    const qint64 last = std::min(floorDiv(toMs - 1, 1000), m_firstSecond + qint64(seconds.size()) - 1);
    for (qint64 second = first; second <= last; ++second) {
        const SecondStats &stats = seconds[std::size_t(second - m_firstSecond)];
        if (!stats.isEmpty())
            result.push_back({ second, stats });
    }
    return result;
}

SecondStats World::totals(BuildRole role, qint64 fromMs, qint64 toMs)
{
    SecondStats total;
    for (const SecondSample &sample : samples(role, fromMs, toMs))
        total.merge(sample.stats);
    return total;
}

qint64 World::oldestRetainedMs()
{
    catchUp();
    return m_seconds[0].empty() ? m_simulatedUntilMs : m_firstSecond * 1000;
}

} // namespace canary::sim
