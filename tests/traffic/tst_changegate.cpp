#include <QSignalSpy>
#include <QTest>

#include "fakebackend.h"
#include "traffic/changegate.h"
#include "traffic/changerecorder.h"
#include "traffic/ramp.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::FakeBackend;
using traffic::ChangeGate;
using traffic::GateHold;
using traffic::Split;
using Kind = traffic::GuardDecision::Block::Kind;

namespace {

Split pct(int percent)
{
    return *Split::fromCanaryPercent(percent);
}

// The rules without a widget: a controller over a back-end the test answers by hand, the default
// guard-rails (+25 points a step, 5 minutes between increases), and a recorder that keeps what it is given.
struct Gate
{
    explicit Gate(int startPercent = 0)
        : controller(&backend, nullptr)
        , gate(&controller)
    {
        gate.setGuardRails(&rails);
        gate.setDecisionRecorder([this](const GateHold &hold, const std::optional<QString> &overrideReason) {
            recorded.append({ hold, overrideReason, backend.applied.size() });
            return recordError;
        });
        backend.current = pct(startPercent);
        controller.refresh();
        backend.succeed();
    }

    struct Record
    {
        GateHold hold;
        std::optional<QString> overrideReason;
        qsizetype appliedBefore = 0; // how many applies the back-end had seen when the decision was recorded
    };

    VirtualClock clock { 1'000'000 };
    FakeBackend backend;
    traffic::TrafficController controller;
    traffic::GuardRails rails { clock };
    ChangeGate gate;
    QList<Record> recorded;
    QString recordError;
};

traffic::GuardConditions problemOpen()
{
    traffic::GuardConditions conditions;
    conditions.problemOpen = true;
    conditions.problemId = u"P-7"_s;
    return conditions;
}

} // namespace

