#include "eventingest.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

using namespace Qt::Literals::StringLiterals;

namespace canary::dynatrace {

namespace {

const QString PayloadBody = u"PAYLOAD_BODY"_s;

// Dynatrace reserves dt.* for itself; these are the namespaces a caller may still set.
bool isAllowedPropertyKey(const QString &key)
{
    if (!key.startsWith(u"dt."_s))
        return true;
    return key.startsWith(u"dt.event."_s) || key.startsWith(u"dt.davis."_s)
        || key.startsWith(u"dt.entity."_s);
}

QString toQString(const nlohmann::json &value)
{
    return QString::fromStdString(value.get_ref<const std::string &>());
}

} // namespace

QList<ConstraintViolation> EventIngest::violations() const
{
    QList<ConstraintViolation> found;
    if (eventType.trimmed().isEmpty())
        found.append({ u"eventType"_s, u"must not be empty"_s, PayloadBody, {} });
    if (title.trimmed().isEmpty())
        found.append({ u"title"_s, u"must not be empty"_s, PayloadBody, {} });
    if (properties.size() > MaxProperties) {
        found.append({ u"properties"_s,
            u"at most %1 properties are allowed, not %2"_s.arg(MaxProperties).arg(properties.size()),
            PayloadBody, {} });
    }
    for (auto it = properties.cbegin(); it != properties.cend(); ++it) {
        if (it.key().isEmpty()) {
            found.append({ u"properties"_s, u"a property key must not be empty"_s, PayloadBody, {} });
        } else if (!isAllowedPropertyKey(it.key())) {
            found.append({ u"properties."_s + it.key(),
                u"keys under dt. are reserved; only dt.event.*, dt.davis.* and dt.entity.* may be set"_s,
                PayloadBody, {} });
        }
    }
    return found;
}

QByteArray EventIngest::toJson() const
{
    using Json = nlohmann::ordered_json;
    Json body { { "eventType", eventType.toStdString() }, { "title", title.toStdString() } };
    if (!entitySelector.isEmpty())
        body["entitySelector"] = entitySelector.toStdString();
    if (startTimeMs)
        body["startTime"] = *startTimeMs;
    if (endTimeMs)
        body["endTime"] = *endTimeMs;
    if (timeoutMinutes)
        body["timeout"] = *timeoutMinutes;
    Json props = Json::object();
    for (auto it = properties.cbegin(); it != properties.cend(); ++it)
        props[it.key().toStdString()] = it.value().toStdString();
    body["properties"] = std::move(props);
    // dump() throws on invalid UTF-8. QString's conversion never produces any, but nothing may throw from
    // here.
    return QByteArray::fromStdString(body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

bool EventIngestResult::isOk() const
{
    return status == u"OK"_s;
}

bool IngestReport::allAccepted() const
{
    if (skipped || reportCount <= 0 || results.isEmpty())
        return false;
    return std::all_of(results.cbegin(), results.cend(), [](const EventIngestResult &r) { return r.isOk(); });
}

QStringList IngestReport::correlationIds() const
{
    QStringList ids;
    for (const EventIngestResult &result : results) {
        if (!result.correlationId.isEmpty())
            ids.append(result.correlationId);
    }
    return ids;
}

QString IngestReport::failureText() const
{
    if (skipped || allAccepted())
        return {};
    const QString prefix = u"Dynatrace accepted the request but stored "_s;
    if (results.isEmpty()) {
        return prefix
            + (reportCount <= 0 ? u"no event: no entity matched the entity selector"_s
                                : u"no event: the answer lists no result"_s);
    }
    QStringList statuses;
    qsizetype stored = 0;
    for (const EventIngestResult &result : results) {
        if (result.isOk())
            ++stored;
        else if (!statuses.contains(result.status))
            statuses.append(result.status.isEmpty() ? u"(no status)"_s : result.status);
    }
    if (stored == 0)
        return prefix + u"no event: "_s + statuses.join(u", "_s);
    return prefix + u"only %1 of %2 events: "_s.arg(stored).arg(results.size()) + statuses.join(u", "_s);
}

Expected<IngestReport, ApiError> parseIngestReport(QByteArrayView json)
{
    using Json = nlohmann::json;
    if (json.trimmed().isEmpty())
        return ApiError::malformedJson(u"empty body"_s);
    const Json root = Json::parse(json.begin(), json.end(), nullptr, false);
    // The bare text, not jsonParseErrorMessage() with its position: tests/events pins this exact message.
    if (root.is_discarded())
        return ApiError::malformedJson(u"not valid JSON"_s);
    if (!root.is_object())
        return ApiError::unexpectedShape(u"root: expected an object"_s);

    IngestReport report;
    const auto count = root.find("reportCount");
    if (count == root.end())
        return ApiError::unexpectedShape(u"reportCount: missing"_s);
    if (!count->is_number_integer() || count->get<std::int64_t>() < 0
        || count->get<std::int64_t>() > std::numeric_limits<int>::max())
        return ApiError::unexpectedShape(u"reportCount: expected a count"_s);
    report.reportCount = int(count->get<std::int64_t>());

    const auto results = root.find("eventIngestResults");
    if (results == root.end() || results->is_null())
        return report;
    if (!results->is_array())
        return ApiError::unexpectedShape(u"eventIngestResults: expected an array"_s);
    for (std::size_t i = 0; i < results->size(); ++i) {
        const Json &item = (*results)[i];
        const QString path = u"eventIngestResults[%1]"_s.arg(i);
        if (!item.is_object())
            return ApiError::unexpectedShape(path + u": expected an object"_s);
        EventIngestResult result;
        const auto status = item.find("status");
        if (status == item.end() || !status->is_string())
            return ApiError::unexpectedShape(path + u".status: expected a string"_s);
        result.status = toQString(*status);
        const auto correlation = item.find("correlationId");
        if (correlation != item.end() && !correlation->is_null()) {
            if (!correlation->is_string())
                return ApiError::unexpectedShape(path + u".correlationId: expected a string"_s);
            result.correlationId = toQString(*correlation);
        }
        report.results.append(result);
    }
    return report;
}

} // namespace canary::dynatrace
