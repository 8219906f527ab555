#pragma once

#include <functional>
#include <vector>

#include <QByteArray>
#include <QMetaType>
#include <QObject>
#include <QPointer>
#include <QStringList>

#include "apierror.h"
#include "net/restclient.h"
#include "util/expected.h"

namespace canary::dynatrace {

// A calculated service metric with one build dimension: what POST /api/config/v1/calculatedMetrics/service
// creates so that request counts can be split by build (the built-in service metrics cannot be).
struct CalculatedServiceMetric
{
    // Where the build comes from: the process's DT_RELEASE_BUILD_VERSION or DT_RELEASE_VERSION.
    enum class BuildAttribute { BuildVersion, ReleaseVersion };

    static constexpr int DefaultTopX = 20;
    static constexpr int MaxTopX = 100; // Dynatrace's limit; extra builds fall into the remainder tuple
    static constexpr QStringView KeyPrefix = u"calc:service.";
    static QString defaultDimensionName() { return QStringLiteral("Build"); }

    QString tsmMetricKey; // calc:service.requests_by_build
    QString name; // shown in Dynatrace's UI: "Requests by build"
    QString metric = QStringLiteral("REQUEST_COUNT"); // FAILED_REQUEST_COUNT, RESPONSE_TIME, …
    QString entityId; // SERVICE-…: the metric counts this service's requests only
    QString dimensionName = defaultDimensionName(); // also the dimension key of the metrics API
    BuildAttribute attribute = BuildAttribute::BuildVersion;
    int topX = DefaultTopX;

    // The documented body, compact, fields in the documented order.
    QByteArray toJson() const;
    // APPLICATION_BUILD_VERSION | APPLICATION_RELEASE_VERSION
    QString attributeName() const;
    // {Request:ApplicationBuildVersion}: what the UI's dimension field takes for the same attribute.
    QString uiPlaceholder() const;
    // COUNT for counts, MICRO_SECOND for RESPONSE_TIME, PERCENT for FAILURE_RATE.
    QString unit() const;
    // What Dynatrace would refuse before anything is sent (key prefix, blank fields, top-X range); empty when
    // none. One line, naming the field.
    QString problem() const;

    // "Requests by build" for REQUEST_COUNT and "Build", and similar for the other metrics.
    static QString defaultName(const QString &metric, const QString &dimensionName);
};

// One entry of the calculated-metrics list, and what a create answers with: the config id is the metric key.
struct CalculatedMetricRef
{
    QString id;
    QString name;
};

// One service an entity selector matched (GET /api/v2/entities).
struct ServiceEntity
{
    QString entityId;
    QString displayName;
};

using CalculatedMetricResult = Expected<CalculatedMetricRef, ApiError>;
using CalculatedMetricListResult = Expected<std::vector<CalculatedMetricRef>, ApiError>;
using ServiceListResult = Expected<std::vector<ServiceEntity>, ApiError>;

// The configuration API of calculated service metrics (create: WriteConfig, list: ReadConfig), and the
// service lookup a create needs (entities.read), since the metric is attached to one service's entity id.
// Each call returns the RestCall that owns the reply (cancel it to give up) and delivers exactly one result
// to `onDone`, never synchronously and not at all once `context` died.
class CalculatedMetricsClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CalculatedMetricsClient)

public:
    static constexpr QStringView ConfigPath = u"/api/config/v1/calculatedMetrics/service";

    explicit CalculatedMetricsClient(net::RestClient *rest, QObject *parent = nullptr);

    // POST: 201 {"id","name"}. Never retried: a create that timed out may have landed, and a second one
    // answers 400 "already exists".
    net::RestCall *create(const CalculatedServiceMetric &metric, const QObject *context,
        std::function<void(const CalculatedMetricResult &)> onDone);
    net::RestCall *list(
        const QObject *context, std::function<void(const CalculatedMetricListResult &)> onDone);
    // GET /api/v2/entities?entitySelector=…: the services the selector matches (first page, up to 50).
    net::RestCall *services(const QString &entitySelector, const QObject *context,
        std::function<void(const ServiceListResult &)> onDone);

    // What the calls make of an HTTP answer; public so the mapping can be tested without a server.
    static CalculatedMetricResult interpretCreate(const net::HttpResponse &response);
    static CalculatedMetricListResult interpretList(const net::HttpResponse &response);
    static ServiceListResult interpretServices(const net::HttpResponse &response);

private:
    QPointer<net::RestClient> m_rest;
};

// What to do in Dynatrace's web UI to create `metric` by hand, one step per entry (without numbers), for a
// token without WriteConfig. An empty entityId names the service by `serviceHint` (a name or the selector).
QStringList manualSteps(const CalculatedServiceMetric &metric, const QString &serviceHint = {});
// The same, numbered "1. …", one step per line.
QString manualStepsText(const CalculatedServiceMetric &metric, const QString &serviceHint = {});

// Whether `error` is Dynatrace's 403 for a token that lacks `scope` ("Use one of: WriteConfig …").
bool isMissingScope(const ApiError &error, const QString &scope);

} // namespace canary::dynatrace
