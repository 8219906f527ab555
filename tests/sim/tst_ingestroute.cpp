#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include "sim/eventstore.h"
#include "simfixture.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::SimFixture;

namespace {

constexpr qint64 MinuteMs = 60'000;
constexpr qint64 HourMs = 60 * MinuteMs;
constexpr qint64 DayMs = 24 * HourMs;

struct Answer
{
    int status = 0;
    QByteArray body;

    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QJsonObject envelope() const { return json().value(u"error"_s).toObject(); }
    QStringList violationPaths() const
    {
        QStringList paths;
        for (const QJsonValue violation : envelope().value(u"constraintViolations"_s).toArray()) {
            paths.append(violation[u"path"_s].toString());
            if (violation[u"parameterLocation"_s].toString() != u"PAYLOAD_BODY"_s)
                paths.append(u"(not in the body)"_s);
        }
        return paths;
    }
    QStringList statuses() const
    {
        QStringList list;
        for (const QJsonValue result : json().value(u"eventIngestResults"_s).toArray())
            list.append(result[u"status"_s].toString());
        return list;
    }
};

// The simulator's ingest route spoken to directly, so bodies a correct client never sends can be tried.
struct Tenant
{
    Answer post(const QByteArray &body, const QString &token)
    {
        QNetworkRequest request(QUrl(fixture.environment->baseUrl().toString() + u"/api/v2/events/ingest"_s));
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        if (!token.isEmpty())
            request.setRawHeader("Authorization", "Api-Token " + token.toUtf8());
        QNetworkReply *reply = nam.post(request, body);
        QSignalSpy finished(reply, &QNetworkReply::finished);
        Answer answer;
        if (!finished.wait(8'000))
            return answer;
        answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        answer.body = reply->readAll();
        reply->deleteLater();
        return answer;
    }
    Answer post(const QByteArray &body) { return post(body, fixture.environment->token()); }

    QByteArray event(const QString &extraFields, const QString &eventType = u"CUSTOM_CONFIGURATION"_s) const
    {
        return (u"{\"eventType\":\""_s + eventType + u"\",\"title\":\"Canary weight set to 30\""_s
            + (extraFields.isEmpty() ? QString() : u","_s + extraFields) + u"}"_s)
            .toUtf8();
    }

    qint64 now() const { return fixture.clock.nowMs(); }

    SimFixture fixture;
    QNetworkAccessManager nam;
};

} // namespace

class TestIngestRoute : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void badBodies_are400WithViolations_data();
    void badBodies_are400WithViolations();
    void storedOrNot_perStatus_data();
    void storedOrNot_perStatus();
    void workshopBody_isStoredOnTheService();
    void noSelector_attachesToTheEnvironment();
    void noMatch_isAnEmptyReport();
    void authentication();
    void status_closesWhenTheClockPassesTheEnd();
};

void TestIngestRoute::badBodies_are400WithViolations_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QStringList>("paths");

