#include <QFile>
#include <QTest>

#include <nlohmann/json.hpp>

#include "dynatrace/calculatedmetrics.h"
#include "net/httpresponse.h"
#include "testdata.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::dynatrace::ApiError;
using canary::dynatrace::CalculatedMetricsClient;
using canary::dynatrace::CalculatedServiceMetric;

namespace {

// The body in the Dynatrace API reference (metrics, §1), "Per-build / per-release request counts", as written
// there.
const char *const DocumentedBody
    = "{ \"tsmMetricKey\": \"calc:service.requests_by_build\", \"name\": \"Requests by "
      "build\", \"enabled\": true,\n"
      "  \"unit\": \"COUNT\", \"metricDefinition\": { \"metric\": \"REQUEST_COUNT\" },\n"
      "  \"entityId\": \"SERVICE-F91837027736B19E\",\n"
      "  \"dimensionDefinition\": { \"name\": \"Build\", \"dimension\": \"{Build}\", "
      "\"topX\": 20,\n"
      "    \"topXDirection\": \"DESCENDING\", \"topXAggregation\": \"SUM\",\n"
      "    \"placeholders\": [ { \"name\": \"Build\", \"attribute\": "
      "\"APPLICATION_BUILD_VERSION\",\n"
      "                        \"kind\": \"ORIGINAL_TEXT\", \"normalization\": "
      "\"ORIGINAL\" } ] } }";

CalculatedServiceMetric documentedMetric()
{
    CalculatedServiceMetric metric;
    metric.tsmMetricKey = u"calc:service.requests_by_build"_s;
    metric.name = u"Requests by build"_s;
    metric.entityId = u"SERVICE-F91837027736B19E"_s;
    return metric;
}

net::HttpResponse answer(int status, const QByteArray &body)
{
    net::HttpResponse response;
    response.url = QUrl(u"https://abc12345.live.dynatrace.com/api/config/v1/calculatedMetrics/service"_s);
    response.status = status;
    response.body = body;
    return response;
}

QByteArray fixture(const QString &name)
{
    return canary::testing::readTestData(u"dynatrace/"_s + name);
}

} // namespace

class TestCalculatedMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void toJson_isTheDocumentedBody()
    {
        const QByteArray body = documentedMetric().toJson();
        const auto sent = nlohmann::json::parse(body.toStdString(), nullptr, false);
        QVERIFY2(!sent.is_discarded(), body.constData());
        QCOMPARE(QString::fromStdString(sent.dump()),
            QString::fromStdString(nlohmann::json::parse(DocumentedBody).dump()));
        // In the documented order, so --dry-run reads like the docs.
        QVERIFY(body.startsWith("{\"tsmMetricKey\":\"calc:service.requests_by_build\",\"name\":"));
    }

    void toJson_releaseVersionAndAnotherDimension()
    {
        CalculatedServiceMetric metric = documentedMetric();
        metric.dimensionName = u"Version"_s;
        metric.attribute = CalculatedServiceMetric::BuildAttribute::ReleaseVersion;
        metric.topX = 5;
        const auto sent = nlohmann::json::parse(metric.toJson().toStdString());
        const auto &dimension = sent["dimensionDefinition"];
        QCOMPARE(dimension["name"].get<std::string>(), "Version");
        QCOMPARE(dimension["dimension"].get<std::string>(), "{Version}");
        QCOMPARE(dimension["topX"].get<int>(), 5);
        QCOMPARE(dimension["placeholders"][0]["name"].get<std::string>(), "Version");
        QCOMPARE(dimension["placeholders"][0]["attribute"].get<std::string>(), "APPLICATION_RELEASE_VERSION");
        QCOMPARE(metric.uiPlaceholder(), u"{Request:ApplicationReleaseVersion}"_s);

        metric.metric = u"RESPONSE_TIME"_s;
        QCOMPARE(
            nlohmann::json::parse(metric.toJson().toStdString())["unit"].get<std::string>(), "MICRO_SECOND");
    }

    void problem_namesWhatDynatraceWouldRefuse_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("dimension");
        QTest::addColumn<int>("topX");
        QTest::addColumn<QString>("expected"); // empty: no problem
        QTest::newRow("ok") << u"calc:service.requests_by_build"_s << u"n"_s << u"Build"_s << 20 << QString();
        QTest::newRow("builtin key") << u"builtin:service.requestCount.total"_s << u"n"_s << u"Build"_s << 20
                                     << u"must start with calc:service."_s;
        QTest::newRow("prefix only") << u"calc:service."_s << u"n"_s << u"Build"_s << 20
                                     << u"must start with calc:service."_s;
        QTest::newRow("space in key")
            << u"calc:service.by build"_s << u"n"_s << u"Build"_s << 20 << u"only letters"_s;
        QTest::newRow("no name") << u"calc:service.x"_s << u" "_s << u"Build"_s << 20 << u"needs a name"_s;
        QTest::newRow("no dimension") << u"calc:service.x"_s << u"n"_s << QString() << 20 << u"dimension"_s;
        QTest::newRow("topX 0") << u"calc:service.x"_s << u"n"_s << u"Build"_s << 0 << u"between 1 and 100"_s;
        QTest::newRow("topX 101") << u"calc:service.x"_s << u"n"_s << u"Build"_s << 101
                                  << u"between 1 and 100"_s;
    }

    void problem_namesWhatDynatraceWouldRefuse()
    {
        QFETCH(QString, key);
        QFETCH(QString, name);
        QFETCH(QString, dimension);
        QFETCH(int, topX);
        QFETCH(QString, expected);
        CalculatedServiceMetric metric;
        metric.tsmMetricKey = key;
        metric.name = name;
        metric.dimensionName = dimension;
        metric.topX = topX;
        const QString problem = metric.problem();
        if (expected.isEmpty())
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        else
            QVERIFY2(problem.contains(expected), qPrintable(problem));
    }

    void interpretCreate_201_400_403_andBrokenAnswers()
    {
        auto created = CalculatedMetricsClient::interpretCreate(
            answer(201, "{\"id\":\"calc:service.requests_by_build\",\"name\":\"Requests by build\"}"));
        QVERIFY(created);
        QCOMPARE(created->id, u"calc:service.requests_by_build"_s);
        QCOMPARE(created->name, u"Requests by build"_s);

        created = CalculatedMetricsClient::interpretCreate(answer(201, "<html>created</html>"));
        QVERIFY(!created);
        QCOMPARE(created.error().kind, ApiError::Kind::MalformedJson);
        QCOMPARE(created.error().httpStatus, 201);
        QVERIFY2(created.error().summary().contains(u"/api/config/v1/calculatedMetrics/service"_s),
            qPrintable(created.error().summary()));

        created = CalculatedMetricsClient::interpretCreate(answer(201, "{\"name\":\"x\"}"));
        QVERIFY(!created);
        QCOMPARE(created.error().kind, ApiError::Kind::UnexpectedShape);

        created = CalculatedMetricsClient::interpretCreate(
            answer(400, fixture(u"error_400_constraint_violation.json"_s)));
        QVERIFY(!created);
        QCOMPARE(created.error().kind, ApiError::Kind::BadRequest);
        QCOMPARE(created.error().constraintViolations.size(), 1);
        QVERIFY(created.error().summary().contains(u"Constraints violated."_s));

        created = CalculatedMetricsClient::interpretCreate(answer(403,
            "{\"error\":{\"code\":403,\"message\":\"Token is missing required scope. Use one of: WriteConfig "
            "(Write configuration)\"}}"));
        QVERIFY(!created);
        QVERIFY(dynatrace::isMissingScope(created.error(), u"WriteConfig"_s));
        QVERIFY(!dynatrace::isMissingScope(created.error(), u"entities.read"_s));
        // The fixture's 403 names another scope.
        QVERIFY(!dynatrace::isMissingScope(
            dynatrace::errorFromResponse(answer(403, fixture(u"error_403_missing_scope.json"_s))),
            u"WriteConfig"_s));
    }

    void interpretListAndServices()
    {
        const auto list = CalculatedMetricsClient::interpretList(answer(
            200, "{\"values\":[{\"id\":\"calc:service.a\",\"name\":\"A\"},{\"id\":\"calc:service.b\"}]}"));
        QVERIFY(list);
        QCOMPARE(list->size(), std::size_t(2));
        QCOMPARE(list->at(1).id, u"calc:service.b"_s);
        QVERIFY(!CalculatedMetricsClient::interpretList(answer(200, "{\"values\":{}}")));

        const auto services = CalculatedMetricsClient::interpretServices(answer(200,
            "{\"totalCount\":1,\"pageSize\":50,\"entities\":[{\"entityId\":\"SERVICE-1\",\"type\":"
            "\"SERVICE\","
            "\"displayName\":\"svc\"}]}"));
        QVERIFY(services);
        QCOMPARE(services->size(), std::size_t(1));
        QCOMPARE(services->front().displayName, u"svc"_s);
        const auto broken = CalculatedMetricsClient::interpretServices(answer(200, "[]"));
        QVERIFY(!broken);
        QCOMPARE(broken.error().kind, ApiError::Kind::UnexpectedShape);
    }

    void manualSteps_nameThePathKeyDimensionAndPlaceholder()
    {
        CalculatedServiceMetric metric = documentedMetric();
        metric.dimensionName = u"Version"_s;
        const QString text = dynatrace::manualStepsText(metric, u"simplenodeservice.canary-jenkins"_s);
        const QStringList lines = text.split(u'\n');
        QCOMPARE(lines.size(), 6);
        for (qsizetype i = 0; i < lines.size(); ++i)
            QVERIFY2(lines.at(i).startsWith(u"%1. "_s.arg(i + 1)), qPrintable(lines.at(i)));
        for (const QString &expected :
            { u"Settings → Server-side service monitoring → Calculated service metrics"_s,
                u"multidimensional analysis"_s, u"calc:service.requests_by_build"_s, u"Request count"_s,
                u"simplenodeservice.canary-jenkins (SERVICE-F91837027736B19E)"_s, u"name Version"_s,
                u"{Request:ApplicationBuildVersion}"_s, u"no backfill"_s })
            QVERIFY2(text.contains(expected), qPrintable(expected + u" not in:\n"_s + text));
    }
};

QTEST_GUILESS_MAIN(TestCalculatedMetrics)
#include "tst_calculatedmetrics.moc"
