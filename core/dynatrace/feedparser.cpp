#include "feedparser.h"

#include <cmath>
#include <limits>
#include <string_view>

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

// As sent; without one, derived from the end time.
QString statusOr(QString status, const std::optional<qint64> &endMs)
{
    if (status.isEmpty())
        return endMs ? Closed : Open;
    return status;
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

    bool notEmpty(QByteArrayView json)
    {
        if (!json.trimmed().isEmpty())
            return true;
        error = ApiError::malformedJson(u"empty body"_s);
        return false;
    }

    bool malformed(QByteArrayView json)
    {
        error = ApiError::malformedJson(jsonParseErrorMessage(json));
        return false;
    }

    bool root(QByteArrayView json, Json &out)
    {
        if (!notEmpty(json))
            return false;
        out = Json::parse(json.begin(), json.end(), nullptr, false);
        if (out.is_discarded())
            return malformed(json);
        return rootIsObject(out.is_object());
    }

    bool rootIsObject(bool isObject) { return isObject || fail(u"root"_s, u"expected an object"_s); }

    // The list every page carries: an array, whatever else is missing.
    bool list(const char *key, bool present, bool isArray)
    {
        if (!present)
            return fail(QString::fromLatin1(key), u"missing"_s);
        return isArray || fail(QString::fromLatin1(key), u"expected an array"_s);
    }

    bool list(const Json &root, const char *key, const Json *&out)
    {
        out = member(root, key);
        return list(key, out, out && out->is_array());
    }

    // `value` is null when the member is missing.
    bool startTime(const Json *value, const QString &parent, qint64 &out)
    {
        if (!value)
            return fail(keyPath(parent, "startTime"), u"missing"_s);
        const auto ms = epochMs(*value);
        if (!ms)
            return fail(keyPath(parent, "startTime"), u"expected epoch milliseconds"_s);
        out = *ms;
        return true;
    }

    // -1 (what tenants send), null (what the schema says) or missing: still open.
    bool endTime(const Json *value, const QString &parent, std::optional<qint64> &out)
    {
        out.reset();
        if (!value || value->is_null())
            return true;
        const auto ms = epochMs(*value);
        if (!ms)
            return fail(keyPath(parent, "endTime"), u"expected epoch milliseconds, -1 or null"_s);
        if (*ms >= 0)
            out = *ms;
        return true;
    }

    bool totalCount(const Json *value, qint64 fallback, qint64 &out)
    {
        out = fallback;
        if (!value || value->is_null())
            return true;
        const auto count = epochMs(*value);
        if (!count || *count < 0)
            return fail(u"totalCount"_s, u"expected a count"_s);
        out = *count;
        return true;
    }

    // The docs' JSON model writes "null" as a string; live tenants send null or leave it out.
    static QString nextPageKey(const std::string &value)
    {
        QString key = QString::fromStdString(value);
        return key == u"null"_s ? QString() : key;
    }

    static QString nextPageKey(const Json &root)
    {
        const Json *value = member(root, "nextPageKey");
        return value && value->is_string() ? nextPageKey(value->get_ref<const std::string &>()) : QString();
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

    bool problem(const Json &json, const QString &path, Problem &out)
    {
        if (!json.is_object())
            return fail(path, u"expected an object"_s);
        out.problemId = lenientText(json, "problemId");
        out.displayId = lenientText(json, "displayId");
        out.title = lenientText(json, "title");
        out.severityLevel = lenientText(json, "severityLevel");
        out.impactLevel = lenientText(json, "impactLevel");
        if (!startTime(member(json, "startTime"), path, out.startMs)
            || !endTime(member(json, "endTime"), path, out.endMs))
            return false;
        out.status = statusOr(lenientText(json, "status"), out.endMs);
        if (const Json *rootCause = member(json, "rootCauseEntity"); rootCause && rootCause->is_object())
            out.rootCause = entity(*rootCause);
        out.affectedEntities = entities(json, "affectedEntities");
        out.impactedEntities = entities(json, "impactedEntities");
        return true;
    }
};

// One nested value built the way nlohmann's DOM parser builds it (keys sorted, a later duplicate winning),
// so that a property value that is an object or an array prints exactly as it did from the page's DOM.
class ValueBuilder
{
public:
    bool active() const { return !m_stack.empty(); }

    void open(bool array) { m_stack.push_back(place(array ? Json::array() : Json::object())); }
    void key(const std::string &key) { m_element = &(*m_stack.back())[key]; }
    void add(Json &&value) { place(std::move(value)); }

    // True once the outermost container is closed: take() then hands out the whole value.
    bool close()
    {
        m_stack.pop_back();
        return m_stack.empty();
    }

    Json take() { return std::move(m_root); }

private:
    Json *place(Json &&value)
    {
        if (m_stack.empty()) {
            m_root = std::move(value);
            return &m_root;
        }
        Json &parent = *m_stack.back();
        if (parent.is_array()) {
            parent.push_back(std::move(value));
            return &parent.back();
        }
        *m_element = std::move(value);
        return m_element;
    }

    Json m_root;
    std::vector<Json *> m_stack; // the open containers; pointers stay valid while they are open
    Json *m_element = nullptr; // where the value after the last key goes
};

// GET /api/v2/events straight from nlohmann's SAX events into Event values. A page's DOM costs more than
// twice the parse itself, and most of every event (entityTags, managementZones, …) is never read: those
// subtrees are only counted through. The rules are FeedReader's, checked once the whole body has parsed (a
// malformed body wins over any shape error, as with the DOM), and a duplicate key means what it meant in the
// DOM: the later value wins.
class EventPageReader final : public nlohmann::json_sax<Json>
{
public:
    EventPage page;

    // After a successful sax_parse: the first shape error in the order the DOM reader checked, if any.
    std::optional<ApiError> finish()
    {
        FeedReader reader;
        if (!reader.rootIsObject(m_rootIsObject)
            || !reader.list("events", m_events != List::Missing, m_events == List::Array))
            return reader.error;
        if (m_eventError)
            return m_eventError;
        if (!reader.totalCount(
                m_totalCount ? &*m_totalCount : nullptr, qint64(page.events.size()), page.totalCount))
            return reader.error;
        return std::nullopt;
    }

    bool null() override { return scalar(Json()); }
    bool boolean(bool value) override { return scalar(Json(value)); }
    bool number_integer(number_integer_t value) override { return scalar(Json(value)); }
    bool number_unsigned(number_unsigned_t value) override { return scalar(Json(value)); }
    bool number_float(number_float_t value, const string_t &) override { return scalar(Json(value)); }
    bool binary(binary_t &) override { return true; } // JSON text has none
    bool string(string_t &value) override;
    bool start_object(std::size_t) override { return open(false); }
    bool start_array(std::size_t) override { return open(true); }
    bool key(string_t &key) override;
    bool end_object() override { return close(); }
    bool end_array() override { return close(); }
    // The caller reports the error in jsonParseErrorMessage()'s words; returning false stops without
    // throwing.
    bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &) override
    {
        return false;
    }

private:
    // What the next value is to the page.
    enum class Slot : quint8 {
        Skip, // nobody reads it, nor anything inside it
        Root,
        Events,
        TotalCount,
        NextPageKey,
        Event, // an entry of events
        EventId,
        EventType,
        Title,
        Status,
        CorrelationId,
        StartTime,
        EndTime,
        Entity, // the event's entityId: {"entityId":…,"name":…} or a bare id
        EntityRef, // the entityId inside that: {"id":…,"type":…}, or the id as any value
        EntityRefId,
        EntityName,
        Properties,
        PropertyMapValue, // a value of the object map form
        PropertyItem, // an entry of the [{key,value}] list
        PropertyKey,
        PropertyValue,
    };

    struct Frame
    {
        Slot slot;
        bool array;
    };

    enum class List : quint8 { Missing, NotArray, Array };

    static bool isText(Slot slot)
    {
        switch (slot) {
        case Slot::EventId:
        case Slot::EventType:
        case Slot::Title:
        case Slot::Status:
        case Slot::CorrelationId:
        case Slot::EntityRef:
        case Slot::EntityRefId:
        case Slot::EntityName:
        case Slot::PropertyMapValue:
        case Slot::PropertyKey:
        case Slot::PropertyValue:
            return true;
        default:
            return false;
        }
    }

    Slot next() const
    {
        if (m_stack.empty())
            return Slot::Root;
        const Frame &top = m_stack.back();
        if (!top.array)
            return m_next;
        if (top.slot == Slot::Events)
            return Slot::Event;
        return top.slot == Slot::Properties ? Slot::PropertyItem : Slot::Skip;
    }

    bool scalar(Json &&value);
    bool open(bool array);
    bool close();
    void text(Slot slot, QString &&value);
    void beginEvents(bool array);
    void failEntry();
    void endEvent();

    std::vector<Frame> m_stack; // the containers being read, the root object first
    Slot m_next = Slot::Skip; // the slot of the value after the last key
    int m_skipDepth = 0; // > 0 inside a subtree nobody reads
    ValueBuilder m_capture; // active inside an object or array read as text
    Slot m_captureSlot = Slot::Skip;

    bool m_rootIsObject = false;
    List m_events = List::Missing;
    std::optional<ApiError> m_eventError; // the first bad entry of the (last) events list
    std::optional<Json> m_totalCount; // unset while missing

    // The event being read; its times unset while missing.
    Event m_event;
    std::optional<Json> m_startTime;
    std::optional<Json> m_endTime;
    std::string m_propertyKey; // of the object map form
    std::optional<QString> m_itemKey; // of a list entry; unset while missing or unusable
    QString m_itemValue;
};

