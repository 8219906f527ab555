#include <memory>
#include <optional>

#include <QFile>
#include <QPointer>
#include <QSignalSpy>
#include <QTest>

#include "dynatrace/eventsclient.h"
#include "dynatrace/pagewalker.h"
#include "dynatrace/problemsclient.h"
#include "net/restclient.h"
#include "sim/dynatraceapi.h"
#include "sim/eventstore.h"
#include "sim/problemstore.h"
#include "sim/simserver.h"
#include "sim/simulatedenvironment.h"
#include "testdata.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::dynatrace::ApiError;
using canary::dynatrace::EventListResult;
using canary::dynatrace::EventQuery;
using canary::dynatrace::EventsClient;
using canary::dynatrace::PageWalker;
using canary::dynatrace::ProblemListResult;
using canary::dynatrace::ProblemQuery;
using canary::dynatrace::ProblemResult;
using canary::dynatrace::ProblemsClient;
using canary::sim::HttpReply;
using canary::sim::SimRequest;
using canary::sim::SimServer;

using QueryItems = QList<QPair<QString, QString>>;

namespace {

constexpr qint64 StartMs = 1'795'687'200'000; // 2026-11-26 10:00:00 UTC
constexpr qint64 MinuteMs = 60'000;
constexpr int PageSize = 5;
const QString EventsPath = u"/api/v2/events"_s;

// The simulator with small default page sizes, on a clock that stands still unless told, and clients bound to
// it. The world has no canary traffic, so its own problem detector stays quiet.
struct Tenant
{
    Tenant()
        : clock(StartMs)
    {
        sim::SimulatedEnvironment::Options options;
        options.clock = &clock;
        options.defaultEventPageSize = PageSize;
        options.defaultProblemPageSize = 2;
        environment = std::make_unique<sim::SimulatedEnvironment>(options);
        QString error;
        if (!environment->start(&error))
            qFatal("cannot start the simulator: %s", qPrintable(error));
        rest = std::make_unique<net::RestClient>(environment->baseUrl());
        rest->setAuthorization("Api-Token " + environment->token().toUtf8());
        rest->setTimeoutMs(8'000);
        events = std::make_unique<EventsClient>(rest.get());
        problems = std::make_unique<ProblemsClient>(rest.get());
    }

    // `count` configuration events on the service, one a minute, the newest a minute ago.
    void addEvents(int count)
    {
        const auto &service = environment->world().service();
        for (int i = 0; i < count; ++i) {
            sim::StoredEvent event;
            event.eventId = u"%1_%2"_s.arg(1000 + i).arg(StartMs - qint64(i + 1) * MinuteMs);
            event.correlationId = QString::number(i).rightJustified(16, u'0');
            event.startMs = StartMs - qint64(i + 1) * MinuteMs;
            event.endMs = event.startMs + 15 * MinuteMs;
            event.eventType = u"CUSTOM_CONFIGURATION"_s;
            event.title = u"Canary weight set to %1"_s.arg(i);
            event.entityId = service.id;
            event.entityType = u"SERVICE"_s;
            event.entityName = service.name;
            event.entityTags = service.tags;
            event.properties = { { u"remediationAction"_s, u"9"_s }, { u"remediationType"_s, u"ansible"_s } };
            environment->events().add(event);
        }
    }

    VirtualClock clock;
    std::unique_ptr<sim::SimulatedEnvironment> environment;
    std::unique_ptr<net::RestClient> rest;
    std::unique_ptr<EventsClient> events;
    std::unique_ptr<ProblemsClient> problems;
};

// Collects what a list delivers; `calls` must end at exactly one.
template<typename Result>
struct Delivery
{
    std::optional<Result> result;
    int calls = 0;

    auto callback()
    {
        return [this](const Result &r) {
            ++calls;
            result = r;
        };
    }
};

// A server that answers GET /api/v2/events from a script: page n (0-based) gets script(n, request). It
// records every query it was sent, so the test sees exactly what travelled.
struct ScriptedServer
{
    using Script = std::function<HttpReply(int page, const SimRequest &request)>;