class TestChangeGate : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void withoutGuardRails_everyChangeGoesThrough()
    {
        Gate g;
        g.gate.setGuardRails(nullptr);
        QSignalSpy requested(&g.gate, &ChangeGate::changeRequested);
        g.gate.request(100);
        QCOMPARE(g.backend.applied, QList<Split> { pct(100) });
        QCOMPARE(requested.size(), 1);
        QVERIFY(g.recorded.isEmpty());
    }

    // Issue 17, plan safety: an increase that would go on record without a backout is held, guard-rails on
    // or off, with the check's message; decreases are not; and once a backout exists it goes through.
    void withoutABackout_increasesAreHeld_decreasesAreNot()
    {
        Gate g(20);
        g.gate.setGuardRails(nullptr);
        QString missing = u"no backout plan: set the remediation action"_s;
        g.gate.setBackoutCheck([&missing] { return missing; });
        QSignalSpy held(&g.gate, &ChangeGate::increaseHeld);
        g.gate.request(30);
        QVERIFY(g.backend.applied.isEmpty());
        QCOMPARE(held.size(), 1);
        const auto hold = held.at(0).at(0).value<GateHold>();
        QCOMPARE(hold.reasons, QStringList { missing });
        QCOMPARE(hold.kinds, std::vector<Kind> { Kind::NoBackoutPlan });
        QCOMPARE(hold.fromPercent, std::optional(20));
        QCOMPARE(hold.maxAllowedPercent, 20);
        QVERIFY(!g.gate.checkRamp({ 40, 60 }, 60'000).allowed);

        g.gate.request(10);
        QCOMPARE(g.backend.applied, QList<Split> { pct(10) });
        g.backend.succeed();

        missing.clear();
        g.gate.request(30);
        QCOMPARE(g.backend.applied, (QList<Split> { pct(10), pct(30) }));
        QCOMPARE(held.size(), 1);
    }

    void tooLargeAStep_isHeld_onRecord_andNothingMoves()
    {
        Gate g;
        QSignalSpy held(&g.gate, &ChangeGate::increaseHeld);
        QSignalSpy requested(&g.gate, &ChangeGate::changeRequested);
        g.gate.request(50, u"try it"_s);
        QVERIFY(g.backend.applied.isEmpty());
        QCOMPARE(requested.size(), 0);
        QCOMPARE(held.size(), 1);
        const auto hold = held.at(0).at(0).value<GateHold>();
        QCOMPARE(hold.fromPercent, std::optional(0));
        QCOMPARE(hold.toPercent, 50);
        QCOMPARE(hold.maxAllowedPercent, 25);
        QCOMPARE(hold.kinds, std::vector<Kind> { Kind::StepTooLarge });
        QCOMPARE(g.recorded.size(), 1);
        QCOMPARE(g.recorded[0].hold.toPercent, 50);
        QCOMPARE(g.recorded[0].overrideReason, std::nullopt);
    }

    void decreases_goThroughWhateverFreezes()
    {
        Gate g(50);
        g.gate.setConditions(problemOpen());
        QVERIFY(!g.gate.mayHold(10));
        g.gate.request(10);
        QCOMPARE(g.backend.applied, QList<Split> { pct(10) });
        QVERIFY(g.recorded.isEmpty());
        QVERIFY(g.gate.mayHold(20));
        QVERIFY(!g.gate.holdFor(20).kinds.empty());
    }

    void coolDown_startsWithEveryAppliedIncrease()
    {
        Gate g;
        g.gate.request(25);
        g.backend.succeed();
        g.clock.advanceMs(60'000);
        const GateHold hold = g.gate.holdFor(50);
        QCOMPARE(hold.kinds, std::vector<Kind> { Kind::CoolDown });
        g.clock.advanceMs(4 * 60'000);
        QVERIFY(!g.gate.holdFor(50).isHeld());
    }

    void override_needsAReason_thenGoesOnRecordBeforeItMoves()
    {
        Gate g;
        QSignalSpy held(&g.gate, &ChangeGate::increaseHeld);
        g.gate.request(50);
        const auto hold = held.at(0).at(0).value<GateHold>();

        QSignalSpy refused(&g.gate, &ChangeGate::overrideRefused);
        g.gate.override(hold, u"ok"_s);
        QCOMPARE(refused.size(), 1);
        QVERIFY(g.backend.applied.isEmpty());

        QSignalSpy overridden(&g.gate, &ChangeGate::guardOverridden);
        g.gate.override(hold, u"  vendor   asked for fifty percent  "_s);
        QCOMPARE(overridden.size(), 1);
        QCOMPARE(overridden.at(0).at(1).toString(), u"vendor asked for fifty percent"_s);
        QCOMPARE(g.recorded.size(), 2);
        QCOMPARE(g.recorded[1].overrideReason, std::optional(u"vendor asked for fifty percent"_s));
        QCOMPARE(g.recorded[1].appliedBefore, 0); // on record before anything moved
        QCOMPARE(g.backend.applied, QList<Split> { pct(50) });
    }

    void override_thatCannotBeRecorded_doesNotMove()
    {
        Gate g;
        QSignalSpy held(&g.gate, &ChangeGate::increaseHeld);
        g.gate.request(50);
        g.recordError = u"database is locked"_s;
        QSignalSpy failed(&g.gate, &ChangeGate::recordFailed);
        QSignalSpy overridden(&g.gate, &ChangeGate::guardOverridden);
        g.gate.override(held.at(0).at(0).value<GateHold>(), u"vendor asked for fifty percent"_s);
        QCOMPARE(failed.size(), 1);
        QVERIFY(failed.at(0).at(0).toString().contains(u"database is locked"_s));
        QCOMPARE(overridden.size(), 0);
        QVERIFY(g.backend.applied.isEmpty());
    }

    void override_ofASituationThatChanged_asksAgain()
    {
        Gate g;
        QSignalSpy held(&g.gate, &ChangeGate::increaseHeld);
        g.gate.request(50);
        g.gate.setConditions(problemOpen());
        QSignalSpy changed(&g.gate, &ChangeGate::holdChanged);
        g.gate.override(held.at(0).at(0).value<GateHold>(), u"vendor asked for fifty percent"_s);
        QCOMPARE(changed.size(), 1);
        QVERIFY(changed.at(0).at(0).value<GateHold>().reasons.join(u'\n').contains(u"P-7"_s));
        QVERIFY(g.backend.applied.isEmpty());
    }

    void requestOverriding_anAllowedChange_goesAheadOffTheRecord()
    {
        Gate g;
        g.gate.requestOverriding(20, u"vendor asked for twenty percent"_s);
        QCOMPARE(g.backend.applied, QList<Split> { pct(20) });
        QVERIFY(g.recorded.isEmpty());
    }

    void beforeTheSplitIsKnown_theGateReadsItFirst()
    {
        VirtualClock clock(1'000'000);
        FakeBackend backend;
        traffic::TrafficController controller(&backend, nullptr);
        traffic::GuardRails rails(clock);
        ChangeGate gate(&controller);
        gate.setGuardRails(&rails);
        backend.current = pct(50);
        gate.request(10);
        QCOMPARE(backend.pending.size(), 1); // the read
        QVERIFY(backend.applied.isEmpty());
        backend.succeed(); // 50 %: 10 % is a decrease
        QCOMPARE(backend.applied, QList<Split> { pct(10) });

        FakeBackend failing;
        traffic::TrafficController blind(&failing, nullptr);
        ChangeGate unsure(&blind);
        unsure.setGuardRails(&rails);
        QSignalSpy held(&unsure, &ChangeGate::increaseHeld);
        unsure.request(10);
        failing.fail(traffic::TrafficError::Kind::Timeout, u"no answer"_s);
        QCOMPARE(held.size(), 1);
        const auto hold = held.at(0).at(0).value<GateHold>();
        QCOMPARE(hold.fromPercent, std::nullopt);
        QCOMPARE(hold.maxAllowedPercent, 0);
        QVERIFY2(hold.reasons.constFirst().contains(u"no answer"_s), qPrintable(hold.reasons.join(u'\n')));
        unsure.request(0); // to the stable build: always
        QCOMPARE(failing.applied, QList<Split> { pct(0) });
    }

    // An override made while the split could not be read is still an increase: the next one waits.
    void blindOverride_startsTheCoolDown_andAFailedReadIsRetried()
    {
        VirtualClock clock(1'000'000);
        FakeBackend backend;
        traffic::TrafficController controller(&backend, nullptr);
        traffic::GuardRails rails(clock);
        ChangeGate gate(&controller);
        gate.setGuardRails(&rails);
        gate.requestOverriding(20, u"split endpoint broken, verified by hand"_s);
        backend.fail(); // the read
        QCOMPARE(backend.applied, QList<Split> { pct(20) });
        backend.succeed();
        QVERIFY(rails.lastIncreaseAtMs().has_value());

        // Another gate over a back-end whose read failed once: the next request reads again.
        FakeBackend flaky;
        traffic::TrafficController other(&flaky, nullptr);
        ChangeGate second(&other);
        second.setGuardRails(&rails);
        second.request(10);
        flaky.fail();
        QVERIFY(flaky.pending.isEmpty());
        second.request(10);
        QCOMPARE(flaky.pending.size(), 1); // read again rather than held on the old failure
        flaky.current = pct(30);
        flaky.succeed();
        QCOMPARE(flaky.applied, QList<Split> { pct(10) }); // a decrease from 30 %
    }

    void runningRamp_isPausedByAFreeze_andItsStepsAreChecked()
    {
        Gate g;
        traffic::Ramp ramp(&g.controller, g.clock);
        g.gate.attachRamp(&ramp);
        QSignalSpy frozen(&g.gate, &ChangeGate::rampFrozen);
        QVERIFY(!g.gate.checkRamp({ 30, 70, 100 }, 120'000).allowed);
        QVERIFY(g.gate.checkRamp({ 25, 50 }, 300'000).allowed);
        ramp.start(traffic::RampPlan { { 25, 50 }, 300 });
        QVERIFY(ramp.isRunning());
        g.gate.setConditions(problemOpen());
        QCOMPARE(frozen.size(), 1);
        QVERIFY(!ramp.isRunning());
        QCOMPARE(g.gate.freezes().size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestChangeGate)
#include "tst_changegate.moc"
