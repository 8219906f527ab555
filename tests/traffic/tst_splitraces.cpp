// Races around the shared split: reads overtaken by applies, the rollback's own change and its end, the
// fallback's 0 % queued behind other changes (found by an outside tester; each once failed).
#include <QSignalSpy>
#include <QTest>

#include "fakebackend.h"
#include "rollback/rollbackjournal.h"
#include "rollback/rollbackrunner.h"
#include "traffic/changegate.h"
#include "traffic/guardrails.h"
#include "traffic/ramp.h"
#include "traffic/splitwatch.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::FakeBackend;
using canary::testing::readSplitAt;
using traffic::Split;
using traffic::TrafficController;

namespace {

Split pct(int percent)
{
    return *Split::fromCanaryPercent(percent);
}

// Completes the oldest pending call, which must be a read, answering `percent` (what the back-end held when
// the read was served), and leaves the back-end at `nowAt` afterwards.
void answerReadWith(FakeBackend &backend, int percent, int nowAt)
{
    QVERIFY(!backend.pending.front().split);
    backend.current = pct(percent);
    backend.succeed();
    backend.current = pct(nowAt);
}

} // namespace

class TestSplitRaces : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // A read that goes out WHILE an apply is in flight and answers after it (endOwnChange() issues exactly
    // such a read when a rollback ends while a slider/ramp apply is under way) is taken for the truth: the
    // controller's applied split goes back to the pre-apply value, and the next read calls the console's own
    // apply an outside change (cool-down, ramp pause, timeline entry).
    void readStartedDuringAnApply_answeredAfterIt_doesNotUndoTheApply()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        QSignalSpy outside(&controller, &TrafficController::splitChangedOutside);
        readSplitAt(backend, controller, 10);

        controller.beginOwnChange(); // a rollback runs (any kind)
        controller.requestSplit(pct(40)); // the operator moves the slider meanwhile: apply in flight
        controller.endOwnChange(); // the rollback ends: read-back goes out while the apply is in flight
        QCOMPARE(backend.pending.size(), 2);
        backend.succeed(); // the apply lands: 40
        QCOMPARE(controller.applied(), pct(40));
        answerReadWith(backend, 10, 40); // the read was served before the apply reached the router

        QCOMPARE(controller.applied(), pct(40));
        readSplitAt(backend, controller, 40); // the watch's next tick
        QCOMPARE(outside.count(), 0);
    }

    // The same without any rollback: a plain refresh() racing an apply in the order read-after-apply-start.
    void plainRefreshDuringApply_answeredLate_isNotAnOutsideChange()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        QSignalSpy outside(&controller, &TrafficController::splitChangedOutside);
        readSplitAt(backend, controller, 10);
        controller.requestSplit(pct(40));
        controller.refresh();
        backend.succeed(); // apply: 40
        answerReadWith(backend, 10, 40);
        QCOMPARE(outside.count(), 0);
        QCOMPARE(controller.applied(), pct(40));
    }

    // endOwnChange() while a watch read is already out: the read-back is skipped (refresh() returns while
    // m_reading), the stale watch read consumes the "Ending" state, and the next read reports the rollback's
    // own reset as an outside change.
    void rollbackEndingWhileAWatchReadIsOut_ownResetIsNotReportedAsOutside()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        traffic::SplitWatch watch(&controller, 5'000);
        QSignalSpy outside(&controller, &TrafficController::splitChangedOutside);
        readSplitAt(backend, controller, 25);
        controller.beginOwnChange(); // the rollback's AWX job starts
        watch.tick(); // a watch read goes out, served before the job reset the weight
        backend.current = pct(0); // the job resets the weight around the controller; the rollback ends
        controller.endOwnChange();
        QCOMPARE(backend.pending.size(), 1); // no read-back of its own: skipped
        answerReadWith(backend, 25, 0); // the stale watch read answers 25
        watch.tick();
        backend.succeed(); // reads 0
        QCOMPARE(outside.count(), 0);
    }

    // While any rollback runs (fallback included, minutes of verification), an increase made elsewhere is not
    // an outside change: no cool-down, no timeline entry, no note.
    void outsideIncreaseDuringARollback_stillStartsTheCoolDown()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        VirtualClock clock(1'000'000);
        traffic::GuardRails rails(clock);
        traffic::ChangeGate gate(&controller);
        gate.setGuardRails(&rails);
        QSignalSpy outside(&controller, &TrafficController::splitChangedOutside);
        readSplitAt(backend, controller, 0);
        controller.beginOwnChange(); // rollback running (verifying)
        clock.advanceMs(1'000);
        readSplitAt(backend, controller, 100); // a pipeline pushes the canary to 100 %
        controller.endOwnChange();
        backend.succeed(); // read-back: 100
        QVERIFY2(outside.count() == 1 || rails.lastIncreaseAtMs().has_value(),
            "0 -> 100 made elsewhere during a rollback left no trace: no outside change, no cool-down");
    }

    // The fallback's 0 % is queued behind an apply that fails, and traffic already stood at 0 %: the
    // controller drops the queued 0 % as "unchanged" without any signal, and the rollback waits forever in
    // Launching (button disabled, journal in flight).
    void fallbackQueuedBehindAFailingApply_atZeroAlready_finishes()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        traffic::ChangeGate gate(&controller);
        VirtualClock clock(1'000'000);
        readSplitAt(backend, controller, 0);
        controller.requestSplit(pct(20)); // the operator's 20 % is being applied
        rollback::RunnerSetup setup;
        setup.backend = &backend;
        setup.gate = &gate;
        setup.pollIntervalMs = 5;
        rollback::RollbackRunner runner(setup, nullptr, clock);
        QSignalSpy succeeded(&runner, &rollback::RollbackRunner::rollbackSucceeded);
        QSignalSpy failed(&runner, &rollback::RollbackRunner::rollbackFailed);
        QVERIFY(runner.startFallback(u"no plan"_s, u"jane"_s, {}));
        QCOMPARE(controller.queued(), pct(0));
        backend.fail(); // the 20 % is refused
        // Whatever comes next (an apply of 0 %, or the verification's reads), answer it.
        QTRY_VERIFY([&] {
            if (!backend.pending.isEmpty())
                backend.succeed();
            return !succeeded.isEmpty() || !failed.isEmpty();
        }());
        QVERIFY2(!succeeded.isEmpty() || !failed.isEmpty(),
            qPrintable(u"rollback still running: stage %1, pending back-end calls %2, running %3"_s
                           .arg(rollback::stageName(runner.state().stage))
                           .arg(backend.pending.size())
                           .arg(runner.isRunning())));
    }

    // Someone else's 0 % is under way when the fallback queues its own 0 %; then an operator asks for 40 %,
    // replacing the fallback's. The rollback should fail "replaced"; it claims the other 0 % as its own.
    void fallbackReplacedBehindSomeoneElsesZero_failsAsReplaced()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        traffic::ChangeGate gate(&controller);
        VirtualClock clock(1'000'000);
        readSplitAt(backend, controller, 50);
        controller.requestSplit(pct(0)); // another 0 % (slider) in flight
        rollback::RunnerSetup setup;
        setup.backend = &backend;
        setup.gate = &gate;
        setup.pollIntervalMs = 5;
        setup.verifyTimeoutMs = 60'000;
        rollback::RollbackRunner runner(setup, nullptr, clock);
        QSignalSpy failed(&runner, &rollback::RollbackRunner::rollbackFailed);
        QSignalSpy succeeded(&runner, &rollback::RollbackRunner::rollbackSucceeded);
        QVERIFY(runner.startFallback(u"no plan"_s, u"jane"_s, {}));
        controller.requestSplit(pct(40)); // replaces the fallback's queued 0 %
        backend.succeed(); // the other 0 % lands
        QVERIFY2(runner.state().stage == rollback::Stage::Launching || !failed.isEmpty(),
            qPrintable(u"the fallback took someone else's 0 % as its own: stage %1"_s.arg(
                rollback::stageName(runner.state().stage))));
    }
};

QTEST_MAIN(TestSplitRaces)
#include "tst_splitraces.moc"
