#pragma once

#include <optional>

#include <QObject>
#include <QPointer>
#include <QTimer>

#include "buildseries.h"
#include "dynatrace/apierror.h"
#include "dynatrace/event.h"
#include "net/restcall.h"
#include "target.h"

namespace canary {
class Clock;
}
namespace canary::net {
class RestClient;
}
namespace canary::dynatrace {
class EventsClient;
class MetricsClient;
class PageWalker;
class ProblemsClient;
} // namespace canary::dynatrace

namespace canary::session {

// One canary target being watched: owns the polling schedule and the latest snapshot. The GUI and the
// CLI both drive a session; neither talks to the network itself.
class CanarySession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CanarySession)

public:
    // `apiToken` is held in memory only and sent only to the target's origin.
    CanarySession(Target target, const QString &apiToken, const Clock &clock, QObject *parent = nullptr);
    // Over a client of the tenant that others share (dynatrace::makeTenantClient): one connection pool and
    // one set of credentials for everything a window asks of one tenant. `tenant` must outlive the session.
    CanarySession(Target target, net::RestClient *tenant, const Clock &clock, QObject *parent = nullptr);
    ~CanarySession() override;

    const Target &target() const { return m_target; }
    const Snapshot &snapshot() const { return m_snapshot; }
    // Stale: the newest refresh failed, so what the snapshot shows is not current.
    bool isStale() const { return m_lastError.has_value(); }
    const std::optional<dynatrace::ApiError> &lastError() const { return m_lastError; }
    bool isRefreshing() const { return m_inFlight != nullptr; }
    // The target's events and problems over the chart window, newest first, from the latest refresh
    // (on a failed page: what arrived before it).
    const std::vector<dynatrace::Event> &events() const { return m_events; }
    const std::vector<dynatrace::Problem> &problems() const { return m_problems; }
    // Whether to fetch events and problems with every refresh (the timeline); on by default.
    void setTimelineEnabled(bool enabled) { m_timelineEnabled = enabled; }

    // Starts periodic refreshes (the first one immediately).
    void start();
    void stop();
    // Refreshes now unless a refresh is already under way: never more than one request outstanding.
    void refresh();

Q_SIGNALS:
    void buildDimensionResolved(const QString &dimension);
    void snapshotChanged(const canary::session::Snapshot &snapshot);
    void refreshFailed(const canary::dynatrace::ApiError &error);
    void staleChanged(bool stale);
    void eventsChanged();
    void eventsFailed(const canary::dynatrace::ApiError &error);
    void problemsChanged();
    void problemsFailed(const canary::dynatrace::ApiError &error);

private:
    // A health metric fetched in the same query as the request counts, as discovery found it.
    struct HealthMetric
    {
        QString selector; // as sent: key:splitBy("<dimension>"):sum|avg, or the operator's own selector
        QString buildDimension;
        double scale = 1.0; // to milliseconds for response time
    };
    enum class Health { Failures, ResponseTime };

    // One request at start: the request-count metric's descriptor alone (no health metric wanted) or, with
    // the health metrics, all of them through the metric list (the descriptor as well if the tenant refuses
    // the list's wildcards).
    void discoverMetrics();
    void discoverBuildDimension();
    void discoverWithHealth(bool failures, bool responseTime);
    // Takes the request-count metric's build dimension from its descriptor; false after failing.
    bool adoptDescriptor(const dynatrace::MetricDescriptor &descriptor);
    std::optional<HealthMetric> healthMetricFrom(
        Health health, const dynatrace::MetricDescriptor *descriptor, QStringList *notes) const;
    void finishDiscovery();
    void queryMetrics();
    void queryEvents();
    void queryProblems();
    void fail(const dynatrace::ApiError &error);
    void setLastError(std::optional<dynatrace::ApiError> error);

    Target m_target;
    const Clock &m_clock;
    net::RestClient *m_rest;
    dynatrace::MetricsClient *m_metrics;
    QTimer m_timer;
    QString m_buildDimension;
    bool m_discovered = false;
    std::optional<HealthMetric> m_failures;
    std::optional<HealthMetric> m_responseTime;
    QString m_healthNote;
    Snapshot m_snapshot;
    std::optional<dynatrace::ApiError> m_lastError;
    QPointer<net::RestCall> m_inFlight;
    dynatrace::EventsClient *m_eventsClient;
    dynatrace::ProblemsClient *m_problemsClient;
    QPointer<dynatrace::PageWalker> m_eventsInFlight;
    QPointer<dynatrace::PageWalker> m_problemsInFlight;
    std::vector<dynatrace::Event> m_events;
    std::vector<dynatrace::Problem> m_problems;
    bool m_timelineEnabled = true;
};

// Picks the build dimension from a descriptor: a non-entity dimension whose key or name mentions a
// build or version, else the only non-entity dimension. Empty when there is none.
QString chooseBuildDimension(const dynatrace::MetricDescriptor &descriptor);

} // namespace canary::session
