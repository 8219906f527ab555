#include "dynatraceapi.h"

#include <algorithm>
#include <limits>
#include <optional>

#include <QMap>
#include <QSet>

#include <nlohmann/json.hpp>

#include "entityselector.h"
#include "eventstore.h"
#include "simserver.h"
#include "util/clock.h"
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

class BodyReader
{
public:
    QList<SimError::Violation> violations;

    void violate(const QString &path, const QString &message)
    {
        violations.append({ path, message, u"PAYLOAD_BODY"_s });
    }

    static const Json *member(const Json &object, const char *key)
    {
        const auto it = object.find(key);
        return it == object.end() || it->is_null() ? nullptr : &*it;
    }

    QString requiredString(const Json &root, const char *key)
    {
        const QString path = QString::fromLatin1(key);
        const Json *value = member(root, key);
        if (!value) {
            violate(path, u"must not be null"_s);
            return {};
        }
        if (!value->is_string()) {
            violate(path, u"must be a string"_s);
            return {};
        }
        const QString text = toQString(*value);
        if (text.trimmed().isEmpty())
            violate(path, u"must not be blank"_s);
        return text;
    }

    std::optional<qint64> optionalInteger(const Json &root, const char *key, const QString &unit)
    {
        const Json *value = member(root, key);
        if (!value)
            return std::nullopt;
        if (!value->is_number_integer()
            || (value->is_number_unsigned()
                && value->get<std::uint64_t>() > std::uint64_t(std::numeric_limits<qint64>::max()))) {
            violate(QString::fromLatin1(key), u"must be a whole number of %1"_s.arg(unit));
            return std::nullopt;
        }
        return value->get<qint64>();
    }

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

} // namespace

DynatraceApi::DynatraceApi(World &world, SimServer &server, EventStore &events)
    : m_world(world)
    , m_metrics(world)
    , m_events(events)
    , m_ids(quint64(world.startMs()) ^ 0x4556454E54534944ULL)
{
    const QString metricsRead = u"metrics.read"_s;
    server.addRoute("GET", u"/api/v2/metrics/query"_s, metricsRead,
        [this](const SimRequest &request) { return metricsQuery(request); });
    server.addRoute("GET", u"/api/v2/metrics/{metricKey}"_s, metricsRead,
        [this](const SimRequest &request) { return metricDescriptor(request); });
    server.addRoute("POST", u"/api/v2/events/ingest"_s, u"events.ingest"_s,
        [this](const SimRequest &request) { return ingestEvent(request); });
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

HttpReply DynatraceApi::ingestEvent(const SimRequest &request)
{
    const Json root = Json::parse(request.body.cbegin(), request.body.cend(), nullptr, false);
    if (root.is_discarded() || !root.is_object()) {
        return HttpReply::error(SimError { 400, u"Constraints violated."_s,
            { { u"body"_s, u"must be a JSON object (EventIngest)"_s, u"PAYLOAD_BODY"_s } } });
    }
    BodyReader reader;
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

    const qint64 nowMs = m_world.clock().nowMs();
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
            m_events.add(std::move(event));
        }
    }
    const Json answer { { "reportCount", results.size() }, { "eventIngestResults", results } };
    return HttpReply::json(QByteArray::fromStdString(answer.dump()), 201);
}

} // namespace canary::sim
