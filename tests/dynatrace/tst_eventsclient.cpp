#include <memory>
#include <optional>

#include <QSignalSpy>
#include <QTest>

#include "dynatrace/eventsclient.h"
#include "session/target.h"
#include "sim/eventstore.h"
#include "sim/simserver.h"
#include "simfixture.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::dynatrace::ApiError;
using canary::dynatrace::EventIngest;
using canary::dynatrace::EventsClient;
using canary::dynatrace::IngestResult;
using canary::testing::SimFixture;

using Properties = QMap<QString, QString>;

namespace {

// QVERIFY2 builds its message even when the check passes: error() must not be asked of a value.
QString failureOf(const canary::dynatrace::IngestResult &result)
{
    return result ? QString() : result.error().summary();
}

constexpr qint64 MinuteMs = 60'000;
constexpr qint64 DayMs = 24 * 60 * MinuteMs;

// An EventsClient speaking to `baseUrl` with `token`, and the one result of the last ingest.
struct Client
{
    Client(const QUrl &baseUrl, const QString &token)
        : rest(baseUrl)
        , events(&rest)
    {
        rest.setAuthorization("Api-Token " + token.toUtf8());
        rest.setTimeoutMs(8'000);
    }

    net::RestCall *ingest(const EventIngest &event)
    {
        result.reset();
        ++calls;
        return events.ingest(event, &rest, [this](const IngestResult &r) {
            ++delivered;
            result = r;
        });
    }

    // True once the result of the last ingest() arrived (and only one per call).
    bool done() const { return result.has_value(); }

    net::RestClient rest;
    EventsClient events;
    std::optional<IngestResult> result;
    int calls = 0;
    int delivered = 0;
};

EventIngest workshopEvent()
{
    EventIngest event;
    event.eventType = u"CUSTOM_CONFIGURATION"_s;
    event.title = u"Canary weight set to 30"_s;
    event.entitySelector = session::Target::defaultEntitySelector();
    event.properties = { { u"remediationType"_s, u"ansible"_s }, { u"remediationAction"_s, u"9"_s },
        { u"dt.event.is_rootcause_relevant"_s, u"true"_s } };
    return event;
}

} // namespace

class TestEventsClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ingest_storesExactlyThePostedEvent();
    void ingest_times_data();
    void ingest_times();
    void withoutIngestScope_isForbidden();
    void serverViolations_areABadRequest_data();
    void serverViolations_areABadRequest();
    void invalidTimestamps_isAFailure_althoughHttpSaid201();
    void invalidMetadata_isAFailure_althoughHttpSaid201();
    void noEntityMatched_isAFailure();
    void clientSideViolations_areNeverSent_data();
    void clientSideViolations_areNeverSent();
};

void TestEventsClient::ingest_storesExactlyThePostedEvent()
{
    SimFixture fixture;
    auto &store = fixture.environment->events();
    QSignalSpy stored(&store, &sim::EventStore::eventStored);
    Client client(fixture.environment->baseUrl(), fixture.environment->token());

    const EventIngest event = workshopEvent();
    QVERIFY(client.ingest(event));
    QVERIFY(!client.done()); // never synchronously
    QTRY_VERIFY(client.done());
    QVERIFY2(client.result->hasValue(), qPrintable(failureOf(*client.result)));
    const auto &report = client.result->value();
    QCOMPARE(report.reportCount, 1);
    QVERIFY(report.allAccepted());
    QVERIFY(!report.skipped);
    QCOMPARE(report.results.size(), 1);

    QCOMPARE(stored.count(), 1);
    QCOMPARE(store.size(), 1);
    const sim::StoredEvent &kept = store.events().front();
    QCOMPARE(kept.eventType, event.eventType);
    QCOMPARE(kept.title, event.title);
    QCOMPARE(kept.properties, event.properties);
    QCOMPARE(kept.entityId, fixture.environment->serviceId());
    QCOMPARE(kept.entityName, fixture.environment->serviceName());
    QCOMPARE(kept.entityType, u"SERVICE"_s);
    QCOMPARE(kept.entityTags, fixture.world().service().tags);
    QCOMPARE(kept.correlationId, report.results.front().correlationId);
    QCOMPARE(kept.startMs, fixture.clock.nowMs());
    QCOMPARE(kept.endMs, fixture.clock.nowMs() + 15 * MinuteMs);
    QVERIFY2(QRegularExpression(u"^-?[0-9]+_%1$"_s.arg(kept.startMs)).match(kept.eventId).hasMatch(),
        qPrintable(kept.eventId));
    QCOMPARE(client.delivered, 1);
}

