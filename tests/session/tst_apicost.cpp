// Issue 8's API-cost budget: a refresh cycle costs a constant number of requests, counted where Dynatrace
// would count them (the simulator's request counters), whatever the number of builds in the data.
#include <numeric>

#include <QSignalSpy>
#include <QTest>

#include "session/canarysession.h"
#include "sim/dynatraceapi.h"
#include "sim/metricdefinition.h"
#include "simfixture.h"
#include "traffic/simtrafficbackend.h"
#include "traffic/splitwatch.h"
#include "traffic/trafficcontroller.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::SimFixture;

namespace {

const QString MetricsQuery = u"GET /api/v2/metrics/query"_s;
const QString MetricList = u"GET /api/v2/metrics"_s;
const QString Events = u"GET /api/v2/events"_s;
const QString Problems = u"GET /api/v2/problems"_s;

QString describe(const QMap<QString, int> &counts)
{
    QStringList parts;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        parts.append(u"%1 x%2"_s.arg(it.key()).arg(it.value()));
    return parts.join(u", "_s);
}

// What the tenant and the target have of the per-build failure and response-time metrics.
enum class Health {
    Fetched, // the workshop's tenant, the default target: all three metrics in one query
    NotOnTenant, // only calc:service.requests_by_build was created: request counts, a note, nothing more
    Off, // the target asks for none: exactly the cost before health metrics existed
};

// A tenant where somebody created the request-count metric only (canary-sim --no-calculated-metrics, then
// canaryctl metric create; here with its data from the start).
void keepOnlyTheRequestCountMetric(sim::SimulatedEnvironment &environment)
{
    auto &registry = environment.dynatrace().metricRegistry();
    registry.setWorkshopMetrics(false);
    registry.add(*sim::MetricDefinition::find(session::Target::defaultMetricSelector()));
}

} // namespace

Q_DECLARE_METATYPE(Health)

class TestApiCost : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void refreshCycle_costsOneRequestPerEndpoint_whateverTheBuilds_data()
    {
        // The simulator deploys two builds (stable and canary), so the number of per-build series is varied
        // through the split instead: all traffic on one build, or on both. The failure and response-time
        // metrics ride in the request counts' query, so they change nothing either.
        QTest::addColumn<int>("canaryWeight");
        QTest::addColumn<int>("expectedBuilds");
        QTest::addColumn<Health>("health");
        QTest::newRow("0 % canary: one build") << 0 << 1 << Health::Fetched;
        QTest::newRow("30 % canary: two builds") << 30 << 2 << Health::Fetched;
        QTest::newRow("100 % canary: one build") << 100 << 1 << Health::Fetched;
        QTest::newRow("30 %, no health metrics on the tenant") << 30 << 2 << Health::NotOnTenant;
        QTest::newRow("30 %, health metrics off") << 30 << 2 << Health::Off;
    }

    void refreshCycle_costsOneRequestPerEndpoint_whateverTheBuilds()
    {
        QFETCH(int, canaryWeight);
        QFETCH(int, expectedBuilds);
        QFETCH(Health, health);
        constexpr int Cycles = 4;

        SimFixture fixture(canaryWeight, 10);
        auto &faults = fixture.environment->faults();
        session::Target target = fixture.target();
        if (health == Health::NotOnTenant)
            keepOnlyTheRequestCountMetric(*fixture.environment);
        if (health == Health::Off) {
            target.failureMetricSelector.clear();
            target.responseTimeMetricSelector.clear();
        }
        session::CanarySession session(target, fixture.environment->token(), fixture.clock);
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        QSignalSpy events(&session, &session::CanarySession::eventsChanged);
        QSignalSpy problems(&session, &session::CanarySession::problemsChanged);
        QSignalSpy failures(&session, &session::CanarySession::refreshFailed);
        QSignalSpy eventFailures(&session, &session::CanarySession::eventsFailed);
        QSignalSpy problemFailures(&session, &session::CanarySession::problemsFailed);

        const QString descriptor = u"GET /api/v2/metrics/"_s + fixture.target().metricSelector;
        for (int cycle = 1; cycle <= Cycles; ++cycle) {
            faults.resetRequestCounts();
            session.refresh();
            // A cycle is over when all three answers are in: nothing is left to count.
            QTRY_COMPARE(snapshots.count(), cycle);
            QTRY_COMPARE(events.count(), cycle);
            QTRY_COMPARE(problems.count(), cycle);
            QCOMPARE(failures.count(), 0);
            QCOMPARE(eventFailures.count(), 0);
            QCOMPARE(problemFailures.count(), 0);
            QVERIFY(!session.isRefreshing());
            QCOMPARE(int(session.snapshot().builds.size()), expectedBuilds);
            QCOMPARE(session.snapshot().hasFailures, health == Health::Fetched);
            QCOMPARE(session.snapshot().hasResponseTime, health == Health::Fetched);
            QCOMPARE(session.snapshot().healthNote.isEmpty(), health == Health::Fetched);

            const auto counts = faults.requestCounts();
            qInfo("%s, cycle %d: %d requests: %s", QTest::currentDataTag(), cycle,
                int(std::accumulate(counts.cbegin(), counts.cend(), 0)), qPrintable(describe(counts)));

            QMap<QString, int> expected { { MetricsQuery, 1 }, { Events, 1 }, { Problems, 1 } };
            // The build dimension is discovered once and then remembered: from the metric's descriptor, or
            // with the health metrics from one metric list describing all three.
            if (cycle == 1)
                expected.insert(health == Health::Off ? descriptor : MetricList, 1);
            QCOMPARE(counts, expected);

            // The next cycle a minute later, as the periodic refresh would see it.
            fixture.clock.advanceMs(60'000);
        }
    }

    // Issue 17: watching the split for changes made elsewhere costs one read of the back-end a cycle, and
    // nothing more however often nothing changes (the Kubernetes watch and the AWX job list have their own
    // tests: test_kube_watch, test_awx_watch).
    void refreshCycle_withTheSplitWatch_addsOneReadOfTheSplit()
    {
        constexpr int Cycles = 3;
        SimFixture fixture(30, 10);
        auto &faults = fixture.environment->faults();
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        traffic::SimTrafficBackend backend(fixture.environment->baseUrl(), fixture.environment->token());
        traffic::TrafficController controller(&backend, nullptr);
        traffic::SplitWatch watch(&controller, 60'000);
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        QSignalSpy events(&session, &session::CanarySession::eventsChanged);
        QSignalSpy problems(&session, &session::CanarySession::problemsChanged);
        QSignalSpy reads(&controller, &traffic::TrafficController::splitRead);
        for (int cycle = 1; cycle <= Cycles; ++cycle) {
            faults.resetRequestCounts();
            session.refresh();
            watch.tick();
            QTRY_COMPARE(snapshots.count(), cycle);
            QTRY_COMPARE(events.count(), cycle);
            QTRY_COMPARE(problems.count(), cycle);
            QTRY_COMPARE(reads.count(), cycle);
            QVERIFY(!controller.isBusy());
            const auto counts = faults.requestCounts();
            QCOMPARE(counts.value(u"GET /api/sim/v1/split"_s), 1);
            QCOMPARE(counts.value(MetricsQuery), 1);
            QCOMPARE(counts.value(Events), 1);
            QCOMPARE(counts.value(Problems), 1);
            const int total = std::accumulate(counts.cbegin(), counts.cend(), 0);
            QCOMPARE(total, cycle == 1 ? 5 : 4); // the metric list is read once
            fixture.clock.advanceMs(60'000);
        }
    }
};

QTEST_GUILESS_MAIN(TestApiCost)
#include "tst_apicost.moc"
