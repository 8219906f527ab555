#include "feedparser.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "util/jsonparse.h"

using namespace Qt::Literals::StringLiterals;
using Json = nlohmann::json;

namespace canary::dynatrace {

namespace {

const QString Open = u"OPEN"_s;
const QString Closed = u"CLOSED"_s;

// Beyond this many UTF-8 bytes a value certainly has more than MaxPropertyValueChars characters, so only
// that prefix is decoded: a megabyte value costs a 256 KiB conversion, not a megabyte one.
constexpr std::size_t MaxDecodedBytes = std::size_t(MaxPropertyValueChars) * 4;

QString capped(const std::string &utf8)
{
    QString text = utf8.size() > MaxDecodedBytes ? QString::fromUtf8(utf8.data(), qsizetype(MaxDecodedBytes))
                                                 : QString::fromStdString(utf8);
    if (text.size() <= MaxPropertyValueChars)
        return text;
    qsizetype keep = MaxPropertyValueChars - 1;
    if (text.at(keep - 1).isHighSurrogate()) // never leave half a surrogate pair behind
        --keep;
    text.truncate(keep);
    return text + QChar(0x2026);
}

// Any JSON value as text: strings as they are, null as nothing, everything else as compact JSON (numbers,
// booleans, objects, arrays). dump() replaces invalid UTF-8 instead of throwing.
QString textOf(const Json &value)
{
    if (value.is_string())
        return capped(value.get_ref<const std::string &>());
    if (value.is_null())
        return {};
    return capped(value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

QString keyPath(const QString &parent, const char *key)
{
    return parent.isEmpty() ? QString::fromLatin1(key) : parent + u'.' + QString::fromLatin1(key);
}

QString indexPath(const QString &parent, std::size_t index)
{
    return parent + u'[' + QString::number(index) + u']';
}

const Json *member(const Json &object, const char *key)
{
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

// A member as text, absent and null both empty: ids, titles and enums that vary between tenants.
QString lenientText(const Json &object, const char *key)
{
    const Json *value = member(object, key);
    return value ? textOf(*value) : QString();
}

// Epoch milliseconds: integers, and doubles holding one (some serializers write 1.6643238E12).
std::optional<qint64> epochMs(const Json &value)
{
    if (value.is_number_unsigned()) {
        const auto number = value.get<std::uint64_t>();
        if (number > std::uint64_t(std::numeric_limits<qint64>::max()))
            return std::nullopt;
        return qint64(number);
    }
    if (value.is_number_integer())
        return value.get<std::int64_t>();
    if (value.is_number_float()) {
        const double number = value.get<double>();
        constexpr double limit = 9223372036854775808.0; // 2^63, exactly representable
        if (!std::isfinite(number) || std::trunc(number) != number || number < -limit || number >= limit)
            return std::nullopt;
        return qint64(number);
    }
    return std::nullopt;
}

// Remembers the first shape error with its JSON path; every reader returns false once something is wrong.
class FeedReader
{
public:
    std::optional<ApiError> error;

    bool fail(const QString &path, const QString &expectation)
    {
        if (!error)
            error = ApiError::unexpectedShape(path + u": "_s + expectation);
        return false;
    }

    bool root(QByteArrayView json, Json &out)
    {
        if (json.trimmed().isEmpty()) {
            error = ApiError::malformedJson(u"empty body"_s);
            return false;
        }
        out = Json::parse(json.begin(), json.end(), nullptr, false);
        if (out.is_discarded()) {
            error = ApiError::malformedJson(jsonParseErrorMessage(json));
            return false;
        }
        return out.is_object() || fail(u"root"_s, u"expected an object"_s);
    }

    // The list every page carries: an array, whatever else is missing.
    bool list(const Json &root, const char *key, const Json *&out)
    {
        out = member(root, key);
        if (!out)
            return fail(QString::fromLatin1(key), u"missing"_s);
        return out->is_array() || fail(QString::fromLatin1(key), u"expected an array"_s);
    }

    bool startTime(const Json &object, const QString &parent, qint64 &out)
    {
        const Json *value = member(object, "startTime");
        if (!value)
            return fail(keyPath(parent, "startTime"), u"missing"_s);
        const auto ms = epochMs(*value);
        if (!ms)
            return fail(keyPath(parent, "startTime"), u"expected epoch milliseconds"_s);
        out = *ms;
        return true;
    }

    // -1 (what tenants send), null (what the schema says) or missing: still open.
    bool endTime(const Json &object, const QString &parent, std::optional<qint64> &out)
    {
        out.reset();
        const Json *value = member(object, "endTime");
        if (!value || value->is_null())
            return true;
        const auto ms = epochMs(*value);
        if (!ms)
            return fail(keyPath(parent, "endTime"), u"expected epoch milliseconds, -1 or null"_s);
        if (*ms >= 0)
            out = *ms;
        return true;
    }

    bool totalCount(const Json &root, qint64 fallback, qint64 &out)
    {
        out = fallback;
        const Json *value = member(root, "totalCount");
        if (!value || value->is_null())
            return true;
        const auto count = epochMs(*value);
        if (!count || *count < 0)
            return fail(u"totalCount"_s, u"expected a count"_s);
        out = *count;
        return true;
    }

    // The docs' JSON model writes "null" as a string; live tenants send null or leave it out.
    static QString nextPageKey(const Json &root)
    {
        const Json *value = member(root, "nextPageKey");
        if (!value || !value->is_string())
            return {};
        QString key = QString::fromStdString(value->get_ref<const std::string &>());
        return key == u"null"_s ? QString() : key;
    }

    // {"entityId":{"id":…,"type":…},"name":…}; a bare id string is taken as the id.
    static EntityStub entity(const Json &value)
    {
        EntityStub stub;
        if (value.is_string()) {
            stub.id = textOf(value);
            return stub;
        }
        if (!value.is_object())
            return stub;
        if (const Json *id = member(value, "entityId")) {
            if (id->is_object()) {
                stub.id = lenientText(*id, "id");
                stub.type = lenientText(*id, "type");
            } else {
                stub.id = textOf(*id);
            }
        }
        stub.name = lenientText(value, "name");
        return stub;
    }

    static std::vector<EntityStub> entities(const Json &object, const char *key)
    {
        std::vector<EntityStub> stubs;
        const Json *list = member(object, key);
        if (!list || !list->is_array())
            return stubs;
        for (const Json &item : *list) {
            if (item.is_object())
                stubs.push_back(entity(item));
        }
        return stubs;
    }

    // The documented [{key,value}] list, or an object map. Entries without a usable key are skipped; a later
    // duplicate wins, as it would in the map Dynatrace keeps.
    static QMap<QString, QString> properties(const Json &event)
    {
        QMap<QString, QString> map;
        const Json *value = member(event, "properties");
        if (!value)
            return map;
        if (value->is_object()) {
            for (auto it = value->begin(); it != value->end(); ++it)
                map.insert(QString::fromStdString(it.key()), textOf(*it));
        } else if (value->is_array()) {
            for (const Json &item : *value) {
                if (!item.is_object())
                    continue;
                const Json *key = member(item, "key");
                if (!key || key->is_null() || key->is_object() || key->is_array())
                    continue;
                const Json *text = member(item, "value");
                map.insert(textOf(*key), text ? textOf(*text) : QString());
            }
        }
        return map;
    }

    bool event(const Json &json, const QString &path, Event &out)
    {
        if (!json.is_object())
            return fail(path, u"expected an object"_s);
        out.eventId = lenientText(json, "eventId");
        out.eventType = lenientText(json, "eventType");
        out.title = lenientText(json, "title");
        if (!startTime(json, path, out.startMs) || !endTime(json, path, out.endMs))
            return false;
        out.status = lenientText(json, "status");
        if (out.status.isEmpty())
            out.status = out.endMs ? Closed : Open;
        if (const Json *entityJson = member(json, "entityId")) {
            const EntityStub stub = entity(*entityJson);
            out.entityId = stub.id;
            out.entityName = stub.name;
        }
        out.correlationId = lenientText(json, "correlationId");
        out.properties = properties(json);
        return true;
    }

    bool problem(const Json &json, const QString &path, Problem &out)
    {
        if (!json.is_object())
            return fail(path, u"expected an object"_s);
        out.problemId = lenientText(json, "problemId");
        out.displayId = lenientText(json, "displayId");
        out.title = lenientText(json, "title");
        out.severityLevel = lenientText(json, "severityLevel");
        out.impactLevel = lenientText(json, "impactLevel");
        if (!startTime(json, path, out.startMs) || !endTime(json, path, out.endMs))
            return false;
        out.status = lenientText(json, "status");
        if (out.status.isEmpty())
            out.status = out.endMs ? Closed : Open;
        if (const Json *rootCause = member(json, "rootCauseEntity"); rootCause && rootCause->is_object())
            out.rootCause = entity(*rootCause);
        out.affectedEntities = entities(json, "affectedEntities");
        out.impactedEntities = entities(json, "impactedEntities");
        return true;
    }
};

} // namespace

Expected<EventPage, ApiError> parseEventPage(QByteArrayView json)
{
    FeedReader reader;
    Json root;
    const Json *events = nullptr;
    if (!reader.root(json, root) || !reader.list(root, "events", events))
        return *reader.error;
    EventPage page;
    page.events.reserve(events->size());
    for (std::size_t i = 0; i < events->size(); ++i) {
        Event event;
        if (!reader.event((*events)[i], indexPath(u"events"_s, i), event))
            return *reader.error;
        page.events.push_back(std::move(event));
    }
    if (!reader.totalCount(root, qint64(page.events.size()), page.totalCount))
        return *reader.error;
    page.nextPageKey = FeedReader::nextPageKey(root);
    return page;
}

Expected<ProblemPage, ApiError> parseProblemPage(QByteArrayView json)
{
    FeedReader reader;
    Json root;
    const Json *problems = nullptr;
    if (!reader.root(json, root) || !reader.list(root, "problems", problems))
        return *reader.error;
    ProblemPage page;
    page.problems.reserve(problems->size());
    for (std::size_t i = 0; i < problems->size(); ++i) {
        Problem problem;
        if (!reader.problem((*problems)[i], indexPath(u"problems"_s, i), problem))
            return *reader.error;
        page.problems.push_back(std::move(problem));
    }
    if (!reader.totalCount(root, qint64(page.problems.size()), page.totalCount))
        return *reader.error;
    page.nextPageKey = FeedReader::nextPageKey(root);
    return page;
}

Expected<Problem, ApiError> parseProblem(QByteArrayView json)
{
    FeedReader reader;
    Json root;
    Problem problem;
    if (!reader.root(json, root) || !reader.problem(root, QString(), problem))
        return *reader.error;
    return problem;
}

} // namespace canary::dynatrace
