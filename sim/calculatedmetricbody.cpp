#include "calculatedmetricbody.h"

#include <QHash>
#include <QRegularExpression>

#include <nlohmann/json.hpp>

#include "bodyreader.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

using Json = nlohmann::json;
using Kind = MetricDefinition::Kind;

constexpr int MaxTopX = 100;

// The metric sources the world's per-second aggregates can answer.
const QHash<QString, Kind> &simulatedSources()
{
    static const QHash<QString, Kind> sources { { u"REQUEST_COUNT"_s, Kind::Requests },
        { u"FAILED_REQUEST_COUNT"_s, Kind::Failures }, { u"SUCCESSFUL_REQUEST_COUNT"_s, Kind::Successes },
        { u"RESPONSE_TIME"_s, Kind::ResponseTime } };
    return sources;
}

// Sources Dynatrace has that the simulator cannot compute: refused by name, not as unknown.
const QStringList &otherSources()
{
    static const QStringList sources { u"FAILURE_RATE"_s, u"HTTP_4XX_ERROR_COUNT"_s,
        u"HTTP_5XX_ERROR_COUNT"_s, u"CPU_TIME"_s, u"DATABASE_CHILD_CALL_COUNT"_s,
        u"DATABASE_CHILD_CALL_TIME"_s, u"EXCEPTION_COUNT"_s, u"IO_TIME"_s, u"LOCK_TIME"_s, u"WAIT_TIME"_s,
        u"NON_DATABASE_CHILD_CALL_COUNT"_s, u"NON_DATABASE_CHILD_CALL_TIME"_s, u"PROCESSING_TIME"_s,
        u"REQUEST_ATTRIBUTE"_s };
    return sources;
}

const QString BuildAttribute = u"APPLICATION_BUILD_VERSION"_s;
const QString ReleaseAttribute = u"APPLICATION_RELEASE_VERSION"_s;

using Reader = BodyReader<Json>;

void readKey(Reader &reader, const Json &root, CalculatedMetricBody &body)
{
    body.metric.key = reader.requiredString(root, "tsmMetricKey");
    if (body.metric.key.trimmed().isEmpty())
        return;
    // [inferred] The key's rules as the UI states them: the calc:service. prefix, then a metric key.
    static const QRegularExpression pattern(u"^calc:service\\.[A-Za-z0-9_][A-Za-z0-9_.\\-]*$"_s);
    if (!body.metric.key.startsWith(u"calc:service."_s))
        reader.violate(u"tsmMetricKey"_s, u"must start with 'calc:service.'"_s);
    else if (!pattern.match(body.metric.key).hasMatch())
        reader.violate(
            u"tsmMetricKey"_s, u"must consist of letters, digits, '.', '_' and '-' after 'calc:service.'"_s);
}

void readSource(Reader &reader, const Json &root, CalculatedMetricBody &body)
{
    const Json *definition = reader.requiredObject(root, "metricDefinition", u"metricDefinition"_s);
    if (!definition)
        return;
    body.metricSource = reader.requiredString(*definition, "metric", u"metricDefinition."_s);
    if (body.metricSource.trimmed().isEmpty())
        return;
    const auto kind = simulatedSources().constFind(body.metricSource);
    if (kind == simulatedSources().cend()) {
        QStringList supported = simulatedSources().keys();
        supported.sort();
        reader.violate(u"metricDefinition.metric"_s,
            otherSources().contains(body.metricSource)
                ? u"'%1' is not simulated (the simulator computes %2)"_s.arg(
                    body.metricSource, supported.join(u", "_s))
                : u"'%1' is not a metric source"_s.arg(body.metricSource));
        return;
    }
    body.metric.kind = *kind;
    const bool responseTime = *kind == Kind::ResponseTime;
    body.metric.unit = responseTime ? u"MicroSecond"_s : u"Count"_s;
    body.metric.defaultAggregation = responseTime ? Aggregation::Avg : Aggregation::Value;
}

