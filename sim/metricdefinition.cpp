#include "metricdefinition.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

const QString MetricDefinition::ServiceDimension = u"dt.entity.service"_s;
const QString MetricDefinition::ServiceNameDimension = u"dt.entity.service.name"_s;
const QString MetricDefinition::BuildDimension = u"Build"_s;

QStringList MetricDefinition::dimensionKeys() const
{
    return perBuild ? QStringList { ServiceDimension, buildDimension } : QStringList { ServiceDimension };
}

Aggregation MetricDefinition::resolve(Aggregation aggregation) const
{
    if (aggregation == Aggregation::Auto || aggregation == Aggregation::Value)
        return isCount() ? Aggregation::Sum : Aggregation::Avg;
    return aggregation;
}

const std::vector<MetricDefinition> &MetricDefinition::all()
{
    using K = Kind;
    static const std::vector<MetricDefinition> metrics {
        { u"calc:service.requests_by_build"_s, u"Requests by build"_s,
            u"Calculated service metric: request count split by the application build version"_s, u"Count"_s,
            K::Requests, true, Aggregation::Value },
        // The workshop's health metrics (Monaco's "failure rate / response time by version"):
        // metricDefinition FAILED_REQUEST_COUNT and RESPONSE_TIME, split like requests_by_build. Response
        // time is in MicroSecond, as Dynatrace records service response time.
        { u"calc:service.failures_by_build"_s, u"Failed requests by build"_s,
            u"Calculated service metric: failed request count split by the application build version"_s,
            u"Count"_s, K::Failures, true, Aggregation::Value },
        { u"calc:service.responsetime_by_build"_s, u"Response time by build"_s,
            u"Calculated service metric: response time split by the application build version"_s,
            u"MicroSecond"_s, K::ResponseTime, true, Aggregation::Avg },
        { u"builtin:service.requestCount.total"_s, u"Request count"_s,
            u"The number of requests received by the service"_s, u"Count"_s, K::Requests, false,
            Aggregation::Value },
        { u"builtin:service.errors.total.count"_s, u"Failure count"_s,
            u"The number of requests that failed, client and server side"_s, u"Count"_s, K::Failures, false,
            Aggregation::Value },
        { u"builtin:service.response.time"_s, u"Response time"_s,
            u"The time it took to process a request, from the first byte received to the last byte sent"_s,
            u"MicroSecond"_s, K::ResponseTime, false, Aggregation::Avg },
    };
    return metrics;
}

const MetricDefinition *MetricDefinition::find(const QString &key)
{
    for (const MetricDefinition &metric : all()) {
        if (metric.key == key)
            return &metric;
    }
    return nullptr;
}

} // namespace canary::sim