    explicit ScriptedServer(Script script, const QString &path = EventsPath)
    {
        server.addRoute(
            "GET", path, QString(), [this, script = std::move(script)](const SimRequest &request) {
                queries.append(request.query);
                return script(int(queries.size()) - 1, request);
            });
        QString error;
        if (!server.start(QHostAddress::LocalHost, 0, &error))
            qFatal("cannot start the scripted server: %s", qPrintable(error));
        rest = std::make_unique<net::RestClient>(QUrl(u"http://127.0.0.1:%1"_s.arg(server.port())));
        rest->setTimeoutMs(8'000);
    }

    SimServer server;
    QList<QueryItems> queries;
    std::unique_ptr<net::RestClient> rest;
};

// One page of `count` events numbered from `first`, with `nextKey` unless it is empty.
QByteArray eventPage(int first, int count, const QString &nextKey, int total = 12)
{
    QByteArray body = "{\"totalCount\":" + QByteArray::number(total) + ",\"pageSize\":5,\"nextPageKey\":"
        + (nextKey.isEmpty() ? QByteArray("null") : '"' + nextKey.toLatin1() + '"') + ",\"events\":[";
    for (int i = first; i < first + count; ++i) {
        if (i > first)
            body += ',';
        body += "{\"eventId\":\"e" + QByteArray::number(i) + "\",\"startTime\":"
            + QByteArray::number(StartMs - i * MinuteMs) + ",\"endTime\":-1,\"eventType\":\"CUSTOM_INFO\"}";
    }
    return body + "],\"warnings\":[]}";
}

QStringList idsOf(const EventListResult &result)
{
    QStringList ids;
    for (const auto &event : result.events)
        ids.append(event.eventId);
    return ids;
}

QStringList numberedIds(int first, int count)
{
    QStringList ids;
    for (int i = first; i < first + count; ++i)
        ids.append(u"e%1"_s.arg(i));
    return ids;
}

QString summaryOf(const std::optional<ApiError> &error)
{
    return error ? error->summary() : QString();
}

} // namespace

class TestEventList : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void queryItems_areTheDocumentedParameters();
    void list_followsEveryPage_data();
    void list_followsEveryPage();
    void list_followUpsCarryOnlyTheKey();
    void list_pageFailsMidway_keepsWhatArrived_data();
    void list_pageFailsMidway_keepsWhatArrived();
    void list_stopsAtTheCap_data();
    void list_stopsAtTheCap();
    void list_sameKeyTwice_isAnError();
    void list_cancel_deliversWhatArrived();
    void list_contextGone_nothingDelivered();
    void list_withoutScope_isForbidden();
    void problems_followEveryPage();
    void problems_forbiddenFixture();
    void problem_byId();
};

void TestEventList::queryItems_areTheDocumentedParameters()
{
    EventQuery query;
    QCOMPARE(EventsClient::queryItems(query), QueryItems());
    query.entitySelector = u"type(SERVICE),tag(\"a+b\")"_s;
    query.from = u"now-30m"_s;
    query.to = u"now"_s;
    query.eventSelector = u"eventType(\"CUSTOM_CONFIGURATION\")"_s;
    query.pageSize = 500;
    const QueryItems expected { { u"pageSize"_s, u"500"_s }, { u"from"_s, u"now-30m"_s },
        { u"to"_s, u"now"_s }, { u"eventSelector"_s, query.eventSelector },
        { u"entitySelector"_s, query.entitySelector } };
    QCOMPARE(EventsClient::queryItems(query), expected);

    ProblemQuery problems;
    problems.problemSelector = u"status(\"open\")"_s;
    problems.from = u"now-2h"_s;
    const QueryItems expectedProblems { { u"from"_s, u"now-2h"_s },
        { u"problemSelector"_s, u"status(\"open\")"_s } };
    QCOMPARE(ProblemsClient::queryItems(problems), expectedProblems);
}

void TestEventList::list_followsEveryPage_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("pages");
    QTest::newRow("none") << 0 << 1;
    QTest::newRow("one") << 1 << 1;
    QTest::newRow("exactly a page") << PageSize << 1;
    QTest::newRow("a page and one") << PageSize + 1 << 2;
    QTest::newRow("many") << 23 << 5;
}

