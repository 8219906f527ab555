#include <QSignalSpy>
#include <QTest>

#include "session/canarysession.h"
#include "sim/dynatraceapi.h"
#include "sim/metricdefinition.h"
#include "sim/simserver.h"
#include "simfixture.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::World;
using canary::testing::SimFixture;

namespace {

// The tenant has only the calculated metrics in `keys` (as if only they had been created), with their
// data from the start.
void keepOnly(sim::SimulatedEnvironment &environment, const QStringList &keys)
{
    auto &registry = environment.dynatrace().metricRegistry();
    registry.setWorkshopMetrics(false);
    for (const QString &key : keys)
        registry.add(*sim::MetricDefinition::find(key));
}

// What the world served `role` in the slot ending at `slotEndMs`.
sim::SecondStats slotTotals(SimFixture &fixture, World::BuildRole role, qint64 slotEndMs)
{
    return fixture.world().totals(role, slotEndMs - 60'000, slotEndMs);
}

} // namespace

class TestCanarySession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void refresh_discoversBuildDimension_andDeliversPerBuildSeries()
    {
        SimFixture fixture(30, 10);
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        QSignalSpy dimension(&session, &session::CanarySession::buildDimensionResolved);
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        QSignalSpy failures(&session, &session::CanarySession::refreshFailed);

        session.refresh();
        QTRY_COMPARE(snapshots.count(), 1);
        QCOMPARE(failures.count(), 0);
        QCOMPARE(dimension.count(), 1);
        QCOMPARE(dimension.front().front().toString(), u"Build"_s);

        const auto &snapshot = session.snapshot();
        QCOMPARE(snapshot.fetchedAtMs, fixture.clock.nowMs());
        QCOMPARE(snapshot.resolution, u"1m"_s);
        QCOMPARE(snapshot.buildDimension, u"Build"_s);
        QCOMPARE(snapshot.metricSelector, u"calc:service.requests_by_build:splitBy(\"Build\"):sum"_s);
        QCOMPARE(snapshot.builds.size(), std::size_t(2));
        QCOMPARE(snapshot.builds[0].build, fixture.environment->stableBuild());
        QCOMPARE(snapshot.builds[1].build, fixture.environment->canaryBuild());