bool EventPageReader::string(string_t &value)
{
    if (m_skipDepth > 0)
        return true;
    if (m_capture.active() || !isText(next()))
        return scalar(Json(value)); // rare outside text slots: the copy does not matter there
    text(next(), capped(value));
    return true;
}

bool EventPageReader::scalar(Json &&value)
{
    if (m_skipDepth > 0)
        return true;
    if (m_capture.active()) {
        m_capture.add(std::move(value));
        return true;
    }
    const Slot slot = next();
    switch (slot) {
    case Slot::Root:
        m_rootIsObject = false;
        break;
    case Slot::Events:
        beginEvents(false);
        break;
    case Slot::TotalCount:
        m_totalCount = std::move(value);
        break;
    case Slot::NextPageKey:
        page.nextPageKey
            = value.is_string() ? FeedReader::nextPageKey(value.get_ref<const std::string &>()) : QString();
        break;
    case Slot::Event:
        failEntry();
        break;
    case Slot::StartTime:
        m_startTime = std::move(value);
        break;
    case Slot::EndTime:
        m_endTime = std::move(value);
        break;
    case Slot::Entity:
        m_event.entityId = value.is_string() ? textOf(value) : QString();
        m_event.entityName.clear();
        break;
    case Slot::Properties:
        m_event.properties.clear();
        break;
    case Slot::PropertyKey:
        if (value.is_null())
            m_itemKey.reset();
        else
            text(slot, textOf(value));
        break;
    default:
        if (isText(slot))
            text(slot, textOf(value));
        break;
    }
    return true;
}

