#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include "dynatrace/eventingest.h"
#include "dynatrace/eventsclient.h"
#include "net/httpresponse.h"

using namespace Qt::Literals::StringLiterals;
using canary::dynatrace::ApiError;
using canary::dynatrace::EventIngest;
using canary::dynatrace::EventsClient;
using canary::dynatrace::IngestReport;
using canary::dynatrace::parseIngestReport;
using canary::net::HttpResponse;

using Properties = QMap<QString, QString>;

namespace {

EventIngest validEvent()
{
    EventIngest event;
    event.eventType = u"CUSTOM_CONFIGURATION"_s;
    event.title = u"Canary weight set to 30"_s;
    return event;
}

HttpResponse answered(int status, const QByteArray &body)
{
    HttpResponse response;
    response.url = QUrl(u"http://127.0.0.1:9/api/v2/events/ingest"_s);
    response.status = status;
    response.body = body;
    return response;
}

} // namespace

class TestEventIngest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void violations_data();
    void violations();
    void toJson_leavesOutWhatIsNotSet();
    void toJson_carriesEveryField();
    void parseIngestReport_data();
    void parseIngestReport();
    void interpretIngest_data();
    void interpretIngest();
};

void TestEventIngest::violations_data()
{
    QTest::addColumn<QString>("eventType");
    QTest::addColumn<QString>("title");
    QTest::addColumn<Properties>("properties");
    QTest::addColumn<QStringList>("paths"); // of the violations, empty: valid

    const QString type = u"CUSTOM_CONFIGURATION"_s;
    const QString title = u"Canary weight set to 30"_s;
    QTest::newRow("valid") << type << title << Properties {} << QStringList {};
    QTest::newRow("no eventType") << QString() << title << Properties {} << QStringList { u"eventType"_s };
    QTest::newRow("blank title") << type << u"  "_s << Properties {} << QStringList { u"title"_s };
    QTest::newRow("neither") << QString() << QString() << Properties {}
                             << QStringList { u"eventType"_s, u"title"_s };
    QTest::newRow("dt.event.* allowed")
        << type << title << Properties { { u"dt.event.description"_s, u"x"_s } } << QStringList {};
    QTest::newRow("dt.davis.* allowed")
        << type << title << Properties { { u"dt.davis.timeout"_s, u"5"_s } } << QStringList {};
    QTest::newRow("dt.entity.* allowed")
        << type << title << Properties { { u"dt.entity.service"_s, u"SERVICE-1"_s } } << QStringList {};
    QTest::newRow("dtx is not dt.") << type << title << Properties { { u"dtx.foo"_s, u"x"_s } }
                                    << QStringList {};
    QTest::newRow("other dt.* refused") << type << title << Properties { { u"dt.source"_s, u"x"_s } }
                                        << QStringList { u"properties.dt.source"_s };
    QTest::newRow("empty key") << type << title << Properties { { QString(), u"x"_s } }
                               << QStringList { u"properties"_s };

    Properties hundred;
    for (int i = 0; i < 100; ++i)
        hundred.insert(u"key%1"_s.arg(i), u"v"_s);
    QTest::newRow("100 properties") << type << title << hundred << QStringList {};
    Properties tooMany = hundred;
    tooMany.insert(u"one.more"_s, u"v"_s);
    QTest::newRow("101 properties") << type << title << tooMany << QStringList { u"properties"_s };
}

void TestEventIngest::violations()
{
    QFETCH(QString, eventType);
    QFETCH(QString, title);
    QFETCH(Properties, properties);
    QFETCH(QStringList, paths);

    EventIngest event;
    event.eventType = eventType;
    event.title = title;
    event.properties = properties;
    QStringList found;
    for (const auto &violation : event.violations()) {
        found.append(violation.path);
        QCOMPARE(violation.parameterLocation, u"PAYLOAD_BODY"_s);
        QVERIFY(!violation.message.isEmpty());
    }
    QCOMPARE(found, paths);
}

