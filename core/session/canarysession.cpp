#include "canarysession.h"

#include "dynatrace/eventsclient.h"
#include "dynatrace/metricsclient.h"
#include "dynatrace/metricselector.h"
#include "dynatrace/pagewalker.h"
#include "dynatrace/problemsclient.h"
#include "dynatrace/tenantclient.h"
#include "net/restclient.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::session {

QString chooseBuildDimension(const dynatrace::MetricDescriptor &descriptor)
{
    QStringList candidates;
    for (const auto &definition : descriptor.dimensionDefinitions) {
        if (definition.type.compare(u"ENTITY"_s, Qt::CaseInsensitive) == 0
            || definition.key.startsWith(u"dt.entity."_s))
            continue;
        const QString text = definition.key + u' ' + definition.name;
        if (text.contains(u"build"_s, Qt::CaseInsensitive)
            || text.contains(u"version"_s, Qt::CaseInsensitive))
            return definition.key;
        candidates.append(definition.key);
    }
    return candidates.size() == 1 ? candidates.front() : QString();
}

CanarySession::CanarySession(Target target, const QString &apiToken, const Clock &clock, QObject *parent)
    : CanarySession(target,
        dynatrace::makeTenantClient(target.dynatraceUrl, apiToken, target.requestTimeoutMs).release(), clock,
        parent)
{
    m_rest->setParent(this); // its own client, not a shared one
}

