#include "problemstore.h"

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

Json entityStub(const StoredProblem &problem)
{
    Json stub { { "entityId", { { "id", utf8(problem.entityId) }, { "type", utf8(problem.entityType) } } } };
    stub["name"] = utf8(problem.entityName);
    return stub;
}

Json problemJson(const StoredProblem &problem)
{
    Json tags = Json::array();
    for (const QString &text : problem.entityTags) {
        const TagInfo tag = TagInfo::parse(text);
        Json info { { "context", utf8(tag.context) }, { "key", utf8(tag.key) } };
        if (tag.hasValue)
            info["value"] = utf8(tag.value);
        info["stringRepresentation"] = utf8(tag.stringRepresentation);
        tags.push_back(std::move(info));
    }
    return Json {
        { "problemId", utf8(problem.problemId) },
        { "displayId", utf8(problem.displayId) },
        { "title", utf8(problem.title) },
        { "impactLevel", utf8(problem.impactLevel) },
        { "severityLevel", utf8(problem.severityLevel) },
        { "status", problem.isOpen() ? "OPEN" : "CLOSED" },
        { "affectedEntities", Json::array({ entityStub(problem) }) },
        { "impactedEntities", Json::array({ entityStub(problem) }) },
        { "rootCauseEntity", entityStub(problem) },
        { "managementZones", Json::array() },
        { "entityTags", std::move(tags) },
        { "problemFilters",
            Json::array(
                { Json { { "id", "c21f969b-5f03-333d-83e0-4f8f136e7682" }, { "name", "Default" } } }) },
        { "startTime", problem.startMs },
        { "endTime", problem.endMs.value_or(-1) },
    };
}

Json commentJson(const ProblemComment &comment)
{
    return Json { { "id", utf8(comment.id) }, { "createdAtTimestamp", comment.createdAtMs },
        { "authorName", utf8(comment.authorName) }, { "content", utf8(comment.content) },
        { "context", comment.context.isEmpty() ? Json(nullptr) : Json(utf8(comment.context)) } };
}

Json commentListJson(const StoredProblem &problem, qsizetype first, int pageSize, const QString &nextPageKey)
{
    const qsizetype total = problem.comments.size();
    first = std::clamp<qsizetype>(first, 0, total);
    const qsizetype last = std::min<qsizetype>(first + std::max(pageSize, 0), total);
    Json comments = Json::array();
    for (qsizetype i = first; i < last; ++i)
        comments.push_back(commentJson(problem.comments.at(i)));
    return Json { { "totalCount", total }, { "pageSize", pageSize },
        { "nextPageKey", nextPageKey.isEmpty() ? Json(nullptr) : Json(utf8(nextPageKey)) },
        { "comments", std::move(comments) } };
}

QByteArray dump(const Json &json)
{
    return QByteArray::fromStdString(json.dump(-1, ' ', false, Json::error_handler_t::replace));
}

} // namespace

StoredEvent StoredProblem::davisEvent() const
{
    StoredEvent event;
    event.eventId = eventId;
    event.correlationId = eventCorrelationId;
    event.startMs = startMs;
    event.endMs = endMs.value_or(StoredEvent::OpenEndMs);
    event.eventType = eventType;
    event.title = title;
    event.entityId = entityId;
    event.entityType = entityType;
    event.entityName = entityName;
    event.entityTags = entityTags;
    if (!description.isEmpty())
        event.properties.insert(u"dt.event.description"_s, description);
    return event;
}

ProblemStore::ProblemStore(QObject *parent)
    : QObject(parent)
{ }

ProblemStore::~ProblemStore() = default;

void ProblemStore::add(StoredProblem problem)
{
    const auto position = std::partition_point(m_problems.cbegin(), m_problems.cend(),
        [&problem](const StoredProblem &stored) { return stored.startMs > problem.startMs; });
    const qsizetype index = position - m_problems.cbegin();
    m_problems.insert(index, std::move(problem));
    Q_EMIT problemOpened(m_problems.at(index));
}

bool ProblemStore::close(const QString &problemId, qint64 endMs)
{
    for (StoredProblem &problem : m_problems) {
        if (problem.problemId == problemId) {
            if (!problem.isOpen())
                return false;
            problem.endMs = std::max(endMs, problem.startMs);
            Q_EMIT problemClosed(problem);
            return true;
        }
    }
    return false;
}

void ProblemStore::removeEndedBefore(qint64 ms)
{
    m_problems.removeIf([ms](const StoredProblem &problem) { return problem.endMs && *problem.endMs < ms; });
}

void ProblemStore::clear()
{
    m_problems.clear();
}

const StoredProblem *ProblemStore::find(const QString &problemId) const
{
    for (const StoredProblem &problem : m_problems) {
        if (problem.problemId == problemId)
            return &problem;
    }
    return nullptr;
}

bool ProblemStore::addComment(const QString &problemId, ProblemComment comment)
{
    for (StoredProblem &problem : m_problems) {
        if (problem.problemId == problemId) {
            problem.comments.prepend(std::move(comment));
            Q_EMIT commentAdded(problemId, problem.comments.constFirst());
            return true;
        }
    }
    return false;
}

QByteArray ProblemStore::toJson(const StoredProblem &problem)
{
    return dump(problemJson(problem));
}

QByteArray ProblemStore::detailJson(const StoredProblem &problem, const QList<StoredEvent> &evidence,
    int recentCommentCount, const QString &recentNextPageKey)
{
    Json details = Json::array();
    for (const StoredEvent &event : evidence) {
        Json entity { { "entityId", { { "id", utf8(event.entityId) }, { "type", utf8(event.entityType) } } },
            { "name", utf8(event.entityName) } };
        Json item { { "evidenceType", "EVENT" }, { "displayName", utf8(event.title) }, { "entity", entity },
            { "groupingEntity", entity },
            { "rootCauseRelevant",
                event.eventId == problem.eventId
                    || event.properties.value(u"dt.event.is_rootcause_relevant"_s) == u"true"_s
                    || event.eventType == u"CUSTOM_CONFIGURATION"_s },
            { "startTime", event.startMs }, { "eventId", utf8(event.eventId) },
            { "eventType", utf8(event.eventType) } };
        item["endTime"] = event.endMs == StoredEvent::OpenEndMs ? qint64(-1) : event.endMs;
        details.push_back(std::move(item));
    }
    Json json = problemJson(problem);
    json["evidenceDetails"] = Json { { "totalCount", details.size() }, { "details", std::move(details) } };
    json["recentComments"] = commentListJson(problem, 0, recentCommentCount, recentNextPageKey);
    return dump(json);
}

QByteArray ProblemStore::commentsJson(
    const StoredProblem &problem, qsizetype first, int pageSize, const QString &nextPageKey)
{
    return dump(commentListJson(problem, first, pageSize, nextPageKey));
}

} // namespace canary::sim
