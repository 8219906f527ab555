#include "metricsparser.h"

#include <cmath>
#include <limits>

#include <QLocale>

#include <nlohmann/json.hpp>

#include "util/jsonparse.h"

using namespace Qt::Literals::StringLiterals;
using Json = nlohmann::json;

namespace canary::dynatrace {

namespace {

// Parses the whole body; on failure returns the ApiError to hand back.
std::optional<ApiError> parseRoot(QByteArrayView json, Json &root)
{
    if (json.trimmed().isEmpty())
        return ApiError::malformedJson(u"empty body"_s);
    root = Json::parse(json.begin(), json.end(), nullptr, false);
    if (root.is_discarded())
        return ApiError::malformedJson(jsonParseErrorMessage(json));
    if (!root.is_object())
        return ApiError::unexpectedShape(u"root: expected an object"_s);
    return std::nullopt;
}

QString toQString(const Json &value)
{
    return QString::fromStdString(value.get_ref<const std::string &>());
}

QString keyPath(const QString &parent, const char *key)
{
    return parent.isEmpty() ? QString::fromLatin1(key) : parent + u'.' + QString::fromLatin1(key);
}

QString indexPath(const QString &parent, std::size_t index)
{
    return parent + u'[' + QString::number(index) + u']';
}

// Walks the DOM and remembers the first shape error with its JSON path. Every reader returns false once
// something is wrong, so callers can bail out with a plain `if (!...) return false;`.
class ShapeReader
{
public:
    std::optional<ApiError> error;

    bool fail(const QString &path, const QString &expectation)
    {
        if (!error)
            error = ApiError::unexpectedShape(path + u": "_s + expectation);
        return false;
    }

    // Returns the member or nullptr when it is absent.
    static const Json *member(const Json &object, const char *key)
    {
        const auto it = object.find(key);
        return it == object.end() ? nullptr : &*it;
    }

    bool requireMember(const Json &object, const char *key, const QString &parent, const Json *&out)
    {
        out = member(object, key);
        return out ? true : fail(keyPath(parent, key), u"missing"_s);
    }

    // Absent and null both leave `out` untouched: optional fields.
    bool optionalString(const Json &object, const char *key, const QString &parent, QString &out)
    {
        const Json *value = member(object, key);
        if (!value || value->is_null())
            return true;
        if (!value->is_string())
            return fail(keyPath(parent, key), u"expected a string"_s);
        out = toQString(*value);
        return true;
    }

    bool requiredString(const Json &object, const char *key, const QString &parent, QString &out)
    {
        const Json *value = nullptr;
        if (!requireMember(object, key, parent, value))
            return false;
        if (!value->is_string())
            return fail(keyPath(parent, key), u"expected a string"_s);
        out = toQString(*value);
        return true;
    }

    bool optionalStringList(const Json &object, const char *key, const QString &parent, QStringList &out)
    {
        const Json *value = member(object, key);
        if (!value || value->is_null())
            return true;
        const QString path = keyPath(parent, key);
        if (!value->is_array())
            return fail(path, u"expected an array of strings"_s);
        for (std::size_t i = 0; i < value->size(); ++i) {
            const Json &item = (*value)[i];
            if (!item.is_string())
                return fail(indexPath(path, i), u"expected a string"_s);
            out.append(toQString(item));
        }
        return true;
    }

    bool optionalBool(const Json &object, const char *key, const QString &parent, bool &out)
    {
        const Json *value = member(object, key);
        if (!value || value->is_null())
            return true;
        if (!value->is_boolean())
            return fail(keyPath(parent, key), u"expected a boolean"_s);
        out = value->get<bool>();
        return true;
    }

    // Integers, and doubles that hold an integer (some serializers write 1.6643238E12).
    bool int64Value(const Json &value, const QString &path, qint64 &out)
    {
        if (value.is_number_integer() && !value.is_number_unsigned()) {
            out = value.get<std::int64_t>();
            return true;
        }
        if (value.is_number_unsigned()) {
            const auto unsignedValue = value.get<std::uint64_t>();
            if (unsignedValue > std::uint64_t(std::numeric_limits<qint64>::max()))
                return fail(path, u"integer out of range"_s);
            out = qint64(unsignedValue);
            return true;
        }
        if (value.is_number_float()) {
            const double number = value.get<double>();
            // 2^63 is exactly representable, so `<` keeps the cast defined.
            constexpr double limit = 9223372036854775808.0;
            if (!std::isfinite(number) || std::trunc(number) != number || number < -limit || number >= limit)
                return fail(path, u"expected an integer"_s);
            out = qint64(number);
            return true;
        }
        return fail(path, u"expected an integer"_s);
    }

