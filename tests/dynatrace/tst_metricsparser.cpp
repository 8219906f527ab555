#include <algorithm>

#include <QDir>
#include <QFile>
#include <QTest>

#include "dynatrace/metricsparser.h"
#include "testdata.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary::dynatrace;

namespace {

QString fixturesDir()
{
    return canary::testing::testDataPath(u"dynatrace"_s);
}

QByteArray readFixture(const QString &name)
{
    return canary::testing::readTestData(u"dynatrace/"_s + name);
}

QStringList metricsQueryFixtures()
{
    return QDir(fixturesDir()).entryList({ u"metrics_query_*.json"_s }, QDir::Files, QDir::Name);
}

QString kindName(ApiError::Kind kind)
{
    switch (kind) {
    case ApiError::Kind::MalformedJson:
        return u"MalformedJson"_s;
    case ApiError::Kind::UnexpectedShape:
        return u"UnexpectedShape"_s;
    default:
        return u"kind %1"_s.arg(int(kind));
    }
}

// A result with one series; the test rows vary one piece of it.
QByteArray oneSeries(const QByteArray &series)
{
    return R"({"totalCount":1,"nextPageKey":null,"resolution":"1h","result":[{"metricId":"calc:service.x",)"
           R"("dataPointCountRatio":1.0E-6,"dimensionCountRatio":2.0E-5,"data":[)"
        + series + "]}]}";
}

} // namespace

class TestMetricsParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fixturesFolderPresent();

    void twoTuplesWithNulls();
    void calcRequestsByBuild();
    void everyMetricsFixtureParses_data();
    void everyMetricsFixtureParses();
    void otherFixturesAreNotMetricData_data();
    void otherFixturesAreNotMetricData();

    void errorEnvelopeConstraintViolation();
    void errorEnvelopeMissingScope();
    void errorEnvelopeVariants_data();
    void errorEnvelopeVariants();
    void notAnErrorEnvelope_data();
    void notAnErrorEnvelope();

    void malformedJson_data();
    void malformedJson();
    void truncatedAtEveryCut_data();
    void truncatedAtEveryCut();
    void unexpectedShape_data();
    void unexpectedShape();
    void numbersAtTheEdges();
    void deeplyNested();
    void remainderTuple();
    void docsQuirks();
    void unknownFieldsIgnored();
    void emptyResultAndData();

    void descriptor();
    void descriptorMinimal();
    void descriptorErrors_data();
    void descriptorErrors();
    void descriptorCollection();
    void descriptorCollectionErrors_data();
    void descriptorCollectionErrors();
};

void TestMetricsParser::fixturesFolderPresent()
{
    const QDir dir(fixturesDir());
    if (!dir.exists())
        QFAIL(qPrintable(
            u"shared fixtures folder missing: %1 (expected beside the checkout)"_s.arg(dir.path())));
    const QStringList required { u"metrics_query_2tuples_nulls_trimmed.json"_s,
        u"metrics_query_calc_requests_by_build.json"_s, u"error_400_constraint_violation.json"_s,
        u"error_403_missing_scope.json"_s };
    for (const QString &name : required) {
        if (!dir.exists(name))
            QFAIL(qPrintable(u"fixture missing: %1"_s.arg(dir.filePath(name))));
    }
}

void TestMetricsParser::twoTuplesWithNulls()
{
    const QByteArray body = readFixture(u"metrics_query_2tuples_nulls_trimmed.json"_s);
    QVERIFY2(!body.isEmpty(), "metrics_query_2tuples_nulls_trimmed.json missing");
    const auto parsed = parseMetricData(body);
    QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().summary()));
    const MetricData &data = *parsed;

    QCOMPARE(data.totalCount, Q_INT64_C(2));
    QCOMPARE(data.resolution, u"10m"_s);
    QVERIFY(data.warnings.isEmpty());
    QCOMPARE(data.result.size(), std::size_t(1));

    const MetricSeriesCollection &collection = data.result[0];
    QCOMPARE(
        collection.metricId, u"builtin:service.response.time:splitBy(\"dt.entity.service\"):avg:names"_s);
    QCOMPARE(collection.dataPointCountRatio, 2.88e-5);
    QCOMPARE(collection.dimensionCountRatio, 2.0e-5);
    QCOMPARE(collection.data.size(), std::size_t(2));

    const MetricSeries &booking = collection.data[0];
    const QMap<QString, QString> bookingDimensions { { u"dt.entity.service.name"_s, u"BookingService"_s },
        { u"dt.entity.service"_s, u"SERVICE-F91837027736B19E"_s } };
    QCOMPARE(booking.dimensionMap, bookingDimensions);
    QVERIFY(booking.nullDimensions.isEmpty());
    QCOMPARE(booking.timestamps.size(), std::size_t(13));
    QCOMPARE(booking.values.size(), std::size_t(13));
    QCOMPARE(booking.timestamps.front(), Q_INT64_C(1664323800000));
    QCOMPARE(booking.timestamps.back(), Q_INT64_C(1664331000000));
    for (std::size_t i = 1; i < booking.timestamps.size(); ++i)
        QCOMPARE(booking.timestamps[i] - booking.timestamps[i - 1], Q_INT64_C(600000));
    QVERIFY(std::all_of(
        booking.values.begin(), booking.values.end(), [](const auto &v) { return v.has_value(); }));
    QCOMPARE(*booking.values.front(), 276845.9900990099);
    QCOMPARE(*booking.values.back(), 398019.4166666667);

    const MetricSeries &root = collection.data[1];
    QCOMPARE(root.dimensionMap.value(u"dt.entity.service.name"_s), u"/"_s);
    QCOMPARE(root.dimensionMap.value(u"dt.entity.service"_s), u"SERVICE-504937D81F10F081"_s);
    QCOMPARE(root.timestamps.size(), std::size_t(13));
    QCOMPARE(root.values.size(), std::size_t(13));
    QVERIFY(!root.values[0].has_value());
    QVERIFY(!root.values[1].has_value());
    QVERIFY(!root.values[12].has_value());
    QCOMPARE(int(std::count(root.values.begin(), root.values.end(), std::nullopt)), 3);
    QCOMPARE(*root.values[2], 644.0);
    QCOMPARE(*root.values[5], 775.5);
    QCOMPARE(*root.values[11], 785.0);
}

