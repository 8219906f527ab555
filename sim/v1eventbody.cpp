#include "v1eventbody.h"

#include <algorithm>
#include <limits>

#include <QMap>

#include <nlohmann/json.hpp>

#include "bodyreader.h"
#include "worldconfig.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

using Json = nlohmann::json;

constexpr qint64 MaxTimeoutMinutes = 120; // v1's cap for problem-opening events

QString toQString(const Json &value)
{
    return QString::fromStdString(value.get_ref<const std::string &>());
}

// The v1 event types, and their v2 spelling where it differs.
const QMap<QString, QString> &v1EventTypes()
{
    static const QMap<QString, QString> types { { u"AVAILABILITY_EVENT"_s, u"AVAILABILITY_EVENT"_s },
        { u"CUSTOM_ALERT"_s, u"CUSTOM_ALERT"_s }, { u"CUSTOM_ANNOTATION"_s, u"CUSTOM_ANNOTATION"_s },
        { u"CUSTOM_CONFIGURATION"_s, u"CUSTOM_CONFIGURATION"_s },
        { u"CUSTOM_DEPLOYMENT"_s, u"CUSTOM_DEPLOYMENT"_s }, { u"CUSTOM_INFO"_s, u"CUSTOM_INFO"_s },
        { u"ERROR_EVENT"_s, u"ERROR_EVENT"_s }, { u"MARKED_FOR_TERMINATION"_s, u"MARKED_FOR_TERMINATION"_s },
        { u"PERFORMANCE_EVENT"_s, u"PERFORMANCE_EVENT"_s },
        { u"RESOURCE_CONTENTION"_s, u"RESOURCE_CONTENTION_EVENT"_s } };
    return types;
}

// The fields each v1 event type requires besides eventType, attachRules and source (events-v1 docs).
QStringList v1RequiredFields(const QString &v1Type)
{
    if (v1Type == u"CUSTOM_CONFIGURATION")
        return { u"description"_s, u"configuration"_s };
    if (v1Type == u"CUSTOM_DEPLOYMENT")
        return { u"deploymentName"_s, u"deploymentVersion"_s };
    if (v1Type == u"CUSTOM_ANNOTATION")
        return { u"annotationType"_s, u"annotationDescription"_s };
    if (v1Type == u"CUSTOM_INFO")
        return { u"description"_s };
    if (v1Type == u"MARKED_FOR_TERMINATION")
        return {};
    return { u"title"_s, u"description"_s }; // the problem-opening types
}

// The v1 fields Dynatrace keeps as dt.event.* properties of the stored event (the screenshot in
// seed-workshop.md §3 shows dt.event.description and dt.event.source; the deployment keys are the reserved
// ones of the v2 docs).
const QList<QPair<const char *, QString>> &v1PropertyFields()
{
    static const QList<QPair<const char *, QString>> fields { { "description", u"dt.event.description"_s },
        { "source", u"dt.event.source"_s }, { "configuration", u"dt.event.configuration"_s },
        { "original", u"dt.event.original"_s }, { "changed", u"dt.event.changed"_s },
        { "deploymentName", u"dt.event.deployment.name"_s },
        { "deploymentVersion", u"dt.event.deployment.version"_s },
        { "deploymentProject", u"dt.event.deployment.project"_s },
        { "ciBackLink", u"dt.event.deployment.ci_back_link"_s },
        { "remediationAction", u"dt.event.deployment.remediation_action_link"_s } };
    return fields;
}

// Collects every constraint violation of a body, as the v1 API lists them all at once.
class V1BodyReader : public BodyReader<Json>
{
public:
    // Strings as they are; numbers and booleans as their JSON text (scripts send "changed": 30).
    static std::optional<QString> scalarText(const Json &value)
    {
        if (value.is_string())
            return toQString(value);
        if (value.is_number() || value.is_boolean())
            return QString::fromStdString(value.dump());
        return std::nullopt;
    }

