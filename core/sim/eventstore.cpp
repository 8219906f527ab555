#include "eventstore.h"

#include <algorithm>

#include <nlohmann/json.hpp>

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

using Json = nlohmann::ordered_json;

std::string utf8(const QString &text)
{
    return text.toStdString();
}

// "[Environment]DT_RELEASE_STAGE:canary-jenkins" -> the TagInfo Dynatrace lists with an event. "\:" is a
// literal colon; a tag without a [context] is CONTEXTLESS.
Json tagJson(const QString &text)
{
    QString context = u"CONTEXTLESS"_s;
    QString rest = text;
    if (rest.startsWith(u'[')) {
        const qsizetype close = rest.indexOf(u']');
        if (close > 0) {
            context = rest.mid(1, close - 1).toUpper();
            rest = rest.mid(close + 1);
        }
    }
    qsizetype colon = -1;
    for (qsizetype i = 0; i < rest.size(); ++i) {
        if (rest.at(i) == u'\\') {
            ++i;
        } else if (rest.at(i) == u':') {
            colon = i;
            break;
        }
    }
    auto unescape = [](QString s) { return s.replace(u"\\:"_s, u":"_s); };
    Json tag { { "context", utf8(context) }, { "key", utf8(unescape(colon < 0 ? rest : rest.left(colon))) } };
    if (colon >= 0)
        tag["value"] = utf8(unescape(rest.mid(colon + 1)));
    tag["stringRepresentation"] = utf8(text);
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

QByteArray EventStore::toJson(const StoredEvent &event, qint64 nowMs)
{
    Json properties = Json::array();
    for (auto it = event.properties.cbegin(); it != event.properties.cend(); ++it) // QMap: sorted by key
        properties.push_back(Json { { "key", utf8(it.key()) }, { "value", utf8(it.value()) } });
    Json tags = Json::array();
    for (const QString &tag : event.entityTags)
        tags.push_back(tagJson(tag));

    const Json json {
        { "eventId", utf8(event.eventId) },
        { "startTime", event.startMs },
        { "endTime", event.endMs },
        { "eventType", utf8(event.eventType) },
        { "title", utf8(event.title) },
        { "entityId", entityJson(event) },
        { "properties", std::move(properties) },
        { "status", event.isOpenAt(nowMs) ? "OPEN" : "CLOSED" },
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
