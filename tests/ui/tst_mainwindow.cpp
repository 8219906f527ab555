#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QTableView>
#include <QTest>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>

#include "chart/requestchart.h"
#include "chartinput.h"
#include "common/freshnesslabel.h"
#include "dynatrace/deeplinks.h"
#include "dynatrace/eventsclient.h"
#include "mainwindow.h"
#include "models/buildsummarymodel.h"
#include "net/restclient.h"
#include "rollback/autoremediation.h"
#include "rollback/rollbackactions.h"
#include "rollback/rollbackpanel.h"
#include "rollback/rollbackservice.h"
#include "session/actionlog.h"
#include "session/canarysession.h"
#include "session/freshness.h"
#include "sim/awxapi.h"
#include "sim/eventstore.h"
#include "sim/problemstore.h"
#include "simfixture.h"
#include "timeline/problembanner.h"
#include "timeline/timelinefilterproxy.h"
#include "timeline/timelinemodel.h"
#include "timeline/timelinepanel.h"
#include "traffic/changegate.h"
#include "traffic/changerecorder.h"
#include "traffic/ramp.h"
#include "traffic/simtrafficbackend.h"
#include "traffic/trafficactions.h"
#include "traffic/trafficcontroller.h"
#include "traffic/trafficpanel.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::World;
using canary::testing::SimFixture;

namespace {

// The demo as canary-console wires it: simulated router, recorded changes, local actions, timeline.
struct DemoWindow
{
    explicit DemoWindow(SimFixture &fixture)
        : session(fixture.target(), fixture.environment->token(), fixture.clock)
        , window(&session, { true, u"demo"_s, {} })
        , actions(fixture.clock)
        , backend(fixture.environment->baseUrl(), fixture.environment->token())
        , rest(fixture.environment->baseUrl())
        , events(&rest)
        , recorder(&events, recorderConfig(session))
        , controller(&backend, &recorder)
        , ramp(&controller, fixture.clock)
        , gate(&controller)
    {
        rest.setAuthorization("Api-Token " + fixture.environment->token().toUtf8());
        traffic::logTrafficActions(&controller, &actions);
        window.attachTimeline(fixture.clock, &actions);
        window.attachTraffic(&gate, &ramp, fixture.clock,
            { fixture.environment->stableBuild(), fixture.environment->canaryBuild() });
    }

    static traffic::RecorderConfig recorderConfig(const session::CanarySession &session)
    {
        traffic::RecorderConfig config;
        config.entitySelector = session.target().entitySelector;
        config.remediationAction = u"9"_s;
        return config;
    }

    session::CanarySession session;
    ui::MainWindow window;
    session::ActionLog actions;
    traffic::SimTrafficBackend backend;
    net::RestClient rest;
    dynatrace::EventsClient events;
    traffic::ChangeRecorder recorder;
    traffic::TrafficController controller;
    traffic::Ramp ramp;
    traffic::ChangeGate gate;
};

// The demo's rollback: the simulator's AWX runs the recorded "Reset canary weighting".
struct DemoRollback
{
    DemoRollback(SimFixture &fixture, DemoWindow &demo)
        : service(config(fixture, demo), fixture.clock)
        , guard(fixture.clock)
    {
        guard.setTickIntervalMs(1);
        rollback::logRollbackActions(service.runner(), &guard, &demo.actions);
        demo.window.attachRollback(&service, &guard, fixture.clock);
    }

    static rollback::ServiceConfig config(SimFixture &fixture, DemoWindow &demo)
    {
        rollback::ServiceConfig config;
        config.target = demo.session.target();
        config.dynatraceToken = fixture.environment->token();
        awx::AwxConfig awx;
        awx.url = fixture.environment->baseUrl();
        awx.token = fixture.environment->token();
        config.awx = awx;
        config.backend = &demo.backend;
        config.gate = &demo.gate;
        config.session = &demo.session;
        config.roles = { fixture.environment->stableBuild(), fixture.environment->canaryBuild() };
        config.pollIntervalMs = 5;
        return config;
    }

