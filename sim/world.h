#pragma once

#include <array>
#include <deque>
#include <vector>

#include <QObject>

#include "seededrandom.h"
#include "worldconfig.h"

namespace canary {
class Clock;
}

namespace canary::sim {

// What one build served during one second: the unit the world stores (never individual requests).
struct SecondStats
{
    qint64 requests = 0;
    qint64 failed = 0;
    qint64 sumUs = 0; // response time, microseconds
    qint64 minUs = 0;
    qint64 maxUs = 0;

    bool isEmpty() const { return requests == 0; }
    void add(qint64 responseUs, bool isFailure);
    void merge(const SecondStats &other);
};

struct SecondSample
{
    qint64 second = 0; // epoch seconds: the sample covers [second * 1000, second * 1000 + 1000) ms
    SecondStats stats;
};

// Who moved the router, as the simulator's split endpoint reports it (its "changedBy"): an AWX job, a
// Kubernetes field manager, a client of the control API.
struct WeightOrigin
{
    QString source; // "AWX job #12 of 'Start canary deployment'", "kubectl-edit (Update) on Ingress canary"
    QString actor; // "admin"; empty when unknown
    QString link; // a server-relative URL to look at ("/api/v2/jobs/12/"); may be empty
    qint64 atMs = -1;
};

// The simulated workshop: a load generator calling /api/invoke, a weighted router and two builds of one
// service. It has no timers: whenever asked for data it first simulates every request between the last
// instant it simulated and the clock's now, so a given seed and clock history always yield the same numbers.
class World final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(World)

public:
    enum class BuildRole { Stable, Canary };
    static constexpr std::array<BuildRole, 2> Roles { BuildRole::Stable, BuildRole::Canary };

    World(WorldConfig config, quint64 seed, canary::Clock &clock, QObject *parent = nullptr);
    ~World() override;

    const WorldConfig &config() const { return m_config; }
    const ServiceInfo &service() const { return m_config.service; }
    const BuildProfile &build(BuildRole role) const;
    canary::Clock &clock() const { return m_clock; }

    qint64 startMs() const { return m_startMs; }
    qint64 simulatedUntilMs() const { return m_simulatedUntilMs; }
    qint64 lastRequestMs() const { return m_lastRequestMs; } // -1 before the first request

    // Simulates up to the clock's now. Every accessor below calls it first.
    void catchUp();

    // Percent of requests the router sends to the canary build, as of now.
    int canaryWeight();
    // Takes effect from the current instant: requests up to now keep the split they had. `origin` is who
    // did it (its atMs is set to now when left at -1); a call that changes nothing keeps the old origin.
    void setCanaryWeight(int percent, WeightOrigin origin = {});
    // Who made the newest change of the weight; empty source before the first.
    const WeightOrigin &lastWeightChange() const { return m_lastWeightChange; }

    // Non-empty seconds of one build that overlap [fromMs, toMs), oldest first.
    std::vector<SecondSample> samples(BuildRole role, qint64 fromMs, qint64 toMs);
    // The same seconds summed up: what a client should see as the build's total over that range.
    SecondStats totals(BuildRole role, qint64 fromMs, qint64 toMs);
    // Start of the oldest second still stored; older data has been dropped (WorldConfig::retentionMs).
    qint64 oldestRetainedMs();

Q_SIGNALS:
    void canaryWeightChanged(int percent);

private:
    static int indexOf(BuildRole role) { return role == BuildRole::Stable ? 0 : 1; }
    qint64 nextGapMs();
    void applyScheduleUpTo(qint64 atMs);
    void simulateRequest(qint64 atMs);
    SecondStats &bucket(int buildIndex, qint64 second);
    void trimBefore(qint64 second);

    WorldConfig m_config;
    canary::Clock &m_clock;
    qint64 m_startMs;
    qint64 m_simulatedUntilMs;
    qint64 m_nextArrivalMs;
    qint64 m_lastRequestMs = -1;
    int m_canaryWeight;
    WeightOrigin m_lastWeightChange;
    qsizetype m_nextScheduled = 0;

    // Separate streams, so a different split never shifts arrival times or latencies.
    SeededRandom m_arrivalRandom;
    SeededRandom m_routerRandom;
    SeededRandom m_latencyRandom;

    std::array<qint64, 2> m_invokeCount { 0,
        0 }; // app.js' per-process counter that decides every Nth failure
    std::array<std::deque<SecondStats>, 2> m_seconds; // both cover the same range, from m_firstSecond on
    qint64 m_firstSecond = 0;
};

} // namespace canary::sim
