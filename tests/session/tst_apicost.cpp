// Issue 8's API-cost budget: a refresh cycle costs a constant number of requests, counted where Dynatrace
// would count them (the simulator's request counters), whatever the number of builds in the data.
#include <numeric>

#include <QSignalSpy>
#include <QTest>

#include "session/canarysession.h"
#include "simfixture.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::SimFixture;

namespace {

const QString MetricsQuery = u"GET /api/v2/metrics/query"_s;
const QString Events = u"GET /api/v2/events"_s;
const QString Problems = u"GET /api/v2/problems"_s;

QString describe(const QMap<QString, int> &counts)
{
    QStringList parts;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        parts.append(u"%1 x%2"_s.arg(it.key()).arg(it.value()));
    return parts.join(u", "_s);
}

} // namespace

class TestApiCost : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void refreshCycle_costsOneRequestPerEndpoint_whateverTheBuilds_data()
    {
        // The simulator deploys two builds (stable and canary), so the number of per-build series is varied
        // through the split instead: all traffic on one build, or on both.
        QTest::addColumn<int>("canaryWeight");
        QTest::addColumn<int>("expectedBuilds");
        QTest::newRow("0 % canary: one build") << 0 << 1;
        QTest::newRow("30 % canary: two builds") << 30 << 2;
        QTest::newRow("100 % canary: one build") << 100 << 1;
    }

    void refreshCycle_costsOneRequestPerEndpoint_whateverTheBuilds()
    {
        QFETCH(int, canaryWeight);
        QFETCH(int, expectedBuilds);
        constexpr int Cycles = 4;

        SimFixture fixture(canaryWeight, 10);
        auto &faults = fixture.environment->faults();
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
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

            const auto counts = faults.requestCounts();
            qInfo("%d %% canary, %d build(s), cycle %d: %d requests: %s", canaryWeight, expectedBuilds, cycle,
                int(std::accumulate(counts.cbegin(), counts.cend(), 0)), qPrintable(describe(counts)));

            QMap<QString, int> expected { { MetricsQuery, 1 }, { Events, 1 }, { Problems, 1 } };
            // The build dimension is discovered once, from the metric's descriptor, and then remembered.
            if (cycle == 1)
                expected.insert(descriptor, 1);
            QCOMPARE(counts, expected);

            // The next cycle a minute later, as the periodic refresh would see it.
            fixture.clock.advanceMs(60'000);
        }
    }
};

QTEST_GUILESS_MAIN(TestApiCost)
#include "tst_apicost.moc"
