#include "dynatraceapi.h"

#include <algorithm>
#include <limits>
#include <optional>

#include <QByteArrayList>
#include <QMap>
#include <QSet>

#include <nlohmann/json.hpp>

#include "awxapi.h"
#include "bodyreader.h"
#include "calculatedmetricbody.h"
#include "entityselector.h"
#include "eventselector.h"
#include "eventstore.h"
#include "jsonbody.h"
#include "listrequest.h"
#include "pagekey.h"
#include "problemdetector.h"
#include "problemselector.h"
#include "problemstore.h"
#include "simserver.h"
#include "taginfo.h"
#include "util/clock.h"
#include "v1eventbody.h"
#include "world.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

// Ordered, so answers list their fields in the documented order.
using Json = nlohmann::ordered_json;

constexpr qint64 MinuteMs = 60'000;
constexpr qint64 HourMs = 60 * MinuteMs;
constexpr qint64 DayMs = 24 * HourMs;
constexpr qint64 DefaultTimeoutMinutes = 15;
constexpr qint64 MaxTimeoutMinutes = 360;
constexpr std::size_t MaxProperties = 100;

template<typename Result>
HttpReply toReply(const Result &result)
{
    return result ? HttpReply::json(result.value()) : HttpReply::error(result.error());
}

// Events that open a problem may reach much less far from now than information events.
const QSet<QString> &problemOpeningTypes()
{
    static const QSet<QString> types { u"AVAILABILITY_EVENT"_s, u"ERROR_EVENT"_s, u"PERFORMANCE_EVENT"_s,
        u"RESOURCE_CONTENTION_EVENT"_s, u"CUSTOM_ALERT"_s };
    return types;
}

const QStringList &eventTypes()
{
    static const QStringList types { u"AVAILABILITY_EVENT"_s, u"CUSTOM_ALERT"_s, u"CUSTOM_ANNOTATION"_s,
        u"CUSTOM_CONFIGURATION"_s, u"CUSTOM_DEPLOYMENT"_s, u"CUSTOM_INFO"_s, u"ERROR_EVENT"_s,
        u"MARKED_FOR_TERMINATION"_s, u"PERFORMANCE_EVENT"_s, u"RESOURCE_CONTENTION_EVENT"_s };
    return types;
}

QString toQString(const Json &value)
{
    return QString::fromStdString(value.get_ref<const std::string &>());
}

// The EventIngest body, read the way Dynatrace reads it: shape errors become constraint violations (400);
// reserved property keys and impossible times are not, they come back per entity in a 201.
struct IngestBody
{
    QString eventType;
    QString title;
    QString entitySelector;
    std::optional<qint64> startTime;
    std::optional<qint64> endTime;
    qint64 timeoutMinutes = DefaultTimeoutMinutes;
    QMap<QString, QString> properties;
    bool reservedPropertyKey = false;
};

class IngestReader : public BodyReader<Json>
{
public:
    IngestBody read(const Json &root)
    {
        IngestBody body;
        body.eventType = requiredString(root, "eventType");
        if (!body.eventType.trimmed().isEmpty() && !eventTypes().contains(body.eventType)) {
            violate(u"eventType"_s,
                u"'%1' is not an event type; use one of %2"_s.arg(
                    body.eventType, eventTypes().join(u", "_s)));
        }
        body.title = requiredString(root, "title");

        if (const Json *selector = member(root, "entitySelector")) {
            if (selector->is_string())
                body.entitySelector = toQString(*selector).trimmed();
            else
                violate(u"entitySelector"_s, u"must be a string"_s);
        }
        body.startTime = optionalInteger(root, "startTime", u"UTC milliseconds"_s);
        body.endTime = optionalInteger(root, "endTime", u"UTC milliseconds"_s);
        if (const auto timeout = optionalInteger(root, "timeout", u"minutes"_s)) {
            if (*timeout < 1)
                violate(u"timeout"_s, u"must be at least 1 minute"_s);
            else
                body.timeoutMinutes = std::min(*timeout, MaxTimeoutMinutes);
        }
        readProperties(root, body);
        return body;
    }

private:
    void readProperties(const Json &root, IngestBody &body)
    {
        const Json *properties = member(root, "properties");
        if (!properties)
            return;
        if (!properties->is_object()) {
            violate(u"properties"_s, u"must be an object of string values"_s);
            return;
        }
        if (properties->size() > MaxProperties)
            violate(u"properties"_s, u"size must be between 0 and %1"_s.arg(MaxProperties));
        for (auto it = properties->begin(); it != properties->end(); ++it) {
            const QString key = QString::fromStdString(it.key());
            if (!it->is_string()) {
                violate(u"properties."_s + key, u"must be a string"_s);
                continue;
            }
            if (key.startsWith(u"dt."_s) && !key.startsWith(u"dt.event."_s) && !key.startsWith(u"dt.davis."_s)
                && !key.startsWith(u"dt.entity."_s))
                body.reservedPropertyKey = true;
            body.properties.insert(key, toQString(*it));
        }
    }
};

