// Faults mid-operation through the real composition root and the simulator: the 0 % fallback behind a
// change the router refuses (found by an outside tester: it once never ended, and hid outside changes).
#include <QSignalSpy>
#include <QTest>

#include "awxsimfixture.h"
#include "environment/environment.h"
#include "rollback/rollbackrunner.h"
#include "rollback/rollbackservice.h"
#include "sim/faultinjector.h"
#include "store/database.h"
#include "traffic/changegate.h"
#include "traffic/splitwatch.h"
#include "traffic/trafficcontroller.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::AwxSimFixture;

namespace {

// The simulator as tenant and traffic router, its store in memory; no recording, no AWX.
environment::EnvironmentSpec simulatorSpec(const AwxSimFixture &sim)
{
    environment::EnvironmentSpec spec;
    spec.target = sim.target();
    spec.token = sim.token();
    spec.databasePath = QString::fromLatin1(store::Database::InMemory);
    spec.operatorName = u"jane"_s;
    traffic::BackendSpec backend;
    backend.kind = traffic::BackendSpec::Kind::Simulator;
    backend.simulatorUrl = sim.environment->baseUrl();
    backend.simulatorToken = sim.token();
    spec.backend = backend;
    spec.rollbackPollIntervalMs = 5;
    return spec;
}

} // namespace

class TestEnvironmentFaults : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Traffic at 0 %. The operator asks for 20 % (apply under way), then presses the fallback Roll back. The
    // router refuses the 20 %. The queued 0 % is applied all the same (Repeat::Always) and the rollback ends;
    // it once was dropped as "already there", and the rollback waited forever, hiding outside changes.
    void fallbackBehindARefusedIncrease_ends_andOutsideChangesAreSeenAgain()
    {
        AwxSimFixture sim(0);
        const environment::EnvironmentSpec spec = simulatorSpec(sim);
        environment::Environment env(spec, sim.clock);
        QVERIFY(env.openStore());
        QVERIFY(env.openTraffic());
        rollback::RollbackService *rollback = env.openRollback();
        traffic::TrafficController *controller = env.controller();
        QSignalSpy read(controller, &traffic::TrafficController::splitRead);
        controller->refresh();
        QTRY_COMPARE(read.count(), 1);
        QCOMPARE(controller->applied()->canary, 0);

        sim::Fault refuse;
        refuse.endpoint = u"PUT /api/sim/v1/split"_s;
        refuse.kind = sim::Fault::Kind::ServerError;
        refuse.value = 500;
        refuse.remaining = 1;
        QString error;
        QVERIFY2(sim.environment->faults().addFault(refuse, &error), qPrintable(error));

        QSignalSpy applyFailed(controller, &traffic::TrafficController::applyFailed);
        QSignalSpy succeeded(rollback->runner(), &rollback::RollbackRunner::rollbackSucceeded);
        QSignalSpy failed(rollback->runner(), &rollback::RollbackRunner::rollbackFailed);
        env.gate()->request(20, u"operator"_s);
        QVERIFY(controller->inFlight());
        QVERIFY(rollback->executeFallback(u"no plan recorded"_s, u"jane"_s));
        QTRY_COMPARE(applyFailed.count(), 1);
        sim.startClock();
        QTRY_VERIFY_WITH_TIMEOUT(succeeded.count() + failed.count() == 1, 30'000);
        sim.stopClock();
        // It ends, with the 0 % applied and read back (whether the metrics can confirm it on a canary that
        // never had traffic is the verification's business).
        const auto state
            = (succeeded.isEmpty() ? failed : succeeded).value(0).value(0).value<rollback::RollbackState>();
        QCOMPARE(state.jobStatus, u"applied"_s);
        QVERIFY2(state.backendVerified, qPrintable(state.message));
        QCOMPARE(sim.environment->world().canaryWeight(), 0);
    }

    void watchStillSeesOutsideChanges_afterAStuckFallback()
    {
        AwxSimFixture sim(0);
        const environment::EnvironmentSpec spec = simulatorSpec(sim);
        environment::Environment env(spec, sim.clock);
        QVERIFY(env.openStore());
        QVERIFY(env.openTraffic());
        rollback::RollbackService *rollback = env.openRollback();
        traffic::TrafficController *controller = env.controller();
        QSignalSpy read(controller, &traffic::TrafficController::splitRead);
        controller->refresh();
        QTRY_COMPARE(read.count(), 1);
        sim::Fault refuse { u"PUT /api/sim/v1/split"_s, sim::Fault::Kind::ServerError, 500, 1 };
        QVERIFY(sim.environment->faults().addFault(refuse));
        QSignalSpy applyFailed(controller, &traffic::TrafficController::applyFailed);
        env.gate()->request(20, u"operator"_s);
        QVERIFY(rollback->executeFallback(u"no plan recorded"_s, u"jane"_s));
        QTRY_COMPARE(applyFailed.count(), 1);
        QTRY_COMPARE(controller->applied()->canary, 0); // the fallback's 0 %, applied anyway
        QTRY_VERIFY(!controller->isBusy());
        QVERIFY(rollback->runner()->isRunning()); // still verifying: its own change is under way

        // A pipeline moves the canary to 60 % elsewhere; the window's watch reads it.
        QSignalSpy outside(controller, &traffic::TrafficController::splitChangedOutside);
        sim.environment->world().setCanaryWeight(60);
        env.splitWatch()->tick();
        QTRY_COMPARE(read.count(), 2);
        QCOMPARE(controller->applied()->canary, 60);
        QCOMPARE(outside.count(), 1);
    }
};

QTEST_MAIN(TestEnvironmentFaults)
#include "tst_environmentfaults.moc"