void TestMetricsParser::calcRequestsByBuild()
{
    const QByteArray body = readFixture(u"metrics_query_calc_requests_by_build.json"_s);
    QVERIFY2(!body.isEmpty(), "metrics_query_calc_requests_by_build.json missing");
    const auto parsed = parseMetricData(body);
    QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().summary()));

    QCOMPARE(parsed->totalCount, Q_INT64_C(1)); // services, not series
    QCOMPARE(parsed->resolution, u"1h"_s);
    QVERIFY(parsed->warnings.isEmpty());
    QCOMPARE(parsed->result.size(), std::size_t(1));
    const MetricSeriesCollection &collection = parsed->result[0];
    QVERIFY(collection.metricId.startsWith(u"calc:service.requests_by_build:filter("_s));
    QCOMPARE(collection.dataPointCountRatio, 6.0e-7);
    QCOMPARE(collection.data.size(), std::size_t(2));

    const MetricSeries &old = collection.data[0];
    const MetricSeries &canary = collection.data[1];
    QCOMPARE(old.dimensionMap.value(u"Build"_s), u"1.4.2-b117"_s);
    QCOMPARE(canary.dimensionMap.value(u"Build"_s), u"1.5.0-b121"_s);
    QCOMPARE(old.dimensionMap.size(), 3);
    QVERIFY(!old.isRemainderFor(u"Build"_s));

    const std::vector<qint64> hours { 1715680800000, 1715684400000, 1715688000000 };
    QCOMPARE(old.timestamps, hours);
    QCOMPARE(canary.timestamps, hours);
    const std::vector<std::optional<double>> oldValues { 1280.0, 731.0, std::nullopt };
    const std::vector<std::optional<double>> canaryValues { std::nullopt, 512.0, 1302.0 };
    QCOMPARE(old.values, oldValues);
    QCOMPARE(canary.values, canaryValues);
}

void TestMetricsParser::everyMetricsFixtureParses_data()
{
    QTest::addColumn<QString>("name");
    const QStringList names = metricsQueryFixtures();
    if (names.isEmpty())
        QFAIL(qPrintable(u"no metrics_query_*.json in %1"_s.arg(fixturesDir())));
    for (const QString &name : names)
        QTest::newRow(qPrintable(name)) << name;
}

void TestMetricsParser::everyMetricsFixtureParses()
{
    QFETCH(QString, name);
    const auto parsed = parseMetricData(readFixture(name));
    QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().summary()));
    QVERIFY(!parsed->result.empty());
    for (const auto &collection : parsed->result) {
        QVERIFY(!collection.metricId.isEmpty());
        QVERIFY(!collection.data.empty());
        for (const auto &series : collection.data) {
            QCOMPARE(series.timestamps.size(), series.values.size());
            QVERIFY(std::is_sorted(series.timestamps.begin(), series.timestamps.end()));
        }
    }
}

void TestMetricsParser::otherFixturesAreNotMetricData_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("message");

    // Valid JSON of another endpoint: a wrong base URL or path must not chart as "no data".
    QTest::newRow("problems") << u"problems_list_closed_with_root_cause.json"_s
                              << int(ApiError::Kind::UnexpectedShape) << u"result: missing"_s;
    QTest::newRow("events") << u"events_list_custom_configuration.json"_s
                            << int(ApiError::Kind::UnexpectedShape) << u"result: missing"_s;
    QTest::newRow("error envelope") << u"error_403_missing_scope.json"_s
                                    << int(ApiError::Kind::UnexpectedShape) << u"result: missing"_s;
}