// Why Dynatrace would store no event for a well-formed body; "OK" when it would.
QString ingestStatus(const IngestBody &body, qint64 startMs, qint64 endMs, qint64 nowMs)
{
    if (body.reservedPropertyKey)
        return u"INVALID_METADATA"_s;
    const bool opensProblem = problemOpeningTypes().contains(body.eventType);
    const qint64 maxPast = opensProblem ? 6 * HourMs : 30 * DayMs;
    const qint64 maxFuture = opensProblem ? 5 * MinuteMs : 7 * DayMs;
    if (startMs < nowMs - maxPast || startMs > nowMs + maxFuture || endMs < startMs)
        return u"INVALID_TIMESTAMPS"_s;
    return u"OK"_s;
}

// How far back a problem's evidence reaches for the changes that may have caused it.
constexpr qint64 EvidenceLookBackMs = HourMs;

} // namespace

DynatraceApi::DynatraceApi(
    World &world, SimServer &server, EventStore &events, ProblemStore &problems, ProblemDetector &detector)
    : m_world(world)
    , m_metrics(world, m_registry)
    , m_events(events)
    , m_problems(problems)
    , m_detector(detector)
    , m_server(server)
    , m_ids(quint64(world.startMs()) ^ 0x4556454E54534944ULL)
{
    const QString metricsRead = u"metrics.read"_s;
    server.addRoute("GET", u"/api/v2/metrics/query"_s, metricsRead,
        [this](const SimRequest &request) { return metricsQuery(request); });
    server.addRoute("GET", u"/api/v2/metrics"_s, metricsRead,
        [this](const SimRequest &request) { return listMetrics(request); });
    server.addRoute("GET", u"/api/v2/metrics/{metricKey}"_s, metricsRead,
        [this](const SimRequest &request) { return metricDescriptor(request); });
    server.addRoute("GET", u"/api/v2/entities"_s, u"entities.read"_s,
        [this](const SimRequest &request) { return listEntities(request); });
    server.addRoute("POST", u"/api/config/v1/calculatedMetrics/service"_s, u"WriteConfig"_s,
        [this](const SimRequest &request) { return createCalculatedMetric(request); });
    server.addRoute("GET", u"/api/config/v1/calculatedMetrics/service"_s, u"ReadConfig"_s,
        [this](const SimRequest &request) { return listCalculatedMetrics(request); });
    server.addRoute("POST", u"/api/v2/events/ingest"_s, u"events.ingest"_s,
        [this](const SimRequest &request) { return ingestEvent(request); });
    server.addRoute("POST", u"/api/v1/events"_s, u"DataExport"_s,
        [this](const SimRequest &request) { return ingestV1Event(request); });
    server.addRoute("GET", u"/api/v2/events"_s, u"events.read"_s,
        [this](const SimRequest &request) { return listEvents(request); });
    server.addRoute("GET", u"/api/v2/events/{eventId}"_s, u"events.read"_s,
        [this](const SimRequest &request) { return getEvent(request); });
    server.addRoute("GET", u"/api/v2/problems"_s, u"problems.read"_s,
        [this](const SimRequest &request) { return listProblems(request); });
    server.addRoute("GET", u"/api/v2/problems/{problemId}"_s, u"problems.read"_s,
        [this](const SimRequest &request) { return getProblem(request); });
    server.addRoute("GET", u"/api/v2/problems/{problemId}/comments"_s, u"problems.read"_s,
        [this](const SimRequest &request) { return listComments(request); });
    server.addRoute("POST", u"/api/v2/problems/{problemId}/comments"_s, u"problems.write"_s,
        [this](const SimRequest &request) { return postComment(request); });
    // No scope: any valid token may ask what a token can do (the operator's "test connection").
    server.addRoute("POST", u"/api/v2/apiTokens/lookup"_s, {},
        [this](const SimRequest &request) { return lookupToken(request); });
}

