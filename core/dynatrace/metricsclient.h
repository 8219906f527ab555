#pragma once

#include <functional>

#include <QObject>
#include <QPointer>

#include "apierror.h"
#include "metricdata.h"
#include "net/restclient.h"
#include "util/expected.h"

namespace canary::dynatrace {

struct MetricQuery
{
    QString metricSelector;
    QString entitySelector;
    QString from; // epoch ms, ISO 8601 or relative (now-30m); empty = server default
    QString to;
    QString resolution; // 10s, 1m, 1h, Inf, a point count; empty = server default (120 points)
};

using MetricDataResult = Expected<MetricData, ApiError>;
using MetricDescriptorResult = Expected<MetricDescriptor, ApiError>;
using MetricDescriptorListResult = Expected<std::vector<MetricDescriptor>, ApiError>;

// Metrics API v2. Each call returns the RestCall that owns the reply (cancel it to give up) and
// delivers exactly one result to `onDone`, unless `context` died first.
class MetricsClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MetricsClient)

public:
    MetricsClient(net::RestClient *rest, QObject *parent = nullptr);

    net::RestCall *query(const MetricQuery &query, const QObject *context,
        std::function<void(const MetricDataResult &)> onDone);
    net::RestCall *descriptor(const QString &metricKey, const QObject *context,
        std::function<void(const MetricDescriptorResult &)> onDone);

    // Several descriptors in one request: GET
    // /api/v2/metrics?metricSelector=<selector>&fields=+dimensionDefinitions (displayName, description and
    // unit come by default). Dynatrace answers 404 when a key it names does not exist; a wildcard that
    // matches nothing is no error.
    net::RestCall *descriptors(const QString &listSelector, const QObject *context,
        std::function<void(const MetricDescriptorListResult &)> onDone);

    static net::QueryItems queryItems(const MetricQuery &query);
    // The metric list's selector for `keys` (each named exactly; 404 if one is missing) and `optionalKeys`
    // (each as the trailing-* wildcard "key*", which lists the key if it exists and is no error if not; a
    // key that needs quotes is named exactly instead).
    static QString listSelector(const QStringList &keys, const QStringList &optionalKeys = {});

private:
    QPointer<net::RestClient> m_rest;
};

} // namespace canary::dynatrace