void TestMetricsParser::otherFixturesAreNotMetricData()
{
    QFETCH(QString, name);
    QFETCH(int, kind);
    QFETCH(QString, message);
    const QByteArray body = readFixture(name);
    QVERIFY2(!body.isEmpty(), qPrintable(name + u" missing"_s));
    const auto parsed = parseMetricData(body);
    QVERIFY(!parsed);
    QCOMPARE(int(parsed.error().kind), kind);
    QCOMPARE(parsed.error().message, message);
}

void TestMetricsParser::errorEnvelopeConstraintViolation()
{
    const QByteArray body = readFixture(u"error_400_constraint_violation.json"_s);
    QVERIFY2(!body.isEmpty(), "error_400_constraint_violation.json missing");
    const auto error = parseErrorEnvelope(body);
    QVERIFY(error);
    QCOMPARE(error->httpStatus, 400);
    QCOMPARE(error->kind, ApiError::Kind::BadRequest);
    QCOMPARE(error->message, u"Constraints violated."_s);
    QCOMPARE(error->constraintViolations.size(), 1);
    const ConstraintViolation &violation = error->constraintViolations.first();
    QCOMPARE(violation.path, u"nextPageKey"_s);
    QCOMPARE(violation.message, u"expected one of nextPageKey or metricSelector to be specified"_s);
    QCOMPARE(violation.parameterLocation, u"QUERY"_s);
    QVERIFY(violation.location.isEmpty()); // JSON null
}

void TestMetricsParser::errorEnvelopeMissingScope()
{
    const QByteArray body = readFixture(u"error_403_missing_scope.json"_s);
    QVERIFY2(!body.isEmpty(), "error_403_missing_scope.json missing");
    const auto error = parseErrorEnvelope(body);
    QVERIFY(error);
    QCOMPARE(error->httpStatus, 403);
    QCOMPARE(error->kind, ApiError::Kind::Forbidden);
    QCOMPARE(error->message, u"Token is missing required scope. Use one of: problems.read (Read problems)"_s);
    QVERIFY(error->constraintViolations.isEmpty());
}

void TestMetricsParser::errorEnvelopeVariants_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QStringList>("violationPaths");

    QTest::newRow("401") << QByteArray(
        R"({"error":{"code":401,"message":"Missing authorization parameter."}})")
                         << 401 << u"Missing authorization parameter."_s << QStringList();
    QTest::newRow("array takes first, appends others")
        << QByteArray(
               R"([{"error":{"code":400,"message":"Metric selector parse error",)"
               R"("constraintViolations":[{"path":"metricSelector","message":"bad","location":"1"}]}},)"
               R"({"error":{"code":400,"message":"Second problem"}}])")
        << 400 << u"Metric selector parse error; Second problem"_s << QStringList { u"metricSelector"_s };
    QTest::newRow("array violations merged")
        << QByteArray(R"([{"error":{"code":400,"message":"A","constraintViolations":[{"path":"from"}]}},)"
                      R"({"error":{"code":400,"message":"A","constraintViolations":[{"path":"to"}]}}])")
        << 400 << u"A"_s << QStringList { u"from"_s, u"to"_s };
    QTest::newRow("message only") << QByteArray(R"({"error":{"message":"Too many requests."}})") << 0
                                  << u"Too many requests."_s << QStringList();
    QTest::newRow("code only") << QByteArray(R"({"error":{"code":404}})") << 404 << QString()
                               << QStringList();
    QTest::newRow("violations null") << QByteArray(
        R"({"error":{"code":400,"message":"x","constraintViolations":null}})")
                                     << 400 << u"x"_s << QStringList();
    QTest::newRow("violation with odd types") << QByteArray(
        R"({"error":{"code":400,"message":"x","constraintViolations":[7,{"path":3,"message":null}]}})")
                                              << 400 << u"x"_s << QStringList { u"3"_s };
}

void TestMetricsParser::errorEnvelopeVariants()
{
    QFETCH(QByteArray, body);
    QFETCH(int, code);
    QFETCH(QString, message);
    QFETCH(QStringList, violationPaths);
    const auto error = parseErrorEnvelope(body);
    QVERIFY(error);
    QCOMPARE(error->httpStatus, code);
    QCOMPARE(error->message, message);
    QStringList paths;
    for (const auto &violation : error->constraintViolations)
        paths.append(violation.path);
    QCOMPARE(paths, violationPaths);
}

void TestMetricsParser::notAnErrorEnvelope_data()
{
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("empty") << QByteArray();
    QTest::newRow("html") << QByteArray("<html><body><h1>502 Bad Gateway</h1></body></html>");
    QTest::newRow("truncated envelope") << QByteArray(R"({"error":{"code":401,"mess)");
    QTest::newRow("empty object") << QByteArray("{}");
    QTest::newRow("empty array") << QByteArray("[]");
    QTest::newRow("string error") << QByteArray(R"({"error":"Unauthorized"})");
    QTest::newRow("error without code or message") << QByteArray(R"({"error":{"details":"x"}})");
    QTest::newRow("other api's message") << QByteArray(R"({"message":"Forbidden"})");
    QTest::newRow("array of non-envelopes") << QByteArray(R"([{"message":"x"}])");
    QTest::newRow("metric data") << QByteArray(R"({"totalCount":0,"result":[]})");
    QTest::newRow("scalar") << QByteArray("42");
}

