// Parsing Dynatrace's payloads: the project's nlohmann parser against QJsonDocument on the same bytes.
#include <optional>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <benchmark/benchmark.h>

#include "dynatrace/metricsparser.h"

namespace {

// A metrics response just under Dynatrace's 1 MB payload limit: per-build series with nulls and
// exponent-written values, as real responses have.
QByteArray metricsResponse(std::size_t targetBytes)
{
    QByteArray json
        = R"({"totalCount":1,"nextPageKey":null,"resolution":"1m","result":[{"metricId":"calc:service.requests_by_build:splitBy(\"Build\"):sum","dataPointCountRatio":2.88E-5,"dimensionCountRatio":2.0E-5,"data":[)";
    int build = 0;
    while (std::size_t(json.size()) < targetBytes - 4096) {
        if (build > 0)
            json += ',';
        json += R"({"dimensions":["1.)" + QByteArray::number(build) + R"(.0"],"dimensionMap":{"Build":"1.)"
            + QByteArray::number(build) + R"(.0"},"timestamps":[)";
        QByteArray values;
        for (int i = 0; i < 1440; ++i) {
            json += (i ? "," : "") + QByteArray::number(1'795'687'200'000LL + qint64(i) * 60'000);
            values += (i ? "," : "")
                + (i % 17 == 0 ? QByteArray("null") : QByteArray::number(1.5e1 + i % 23, 'E', 6));
        }
        json += "],\"values\":[" + values + "]}";
        ++build;
    }
    json += "]}],\"warnings\":[]}";
    return json;
}

const QByteArray &oneMegabyte()
{
    static const QByteArray json = metricsResponse(1'000'000);
    return json;
}

void BM_ParseMetrics_Nlohmann(benchmark::State &state)
{
    const QByteArray &json = oneMegabyte();
    for (auto _ : state) {
        auto result = canary::dynatrace::parseMetricData(QByteArrayView(json));
        if (!result)
            state.SkipWithError("parse failed");
        benchmark::DoNotOptimize(result);
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * json.size());
}
BENCHMARK(BM_ParseMetrics_Nlohmann)->Unit(benchmark::kMillisecond);

// The same bytes through QJsonDocument, only as far as a DOM (no value types): the baseline.
void BM_ParseMetrics_QJsonDocument(benchmark::State &state)
{
    const QByteArray &json = oneMegabyte();
    for (auto _ : state) {
        QJsonParseError error;
        auto document = QJsonDocument::fromJson(json, &error);
        if (error.error != QJsonParseError::NoError)
            state.SkipWithError("parse failed");
        benchmark::DoNotOptimize(document);
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * json.size());
}
BENCHMARK(BM_ParseMetrics_QJsonDocument)->Unit(benchmark::kMillisecond);

// QJsonDocument's DOM read into the same value types the project's parser produces, with the same shape
// checks on the hot paths (timestamps integral, values numbers or null, equal lengths): the fair
// comparison, since a DOM alone is not what the session needs.
std::optional<canary::dynatrace::MetricData> metricDataViaQJson(const QByteArray &json)
{
    using namespace canary::dynatrace;
    QJsonParseError error;
    const auto document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return std::nullopt;
    const QJsonObject root = document.object();
    MetricData data;
    data.totalCount = qint64(root.value(QLatin1String("totalCount")).toDouble());
    data.resolution = root.value(QLatin1String("resolution")).toString();
    const QJsonValue result = root.value(QLatin1String("result"));
    if (!result.isArray())
        return std::nullopt;
    for (const QJsonValue &collectionValue : result.toArray()) {
        const QJsonObject collectionObject = collectionValue.toObject();
        MetricSeriesCollection collection;
        collection.metricId = collectionObject.value(QLatin1String("metricId")).toString();
        collection.dataPointCountRatio
            = collectionObject.value(QLatin1String("dataPointCountRatio")).toDouble();
        collection.dimensionCountRatio
            = collectionObject.value(QLatin1String("dimensionCountRatio")).toDouble();
        const QJsonArray seriesArray = collectionObject.value(QLatin1String("data")).toArray();
        collection.data.reserve(std::size_t(seriesArray.size()));
        for (const QJsonValue &seriesValue : seriesArray) {
            const QJsonObject seriesObject = seriesValue.toObject();
            MetricSeries series;
            const QJsonObject map = seriesObject.value(QLatin1String("dimensionMap")).toObject();
            for (auto it = map.begin(); it != map.end(); ++it) {
                if (it.value().isNull())
                    series.nullDimensions.append(it.key());
                else
                    series.dimensionMap.insert(it.key(), it.value().toString());
            }
            const QJsonArray timestamps = seriesObject.value(QLatin1String("timestamps")).toArray();
            series.timestamps.reserve(std::size_t(timestamps.size()));
            for (const QJsonValue &timestamp : timestamps) {
                if (!timestamp.isDouble())
                    return std::nullopt;
                series.timestamps.push_back(timestamp.toInteger());
            }
            const QJsonArray values = seriesObject.value(QLatin1String("values")).toArray();
            series.values.reserve(std::size_t(values.size()));
            for (const QJsonValue &value : values) {
                if (value.isNull())
                    series.values.emplace_back(std::nullopt);
                else if (value.isDouble())
                    series.values.emplace_back(value.toDouble());
                else
                    return std::nullopt;
            }
            if (series.timestamps.size() != series.values.size())
                return std::nullopt;
            collection.data.push_back(std::move(series));
        }
        data.result.push_back(std::move(collection));
    }
    return data;
}

void BM_ParseMetrics_QJsonDocumentToValueTypes(benchmark::State &state)
{
    const QByteArray &json = oneMegabyte();
    for (auto _ : state) {
        auto result = metricDataViaQJson(json);
        if (!result)
            state.SkipWithError("parse failed");
        benchmark::DoNotOptimize(result);
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * json.size());
}
BENCHMARK(BM_ParseMetrics_QJsonDocumentToValueTypes)->Unit(benchmark::kMillisecond);

} // namespace
