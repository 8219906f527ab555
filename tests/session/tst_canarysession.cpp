#include <QSignalSpy>
#include <QTest>

#include "session/canarysession.h"
#include "sim/simserver.h"
#include "simfixture.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::World;
using canary::testing::SimFixture;

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