void DynatraceApi::setDefaultEventPageSize(int size)
{
    m_defaultEventPageSize = std::clamp(size, 1, MaxEventPageSize);
}

void DynatraceApi::setDefaultProblemPageSize(int size)
{
    m_defaultProblemPageSize = std::clamp(size, 1, MaxProblemPageSize);
}

HttpReply DynatraceApi::metricsQuery(const SimRequest &request)
{
    MetricsQuery query;
    query.metricSelector = request.optionalQueryItem(u"metricSelector"_s);
    query.entitySelector = request.optionalQueryItem(u"entitySelector"_s);
    query.from = request.optionalQueryItem(u"from"_s);
    query.to = request.optionalQueryItem(u"to"_s);
    query.resolution = request.optionalQueryItem(u"resolution"_s);
    return toReply(m_metrics.query(query));
}

HttpReply DynatraceApi::metricDescriptor(const SimRequest &request)
{
    return toReply(m_metrics.descriptor(request.pathParameters.value(u"metricKey"_s)));
}

HttpReply DynatraceApi::listMetrics(const SimRequest &request)
{
    MetricListQuery query;
    query.metricSelector = request.optionalQueryItem(u"metricSelector"_s);
    query.fields = request.optionalQueryItem(u"fields"_s);
    query.pageSize = request.optionalQueryItem(u"pageSize"_s);
    return toReply(m_metrics.list(query));
}

HttpReply DynatraceApi::ingestEvent(const SimRequest &request)
{
    QString storedId;
    QMap<QString, QString> properties;
    HttpReply reply = storeV2(request.body, m_world.clock().nowMs(), &storedId, &properties);
    if (!storedId.isEmpty())
        m_ingestedProperties.append(std::move(properties));
    return reply;
}

QMap<QString, int> DynatraceApi::ingestedPropertyCounts(const QString &key) const
{
    QMap<QString, int> counts;
    for (const QMap<QString, QString> &properties : m_ingestedProperties) {
        if (const auto it = properties.constFind(key); it != properties.cend())
            ++counts[*it];
    }
    return counts;
}

HttpReply DynatraceApi::storeV2(
    const QByteArray &bytes, qint64 nowMs, QString *storedId, QMap<QString, QString> *storedProperties)
{
    const Json root = Json::parse(bytes.cbegin(), bytes.cend(), nullptr, false);
    if (root.is_discarded() || !root.is_object()) {
        return HttpReply::error(SimError { 400, u"Constraints violated."_s,
            { { u"body"_s, u"must be a JSON object (EventIngest)"_s, u"PAYLOAD_BODY"_s } } });
    }
    IngestReader reader;
    const IngestBody body = reader.read(root);

    // Resolved as part of validation: a selector that does not parse is a 400 like any other bad field.
    std::optional<EntitySelector> selector;
    if (!body.entitySelector.isEmpty()) {
        auto parsed = EntitySelector::parse(body.entitySelector);
        if (parsed) {
            selector = std::move(parsed.value());
        } else {
            for (const SimError::Violation &violation : parsed.error().constraintViolations)
                reader.violate(violation.path, violation.message);
        }
    }
    if (!reader.violations.isEmpty())
        return HttpReply::error(SimError { 400, u"Constraints violated."_s, reader.violations });

    const ServiceInfo &service = m_world.service();
    // No selector attaches the event to the environment, which is always there; a selector that misses the
    // one service matches nothing, and Dynatrace still answers 201 with an empty report.
    const bool attached = selector.has_value();
    const bool matched = !attached || selector->matches(service);

    const qint64 startMs = body.startTime.value_or(nowMs);
    // Saturating: a start time near the end of qint64 is INVALID_TIMESTAMPS, not an overflow.
    const qint64 durationMs = body.timeoutMinutes * MinuteMs;
    constexpr qint64 latest = std::numeric_limits<qint64>::max();
    const qint64 endMs
        = body.endTime.value_or(startMs <= latest - durationMs ? startMs + durationMs : latest);

    Json results = Json::array();
    if (matched) {
        StoredEvent event;
        event.correlationId = QString::number(m_ids.next(), 16).rightJustified(16, u'0');
        const QString status = ingestStatus(body, startMs, endMs, nowMs);
        results.push_back(Json {
            { "correlationId", event.correlationId.toStdString() }, { "status", status.toStdString() } });
        if (status == u"OK"_s) {
            event.eventId = u"%1_%2"_s.arg(qint64(m_ids.next())).arg(startMs);
            event.startMs = startMs;
            event.endMs = endMs;
            event.eventType = body.eventType;
            event.title = body.title;
            if (attached) {
                event.entityId = service.id;
                event.entityType = u"SERVICE"_s;
                event.entityName = service.name;
                event.entityTags = service.tags;
            }
            event.properties = body.properties;
            if (storedId)
                *storedId = event.eventId;
            if (storedProperties)
                *storedProperties = event.properties;
            m_events.add(std::move(event));
        }
    }
    const Json answer { { "reportCount", results.size() }, { "eventIngestResults", results } };
    return HttpReply::json(QByteArray::fromStdString(answer.dump()), 201);
}

