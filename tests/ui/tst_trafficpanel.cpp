#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStyle>
#include <QStyleOptionSlider>
#include <QTest>

#include "fakebackend.h"
#include "traffic/changegate.h"
#include "traffic/ramp.h"
#include "traffic/trafficcontroller.h"
#include "traffic/trafficpanel.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::FakeBackend;
using traffic::Split;

namespace {

Split pct(int percent)
{
    return *Split::fromCanaryPercent(percent);
}

QPoint handleCenter(QSlider *slider)
{
    QStyleOptionSlider option;
    option.initFrom(slider);
    option.orientation = slider->orientation();
    option.minimum = slider->minimum();
    option.maximum = slider->maximum();
    option.sliderPosition = slider->sliderPosition();
    option.sliderValue = slider->value();
    option.singleStep = slider->singleStep();
    option.pageStep = slider->pageStep();
    option.tickPosition = slider->tickPosition();
    option.tickInterval = slider->tickInterval();
    option.subControls = QStyle::SC_All;
    return slider->style()
        ->subControlRect(QStyle::CC_Slider, &option, QStyle::SC_SliderHandle, slider)
        .center();
}

struct PanelFixture
{
    PanelFixture()
        : controller(&backend, nullptr)
        , ramp(&controller, clock)
        , gate(&controller)
        , panel(&gate, &ramp, clock)
    {
        gate.attachRamp(&ramp);
        panel.setConfiguredRoles({ u"1.0.0-034c71"_s, u"4.0.0-034c71"_s });
        panel.resize(900, 200);
        panel.show();
        slider = panel.findChild<QSlider *>(u"canarySlider"_s);
        error = panel.findChild<QLabel *>(u"trafficErrorLabel"_s);
    }

    FakeBackend backend;
    VirtualClock clock { 1'000'000 };
    traffic::TrafficController controller;
    traffic::Ramp ramp;
    traffic::ChangeGate gate;
    ui::TrafficPanel panel;
    QSlider *slider = nullptr;
    QLabel *error = nullptr;
};

} // namespace

class TestTrafficPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The profile's guard-rails on the slider's quick steps: a step too large, the cool-down and a FAIL
    // verdict hold an increase; an override needs a typed reason; a decrease always goes through.
    void guardRails_holdIncreases_untilOverriddenWithAReason()
    {
        PanelFixture f;
        traffic::GuardRails rails(f.clock); // the defaults: +25 points at most, 5 min between increases
        f.gate.setGuardRails(&rails);
        f.controller.refresh();
        f.backend.succeed(); // the back-end reads 100/0
        QCOMPARE(f.panel.appliedSplit(), pct(0));
        QSignalSpy blocked(&f.gate, &traffic::ChangeGate::increaseHeld);
        QSignalSpy overridden(&f.gate, &traffic::ChangeGate::guardOverridden);
        auto *guard = f.panel.findChild<QLabel *>(u"guardBlocked"_s);
        auto *overrideButton = f.panel.findChild<QPushButton *>(u"guardOverride"_s);
        const auto click = [&f](int percent) {
            QTest::mouseClick(
                f.panel.findChild<QPushButton *>(u"quickStep%1"_s.arg(percent)), Qt::LeftButton);
        };

        click(50);
        QVERIFY(f.backend.applied.isEmpty());
        QVERIFY(guard->isVisible());
        QVERIFY(overrideButton->isVisible());
        QVERIFY2(guard->text().contains(u"step of +50 points exceeds the maximum of +25"_s),
            qPrintable(guard->text()));
        QCOMPARE(f.slider->value(), 0);
        QCOMPARE(blocked.size(), 1);
        QCOMPARE(f.panel.blockedPercent(), 50);

        click(25); // within the step: applied, and the cool-down starts
        QVERIFY(!guard->isVisible());
        QCOMPARE(f.backend.applied, QList<Split> { pct(25) });
        f.backend.succeed();

        f.clock.advanceMs(60'000);
        traffic::GuardConditions failing;
        failing.verdictFail = true;
        failing.verdictSentence
            = u"Failure rate: canary 41.0 % (205 of 500 requests) vs stable 0.4 % (8 of 2,000)"_s;
        f.gate.setConditions(failing);
        click(50);
        QCOMPARE(f.backend.applied.size(), 1);
        QCOMPARE(f.panel.blockReasons().size(), 2);
        QVERIFY(f.panel.blockReasons()[0].contains(u"increases need 5 min between them"_s));
        QCOMPARE(f.panel.blockReasons()[1],
            u"verdict is FAIL: Failure rate: canary 41.0 % (205 of 500 requests) vs stable 0.4 % (8 of 2,000)"_s);

        // No reason, or a token one: refused, nothing moves.
        QTest::mouseClick(overrideButton, Qt::LeftButton);
        QCOMPARE(f.backend.applied.size(), 1);
        QVERIFY(f.error->isVisible());
        QVERIFY(f.error->text().startsWith(u"Override needs a reason"_s));
        auto *reason = f.panel.findChild<QLineEdit *>(u"reasonEdit"_s);
        QTest::keyClicks(reason, u"ok"_s);
        QTest::mouseClick(overrideButton, Qt::LeftButton);
        QCOMPARE(f.backend.applied.size(), 1);

        reason->clear();
        QTest::keyClicks(reason, u"the failing calls are a known test  endpoint"_s);
        QTest::mouseClick(overrideButton, Qt::LeftButton);
        QCOMPARE(f.backend.applied.size(), 2);
        QCOMPARE(f.backend.applied.back(), pct(50));
        QCOMPARE(overridden.size(), 1);
        const auto overriddenHold = overridden.at(0).at(0).value<traffic::GateHold>();
        QCOMPARE(overriddenHold.fromPercent, std::optional(25));
        QCOMPARE(overriddenHold.toPercent, 50);
        QCOMPARE(overriddenHold.reasons.size(), 2);
        QCOMPARE(overridden.at(0).at(1).toString(), u"the failing calls are a known test endpoint"_s);
        QVERIFY(!guard->isVisible());
        f.backend.succeed();

        // Down is always allowed, frozen or not.
        click(10);
        QCOMPARE(f.backend.applied.back(), pct(10));
        QCOMPARE(blocked.size(), 2);
        f.backend.succeed();

        // Up again once nothing holds it: the cool-down over and the verdict no longer FAIL.
        f.clock.advanceMs(5 * 60'000);
        f.gate.setConditions({});
        click(25);
        QCOMPARE(f.backend.applied.back(), pct(25));
    }

    // Before the back-end's split is known a move waits for it (it may be a decrease); if it cannot be read,
    // only 0 % goes, and what is held is recorded as held from an unknown share, not from 0 %.
    void guardRails_unknownCurrentSplit_waitsForTheRead()
    {
        PanelFixture f; // the back-end's split was never read
        traffic::GuardRails rails(f.clock);
        f.gate.setGuardRails(&rails);
        f.backend.current = pct(50);
        QSignalSpy blocked(&f.gate, &traffic::ChangeGate::increaseHeld);
        QTest::mouseClick(f.panel.findChild<QPushButton *>(u"quickStep10"_s), Qt::LeftButton);
        QVERIFY(f.backend.applied.isEmpty());
        QCOMPARE(f.backend.pending.size(), 1); // the read it waits for
        f.backend.succeed(); // 50 %: so 10 % is a decrease, and it goes
        QCOMPARE(f.backend.applied, QList<Split> { pct(10) });
        QCOMPARE(blocked.size(), 0);
        f.backend.succeed();

        PanelFixture g;
        g.gate.setGuardRails(&rails);
        QSignalSpy held(&g.gate, &traffic::ChangeGate::increaseHeld);
        QTest::mouseClick(g.panel.findChild<QPushButton *>(u"quickStep10"_s), Qt::LeftButton);
        g.backend.fail(); // the read fails: 10 % cannot be checked
        QVERIFY(g.backend.applied.isEmpty());
        QVERIFY(g.panel.blockReasons().constFirst().contains(u"current split is not known"_s));
        QCOMPARE(held.size(), 1);
        QCOMPARE(held.at(0).at(0).value<traffic::GateHold>().fromPercent, std::nullopt);
        QTest::mouseClick(g.panel.findChild<QPushButton *>(u"quickStep0"_s), Qt::LeftButton);
        QCOMPARE(g.backend.applied, QList<Split> { pct(0) });
    }

    // A request made while another is on its way is measured from that one's target, and an increase still
    // on its way holds the next one (its cool-down starts only when it lands).
    void guardRails_measureFromTheChangeInFlight()
    {
        PanelFixture f;
        traffic::GuardRails rails(f.clock);
        f.gate.setGuardRails(&rails);
        f.controller.refresh();
        f.backend.succeed(); // 0 %
        const auto click = [&f](int percent) {
            QTest::mouseClick(
                f.panel.findChild<QPushButton *>(u"quickStep%1"_s.arg(percent)), Qt::LeftButton);
        };
        click(10); // on its way, not confirmed yet
        QCOMPARE(f.backend.applied, QList<Split> { pct(10) });
        click(25);
        QCOMPARE(f.panel.blockedPercent(), 25);
        QVERIFY2(f.panel.blockReasons().contains(u"an increase to 10 % is still being applied"_s),
            qPrintable(f.panel.blockReasons().join(u'\n')));
        QCOMPARE(f.backend.applied.size(), 1);
        // Down while it is on its way: fine, queued behind it.
        click(0);
        QVERIFY(!f.panel.blockedPercent());
        f.backend.succeed();
        QTRY_COMPARE(f.backend.applied.size(), 2);
        QCOMPARE(f.backend.applied.back(), pct(0));
    }

    // Override stands for what the operator was shown: when what holds the increase changed meanwhile, the
    // new reasons are shown and a second click is needed.
    void guardRails_overrideAsksAgain_whenTheReasonsChanged()
    {
        PanelFixture f;
        traffic::GuardRails rails(f.clock);
        f.gate.setGuardRails(&rails);
        f.controller.refresh();
        f.backend.succeed();
        QTest::mouseClick(f.panel.findChild<QPushButton *>(u"quickStep50"_s), Qt::LeftButton); // too large
        QCOMPARE(f.panel.blockReasons().size(), 1);
        traffic::GuardConditions problem;
        problem.problemOpen = true;
        problem.problemId = u"P-7"_s;
        f.gate.setConditions(problem);
        QTest::keyClicks(
            f.panel.findChild<QLineEdit *>(u"reasonEdit"_s), u"load test agreed with the owners"_s);
        auto *overrideButton = f.panel.findChild<QPushButton *>(u"guardOverride"_s);
        QTest::mouseClick(overrideButton, Qt::LeftButton);
        QVERIFY(f.backend.applied.isEmpty());
        QVERIFY(f.panel.guardMessage().contains(u"The situation changed"_s));
        QVERIFY(f.panel.guardMessage().contains(u"problem P-7 is open"_s));
        QSignalSpy overridden(&f.gate, &traffic::ChangeGate::guardOverridden);
        QTest::mouseClick(overrideButton, Qt::LeftButton);
        QCOMPARE(f.backend.applied, QList<Split> { pct(50) });
        QCOMPARE(overridden.size(), 1);
        QCOMPARE(
            overridden.at(0).at(0).value<traffic::GateHold>().reasons.size(), 2); // both reasons on record
    }

    void impactPreview_followsTheSlider_beforeAnythingIsApplied()
    {
        PanelFixture f;
        f.panel.setCurrentRates({ 120.0, 0.4, 0.005, 5 });
        QVERIFY(f.panel.impactPreviewText().isEmpty());
        f.slider->setFocus();
        QTest::keyClick(f.slider, Qt::Key_PageUp);
        QCOMPARE(f.slider->value(), 10);
        QCOMPARE(f.panel.impactPreviewText(),
            u"At 10 %: ≈ 12 requests/min to the canary (of 120/min), ≈ 4.8 failing/min at its current 40 % "
            "failure rate (stable 0.5 %)"_s);
        QVERIFY(f.backend.applied.isEmpty()); // a preview, not a change
        // New rates while choosing update it.
        f.panel.setCurrentRates({ 240.0, 0.4, 0.005, 5 });
        QVERIFY(f.panel.impactPreviewText().startsWith(u"At 10 %: ≈ 24 requests/min"_s));
        // Once the value settles and is applied, the preview has done its job.
        QTRY_COMPARE(f.backend.applied.size(), 1);
        QVERIFY(f.panel.impactPreviewText().isEmpty());
    }

    void buildNames_standAtTheEnds()
    {
        PanelFixture f;
        QCOMPARE(f.panel.findChild<QLabel *>(u"stableBuildLabel"_s)->text(), u"1.0.0-034c71"_s);
        QCOMPARE(f.panel.findChild<QLabel *>(u"canaryBuildLabel"_s)->text(), u"4.0.0-034c71"_s);
    }

    void dragAcrossTheRange_appliesOnce()
    {
        PanelFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        const QPoint start = handleCenter(f.slider);
        QTest::mousePress(f.slider, Qt::LeftButton, {}, start);
        QVERIFY(f.slider->isSliderDown());
        const int width = f.slider->width();
        for (int x = start.x(); x < width - 2; x += 7)
            QTest::mouseMove(f.slider, QPoint(x, start.y()));
        QVERIFY2(f.slider->value() > 80, qPrintable(QString::number(f.slider->value())));
        QVERIFY(f.backend.applied.isEmpty()); // nothing while the finger is down
        QTest::mouseRelease(f.slider, Qt::LeftButton, {}, QPoint(width - 3, start.y()));

        QCOMPARE(f.backend.applied.size(), 1);
        QCOMPARE(f.backend.applied.front().canary, f.slider->value());
        f.backend.succeed();
        QCOMPARE(f.panel.appliedSplit(), pct(f.slider->value()));
        QVERIFY(f.panel.findChild<QLabel *>(u"appliedLabel"_s)
                    ->text()
                    .contains(u"%1 %"_s.arg(f.slider->value())));
    }

    void keyboardSteps_settleIntoOneApply()
    {
        PanelFixture f;
        f.slider->setFocus();
        QTest::keyClick(f.slider, Qt::Key_Right);
        QTest::keyClick(f.slider, Qt::Key_Right);
        QTest::keyClick(f.slider, Qt::Key_PageUp);
        QCOMPARE(f.slider->value(), 12);
        QVERIFY(f.panel.findChild<QLabel *>(u"requestedLabel"_s)->text().contains(u"12 %"_s));
        QTRY_COMPARE(f.backend.applied.size(), 1);
        QCOMPARE(f.backend.applied.front(), pct(12));
        f.backend.succeed();

        QTest::keyClick(f.slider, Qt::Key_End);
        QCOMPARE(f.slider->value(), 100);
        QTRY_COMPARE(f.backend.applied.size(), 2);
        QCOMPARE(f.backend.applied.back(), pct(100));
        f.backend.succeed();
        QTest::keyClick(f.slider, Qt::Key_Home);
        QTRY_COMPARE(f.backend.applied.size(), 3);
        QCOMPARE(f.backend.applied.back(), pct(0));
    }

    void failingBackEnd_snapsTheSliderBack_andShowsTheError()
    {
        PanelFixture f;
        QTest::mouseClick(f.panel.findChild<QPushButton *>(u"quickStep10"_s), Qt::LeftButton);
        QCOMPARE(f.backend.applied, QList<Split> { pct(10) });
        f.backend.succeed();

        QTest::mouseClick(f.panel.findChild<QPushButton *>(u"quickStep50"_s), Qt::LeftButton);
        QCOMPARE(f.slider->value(), 50);
        f.backend.fail(
            traffic::TrafficError::Kind::Forbidden, u"You do not have permission to perform this action."_s);
        QCOMPARE(f.slider->value(), 10);
        QVERIFY(f.error->isVisible());
        QVERIFY2(f.error->text().contains(u"permission"_s), qPrintable(f.error->text()));
        QVERIFY(f.error->text().contains(u"50 %"_s));
        QCOMPARE(f.panel.appliedSplit(), pct(10));
    }

    void appliedVersusObserved_driftWarning()
    {
        PanelFixture f;
        QTest::mouseClick(f.panel.findChild<QPushButton *>(u"quickStep50"_s), Qt::LeftButton);
        f.backend.succeed();
        QVERIFY(!f.panel.isDriftWarningShown());

        // Two complete 10 s intervals after the change in which the canary got nothing.
        session::Snapshot snapshot;
        const qint64 after = f.clock.nowMs();
        snapshot.fetchedAtMs = after + 30'000;
        session::BuildSeries stable { u"1.0.0-034c71"_s, false,
            { after + 10'000, after + 20'000, after + 30'000 }, { 20, 20, 20 } };
        snapshot.builds = { stable };
        f.panel.showSnapshot(snapshot);
        QVERIFY(f.panel.isDriftWarningShown());
        QVERIFY(f.panel.findChild<QLabel *>(u"observedLabel"_s)->text().contains(u"0"_s));

        // The router catches up: the warning goes.
        session::BuildSeries canaryBuild { u"4.0.0-034c71"_s, false, stable.timestamps, { 20, 20, 20 } };
        snapshot.builds = { stable, canaryBuild };
        f.panel.showSnapshot(snapshot);
        QVERIFY(!f.panel.isDriftWarningShown());
        QVERIFY(f.panel.findChild<QLabel *>(u"observedLabel"_s)->text().contains(u"50"_s));
    }

    void rampButtons_driveTheRamp()
    {
        PanelFixture f;
        auto *start = f.panel.findChild<QPushButton *>(u"rampStart"_s);
        auto *pauseResume = f.panel.findChild<QPushButton *>(u"rampPauseResume"_s);
        QVERIFY(!pauseResume->isEnabled());
        QTest::mouseClick(start, Qt::LeftButton);
        QCOMPARE(f.backend.applied, QList<Split> { pct(30) });
        f.backend.succeed();
        QCOMPARE(f.ramp.state(), traffic::Ramp::State::Waiting);
        QVERIFY(!start->isEnabled());
        QVERIFY(f.panel.findChild<QLabel *>(u"rampStatus"_s)->text().contains(u"step 1 of 3"_s));
        QTest::mouseClick(pauseResume, Qt::LeftButton);
        QCOMPARE(f.ramp.state(), traffic::Ramp::State::Paused);
        QCOMPARE(pauseResume->text(), u"Resume"_s);
        QTest::mouseClick(f.panel.findChild<QPushButton *>(u"rampAbort"_s), Qt::LeftButton);
        QCOMPARE(f.ramp.state(), traffic::Ramp::State::Aborted);
        QCOMPARE(f.slider->value(), 30);
    }

    // Issue 17: someone else moves traffic while a ramp runs: the slider follows, the ramp pauses and says
    // why, and the note names who did it as the back-end tells, as plain text (never markup).
    void outsideChange_movesTheSlider_pausesTheRamp_andNamesWhoDidIt()
    {
        PanelFixture f;
        QTest::mouseClick(f.panel.findChild<QPushButton *>(u"rampStart"_s), Qt::LeftButton);
        f.backend.succeed();
        QCOMPARE(f.ramp.state(), traffic::Ramp::State::Waiting);
        QCOMPARE(f.slider->value(), 30);

        f.backend.reportOrigin(traffic::ChangeOrigin { u"AWX job #41 of 'Start canary deployment'"_s,
            u"<b>jenkins</b>"_s, QDateTime::fromMSecsSinceEpoch(999'000, Qt::UTC), {} });
        testing::readSplitAt(f.backend, f.controller, 55);
        QCOMPARE(f.slider->value(), 55);
        QCOMPARE(f.panel.appliedSplit(), std::optional(pct(55)));
        QCOMPARE(f.ramp.state(), traffic::Ramp::State::Paused);
        QVERIFY2(f.error->text().contains(u"Ramp paused: traffic changed to 45/55"_s),
            qPrintable(f.error->text()));
        auto *note = f.panel.findChild<QLabel *>(u"outsideChange"_s);
        QVERIFY(note->isVisible());
        QCOMPARE(note->textFormat(), Qt::PlainText);
        QVERIFY2(note->text().contains(u"AWX job #41 of 'Start canary deployment', by <b>jenkins</b>"_s),
            qPrintable(note->text()));
        QCOMPARE(f.backend.applied, QList<Split> { pct(30) }); // nothing more was applied over it
    }

    // A ramp under the guard-rails: refused as a whole when its steps or pauses break them, paused when
    // something freezes increases while it runs, and not resumed until nothing does.
    void guardRails_refuseABadRamp_andPauseARunningOne()
    {
        PanelFixture f;
        traffic::GuardRails rails(f.clock);
        f.gate.setGuardRails(&rails);
        f.controller.refresh();
        f.backend.succeed();
        auto *start = f.panel.findChild<QPushButton *>(u"rampStart"_s);
        auto *pauseResume = f.panel.findChild<QPushButton *>(u"rampPauseResume"_s);
        auto *steps = f.panel.findChild<QLineEdit *>(u"rampSteps"_s);
        auto *pause = f.panel.findChild<QSpinBox *>(u"rampPauseSeconds"_s);
        // What the panel offers fits the guard-rails.
        QCOMPARE(steps->text(), u"25, 50, 75, 100"_s);
        QCOMPARE(pause->value(), 300);

        // The workshop's 30 -> 70 -> 100 every 2 minutes: too steep and too fast.
        steps->clear();
        QTest::keyClicks(steps, u"30, 70, 100"_s);
        pause->setValue(120);
        QTest::mouseClick(start, Qt::LeftButton);
        QVERIFY(f.backend.applied.isEmpty());
        QCOMPARE(f.ramp.state(), traffic::Ramp::State::Idle);
        QVERIFY2(f.panel.guardMessage().contains(u"Ramp not started"_s), qPrintable(f.panel.guardMessage()));
        QVERIFY(f.panel.guardMessage().contains(u"ramp step 2 (30 % to 70 %) is +40 points"_s));
        QVERIFY(f.panel.guardMessage().contains(u"the ramp pauses 2 min between steps"_s));

        steps->clear();
        QTest::keyClicks(steps, u"20, 40"_s);
        pause->setValue(300);
        QTest::mouseClick(start, Qt::LeftButton);
        QCOMPARE(f.backend.applied, QList<Split> { pct(20) });
        QVERIFY(f.panel.guardMessage().isEmpty());
        f.backend.succeed();
        QCOMPARE(f.ramp.state(), traffic::Ramp::State::Waiting);

        traffic::GuardConditions problem;
        problem.problemOpen = true;
        problem.problemId = u"P-42"_s;
        f.gate.setConditions(problem);
        QCOMPARE(f.ramp.state(), traffic::Ramp::State::Paused);
        QVERIFY(f.panel.guardMessage().contains(u"Ramp paused by the guard-rails"_s));
        QVERIFY(f.panel.guardMessage().contains(u"problem P-42 is open"_s));
        QTest::mouseClick(pauseResume, Qt::LeftButton);
        QCOMPARE(f.ramp.state(), traffic::Ramp::State::Paused);
        QVERIFY(f.panel.guardMessage().contains(u"Ramp stays paused"_s));

        f.gate.setConditions({});
        QTest::mouseClick(pauseResume, Qt::LeftButton);
        QVERIFY(f.ramp.state() != traffic::Ramp::State::Paused);
        QVERIFY(f.panel.guardMessage().isEmpty());

        // The operator steps back to 0 % during the pause: the ramp's next step (40 %) is now a +40 jump,
        // held before it is applied.
        QTest::mouseClick(f.panel.findChild<QPushButton *>(u"quickStep0"_s), Qt::LeftButton);
        QCOMPARE(f.backend.applied.back(), pct(0));
        f.backend.succeed();
        f.clock.advanceMs(300'000);
        f.ramp.tick();
        QCOMPARE(f.ramp.state(), traffic::Ramp::State::Paused);
        QCOMPARE(f.backend.applied.back(), pct(0));
        QVERIFY2(
            f.panel.guardMessage().contains(u"before step 2 (40 %)"_s), qPrintable(f.panel.guardMessage()));
        QVERIFY(f.panel.guardMessage().contains(u"step of +40 points exceeds the maximum of +25"_s));
    }
};

QTEST_MAIN(TestTrafficPanel)
#include "tst_trafficpanel.moc"
