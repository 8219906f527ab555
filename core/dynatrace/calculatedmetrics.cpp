#include "calculatedmetrics.h"

#include <QHash>
#include <QRegularExpression>

#include <nlohmann/json.hpp>

#include "net/restcall.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::dynatrace {

namespace {

// Ordered, so the body goes out (and --dry-run prints it) in the documented field order.
using Json = nlohmann::ordered_json;

const QString EntitiesPath = u"/api/v2/entities"_s;

std::string str(const QString &text)
{
    return text.toStdString();
}

QString qstr(const Json &value)
{
    return value.is_string() ? QString::fromStdString(value.get_ref<const std::string &>()) : QString();
}

// The metric sources as Dynatrace's UI names them, for the manual steps.
QString sourceLabel(const QString &metric)
{
    static const QHash<QString, QString> labels {
        { u"REQUEST_COUNT"_s, u"Request count"_s },
        { u"SUCCESSFUL_REQUEST_COUNT"_s, u"Successful request count"_s },
        { u"FAILED_REQUEST_COUNT"_s, u"Failed request count"_s },
        { u"FAILURE_RATE"_s, u"Failure rate"_s },
        { u"RESPONSE_TIME"_s, u"Response time"_s },
        { u"HTTP_5XX_ERROR_COUNT"_s, u"HTTP 5xx errors"_s },
    };
    return labels.value(metric, metric);
}

// Parses a 2xx body into a JSON object, or says why it is not one.
Expected<Json, ApiError> objectOf(const net::HttpResponse &response, const QString &what)
{
    const Json root = Json::parse(response.body.cbegin(), response.body.cend(), nullptr, false);
    ApiError error;
    if (root.is_discarded())
        error = ApiError::malformedJson(u"%1: the answer is not JSON"_s.arg(what));
    else if (!root.is_object())
        error = ApiError::unexpectedShape(u"%1: expected a JSON object"_s.arg(what));
    else
        return root;
    error.url = response.url.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo);
    error.httpStatus = response.status;
    return error;
}

ApiError shapeError(const net::HttpResponse &response, const QString &what)
{
    ApiError error = ApiError::unexpectedShape(what);
    error.url = response.url.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo);
    error.httpStatus = response.status;
    return error;
}

} // namespace

QString CalculatedServiceMetric::attributeName() const
{
    return attribute == BuildAttribute::ReleaseVersion ? u"APPLICATION_RELEASE_VERSION"_s
                                                       : u"APPLICATION_BUILD_VERSION"_s;
}

QString CalculatedServiceMetric::uiPlaceholder() const
{
    return attribute == BuildAttribute::ReleaseVersion ? u"{Request:ApplicationReleaseVersion}"_s
                                                       : u"{Request:ApplicationBuildVersion}"_s;
}

QString CalculatedServiceMetric::unit() const
{
    if (metric == u"RESPONSE_TIME")
        return u"MICRO_SECOND"_s;
    if (metric == u"FAILURE_RATE")
        return u"PERCENT"_s;
    return u"COUNT"_s;
}

QString CalculatedServiceMetric::defaultName(const QString &metric, const QString &dimensionName)
{
    const QString by = (dimensionName.isEmpty() ? defaultDimensionName() : dimensionName).toLower();
    if (metric == u"FAILED_REQUEST_COUNT")
        return u"Failed requests by %1"_s.arg(by);
    if (metric == u"RESPONSE_TIME")
        return u"Response time by %1"_s.arg(by);
    return u"Requests by %1"_s.arg(by);
}