    QString text(const Json &root, const char *key, bool required)
    {
        const Json *value = member(root, key);
        const QString path = QString::fromLatin1(key);
        if (!value) {
            if (required)
                violate(path, u"must not be null"_s);
            return {};
        }
        const auto scalar = scalarText(*value);
        if (!scalar) {
            violate(path, u"must be a string"_s);
            return {};
        }
        if (required && scalar->trimmed().isEmpty())
            violate(path, u"must not be blank"_s);
        return *scalar;
    }

    std::optional<qint64> time(const Json &root, const char *key)
    {
        return optionalInteger(root, key, u"UTC milliseconds"_s);
    }

    V1EventBody read(const Json &root)
    {
        V1EventBody body;
        body.v1Type = text(root, "eventType", true);
        if (!body.v1Type.trimmed().isEmpty()) {
            body.eventType = v1EventTypes().value(body.v1Type);
            if (body.eventType.isEmpty()) {
                violate(u"eventType"_s,
                    u"'%1' is not a v1 event type; use one of %2"_s.arg(
                        body.v1Type, v1EventTypes().keys().join(u", "_s)));
            }
        }
        readAttachRules(root, body);

        QMap<QString, QString> fields;
        for (const char *key : { "title", "description", "configuration", "original", "changed",
                 "deploymentName", "deploymentVersion", "deploymentProject", "ciBackLink",
                 "remediationAction", "annotationType", "annotationDescription", "source" }) {
            fields.insert(QString::fromLatin1(key), text(root, key, false));
        }
        if (!member(root, "source"))
            violate(u"source"_s, u"must not be null"_s);
        else if (fields.value(u"source"_s).trimmed().isEmpty())
            violate(u"source"_s, u"must not be blank"_s);
        if (!body.eventType.isEmpty()) {
            for (const QString &required : v1RequiredFields(body.v1Type)) {
                if (fields.value(required).trimmed().isEmpty())
                    violate(required, u"must not be blank for %1 events"_s.arg(body.v1Type));
            }
        }
        // What the v2 API shows as the title: the v1 title where the type has one, else what describes it.
        for (const QString &candidate : { u"title"_s, u"description"_s, u"deploymentName"_s,
                 u"annotationDescription"_s, u"annotationType"_s }) {
            if (body.title.isEmpty())
                body.title = fields.value(candidate).trimmed();
        }
        if (body.title.isEmpty())
            body.title = body.eventType;

        body.start = time(root, "start");
        body.end = time(root, "end");
        if (const Json *timeout = member(root, "timeoutMinutes")) {
            if (!timeout->is_number_integer() || timeout->get<qint64>() < 1)
                violate(u"timeoutMinutes"_s, u"must be a whole number of minutes, at least 1"_s);
            else
                body.timeoutMinutes = std::min<qint64>(timeout->get<qint64>(), MaxTimeoutMinutes);
        }
        readCustomProperties(root, body);
        for (const auto &[key, property] : v1PropertyFields()) {
            const QString value = fields.value(QString::fromLatin1(key));
            if (!value.isEmpty())
                body.properties.insert(property, value);
        }
        return body;
    }

private:
    void readAttachRules(const Json &root, V1EventBody &body)
    {
        const Json *rules = member(root, "attachRules");
        if (!rules || !rules->is_object()) {
            violate(u"attachRules"_s, rules ? u"must be an object"_s : u"must not be null"_s);
            return;
        }
        if (const Json *ids = member(*rules, "entityIds")) {
            if (!ids->is_array()) {
                violate(u"attachRules.entityIds"_s, u"must be an array of entity ids"_s);
            } else {
                for (const Json &id : *ids) {
                    if (id.is_string())
                        body.entityIds.append(toQString(id));
                    else
                        violate(u"attachRules.entityIds"_s, u"must be an array of entity ids"_s);
                }
            }
        }
        if (const Json *tagRule = member(*rules, "tagRule")) {
            // The workshop's scripts send one object where the schema has an array: Dynatrace took both.
            if (tagRule->is_object())
                readTagRule(*tagRule, u"attachRules.tagRule"_s, body);
            else if (tagRule->is_array())
                for (std::size_t i = 0; i < tagRule->size(); ++i)
                    readTagRule((*tagRule)[i], u"attachRules.tagRule[%1]"_s.arg(i), body);
            else
                violate(u"attachRules.tagRule"_s, u"must be an array of tag rules"_s);
        }
        const bool anyTag = std::any_of(body.tagRules.cbegin(), body.tagRules.cend(),
            [](const V1EventBody::TagRule &rule) { return !rule.tags.isEmpty(); });
        if (body.entityIds.isEmpty() && !anyTag)
            violate(u"attachRules"_s, u"must name at least one entity id or tag"_s);
    }

