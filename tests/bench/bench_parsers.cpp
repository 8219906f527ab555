// Parsing Dynatrace's payloads: the project's nlohmann parser against QJsonDocument on the same bytes.
#include <QJsonDocument>

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

} // namespace
