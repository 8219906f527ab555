#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include "sim/dynatraceapi.h"
#include "sim/problemdetector.h"
#include "sim/problemstore.h"
#include "sim/simserver.h"
#include "sim/world.h"
#include "simtenant.h"
#include "testdata.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::ProblemStore;
using canary::sim::StoredProblem;
using canary::sim::WorldConfig;
using canary::testing::SimTenant;
using canary::testing::TenantAnswer;

using QueryItems = net::QueryItems;

namespace {

constexpr qint64 SecondMs = 1000;
constexpr qint64 MinuteMs = 60 * SecondMs;
constexpr qint64 HourMs = 60 * MinuteMs;
constexpr qint64 DayMs = 24 * HourMs;
const QString ProblemsPath = u"/api/v2/problems"_s;
const QString EventsPath = u"/api/v2/events"_s;

QJsonArray problemsOf(SimTenant &tenant, const QueryItems &query = {})
{
    const TenantAnswer answer = tenant.get(ProblemsPath, query);
    if (answer.status != 200)
        qWarning("GET %s: %d %s", qPrintable(ProblemsPath), answer.status, answer.body.constData());
    return answer.list(u"problems"_s);
}

QJsonObject entityStub(SimTenant &tenant)
{
    return { { u"entityId"_s,
                 QJsonObject { { u"id"_s, tenant.environment->serviceId() }, { u"type"_s, u"SERVICE"_s } } },
        { u"name"_s, tenant.environment->serviceName() } };
}

QJsonObject propertiesOf(const QJsonObject &event)
{
    QJsonObject map;
    for (const QJsonValue property : event.value(u"properties"_s).toArray())
        map.insert(property[u"key"_s].toString(), property[u"value"_s]);
    return map;
}

// A tenant whose canary fails half its calls and takes `weight` percent of the traffic from now on.
WorldConfig atWeight(int weight, double requestsPerSecond = 2.0)
{
    WorldConfig config;
    config.initialCanaryWeight = weight;
    config.requestsPerSecond = requestsPerSecond;
    return config;
}

} // namespace

class TestSimProblems : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void opensAfterAMinuteAbove_closesAfterAMinuteBelow();
    void threshold_data();
    void threshold();
    void aDayOfFlapping_isCheap();
    void retention_forgetsOldProblems();
    void listShape_andSelectors();
    void badSelectors_data();
    void badSelectors();
    void paging_fieldsMayComeWithTheKey();
    void detail_withEvidence_andUnknownIds();
    void withoutScope_isTheDocumentedForbidden();
    void davisEvent_isListedWithTheEvents();
    void demoHistory_hasEachGeneration_andAClosedProblem();
};

void TestSimProblems::opensAfterAMinuteAbove_closesAfterAMinuteBelow()
{
    SimTenant tenant;
    QSignalSpy opened(&tenant.environment->problems(), &ProblemStore::problemOpened);
    QSignalSpy closed(&tenant.environment->problems(), &ProblemStore::problemClosed);
    const qint64 shiftMs = tenant.now();
    tenant.world().setCanaryWeight(50); // 25 % of all calls fail from here on

    tenant.clock.advanceMs(MinuteMs);
    QCOMPARE(problemsOf(tenant).size(), 0); // above 10 %, but not yet for a minute
    QCOMPARE(opened.count(), 0);

    tenant.clock.advanceMs(90 * SecondMs);
    const QJsonArray open = problemsOf(tenant);
    QCOMPARE(open.size(), 1);
    QCOMPARE(opened.count(), 1);
    const QJsonObject problem = open.at(0).toObject();
    QCOMPARE(problem.value(u"status"_s).toString(), u"OPEN"_s);
    QCOMPARE(problem.value(u"endTime"_s).toInteger(), -1);
    const qint64 startMs = problem.value(u"startTime"_s).toInteger();
    // From when the one-minute rate first rose above 10 % (some 25 s in), not from when it was confirmed.
    QVERIFY2(
        startMs > shiftMs && startMs <= shiftMs + MinuteMs, qPrintable(QString::number(startMs - shiftMs)));

    const qint64 resetMs = tenant.now() + 2 * MinuteMs;
    tenant.clock.setNowMs(resetMs);
    tenant.world().setCanaryWeight(0);
    tenant.clock.advanceMs(MinuteMs);
    QCOMPARE(problemsOf(tenant).at(0)[u"status"_s].toString(), u"OPEN"_s); // below, but not for a minute yet
    QCOMPARE(closed.count(), 0);

    tenant.clock.advanceMs(2 * MinuteMs);
    const QJsonObject ended = problemsOf(tenant).at(0).toObject();
    QCOMPARE(ended.value(u"status"_s).toString(), u"CLOSED"_s);
    const qint64 endMs = ended.value(u"endTime"_s).toInteger();
    QVERIFY2(endMs > resetMs && endMs <= resetMs + MinuteMs, qPrintable(QString::number(endMs - resetMs)));
    QCOMPARE(ended.value(u"problemId"_s), problem.value(u"problemId"_s));
    QCOMPARE(closed.count(), 1);
    QCOMPARE(opened.count(), 1);
}