bool EventPageReader::open(bool array)
{
    if (m_skipDepth > 0) {
        ++m_skipDepth;
        return true;
    }
    if (m_capture.active()) {
        m_capture.open(array);
        return true;
    }
    const Slot slot = next();
    bool read = false; // push a frame and read inside; otherwise count through it
    switch (slot) {
    case Slot::Root:
        m_rootIsObject = read = !array;
        break;
    case Slot::Events:
        beginEvents(array);
        read = array;
        break;
    case Slot::Event:
        if (array) {
            failEntry();
        } else if (!m_eventError) {
            m_event = Event();
            m_startTime.reset();
            m_endTime.reset();
            read = true;
        }
        break;
    case Slot::TotalCount:
    case Slot::StartTime:
    case Slot::EndTime:
        scalar(array ? Json::array() : Json::object()); // kept only to be refused as a number
        break;
    case Slot::NextPageKey:
        page.nextPageKey.clear();
        break;
    case Slot::Entity:
        m_event.entityId.clear();
        m_event.entityName.clear();
        read = !array;
        break;
    case Slot::EntityRef:
        m_event.entityId.clear();
        if (array) {
            m_captureSlot = slot;
            m_capture.open(true);
            return true;
        }
        read = true;
        break;
    case Slot::Properties:
        m_event.properties.clear();
        read = true;
        break;
    case Slot::PropertyItem:
        if (!array) {
            m_itemKey.reset();
            m_itemValue.clear();
            read = true;
        }
        break;
    case Slot::PropertyKey:
        m_itemKey.reset();
        break;
    case Slot::Skip:
        break;
    default:
        if (isText(slot)) {
            m_captureSlot = slot;
            m_capture.open(array);
            return true;
        }
        break;
    }
    if (read)
        m_stack.push_back({ slot, array });
    else
        m_skipDepth = 1;
    return true;
}