QString CalculatedServiceMetric::problem() const
{
    if (!tsmMetricKey.startsWith(KeyPrefix) || tsmMetricKey.size() == KeyPrefix.size())
        return QObject::tr("the metric key '%1' must start with %2 and name the metric (e.g. "
                           "calc:service.requests_by_build)")
            .arg(tsmMetricKey, KeyPrefix.toString());
    // Dynatrace's metric keys: letters, digits, '.', '_' and '-' after the prefix.
    static const QRegularExpression keyPattern(u"^calc:service\\.[A-Za-z0-9_][A-Za-z0-9_.\\-]*$"_s);
    if (!keyPattern.match(tsmMetricKey).hasMatch())
        return QObject::tr("the metric key '%1' may hold only letters, digits, '.', '_' and '-' after %2")
            .arg(tsmMetricKey, KeyPrefix.toString());
    if (name.trimmed().isEmpty())
        return QObject::tr("the metric needs a name");
    if (dimensionName.trimmed().isEmpty())
        return QObject::tr("the build dimension needs a name");
    if (dimensionName.contains(u'{') || dimensionName.contains(u'}'))
        return QObject::tr("the dimension name '%1' may not contain braces").arg(dimensionName);
    if (topX < 1 || topX > MaxTopX)
        return QObject::tr("top-X must be between 1 and %1, not %2").arg(MaxTopX).arg(topX);
    return {};
}

QByteArray CalculatedServiceMetric::toJson() const
{
    // "{Build}" refers to the placeholder of the same name, which reads the build attribute.
    const Json body {
        { "tsmMetricKey", str(tsmMetricKey) },
        { "name", str(name) },
        { "enabled", true },
        { "unit", str(unit()) },
        { "metricDefinition", Json { { "metric", str(metric) } } },
        { "entityId", str(entityId) },
        { "dimensionDefinition",
            Json {
                { "name", str(dimensionName) },
                { "dimension", str(QString(u'{' + dimensionName + u'}')) },
                { "topX", topX },
                { "topXDirection", "DESCENDING" },
                { "topXAggregation", "SUM" },
                { "placeholders",
                    Json::array(
                        { Json { { "name", str(dimensionName) }, { "attribute", str(attributeName()) },
                            { "kind", "ORIGINAL_TEXT" }, { "normalization", "ORIGINAL" } } }) },
            } },
    };
    return QByteArray::fromStdString(body.dump());
}

CalculatedMetricsClient::CalculatedMetricsClient(net::RestClient *rest, QObject *parent)
    : QObject(parent)
    , m_rest(rest)
{ }

CalculatedMetricResult CalculatedMetricsClient::interpretCreate(const net::HttpResponse &response)
{
    if (!response.isSuccess())
        return errorFromResponse(response);
    const auto root = objectOf(response, u"calculated metric created"_s);
    if (!root)
        return root.error();
    const auto id = root->find("id");
    if (id == root->end() || !id->is_string() || id->get_ref<const std::string &>().empty())
        return shapeError(response, u"calculated metric created: no \"id\" in the answer"_s);
    CalculatedMetricRef created { qstr(*id), {} };
    if (const auto name = root->find("name"); name != root->end())
        created.name = qstr(*name);
    return created;
}

CalculatedMetricListResult CalculatedMetricsClient::interpretList(const net::HttpResponse &response)
{
    if (!response.isSuccess())
        return errorFromResponse(response);
    const auto root = objectOf(response, u"calculated metrics"_s);
    if (!root)
        return root.error();
    const auto values = root->find("values");
    if (values == root->end() || !values->is_array())
        return shapeError(response, u"calculated metrics: expected a \"values\" array"_s);
    std::vector<CalculatedMetricRef> metrics;
    for (const Json &entry : *values) {
        if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string())
            return shapeError(response, u"calculated metrics: an entry without an \"id\""_s);
        metrics.push_back({ qstr(entry["id"]), entry.contains("name") ? qstr(entry["name"]) : QString() });
    }
    return metrics;
}