void TestSimProblems::threshold_data()
{
    QTest::addColumn<WorldConfig>("config");
    QTest::addColumn<int>("problems");

    QTest::newRow("10 % canary: 5 % failures") << atWeight(10) << 0;
    QTest::newRow("30 % canary: 15 % failures") << atWeight(30) << 1;
    QTest::newRow("100 % canary: 50 % failures") << atWeight(100) << 1;
    // Over-alerting protection: 100 % failing canary at 6 requests a minute is too little traffic.
    QTest::newRow("too little traffic") << atWeight(100, 0.1) << 0;
    WorldConfig higher = atWeight(50);
    higher.failureRateDetection.thresholdPercent = 30.0;
    QTest::newRow("25 % under a 30 % threshold") << higher << 0;
    WorldConfig off = atWeight(100);
    off.failureRateDetection.enabled = false;
    QTest::newRow("detection off") << off << 0;
}

void TestSimProblems::threshold()
{
    QFETCH(WorldConfig, config);
    QFETCH(int, problems);
    SimTenant tenant(config);
    tenant.clock.advanceMs(10 * MinuteMs);
    QCOMPARE(problemsOf(tenant).size(), problems);
}

void TestSimProblems::aDayOfFlapping_isCheap()
{
    // 30 minutes of a 50 % canary, 30 minutes without, all day long: one problem per bad half hour.
    WorldConfig config;
    for (int half = 0; half < 48; ++half)
        config.schedule.append({ half * 30 * MinuteMs, half % 2 == 0 ? 50 : 0 });
    SimTenant tenant(config);
    QElapsedTimer timer;
    timer.start();
    tenant.clock.advanceMs(DayMs);
    const QJsonArray problems
        = problemsOf(tenant, { { u"from"_s, u"now-2d"_s }, { u"pageSize"_s, u"500"_s } });
    QVERIFY2(timer.elapsed() < 10'000, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(problems.size(), 24);
    for (const QJsonValue problem : problems) {
        QCOMPARE(problem[u"status"_s].toString(), u"CLOSED"_s);
        const qint64 lasted = problem[u"endTime"_s].toInteger() - problem[u"startTime"_s].toInteger();
        QVERIFY2(lasted > 25 * MinuteMs && lasted < 31 * MinuteMs, qPrintable(QString::number(lasted)));
    }
    QCOMPARE(tenant.environment->problemDetector().evaluatedUntilMs(), tenant.now());
}

void TestSimProblems::retention_forgetsOldProblems()
{
    WorldConfig config = atWeight(50);
    config.retentionMs = 2 * HourMs;
    config.schedule = { { 10 * MinuteMs, 0 } };
    SimTenant tenant(config);
    tenant.clock.advanceMs(30 * MinuteMs);
    QCOMPARE(problemsOf(tenant).size(), 1);
    QCOMPARE(tenant.environment->problems().size(), 1);
    tenant.clock.advanceMs(3 * HourMs);
    QCOMPARE(problemsOf(tenant, { { u"from"_s, u"now-1d"_s } }).size(), 0);
    QCOMPARE(tenant.environment->problems().size(), 0);
}

void TestSimProblems::listShape_andSelectors()
{
    SimTenant tenant(atWeight(100));
    tenant.clock.advanceMs(5 * MinuteMs);
    const TenantAnswer answer = tenant.get(ProblemsPath);
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.json().value(u"totalCount"_s).toInt(), 1);
    QCOMPARE(answer.json().value(u"pageSize"_s).toInt(), 50); // Dynatrace's default
    QVERIFY(answer.json().value(u"nextPageKey"_s).isNull());
    const QJsonObject problem = answer.list(u"problems"_s).at(0).toObject();
    const qint64 startMs = problem.value(u"startTime"_s).toInteger();
    QVERIFY2(QRegularExpression(u"^-?[0-9]+_%1V2$"_s.arg(startMs))
                 .match(problem[u"problemId"_s].toString())
                 .hasMatch(),
        qPrintable(problem[u"problemId"_s].toString()));
    QVERIFY2(QRegularExpression(u"^P-[0-9]{6}$"_s).match(problem[u"displayId"_s].toString()).hasMatch(),
        qPrintable(problem[u"displayId"_s].toString()));
    QCOMPARE(problem.value(u"title"_s).toString(), u"Failure rate increase"_s);
    QCOMPARE(problem.value(u"severityLevel"_s).toString(), u"ERROR"_s);
    QCOMPARE(problem.value(u"impactLevel"_s).toString(), u"SERVICES"_s);
    QCOMPARE(problem.value(u"rootCauseEntity"_s).toObject(), entityStub(tenant));
    QCOMPARE(problem.value(u"affectedEntities"_s).toArray(), QJsonArray { entityStub(tenant) });
    QCOMPARE(problem.value(u"impactedEntities"_s).toArray(), QJsonArray { entityStub(tenant) });
    QCOMPARE(problem.value(u"managementZones"_s).toArray(), QJsonArray());
    QCOMPARE(problem.value(u"entityTags"_s).toArray().at(1)[u"stringRepresentation"_s].toString(),
        u"[Environment]DT_RELEASE_STAGE:canary-jenkins"_s);

    const auto count = [&](const QueryItems &query) { return problemsOf(tenant, query).size(); };
    QCOMPARE(count({ { u"problemSelector"_s, u"status(\"open\")"_s } }), 1);
    QCOMPARE(count({ { u"problemSelector"_s, u"status(\"CLOSED\")"_s } }), 0);
    QCOMPARE(count({ { u"problemSelector"_s, u"text(\"failure rate\"),severityLevel(\"ERROR\")"_s } }), 1);
    QCOMPARE(count({ { u"problemSelector"_s,
                 u"rootCauseEntity(\"%1\")"_s.arg(tenant.environment->serviceId()) } }),
        1);
    QCOMPARE(
        count({ { u"problemSelector"_s, u"displayId(\"%1\")"_s.arg(problem[u"displayId"_s].toString()) } }),
        1);
    QCOMPARE(count({ { u"problemSelector"_s,
                 u"entityTags(\"[Environment]DT_RELEASE_STAGE:canary-jenkins\")"_s } }),
        1);
    QCOMPARE(count({ { u"problemSelector"_s, u"impactLevel(\"APPLICATION\")"_s } }), 0);
    QCOMPARE(count({ { u"entitySelector"_s,
                 u"type(SERVICE),entityId(\"%1\")"_s.arg(tenant.environment->serviceId()) } }),
        1);
    QCOMPARE(count({ { u"entitySelector"_s, u"type(SERVICE),entityName.equals(\"carts\")"_s } }), 0);
    QCOMPARE(count({ { u"to"_s, u"now-10m"_s }, { u"from"_s, u"now-1h"_s } }), 0); // it started after that
}