bool EventPageReader::key(string_t &key)
{
    if (m_skipDepth > 0)
        return true;
    if (m_capture.active()) {
        m_capture.key(key);
        return true;
    }
    const std::string_view name = key;
    m_next = Slot::Skip;
    switch (m_stack.back().slot) {
    case Slot::Root:
        if (name == "events")
            m_next = Slot::Events;
        else if (name == "totalCount")
            m_next = Slot::TotalCount;
        else if (name == "nextPageKey")
            m_next = Slot::NextPageKey;
        break;
    case Slot::Event:
        if (name == "eventId")
            m_next = Slot::EventId;
        else if (name == "eventType")
            m_next = Slot::EventType;
        else if (name == "title")
            m_next = Slot::Title;
        else if (name == "startTime")
            m_next = Slot::StartTime;
        else if (name == "endTime")
            m_next = Slot::EndTime;
        else if (name == "status")
            m_next = Slot::Status;
        else if (name == "entityId")
            m_next = Slot::Entity;
        else if (name == "correlationId")
            m_next = Slot::CorrelationId;
        else if (name == "properties")
            m_next = Slot::Properties;
        break;
    case Slot::Entity:
        if (name == "entityId")
            m_next = Slot::EntityRef;
        else if (name == "name")
            m_next = Slot::EntityName;
        break;
    case Slot::EntityRef:
        if (name == "id")
            m_next = Slot::EntityRefId;
        break;
    case Slot::Properties:
        m_propertyKey = key;
        m_next = Slot::PropertyMapValue;
        break;
    case Slot::PropertyItem:
        if (name == "key")
            m_next = Slot::PropertyKey;
        else if (name == "value")
            m_next = Slot::PropertyValue;
        break;
    default:
        break;
    }
    return true;
}

bool EventPageReader::close()
{
    if (m_skipDepth > 0) {
        --m_skipDepth;
        return true;
    }
    if (m_capture.active()) {
        if (m_capture.close())
            text(m_captureSlot, textOf(m_capture.take()));
        return true;
    }
    const Slot slot = m_stack.back().slot;
    m_stack.pop_back();
    if (slot == Slot::Event)
        endEvent();
    else if (slot == Slot::PropertyItem && m_itemKey)
        m_event.properties.insert(*m_itemKey, m_itemValue);
    return true;
}

void EventPageReader::text(Slot slot, QString &&value)
{
    switch (slot) {
    case Slot::EventId:
        m_event.eventId = std::move(value);
        break;
    case Slot::EventType:
        m_event.eventType = std::move(value);
        break;
    case Slot::Title:
        m_event.title = std::move(value);
        break;
    case Slot::Status:
        m_event.status = std::move(value);
        break;
    case Slot::CorrelationId:
        m_event.correlationId = std::move(value);
        break;
    case Slot::EntityRef:
    case Slot::EntityRefId:
        m_event.entityId = std::move(value);
        break;
    case Slot::EntityName:
        m_event.entityName = std::move(value);
        break;
    case Slot::PropertyMapValue:
        // Distinct keys stay distinct as QStrings (the lexer refuses invalid UTF-8), so inserting in document
        // order ends as the DOM's map did: a later duplicate wins.
        m_event.properties.insert(QString::fromStdString(m_propertyKey), std::move(value));
        break;
    case Slot::PropertyKey:
        m_itemKey = std::move(value);
        break;
    case Slot::PropertyValue:
        m_itemValue = std::move(value);
        break;
    default:
        break;
    }
}

// Each events member replaces what an earlier one said, its first bad entry included.
void EventPageReader::beginEvents(bool array)
{
    m_events = array ? List::Array : List::NotArray;
    m_eventError.reset();
    page.events.clear();
}

void EventPageReader::failEntry()
{
    if (m_eventError)
        return;
    FeedReader reader;
    reader.fail(indexPath(u"events"_s, page.events.size()), u"expected an object"_s);
    m_eventError = reader.error;
}

void EventPageReader::endEvent()
{
    FeedReader reader;
    const QString path = indexPath(u"events"_s, page.events.size());
    if (!reader.startTime(m_startTime ? &*m_startTime : nullptr, path, m_event.startMs)
        || !reader.endTime(m_endTime ? &*m_endTime : nullptr, path, m_event.endMs)) {
        m_eventError = reader.error;
        return;
    }
    m_event.status = statusOr(std::move(m_event.status), m_event.endMs);
    page.events.push_back(std::move(m_event));
}

} // namespace

Expected<EventPage, ApiError> parseEventPage(QByteArrayView json)
{
    FeedReader reader;
    if (!reader.notEmpty(json))
        return *reader.error;
    EventPageReader events;
    if (!Json::sax_parse(json.begin(), json.end(), &events)) {
        reader.malformed(json);
        return *reader.error;
    }
    if (auto error = events.finish())
        return *error;
    return std::move(events.page);
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
    if (!reader.totalCount(member(root, "totalCount"), qint64(page.problems.size()), page.totalCount))
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