void TestEventsClient::ingest_times_data()
{
    QTest::addColumn<std::optional<qint64>>("startOffset"); // from now
    QTest::addColumn<std::optional<qint64>>("endOffset");
    QTest::addColumn<std::optional<int>>("timeout");
    QTest::addColumn<qint64>("expectedStartOffset");
    QTest::addColumn<qint64>("expectedEndOffset");

    const std::optional<qint64> none;
    const std::optional<int> noTimeout;
    QTest::newRow("defaults: now, 15 min") << none << none << noTimeout << qint64(0) << 15 * MinuteMs;
    QTest::newRow("timeout 30") << none << none << std::optional<int>(30) << qint64(0) << 30 * MinuteMs;
    QTest::newRow("an hour ago, default timeout")
        << std::optional<qint64>(-60 * MinuteMs) << none << noTimeout << -60 * MinuteMs << -45 * MinuteMs;
    QTest::newRow("explicit end wins over timeout")
        << std::optional<qint64>(-10 * MinuteMs) << std::optional<qint64>(-1 * MinuteMs)
        << std::optional<int>(120) << -10 * MinuteMs << -1 * MinuteMs;
    QTest::newRow("timeout capped at 360")
        << none << none << std::optional<int>(1000) << qint64(0) << 360 * MinuteMs;
    QTest::newRow("29 days ago is still fine") << std::optional<qint64>(-29 * DayMs) << none << noTimeout
                                               << -29 * DayMs << -29 * DayMs + 15 * MinuteMs;
}

void TestEventsClient::ingest_times()
{
    QFETCH(std::optional<qint64>, startOffset);
    QFETCH(std::optional<qint64>, endOffset);
    QFETCH(std::optional<int>, timeout);
    QFETCH(qint64, expectedStartOffset);
    QFETCH(qint64, expectedEndOffset);

    SimFixture fixture;
    Client client(fixture.environment->baseUrl(), fixture.environment->token());
    const qint64 now = fixture.clock.nowMs();
    EventIngest event = workshopEvent();
    if (startOffset)
        event.startTimeMs = now + *startOffset;
    if (endOffset)
        event.endTimeMs = now + *endOffset;
    event.timeoutMinutes = timeout;
    client.ingest(event);
    QTRY_VERIFY(client.done());
    QVERIFY2(client.result->hasValue(), qPrintable(failureOf(*client.result)));
    const auto &events = fixture.environment->events().events();
    QCOMPARE(events.size(), 1);
    QCOMPARE(events.front().startMs - now, expectedStartOffset);
    QCOMPARE(events.front().endMs - now, expectedEndOffset);
}

void TestEventsClient::withoutIngestScope_isForbidden()
{
    SimFixture fixture;
    const QString readOnly = u"dt0c01.READONLY"_s;
    fixture.environment->server().addToken(readOnly, { u"metrics.read"_s });
    Client client(fixture.environment->baseUrl(), readOnly);

    client.ingest(workshopEvent());
    QTRY_VERIFY(client.done());
    QVERIFY(!client.result->hasValue());
    const ApiError &error = client.result->error();
    QCOMPARE(error.kind, ApiError::Kind::Forbidden);
    QCOMPARE(error.httpStatus, 403);
    QVERIFY(error.isConnectionOrAuth());
    QCOMPARE(error.message, u"Token is missing required scope. Use one of: events.ingest (Ingest events)"_s);
    QCOMPARE(fixture.environment->events().size(), 0);
}

void TestEventsClient::serverViolations_areABadRequest_data()
{
    QTest::addColumn<QString>("eventType");
    QTest::addColumn<QString>("entitySelector");
    QTest::addColumn<QString>("path");

    QTest::newRow("unknown eventType")
        << u"CUSTOM_CANARY"_s << session::Target::defaultEntitySelector() << u"eventType"_s;
    QTest::newRow("selector does not parse") << u"CUSTOM_INFO"_s << u"type(SERVICE"_s << u"entitySelector"_s;
}

void TestEventsClient::serverViolations_areABadRequest()
{
    QFETCH(QString, eventType);
    QFETCH(QString, entitySelector);
    QFETCH(QString, path);

    SimFixture fixture;
    Client client(fixture.environment->baseUrl(), fixture.environment->token());
    EventIngest event = workshopEvent();
    event.eventType = eventType;
    event.entitySelector = entitySelector;
    client.ingest(event);
    QTRY_VERIFY(client.done());
    QVERIFY(!client.result->hasValue());
    const ApiError &error = client.result->error();
    QCOMPARE(error.kind, ApiError::Kind::BadRequest);
    QCOMPARE(error.httpStatus, 400);
    QCOMPARE(error.message, u"Constraints violated."_s);
    QCOMPARE(error.constraintViolations.size(), 1);
    QCOMPARE(error.constraintViolations.front().path, path);
    QCOMPARE(error.constraintViolations.front().parameterLocation, u"PAYLOAD_BODY"_s);
    QVERIFY2(error.summary().contains(path), qPrintable(error.summary()));
    QCOMPARE(fixture.environment->events().size(), 0);
}

void TestEventsClient::invalidTimestamps_isAFailure_althoughHttpSaid201()
{
    SimFixture fixture;
    Client client(fixture.environment->baseUrl(), fixture.environment->token());
    EventIngest event = workshopEvent();
    event.startTimeMs = fixture.clock.nowMs() - 31 * DayMs;
    client.ingest(event);
    QTRY_VERIFY(client.done());
    QVERIFY(!client.result->hasValue());
    const ApiError &error = client.result->error();
    QCOMPARE(error.kind, ApiError::Kind::BadRequest);
    QCOMPARE(error.httpStatus, 201);
    QCOMPARE(error.message, u"Dynatrace accepted the request but stored no event: INVALID_TIMESTAMPS"_s);
    QVERIFY(!error.isConnectionOrAuth());
    QCOMPARE(fixture.environment->events().size(), 0);
}