void TestMetricsParser::notAnErrorEnvelope()
{
    QFETCH(QByteArray, body);
    QVERIFY(!parseErrorEnvelope(body).has_value());
}

void TestMetricsParser::malformedJson_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("messagePart");

    QTest::newRow("empty") << QByteArray() << u"empty body"_s;
    QTest::newRow("whitespace") << QByteArray(" \r\n\t ") << u"empty body"_s;
    QTest::newRow("html page") << QByteArray("<html><body>Gateway Timeout</body></html>")
                               << u"line 1, column 1"_s;
    QTest::newRow("truncated") << QByteArray(R"({"totalCount":1,"result":[{"metricId":"a")") << u"line 1"_s;
    QTest::newRow("trailing garbage") << QByteArray(R"({"result":[]} x)") << u"column 15"_s;
    QTest::newRow("single quotes") << QByteArray("{'result':[]}") << u"parse error"_s;
    QTest::newRow("second line") << QByteArray("{\n\"result\": [,]}") << u"line 2"_s;
    QTest::newRow("number overflow") << QByteArray(R"({"result":[],"totalCount":1e400})") << u"overflow"_s;
    QTest::newRow("invalid utf8 escape") << QByteArray(R"({"result":"\uD800"})") << u"surrogate"_s;
    QTest::newRow("nul byte") << QByteArray("{\"result\":[]\0}", 15) << u"parse error"_s;
}

void TestMetricsParser::malformedJson()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, messagePart);
    const auto parsed = parseMetricData(body);
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().kind, ApiError::Kind::MalformedJson);
    QVERIFY2(parsed.error().message.contains(messagePart), qPrintable(parsed.error().message));
    QVERIFY2(!parsed.error().message.startsWith(u"[json.exception"_s), qPrintable(parsed.error().message));

    const auto descriptor = parseMetricDescriptor(body);
    QVERIFY(!descriptor);
    QCOMPARE(descriptor.error().kind, ApiError::Kind::MalformedJson);
}

void TestMetricsParser::truncatedAtEveryCut_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("isMetricData");

    for (const QString &name : metricsQueryFixtures())
        QTest::newRow(qPrintable(name)) << name << true;
    QTest::newRow("error_400") << u"error_400_constraint_violation.json"_s << false;
    QTest::newRow("error_403") << u"error_403_missing_scope.json"_s << false;
}

// A connection dropped mid-body hands the parser any prefix; each must be an error, never a crash.
void TestMetricsParser::truncatedAtEveryCut()
{
    QFETCH(QString, name);
    QFETCH(bool, isMetricData);
    const QByteArray full = readFixture(name);
    QVERIFY2(!full.isEmpty(), qPrintable(name + u" missing"_s));
    const QByteArray complete = full.trimmed();

    for (qsizetype cut = 0; cut <= full.size(); ++cut) {
        const QByteArrayView prefix(full.constData(), cut);
        const bool whole = prefix.trimmed() == QByteArrayView(complete);
        if (!isMetricData) {
            QCOMPARE(parseErrorEnvelope(prefix).has_value(), whole);
            continue;
        }
        const auto parsed = parseMetricData(prefix);
        if (whole) {
            QVERIFY2(parsed, qPrintable(u"cut %1"_s.arg(cut)));
            continue;
        }
        if (parsed)
            QFAIL(qPrintable(u"prefix of %1 bytes parsed as MetricData"_s.arg(cut)));
        const ApiError::Kind kind = parsed.error().kind;
        QVERIFY2(kind == ApiError::Kind::MalformedJson || kind == ApiError::Kind::UnexpectedShape,
            qPrintable(u"cut %1: %2"_s.arg(cut).arg(kindName(kind))));
        QVERIFY2(!parsed.error().message.isEmpty(), qPrintable(u"cut %1: no message"_s.arg(cut)));
    }
}

