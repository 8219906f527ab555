#include <QSignalSpy>
#include <QTest>

#include "fakebackend.h"
#include "traffic/ramp.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::FakeBackend;
using traffic::Ramp;
using traffic::Split;

namespace {

Split pct(int percent)
{
    return *Split::fromCanaryPercent(percent);
}

} // namespace

class TestTrafficController : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void split_parsing_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("canary"); // -1: rejected
        QTest::newRow("plain") << u"30"_s << 30;
        QTest::newRow("percent sign") << u" 30% "_s << 30;
        QTest::newRow("zero") << u"0"_s << 0;
        QTest::newRow("all") << u"100"_s << 100;
        QTest::newRow("too high") << u"101"_s << -1;
        QTest::newRow("negative") << u"-5"_s << -1;
        QTest::newRow("fraction") << u"30.5"_s << -1;
        QTest::newRow("word") << u"half"_s << -1;
        QTest::newRow("empty") << QString() << -1;
    }

    void split_parsing()
    {
        QFETCH(QString, text);
        QFETCH(int, canary);
        const auto split = Split::parseCanaryPercent(text);
        if (canary < 0) {
            QVERIFY(!split);
            QVERIFY(!split.error().isEmpty());
        } else {
            QVERIFY(split);
            QCOMPARE(split->canary, canary);
            QCOMPARE(split->stable, 100 - canary);
            QCOMPARE(split->toString(), u"%1/%2"_s.arg(100 - canary).arg(canary));
        }
    }

    void requestsWhileApplying_queueOnlyTheLatest()
    {
        FakeBackend backend;
        traffic::TrafficController controller(&backend, nullptr);
        QSignalSpy applied(&controller, &traffic::TrafficController::splitApplied);
        QSignalSpy busy(&controller, &traffic::TrafficController::busyChanged);

        controller.requestSplit(pct(10));
        controller.requestSplit(pct(20));
        controller.requestSplit(pct(30));
        QCOMPARE(backend.applied, QList<Split> { pct(10) });
        QCOMPARE(controller.queued(), pct(30));
        QVERIFY(controller.isBusy());

        backend.succeed();
        QCOMPARE(applied.count(), 1);
        QCOMPARE(controller.applied(), pct(10));
        QCOMPARE(backend.applied, (QList<Split> { pct(10), pct(30) })); // 20 was superseded

        backend.succeed();
        QCOMPARE(applied.count(), 2);
        QCOMPARE(applied.at(1).at(0).value<Split>(), pct(10));
        QCOMPARE(applied.at(1).at(1).value<Split>(), pct(30));
        QVERIFY(!controller.isBusy());
        QCOMPARE(busy.count(), 2); // busy once, idle once
    }

    void queuedRequestEqualToTheAppliedSplit_isDropped()
    {
        FakeBackend backend;
        traffic::TrafficController controller(&backend, nullptr);
        controller.requestSplit(pct(10));
        backend.succeed();
        controller.requestSplit(pct(50));
        controller.requestSplit(pct(10)); // changed their mind while 50 was in flight
        backend.succeed();
        QCOMPARE(controller.applied(), pct(50));
        QCOMPARE(backend.applied, (QList<Split> { pct(10), pct(50), pct(10) }));
        backend.succeed();
        QCOMPARE(controller.applied(), pct(10));
    }

    void failure_isReported_andKeepsTheAppliedSplit()
    {
        FakeBackend backend;
        traffic::TrafficController controller(&backend, nullptr);
        QSignalSpy failed(&controller, &traffic::TrafficController::applyFailed);
        controller.requestSplit(pct(10));
        backend.succeed();
        controller.requestSplit(pct(40));
        backend.fail();
        QCOMPARE(failed.count(), 1);
        QCOMPARE(failed.front().at(0).value<Split>(), pct(40));
        QVERIFY(failed.front().at(1).value<traffic::TrafficError>().summary().contains(u"permission"_s));
        QCOMPARE(controller.applied(), pct(10));
        QVERIFY(!controller.isBusy());
    }

    void refresh_readsTheBackEnd()
    {
        FakeBackend backend;
        backend.current = pct(25);
        traffic::TrafficController controller(&backend, nullptr);
        QSignalSpy read(&controller, &traffic::TrafficController::splitRead);
        controller.refresh();
        backend.succeed();
        QCOMPARE(read.count(), 1);
        QCOMPARE(controller.applied(), pct(25));
    }

    void ramp_walksTheStepsOnTheClock()
    {
        FakeBackend backend;
        traffic::TrafficController controller(&backend, nullptr);
        VirtualClock clock(1'000'000);
        Ramp ramp(&controller, clock);
        QSignalSpy steps(&ramp, &Ramp::stepApplied);

        ramp.start({ { 30, 70, 100 }, 120 });
        QCOMPARE(ramp.state(), Ramp::State::Applying);
        backend.succeed();
        QCOMPARE(ramp.state(), Ramp::State::Waiting);
        QCOMPARE(ramp.nextStepAtMs(), 1'120'000);

        clock.advanceMs(119'000);
        ramp.tick();
        QCOMPARE(backend.applied.size(), 1); // not yet
        clock.advanceMs(1'000);
        ramp.tick();
        QCOMPARE(backend.applied.back(), pct(70));
        backend.succeed();
        clock.advanceMs(120'000);
        ramp.tick();
        backend.succeed();
        QCOMPARE(ramp.state(), Ramp::State::Finished);
        QCOMPARE(steps.count(), 3);
        QCOMPARE(backend.applied, (QList<Split> { pct(30), pct(70), pct(100) }));
    }

    void ramp_pauseAndResume_keepTheRemainingWait()
    {
        FakeBackend backend;
        traffic::TrafficController controller(&backend, nullptr);
        VirtualClock clock(0);
        Ramp ramp(&controller, clock);
        ramp.start({ { 30, 70 }, 120 });
        backend.succeed();
        clock.advanceMs(100'000);
        ramp.pause();
        QCOMPARE(ramp.state(), Ramp::State::Paused);
        clock.advanceMs(3'600'000); // an hour on pause: nothing moves
        ramp.tick();
        QCOMPARE(backend.applied.size(), 1);
        ramp.resume();
        QCOMPARE(ramp.state(), Ramp::State::Waiting);
        clock.advanceMs(19'000);
        ramp.tick();
        QCOMPARE(backend.applied.size(), 1);
        clock.advanceMs(1'000);
        ramp.tick();
        QCOMPARE(backend.applied.back(), pct(70));
    }

    void ramp_holdsWhenTheBackEndFails_resumeRetries_abortStops()
    {
        FakeBackend backend;
        traffic::TrafficController controller(&backend, nullptr);
        VirtualClock clock(0);
        Ramp ramp(&controller, clock);
        QSignalSpy held(&ramp, &Ramp::held);
        ramp.start({ { 30, 70, 100 }, 60 });
        backend.succeed();
        clock.advanceMs(60'000);
        ramp.tick();
        backend.fail(traffic::TrafficError::Kind::JobFailed, u"job 12 failed"_s);
        QCOMPARE(ramp.state(), Ramp::State::Held);
        QCOMPARE(held.count(), 1);
        QCOMPARE(controller.applied(), pct(30)); // traffic stays where it was

        clock.advanceMs(600'000);
        ramp.tick();
        QCOMPARE(backend.applied.size(), 2); // holding: no retry by itself

        ramp.resume();
        QCOMPARE(backend.applied.back(), pct(70));
        backend.succeed();
        QCOMPARE(ramp.state(), Ramp::State::Waiting);
        ramp.abort();
        QCOMPARE(ramp.state(), Ramp::State::Aborted);
        clock.advanceMs(600'000);
        ramp.tick();
        QCOMPARE(backend.applied.size(), 3);
        QCOMPARE(controller.applied(), pct(70));
    }

    void rampSteps_parsing()
    {
        QCOMPARE(traffic::RampPlan::parseSteps(u"30, 70,100"_s).value(), (QList<int> { 30, 70, 100 }));
        const auto decreasing = traffic::RampPlan::parseSteps(u"30, 20"_s);
        QVERIFY(!decreasing);
        QVERIFY(decreasing.error().contains(u"increase"_s));
        QVERIFY(!traffic::RampPlan::parseSteps(u"30, 170"_s));
        QVERIFY(!traffic::RampPlan::parseSteps(u""_s));
        QVERIFY(!traffic::RampPlan::parseSteps(u"0"_s));
    }
};

QTEST_GUILESS_MAIN(TestTrafficController)
#include "tst_trafficcontroller.moc"