        // Every slot holds exactly what the simulated world served in it.
        const std::array roles { World::BuildRole::Stable, World::BuildRole::Canary };
        for (std::size_t b = 0; b < 2; ++b) {
            const auto &build = snapshot.builds[b];
            QVERIFY(build.timestamps.size() >= 10);
            QCOMPARE(build.timestamps.size(), build.values.size());
            for (std::size_t i = 0; i < build.timestamps.size(); ++i)
                QCOMPARE(build.values[i], fixture.expectedRequests(roles[b], build.timestamps[i], 60'000));
        }
        // 30 % canary: the canary's share of the window is near 30 %.
        const double canaryShare
            = snapshot.builds[1].total() / (snapshot.builds[0].total() + snapshot.builds[1].total());
        QVERIFY2(canaryShare > 0.22 && canaryShare < 0.38, qPrintable(QString::number(canaryShare)));
        QVERIFY(!session.isStale());
    }

    void refresh_carriesFailuresAndResponseTimePerBuild_fromTheSameQuery()
    {
        // Half the traffic on the workshop's faulty build 4: it fails every second /api/invoke and is slower.
        SimFixture fixture(50, 10);
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        QSignalSpy handled(&fixture.environment->server(), &sim::SimServer::requestHandled);
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 1);

        const auto &snapshot = session.snapshot();
        QVERIFY(snapshot.hasFailures);
        QVERIFY(snapshot.hasResponseTime);
        QVERIFY2(snapshot.healthNote.isEmpty(), qPrintable(snapshot.healthNote));
        QCOMPARE(snapshot.metricSelector, u"calc:service.requests_by_build:splitBy(\"Build\"):sum"_s);
        QCOMPARE(snapshot.builds.size(), std::size_t(2));
        int metricsQueries = 0;
        for (const auto &request : std::as_const(handled))
            metricsQueries += request.at(1).toString() == u"/api/v2/metrics/query"_s;
        QCOMPARE(metricsQueries, 1);

        const std::array roles { World::BuildRole::Stable, World::BuildRole::Canary };
        std::array<double, 2> failed {};
        std::array<double, 2> requests {};
        std::array<double, 2> timeMs {};
        for (std::size_t b = 0; b < 2; ++b) {
            const auto &build = snapshot.builds[b];
            QCOMPARE(build.failures.size(), build.timestamps.size());
            QCOMPARE(build.responseTimeMs.size(), build.timestamps.size());
            for (std::size_t i = 0; i < build.timestamps.size(); ++i) {
                const auto totals = slotTotals(fixture, roles[b], build.timestamps[i]);
                if (totals.requests == 0) {
                    QVERIFY(!build.failures[i]);
                    QVERIFY(!build.responseTimeMs[i]);
                    continue;
                }
                QCOMPARE(build.failures[i], double(totals.failed));
                QVERIFY(build.responseTimeMs[i]);
                // MicroSecond in Dynatrace, milliseconds here.
                QCOMPARE(*build.responseTimeMs[i], double(totals.sumUs) / double(totals.requests) / 1000.0);
                failed[b] += double(totals.failed);
                requests[b] += double(totals.requests);
                timeMs[b] += double(totals.sumUs) / 1000.0;
            }
        }
        QCOMPARE(failed[0], 0.0);
        QVERIFY(requests[1] > 100);
        const double canaryFailureShare = failed[1] / requests[1];
        QVERIFY2(canaryFailureShare > 0.45 && canaryFailureShare < 0.55,
            qPrintable(QString::number(canaryFailureShare)));
        QVERIFY(timeMs[0] / requests[0] < 110); // build 1: ~100 ms
        QVERIFY(timeMs[1] / requests[1] > 190); // build 4: ~200 ms
    }

    void healthSeries_keepTheCountsSlots_andTheirGaps()
    {
        // No canary traffic for five minutes, then half of it: the canary's first slots are gaps in all
        // three.
        SimFixture fixture(0, 5);
        fixture.world().setCanaryWeight(50);
        fixture.clock.advanceMs(5 * 60'000);
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 1);

        const auto &canary = session.snapshot().builds.at(1);
        QCOMPARE(canary.build, fixture.environment->canaryBuild());
        QCOMPARE(canary.failures.size(), canary.timestamps.size());
        QCOMPARE(canary.responseTimeMs.size(), canary.timestamps.size());
        int gaps = 0;
        for (std::size_t i = 0; i < canary.timestamps.size(); ++i) {
            QCOMPARE(canary.failures[i].has_value(), canary.values[i].has_value());
            QCOMPARE(canary.responseTimeMs[i].has_value(), canary.values[i].has_value());
            gaps += canary.values[i] ? 0 : 1;
        }
        QVERIFY2(gaps >= 4, qPrintable(QString::number(gaps)));
    }

    void tenantWithoutHealthMetrics_showsRequestCounts_andSaysWhy()
    {
        SimFixture fixture(30, 10);
        keepOnly(*fixture.environment, { session::Target::defaultMetricSelector() });
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        QSignalSpy failures(&session, &session::CanarySession::refreshFailed);
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 1);
        QCOMPARE(failures.count(), 0);

        const auto &snapshot = session.snapshot();
        QCOMPARE(snapshot.builds.size(), std::size_t(2));
        QVERIFY(!snapshot.hasFailures);
        QVERIFY(!snapshot.hasResponseTime);
        for (const auto &build : snapshot.builds) {
            QVERIFY(build.total() > 0);
            QVERIFY(build.failures.empty());
            QVERIFY(build.responseTimeMs.empty());
        }
        QVERIFY2(snapshot.healthNote.contains(u"calc:service.failures_by_build does not exist on this "
                                              u"tenant: create it (docs/onboarding.md) "
                                              "to see failure rates"_s),
            qPrintable(snapshot.healthNote));
        QVERIFY2(snapshot.healthNote.contains(u"calc:service.responsetime_by_build does not exist"_s),
            qPrintable(snapshot.healthNote));
    }