HttpReply DynatraceApi::ingestV1Event(const SimRequest &request)
{
    return storeV1(request.body, m_world.clock().nowMs());
}

HttpReply DynatraceApi::storeV1(const QByteArray &bytes, qint64 nowMs, QString *storedId)
{
    auto parsed = V1EventBody::parse(bytes);
    if (!parsed)
        return HttpReply::error(parsed.error());
    const V1EventBody &body = parsed.value();
    const qint64 startMs = body.start.value_or(nowMs);
    QList<SimError::Violation> violations;
    // v1's past limits: 30 days for information events, 60 minutes for problem-opening ones.
    const bool opensProblem = problemOpeningTypes().contains(body.eventType);
    if (startMs < nowMs - (opensProblem ? HourMs : 30 * DayMs))
        violations.append({ u"start"_s, u"lies too far in the past"_s, u"PAYLOAD_BODY"_s });
    if (body.end && *body.end < startMs)
        violations.append({ u"end"_s, u"must not lie before start"_s, u"PAYLOAD_BODY"_s });
    if (!violations.isEmpty())
        return HttpReply::error(SimError { 400, u"Constraints violated."_s, violations });

    Json eventIds = Json::array();
    Json storedIds = Json::array();
    const ServiceInfo &service = m_world.service();
    if (body.attachesTo(service)) {
        const qint64 id = qint64(m_ids.next());
        StoredEvent event;
        event.eventId = u"%1_%2"_s.arg(id).arg(startMs);
        event.correlationId = QString::number(m_ids.next(), 16).rightJustified(16, u'0');
        event.startMs = startMs;
        event.endMs = body.end.value_or(startMs + body.timeoutMinutes * MinuteMs);
        event.eventType = body.eventType;
        event.title = body.title;
        event.entityId = service.id;
        event.entityType = u"SERVICE"_s;
        event.entityName = service.name;
        event.entityTags = service.tags;
        event.properties = body.properties;
        eventIds.push_back(id);
        storedIds.push_back(event.eventId.toStdString());
        if (storedId)
            *storedId = event.eventId;
        m_events.add(std::move(event));
    }
    // [inferred] Rules that match nothing store nothing; the answer says so with empty lists.
    const Json answer { { "storedEventIds", std::move(eventIds) }, { "storedIds", std::move(storedIds) },
        { "storedCorrelationIds", Json::array() } };
    return HttpReply::json(QByteArray::fromStdString(answer.dump()));
}

QString DynatraceApi::resetLaunchUrl(const QUrl &awxBaseUrl)
{
    QString base = awxBaseUrl.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment).toString();
    while (base.endsWith(u'/'))
        base.chop(1);
    return base + u"/api/v2/job_templates/%1/launch/"_s.arg(AwxApi::ResetCanaryWeightingTemplateId);
}

