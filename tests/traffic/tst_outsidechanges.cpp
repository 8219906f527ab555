#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "fakebackend.h"
#include "session/actionlog.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "traffic/changegate.h"
#include "traffic/guardrails.h"
#include "traffic/ramp.h"
#include "traffic/splitwatch.h"
#include "traffic/trafficactions.h"
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

} // namespace

class TestOutsideChanges : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Who made it, as the back-end tells, reaches the signal, the timeline and the audit log (under their
    // name, with the target, so the next process's cool-down counts it).
    void outsideChange_carriesItsOrigin_intoTheTimelineAndTheAuditLog()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        VirtualClock clock { 5'000 };
        session::ActionLog log(clock);
        traffic::logTrafficActions(&controller, &log);
        QTemporaryDir dir;
        auto database = std::move(store::Database::open(dir.filePath(u"canary.db"_s))).value();
        store::AuditLog audit(*database, clock);
        QStringList auditErrors;
        traffic::auditTrafficActions(
            &controller, &audit, u"alice"_s, [&auditErrors](const QString &why) { auditErrors.append(why); });
        QSignalSpy outside(&controller, &TrafficController::splitChangedOutside);
        readSplitAt(backend, controller, 10);

        traffic::ChangeOrigin origin { u"AWX job #41 of 'Start canary deployment'"_s, u"jenkins"_s,
            QDateTime::fromMSecsSinceEpoch(4'000, Qt::UTC),
            QUrl(u"https://awx.example.com/api/v2/jobs/41/"_s) };
        backend.reportOrigin(origin);
        readSplitAt(backend, controller, 50);
        QCOMPARE(outside.size(), 1);
        QCOMPARE(outside.at(0).at(2).value<traffic::ChangeOrigin>(), origin);

        const auto entries = log.entries();
        QVERIFY(!entries.empty());
        const auto &shown = entries.back();
        QVERIFY2(shown.title.contains(u"AWX job #41 of 'Start canary deployment', by jenkins"_s),
            qPrintable(shown.title));
        QCOMPARE(shown.properties.value(u"split.origin.actor"_s), u"jenkins"_s);
        QCOMPARE(shown.properties.value(u"split.origin.link"_s), origin.link.toString());

        QVERIFY2(auditErrors.isEmpty(), qPrintable(auditErrors.join(u'\n')));
        const auto rows = audit.entries().value();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.front().action, u"split.changed-outside"_s);
        QCOMPARE(rows.front().operatorName, u"jenkins"_s);
        QCOMPARE(rows.front().detail.value(u"targetId"_s).toString(), backend.targetId());
        QCOMPARE(traffic::lastIncreaseInAudit(rows, backend.targetId()), std::optional<qint64>(5'000));
    }

    void readFindingAMovedSplit_saysItChangedOutside_thenReadsIt()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        QSignalSpy outside(&controller, &TrafficController::splitChangedOutside);
        QSignalSpy read(&controller, &TrafficController::splitRead);
        readSplitAt(backend, controller, 10);
        QCOMPARE(outside.count(), 0); // the first read is where traffic is, not a change

        readSplitAt(backend, controller, 10);
        QCOMPARE(outside.count(), 0); // unchanged

        readSplitAt(backend, controller, 50); // the pipeline's AWX job, another console, kubectl
        QCOMPARE(outside.count(), 1);
        QCOMPARE(outside.front().at(0).value<Split>(), pct(10));
        QCOMPARE(outside.front().at(1).value<Split>(), pct(50));
        QCOMPARE(read.count(), 3);
        QCOMPARE(controller.applied(), pct(50));
    }

    void ownApply_isNotAnOutsideChange()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        QSignalSpy outside(&controller, &TrafficController::splitChangedOutside);
        readSplitAt(backend, controller, 0);
        controller.requestSplit(pct(30));
        backend.succeed();
        readSplitAt(backend, controller, 30);
        QCOMPARE(outside.count(), 0);
    }

    void readOvertakenByAnApply_isNotTakenForTheTruth()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        QSignalSpy outside(&controller, &TrafficController::splitChangedOutside);
        QSignalSpy read(&controller, &TrafficController::splitRead);
        readSplitAt(backend, controller, 10);
        // A read goes out, then an apply; the apply answers first and the read brings the old split.
        controller.refresh();
        controller.requestSplit(pct(40));
        backend.pending.move(1, 0);
        backend.succeed(); // the apply: 40
        backend.current = pct(10); // what the read saw before the apply landed
        backend.succeed();
        QCOMPARE(controller.applied(), pct(40));
        QCOMPARE(outside.count(), 0);
        QCOMPARE(read.count(), 2);
        QCOMPARE(read.last().at(0).value<Split>(), pct(40)); // those waiting for a read hear the newest
    }

    void rollbacksOwnChange_isNotAnOutsideChange_andItsReadBackIsShown()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        QSignalSpy outside(&controller, &TrafficController::splitChangedOutside);
        QSignalSpy read(&controller, &TrafficController::splitRead);
        readSplitAt(backend, controller, 25);
        controller.beginOwnChange(); // the rollback's AWX job resets the weight around the controller
        readSplitAt(backend, controller, 0); // the watch reads meanwhile
        controller.endOwnChange(); // reads back
        QCOMPARE(backend.pending.size(), 1);
        backend.succeed();
        QCOMPARE(outside.count(), 0);
        QCOMPARE(read.last().at(0).value<Split>(), pct(0));

        // Once ended, a move is someone else's again.
        readSplitAt(backend, controller, 20);
        QCOMPARE(outside.count(), 1);
    }

    void watch_readsOnItsCadence_butNotOverAnApplyOrARead()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        traffic::SplitWatch watch(&controller, 5'000);
        QCOMPARE(watch.intervalMs(), 5'000);
        QCOMPARE(
            traffic::SplitWatch(&controller, 10).intervalMs(), 1'000); // a floor, for the back-end's sake
        watch.tick();
        QCOMPARE(backend.pending.size(), 1); // one read
        watch.tick();
        QCOMPARE(backend.pending.size(), 1); // still one: a read is under way
        backend.succeed();
        controller.requestSplit(pct(30));
        watch.tick();
        QCOMPARE(backend.pending.size(), 1); // the apply answers for the split
        backend.succeed();
        watch.tick();
        QCOMPARE(backend.pending.size(), 1);
        QVERIFY(!backend.pending.front().split); // a read again
    }

    void outsideChange_pausesARunningRamp()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        VirtualClock clock(1'000'000);
        traffic::Ramp ramp(&controller, clock);
        QSignalSpy paused(&ramp, &traffic::Ramp::pausedByOutsideChange);
        readSplitAt(backend, controller, 0);
        traffic::RampPlan plan;
        plan.steps = { 10, 20, 30 };
        plan.pauseSeconds = 60;
        ramp.start(plan);
        backend.succeed(); // step 1: 10
        QCOMPARE(ramp.state(), traffic::Ramp::State::Waiting);

        readSplitAt(backend, controller, 50); // someone else moved it while the ramp waited
        QCOMPARE(ramp.state(), traffic::Ramp::State::Paused);
        QCOMPARE(paused.count(), 1);
        QCOMPARE(paused.front().at(0).value<Split>(), pct(50));
        clock.advanceMs(120'000);
        ramp.tick();
        QVERIFY(backend.pending.isEmpty()); // no step from a split that no longer holds
    }

    void outsideIncrease_startsTheCoolDown_outsideDecreaseDoesNot()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        VirtualClock clock(1'000'000);
        traffic::GuardRails rails(clock);
        traffic::ChangeGate gate(&controller);
        gate.setGuardRails(&rails);
        readSplitAt(backend, controller, 10);
        QVERIFY(!rails.lastIncreaseAtMs());

        readSplitAt(backend, controller, 5);
        QVERIFY(!rails.lastIncreaseAtMs());
        clock.advanceMs(1'000);
        readSplitAt(backend, controller, 25);
        QCOMPARE(rails.lastIncreaseAtMs(), std::optional<qint64>(1'001'000));
        // So the next increase from here waits the cool-down, whoever made the last one.
        QVERIFY(gate.holdFor(30).isHeld());
    }

    void outsideChange_isInTheTimeline_withWhereItWasSeen()
    {
        FakeBackend backend;
        TrafficController controller(&backend, nullptr);
        VirtualClock clock(1'000'000);
        session::ActionLog log(clock);
        traffic::logTrafficActions(&controller, &log);
        readSplitAt(backend, controller, 10);
        readSplitAt(backend, controller, 50);
        QCOMPARE(log.entries().size(), 1);
        const auto entry = log.entries().front();
        QCOMPARE(entry.type, u"TRAFFIC_CHANGE_EXTERNAL"_s);
        QCOMPARE(entry.title, u"Traffic changed to 50/50 (stable/canary) outside Canary Console"_s);
        QCOMPARE(entry.properties.value(u"split.old"_s), u"90/10"_s);
        QCOMPARE(entry.properties.value(u"backend"_s), u"fake router"_s);
    }
};

QTEST_MAIN(TestOutsideChanges)
#include "tst_outsidechanges.moc"
