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

// How the workshop's pipeline told Dynatrace about a weight change (seed-workshop.md §3), for history that
// replays it. A change to 0 % is the reset and carries remediationAction "NA" whatever the generation.
enum class ChangeEvent {
    None, // nothing recorded
    // Jul 2023 – Mar 2024: Jenkins' POST /api/v1/events, description "<product> canary weight set to N%",
    // source Jenkins, configuration "Load Balancer", remediationAction = the AWX launch URL of "Reset canary
    // weighting"
    PipelineV1,
    // Since Nov 2024: POST /api/v2/events/ingest, title "Canary weight set to N", remediationAction = the
    // template id ("9"), remediationType "ansible"
    PipelineV2,
};

// A router weight change at a fixed offset from the world's start, e.g. the workshop's ramp replayed as
// history, and the event its pipeline sent.
struct WeightChange
{
    qint64 offsetMs = 0;
    int canaryWeight = 0; // percent of traffic routed to the canary build
    ChangeEvent event = ChangeEvent::None;

    bool operator==(const WeightChange &) const = default;
};

// Davis' anomaly detection on the service's failure rate as the workshop configures it (Monaco
// builtin:anomaly-detection.services: a fixed threshold of 10 %, over-alerting protection 10 requests/min).
struct FailureRateDetection
{
    bool enabled = true;
    double thresholdPercent = 10.0; // the rate must be strictly above it
    qint64 windowMs = 60'000; // the failure rate is failed / requests over the last window
    qint64 persistenceMs = 60'000; // above (then below) the threshold this long opens (then closes) a problem
    qint64 stepMs = 10'000; // how often the rate is judged; windowMs and persistenceMs are multiples of it
    int minRequestsPerMinute = 10; // less traffic than this never counts as above the threshold
};

struct WorldConfig
{
    ServiceInfo service = ServiceInfo::workshop();
    // Further services of the tenant, without traffic: GET /api/v2/entities lists them and a calculated
    // metric may be attached to them, so a selector can match more than one service.
    QList<ServiceInfo> otherServices;
    BuildProfile stable = BuildProfile::workshopStable();
    BuildProfile canary = BuildProfile::workshopCanary();

    double requestsPerSecond = 2.0; // the workshop's curl loop: one call, then sleep 0.5 s
    double intervalJitter = 0.2; // each gap is the mean gap times a uniform factor in [1-j, 1+j]
    int initialCanaryWeight = 0; // the split at the world's start: 100/0 unless configured
    qint64 historyMs = 0; // the world starts this long before "now"
    QList<WeightChange> schedule; // applied in offset order while the world catches up
    qint64 retentionMs = 25LL * 60 * 60 * 1000; // per-second data and closed problems
    FailureRateDetection failureRateDetection;

    // 30 minutes of history replaying the workshop: the AWX ramp 30 -> 70 -> 100 at 2-minute steps 20, 18
    // and 16 minutes ago, the "Reset canary weighting" job 12 minutes ago. "Now" is back at 100/0 while the
    // default 30-minute chart still shows both builds and the canary's failures. Each step left the event
    // its pipeline sent, one of each generation: 30 % through API v1 (the launch URL), 70 and 100 % through
    // v2 (template 9), the reset with "NA". The canary's failures open a "Failure rate increase" problem
    // during the ramp, which closes after the reset.
    static WorldConfig workshopDemo(double requestsPerSecond = 2.0);
};

} // namespace canary::sim