void TestMetricsParser::unexpectedShape_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("message");

    const QByteArray goodSeries
        = R"({"dimensionMap":{"Build":"1"},"timestamps":[1,2,3],"values":[1,null,3]})";

    QTest::newRow("root array") << QByteArray("[]") << u"root: expected an object"_s;
    QTest::newRow("root array of results")
        << QByteArray(R"([{"result":[]}])") << u"root: expected an object"_s;
    QTest::newRow("root string") << QByteArray(R"("result")") << u"root: expected an object"_s;
    QTest::newRow("root number") << QByteArray("42") << u"root: expected an object"_s;
    QTest::newRow("root null") << QByteArray("null") << u"root: expected an object"_s;
    QTest::newRow("result missing") << QByteArray(R"({"totalCount":0})") << u"result: missing"_s;
    QTest::newRow("result object") << QByteArray(R"({"result":{}})") << u"result: expected an array"_s;
    QTest::newRow("result null") << QByteArray(R"({"result":null})") << u"result: expected an array"_s;
    QTest::newRow("result item scalar")
        << QByteArray(R"({"result":[1]})") << u"result[0]: expected an object"_s;
    QTest::newRow("metricId missing")
        << QByteArray(R"({"result":[{"data":[]}]})") << u"result[0].metricId: missing"_s;
    QTest::newRow("metricId number") << QByteArray(R"({"result":[{"metricId":5,"data":[]}]})")
                                     << u"result[0].metricId: expected a string"_s;
    QTest::newRow("data missing") << QByteArray(R"({"result":[{"metricId":"m"}]})")
                                  << u"result[0].data: missing"_s;
    QTest::newRow("data object") << QByteArray(R"({"result":[{"metricId":"m","data":{}}]})")
                                 << u"result[0].data: expected an array"_s;
    QTest::newRow("series scalar") << oneSeries("7") << u"result[0].data[0]: expected an object"_s;
    QTest::newRow("value string at [3]")
        << oneSeries(goodSeries + R"(,{"timestamps":[1,2,3,4],"values":[1,2,3,"4"]})")
        << u"result[0].data[1].values[3]: expected a number or null"_s;
    QTest::newRow("value bool") << oneSeries(R"({"timestamps":[1],"values":[true]})")
                                << u"result[0].data[0].values[0]: expected a number or null"_s;
    QTest::newRow("value array") << oneSeries(R"({"timestamps":[1],"values":[[1]]})")
                                 << u"result[0].data[0].values[0]: expected a number or null"_s;
    QTest::newRow("values not array")
        << oneSeries(R"({"timestamps":[1],"values":1})") << u"result[0].data[0].values: expected an array"_s;
    QTest::newRow("values missing") << oneSeries(R"({"timestamps":[1]})")
                                    << u"result[0].data[0].values: missing"_s;
    QTest::newRow("timestamps missing")
        << oneSeries(R"({"values":[1]})") << u"result[0].data[0].timestamps: missing"_s;
    QTest::newRow("timestamp string") << oneSeries(R"({"timestamps":["1664323800000"],"values":[1]})")
                                      << u"result[0].data[0].timestamps[0]: expected an integer"_s;
    QTest::newRow("timestamp null") << oneSeries(R"({"timestamps":[1,null],"values":[1,2]})")
                                    << u"result[0].data[0].timestamps[1]: expected an integer"_s;
    QTest::newRow("timestamp fraction") << oneSeries(R"({"timestamps":[1.5],"values":[1]})")
                                        << u"result[0].data[0].timestamps[0]: expected an integer"_s;
    QTest::newRow("timestamp beyond int64 (unsigned)")
        << oneSeries(R"({"timestamps":[18446744073709551615],"values":[1]})")
        << u"result[0].data[0].timestamps[0]: integer out of range"_s;
    QTest::newRow("timestamp beyond int64 (double)") << oneSeries(
        R"({"timestamps":[1e19],"values":[1]})") << u"result[0].data[0].timestamps[0]: expected an integer"_s;
    QTest::newRow("more values than timestamps") << oneSeries(R"({"timestamps":[1,2],"values":[1,2,3]})")
                                                 << u"result[0].data[0]: 2 timestamps but 3 values"_s;
    QTest::newRow("more timestamps than values")
        << oneSeries(goodSeries + R"(,{"timestamps":[1,2],"values":[]})")
        << u"result[0].data[1]: 2 timestamps but 0 values"_s;
    QTest::newRow("dimension value number")
        << oneSeries(R"({"dimensionMap":{"Build":12},"timestamps":[],"values":[]})")
        << u"result[0].data[0].dimensionMap[\"Build\"]: expected a string or null"_s;
    QTest::newRow("dimensionMap array")
        << oneSeries(R"({"dimensionMap":["Build"],"timestamps":[],"values":[]})")
        << u"result[0].data[0].dimensionMap: expected an object"_s;
    QTest::newRow("totalCount string")
        << QByteArray(R"({"totalCount":"2","result":[]})") << u"totalCount: expected an integer"_s;
    QTest::newRow("resolution number")
        << QByteArray(R"({"resolution":10,"result":[]})") << u"resolution: expected a string"_s;
    QTest::newRow("warnings string") << QByteArray(R"({"warnings":"careful","result":[]})")
                                     << u"warnings: expected an array of strings"_s;
    QTest::newRow("warning item number")
        << QByteArray(R"({"warnings":["a",2],"result":[]})") << u"warnings[1]: expected a string"_s;
    QTest::newRow("ratio garbage") << QByteArray(
        R"({"result":[{"metricId":"m","dataPointCountRatio":"lots","data":[]}]})")
                                   << u"result[0].dataPointCountRatio: expected a number"_s;
    QTest::newRow("ratio object") << QByteArray(
        R"({"result":[{"metricId":"m","dimensionCountRatio":{},"data":[]}]})")
                                  << u"result[0].dimensionCountRatio: expected a number"_s;
    QTest::newRow("second collection")
        << QByteArray(R"({"result":[{"metricId":"a","data":[]},{"metricId":"b"}]})")
        << u"result[1].data: missing"_s;
}