void TestEventList::list_followsEveryPage()
{
    QFETCH(int, count);
    QFETCH(int, pages);
    Tenant tenant;
    tenant.addEvents(count);
    QSignalSpy handled(&tenant.environment->server(), &SimServer::requestHandled);

    // Selectors on the first page only: a follow-up that lost them (or carried them) would change the answer.
    EventQuery query;
    query.from = u"now-2h"_s;
    query.eventSelector = u"eventType(\"CUSTOM_CONFIGURATION\"),property.remediationType(\"ansible\")"_s;
    query.entitySelector = u"type(SERVICE),tag(\"[Environment]DT_RELEASE_STAGE:canary-jenkins\")"_s;
    Delivery<EventListResult> delivery;
    QPointer<PageWalker> walker = tenant.events->list(query, tenant.rest.get(), delivery.callback());
    QVERIFY(walker);
    QCOMPARE(delivery.calls, 0); // never synchronously
    QTRY_COMPARE(delivery.calls, 1);
    const EventListResult &result = *delivery.result;
    QVERIFY2(!result.error, qPrintable(summaryOf(result.error)));
    QVERIFY(result.isComplete());
    QCOMPARE(result.pages, pages);
    QCOMPARE(result.totalCount, count);
    QCOMPARE(int(result.events.size()), count);
    for (int i = 0; i < count; ++i) // newest first, nothing twice, nothing lost
        QCOMPARE(result.events.at(std::size_t(i)).title, u"Canary weight set to %1"_s.arg(i));

    QCOMPARE(handled.count(), pages);
    for (const QList<QVariant> &request : std::as_const(handled)) {
        QCOMPARE(request.at(1).toString(), EventsPath);
        QCOMPARE(request.at(2).toInt(), 200);
    }
    QTRY_VERIFY(!walker); // it cleans up after itself
    QCOMPARE(delivery.calls, 1);
}

void TestEventList::list_followUpsCarryOnlyTheKey()
{
    ScriptedServer scripted([](int page, const SimRequest &) {
        static const QStringList keys { u"k+1/="_s, u"k2"_s };
        return HttpReply::json(eventPage(page * 5, page < 2 ? 5 : 2, page < 2 ? keys.at(page) : QString()));
    });
    EventsClient client(scripted.rest.get());
    EventQuery query;
    query.from = u"now-1h"_s;
    query.to = u"now"_s;
    query.eventSelector = u"status(\"OPEN\")"_s;
    query.entitySelector = u"type(SERVICE)"_s;
    query.pageSize = 5;
    Delivery<EventListResult> delivery;
    client.list(query, &scripted.server, delivery.callback());
    QTRY_COMPARE(delivery.calls, 1);

    QVERIFY2(delivery.result->isComplete(), qPrintable(summaryOf(delivery.result->error)));
    QCOMPARE(idsOf(*delivery.result), numberedIds(0, 12));
    QCOMPARE(delivery.result->pages, 3);
    QCOMPARE(scripted.queries.size(), 3);
    QCOMPARE(scripted.queries.at(0), EventsClient::queryItems(query));
    // The key exactly as handed out ('+', '/' and '=' survive the trip), and nothing else.
    QCOMPARE(scripted.queries.at(1), (QueryItems { { u"nextPageKey"_s, u"k+1/="_s } }));
    QCOMPARE(scripted.queries.at(2), (QueryItems { { u"nextPageKey"_s, u"k2"_s } }));
}

