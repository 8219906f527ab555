#include <QAbstractItemModelTester>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QTableView>
#include <QTest>

#include "chart/requestchart.h"
#include "dynatrace/eventsclient.h"
#include "mainwindow.h"
#include "models/buildsummarymodel.h"
#include "net/restclient.h"
#include "session/canarysession.h"
#include "sim/eventstore.h"
#include "simfixture.h"
#include "traffic/changerecorder.h"
#include "traffic/ramp.h"
#include "traffic/simtrafficbackend.h"
#include "traffic/trafficcontroller.h"
#include "traffic/trafficpanel.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::World;
using canary::testing::SimFixture;

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firstRefresh_fillsChartAndTable_withTheSimulatorsValues()
    {
        SimFixture fixture(30, 10);
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        ui::MainWindow window(&session, { true, u"demo"_s });
        QAbstractItemModelTester tester(
            window.buildModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.findChild<QLabel *>(u"demoBadge"_s)->isVisible());

        session.start();
        auto *chart = window.chart();
        QTRY_COMPARE(chart->buildNames().size(), 2);

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
        ui::MainWindow window(&session, { true, u"demo"_s });
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

    void shiftingTraffic_showsUpOnTheNextRefresh()
    {
        SimFixture fixture(0, 5);
        session::CanarySession session(fixture.target(), fixture.environment->token(), fixture.clock);
        ui::MainWindow window(&session, { false, u"tenant"_s });
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
        ui::MainWindow window(&session, { true, u"demo"_s });
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
        window.attachTraffic(&controller, &ramp, fixture.clock,
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
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