    bool optionalInt64(const Json &object, const char *key, const QString &parent, qint64 &out)
    {
        const Json *value = member(object, key);
        if (!value || value->is_null())
            return true;
        return int64Value(*value, keyPath(parent, key), out);
    }

    bool optionalInt(const Json &object, const char *key, const QString &parent, int &out)
    {
        qint64 wide = out;
        if (!optionalInt64(object, key, parent, wide))
            return false;
        if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
            return fail(keyPath(parent, key), u"integer out of range"_s);
        out = int(wide);
        return true;
    }

    // The docs' JSON model writes ratios as strings ("2.0E-5", even "null"); live servers send numbers.
    bool lenientRatio(const Json &object, const char *key, const QString &parent, double &out)
    {
        const Json *value = member(object, key);
        if (!value || value->is_null())
            return true;
        if (value->is_number()) {
            out = value->get<double>();
            return true;
        }
        if (value->is_string()) {
            const QString text = toQString(*value).trimmed();
            if (text.isEmpty() || text == u"null"_s)
                return true;
            bool ok = false;
            const double number = QLocale::c().toDouble(text, &ok);
            if (ok && std::isfinite(number)) {
                out = number;
                return true;
            }
        }
        return fail(keyPath(parent, key), u"expected a number"_s);
    }

    bool series(const Json &json, const QString &path, MetricSeries &out)
    {
        if (!json.is_object())
            return fail(path, u"expected an object"_s);

        if (const Json *map = member(json, "dimensionMap"); map && !map->is_null()) {
            const QString mapPath = keyPath(path, "dimensionMap");
            if (!map->is_object())
                return fail(mapPath, u"expected an object"_s);
            for (const auto &[key, value] : map->items()) {
                const QString dimension = QString::fromStdString(key);
                if (value.is_null())
                    out.nullDimensions.append(dimension); // the top-X remainder tuple
                else if (value.is_string())
                    out.dimensionMap.insert(dimension, toQString(value));
                else
                    return fail(mapPath + u"[\""_s + dimension + u"\"]"_s, u"expected a string or null"_s);
            }
        }

        const Json *timestamps = nullptr;
        if (!requireMember(json, "timestamps", path, timestamps))
            return false;
        const QString timestampsPath = keyPath(path, "timestamps");
        if (!timestamps->is_array())
            return fail(timestampsPath, u"expected an array"_s);
        out.timestamps.reserve(timestamps->size());
        for (const Json &item : *timestamps) {
            // The common case inline: an element's JSON path is a QString built from its index, and building
            // it for every one of a 1 MB response's ~50,000 timestamps was a large share of the parse
            // (issue 8), so only int64Value's error path pays for it. nlohmann stores positive integers
            // as unsigned.
            if (item.is_number_unsigned()) {
                const auto unsignedValue = item.get<std::uint64_t>();
                if (unsignedValue <= std::uint64_t(std::numeric_limits<qint64>::max())) {
                    out.timestamps.push_back(qint64(unsignedValue));
                    continue;
                }
            } else if (item.is_number_integer()) {
                out.timestamps.push_back(item.get<std::int64_t>());
                continue;
            }
            qint64 timestamp = 0;
            if (!int64Value(item, indexPath(timestampsPath, out.timestamps.size()), timestamp))
                return false;
            out.timestamps.push_back(timestamp);
        }

        const Json *values = nullptr;
        if (!requireMember(json, "values", path, values))
            return false;
        const QString valuesPath = keyPath(path, "values");
        if (!values->is_array())
            return fail(valuesPath, u"expected an array"_s);
        out.values.reserve(values->size());
        for (std::size_t i = 0; i < values->size(); ++i) {
            const Json &value = (*values)[i];
            if (value.is_null())
                out.values.emplace_back(std::nullopt);
            else if (value.is_number())
                out.values.emplace_back(value.get<double>());
            else
                return fail(indexPath(valuesPath, i), u"expected a number or null"_s);
        }

        // A chart that pairs them by index would silently shift every point after the gap.
        if (out.timestamps.size() != out.values.size()) {
            return fail(
                path, u"%1 timestamps but %2 values"_s.arg(out.timestamps.size()).arg(out.values.size()));
        }
        return true;
    }