void TestEventList::list_pageFailsMidway_keepsWhatArrived_data()
{
    QTest::addColumn<int>("failure"); // what page 2 does
    QTest::addColumn<ApiError::Kind>("kind");
    QTest::addColumn<int>("httpStatus");

    QTest::newRow("503 envelope") << 0 << ApiError::Kind::ServerError << 503;
    QTest::newRow("not JSON") << 1 << ApiError::Kind::MalformedJson << 200;
    QTest::newRow("wrong shape") << 2 << ApiError::Kind::UnexpectedShape << 200;
    QTest::newRow("connection dropped") << 3 << ApiError::Kind::Transport << 0;
    QTest::newRow("bad request") << 4 << ApiError::Kind::BadRequest << 400;
}

void TestEventList::list_pageFailsMidway_keepsWhatArrived()
{
    QFETCH(int, failure);
    QFETCH(ApiError::Kind, kind);
    QFETCH(int, httpStatus);
    std::unique_ptr<ScriptedServer> scripted;
    scripted = std::make_unique<ScriptedServer>([&scripted, failure](int page, const SimRequest &) {
        if (page == 0)
            return HttpReply::json(eventPage(0, 5, u"second"_s));
        switch (failure) {
        case 0:
            return HttpReply::error(503, u"Service temporarily unavailable"_s);
        case 1:
            return HttpReply::json("<html>gateway</html>");
        case 2:
            return HttpReply::json("{\"events\":{}}");
        case 3:
            scripted->server.stop(); // the answer is never written
            return HttpReply::json(eventPage(5, 5, QString()));
        default:
            return HttpReply::error(canary::sim::SimError::constraint(u"nextPageKey"_s, u"expired"_s));
        }
    });
    // The page walk itself: each failure reaches it as the server gave it (the HTTP layer's retries of a
    // 503 are tested in tests/net).
    scripted->rest->setRetryPolicy(canary::net::RetryPolicy::none());
    EventsClient client(scripted->rest.get());
    Delivery<EventListResult> delivery;
    client.list({}, scripted->rest.get(), delivery.callback());
    QTRY_COMPARE(delivery.calls, 1);

    const EventListResult &result = *delivery.result;
    QCOMPARE(idsOf(result), numberedIds(0, 5)); // page 1 kept
    QCOMPARE(result.pages, 1);
    QVERIFY(result.error.has_value());
    QVERIFY(!result.isComplete());
    QCOMPARE(result.error->kind, kind);
    QCOMPARE(result.error->httpStatus, httpStatus);
    QVERIFY2(result.error->url.path() == EventsPath, qPrintable(result.error->url.toString()));
    QVERIFY(!result.error->url.hasQuery()); // the key is not repeated in error texts
    QCOMPARE(scripted->queries.size(), 2);
}

void TestEventList::list_stopsAtTheCap_data()
{
    QTest::addColumn<int>("cap");
    QTest::addColumn<int>("events");
    QTest::addColumn<int>("pages");
    QTest::addColumn<bool>("truncated");
    // The script serves 12 events as 5 + 5 + 2.
    QTest::newRow("mid-page") << 7 << 7 << 2 << true;
    QTest::newRow("at a page end, more to come") << 5 << 5 << 1 << true;
    QTest::newRow("exactly everything") << 12 << 12 << 3 << false;
    QTest::newRow("room to spare") << 100 << 12 << 3 << false;
}

void TestEventList::list_stopsAtTheCap()
{
    QFETCH(int, cap);
    QFETCH(int, events);
    QFETCH(int, pages);
    QFETCH(bool, truncated);
    ScriptedServer scripted([](int page, const SimRequest &) {
        return HttpReply::json(
            eventPage(page * 5, page < 2 ? 5 : 2, page < 2 ? u"p%1"_s.arg(page + 1) : QString()));
    });
    EventsClient client(scripted.rest.get());
    EventQuery query;
    query.maxEvents = cap;
    Delivery<EventListResult> delivery;
    client.list(query, &scripted.server, delivery.callback());
    QTRY_COMPARE(delivery.calls, 1);
    QCOMPARE(idsOf(*delivery.result), numberedIds(0, events));
    QCOMPARE(delivery.result->pages, pages);
    QCOMPARE(delivery.result->truncated, truncated);
    QVERIFY(!delivery.result->error);
    QCOMPARE(int(scripted.queries.size()), pages); // no page fetched beyond the cap
}