    void onlyOneHealthMetric_onTheTenant_fetchesThatOne()
    {
        SimFixture fixture(30, 10);
        keepOnly(*fixture.environment,
            { session::Target::defaultMetricSelector(),
                session::Target::defaultResponseTimeMetricSelector() });
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 1);
        const auto &snapshot = session.snapshot();
        QVERIFY(!snapshot.hasFailures);
        QVERIFY(snapshot.hasResponseTime);
        QVERIFY(snapshot.healthNote.contains(u"calc:service.failures_by_build"_s));
        QVERIFY(!snapshot.healthNote.contains(u"responsetime"_s));
        QVERIFY(snapshot.builds.at(1).failures.empty());
        QCOMPARE(snapshot.builds.at(1).responseTimeMs.size(), snapshot.builds.at(1).timestamps.size());
    }

    void metricListRefused_fallsBackToTheDescriptor_withoutHealth()
    {
        // A key with a space cannot be a wildcard, so it is named exactly and the list answers 404 for it:
        // the session goes on as it would without health metrics, and says why.
        SimFixture fixture(30, 10);
        auto target = fixture.target();
        target.failureMetricSelector = u"\"calc:service.no such metric\""_s;
        session::CanarySession session(target, fixture.environment->token(), fixture.clock);
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        QSignalSpy failures(&session, &session::CanarySession::refreshFailed);
        QSignalSpy handled(&fixture.environment->server(), &sim::SimServer::requestHandled);
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 1);
        QCOMPARE(failures.count(), 0);
        QStringList paths;
        for (const auto &request : std::as_const(handled)) {
            if (request.at(1).toString().startsWith(u"/api/v2/metrics"_s))
                paths.append(request.at(1).toString() + u' ' + QString::number(request.at(2).toInt()));
        }
        QCOMPARE(paths,
            (QStringList { u"/api/v2/metrics 404"_s, u"/api/v2/metrics/calc:service.requests_by_build 200"_s,
                u"/api/v2/metrics/query 200"_s }));
        const auto &snapshot = session.snapshot();
        QVERIFY(!snapshot.hasFailures);
        QVERIFY(!snapshot.hasResponseTime);
        QVERIFY2(snapshot.healthNote.contains(u"could not be looked up"_s), qPrintable(snapshot.healthNote));
        QVERIFY2(
            snapshot.healthNote.contains(u"calc:service.no such metric"_s), qPrintable(snapshot.healthNote));
        QCOMPARE(snapshot.builds.size(), std::size_t(2));
    }

    void healthMetricsOff_inTheTarget()
    {
        SimFixture fixture(30, 10);
        auto target = fixture.target();
        target.failureMetricSelector.clear();
        target.responseTimeMetricSelector.clear();
        session::CanarySession session(target, fixture.environment->token(), fixture.clock);
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 1);
        QVERIFY(!session.snapshot().hasFailures);
        QVERIFY(!session.snapshot().hasResponseTime);
        QVERIFY(session.snapshot().healthNote.contains(u"off"_s));
        QCOMPARE(session.snapshot().builds.size(), std::size_t(2));
    }

    void healthMetric_withItsOwnBuildDimension_isMatchedByBuild()
    {
        // Somebody created the failure metric with a dimension named Version: it is split by that one.
        SimFixture fixture(30, 10);
        keepOnly(*fixture.environment, { session::Target::defaultMetricSelector() });
        sim::MetricDefinition failuresByVersion
            = *sim::MetricDefinition::find(u"calc:service.failures_by_build"_s);
        failuresByVersion.buildDimension = u"Version"_s;
        fixture.environment->dynatrace().metricRegistry().add(failuresByVersion);
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 1);
        const auto &snapshot = session.snapshot();
        QVERIFY(snapshot.hasFailures);
        QCOMPARE(snapshot.buildDimension, u"Build"_s);
        const auto &canary = snapshot.builds.at(1);
        double failed = 0;
        for (std::size_t i = 0; i < canary.timestamps.size(); ++i) {
            QCOMPARE(canary.failures[i].value_or(0),
                double(slotTotals(fixture, World::BuildRole::Canary, canary.timestamps[i]).failed));
            failed += canary.failures[i].value_or(0);
        }
        QVERIFY(failed > 0);
    }

    void alignedValues_matchesBuildAndTimestamp_andScales()
    {
        session::BuildSeries build;
        build.build = u"4.0.0"_s;
        build.timestamps = { 60'000, 120'000, 180'000 };
        build.values = { 2.0, 4.0, 6.0 };
        session::BuildSeries remainder;
        remainder.build = session::remainderLabel();
        remainder.isRemainder = true;
        remainder.timestamps = build.timestamps;

        dynatrace::MetricSeriesCollection collection;
        dynatrace::MetricSeries other;
        other.dimensionMap = { { u"Build"_s, u"1.0.0"_s } };
        other.timestamps = { 60'000, 120'000, 180'000 };
        other.values = { 1.0, 1.0, 1.0 };
        dynatrace::MetricSeries same;
        same.dimensionMap = { { u"Build"_s, u"4.0.0"_s } };
        same.timestamps = { 120'000, 180'000 }; // starts a slot later
        same.values = { 1500.0, std::nullopt };
        dynatrace::MetricSeries rest;
        rest.nullDimensions = { u"Build"_s };
        rest.timestamps = { 60'000 };
        rest.values = { 9000.0 };
        collection.data = { other, same, rest };

        using Values = std::vector<std::optional<double>>;
        QCOMPARE(session::alignedValues(build, collection, u"Build"_s, 0.001),
            (Values { std::nullopt, 1.5, std::nullopt }));
        QCOMPARE(session::alignedValues(remainder, collection, u"Build"_s),
            (Values { 9000.0, std::nullopt, std::nullopt }));
        QCOMPARE(session::alignedValues(build, collection, u"Version"_s), (Values(3)));
    }

    void builtinMetric_withoutBuildDimension_failsWithAnExplanation()
    {
        SimFixture fixture;
        auto target = fixture.target();
        target.metricSelector = u"builtin:service.requestCount.total"_s;
        session::CanarySession session(target, fixture.environment->token(), fixture.clock);
        QSignalSpy failures(&session, &session::CanarySession::refreshFailed);
        QSignalSpy stale(&session, &session::CanarySession::staleChanged);

        session.refresh();
        QTRY_COMPARE(failures.count(), 1);
        const auto error = failures.front().front().value<dynatrace::ApiError>();
        QVERIFY2(error.summary().contains(u"no build dimension"_s), qPrintable(error.summary()));
        QVERIFY(error.summary().contains(u"dt.entity.service"_s));
        QVERIFY(session.isStale());
        QCOMPARE(stale.count(), 1);
        QVERIFY(session.snapshot().isEmpty());
    }

    void wrongToken_isAnAuthError_withDynatracesMessage()
    {
        SimFixture fixture;
        session::CanarySession session(fixture.target(), u"dt0c01.WRONG"_s, fixture.clock);
        QSignalSpy failures(&session, &session::CanarySession::refreshFailed);
        session.refresh();
        QTRY_COMPARE(failures.count(), 1);
        const auto error = failures.front().front().value<dynatrace::ApiError>();
        QCOMPARE(error.kind, dynatrace::ApiError::Kind::Unauthorized);
        QCOMPARE(error.httpStatus, 401);
        QVERIFY(error.isConnectionOrAuth());
        QVERIFY2(error.summary().contains(u"Token Authentication failed"_s), qPrintable(error.summary()));
    }

    void unknownMetric_isNotFound()
    {
        SimFixture fixture;
        auto target = fixture.target();
        target.metricSelector = u"calc:service.no_such_metric"_s;
        target.buildDimension = u"Build"_s; // skip discovery: the query itself must report it
        session::CanarySession session(target, fixture.environment->token(), fixture.clock);
        QSignalSpy failures(&session, &session::CanarySession::refreshFailed);
        session.refresh();
        QTRY_COMPARE(failures.count(), 1);
        const auto error = failures.front().front().value<dynatrace::ApiError>();
        QCOMPARE(error.kind, dynatrace::ApiError::Kind::NotFound);
        QVERIFY(!error.isConnectionOrAuth());
        QVERIFY2(error.summary().contains(u"calc:service.no_such_metric"_s), qPrintable(error.summary()));
    }

    void badSelector_isABadRequest_withTheViolation()
    {
        SimFixture fixture;
        auto target = fixture.target();
        target.metricSelector = u"calc:service.requests_by_build:splitBy(\"Build\":sum"_s;
        target.buildDimension = u"Build"_s;
        session::CanarySession session(target, fixture.environment->token(), fixture.clock);
        QSignalSpy failures(&session, &session::CanarySession::refreshFailed);
        session.refresh();
        QTRY_COMPARE(failures.count(), 1);
        const auto error = failures.front().front().value<dynatrace::ApiError>();
        QCOMPARE(error.kind, dynatrace::ApiError::Kind::BadRequest);
        QVERIFY(!error.constraintViolations.isEmpty());
        QCOMPARE(error.constraintViolations.front().path, u"metricSelector"_s);
    }

    void refresh_whileOneIsUnderWay_doesNotStartAnother()
    {
        SimFixture fixture;
        auto target = fixture.target();
        target.buildDimension = u"Build"_s;
        session::CanarySession session(target, fixture.environment->token(), fixture.clock);
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        QSignalSpy handled(&fixture.environment->server(), &sim::SimServer::requestHandled);
        session.refresh();
        QVERIFY(session.isRefreshing());
        session.refresh();
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 1);
        QVERIFY(!session.isRefreshing());
        // A second cycle, started only now, lands after anything the extra calls could have sent.
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 2);
        int metricsQueries = 0;
        for (const auto &request : std::as_const(handled))
            metricsQueries += request.at(1).toString() == u"/api/v2/metrics/query"_s;
        QCOMPARE(metricsQueries, 2);
    }

    void refresh_alsoReadsTheTargetsEventsAndProblems()
    {
        SimFixture fixture(0, 5);
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        QSignalSpy events(&session, &session::CanarySession::eventsChanged);
        QSignalSpy problems(&session, &session::CanarySession::problemsChanged);
        session.refresh();
        QTRY_COMPARE(events.count(), 1);
        QTRY_COMPARE(problems.count(), 1);
        QVERIFY(session.events().empty()); // a fresh world without history: nothing happened yet
        QVERIFY(session.problems().empty());
    }

    void simulatorStopped_makesTheSessionStale_keepsTheLastSnapshot()
    {
        SimFixture fixture;
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        QSignalSpy failures(&session, &session::CanarySession::refreshFailed);
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 1);

        fixture.environment->stop();
        session.refresh();
        QTRY_COMPARE(failures.count(), 1);
        const auto error = failures.front().front().value<dynatrace::ApiError>();
        QCOMPARE(error.kind, dynatrace::ApiError::Kind::Transport);
        QVERIFY(session.isStale());
        QCOMPARE(session.snapshot().builds.size(), std::size_t(2)); // nothing lost
    }

    void periodicRefresh_followsTheInterval()
    {
        SimFixture fixture;
        auto target = fixture.target();
        target.refreshIntervalMs = 50;
        session::CanarySession session(target, fixture.environment->token(), fixture.clock);
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        session.start();
        QTRY_VERIFY(snapshots.count() >= 3);
        session.stop();
    }
};

QTEST_GUILESS_MAIN(TestCanarySession)
#include "tst_canarysession.moc"