    void readTagRule(const Json &json, const QString &path, V1EventBody &body)
    {
        if (!json.is_object()) {
            violate(path, u"must be an object with meTypes and tags"_s);
            return;
        }
        V1EventBody::TagRule rule;
        if (const Json *types = member(json, "meTypes")) {
            const Json list = types->is_array() ? *types : Json::array({ *types });
            for (const Json &type : list) {
                if (type.is_string())
                    rule.meTypes.append(toQString(type).toUpper());
                else
                    violate(path + u".meTypes"_s, u"must be an array of entity types"_s);
            }
        }
        if (const Json *tags = member(json, "tags")) {
            const Json list = tags->is_array() ? *tags : Json::array({ *tags });
            for (const Json &tag : list) {
                if (tag.is_string()) {
                    rule.tags.append(TagInfo::parse(toQString(tag)));
                } else if (tag.is_object() && member(tag, "key") && member(tag, "key")->is_string()) {
                    TagInfo info;
                    const Json *context = member(tag, "context");
                    info.context
                        = context && context->is_string() ? toQString(*context).toUpper() : u"CONTEXTLESS"_s;
                    info.key = toQString(*member(tag, "key"));
                    if (const Json *value = member(tag, "value"); value && value->is_string()) {
                        info.value = toQString(*value);
                        info.hasValue = true;
                    }
                    rule.tags.append(info);
                } else {
                    violate(path + u".tags"_s, u"each tag must be {context, key, value} or a tag string"_s);
                }
            }
        }
        body.tagRules.append(rule);
    }

    void readCustomProperties(const Json &root, V1EventBody &body)
    {
        const Json *properties = member(root, "customProperties");
        if (!properties)
            return;
        if (!properties->is_object()) {
            violate(u"customProperties"_s, u"must be an object of string values"_s);
            return;
        }
        for (auto it = properties->begin(); it != properties->end(); ++it) {
            const auto value = scalarText(*it);
            if (value)
                body.properties.insert(QString::fromStdString(it.key()), *value);
            else
                violate(u"customProperties."_s + QString::fromStdString(it.key()), u"must be a string"_s);
        }
    }
};

} // namespace

bool V1EventBody::TagRule::matches(const ServiceInfo &service) const
{
    if (tags.isEmpty() || (!meTypes.isEmpty() && !meTypes.contains(u"SERVICE"_s)))
        return false;
    return std::all_of(tags.cbegin(), tags.cend(), [&](const TagInfo &wanted) {
        return std::any_of(service.tags.cbegin(), service.tags.cend(),
            [&](const QString &tag) { return TagInfo::parse(tag).satisfies(wanted); });
    });
}

bool V1EventBody::attachesTo(const ServiceInfo &service) const
{
    return entityIds.contains(service.id)
        || std::any_of(
            tagRules.cbegin(), tagRules.cend(), [&](const TagRule &rule) { return rule.matches(service); });
}

canary::Expected<V1EventBody, SimError> V1EventBody::parse(const QByteArray &json)
{
    const Json root = Json::parse(json.cbegin(), json.cend(), nullptr, false);
    if (root.is_discarded() || !root.is_object()) {
        return SimError { 400, u"Constraints violated."_s,
            { { u"body"_s, u"must be a JSON object (EventCreation)"_s, u"PAYLOAD_BODY"_s } } };
    }
    V1BodyReader reader;
    V1EventBody body = reader.read(root);
    if (!reader.violations.isEmpty())
        return SimError { 400, u"Constraints violated."_s, reader.violations };
    return body;
}

} // namespace canary::sim