QString DynatraceApi::recordPipelineEvent(const WeightChange &change, qint64 atMs, const QUrl &awxBaseUrl)
{
    if (change.event == ChangeEvent::None)
        return {};
    const ServiceInfo &service = m_world.service();
    const bool reset = change.canaryWeight == 0;
    const QString templateId = QString::number(AwxApi::ResetCanaryWeightingTemplateId);
    QString storedId;

    if (change.event == ChangeEvent::PipelineV1) {
        // Jenkins' ace@v1.1 library: the service's tags as one tag rule, and the same tags again at the top.
        QString product = service.name.section(u'.', 0, 0);
        Json tags = Json::array();
        for (const QString &text : service.tags) {
            const TagInfo tag = TagInfo::parse(text);
            Json rule { { "context", tag.context.toStdString() }, { "key", tag.key.toStdString() } };
            if (tag.hasValue)
                rule["value"] = tag.value.toStdString();
            tags.push_back(std::move(rule));
            if (tag.key == u"DT_RELEASE_PRODUCT")
                product = tag.value;
        }
        const Json body {
            { "eventType", "CUSTOM_CONFIGURATION" },
            { "attachRules",
                { { "tagRule", Json::array({ Json { { "meTypes", { "SERVICE" } }, { "tags", tags } } }) } } },
            { "tags", tags },
            { "description",
                u"%1 canary weight set to %2%"_s.arg(product).arg(change.canaryWeight).toStdString() },
            { "source", "Jenkins" },
            { "configuration", "Load Balancer" },
            { "customProperties",
                { { "remediationAction",
                      reset ? std::string("NA") : resetLaunchUrl(awxBaseUrl).toStdString() },
                    { "remediationType", "ansible" } } },
        };
        storeV1(QByteArray::fromStdString(body.dump()), atMs, &storedId);
        return storedId;
    }

    return recordCanaryWeightEvent(change.canaryWeight, reset ? u"NA"_s : templateId, atMs);
}

QString DynatraceApi::recordCanaryWeightEvent(int canaryWeight, const QString &remediationAction, qint64 atMs)
{
    // The current Jenkinsfile: API v2 with the service's tags as the selector and no times.
    QString selector = u"type(SERVICE)"_s;
    for (const QString &tag : m_world.service().tags)
        selector += u",tag("_s + tag + u')';
    const Json body {
        { "eventType", "CUSTOM_CONFIGURATION" },
        { "title", u"Canary weight set to %1"_s.arg(canaryWeight).toStdString() },
        { "entitySelector", selector.toStdString() },
        { "properties",
            { { "remediationType", "ansible" }, { "remediationAction", remediationAction.toStdString() } } },
    };
    QString storedId;
    storeV2(QByteArray::fromStdString(body.dump()), atMs, &storedId);
    return storedId;
}

QList<StoredEvent> DynatraceApi::listableEvents()
{
    m_detector.evaluate();
    QList<StoredEvent> events = m_events.events();
    for (const StoredProblem &problem : m_problems.problems())
        events.append(problem.davisEvent());
    // Stable, so equal start times keep the store's order (the later ingest first).
    std::stable_sort(events.begin(), events.end(),
        [](const StoredEvent &a, const StoredEvent &b) { return a.startMs > b.startMs; });
    return events;
}

HttpReply DynatraceApi::listEvents(const SimRequest &request)
{
    const qint64 nowMs = m_world.clock().nowMs();
    const auto list = ListRequest::read(request, nowMs, m_defaultEventPageSize, MaxEventPageSize);
    if (!list)
        return HttpReply::error(list.error());
    std::optional<EventSelector> selector;
    if (const auto text = list->key.value(u"eventSelector"_s); text && !text->trimmed().isEmpty()) {
        auto parsed = EventSelector::parse(*text);
        if (!parsed)
            return HttpReply::error(parsed.error());
        selector = std::move(parsed.value());
    }

    const ServiceInfo &service = m_world.service();
    const bool serviceSelected = !list->entities || list->entities->matches(service);
    QList<StoredEvent> matching;
    for (const StoredEvent &event : listableEvents()) {
        const bool open = event.isOpenAt(nowMs);
        if (!list->overlaps(event.startMs, open ? std::nullopt : std::optional<qint64>(event.endMs)))
            continue;
        if (list->entities && (!serviceSelected || event.entityId != service.id))
            continue;
        if (selector && !selector->matches(event, nowMs))
            continue;
        matching.append(event);
    }

    QByteArrayList items;
    for (qsizetype i = list->first(matching.size()); i < list->last(matching.size()); ++i)
        items.append(EventStore::toJson(matching.at(i), nowMs, EventStore::OpenEnd::MinusOne));
    return HttpReply::json(
        list->answer(matching.size(), "events", items, { u"entitySelector"_s, u"eventSelector"_s }));
}

