#include "eventstore.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "taginfo.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

using Json = nlohmann::ordered_json;

std::string utf8(const QString &text)
{
    return text.toStdString();
}

Json tagJson(const QString &text)
{
    const TagInfo info = TagInfo::parse(text);
    Json tag { { "context", utf8(info.context) }, { "key", utf8(info.key) } };
    if (info.hasValue)
        tag["value"] = utf8(info.value);
    tag["stringRepresentation"] = utf8(info.stringRepresentation);
    return tag;
}

Json entityJson(const StoredEvent &event)
{
    if (event.entityId.isEmpty())
        return Json { { "entityId", { { "id", "environment" }, { "type", "ENVIRONMENT" } } } };
    Json entity { { "entityId", { { "id", utf8(event.entityId) }, { "type", utf8(event.entityType) } } } };
    if (!event.entityName.isEmpty())
        entity["name"] = utf8(event.entityName);
    return entity;
}

} // namespace

EventStore::EventStore(QObject *parent)
    : QObject(parent)
{ }

EventStore::~EventStore() = default;

void EventStore::setCapacity(qsizetype capacity)
{
    m_capacity = std::max<qsizetype>(capacity, 1);
    if (m_events.size() > m_capacity)
        m_events.resize(m_capacity);
}

bool EventStore::add(StoredEvent event)
{
    // Ingests may carry a start time in the past, so the newest ingest is not always the newest event.
    const auto position = std::partition_point(m_events.cbegin(), m_events.cend(),
        [&event](const StoredEvent &stored) { return stored.startMs > event.startMs; });
    const qsizetype index = position - m_events.cbegin();
    if (index >= m_capacity)
        return false;
    m_events.insert(index, std::move(event));
    if (m_events.size() > m_capacity)
        m_events.removeLast();
    Q_EMIT eventStored(m_events.at(index));
    return true;
}

void EventStore::clear()
{
    m_events.clear();
}

bool EventStore::setProperty(const QString &eventId, const QString &key, const QString &value)
{
    for (StoredEvent &event : m_events) {
        if (event.eventId == eventId) {
            event.properties.insert(key, value);
            return true;
        }
    }
    return false;
}

QByteArray EventStore::toJson(const StoredEvent &event, qint64 nowMs, OpenEnd openEnd)
{
    const bool open = event.isOpenAt(nowMs);
    Json properties = Json::array();
    for (auto it = event.properties.cbegin(); it != event.properties.cend(); ++it) // QMap: sorted by key
        properties.push_back(Json { { "key", utf8(it.key()) }, { "value", utf8(it.value()) } });
    Json tags = Json::array();
    for (const QString &tag : event.entityTags)
        tags.push_back(tagJson(tag));

    const Json json {
        { "eventId", utf8(event.eventId) },
        { "startTime", event.startMs },
        { "endTime", open && openEnd == OpenEnd::MinusOne ? qint64(-1) : event.endMs },
        { "eventType", utf8(event.eventType) },
        { "title", utf8(event.title) },
        { "entityId", entityJson(event) },
        { "properties", std::move(properties) },
        { "status", open ? "OPEN" : "CLOSED" },
        { "correlationId", utf8(event.correlationId) },
        { "entityTags", std::move(tags) },
        { "managementZones", Json::array() },
        { "underMaintenance", false },
        { "suppressAlert", false },
        { "suppressProblem", false },
        { "frequentEvent", false },
    };
    return QByteArray::fromStdString(json.dump(-1, ' ', false, Json::error_handler_t::replace));
}

} // namespace canary::sim