CanarySession::CanarySession(Target target, net::RestClient *tenant, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_target(std::move(target))
    , m_clock(clock)
    , m_rest(tenant)
    , m_metrics(new dynatrace::MetricsClient(m_rest, this))
    , m_buildDimension(m_target.buildDimension)
    , m_eventsClient(new dynatrace::EventsClient(m_rest, this))
    , m_problemsClient(new dynatrace::ProblemsClient(m_rest, this))
{
    m_timer.setInterval(m_target.refreshIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &CanarySession::refresh);
}

CanarySession::~CanarySession() = default;

void CanarySession::start()
{
    m_timer.start();
    refresh();
}

void CanarySession::stop()
{
    m_timer.stop();
    if (m_inFlight)
        m_inFlight->cancel();
    if (m_eventsInFlight)
        m_eventsInFlight->cancel();
    if (m_problemsInFlight)
        m_problemsInFlight->cancel();
}

void CanarySession::queryEvents()
{
    dynatrace::EventQuery query;
    query.entitySelector = m_target.entitySelector;
    query.from = m_target.from;
    m_eventsInFlight = m_eventsClient->list(query, this, [this](const dynatrace::EventListResult &result) {
        m_eventsInFlight = nullptr;
        if (result.error && result.error->kind == dynatrace::ApiError::Kind::Canceled)
            return;
        // A page that failed half-way still leaves the pages that arrived: show them with the error.
        if (!result.error || !result.events.empty()) {
            m_events = result.events;
            Q_EMIT eventsChanged();
        }
        if (result.error)
            Q_EMIT eventsFailed(*result.error);
    });
}

void CanarySession::queryProblems()
{
    dynatrace::ProblemQuery query;
    query.entitySelector = m_target.entitySelector;
    query.from = m_target.from;
    m_problemsInFlight
        = m_problemsClient->list(query, this, [this](const dynatrace::ProblemListResult &result) {
              m_problemsInFlight = nullptr;
              if (result.error && result.error->kind == dynatrace::ApiError::Kind::Canceled)
                  return;
              if (!result.error || !result.problems.empty()) {
                  m_problems = result.problems;
                  Q_EMIT problemsChanged();
              }
              if (result.error)
                  Q_EMIT problemsFailed(*result.error);
          });
}

void CanarySession::refresh()
{
    // One request per endpoint at most: a slow endpoint skips a beat instead of piling up.
    if (m_timelineEnabled && !m_eventsInFlight)
        queryEvents();
    if (m_timelineEnabled && !m_problemsInFlight)
        queryProblems();
    if (m_inFlight)
        return;
    if (m_discovered)
        queryMetrics();
    else
        discoverMetrics();
}

namespace {

QString keyOf(const QString &selector)
{
    return dynatrace::metricKeyOf(selector);
}

// What one health metric adds, for the note when it is missing.
QString purpose(bool responseTime)
{
    return responseTime ? u"response times"_s : u"failure rates"_s;
}

// Milliseconds per unit of a time metric; nullopt for a unit that is not a time.
std::optional<double> millisecondsPer(const QString &unit)
{
    if (unit == u"MicroSecond"_s)
        return 0.001;
    if (unit == u"MilliSecond"_s)
        return 1.0;
    if (unit == u"NanoSecond"_s)
        return 0.000001;
    if (unit == u"Second"_s)
        return 1000.0;
    return std::nullopt;
}

} // namespace

void CanarySession::discoverMetrics()
{
    m_failures.reset();
    m_responseTime.reset();
    m_healthNote.clear();
    const bool failures = !m_target.failureMetricSelector.trimmed().isEmpty();
    const bool responseTime = !m_target.responseTimeMetricSelector.trimmed().isEmpty();
    if (failures && !responseTime)
        m_healthNote = u"response times are off: no response-time metric is configured"_s;
    else if (!failures && responseTime)
        m_healthNote = u"failure rates are off: no failure metric is configured"_s;
    if (failures || responseTime)
        return discoverWithHealth(failures, responseTime);
    m_healthNote = u"failure rates and response times are off: no failure or response-time metric is "
                   "configured"_s;
    if (m_buildDimension.isEmpty())
        return discoverBuildDimension();
    finishDiscovery();
}

void CanarySession::discoverBuildDimension()
{
    const QString key = keyOf(m_target.metricSelector);
    m_inFlight = m_metrics->descriptor(key, this, [this](const dynatrace::MetricDescriptorResult &result) {
        m_inFlight = nullptr;
        if (!result)
            return fail(result.error());
        if (adoptDescriptor(result.value()))
            finishDiscovery();
    });
}

bool CanarySession::adoptDescriptor(const dynatrace::MetricDescriptor &descriptor)
{
    if (!m_target.buildDimension.isEmpty())
        return true; // the operator named it
    const QString dimension = chooseBuildDimension(descriptor);
    if (dimension.isEmpty()) {
        QStringList keys;
        for (const auto &definition : descriptor.dimensionDefinitions)
            keys.append(definition.key);
        fail(dynatrace::ApiError::unexpectedShape(
            u"metric %1 has no build dimension (its dimensions: %2). Built-in service metrics cannot be "
            "split by build: create a calculated service metric with a build dimension, or name the "
            "dimension with --build-dimension"_s.arg(keyOf(m_target.metricSelector), keys.join(u", "_s))));
        return false;
    }
    m_buildDimension = dimension;
    Q_EMIT buildDimensionResolved(dimension);
    return true;
}

void CanarySession::discoverWithHealth(bool failures, bool responseTime)
{
    const QString key = keyOf(m_target.metricSelector);
    const QString failureKey = failures ? keyOf(m_target.failureMetricSelector) : QString();
    const QString timeKey = responseTime ? keyOf(m_target.responseTimeMetricSelector) : QString();
    QStringList optional;
    for (const QString &extra : { failureKey, timeKey }) {
        if (!extra.isEmpty() && extra != key && !optional.contains(extra))
            optional.append(extra);
    }
    // The request-count metric is named exactly, so a missing one is the 404 it always was. The health
    // metrics go in as "key*" wildcards: Dynatrace refuses a whole list for one missing key, and a tenant
    // without them must cost no second request.
    const QString selector = dynatrace::MetricsClient::listSelector({ key }, optional);
    m_inFlight = m_metrics->descriptors(selector, this,
        [this, key, failureKey, timeKey](const dynatrace::MetricDescriptorListResult &result) {
            m_inFlight = nullptr;
            if (!result) {
                const dynatrace::ApiError &error = result.error();
                const bool namesKey = error.message.contains(u'\'' + key + u'\'');
                const bool listRefused = error.kind == dynatrace::ApiError::Kind::NotFound
                    || error.kind == dynatrace::ApiError::Kind::BadRequest;
                if (!listRefused || namesKey)
                    return fail(error);
                // A tenant that takes the wildcards differently: the request counts as before, without
                // health.
                m_healthNote = u"the failure and response-time metrics could not be looked up (%1)"_s.arg(
                    error.summary());
                if (m_buildDimension.isEmpty())
                    return discoverBuildDimension();
                return finishDiscovery();
            }

            const auto find = [&result](const QString &k) -> const dynatrace::MetricDescriptor * {
                for (const auto &descriptor : result.value()) {
                    if (descriptor.metricId == k)
                        return &descriptor;
                }
                return nullptr;
            };
            const dynatrace::MetricDescriptor *main = find(key);
            if (!main) {
                return fail(dynatrace::ApiError::unexpectedShape(
                    u"the metric list does not describe %1, which the metric selector names"_s.arg(key)));
            }
            if (!adoptDescriptor(*main))
                return;
            QStringList notes;
            if (!m_healthNote.isEmpty())
                notes.append(m_healthNote);
            if (!failureKey.isEmpty())
                m_failures = healthMetricFrom(Health::Failures, find(failureKey), &notes);
            if (!timeKey.isEmpty())
                m_responseTime = healthMetricFrom(Health::ResponseTime, find(timeKey), &notes);
            m_healthNote = notes.join(u"; "_s);
            finishDiscovery();
        });
}

std::optional<CanarySession::HealthMetric> CanarySession::healthMetricFrom(
    Health health, const dynatrace::MetricDescriptor *descriptor, QStringList *notes) const
{
    const bool responseTime = health == Health::ResponseTime;
    const QString &selector
        = responseTime ? m_target.responseTimeMetricSelector : m_target.failureMetricSelector;
    const QString key = keyOf(selector);
    if (!descriptor) {
        notes->append(u"%1 does not exist on this tenant: create it (docs/onboarding.md) to see %2"_s.arg(
            key, purpose(responseTime)));
        return std::nullopt;
    }
    HealthMetric metric;
    // The same dimension as the request counts when it has it, else its own build dimension.
    metric.buildDimension
        = descriptor->hasDimension(m_buildDimension) ? m_buildDimension : chooseBuildDimension(*descriptor);
    if (metric.buildDimension.isEmpty()) {
        notes->append(u"%1 has no build dimension: without one it cannot show %2 per build"_s.arg(
            key, purpose(responseTime)));
        return std::nullopt;
    }
    if (responseTime) {
        const auto scale = millisecondsPer(descriptor->unit);
        if (!scale) {
            notes->append(u"%1 is in '%2', not in a unit of time: response times are left out"_s.arg(
                key, descriptor->unit));
            return std::nullopt;
        }
        metric.scale = *scale;
    }
    metric.selector
        = dynatrace::perBuildSelector(selector, metric.buildDimension, responseTime ? u"avg"_s : u"sum"_s);
    return metric;
}

void CanarySession::finishDiscovery()
{
    m_discovered = true;
    queryMetrics();
}

void CanarySession::queryMetrics()
{
    // One query for everything: Dynatrace answers each comma-separated selector with its own result[]
    // entry, in order, so the health metrics cost no request of their own.
    const QString countSelector = dynatrace::perBuildSelector(m_target.metricSelector, m_buildDimension);
    QStringList selectors { countSelector };
    std::vector<std::pair<Health, HealthMetric>> health;
    if (m_failures)
        health.emplace_back(Health::Failures, *m_failures);
    if (m_responseTime)
        health.emplace_back(Health::ResponseTime, *m_responseTime);
    for (const auto &entry : health)
        selectors.append(entry.second.selector);

    dynatrace::MetricQuery query;
    query.metricSelector = selectors.join(u',');
    query.entitySelector = m_target.entitySelector;
    query.from = m_target.from;
    query.resolution = m_target.resolution;
    m_inFlight = m_metrics->query(query, this,
        [this, countSelector, health = std::move(health)](const dynatrace::MetricDataResult &result) {
            m_inFlight = nullptr;
            if (!result)
                return fail(result.error());
            auto builds = buildSeriesFrom(result.value(), m_buildDimension);
            if (!builds)
                return fail(builds.error());
            Snapshot snapshot;
            snapshot.fetchedAtMs = m_clock.nowMs();
            snapshot.resolution = result->resolution;
            snapshot.buildDimension = m_buildDimension;
            snapshot.metricSelector = countSelector;
            snapshot.builds = std::move(builds).value();
            snapshot.healthNote = m_healthNote;

            // The health metrics are the last results, whatever the count selector expands to.
            const auto &results = result->result;
            if (results.size() < health.size() + 1) {
                const QString note = u"the response held %1 results for %2 metric selectors: no failure or "
                                     "response-time data this time"_s.arg(results.size())
                                         .arg(health.size() + 1);
                snapshot.healthNote
                    = snapshot.healthNote.isEmpty() ? note : snapshot.healthNote + u"; "_s + note;
            } else {
                const std::size_t first = results.size() - health.size();
                for (std::size_t i = 0; i < health.size(); ++i) {
                    const auto &[kind, metric] = health[i];
                    for (BuildSeries &build : snapshot.builds) {
                        auto values
                            = alignedValues(build, results[first + i], metric.buildDimension, metric.scale);
                        (kind == Health::Failures ? build.failures : build.responseTimeMs)
                            = std::move(values);
                    }
                    (kind == Health::Failures ? snapshot.hasFailures : snapshot.hasResponseTime) = true;
                }
            }
            m_snapshot = std::move(snapshot);
            setLastError(std::nullopt);
            Q_EMIT snapshotChanged(m_snapshot);
        });
}

void CanarySession::fail(const dynatrace::ApiError &error)
{
    if (error.kind == dynatrace::ApiError::Kind::Canceled)
        return; // stop() gave up on purpose; the data is no staler than before
    setLastError(error);
    Q_EMIT refreshFailed(error);
}

void CanarySession::setLastError(std::optional<dynatrace::ApiError> error)
{
    const bool wasStale = isStale();
    m_lastError = std::move(error);
    if (wasStale != isStale())
        Q_EMIT staleChanged(isStale());
}

} // namespace canary::session