void TestEventIngest::toJson_leavesOutWhatIsNotSet()
{
    EventIngest event = validEvent();
    // The workshop's body, byte for byte apart from the key order of properties (sorted).
    event.entitySelector = u"type(SERVICE),tag([Environment]DT_RELEASE_PRODUCT:simplenodeservice)"_s;
    event.properties = { { u"remediationType"_s, u"ansible"_s }, { u"remediationAction"_s, u"9"_s } };
    QCOMPARE(event.toJson(),
        R"({"eventType":"CUSTOM_CONFIGURATION","title":"Canary weight set to 30",)"
        R"json("entitySelector":"type(SERVICE),tag([Environment]DT_RELEASE_PRODUCT:simplenodeservice)",)json"
        R"("properties":{"remediationAction":"9","remediationType":"ansible"}})");

    QCOMPARE(validEvent().toJson(),
        R"({"eventType":"CUSTOM_CONFIGURATION","title":"Canary weight set to 30","properties":{}})");
}

void TestEventIngest::toJson_carriesEveryField()
{
    EventIngest event = validEvent();
    event.title = u"Gewicht \"30\" – ü"_s;
    event.startTimeMs = 1'715'681'640'000;
    event.endTimeMs = 1'715'682'540'000;
    event.timeoutMinutes = 20;
    event.properties = { { u"a"_s, u"1"_s } };
    const QJsonObject json = QJsonDocument::fromJson(event.toJson()).object();
    QCOMPARE(json.value(u"title"_s).toString(), event.title);
    QCOMPARE(json.value(u"startTime"_s).toInteger(), 1'715'681'640'000);
    QCOMPARE(json.value(u"endTime"_s).toInteger(), 1'715'682'540'000);
    QCOMPARE(json.value(u"timeout"_s).toInt(), 20);
    QCOMPARE(json.value(u"properties"_s).toObject().value(u"a"_s).toString(), u"1"_s);
    QVERIFY(!json.contains(u"entitySelector"_s));
}

void TestEventIngest::parseIngestReport_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("parses");
    QTest::addColumn<int>("reportCount");
    QTest::addColumn<QStringList>("statuses");
    QTest::addColumn<bool>("allAccepted");

    QTest::newRow("one OK") << QByteArray(R"({"reportCount":1,"eventIngestResults":[)"
                                          R"({"correlationId":"41f5d263011a6c9a","status":"OK"}]})")
                            << true << 1 << QStringList { u"OK"_s } << true;
    QTest::newRow("two, one invalid")
        << QByteArray(R"({"reportCount":2,"eventIngestResults":[{"correlationId":"a","status":"OK"},)"
                      R"({"correlationId":"b","status":"INVALID_ENTITY_TYPE"}]})")
        << true << 2 << QStringList { u"OK"_s, u"INVALID_ENTITY_TYPE"_s } << false;
    QTest::newRow("nothing matched") << QByteArray(R"({"reportCount":0,"eventIngestResults":[]})") << true
                                     << 0 << QStringList {} << false;
    QTest::newRow("results absent") << QByteArray(R"({"reportCount":0})") << true << 0 << QStringList {}
                                    << false;
    QTest::newRow("null correlationId") << QByteArray(R"({"reportCount":1,"eventIngestResults":[)"
                                                      R"({"correlationId":null,"status":"OK"}]})")
                                        << true << 1 << QStringList { u"OK"_s } << true;
    QTest::newRow("no reportCount") << QByteArray(R"({"eventIngestResults":[]})") << false << 0
                                    << QStringList {} << false;
    QTest::newRow("negative count") << QByteArray(R"({"reportCount":-1})") << false << 0 << QStringList {}
                                    << false;
    QTest::newRow("status missing") << QByteArray(R"({"reportCount":1,"eventIngestResults":[{}]})") << false
                                    << 0 << QStringList {} << false;
    QTest::newRow("array root") << QByteArray("[]") << false << 0 << QStringList {} << false;
    QTest::newRow("not JSON") << QByteArray("<html>") << false << 0 << QStringList {} << false;
    QTest::newRow("empty") << QByteArray() << false << 0 << QStringList {} << false;
}