void TestSimProblems::badSelectors_data()
{
    QTest::addColumn<QueryItems>("query");
    QTest::addColumn<QString>("path");
    QTest::newRow("unknown criterion")
        << QueryItems { { u"problemSelector"_s, u"owner(\"me\")"_s } } << u"problemSelector"_s;
    QTest::newRow("bad status") << QueryItems { { u"problemSelector"_s, u"status(\"resolved\")"_s } }
                                << u"problemSelector"_s;
    QTest::newRow("text too long") << QueryItems {
        { u"problemSelector"_s, u"text(\"%1\")"_s.arg(u"x"_s.repeated(31)) }
    } << u"problemSelector"_s;
    QTest::newRow("page size 501") << QueryItems { { u"pageSize"_s, u"501"_s } } << u"pageSize"_s;
    QTest::newRow("bad from") << QueryItems { { u"from"_s, u"yesterday"_s } } << u"from"_s;
}

void TestSimProblems::badSelectors()
{
    QFETCH(QueryItems, query);
    QFETCH(QString, path);
    SimTenant tenant;
    const TenantAnswer answer = tenant.get(ProblemsPath, query);
    QCOMPARE(answer.status, 400);
    QCOMPARE(answer.violation().value(u"path"_s).toString(), path);
}

void TestSimProblems::paging_fieldsMayComeWithTheKey()
{
    SimTenant tenant({}, 0, 2);
    for (int i = 0; i < 5; ++i) {
        StoredProblem problem;
        problem.problemId = u"%1_%2V2"_s.arg(i).arg(tenant.now() - (i + 1) * MinuteMs);
        problem.displayId = u"P-10000%1"_s.arg(i);
        problem.title = u"Failure rate increase"_s;
        problem.startMs = tenant.now() - (i + 1) * MinuteMs;
        problem.entityId = tenant.environment->serviceId();
        problem.entityType = u"SERVICE"_s;
        tenant.environment->problems().add(problem);
    }
    const TenantAnswer first = tenant.get(ProblemsPath, { { u"fields"_s, u"evidenceDetails"_s } });
    QCOMPARE(first.list(u"problems"_s).size(), 2);
    const QString key = first.json().value(u"nextPageKey"_s).toString();
    QVERIFY(!key.isEmpty());
    const TenantAnswer second
        = tenant.get(ProblemsPath, { { u"nextPageKey"_s, key }, { u"fields"_s, u"evidenceDetails"_s } });
    QCOMPARE(second.status, 200);
    QCOMPARE(second.list(u"problems"_s).at(0)[u"displayId"_s].toString(), u"P-100002"_s);
    const TenantAnswer refused
        = tenant.get(ProblemsPath, { { u"nextPageKey"_s, key }, { u"from"_s, u"now-1h"_s } });
    QCOMPARE(refused.status, 400);
    QCOMPARE(refused.violation().value(u"path"_s).toString(), u"nextPageKey"_s);
}