void TestMetricsParser::unexpectedShape()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, message);
    const auto parsed = parseMetricData(body);
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().kind, ApiError::Kind::UnexpectedShape);
    QCOMPARE(parsed.error().message, message);
}

void TestMetricsParser::numbersAtTheEdges()
{
    const auto parsed = parseMetricData(oneSeries(
        R"({"timestamps":[1.6643238E12,9223372036854775807,-1,0],"values":[1.7976931348623157e308,-2.5e-320,-0.0,1E2]})"));
    QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
    const MetricSeries &series = parsed->result[0].data[0];
    const std::vector<qint64> timestamps { Q_INT64_C(1664323800000), std::numeric_limits<qint64>::max(), -1,
        0 };
    QCOMPARE(series.timestamps, timestamps);
    QCOMPARE(*series.values[0], 1.7976931348623157e308);
    QVERIFY(*series.values[1] < 0);
    QCOMPARE(*series.values[2], 0.0);
    QCOMPARE(*series.values[3], 100.0);

    const auto totals = parseMetricData(R"({"totalCount":1.0E3,"result":[]})");
    QVERIFY(totals);
    QCOMPARE(totals->totalCount, Q_INT64_C(1000));
}

// A hostile or broken proxy can send arbitrarily deep nesting; neither parsing nor the shape walk may recurse
// on it.
void TestMetricsParser::deeplyNested()
{
    constexpr int depth = 200000;
    const QByteArray arrays = QByteArray(depth, '[') + QByteArray(depth, ']');

    const auto rootArray = parseMetricData(arrays);
    QVERIFY(!rootArray);
    QCOMPARE(rootArray.error().message, u"root: expected an object"_s);

    const auto deepValue = parseMetricData(oneSeries(R"({"timestamps":[1],"values":[)" + arrays + "]}"));
    QVERIFY(!deepValue);
    QCOMPARE(deepValue.error().message, u"result[0].data[0].values[0]: expected a number or null"_s);

    const auto deepUnknown = parseMetricData(QByteArray(R"({"result":[],"x":)" + arrays + "}"));
    QVERIFY(deepUnknown);

    const auto unclosed = parseMetricData(QByteArray(depth, '['));
    QVERIFY(!unclosed);
    QCOMPARE(unclosed.error().kind, ApiError::Kind::MalformedJson);
    QVERIFY(!parseErrorEnvelope(arrays).has_value());
}

void TestMetricsParser::remainderTuple()
{
    const auto parsed = parseMetricData(oneSeries(
        R"({"dimensionMap":{"Build":"1.5.0"},"timestamps":[1],"values":[10]},)"
        R"({"dimensions":[null,"SERVICE-1"],"dimensionMap":{"Build":null,"dt.entity.service":"SERVICE-1"},)"
        R"("timestamps":[1],"values":[3]})"));
    QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
    const auto &data = parsed->result[0].data;
    QCOMPARE(data.size(), std::size_t(2));
    QVERIFY(!data[0].isRemainderFor(u"Build"_s));
    QVERIFY(data[1].isRemainderFor(u"Build"_s));
    QVERIFY(!data[1].isRemainderFor(u"dt.entity.service"_s));
    QCOMPARE(data[1].nullDimensions, QStringList { u"Build"_s });
    QVERIFY(!data[1].dimensionMap.contains(u"Build"_s));
    QCOMPARE(data[1].dimensionMap.value(u"dt.entity.service"_s), u"SERVICE-1"_s);
}

void TestMetricsParser::docsQuirks()
{
    // The docs' JSON model (and mocks copied from it): string "null", string ratios, year-2069 timestamps.
    const QByteArray body = R"({"totalCount":3,"nextPageKey":"null","resolution":"1h","result":[
        {"metricId":"builtin:host.disk.avail","dataPointCountRatio":"3.0E-4","dimensionCountRatio":"null",
         "data":[{"dimensions":["HOST-1"],"dimensionMap":{"dt.entity.host":"HOST-1"},
                  "timestamps":[3151435100000,3151438700000],"values":[11.1,22.2]}]},
        {"metricId":"m2","dataPointCountRatio":" 1e-3 ","data":[]}]})";
    const auto parsed = parseMetricData(body);
    QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
    QCOMPARE(parsed->result.size(), std::size_t(2));
    QCOMPARE(parsed->result[0].dataPointCountRatio, 3.0e-4);
    QCOMPARE(parsed->result[0].dimensionCountRatio, 0.0);
    QCOMPARE(parsed->result[0].data[0].timestamps[0], Q_INT64_C(3151435100000));
    QCOMPARE(parsed->result[1].dataPointCountRatio, 1.0e-3);

    // Live servers send JSON null for nextPageKey; any other value is equally ignored.
    for (const char *nextPageKey : { "null", "\"null\"", "\"opaque==\"", "7" }) {
        const QByteArray json = "{\"nextPageKey\":" + QByteArray(nextPageKey) + ",\"result\":[]}";
        QVERIFY2(parseMetricData(json), nextPageKey);
    }
}