HttpReply DynatraceApi::getEvent(const SimRequest &request)
{
    const QString eventId = request.pathParameters.value(u"eventId"_s);
    const qint64 nowMs = m_world.clock().nowMs();
    for (const StoredEvent &event : listableEvents()) {
        if (event.eventId == eventId)
            return HttpReply::json(EventStore::toJson(event, nowMs, EventStore::OpenEnd::MinusOne));
    }
    return HttpReply::error(SimError::notFound(u"Event with ID %1 not found"_s.arg(eventId)));
}

HttpReply DynatraceApi::listProblems(const SimRequest &request)
{
    // `fields` must be repeated on every page, so it may come with a nextPageKey; the simulator has no
    // optional fields to add and ignores it.
    const auto list = ListRequest::read(
        request, m_world.clock().nowMs(), m_defaultProblemPageSize, MaxProblemPageSize, { u"fields"_s });
    if (!list)
        return HttpReply::error(list.error());
    std::optional<ProblemSelector> selector;
    if (const auto text = list->key.value(u"problemSelector"_s); text && !text->trimmed().isEmpty()) {
        auto parsed = ProblemSelector::parse(*text);
        if (!parsed)
            return HttpReply::error(parsed.error());
        selector = std::move(parsed.value());
    }

    m_detector.evaluate();
    const ServiceInfo &service = m_world.service();
    const bool serviceSelected = !list->entities || list->entities->matches(service);
    QList<const StoredProblem *> matching;
    for (const StoredProblem &problem : m_problems.problems()) {
        if (!list->overlaps(problem.startMs, problem.endMs))
            continue;
        if (list->entities && (!serviceSelected || problem.entityId != service.id))
            continue;
        if (selector && !selector->matches(problem))
            continue;
        matching.append(&problem);
    }

    QByteArrayList items;
    for (qsizetype i = list->first(matching.size()); i < list->last(matching.size()); ++i)
        items.append(ProblemStore::toJson(*matching.at(i)));
    return HttpReply::json(
        list->answer(matching.size(), "problems", items, { u"entitySelector"_s, u"problemSelector"_s }));
}

HttpReply DynatraceApi::getProblem(const SimRequest &request)
{
    const QString problemId = request.pathParameters.value(u"problemId"_s);
    m_detector.evaluate();
    const StoredProblem *problem = m_problems.find(problemId);
    if (!problem)
        return HttpReply::error(SimError::notFound(u"Problem with ID %1 not found"_s.arg(problemId)));

    // The evidence Davis would show: its own event, then the changes on the service shortly before and
    // during the problem, newest first.
    QList<StoredEvent> evidence { problem->davisEvent() };
    const qint64 untilMs = problem->endMs.value_or(m_world.clock().nowMs());
    for (const StoredEvent &event : m_events.events()) {
        const bool change
            = event.eventType == u"CUSTOM_CONFIGURATION"_s || event.eventType == u"CUSTOM_DEPLOYMENT"_s;
        if (change && event.entityId == problem->entityId && event.startMs <= untilMs
            && event.startMs >= problem->startMs - EvidenceLookBackMs)
            evidence.append(event);
    }
    const int recent = DefaultCommentPageSize;
    return HttpReply::json(ProblemStore::detailJson(
        *problem, evidence, recent, nextCommentPageKey(problem->comments.size(), 0, recent)));
}