void readDimension(Reader &reader, const Json &root, CalculatedMetricBody &body)
{
    const Json *dimension = Reader::member(root, "dimensionDefinition");
    if (!dimension)
        return;
    const QString prefix = u"dimensionDefinition."_s;
    if (!dimension->is_object()) {
        reader.violate(u"dimensionDefinition"_s, u"must be an object"_s);
        return;
    }
    const QString name = reader.requiredString(*dimension, "name", prefix);
    const QString pattern = reader.requiredString(*dimension, "dimension", prefix);
    if (const Json *topX = Reader::member(*dimension, "topX"); !topX) {
        reader.violate(prefix + u"topX"_s, u"must not be null"_s);
    } else if (!topX->is_number_integer() || topX->get<qint64>() < 1 || topX->get<qint64>() > MaxTopX) {
        reader.violate(prefix + u"topX"_s, u"must be between 1 and %1"_s.arg(MaxTopX));
    }
    const QString direction = reader.requiredString(*dimension, "topXDirection", prefix);
    if (!direction.isEmpty() && direction != u"ASCENDING"_s && direction != u"DESCENDING"_s)
        reader.violate(prefix + u"topXDirection"_s, u"must be ASCENDING or DESCENDING"_s);
    reader.requiredString(*dimension, "topXAggregation", prefix);

    QHash<QString, QString> attributes; // placeholder name -> attribute
    if (const Json *placeholders = Reader::member(*dimension, "placeholders")) {
        if (!placeholders->is_array()) {
            reader.violate(prefix + u"placeholders"_s, u"must be an array"_s);
        } else {
            for (std::size_t i = 0; i < placeholders->size(); ++i) {
                const QString at = prefix + u"placeholders[%1]."_s.arg(i);
                const Json &placeholder = (*placeholders)[i];
                if (!placeholder.is_object()) {
                    reader.violate(at.chopped(1), u"must be an object"_s);
                    continue;
                }
                const QString placeholderName = reader.requiredString(placeholder, "name", at);
                const QString attribute = reader.requiredString(placeholder, "attribute", at);
                if (!attribute.isEmpty() && attribute != BuildAttribute && attribute != ReleaseAttribute) {
                    reader.violate(at + u"attribute"_s,
                        u"'%1' is not simulated (the simulator knows %2 and %3)"_s.arg(
                            attribute, BuildAttribute, ReleaseAttribute));
                }
                attributes.insert(placeholderName, attribute);
            }
        }
    }

    // One placeholder fills the dimension: "{Build}" or the built-in request placeholders.
    static const QRegularExpression single(u"^\\{([^{}]+)\\}$"_s);
    const auto match = single.match(pattern);
    const QString reference = match.hasMatch() ? match.captured(1) : QString();
    QString attribute;
    if (reference == u"Request:ApplicationBuildVersion"_s)
        attribute = BuildAttribute;
    else if (reference == u"Request:ApplicationReleaseVersion"_s)
        attribute = ReleaseAttribute;
    else
        attribute = attributes.value(reference);
    if (!pattern.trimmed().isEmpty() && attribute.isEmpty() && !attributes.contains(reference)) {
        reader.violate(prefix + u"dimension"_s,
            u"'%1' must be one placeholder in braces: a placeholder's name or {Request:ApplicationBuildVersion}"_s
                .arg(pattern));
    }
    body.metric.perBuild = true;
    body.metric.buildDimension = name;
    body.metric.byRelease = attribute == ReleaseAttribute;
}

} // namespace

canary::Expected<CalculatedMetricBody, SimError> CalculatedMetricBody::parse(const QByteArray &json)
{
    const Json root = Json::parse(json.cbegin(), json.cend(), nullptr, false);
    if (root.is_discarded() || !root.is_object()) {
        // [inferred] What the config API's JSON mapper answers for a body it cannot read at all.
        return SimError::badRequest(u"Could not map JSON at '' near line 1 column 1"_s);
    }
    Reader reader;
    CalculatedMetricBody body;
    readKey(reader, root, body);
    body.metric.displayName = reader.requiredString(root, "name");
    body.metric.description = reader.optionalString(root, "description");
    body.metric.entityId = reader.optionalString(root, "entityId").trimmed();
    if (const Json *enabled = Reader::member(root, "enabled")) {
        if (enabled->is_boolean())
            body.metric.enabled = enabled->get<bool>();
        else
            reader.violate(u"enabled"_s, u"must be a boolean"_s);
    }
    readSource(reader, root, body);
    readDimension(reader, root, body);
    if (!reader.violations.isEmpty())
        return SimError { 400, u"Constraints violated."_s, reader.violations };
    if (body.metric.description.isEmpty()) {
        body.metric.description = body.metric.perBuild
            ? u"Calculated service metric: %1 split by %2"_s.arg(
                body.metricSource, body.metric.buildDimension)
            : u"Calculated service metric: %1"_s.arg(body.metricSource);
    }
    return body;
}

} // namespace canary::sim