void TestMetricsParser::unknownFieldsIgnored()
{
    const QByteArray body
        = R"({"totalCount":1,"brandNew":{"nested":[1,{"x":null}]},"warnings":["w1"],"result":[
        {"metricId":"m","dql":{"status":"OK","query":"fetch x","message":null},"appliedOptionalFilters":[],
         "warnings":["partial data"],"futureRatio":"n/a",
         "data":[{"dimensions":["a"],"dimensionMap":{"k":"a"},"unknownEnum":"NEW_CONSTANT",
                  "timestamps":[1,2],"values":[1,2]}]}]})";
    const auto parsed = parseMetricData(body);
    QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
    QCOMPARE(parsed->warnings, QStringList { u"w1"_s });
    QCOMPARE(parsed->result[0].warnings, QStringList { u"partial data"_s });
    QCOMPARE(parsed->result[0].data[0].dimensionMap.value(u"k"_s), u"a"_s);
    QCOMPARE(parsed->result[0].data[0].values.size(), std::size_t(2));
}

void TestMetricsParser::emptyResultAndData()
{
    const auto noResult = parseMetricData(R"({"totalCount":0,"nextPageKey":null,"result":[]})");
    QVERIFY(noResult);
    QVERIFY(noResult->result.empty());
    QCOMPARE(noResult->totalCount, Q_INT64_C(0));

    const auto noData = parseMetricData(
        R"({"totalCount":0,"result":[{"metricId":"m","dataPointCountRatio":0,"dimensionCountRatio":0,"data":[]}]})");
    QVERIFY(noData);
    QCOMPARE(noData->result.size(), std::size_t(1));
    QVERIFY(noData->result[0].data.empty());

    const auto noPoints = parseMetricData(oneSeries(R"({"dimensionMap":{},"timestamps":[],"values":[]})"));
    QVERIFY(noPoints);
    QVERIFY(noPoints->result[0].data[0].timestamps.empty());
}

void TestMetricsParser::descriptor()
{
    const QByteArray body = R"({
        "metricId": "calc:service.requests_by_build",
        "displayName": "Requests by build",
        "description": "",
        "unit": "Count",
        "entityType": ["SERVICE"],
        "aggregationTypes": ["auto", "value", "count", "sum"],
        "transformations": ["filter", "fold", "splitBy"],
        "defaultAggregation": {"type": "value", "parameter": null},
        "dimensionDefinitions": [
            {"key": "dt.entity.service", "name": "Service", "displayName": "Service", "index": 0, "type": "ENTITY"},
            {"key": "Build", "name": "Build", "displayName": "Build", "index": 1, "type": "STRING"}
        ],
        "resolutionInfSupported": true,
        "metricValueType": {"type": "unknown"},
        "tags": [],
        "created": 1715600000000
    })";
    const auto parsed = parseMetricDescriptor(body);
    QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
    const MetricDescriptor &d = *parsed;
    QCOMPARE(d.metricId, u"calc:service.requests_by_build"_s);
    QCOMPARE(d.displayName, u"Requests by build"_s);
    QCOMPARE(d.unit, u"Count"_s);
    QCOMPARE(d.entityType, QStringList { u"SERVICE"_s });
    QCOMPARE(d.aggregationTypes, (QStringList { u"auto"_s, u"value"_s, u"count"_s, u"sum"_s }));
    QCOMPARE(d.defaultAggregation, u"value"_s);
    QVERIFY(d.resolutionInfSupported);
    QCOMPARE(d.dimensionDefinitions.size(), std::size_t(2));
    QCOMPARE(d.dimensionDefinitions[1].key, u"Build"_s);
    QCOMPARE(d.dimensionDefinitions[1].name, u"Build"_s);
    QCOMPARE(d.dimensionDefinitions[1].displayName, u"Build"_s);
    QCOMPARE(d.dimensionDefinitions[1].type, u"STRING"_s);
    QCOMPARE(d.dimensionDefinitions[1].index, 1);
    QCOMPARE(d.dimensionDefinitions[0].type, u"ENTITY"_s);
    QVERIFY(d.hasDimension(u"Build"_s));
    QVERIFY(d.hasDimension(u"dt.entity.service"_s));
    QVERIFY(!d.hasDimension(u"Version"_s));
}

void TestMetricsParser::descriptorMinimal()
{
    const auto parsed = parseMetricDescriptor(R"({"metricId":"builtin:service.response.time","unit":null})");
    QVERIFY(parsed);
    QCOMPARE(parsed->metricId, u"builtin:service.response.time"_s);
    QVERIFY(parsed->unit.isEmpty());
    QVERIFY(parsed->dimensionDefinitions.empty());
    QVERIFY(!parsed->resolutionInfSupported);
    QVERIFY(parsed->defaultAggregation.isEmpty());
}