void TestEventIngest::parseIngestReport()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, parses);
    QFETCH(int, reportCount);
    QFETCH(QStringList, statuses);
    QFETCH(bool, allAccepted);

    const auto report = ::parseIngestReport(QByteArrayView(body));
    QCOMPARE(report.hasValue(), parses);
    if (!parses) {
        QVERIFY(report.error().kind == ApiError::Kind::UnexpectedShape
            || report.error().kind == ApiError::Kind::MalformedJson);
        return;
    }
    QCOMPARE(report->reportCount, reportCount);
    QStringList found;
    for (const auto &result : report->results)
        found.append(result.status);
    QCOMPARE(found, statuses);
    QCOMPARE(report->allAccepted(), allAccepted);
    QCOMPARE(report->failureText().isEmpty(), allAccepted);
}

void TestEventIngest::interpretIngest_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("succeeds");
    QTest::addColumn<ApiError::Kind>("kind");
    QTest::addColumn<QString>("message");

    QTest::newRow("201 OK") << 201
                            << QByteArray(R"({"reportCount":1,"eventIngestResults":[{"correlationId":"c",)"
                                          R"("status":"OK"}]})")
                            << true << ApiError::Kind::BadRequest << QString();
    QTest::newRow("201 INVALID_METADATA")
        << 201
        << QByteArray(
               R"({"reportCount":1,"eventIngestResults":[{"correlationId":"c","status":"INVALID_METADATA"}]})")
        << false << ApiError::Kind::BadRequest
        << u"Dynatrace accepted the request but stored no event: INVALID_METADATA"_s;
    QTest::newRow("201 partly stored")
        << 201
        << QByteArray(R"({"reportCount":2,"eventIngestResults":[{"correlationId":"a","status":"OK"},)"
                      R"({"correlationId":"b","status":"INVALID_ENTITY_TYPE"}]})")
        << false << ApiError::Kind::BadRequest
        << u"Dynatrace accepted the request but stored only 1 of 2 events: INVALID_ENTITY_TYPE"_s;
    QTest::newRow("201 nothing matched")
        << 201 << QByteArray(R"({"reportCount":0,"eventIngestResults":[]})") << false
        << ApiError::Kind::BadRequest
        << u"Dynatrace accepted the request but stored no event: no entity matched the entity selector"_s;
    QTest::newRow("201 not JSON") << 201 << QByteArray("OK") << false << ApiError::Kind::MalformedJson
                                  << u"not valid JSON"_s;
    QTest::newRow("403") << 403
                         << QByteArray(
                                R"({"error":{"code":403,"message":"Token is missing required scope."}})")
                         << false << ApiError::Kind::Forbidden << u"Token is missing required scope."_s;
    QTest::newRow("503") << 503 << QByteArray() << false << ApiError::Kind::ServerError
                         << u"Service Unavailable"_s;
}

void TestEventIngest::interpretIngest()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(bool, succeeds);
    QFETCH(ApiError::Kind, kind);
    QFETCH(QString, message);

    const auto result = EventsClient::interpretIngest(answered(status, body));
    QCOMPARE(result.hasValue(), succeeds);
    if (succeeds) {
        QVERIFY(result->allAccepted());
        QCOMPARE(result->correlationIds(), QStringList { u"c"_s });
        return;
    }
    QCOMPARE(result.error().kind, kind);
    QCOMPARE(result.error().httpStatus, status);
    QCOMPARE(result.error().message, message);
    QCOMPARE(result.error().url.path(), u"/api/v2/events/ingest"_s);
    QVERIFY2(result.error().summary().contains(message), qPrintable(result.error().summary()));
}

QTEST_GUILESS_MAIN(TestEventIngest)
#include "tst_eventingest.moc"
