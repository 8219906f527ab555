#include "metricsclient.h"

#include <QRegularExpression>

#include "metricselector.h"
#include "metricsparser.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::dynatrace {

namespace {

template<typename T, typename Parse>
Expected<T, ApiError> interpret(const net::HttpResponse &response, Parse parse)
{
    if (!response.isSuccess())
        return errorFromResponse(response);
    auto parsed = parse(QByteArrayView(response.body));
    if (!parsed) {
        ApiError error = parsed.error();
        error.url = response.url.adjusted(QUrl::RemoveQuery);
        error.httpStatus = response.status;
        return error;
    }
    return parsed;
}

} // namespace

MetricsClient::MetricsClient(net::RestClient *rest, QObject *parent)
    : QObject(parent)
    , m_rest(rest)
{ }

net::QueryItems MetricsClient::queryItems(const MetricQuery &query)
{
    net::QueryItems items { { u"metricSelector"_s, query.metricSelector } };
    if (!query.entitySelector.isEmpty())
        items.append({ u"entitySelector"_s, query.entitySelector });
    if (!query.from.isEmpty())
        items.append({ u"from"_s, query.from });
    if (!query.to.isEmpty())
        items.append({ u"to"_s, query.to });
    if (!query.resolution.isEmpty())
        items.append({ u"resolution"_s, query.resolution });
    return items;
}

net::RestCall *MetricsClient::query(
    const MetricQuery &query, const QObject *context, std::function<void(const MetricDataResult &)> onDone)
{
    auto *call = m_rest->get(u"/api/v2/metrics/query"_s, queryItems(query));
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](
            const net::HttpResponse &response) { onDone(interpret<MetricData>(response, parseMetricData)); });
    return call;
}

net::RestCall *MetricsClient::descriptor(const QString &metricKey, const QObject *context,
    std::function<void(const MetricDescriptorResult &)> onDone)
{
    // buildUrl takes a decoded path and lets QUrl encode what the key needs (quotes, spaces).
    auto *call = m_rest->get(u"/api/v2/metrics/"_s + metricKey);
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](const net::HttpResponse &response) {
            onDone(interpret<MetricDescriptor>(response, parseMetricDescriptor));
        });
    return call;
}

QString MetricsClient::listSelector(const QStringList &keys, const QStringList &optionalKeys)
{
    static const QRegularExpression plain(u"^[A-Za-z0-9_.:\\-]+$"_s);
    QStringList parts;
    for (const QString &key : keys)
        parts.append(plain.match(key).hasMatch() ? key : quoteSelectorString(key));
    for (const QString &key : optionalKeys)
        parts.append(plain.match(key).hasMatch() ? key + u'*' : quoteSelectorString(key));
    return parts.join(u',');
}

net::RestCall *MetricsClient::descriptors(const QString &listSelector, const QObject *context,
    std::function<void(const MetricDescriptorListResult &)> onDone)
{
    const net::QueryItems items { { u"metricSelector"_s, listSelector },
        { u"fields"_s, u"+dimensionDefinitions"_s } };
    auto *call = m_rest->get(u"/api/v2/metrics"_s, items);
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](const net::HttpResponse &response) {
            onDone(interpret<std::vector<MetricDescriptor>>(response, parseMetricDescriptorCollection));
        });
    return call;
}

} // namespace canary::dynatrace