void TestSimProblems::detail_withEvidence_andUnknownIds()
{
    SimTenant tenant(atWeight(0));
    // A change recorded on the service, then the canary takes traffic.
    const QByteArray change
        = "{\"eventType\":\"CUSTOM_CONFIGURATION\",\"title\":\"Canary weight set to 100\","
          "\"entitySelector\":\"type(SERVICE)\",\"properties\":{\"remediationAction\":\"9\"}}";
    QCOMPARE(tenant.post(u"/api/v2/events/ingest"_s, change).status, 201);
    tenant.world().setCanaryWeight(100);
    tenant.clock.advanceMs(5 * MinuteMs);
    const QString problemId = problemsOf(tenant).at(0)[u"problemId"_s].toString();

    const TenantAnswer detail = tenant.get(ProblemsPath + u'/' + problemId);
    QCOMPARE(detail.status, 200);
    QCOMPARE(detail.json().value(u"problemId"_s).toString(), problemId);
    const QJsonObject evidence = detail.json().value(u"evidenceDetails"_s).toObject();
    const QJsonArray details = evidence.value(u"details"_s).toArray();
    QCOMPARE(evidence.value(u"totalCount"_s).toInt(), 2);
    QCOMPARE(details.at(0)[u"eventType"_s].toString(), u"ERROR_EVENT"_s);
    QCOMPARE(details.at(0)[u"displayName"_s].toString(), u"Failure rate increase"_s);
    QCOMPARE(details.at(0)[u"endTime"_s].toInteger(), -1);
    QCOMPARE(details.at(1)[u"displayName"_s].toString(), u"Canary weight set to 100"_s);
    QVERIFY(details.at(1)[u"rootCauseRelevant"_s].toBool());

    const TenantAnswer byDisplayId
        = tenant.get(ProblemsPath + u'/' + problemsOf(tenant).at(0)[u"displayId"_s].toString());
    QCOMPARE(byDisplayId.status, 404); // paths take the problemId
    QCOMPARE(byDisplayId.envelope().value(u"code"_s).toInt(), 404);
    QVERIFY(!byDisplayId.envelope().value(u"message"_s).toString().isEmpty());
}