void TestEventList::list_sameKeyTwice_isAnError()
{
    ScriptedServer scripted(
        [](int page, const SimRequest &) { return HttpReply::json(eventPage(page * 5, 5, u"again"_s)); });
    EventsClient client(scripted.rest.get());
    Delivery<EventListResult> delivery;
    client.list({}, &scripted.server, delivery.callback());
    QTRY_COMPARE(delivery.calls, 1);
    QCOMPARE(delivery.result->events.size(), std::size_t(10));
    QVERIFY(delivery.result->error);
    QCOMPARE(delivery.result->error->kind, ApiError::Kind::UnexpectedShape);
    QVERIFY(delivery.result->error->message.contains(u"same key"_s));
    QCOMPARE(scripted.queries.size(), 2);
}

void TestEventList::list_cancel_deliversWhatArrived()
{
    ScriptedServer scripted([](int page, const SimRequest &) {
        return HttpReply::json(eventPage(page * 5, 5, u"more%1"_s.arg(page)));
    });
    EventsClient client(scripted.rest.get());
    Delivery<EventListResult> delivery;
    QPointer<PageWalker> walker;
    // Cancel as soon as the second page is on its way.
    connect(&scripted.server, &SimServer::requestHandled, this, [&] {
        if (scripted.queries.size() == 2 && walker)
            walker->cancel();
    });
    walker = client.list({}, &scripted.server, delivery.callback());
    QTRY_COMPARE(delivery.calls, 1);
    QVERIFY(delivery.result->error);
    QCOMPARE(delivery.result->error->kind, ApiError::Kind::Canceled);
    QCOMPARE(idsOf(*delivery.result), numberedIds(0, 5));
    QTRY_VERIFY(!walker);
    QCOMPARE(delivery.calls, 1);
}

void TestEventList::list_contextGone_nothingDelivered()
{
    Tenant tenant;
    tenant.addEvents(12);
    auto context = std::make_unique<QObject>();
    Delivery<EventListResult> delivery;
    QPointer<PageWalker> walker = tenant.events->list({}, context.get(), delivery.callback());
    QSignalSpy handled(&tenant.environment->server(), &SimServer::requestHandled);
    QVERIFY(handled.wait(5000)); // the first page is under way
    context.reset();
    QTRY_VERIFY(!walker); // the walk stopped and cleaned up
    QCOMPARE(delivery.calls, 0);
    QVERIFY(handled.count() < 3); // not every page was fetched for nobody
}

void TestEventList::list_withoutScope_isForbidden()
{
    Tenant tenant;
    tenant.addEvents(3);
    tenant.environment->server().addToken(u"dt0c01.INGESTONLY"_s, { u"events.ingest"_s });
    tenant.rest->setAuthorization("Api-Token dt0c01.INGESTONLY");
    Delivery<EventListResult> delivery;
    tenant.events->list({}, tenant.rest.get(), delivery.callback());
    QTRY_COMPARE(delivery.calls, 1);
    QVERIFY(delivery.result->events.empty());
    QCOMPARE(delivery.result->pages, 0);
    QCOMPARE(delivery.result->error->kind, ApiError::Kind::Forbidden);
    QCOMPARE(delivery.result->error->message,
        u"Token is missing required scope. Use one of: events.read (Read events)"_s);
}