HttpReply DynatraceApi::listComments(const SimRequest &request)
{
    const auto key = PageKey::fromRequest(request);
    if (!key)
        return HttpReply::error(key.error());
    int pageSize = DefaultCommentPageSize;
    if (const std::optional<QString> text = key->value(u"pageSize"_s)) {
        bool ok = false;
        pageSize = text->trimmed().toInt(&ok);
        if (!ok || pageSize < 1 || pageSize > MaxCommentPageSize)
            return HttpReply::error(SimError::constraint(
                u"pageSize"_s, u"must be a whole number from 1 to %1"_s.arg(MaxCommentPageSize)));
    }

    const QString problemId = request.pathParameters.value(u"problemId"_s);
    m_detector.evaluate();
    const StoredProblem *problem = m_problems.find(problemId);
    if (!problem)
        return HttpReply::error(SimError::notFound(u"Problem with ID %1 not found"_s.arg(problemId)));
    return HttpReply::json(ProblemStore::commentsJson(*problem, key->offset, pageSize,
        nextCommentPageKey(problem->comments.size(), key->offset, pageSize)));
}

HttpReply DynatraceApi::lookupToken(const SimRequest &request)
{
    if (auto refused = m_server.authenticate(request))
        return *refused;
    const auto root = JsonBody::read(request);
    const Json *token = root && root->is_object() ? IngestReader::member(*root, "token") : nullptr;
    if (!token || !token->is_string() || token->get_ref<const std::string &>().empty()) {
        return HttpReply::error(SimError {
            400, u"Constraints violated."_s, { { u"token"_s, u"must not be null"_s, u"PAYLOAD_BODY"_s } } });
    }
    const QString secret = toQString(*token);
    const QStringList parts = secret.split(u'.');
    if (parts.size() < 2 || !parts.front().startsWith(u"dt0"_s))
        return HttpReply::error(400, u"Invalid token format"_s);
    const auto scopes = m_server.scopesOf(secret);
    if (!scopes)
        return HttpReply::error(SimError::notFound(u"Token not found"_s));
    Json scopeList = Json::array();
    for (const QString &scope : *scopes)
        scopeList.push_back(scope.toStdString());
    const Json body { { "id", QString(parts.at(0) + u'.' + parts.at(1)).toStdString() },
        { "name", "canary-sim token" }, { "enabled", true }, { "personalAccessToken", false },
        { "owner", CommentAuthorName.toString().toStdString() },
        { "creationDate", "2026-11-26T09:00:00.000Z" }, { "expirationDate", nullptr },
        { "scopes", scopeList } };
    return HttpReply::json(QByteArray::fromStdString(body.dump()));
}

HttpReply DynatraceApi::postComment(const SimRequest &request)
{
    // [inferred] The body first: bean validation runs before the tenant looks the problem up.
    const auto parsed = JsonBody::read(request, Json::object());
    if (!parsed || !parsed->is_object()) {
        return HttpReply::error(SimError { 400, u"Constraints violated."_s,
            { { u"body"_s, u"must be a JSON object (CommentRequestDtoImpl)"_s, u"PAYLOAD_BODY"_s } } });
    }
    const Json &root = *parsed;
    IngestReader reader;
    ProblemComment comment;
    comment.content = reader.requiredString(root, "message");
    if (const Json *context = IngestReader::member(root, "context")) {
        if (context->is_string())
            comment.context = toQString(*context);
        else
            reader.violate(u"context"_s, u"must be a string"_s);
    }
    if (!reader.violations.isEmpty())
        return HttpReply::error(SimError { 400, u"Constraints violated."_s, reader.violations });

    const QString problemId = request.pathParameters.value(u"problemId"_s);
    m_detector.evaluate();
    if (!m_problems.find(problemId))
        return HttpReply::error(SimError::notFound(u"Problem with ID %1 not found"_s.arg(problemId)));
    const qint64 nowMs = m_world.clock().nowMs();
    comment.id = u"%1_%2"_s.arg(qint64(m_ids.next())).arg(nowMs);
    comment.createdAtMs = nowMs;
    comment.authorName = CommentAuthorName.toString();
    m_problems.addComment(problemId, std::move(comment));
    // [docs] "201 Success. The comment has been added." and nothing else: a client reads it back with GET.
    return HttpReply::json({}, 201);
}

