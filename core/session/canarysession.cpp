#include "canarysession.h"

#include "dynatrace/eventsclient.h"
#include "dynatrace/metricsclient.h"
#include "dynatrace/metricselector.h"
#include "dynatrace/pagewalker.h"
#include "dynatrace/problemsclient.h"
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
    : QObject(parent)
    , m_target(std::move(target))
    , m_clock(clock)
    , m_rest(new net::RestClient(m_target.dynatraceUrl, this))
    , m_metrics(new dynatrace::MetricsClient(m_rest, this))
    , m_buildDimension(m_target.buildDimension)
    , m_eventsClient(new dynatrace::EventsClient(m_rest, this))
    , m_problemsClient(new dynatrace::ProblemsClient(m_rest, this))
{
    m_rest->setAuthorization("Api-Token " + apiToken.toUtf8());
    m_rest->setTimeoutMs(m_target.requestTimeoutMs);
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
    if (m_buildDimension.isEmpty())
        discoverBuildDimension();
    else
        queryMetrics();
}

void CanarySession::discoverBuildDimension()
{
    const QString key = dynatrace::metricKeyOf(m_target.metricSelector);
    m_inFlight = m_metrics->descriptor(
        key, this, [this, key](const dynatrace::MetricDescriptorResult &result) {
            m_inFlight = nullptr;
            if (!result)
                return fail(result.error());
            const QString dimension = chooseBuildDimension(result.value());
            if (dimension.isEmpty()) {
                QStringList keys;
                for (const auto &definition : result->dimensionDefinitions)
                    keys.append(definition.key);
                return fail(dynatrace::ApiError::unexpectedShape(
                    u"metric %1 has no build dimension (its dimensions: %2). Built-in service metrics cannot "
                    u"be "
                    "split by build: create a calculated service metric with a build dimension, or name the "
                    "dimension with --build-dimension"_s.arg(key, keys.join(u", "_s))));
            }
            m_buildDimension = dimension;
            Q_EMIT buildDimensionResolved(dimension);
            queryMetrics();
        });
}

void CanarySession::queryMetrics()
{
    dynatrace::MetricQuery query;
    query.metricSelector = dynatrace::perBuildSelector(m_target.metricSelector, m_buildDimension);
    query.entitySelector = m_target.entitySelector;
    query.from = m_target.from;
    query.resolution = m_target.resolution;
    m_inFlight = m_metrics->query(
        query, this, [this, selector = query.metricSelector](const dynatrace::MetricDataResult &result) {
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
            snapshot.metricSelector = selector;
            snapshot.builds = std::move(builds).value();
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