ServiceListResult CalculatedMetricsClient::interpretServices(const net::HttpResponse &response)
{
    if (!response.isSuccess())
        return errorFromResponse(response);
    const auto root = objectOf(response, u"entities"_s);
    if (!root)
        return root.error();
    const auto entities = root->find("entities");
    if (entities == root->end() || !entities->is_array())
        return shapeError(response, u"entities: expected an \"entities\" array"_s);
    std::vector<ServiceEntity> services;
    for (const Json &entry : *entities) {
        if (!entry.is_object() || !entry.contains("entityId") || !entry["entityId"].is_string())
            return shapeError(response, u"entities: an entry without an \"entityId\""_s);
        services.push_back({ qstr(entry["entityId"]),
            entry.contains("displayName") ? qstr(entry["displayName"]) : QString() });
    }
    return services;
}

net::RestCall *CalculatedMetricsClient::create(const CalculatedServiceMetric &metric, const QObject *context,
    std::function<void(const CalculatedMetricResult &)> onDone)
{
    auto *call = m_rest->send("POST", ConfigPath.toString(), {}, metric.toJson());
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](
            const net::HttpResponse &response) { onDone(interpretCreate(response)); });
    return call;
}

net::RestCall *CalculatedMetricsClient::list(
    const QObject *context, std::function<void(const CalculatedMetricListResult &)> onDone)
{
    auto *call = m_rest->get(ConfigPath.toString());
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](const net::HttpResponse &response) { onDone(interpretList(response)); });
    return call;
}

net::RestCall *CalculatedMetricsClient::services(const QString &entitySelector, const QObject *context,
    std::function<void(const ServiceListResult &)> onDone)
{
    auto *call = m_rest->get(EntitiesPath, { { u"entitySelector"_s, entitySelector } });
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](
            const net::HttpResponse &response) { onDone(interpretServices(response)); });
    return call;
}

QStringList manualSteps(const CalculatedServiceMetric &metric, const QString &serviceHint)
{
    QString service;
    if (!metric.entityId.isEmpty() && !serviceHint.isEmpty())
        service = u"%1 (%2)"_s.arg(serviceHint, metric.entityId);
    else if (!metric.entityId.isEmpty())
        service = metric.entityId;
    else if (!serviceHint.isEmpty())
        service = serviceHint;
    else
        service = QObject::tr("the service you watch");
    const QString dimension = metric.dimensionName.isEmpty() ? CalculatedServiceMetric::defaultDimensionName()
                                                             : metric.dimensionName;
    return {
        QObject::tr(
            "In Dynatrace, open Settings → Server-side service monitoring → Calculated service metrics "
            "and choose \"Create new metric\" (or open the service's multidimensional analysis view "
            "and choose \"Create metric\")."),
        QObject::tr("Metric name: %1; metric key: %2 (it must start with %3).")
            .arg(metric.name, metric.tsmMetricKey, CalculatedServiceMetric::KeyPrefix.toString()),
        QObject::tr("Metric source: %1.").arg(sourceLabel(metric.metric)),
        QObject::tr("Condition: only requests of the service %1.").arg(service),
        QObject::tr("Dimension: name %1, value %2, top %3, sorted descending by sum; the name is the "
                    "dimension key Canary Console splits by.")
            .arg(dimension, metric.uiPlaceholder())
            .arg(metric.topX),
        QObject::tr("Save the metric. It records data from then on, with no backfill (limits: 500 calculated "
                    "metrics per environment, 100 per service)."),
    };
}

QString manualStepsText(const CalculatedServiceMetric &metric, const QString &serviceHint)
{
    const QStringList steps = manualSteps(metric, serviceHint);
    QStringList lines;
    for (qsizetype i = 0; i < steps.size(); ++i)
        lines.append(u"%1. %2"_s.arg(i + 1).arg(steps.at(i)));
    return lines.join(u'\n');
}

bool isMissingScope(const ApiError &error, const QString &scope)
{
    // 403 "Token is missing required scope. Use one of: WriteConfig (Write configuration)".
    return error.kind == ApiError::Kind::Forbidden && error.message.contains(scope);
}

} // namespace canary::dynatrace