void TestSimProblems::withoutScope_isTheDocumentedForbidden()
{
    SimTenant tenant;
    tenant.environment->server().addToken(u"dt0c01.METRICS"_s, { u"metrics.read"_s });
    const TenantAnswer answer = tenant.get(ProblemsPath, {}, u"dt0c01.METRICS"_s);
    QCOMPARE(answer.status, 403);
    const QByteArray fixture = canary::testing::readTestData(u"dynatrace/error_403_missing_scope.json"_s);
    QCOMPARE(answer.json(), QJsonDocument::fromJson(fixture).object());
}

void TestSimProblems::davisEvent_isListedWithTheEvents()
{
    SimTenant tenant(atWeight(50));
    tenant.clock.advanceMs(5 * MinuteMs);
    const QueryItems errors { { u"eventSelector"_s, u"eventType(\"ERROR_EVENT\")"_s } };
    const QJsonArray open = tenant.get(EventsPath, errors).list(u"events"_s);
    QCOMPARE(open.size(), 1);
    const QJsonObject problem = problemsOf(tenant).at(0).toObject();
    QCOMPARE(open.at(0)[u"title"_s].toString(), u"Failure rate increase"_s);
    QCOMPARE(open.at(0)[u"status"_s].toString(), u"OPEN"_s);
    QCOMPARE(open.at(0)[u"endTime"_s].toInteger(), -1);
    QCOMPARE(open.at(0)[u"startTime"_s], problem.value(u"startTime"_s));
    QCOMPARE(open.at(0)[u"entityId"_s].toObject(), entityStub(tenant));
    QVERIFY(propertiesOf(open.at(0).toObject())
                .value(u"dt.event.description"_s)
                .toString()
                .startsWith(u"Your custom threshold of 10 % was exceeded to "_s));

    tenant.world().setCanaryWeight(0);
    tenant.clock.advanceMs(5 * MinuteMs);
    const QJsonArray closed = tenant.get(EventsPath, errors).list(u"events"_s);
    QCOMPARE(closed.size(), 1);
    QCOMPARE(closed.at(0)[u"status"_s].toString(), u"CLOSED"_s);
    QCOMPARE(closed.at(0)[u"endTime"_s], problemsOf(tenant).at(0)[u"endTime"_s]);
    QCOMPARE(tenant.environment->events().size(), 0); // derived from the problem, not stored as an ingest
}