    QTest::newRow("not JSON") << QByteArray("{\"eventType\":") << QStringList { u"body"_s };
    QTest::newRow("not an object") << QByteArray("[]") << QStringList { u"body"_s };
    QTest::newRow("empty object") << QByteArray("{}") << QStringList { u"eventType"_s, u"title"_s };
    QTest::newRow("null title") << QByteArray(R"({"eventType":"CUSTOM_INFO","title":null})")
                                << QStringList { u"title"_s };
    QTest::newRow("numeric title") << QByteArray(R"({"eventType":"CUSTOM_INFO","title":30})")
                                   << QStringList { u"title"_s };
    QTest::newRow("unknown eventType")
        << QByteArray(R"({"eventType":"CANARY","title":"x"})") << QStringList { u"eventType"_s };
    QTest::newRow("properties not a map")
        << QByteArray(R"({"eventType":"CUSTOM_INFO","title":"x","properties":[]})")
        << QStringList { u"properties"_s };
    QTest::newRow("non-string property values")
        << QByteArray(
               R"({"eventType":"CUSTOM_INFO","title":"x","properties":{"a":"1","b":2,"c":true,"d":{}}})")
        << QStringList { u"properties.b"_s, u"properties.c"_s, u"properties.d"_s };
    QTest::newRow("startTime not a number")
        << QByteArray(R"({"eventType":"CUSTOM_INFO","title":"x","startTime":"now"})")
        << QStringList { u"startTime"_s };
    QTest::newRow("timeout 0") << QByteArray(R"({"eventType":"CUSTOM_INFO","title":"x","timeout":0})")
                               << QStringList { u"timeout"_s };
    QTest::newRow("selector does not parse")
        << QByteArray(R"({"eventType":"CUSTOM_INFO","title":"x","entitySelector":"type(SERVICE"})")
        << QStringList { u"entitySelector"_s };

    QByteArray many = R"({"eventType":"CUSTOM_INFO","title":"x","properties":{)";
    for (int i = 0; i <= 100; ++i)
        many += (i ? "," : "") + QByteArray(R"("k)") + QByteArray::number(i) + R"(":"v")";
    many += "}}";
    QTest::newRow("101 properties") << many << QStringList { u"properties"_s };
}

void TestIngestRoute::badBodies_are400WithViolations()
{
    QFETCH(QByteArray, body);
    QFETCH(QStringList, paths);

    Tenant tenant;
    const Answer answer = tenant.post(body);
    QCOMPARE(answer.status, 400);
    QCOMPARE(answer.envelope().value(u"code"_s).toInt(), 400);
    QCOMPARE(answer.envelope().value(u"message"_s).toString(), u"Constraints violated."_s);
    QCOMPARE(answer.violationPaths(), paths);
    QCOMPARE(tenant.fixture.environment->events().size(), 0);
}

void TestIngestRoute::storedOrNot_perStatus_data()
{
    QTest::addColumn<QString>("eventType");
    QTest::addColumn<QString>("fields"); // %1…%7: times around now, filled in by storedOrNot_perStatus()
    QTest::addColumn<QString>("status");

    const QString info = u"CUSTOM_CONFIGURATION"_s;
    const QString problem = u"ERROR_EVENT"_s;

    const QString selector = u"\"entitySelector\":\"type(SERVICE)\""_s;
    QTest::newRow("plain") << info << selector << u"OK"_s;
    QTest::newRow("dt.event.* key") << info
                                    << selector + u",\"properties\":{\"dt.event.description\":\"x\"}"_s
                                    << u"OK"_s;
    QTest::newRow("dt.davis.* key") << info
                                    << selector + u",\"properties\":{\"dt.davis.is_frequent\":\"x\"}"_s
                                    << u"OK"_s;
    QTest::newRow("dt.entity.* key") << info
                                     << selector + u",\"properties\":{\"dt.entity.host\":\"HOST-1\"}"_s
                                     << u"OK"_s;
    QTest::newRow("reserved dt.* key")
        << info << selector + u",\"properties\":{\"dt.source\":\"x\"}"_s << u"INVALID_METADATA"_s;
    QTest::newRow("info, 29 days ago") << info << u"\"startTime\":%2"_s << u"OK"_s;
    QTest::newRow("info, 31 days ago") << info << u"\"startTime\":%3"_s << u"INVALID_TIMESTAMPS"_s;
    QTest::newRow("info, 8 days ahead") << info << u"\"startTime\":%4"_s << u"INVALID_TIMESTAMPS"_s;
    QTest::newRow("end before start")
        << info << u"\"startTime\":%1,\"endTime\":%5"_s << u"INVALID_TIMESTAMPS"_s;
    QTest::newRow("problem, 5 h ago") << problem << u"\"startTime\":%6"_s << u"OK"_s;
    QTest::newRow("problem, 7 h ago") << problem << u"\"startTime\":%7"_s << u"INVALID_TIMESTAMPS"_s;
}

void TestIngestRoute::storedOrNot_perStatus()
{
    QFETCH(QString, eventType);
    QFETCH(QString, fields);
    QFETCH(QString, status);

    Tenant tenant;
    const qint64 now = tenant.now();
    const QString filled = QString(fields)
                               .replace(u"%1"_s, QString::number(now))
                               .replace(u"%2"_s, QString::number(now - 29 * DayMs))
                               .replace(u"%3"_s, QString::number(now - 31 * DayMs))
                               .replace(u"%4"_s, QString::number(now + 8 * DayMs))
                               .replace(u"%5"_s, QString::number(now - MinuteMs))
                               .replace(u"%6"_s, QString::number(now - 5 * HourMs))
                               .replace(u"%7"_s, QString::number(now - 7 * HourMs));
    const Answer answer = tenant.post(tenant.event(filled, eventType));
    QCOMPARE(answer.status, 201);
    QCOMPARE(answer.json().value(u"reportCount"_s).toInt(), 1);
    QCOMPARE(answer.statuses(), QStringList { status });
    const QString correlationId
        = answer.json().value(u"eventIngestResults"_s).toArray().at(0)[u"correlationId"_s].toString();
    QVERIFY2(
        QRegularExpression(u"^[0-9a-f]{16}$"_s).match(correlationId).hasMatch(), qPrintable(correlationId));
    QCOMPARE(tenant.fixture.environment->events().size(), status == u"OK"_s ? 1 : 0);
}

void TestIngestRoute::workshopBody_isStoredOnTheService()
{
    Tenant tenant;
    // seed-workshop.md §3, byte for byte.
    const QByteArray body
        = "{\n"
          "  \"eventType\": \"CUSTOM_CONFIGURATION\",\n"
          "  \"title\": \"Canary weight set to 30\",\n"
          "  \"entitySelector\": \"type(SERVICE),tag([Environment]DT_RELEASE_PRODUCT:simplenodeservice),"
          "tag([Environment]DT_RELEASE_STAGE:canary-jenkins)\",\n"
          "  \"properties\": { \"remediationType\": \"ansible\", \"remediationAction\": \"9\" }\n"
          "}";
    const Answer answer = tenant.post(body);
    QCOMPARE(answer.status, 201);
    const auto &events = tenant.fixture.environment->events().events();
    QCOMPARE(events.size(), 1);
    const QJsonObject expectedAnswer { { u"reportCount"_s, 1 },
        { u"eventIngestResults"_s,
            QJsonArray { QJsonObject {
                { u"correlationId"_s, events.front().correlationId }, { u"status"_s, u"OK"_s } } } } };
    QCOMPARE(answer.json(), expectedAnswer);

    const QJsonObject stored
        = QJsonDocument::fromJson(sim::EventStore::toJson(events.front(), tenant.now())).object();
    QCOMPARE(stored.value(u"title"_s).toString(), u"Canary weight set to 30"_s);
    QCOMPARE(stored.value(u"status"_s).toString(), u"OPEN"_s);
    QCOMPARE(stored.value(u"startTime"_s).toInteger(), tenant.now());
    QCOMPARE(stored.value(u"endTime"_s).toInteger(), tenant.now() + 15 * MinuteMs);
    const QJsonObject entity { { u"entityId"_s,
                                   QJsonObject { { u"id"_s, tenant.fixture.environment->serviceId() },
                                       { u"type"_s, u"SERVICE"_s } } },
        { u"name"_s, tenant.fixture.environment->serviceName() } };
    QCOMPARE(stored.value(u"entityId"_s).toObject(), entity);
    const QJsonArray properties { QJsonObject {
                                      { u"key"_s, u"remediationAction"_s }, { u"value"_s, u"9"_s } },
        QJsonObject { { u"key"_s, u"remediationType"_s }, { u"value"_s, u"ansible"_s } } };
    QCOMPARE(stored.value(u"properties"_s).toArray(), properties);
    const QJsonArray tags = stored.value(u"entityTags"_s).toArray();
    QCOMPARE(tags.size(), 2);
    QCOMPARE(
        tags.at(1)[u"stringRepresentation"_s].toString(), u"[Environment]DT_RELEASE_STAGE:canary-jenkins"_s);
    QCOMPARE(tags.at(1)[u"value"_s].toString(), u"canary-jenkins"_s);
    QVERIFY2(QRegularExpression(u"^-?[0-9]+_%1$"_s.arg(tenant.now()))
                 .match(stored[u"eventId"_s].toString())
                 .hasMatch(),
        qPrintable(stored[u"eventId"_s].toString()));
}

void TestIngestRoute::noSelector_attachesToTheEnvironment()
{
    Tenant tenant;
    const Answer answer = tenant.post(tenant.event({}));
    QCOMPARE(answer.status, 201);
    QCOMPARE(answer.statuses(), QStringList { u"OK"_s });
    const auto &events = tenant.fixture.environment->events().events();
    QCOMPARE(events.size(), 1);
    QVERIFY(events.front().entityId.isEmpty());
    QVERIFY(events.front().entityTags.isEmpty());
}

void TestIngestRoute::noMatch_isAnEmptyReport()
{
    Tenant tenant;
    const Answer answer = tenant.post(tenant.event(u"\"entitySelector\":\"type(PROCESS_GROUP_INSTANCE)\""_s));
    QCOMPARE(answer.status, 201);
    QCOMPARE(answer.body, QByteArray(R"({"reportCount":0,"eventIngestResults":[]})"));
    QCOMPARE(tenant.fixture.environment->events().size(), 0);
}

void TestIngestRoute::authentication()
{
    Tenant tenant;
    auto &server = tenant.fixture.environment->server();
    server.addToken(u"dt0c01.METRICS"_s, { u"metrics.read"_s });
    server.addToken(u"dt0c01.EVENTS"_s, { u"events.ingest"_s });

    const Answer anonymous = tenant.post(tenant.event({}), QString());
    QCOMPARE(anonymous.status, 401);
    const Answer readOnly = tenant.post(tenant.event({}), u"dt0c01.METRICS"_s);
    QCOMPARE(readOnly.status, 403);
    QCOMPARE(readOnly.envelope().value(u"message"_s).toString(),
        u"Token is missing required scope. Use one of: events.ingest (Ingest events)"_s);
    QCOMPARE(tenant.fixture.environment->events().size(), 0);

    const Answer scoped = tenant.post(tenant.event({}), u"dt0c01.EVENTS"_s);
    QCOMPARE(scoped.status, 201);
    QCOMPARE(tenant.fixture.environment->events().size(), 1);
}

void TestIngestRoute::status_closesWhenTheClockPassesTheEnd()
{
    Tenant tenant;
    QCOMPARE(tenant.post(tenant.event(u"\"timeout\":2"_s)).status, 201);
    const sim::StoredEvent event = tenant.fixture.environment->events().events().front();
    auto statusNow = [&] {
        return QJsonDocument::fromJson(sim::EventStore::toJson(event, tenant.now()))
            .object()
            .value(u"status"_s)
            .toString();
    };
    QCOMPARE(statusNow(), u"OPEN"_s);
    tenant.fixture.clock.advanceMs(2 * MinuteMs - 1);
    QCOMPARE(statusNow(), u"OPEN"_s);
    tenant.fixture.clock.advanceMs(1);
    QCOMPARE(statusNow(), u"CLOSED"_s);
}

QTEST_GUILESS_MAIN(TestIngestRoute)
#include "tst_ingestroute.moc"