void TestEventsClient::invalidMetadata_isAFailure_althoughHttpSaid201()
{
    // The client already refuses every key the simulator calls INVALID_METADATA, so a tenant with stricter
    // rules than the client knows stands in for it.
    sim::SimServer tenant;
    QVERIFY(tenant.start(QHostAddress::LocalHost, 0));
    tenant.addFullAccessToken(u"dt0c01.TENANT"_s);
    tenant.addRoute("POST", u"/api/v2/events/ingest"_s, u"events.ingest"_s, [](const sim::SimRequest &) {
        return sim::HttpReply::json(
            R"({"reportCount":1,"eventIngestResults":[{"correlationId":"0a1b2c3d4e5f6071","status":"INVALID_METADATA"}]})",
            201);
    });
    QUrl url;
    url.setScheme(u"http"_s);
    url.setHost(u"127.0.0.1"_s);
    url.setPort(tenant.port());
    Client client(url, u"dt0c01.TENANT"_s);

    client.ingest(workshopEvent());
    QTRY_VERIFY(client.done());
    QVERIFY(!client.result->hasValue());
    const ApiError &error = client.result->error();
    QCOMPARE(error.kind, ApiError::Kind::BadRequest);
    QCOMPARE(error.httpStatus, 201);
    QCOMPARE(error.message, u"Dynatrace accepted the request but stored no event: INVALID_METADATA"_s);
}

void TestEventsClient::noEntityMatched_isAFailure()
{
    SimFixture fixture;
    Client client(fixture.environment->baseUrl(), fixture.environment->token());
    EventIngest event = workshopEvent();
    event.entitySelector = u"type(SERVICE),tag(\"[Environment]DT_RELEASE_STAGE:production\")"_s;
    client.ingest(event);
    QTRY_VERIFY(client.done());
    QVERIFY(!client.result->hasValue());
    const ApiError &error = client.result->error();
    QCOMPARE(error.httpStatus, 201);
    QCOMPARE(error.message,
        u"Dynatrace accepted the request but stored no event: no entity matched the entity selector"_s);
    QCOMPARE(fixture.environment->events().size(), 0);
}

void TestEventsClient::clientSideViolations_areNeverSent_data()
{
    QTest::addColumn<QString>("eventType");
    QTest::addColumn<QString>("title");
    QTest::addColumn<Properties>("properties");
    QTest::addColumn<QString>("path");

    const QString type = u"CUSTOM_CONFIGURATION"_s;
    const QString title = u"Canary weight set to 30"_s;
    QTest::newRow("no eventType") << QString() << title << Properties {} << u"eventType"_s;
    QTest::newRow("no title") << type << QString() << Properties {} << u"title"_s;
    QTest::newRow("reserved dt. key") << type << title << Properties { { u"dt.event_source"_s, u"x"_s } }
                                      << u"properties.dt.event_source"_s;
    Properties tooMany;
    for (int i = 0; i <= 100; ++i)
        tooMany.insert(u"key%1"_s.arg(i), u"v"_s);
    QTest::newRow("101 properties") << type << title << tooMany << u"properties"_s;
}

void TestEventsClient::clientSideViolations_areNeverSent()
{
    QFETCH(QString, eventType);
    QFETCH(QString, title);
    QFETCH(Properties, properties);
    QFETCH(QString, path);

    SimFixture fixture;
    QSignalSpy handled(&fixture.environment->server(), &sim::SimServer::requestHandled);
    Client client(fixture.environment->baseUrl(), fixture.environment->token());
    EventIngest event = workshopEvent();
    event.eventType = eventType;
    event.title = title;
    event.properties = properties;

    QCOMPARE(client.ingest(event), nullptr);
    QVERIFY(!client.done()); // refused, but still never synchronously
    QTRY_VERIFY(client.done());
    QVERIFY(!client.result->hasValue());
    const ApiError &error = client.result->error();
    QCOMPARE(error.kind, ApiError::Kind::BadRequest);
    QCOMPARE(error.httpStatus, 0);
    QCOMPARE(error.constraintViolations.size(), 1);
    QCOMPARE(error.constraintViolations.front().path, path);
    QCOMPARE(error.url.path(), u"/api/v2/events/ingest"_s);

    // A valid event sent afterwards is the first and only request the simulator sees.
    QVERIFY(client.ingest(workshopEvent()));
    QTRY_VERIFY(client.done());
    QVERIFY(client.result->hasValue());
    QCOMPARE(handled.count(), 1);
    QCOMPARE(handled.front().at(1).toString(), u"/api/v2/events/ingest"_s);
    QCOMPARE(client.delivered, 2);
}

QTEST_GUILESS_MAIN(TestEventsClient)
#include "tst_eventsclient.moc"