void TestSimProblems::demoHistory_hasEachGeneration_andAClosedProblem()
{
    SimTenant tenant(WorldConfig::workshopDemo());
    const qint64 now = tenant.now();
    const auto ago = [now](int minutes) { return now - qint64(minutes) * MinuteMs; };

    const TenantAnswer listed = tenant.get(EventsPath, { { u"from"_s, u"now-30m"_s } });
    QCOMPARE(listed.status, 200);
    const QJsonArray events = listed.list(u"events"_s);
    QStringList titles;
    for (const QJsonValue event : events)
        titles.append(event[u"title"_s].toString());
    QCOMPARE(titles,
        (QStringList { u"Canary weight set to 0"_s, u"Canary weight set to 100"_s,
            u"Canary weight set to 70"_s, u"Failure rate increase"_s,
            u"simplenodeservice canary weight set to 30%"_s }));

    const auto event = [&](const QString &title) {
        for (const QJsonValue candidate : events) {
            if (candidate[u"title"_s].toString() == title)
                return candidate.toObject();
        }
        return QJsonObject();
    };
    const QJsonObject v1 = event(u"simplenodeservice canary weight set to 30%"_s);
    QCOMPARE(v1.value(u"startTime"_s).toInteger(), ago(20));
    const QJsonObject v1Properties = propertiesOf(v1);
    // The AWX launch URL on the simulator itself, which serves AWX's "Reset canary weighting" (#9).
    QCOMPARE(v1Properties.value(u"remediationAction"_s).toString(),
        tenant.environment->baseUrl().toString() + u"/api/v2/job_templates/9/launch/"_s);
    QCOMPARE(v1Properties.value(u"remediationType"_s).toString(), u"ansible"_s);
    QCOMPARE(v1Properties.value(u"dt.event.source"_s).toString(), u"Jenkins"_s);
    QCOMPARE(v1Properties.value(u"dt.event.configuration"_s).toString(), u"Load Balancer"_s);
    QCOMPARE(v1Properties.value(u"dt.event.description"_s).toString(), v1.value(u"title"_s).toString());

    // Ingested without times: open for the default 15 minutes, so the reset still is.
    for (const auto &[title, minutesAgo, action, status] :
        { std::tuple { u"Canary weight set to 70"_s, 18, u"9"_s, u"CLOSED"_s },
            std::tuple { u"Canary weight set to 100"_s, 16, u"9"_s, u"CLOSED"_s },
            std::tuple { u"Canary weight set to 0"_s, 12, u"NA"_s, u"OPEN"_s } }) {
        const QJsonObject v2 = event(title);
        QCOMPARE(v2.value(u"eventType"_s).toString(), u"CUSTOM_CONFIGURATION"_s);
        QCOMPARE(v2.value(u"startTime"_s).toInteger(), ago(minutesAgo));
        QCOMPARE(v2.value(u"status"_s).toString(), status);
        QCOMPARE(
            v2.value(u"endTime"_s).toInteger(), status == u"OPEN"_s ? -1 : ago(minutesAgo) + 15 * MinuteMs);
        const QJsonObject expected { { u"remediationAction"_s, action },
            { u"remediationType"_s, u"ansible"_s } };
        QCOMPARE(propertiesOf(v2), expected);
        QCOMPARE(v2.value(u"entityId"_s).toObject(), entityStub(tenant));
    }

    // The ramp's failures opened a problem; the reset closed it.
    const QJsonArray problems = problemsOf(tenant, { { u"from"_s, u"now-30m"_s } });
    QCOMPARE(problems.size(), 1);
    const QJsonObject problem = problems.at(0).toObject();
    QCOMPARE(problem.value(u"status"_s).toString(), u"CLOSED"_s);
    const qint64 startMs = problem.value(u"startTime"_s).toInteger();
    const qint64 endMs = problem.value(u"endTime"_s).toInteger();
    QVERIFY2(startMs > ago(20) && startMs < ago(18), qPrintable(QString::number(now - startMs)));
    QVERIFY2(endMs > ago(12) && endMs < ago(10), qPrintable(QString::number(now - endMs)));
    const QJsonObject davis = event(u"Failure rate increase"_s);
    QCOMPARE(davis.value(u"eventType"_s).toString(), u"ERROR_EVENT"_s);
    QCOMPARE(davis.value(u"endTime"_s).toInteger(), endMs);
}

QTEST_GUILESS_MAIN(TestSimProblems)
#include "tst_simproblems.moc"