void TestEventList::problems_followEveryPage()
{
    Tenant tenant;
    const auto &service = tenant.environment->world().service();
    for (int i = 0; i < 5; ++i) {
        sim::StoredProblem problem;
        problem.problemId = u"-%1_%2V2"_s.arg(900 + i).arg(StartMs - qint64(i + 1) * 10 * MinuteMs);
        problem.displayId = u"P-%1"_s.arg(230700 + i);
        problem.title = u"Failure rate increase"_s;
        problem.startMs = StartMs - qint64(i + 1) * 10 * MinuteMs;
        if (i > 0)
            problem.endMs = problem.startMs + 5 * MinuteMs;
        problem.entityId = service.id;
        problem.entityType = u"SERVICE"_s;
        problem.entityName = service.name;
        tenant.environment->problems().add(problem);
    }
    QSignalSpy handled(&tenant.environment->server(), &SimServer::requestHandled);
    ProblemQuery query;
    query.from = u"now-2h"_s;
    query.entitySelector = u"type(SERVICE)"_s;
    Delivery<ProblemListResult> delivery;
    tenant.problems->list(query, tenant.rest.get(), delivery.callback());
    QTRY_COMPARE(delivery.calls, 1);
    const ProblemListResult &result = *delivery.result;
    QVERIFY2(result.isComplete(), qPrintable(summaryOf(result.error)));
    QCOMPARE(result.pages, 3); // 2 + 2 + 1
    QCOMPARE(handled.count(), 3);
    QCOMPARE(result.problems.size(), std::size_t(5));
    QCOMPARE(result.problems.front().displayId, u"P-230700"_s);
    QVERIFY(result.problems.front().isOpen());
    QVERIFY(!result.problems.front().endMs);
    QCOMPARE(result.problems.back().displayId, u"P-230704"_s);
    QVERIFY(!result.problems.back().isOpen());
    QCOMPARE(result.problems.back().rootCause->id, service.id);

    // Only the open one.
    query.problemSelector = u"status(\"open\")"_s;
    Delivery<ProblemListResult> open;
    tenant.problems->list(query, tenant.rest.get(), open.callback());
    QTRY_COMPARE(open.calls, 1);
    QCOMPARE(open.result->problems.size(), std::size_t(1));
    QCOMPARE(open.result->pages, 1);
}

void TestEventList::problems_forbiddenFixture()
{
    const QByteArray body = canary::testing::readTestData(u"dynatrace/error_403_missing_scope.json"_s);
    ScriptedServer scripted(
        [body](int, const SimRequest &) { return HttpReply::json(body, 403); }, u"/api/v2/problems"_s);
    ProblemsClient client(scripted.rest.get());
    Delivery<ProblemListResult> delivery;
    client.list({}, &scripted.server, delivery.callback());
    QTRY_COMPARE(delivery.calls, 1);
    QVERIFY(delivery.result->problems.empty());
    QCOMPARE(delivery.result->error->kind, ApiError::Kind::Forbidden);
    QCOMPARE(delivery.result->error->httpStatus, 403);
    QCOMPARE(delivery.result->error->message,
        u"Token is missing required scope. Use one of: problems.read (Read problems)"_s);
    QVERIFY(delivery.result->error->isConnectionOrAuth());
}

void TestEventList::problem_byId()
{
    Tenant tenant;
    sim::StoredProblem stored;
    stored.problemId = u"-42_%1V2"_s.arg(StartMs - 10 * MinuteMs);
    stored.displayId = u"P-230726"_s;
    stored.title = u"Failure rate increase"_s;
    stored.startMs = StartMs - 10 * MinuteMs;
    stored.entityId = tenant.environment->serviceId();
    stored.entityType = u"SERVICE"_s;
    stored.entityName = tenant.environment->serviceName();
    tenant.environment->problems().add(stored);

    std::optional<ProblemResult> found;
    tenant.problems->problem(stored.problemId, tenant.rest.get(), [&](const ProblemResult &r) { found = r; });
    QTRY_VERIFY(found.has_value());
    QVERIFY2(found->hasValue(), qPrintable(*found ? QString() : found->error().summary()));
    QCOMPARE(found->value().displayId, u"P-230726"_s);
    QVERIFY(found->value().isOpen());

    std::optional<ProblemResult> missing;
    tenant.problems->problem(u"P-230726"_s, tenant.rest.get(), [&](const ProblemResult &r) { missing = r; });
    QTRY_VERIFY(missing.has_value());
    QVERIFY(!missing->hasValue());
    QCOMPARE(missing->error().kind, ApiError::Kind::NotFound); // a displayId is not a problemId
}

QTEST_GUILESS_MAIN(TestEventList)
#include "tst_eventlist.moc"
