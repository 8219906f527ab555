#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace canary::sim {

// The one service both builds report as (DT_RELEASE_PRODUCT is shared, so Dynatrace sees one service).
struct ServiceInfo
{
    QString id; // SERVICE-<16 upper-case hex>
    QString name; // simplenodeservice.canary-jenkins
    QStringList tags;

    static ServiceInfo workshop();
};

// How one deployed build of the service behaves under the load generator's /api/invoke calls.
struct BuildProfile
{
    QString version; // DT_RELEASE_BUILD_VERSION, the `Build` dimension value
    qint64 responseTimeUs = 0; // mean response time; each request varies by a few percent around it
    int failEveryNthInvoke = 0; // 0: never fails; 2: every second /api/invoke answers HTTP 500

    static BuildProfile workshopStable(); // build 1: 1.0.0-034c71, ~100 ms, never fails
    static BuildProfile workshopCanary(); // build 4: 4.0.0-034c71, ~200 ms, 50 % of /api/invoke fail
};

// A router weight change at a fixed offset from the world's start, e.g. the workshop's ramp replayed as
// history.
struct WeightChange
{
    qint64 offsetMs = 0;
    int canaryWeight = 0; // percent of traffic routed to the canary build

    bool operator==(const WeightChange &) const = default;
};

struct WorldConfig
{
    ServiceInfo service = ServiceInfo::workshop();
    BuildProfile stable = BuildProfile::workshopStable();
    BuildProfile canary = BuildProfile::workshopCanary();

    double requestsPerSecond = 2.0; // the workshop's curl loop: one call, then sleep 0.5 s
    double intervalJitter = 0.2; // each gap is the mean gap times a uniform factor in [1-j, 1+j]
    int initialCanaryWeight = 0; // the split at the world's start: 100/0 unless configured
    qint64 historyMs = 0; // the world starts this long before "now"
    QList<WeightChange> schedule; // applied in offset order while the world catches up
    qint64 retentionMs = 25LL * 60 * 60 * 1000;

    // 30 minutes of history replaying the workshop: the AWX ramp 30 -> 70 -> 100 at 2-minute steps 20, 18
    // and 16 minutes ago, the "Reset canary weighting" job 12 minutes ago. "Now" is back at 100/0 while the
    // default 30-minute chart still shows both builds and the canary's failures.
    static WorldConfig workshopDemo(double requestsPerSecond = 2.0);
};

} // namespace canary::sim