    bool collection(const Json &json, const QString &path, MetricSeriesCollection &out)
    {
        if (!json.is_object())
            return fail(path, u"expected an object"_s);
        if (!requiredString(json, "metricId", path, out.metricId)
            || !lenientRatio(json, "dataPointCountRatio", path, out.dataPointCountRatio)
            || !lenientRatio(json, "dimensionCountRatio", path, out.dimensionCountRatio)
            || !optionalStringList(json, "warnings", path, out.warnings))
            return false;

        const Json *data = nullptr;
        if (!requireMember(json, "data", path, data))
            return false;
        const QString dataPath = keyPath(path, "data");
        if (!data->is_array())
            return fail(dataPath, u"expected an array"_s);
        out.data.resize(data->size());
        for (std::size_t i = 0; i < data->size(); ++i) {
            if (!series((*data)[i], indexPath(dataPath, i), out.data[i]))
                return false;
        }
        return true;
    }

    bool metricData(const Json &root, MetricData &out)
    {
        // nextPageKey is deprecated and always null (the docs write "null"), so it is not read at all.
        if (!optionalInt64(root, "totalCount", {}, out.totalCount)
            || !optionalString(root, "resolution", {}, out.resolution)
            || !optionalStringList(root, "warnings", {}, out.warnings))
            return false;

        const Json *result = nullptr;
        if (!requireMember(root, "result", {}, result))
            return false;
        if (!result->is_array())
            return fail(u"result"_s, u"expected an array"_s);
        out.result.resize(result->size());
        for (std::size_t i = 0; i < result->size(); ++i) {
            if (!collection((*result)[i], indexPath(u"result"_s, i), out.result[i]))
                return false;
        }
        return true;
    }

    bool dimensionDefinition(const Json &json, const QString &path, DimensionDefinition &out)
    {
        if (!json.is_object())
            return fail(path, u"expected an object"_s);
        return requiredString(json, "key", path, out.key) && optionalString(json, "name", path, out.name)
            && optionalString(json, "displayName", path, out.displayName)
            && optionalString(json, "type", path, out.type) && optionalInt(json, "index", path, out.index);
    }

    // `parent`: where the descriptor sits, empty for GET /api/v2/metrics/{key}, "metrics[i]" in a list.
    bool descriptor(const Json &root, MetricDescriptor &out, const QString &parent = {})
    {
        if (!root.is_object())
            return fail(parent, u"expected an object"_s);
        if (!requiredString(root, "metricId", parent, out.metricId)
            || !optionalString(root, "displayName", parent, out.displayName)
            || !optionalString(root, "description", parent, out.description)
            || !optionalString(root, "unit", parent, out.unit)
            || !optionalStringList(root, "entityType", parent, out.entityType)
            || !optionalStringList(root, "aggregationTypes", parent, out.aggregationTypes)
            || !optionalBool(root, "resolutionInfSupported", parent, out.resolutionInfSupported))
            return false;

        if (const Json *aggregation = member(root, "defaultAggregation");
            aggregation && !aggregation->is_null()) {
            const QString path = keyPath(parent, "defaultAggregation");
            if (!aggregation->is_object())
                return fail(path, u"expected an object"_s);
            if (!optionalString(*aggregation, "type", path, out.defaultAggregation))
                return false;
        }

        if (const Json *definitions = member(root, "dimensionDefinitions");
            definitions && !definitions->is_null()) {
            const QString path = keyPath(parent, "dimensionDefinitions");
            if (!definitions->is_array())
                return fail(path, u"expected an array"_s);
            out.dimensionDefinitions.resize(definitions->size());
            for (std::size_t i = 0; i < definitions->size(); ++i) {
                if (!dimensionDefinition((*definitions)[i], indexPath(path, i), out.dimensionDefinitions[i]))
                    return false;
            }
        }
        return true;
    }