void TestMetricsParser::descriptorErrors_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("message");

    const int shape = int(ApiError::Kind::UnexpectedShape);
    QTest::newRow("root array") << QByteArray(R"([{"metricId":"m"}])") << shape
                                << u"root: expected an object"_s;
    QTest::newRow("metricId missing")
        << QByteArray(R"({"displayName":"x"})") << shape << u"metricId: missing"_s;
    QTest::newRow("metricId null") << QByteArray(R"({"metricId":null})") << shape
                                   << u"metricId: expected a string"_s;
    QTest::newRow("dimension key missing")
        << QByteArray(R"({"metricId":"m","dimensionDefinitions":[{"key":"a"},{"name":"b"}]})") << shape
        << u"dimensionDefinitions[1].key: missing"_s;
    QTest::newRow("dimension index string")
        << QByteArray(R"({"metricId":"m","dimensionDefinitions":[{"key":"a","index":"0"}]})") << shape
        << u"dimensionDefinitions[0].index: expected an integer"_s;
    QTest::newRow("dimension index too big")
        << QByteArray(R"({"metricId":"m","dimensionDefinitions":[{"key":"a","index":4294967296}]})") << shape
        << u"dimensionDefinitions[0].index: integer out of range"_s;
    QTest::newRow("dimensionDefinitions object")
        << QByteArray(R"({"metricId":"m","dimensionDefinitions":{}})") << shape
        << u"dimensionDefinitions: expected an array"_s;
    QTest::newRow("defaultAggregation string") << QByteArray(R"({"metricId":"m","defaultAggregation":"avg"})")
                                               << shape << u"defaultAggregation: expected an object"_s;
    QTest::newRow("entityType string") << QByteArray(R"({"metricId":"m","entityType":"SERVICE"})") << shape
                                       << u"entityType: expected an array of strings"_s;
    QTest::newRow("resolutionInfSupported string")
        << QByteArray(R"({"metricId":"m","resolutionInfSupported":"true"})") << shape
        << u"resolutionInfSupported: expected a boolean"_s;
    QTest::newRow("truncated")
        << QByteArray(R"({"metricId":"m",)") << int(ApiError::Kind::MalformedJson)
        << u"parse error at line 1, column 17: syntax error while parsing object key - unexpected end of input; expected string literal"_s;
}

void TestMetricsParser::descriptorErrors()
{
    QFETCH(QByteArray, body);
    QFETCH(int, kind);
    QFETCH(QString, message);
    const auto parsed = parseMetricDescriptor(body);
    QVERIFY(!parsed);
    QCOMPARE(int(parsed.error().kind), kind);
    QCOMPARE(parsed.error().message, message);
}

void TestMetricsParser::descriptorCollection()
{
    // GET /api/v2/metrics?metricSelector=a,b&fields=+dimensionDefinitions, in the documented shape.
    const QByteArray body = R"({"totalCount":2,"nextPageKey":null,"metrics":[
        {"metricId":"calc:service.requests_by_build","displayName":"Requests by build","unit":"Count",
         "dimensionDefinitions":[{"key":"dt.entity.service","name":"Service","displayName":"Service","index":0,
         "type":"ENTITY"},{"key":"Build","name":"Build","displayName":"Build","index":1,"type":"STRING"}]},
        {"metricId":"calc:service.responsetime_by_build","description":"d","unit":"MicroSecond"}],
        "warnings":[]})";
    const auto parsed = parseMetricDescriptorCollection(body);
    QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().summary()));
    QCOMPARE(parsed->size(), std::size_t(2));
    QCOMPARE(parsed->at(0).metricId, u"calc:service.requests_by_build"_s);
    QCOMPARE(parsed->at(0).dimensionDefinitions.size(), std::size_t(2));
    QCOMPARE(parsed->at(0).dimensionDefinitions[1].key, u"Build"_s);
    QCOMPARE(parsed->at(1).unit, u"MicroSecond"_s);
    QVERIFY(parsed->at(1).dimensionDefinitions.empty());

    const auto empty = parseMetricDescriptorCollection(R"({"totalCount":0,"metrics":[]})");
    QVERIFY(empty);
    QVERIFY(empty->empty());
}

void TestMetricsParser::descriptorCollectionErrors_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("message");

    QTest::newRow("metrics missing") << QByteArray(R"({"totalCount":0})") << u"metrics: missing"_s;
    QTest::newRow("metrics object") << QByteArray(R"({"metrics":{}})") << u"metrics: expected an array"_s;
    QTest::newRow("entry not an object")
        << QByteArray(R"({"metrics":[{"metricId":"a"},3]})") << u"metrics[1]: expected an object"_s;
    QTest::newRow("metricId missing in an entry")
        << QByteArray(R"({"metrics":[{"unit":"Count"}]})") << u"metrics[0].metricId: missing"_s;
    QTest::newRow("dimension key missing in an entry")
        << QByteArray(R"({"metrics":[{"metricId":"a","dimensionDefinitions":[{"name":"b"}]}]})")
        << u"metrics[0].dimensionDefinitions[0].key: missing"_s;
}

void TestMetricsParser::descriptorCollectionErrors()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, message);
    const auto parsed = parseMetricDescriptorCollection(body);
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().kind, ApiError::Kind::UnexpectedShape);
    QCOMPARE(parsed.error().message, message);
}

QTEST_GUILESS_MAIN(TestMetricsParser)
#include "tst_metricsparser.moc"