QString DynatraceApi::nextCommentPageKey(qsizetype total, qint64 offset, int pageSize)
{
    if (offset + pageSize >= total)
        return {};
    PageKey next;
    next.query = { { u"pageSize"_s, QString::number(pageSize) } };
    next.offset = offset + pageSize;
    return next.encode();
}

HttpReply DynatraceApi::listEntities(const SimRequest &request)
{
    const std::optional<QString> text = request.optionalQueryItem(u"entitySelector"_s);
    if (!text || text->trimmed().isEmpty())
        return HttpReply::error(SimError::constraint(u"entitySelector"_s, u"must not be null"_s));
    const auto selector = EntitySelector::parse(*text);
    if (!selector)
        return HttpReply::error(selector.error());

    QList<ServiceInfo> services { m_world.service() };
    services.append(m_world.config().otherServices);
    Json entities = Json::array();
    for (const ServiceInfo &service : std::as_const(services)) {
        if (selector.value().matches(service)) {
            entities.push_back(Json { { "entityId", service.id.toStdString() }, { "type", "SERVICE" },
                { "displayName", service.name.toStdString() } });
        }
    }
    // Every match fits the default page of 50: the simulated tenant has a handful of services.
    const Json body { { "totalCount", entities.size() }, { "pageSize", 50 },
        { "entities", std::move(entities) } };
    return HttpReply::json(QByteArray::fromStdString(body.dump()));
}

HttpReply DynatraceApi::createCalculatedMetric(const SimRequest &request)
{
    auto body = CalculatedMetricBody::parse(request.body);
    if (!body)
        return HttpReply::error(body.error());
    MetricDefinition &metric = body.value().metric;

    // [inferred] The tenant's own checks come after the body's, each as a constraint violation.
    bool knownEntity = metric.entityId.isEmpty() || metric.entityId == m_world.service().id;
    for (const ServiceInfo &service : m_world.config().otherServices)
        knownEntity = knownEntity || service.id == metric.entityId;
    if (!knownEntity) {
        return HttpReply::error(SimError { 400, u"Constraints violated."_s,
            { { u"entityId"_s, u"the entity '%1' does not exist or is not a service"_s.arg(metric.entityId),
                u"PAYLOAD_BODY"_s } } });
    }
    if (m_registry.find(metric.key)) {
        return HttpReply::error(SimError { 400, u"Constraints violated."_s,
            { { u"tsmMetricKey"_s, u"a calculated metric with the key '%1' already exists"_s.arg(metric.key),
                u"PAYLOAD_BODY"_s } } });
    }
    const QString service = metric.entityId.isEmpty() ? m_world.service().id : metric.entityId;
    if (int(m_registry.calculated().size()) >= MetricRegistry::MaxPerEnvironment
        || m_registry.calculatedFor(service) >= MetricRegistry::MaxPerService) {
        return HttpReply::error(SimError { 400, u"Constraints violated."_s,
            { { u"tsmMetricKey"_s,
                u"the limit of %1 calculated service metrics per environment and %2 per service is reached"_s
                    .arg(MetricRegistry::MaxPerEnvironment)
                    .arg(MetricRegistry::MaxPerService),
                u"PAYLOAD_BODY"_s } } });
    }

    // No backfill: the world's requests so far belong to no calculated metric created now.
    m_world.catchUp();
    metric.recordsFromMs = m_world.clock().nowMs();
    const MetricDefinition &created = m_registry.add(std::move(metric));
    const Json answer { { "id", created.key.toStdString() }, { "name", created.displayName.toStdString() } };
    HttpReply reply = HttpReply::json(QByteArray::fromStdString(answer.dump()), 201);
    reply.headers.append({ "Location",
        QByteArray("/api/config/v1/calculatedMetrics/service/") + QUrl::toPercentEncoding(created.key) });
    return reply;
}

HttpReply DynatraceApi::listCalculatedMetrics(const SimRequest &)
{
    Json values = Json::array();
    for (const MetricDefinition *metric : m_registry.calculated()) {
        values.push_back(
            Json { { "id", metric->key.toStdString() }, { "name", metric->displayName.toStdString() } });
    }
    return HttpReply::json(QByteArray::fromStdString(Json { { "values", std::move(values) } }.dump()));
}

} // namespace canary::sim