    rollback::RollbackService service;
    rollback::AutoRemediation guard;
};

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firstRefresh_fillsChartAndTable_withTheSimulatorsValues()
    {
        SimFixture fixture(30, 10);
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        ui::MainWindow window(&session, { true, u"demo"_s, {} });
        QAbstractItemModelTester tester(
            window.buildModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.findChild<QLabel *>(u"demoBadge"_s)->isVisible());

        QSignalSpy firstData(&window, &ui::MainWindow::firstDataShown);
        session.start();
        auto *chart = window.chart();
        QTRY_COMPARE(chart->buildNames().size(), 2);
        QCOMPARE(firstData.size(), 1); // what start-to-first-data measures (tools/measure-startup)
        session.refresh();
        QTRY_VERIFY(!session.isRefreshing());
        QCOMPARE(firstData.size(), 1); // once per window

        const QString stable = fixture.environment->stableBuild();
        const QString canaryBuild = fixture.environment->canaryBuild();
        QCOMPARE(chart->buildNames(), (QStringList { stable, canaryBuild }));
        QCOMPARE(chart->legendLabels(), (QStringList { stable, canaryBuild }));
        QVERIFY(chart->colorOf(stable) != chart->colorOf(canaryBuild));

        // Each plotted point is exactly the simulator's count for that slot; empty slots are not plotted.
        const std::array roles { World::BuildRole::Stable, World::BuildRole::Canary };
        const std::array builds { stable, canaryBuild };
        for (std::size_t b = 0; b < 2; ++b) {
            const auto points = chart->pointsOf(builds[b]);
            QVERIFY(points.size() >= 10);
            for (const auto &point : points) {
                const auto expected = fixture.expectedRequests(roles[b], qint64(point.x()), 60'000);
                QVERIFY(expected.has_value());
                QCOMPARE(point.y(), *expected);
            }
        }

        auto *model = window.buildModel();
        QCOMPARE(model->rowCount(), 2);
        const double stableTotal = model->index(0, 0).data(ui::BuildSummaryModel::TotalRole).toDouble();
        const double canaryTotal = model->index(1, 0).data(ui::BuildSummaryModel::TotalRole).toDouble();
        QVERIFY(stableTotal > canaryTotal);
        QCOMPARE(model->index(1, 0).data(ui::BuildSummaryModel::ColorRole).value<QColor>(),
            chart->colorOf(canaryBuild));

        auto *update = window.findChild<QLabel *>(u"lastUpdateLabel"_s);
        QVERIFY(update->text().contains(u"1m"_s));
        QVERIFY(!window.findChild<QLabel *>(u"staleLabel"_s)->isVisible());
    }

    void simulatorStopped_showsStaleState_withTheErrorText_andKeepsTheData()
    {
        SimFixture fixture(30, 10);
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        ui::MainWindow window(&session, { true, u"demo"_s, {} });
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        session.start();
        QTRY_COMPARE(window.chart()->buildNames().size(), 2);

        fixture.environment->stop();
        session.refresh();
        auto *stale = window.findChild<QLabel *>(u"staleLabel"_s);
        QTRY_VERIFY(stale->isVisible());
        QVERIFY2(stale->text().contains(u"STALE"_s), qPrintable(stale->text()));
        QVERIFY2(stale->text().contains(u"refused"_s, Qt::CaseInsensitive), qPrintable(stale->text()));
        QCOMPARE(window.chart()->buildNames().size(), 2);
        QCOMPARE(window.buildModel()->rowCount(), 2);
    }

    void everyPanelShowsTheAgeOfItsData_andMarksItStale()
    {
        SimFixture fixture(30, 10);
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        ui::MainWindow::Options options { true, u"demo"_s, {} };
        options.clock = &fixture.clock;
        ui::MainWindow window(&session, options);
        window.attachTimeline(fixture.clock, nullptr);
        traffic::SimTrafficBackend backend(fixture.environment->baseUrl(), fixture.environment->token());
        traffic::TrafficController controller(&backend, nullptr);
        traffic::Ramp ramp(&controller, fixture.clock);
        traffic::ChangeGate gate(&controller);
        window.attachTraffic(&gate, &ramp, fixture.clock, {});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        // Before anything arrived: waiting, not "current".
        QCOMPARE(window.chartFreshness()->text(), u"Chart data: waiting…"_s);
        session.start();
        controller.refresh();
        QTRY_COMPARE(window.chart()->buildNames().size(), 2);
        QTRY_COMPARE(window.timelineFreshness()->text(), u"Timeline: from just now"_s);
        QCOMPARE(window.chartFreshness()->text(), u"Chart data: from just now"_s);
        QTRY_COMPARE(window.splitFreshness()->text(), u"Back-end split: from just now"_s);
        QVERIFY(!window.chartFreshness()->isStale());

        // Time passes without a refresh (a hung request, a sleeping laptop): the age grows, then it is
        // marked stale, never shown as current.
        fixture.clock.advanceMs(5 * 60'000);
        window.chartFreshness()->tick();
        window.splitFreshness()->tick();
        QCOMPARE(window.chartFreshness()->text(), u"Chart data: from 5 min ago"_s);
        QCOMPARE(window.splitFreshness()->text(), u"Back-end split: from 5 min ago"_s);
        const qint64 staleAfter = session::Freshness::staleAfterFor(session.target().refreshIntervalMs);
        fixture.clock.advanceMs(staleAfter);
        window.chartFreshness()->tick();
        window.timelineFreshness()->tick();
        QVERIFY(window.chartFreshness()->isStale());
        QVERIFY2(window.chartFreshness()->text().startsWith(u"Chart data: STALE, from 2 h"_s),
            qPrintable(window.chartFreshness()->text()));
        QVERIFY(window.timelineFreshness()->isStale());
        QVERIFY(window.chart()->isStale());

        // The next refresh makes it current again.
        session.refresh();
        QTRY_VERIFY(!window.chartFreshness()->isStale());
        QVERIFY(!window.chart()->isStale());

        // A failed read marks it stale at once, whatever its age, and says why.
        fixture.environment->stop();
        session.refresh();
        QTRY_VERIFY(window.timelineFreshness()->isStale());
        QTRY_VERIFY(window.chartFreshness()->isStale());
        QVERIFY2(window.chartFreshness()->toolTip().contains(u"refused"_s, Qt::CaseInsensitive),
            qPrintable(window.chartFreshness()->toolTip()));
    }

    void shiftingTraffic_showsUpOnTheNextRefresh()
    {
        SimFixture fixture(0, 5);
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        ui::MainWindow window(&session, { false, u"tenant"_s, {} });
        QAbstractItemModelTester tester(
            window.buildModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(!window.findChild<QLabel *>(u"demoBadge"_s));
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 1);
        // 100/0: the canary had no traffic, so Dynatrace returns no tuple for it.
        QCOMPARE(window.chart()->buildNames(), QStringList { fixture.environment->stableBuild() });

        fixture.world().setCanaryWeight(50);
        fixture.clock.advanceMs(3 * 60'000);
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 2);
        QCOMPARE(window.chart()->buildNames(),
            (QStringList { fixture.environment->stableBuild(), fixture.environment->canaryBuild() }));
        QCOMPARE(window.buildModel()->rowCount(), 2);
    }

    void trafficPanel_movesTheSimulatedRouter_recordsTheChange_andTheChartShowsIt()
    {
        SimFixture fixture(0, 5);
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        ui::MainWindow window(&session, { true, u"demo"_s, {} });
        traffic::SimTrafficBackend backend(fixture.environment->baseUrl(), fixture.environment->token());
        net::RestClient rest(fixture.environment->baseUrl());
        rest.setAuthorization("Api-Token " + fixture.environment->token().toUtf8());
        dynatrace::EventsClient events(&rest);
        traffic::RecorderConfig config;
        config.entitySelector = session.target().entitySelector;
        config.remediationAction = u"9"_s;
        traffic::ChangeRecorder recorder(&events, config);
        traffic::TrafficController controller(&backend, &recorder);
        traffic::Ramp ramp(&controller, fixture.clock);
        traffic::ChangeGate gate(&controller);
        window.attachTraffic(&gate, &ramp, fixture.clock,
            { fixture.environment->stableBuild(), fixture.environment->canaryBuild() });
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy snapshots(&session, &session::CanarySession::snapshotChanged);
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 1);
        QCOMPARE(window.chart()->buildNames(), QStringList { fixture.environment->stableBuild() });

        QSignalSpy recorded(&controller, &traffic::TrafficController::changeRecorded);
        QTest::mouseClick(window.trafficPanel()->findChild<QPushButton *>(u"quickStep50"_s), Qt::LeftButton);
        QTRY_COMPARE(recorded.count(), 1);
        QCOMPARE(fixture.world().canaryWeight(), 50);
        const auto &stored = fixture.environment->events().events();
        QCOMPARE(stored.size(), 1);
        QCOMPARE(stored.front().title, u"Canary weight set to 50"_s);
        QCOMPARE(stored.front().properties.value(u"remediationAction"_s), u"9"_s);

        // Within one refresh the chart shows the canary taking traffic.
        fixture.clock.advanceMs(2 * 60'000);
        session.refresh();
        QTRY_COMPARE(snapshots.count(), 2);
        QCOMPARE(window.chart()->buildNames(),
            (QStringList { fixture.environment->stableBuild(), fixture.environment->canaryBuild() }));
    }
    // The "done when": shifting traffic to the faulty canary records a configuration change, and a
    // simulated minute later Dynatrace opens a problem; both show in the timeline and on the chart, and the
    // banner links to the problem.
    void demoStory_shiftToCanary_changeAndProblem_inTimelineChartAndBanner()
    {
        SimFixture fixture(0, 5);
        DemoWindow demo(fixture);
        auto &window = demo.window;
        auto *timeline = window.timelinePanel();
        QVERIFY(timeline && window.problemBanner());
        QAbstractItemModelTester modelTester(
            timeline->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(
            timeline->proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        QSignalSpy problems(&demo.session, &session::CanarySession::problemsChanged);
        QSignalSpy events(&demo.session, &session::CanarySession::eventsChanged);
        demo.session.refresh();
        QTRY_COMPARE(problems.count(), 1);
        QTRY_COMPARE(events.count(), 1);
        QCOMPARE(timeline->model()->rowCount(), 0);
        QVERIFY(window.chart()->markerIds().isEmpty());
        QVERIFY(!window.problemBanner()->isVisible());
        auto *openService = window.findChild<QToolButton *>(u"openServiceButton"_s);
        QVERIFY(!openService->isEnabled()); // no event or problem has named the service yet

        // The operator sends everything to the canary (the panel has read the split first, as at start-up):
        // the local action shows at once...
        QSignalSpy read(&demo.controller, &traffic::TrafficController::splitRead);
        demo.controller.refresh();
        QTRY_COMPARE(read.count(), 1);
        QSignalSpy recorded(&demo.controller, &traffic::TrafficController::changeRecorded);
        QTest::mouseClick(window.trafficPanel()->findChild<QPushButton *>(u"quickStep100"_s), Qt::LeftButton);
        QTRY_COMPARE(recorded.count(), 1);
        QCOMPARE(fixture.world().canaryWeight(), 100);
        QCOMPARE(timeline->model()->rowCount(), 1);
        const auto local = timeline->model()->entries().front();
        QCOMPARE(local.origin, session::TimelineEntry::Origin::LocalAction);
        QCOMPARE(local.properties.value(u"split.new"_s), u"0/100"_s);
        QCOMPARE(local.properties.value(u"split.old"_s), u"100/0"_s);

        // ...and the recorded event with the next refresh, as a marker too. No problem yet.
        fixture.clock.advanceMs(20'000);
        demo.session.refresh();
        QTRY_COMPARE(events.count(), 2);
        QTRY_COMPARE(problems.count(), 2);
        QCOMPARE(fixture.environment->events().events().size(), std::size_t(1));
        const QString eventId = fixture.environment->events().events().front().eventId;
        const int eventRow = timeline->model()->rowOf(eventId);
        QVERIFY(eventRow >= 0);
        const auto &change = timeline->model()->entries().at(std::size_t(eventRow));
        QCOMPARE(change.type, u"CUSTOM_CONFIGURATION"_s);
        QCOMPARE(change.title, u"Canary weight set to 100"_s);
        QCOMPARE(change.remediationAction(), u"9"_s);
        QCOMPARE(timeline->model()->rowCount(), 2); // the event and the local action, kept apart
        QCOMPARE(window.chart()->markerIds(), QStringList { eventId });
        QVERIFY(!window.problemBanner()->isVisible());
        QVERIFY(openService->isEnabled());
        const QUrl serviceUrl = window.servicePageUrl();
        QVERIFY2(serviceUrl.fragment().startsWith(u"newservices/serviceOverview;id=SERVICE-"_s),
            qPrintable(serviceUrl.toString()));

        // A simulated minute and a half above 10 % failures: Davis opens "Failure rate increase".
        fixture.clock.advanceMs(100'000);
        demo.session.refresh();
        QTRY_COMPARE(problems.count(), 3);
        QTRY_COMPARE(events.count(), 3);
        const auto &open = demo.session.problems();
        QCOMPARE(open.size(), std::size_t(1));
        QVERIFY(open.front().isOpen());
        QCOMPARE(open.front().title, u"Failure rate increase"_s);
        QVERIFY(timeline->model()->rowOf(open.front().problemId) >= 0);
        // Davis also raises the ERROR_EVENT behind the problem, on the service; it is no marker.
        QCOMPARE(timeline->model()->rowCount(), 4);
        QCOMPARE(timeline->model()->entries().at(1).type, u"ERROR_EVENT"_s);
        QCOMPARE(window.chart()->markerIds(), QStringList { eventId });

        auto *banner = window.problemBanner();
        QVERIFY(banner->isVisible());
        QVERIFY2(banner->text().contains(open.front().displayId), qPrintable(banner->text()));
        QVERIFY(banner->text().contains(u"Failure rate increase"_s));
        QCOMPARE(banner->problemUrl(),
            dynatrace::problemPageUrl(demo.session.target().dynatraceUrl, open.front().problemId));
        QSignalSpy openRequested(banner, &ui::ProblemBanner::openRequested);
        // openRequested goes to QDesktopServices; the offscreen platform opens nothing.
        QTest::mouseClick(banner->findChild<QPushButton *>(u"openInDynatrace"_s), Qt::LeftButton);
        QCOMPARE(openRequested.count(), 1);
        QCOMPARE(openRequested.at(0).at(0).toUrl(), banner->problemUrl());

        // "Show in timeline" selects the problem; clicking the marker selects the change and highlights it.
        QTest::mouseClick(banner->findChild<QPushButton *>(u"showProblem"_s), Qt::LeftButton);
        QCOMPARE(timeline->selectedId(), open.front().problemId);
        QVERIFY(!window.chart()->isMarkerHighlighted(eventId));
        QVERIFY(canary::testing::markerSettles(*window.chart(), eventId));
        canary::testing::clickAt(*window.chart(), *window.chart()->markerPosition(eventId));
        QCOMPARE(timeline->selectedId(), eventId);
        QCOMPARE(window.chart()->highlightedMarker(), eventId);
        QVERIFY(timeline->detailsText().contains(u"launch AWX template 9"_s));
        const QModelIndex current = timeline->view()->currentIndex();
        QCOMPARE(current.data(ui::TimelineModel::IdRole).toString(), eventId);

        // The selection and the highlight survive the next refresh.
        fixture.clock.advanceMs(10'000);
        demo.session.refresh();
        QTRY_COMPARE(problems.count(), 4);
        QTRY_COMPARE(events.count(), 4);
        QCOMPARE(timeline->selectedId(), eventId);
        QCOMPARE(window.chart()->highlightedMarker(), eventId);
    }

    void timelineReadFailing_saysSo_andKeepsWhatArrived()
    {
        SimFixture fixture(0, 5);
        DemoWindow demo(fixture);
        QSignalSpy read(&demo.controller, &traffic::TrafficController::splitRead);
        demo.controller.refresh();
        QTRY_COMPARE(read.count(), 1);
        QSignalSpy recorded(&demo.controller, &traffic::TrafficController::changeRecorded);
        demo.controller.requestSplit(*traffic::Split::fromCanaryPercent(30), {});
        QTRY_COMPARE(recorded.count(), 1);
        QSignalSpy events(&demo.session, &session::CanarySession::eventsChanged);
        demo.session.refresh();
        QTRY_COMPARE(events.count(), 1);
        auto *timeline = demo.window.timelinePanel();
        const int rows = timeline->model()->rowCount();
        QVERIFY(rows >= 2); // the change and the local action
        QVERIFY(timeline->loadError().isEmpty());

        fixture.environment->stop();
        QSignalSpy failed(&demo.session, &session::CanarySession::eventsFailed);
        demo.session.refresh();
        QTRY_COMPARE(failed.count(), 1);
        QTRY_VERIFY(timeline->loadError().contains(u"Events incomplete"_s));
        QVERIFY2(timeline->loadError().contains(u"refused"_s), qPrintable(timeline->loadError()));
        QCOMPARE(timeline->model()->rowCount(), rows); // nothing lost
        QVERIFY(!demo.window.chart()->markerIds().isEmpty());
    }

    void failedTrafficChange_showsAsAFailedLocalAction()
    {
        SimFixture fixture(0, 5);
        DemoWindow demo(fixture);
        fixture.environment->stop();
        QSignalSpy failed(&demo.controller, &traffic::TrafficController::applyFailed);
        QTest::mouseClick(
            demo.window.trafficPanel()->findChild<QPushButton *>(u"quickStep50"_s), Qt::LeftButton);
        QTRY_COMPARE(failed.count(), 1);
        auto *model = demo.window.timelinePanel()->model();
        QCOMPARE(model->rowCount(), 1);
        const auto entry = model->entries().front();
        QCOMPARE(entry.status, u"FAILED"_s);
        QCOMPARE(entry.properties.value(u"split.requested"_s), u"50/50"_s);
        QVERIFY2(!entry.properties.value(u"error"_s).isEmpty(), "the back-end's error is kept");
    }
    // Without a plan the labelled fallback sets 0 % through the same gate and controller as the slider, so
    // the traffic panel shows the rollback's split as applied: the console notices its own rollback.
    void fallbackButton_setsZeroThroughTheGate_andTheTrafficPanelShowsIt()
    {
        SimFixture fixture(40, 5);
        DemoWindow demo(fixture);
        DemoRollback rollback(fixture, demo);
        auto *panel = demo.window.rollbackPanel();
        panel->setConfirmationRequired(false);
        demo.window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&demo.window));
        QSignalSpy read(&demo.controller, &traffic::TrafficController::splitRead);
        demo.controller.refresh();
        QTRY_COMPARE(read.count(), 1);
        QCOMPARE(demo.window.trafficPanel()->appliedSplit()->canary, 40);
        QTRY_VERIFY(rollback.service.plan().has_value());
        QTRY_VERIFY(panel->fallbackButton()->isVisible() && panel->fallbackButton()->isEnabled());

        QSignalSpy applied(&demo.controller, &traffic::TrafficController::splitApplied);
        QTest::mouseClick(panel->fallbackButton(), Qt::LeftButton);
        QTRY_COMPARE(applied.count(), 1);
        QCOMPARE(applied.front().at(1).value<traffic::Split>().canary, 0);
        QCOMPARE(fixture.world().canaryWeight(), 0);
        QCOMPARE(demo.window.trafficPanel()->appliedSplit()->canary, 0);
        QCOMPARE(demo.window.trafficPanel()->requestedPercent(), 0);
    }

    // Issue 5's "done when": after the ramp and the problem, one click plus confirm returns all traffic to
    // the stable build, the timeline shows the rollback and its result, and the problem closes.
    void demoRollback_oneClickAndConfirm_backToStable_verified_problemCloses()
    {
        SimFixture fixture(0, 5);
        DemoWindow demo(fixture);
        DemoRollback rollback(fixture, demo);
        auto &window = demo.window;
        auto *panel = window.rollbackPanel();
        auto *button = panel->rollbackButton();
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(button->isVisible());
        QTRY_VERIFY(rollback.service.plan().has_value());
        QVERIFY(!button->isEnabled()); // nothing recorded yet: nothing to run
        QVERIFY(panel->fallbackButton()->isVisible()); // the labelled way out without a plan

        QSignalSpy read(&demo.controller, &traffic::TrafficController::splitRead);
        demo.controller.refresh();
        QTRY_COMPARE(read.count(), 1);
        QSignalSpy recorded(&demo.controller, &traffic::TrafficController::changeRecorded);
        QTest::mouseClick(window.trafficPanel()->findChild<QPushButton *>(u"quickStep100"_s), Qt::LeftButton);
        QTRY_COMPARE(recorded.count(), 1);

        // A simulated two minutes later Davis has opened the problem; the plan is the change's backout.
        QSignalSpy problems(&demo.session, &session::CanarySession::problemsChanged);
        fixture.clock.advanceMs(150'000);
        demo.session.refresh();
        QTRY_COMPARE(problems.count(), 1);
        QTRY_VERIFY(button->isEnabled());
        QVERIFY2(button->text().contains(u"'Reset canary weighting' (#9)"_s), qPrintable(button->text()));
        QVERIFY(!panel->fallbackButton()->isVisible());
        QVERIFY(window.problemBanner()->isVisible());
        const QString problemId = window.problemBanner()->shownProblem()->problemId;

        // Esc cancels: nothing runs.
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_VERIFY(panel->dialog() && panel->dialog()->isVisible());
        QVERIFY(!button->isEnabled()); // no second dialog, no second launch
        QTest::keyClick(panel->dialog(), Qt::Key_Escape);
        QTRY_VERIFY(!panel->dialog());
        QTRY_VERIFY(button->isEnabled());
        QCOMPARE(fixture.environment->awx().jobCount(), 0);

        // Click, a reason, Enter.
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_VERIFY(panel->dialog() && panel->dialog()->isVisible());
        auto *dialog = panel->dialog();
        QVERIFY(dialog->findChild<QLabel *>(u"rollbackDetails"_s)
                    ->text()
                    .contains(u"Canary weight set to 100"_s));
        QTest::keyClicks(dialog->findChild<QLineEdit *>(u"rollbackReason"_s), u"failure rate up"_s);
        QTest::keyClick(dialog->findChild<QLineEdit *>(u"rollbackReason"_s), Qt::Key_Return);
        QTRY_VERIFY(rollback.service.runner()->isRunning());
        QVERIFY(!button->isEnabled());
        QTRY_VERIFY(!panel->dialog()); // the confirmed dialog is gone...
        QTest::mouseClick(button, Qt::LeftButton); // ...and a second click while it runs opens none
        QVERIFY(!panel->dialog());

        QTimer pump;
        QObject::connect(&pump, &QTimer::timeout, &pump, [&] { fixture.clock.advanceMs(250); });
        pump.start(1);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->resultText().isEmpty(), 30'000);
        pump.stop();
        QVERIFY2(
            panel->resultText().startsWith(u"Rolled back"_s) && panel->resultText().contains(u"verified"_s),
            qPrintable(panel->resultText()));
        QCOMPARE(fixture.world().canaryWeight(), 0);
        QCOMPARE(fixture.environment->awx().jobCount(), 1);
        QVERIFY(!panel->outputText().isEmpty()); // the job's output was shown while it ran

        // The timeline has the local record at once...
        bool local = false;
        for (const auto &entry : window.timelinePanel()->model()->entries())
            local = local
                || (entry.origin == session::TimelineEntry::Origin::LocalAction
                    && entry.title.startsWith(u"Rollback succeeded"_s));
        QVERIFY(local);
        // ...the problem got its comment...
        const auto *stored = fixture.environment->problems().find(problemId);
        QVERIFY(stored);
        QCOMPARE(stored->comments.size(), 1);
        QVERIFY(stored->comments.front().content.contains(u"Rollback executed"_s));

        // ...and a few simulated minutes later Dynatrace lists the rollback and closes the problem.
        QSignalSpy events(&demo.session, &session::CanarySession::eventsChanged);
        fixture.clock.advanceMs(4 * 60'000);
        const int before = problems.count();
        demo.session.refresh();
        QTRY_VERIFY(problems.count() > before);
        QTRY_VERIFY(events.count() > 0);
        bool executed = false;
        for (const auto &entry : window.timelinePanel()->model()->entries())
            executed = executed || entry.title.startsWith(u"Rollback executed: AWX job"_s);
        QVERIFY(executed);
        QVERIFY(!window.problemBanner()->isVisible());
        QVERIFY(!demo.session.problems().front().isOpen());
        // The newest change is now the reset itself: nothing left to roll back.
        QTRY_VERIFY2(panel->findChild<QLabel *>(u"planStatus"_s)->text().startsWith(u"No backout needed"_s),
            qPrintable(panel->findChild<QLabel *>(u"planStatus"_s)->text()));
        QVERIFY(!button->isEnabled());
    }

    void autoRemediation_countsDown_thenRollsBack_onceForTheProblem()
    {
        SimFixture fixture(0, 5);
        DemoWindow demo(fixture);
        DemoRollback rollback(fixture, demo);
        rollback.guard.setCountdownMs(30'000);
        auto *panel = demo.window.rollbackPanel();
        auto *toggle = panel->findChild<QCheckBox *>(u"autoRemediation"_s);
        QVERIFY(!toggle->isChecked()); // opt-in
        toggle->setChecked(true);
        QVERIFY(rollback.guard.isEnabled());

        QSignalSpy read(&demo.controller, &traffic::TrafficController::splitRead);
        demo.controller.refresh();
        QTRY_COMPARE(read.count(), 1);
        QSignalSpy recorded(&demo.controller, &traffic::TrafficController::changeRecorded);
        demo.controller.requestSplit(*traffic::Split::fromCanaryPercent(100), {});
        QTRY_COMPARE(recorded.count(), 1);

        QSignalSpy due(&rollback.guard, &rollback::AutoRemediation::remediationDue);
        QSignalSpy succeeded(rollback.service.runner(), &rollback::RollbackRunner::rollbackSucceeded);
        fixture.clock.advanceMs(150'000);
        demo.session.refresh();
        QTRY_VERIFY(rollback.guard.isCounting());
        QTRY_VERIFY(panel->countdownText().contains(u"30 s"_s));
        QCOMPARE(fixture.environment->awx().jobCount(), 0);
        QTRY_VERIFY(panel->rollbackButton()->isEnabled()); // the plan is read

        fixture.clock.advanceMs(30'000);
        QTRY_COMPARE(due.count(), 1);
        QTimer pump;
        QObject::connect(&pump, &QTimer::timeout, &pump, [&] { fixture.clock.advanceMs(250); });
        pump.start(1);
        QTRY_COMPARE_WITH_TIMEOUT(succeeded.count(), 1, 30'000);
        pump.stop();
        QCOMPARE(fixture.world().canaryWeight(), 0);
        QVERIFY(
            succeeded.at(0).at(0).value<rollback::RollbackState>().reason.startsWith(u"auto-remediation"_s));

        // The same problem never triggers a second run.
        demo.session.refresh();
        QTRY_COMPARE(due.count(), 1);
        QVERIFY(!rollback.guard.isCounting());
        QCOMPARE(fixture.environment->awx().jobCount(), 1);
        bool logged = false;
        for (const auto &entry : demo.actions.entries())
            logged = logged || entry.type == u"AUTO_REMEDIATION"_s;
        QVERIFY(logged);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