    bool descriptorCollection(const Json &root, std::vector<MetricDescriptor> &out)
    {
        const Json *metrics = nullptr;
        if (!requireMember(root, "metrics", {}, metrics))
            return false;
        if (!metrics->is_array())
            return fail(u"metrics"_s, u"expected an array"_s);
        out.resize(metrics->size());
        for (std::size_t i = 0; i < metrics->size(); ++i) {
            if (!descriptor((*metrics)[i], out[i], indexPath(u"metrics"_s, i)))
                return false;
        }
        return true;
    }
};

// Envelope fields are read leniently: this runs on error paths, where any text beats none.
QString looseString(const Json &object, const char *key)
{
    const auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return {};
    if (it->is_string())
        return toQString(*it);
    // replace, not throw: nothing in a parser may let an exception escape.
    return QString::fromStdString(it->dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::optional<ApiError> envelopeError(const Json &envelope)
{
    if (!envelope.is_object())
        return std::nullopt;
    const auto errorIt = envelope.find("error");
    if (errorIt == envelope.end() || !errorIt->is_object())
        return std::nullopt;
    const Json &error = *errorIt;
    const auto codeIt = error.find("code");
    const auto messageIt = error.find("message");
    const bool hasCode = codeIt != error.end() && codeIt->is_number_integer();
    const bool hasMessage = messageIt != error.end() && messageIt->is_string();
    // {"error":{}} or {"error":{"foo":1}} is somebody else's format; the caller shows the raw body instead.
    if (!hasCode && !hasMessage)
        return std::nullopt;

    ApiError result;
    if (hasCode) {
        const auto code = codeIt->get<std::int64_t>();
        result.httpStatus = code >= 0 && code < 1000 ? int(code) : 0;
    }
    result.kind = ApiError::kindForStatus(result.httpStatus);
    if (hasMessage)
        result.message = toQString(*messageIt);

    const auto violationsIt = error.find("constraintViolations");
    if (violationsIt != error.end() && violationsIt->is_array()) {
        for (const Json &item : *violationsIt) {
            if (!item.is_object())
                continue;
            result.constraintViolations.append({ looseString(item, "path"), looseString(item, "message"),
                looseString(item, "parameterLocation"), looseString(item, "location") });
        }
    }
    return result;
}

} // namespace

Expected<MetricData, ApiError> parseMetricData(QByteArrayView json)
{
    Json root;
    if (auto error = parseRoot(json, root))
        return *error;
    ShapeReader reader;
    MetricData data;
    if (!reader.metricData(root, data))
        return *reader.error;
    return data;
}

Expected<MetricDescriptor, ApiError> parseMetricDescriptor(QByteArrayView json)
{
    Json root;
    if (auto error = parseRoot(json, root))
        return *error;
    ShapeReader reader;
    MetricDescriptor descriptor;
    if (!reader.descriptor(root, descriptor))
        return *reader.error;
    return descriptor;
}

Expected<std::vector<MetricDescriptor>, ApiError> parseMetricDescriptorCollection(QByteArrayView json)
{
    Json root;
    if (auto error = parseRoot(json, root))
        return *error;
    ShapeReader reader;
    std::vector<MetricDescriptor> descriptors;
    if (!reader.descriptorCollection(root, descriptors))
        return *reader.error;
    return descriptors;
}

std::optional<ApiError> parseErrorEnvelope(QByteArrayView json)
{
    const Json root = Json::parse(json.begin(), json.end(), nullptr, false);
    if (root.is_discarded())
        return std::nullopt;
    if (root.is_object())
        return envelopeError(root);
    if (!root.is_array() || root.empty())
        return std::nullopt;

    // Array form: the first envelope decides the kind; the others still carry information worth showing.
    std::optional<ApiError> first = envelopeError(root.front());
    if (!first)
        return std::nullopt;
    for (std::size_t i = 1; i < root.size(); ++i) {
        const std::optional<ApiError> other = envelopeError(root[i]);
        if (!other)
            continue;
        if (!other->message.isEmpty() && other->message != first->message)
            first->message += (first->message.isEmpty() ? QString() : u"; "_s) + other->message;
        first->constraintViolations.append(other->constraintViolations);
    }
    return first;
}

} // namespace canary::dynatrace
