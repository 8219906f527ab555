#include "dynatraceapi.h"

#include "simserver.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

template<typename Result>
HttpReply toReply(const Result &result)
{
    return result ? HttpReply::json(result.value()) : HttpReply::error(result.error());
}

} // namespace

DynatraceApi::DynatraceApi(World &world, SimServer &server, EventStore &events)
    : m_metrics(world)
    , m_events(events)
{
    const QString metricsRead = u"metrics.read"_s;
    server.addRoute("GET", u"/api/v2/metrics/query"_s, metricsRead,
        [this](const SimRequest &request) { return metricsQuery(request); });
    server.addRoute("GET", u"/api/v2/metrics/{metricKey}"_s, metricsRead,
        [this](const SimRequest &request) { return metricDescriptor(request); });
}

HttpReply DynatraceApi::metricsQuery(const SimRequest &request)
{
    MetricsQuery query;
    query.metricSelector = request.optionalQueryItem(u"metricSelector"_s);
    query.entitySelector = request.optionalQueryItem(u"entitySelector"_s);
    query.from = request.optionalQueryItem(u"from"_s);
    query.to = request.optionalQueryItem(u"to"_s);
    query.resolution = request.optionalQueryItem(u"resolution"_s);
    return toReply(m_metrics.query(query));
}

HttpReply DynatraceApi::metricDescriptor(const SimRequest &request)
{
    return toReply(m_metrics.descriptor(request.pathParameters.value(u"metricKey"_s)));
}

} // namespace canary::sim
