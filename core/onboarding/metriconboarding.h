#pragma once

#include <memory>
#include <optional>

#include <QMetaType>
#include <QObject>
#include <QStringList>
#include <QUrl>

#include "dynatrace/apierror.h"
#include "dynatrace/calculatedmetrics.h"
#include "dynatrace/metricdata.h"
#include "util/expected.h"

namespace canary::net {
class RestClient;
}
namespace canary::dynatrace {
class MetricsClient;
}
namespace canary::session {
struct Target;
}

namespace canary::onboarding {

// What to create: the per-build metric of one target (profile), on the one service its selector names.
struct MetricOnboardingSetup
{
    using BuildAttribute = dynatrace::CalculatedServiceMetric::BuildAttribute;

    QUrl dynatraceUrl;
    QString token;
    QString entitySelector; // must match exactly one service
    QString metricKey; // calc:service.…; a full selector is cut to its key
    QString dimensionName; // empty: "Build"
    BuildAttribute attribute = BuildAttribute::BuildVersion;
    QString metricName; // empty: "Requests by build"
    // Find the service and build the body, but create nothing (the result carries the body).
    bool dryRun = false;
    int timeoutMs = 30'000; // per request

    // The target's URL, selector, metric key, build dimension and timeout.
    static MetricOnboardingSetup fromTarget(const session::Target &target, const QString &token);
};

// A created (or, on a dry run, a ready) per-build metric.
struct MetricOnboardingOutcome
{
    dynatrace::CalculatedServiceMetric metric; // exactly what was sent (dry run: would be sent)
    QString serviceName; // the display name of metric.entityId
    QString configId; // Dynatrace's id of the new configuration; empty on a dry run
    dynatrace::MetricDescriptor descriptor; // read back after the create; empty on a dry run
    bool dryRun = false;
};

struct MetricOnboardingError
{
    enum class Kind {
        Setup, // nothing to send: no token, no URL, a key Dynatrace would refuse
        MissingScope, // the token lacks WriteConfig (manualSteps says what to do by hand) or entities.read
        ServiceNotFound, // the entity selector matches no service
        AmbiguousService, // it matches several (listed in the message)
        AlreadyExists, // a calculated metric with this key exists
        Rejected, // Dynatrace refused the body (400): its own text
        Connection, // transport, timeout, 401
        Api, // any other failure of a call, a malformed answer
        NotConfirmed, // created, but the metrics API does not show it with the build dimension
    };

    Kind kind = Kind::Api;
    QString message; // one line
    QString manualSteps; // numbered lines, when the metric can still be created by hand
    std::optional<dynatrace::ApiError> apiError; // the call that failed, if one did

    bool isConnectionOrAuth() const { return kind == Kind::Connection || kind == Kind::MissingScope; }
    // The message, then the manual steps (if any) on the following lines.
    QString text() const;
};

// The outcome or the error. Default-constructible (an error that says nothing ran) because QVariant, and so
// queued connections and QSignalSpy, need that, which Expected is not.
class MetricOnboardingResult : public Expected<MetricOnboardingOutcome, MetricOnboardingError>
{
public:
    using Expected::Expected;
    MetricOnboardingResult();
};

// "Create metric" for a UI or the CLI: checks the token's scopes, resolves the service from the entity
// selector (GET /api/v2/entities), creates the calculated service metric with the build dimension
// (POST /api/config/v1/calculatedMetrics/service) and confirms it with GET /api/v2/metrics/{key}. A token
// without WriteConfig gets the manual steps instead. finished() follows start() exactly once.
class MetricOnboarding final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MetricOnboarding)

public:
    explicit MetricOnboarding(MetricOnboardingSetup setup, QObject *parent = nullptr);
    ~MetricOnboarding() override;

    const MetricOnboardingSetup &setup() const { return m_setup; }
    bool isRunning() const { return m_running; }
    // Begins; a second call while running does nothing. Never emits finished() synchronously.
    void start();

    // The metric the setup describes, attached to `entityId` (empty: not yet known).
    dynatrace::CalculatedServiceMetric metricFor(const QString &entityId) const;

Q_SIGNALS:
    void finished(const canary::onboarding::MetricOnboardingResult &result);

private:
    void lookUpScopes();
    void resolveService();
    void create();
    void confirm();
    void fail(MetricOnboardingError::Kind kind, const QString &message,
        std::optional<dynatrace::ApiError> apiError = std::nullopt);
    void failWithoutWriteConfig(std::optional<dynatrace::ApiError> apiError = std::nullopt);
    void failCall(const dynatrace::ApiError &error, const QString &what);
    void finish(const MetricOnboardingResult &result);
    bool lacks(const QString &scope) const { return m_scopes && !m_scopes->contains(scope); }

    MetricOnboardingSetup m_setup;
    std::unique_ptr<net::RestClient> m_rest;
    std::unique_ptr<dynatrace::CalculatedMetricsClient> m_config;
    std::unique_ptr<dynatrace::MetricsClient> m_metrics;
    std::optional<QStringList> m_scopes; // nullopt: the token lookup did not tell
    dynatrace::ServiceEntity m_service;
    dynatrace::CalculatedServiceMetric m_metric;
    QString m_configId;
    bool m_running = false;
};

} // namespace canary::onboarding

Q_DECLARE_METATYPE(canary::onboarding::MetricOnboardingResult)
