// Issue 9's "done when", end to end in the demo as canary-console opens it (Console::open, the simulator
// in-process over real HTTP), on a virtual clock so a minute of traffic takes milliseconds: shifting to the
// faulty build 4 gives a FAIL verdict for failure rate within a few intervals, with a sentence that names the
// numbers; further increases are frozen until overridden with a reason; the incident report opens and tells
// the story.
#include <QAbstractButton>
#include <QCommandLineParser>
#include <QDesktopServices>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProcessEnvironment>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "console/console.h"
#include "console/consoleoptions.h"
#include "environment/environment.h"
#include "mainwindow.h"
#include "net/httpresponse.h"
#include "net/restcall.h"
#include "net/restclient.h"
#include "rollback/rollbackservice.h"
#include "session/canarysession.h"
#include "sim/awxapi.h"
#include "sim/embeddeddemo.h"
#include "sim/eventstore.h"
#include "sim/simulatedenvironment.h"
#include "sim/world.h"
#include "store/auditlog.h"
#include "timeline/timelinemodel.h"
#include "timeline/timelinepanel.h"
#include "traffic/splitwatch.h"
#include "traffic/trafficcontroller.h"
#include "traffic/trafficpanel.h"
#include "util/clock.h"
#include "verdict/verdictpanel.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace {

constexpr qint64 StartMs = 1'795'687'200'000; // 2026-11-26 10:00 UTC

} // namespace

class TestDemoStory : public QObject
{
    Q_OBJECT

public Q_SLOTS:
    // QDesktopServices hands "open this file" here instead of to the desktop.
    void openFile(const QUrl &url) { m_opened.append(url); }

private Q_SLOTS:
    void faultyCanary_fails_freezesIncreases_andTheReportTellsTheStory()
    {
        QDesktopServices::setUrlHandler(u"file"_s, this, "openFile");
        VirtualClock clock(StartMs);
        ui::ConsoleOptions options;
        options.clock = &clock;
        options.startLocalTenant = sim::embeddedDemoStarter();
        QCommandLineParser parser;
        options.addTo(parser);
        parser.process(QStringList { u"canary-console"_s });
        auto opened = ui::Console::open(options, parser, QProcessEnvironment(), std::nullopt);
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.error()));
        ui::Console *console = opened.value().get();
        QVERIFY(console->isDemo());
        sim::SimulatedEnvironment *simulator
            = &static_cast<sim::EmbeddedDemo *>(console->localTenant())->environment();
        ui::MainWindow *window = console->window();
        session::CanarySession *session = console->session();
        QSignalSpy snapshots(session, &session::CanarySession::snapshotChanged);
        console->start();
        QTRY_VERIFY(snapshots.size() >= 1);
        session->stop(); // from here on the test refreshes, on the virtual clock
        QTRY_VERIFY(window->trafficPanel()->appliedSplit().has_value());
        QCOMPARE(window->trafficPanel()->appliedSplit()->canary, 0);
        auto *panel = window->verdictPanel();
        // The workshop's history (the ramp and its reset) is older than the verdict's ten minutes.
        QCOMPARE(panel->badgeText(), u"NOT ENOUGH DATA"_s);

        const auto refresh = [&] {
            clock.advanceMs(10'000);
            const auto before = snapshots.size();
            session->refresh();
            QTRY_VERIFY(snapshots.size() > before);
        };
        const auto click = [window](const QString &name) {
            auto *button = window->findChild<QAbstractButton *>(name);
            QVERIFY(button);
            QTest::mouseClick(button, Qt::LeftButton);
        };

        // 25 % to build 4: one step within the guard-rails.
        click(u"quickStep25"_s);
        QTRY_COMPARE(simulator->world().canaryWeight(), 25);

        int intervals = 0;
        while (panel->verdict().overall != verdict::Outcome::Fail && intervals < 30) {
            refresh();
            ++intervals;
        }
        QCOMPARE(panel->badgeText(), u"FAIL"_s);
        QVERIFY2(intervals <= 6, qPrintable(u"FAIL after %1 intervals of 10 s"_s.arg(intervals)));
        qInfo("FAIL after %d intervals of 10 s", intervals);
        const auto &failure = panel->verdict().metrics.front();
        QCOMPARE(failure.metric, u"Failure rate"_s);
        QCOMPARE(failure.outcome, verdict::Outcome::Fail);
        QVERIFY(failure.canaryCount >= 100);
        // The sentence names the numbers it rests on.
        const QString sentence = panel->sentences().constFirst();
        QVERIFY2(sentence.contains(u"Failure rate: canary "_s)
                && sentence.contains(u" of %1 requests"_s.arg(QLocale::c().toString(failure.canaryCount))),
            qPrintable(sentence));
        QVERIFY(sentence.contains(u"vs stable"_s));
        QVERIFY(sentence.contains(u"p < 0.001"_s) || sentence.contains(u"p = "_s));
        QVERIFY(sentence.endsWith(u"FAIL."_s));

        // Further increases are frozen, with the verdict as the reason; the router stays at 25 %.
        click(u"quickStep50"_s);
        auto *traffic = window->trafficPanel();
        QCOMPARE(traffic->blockedPercent(), 50);
        QVERIFY2(traffic->blockReasons().join(u'\n').contains(u"verdict is FAIL: " + sentence),
            qPrintable(traffic->blockReasons().join(u'\n')));
        QVERIFY(window->findChild<QLabel *>(u"guardBlocked"_s)->isVisible());
        QCOMPARE(simulator->world().canaryWeight(), 25);
        refresh();
        QCOMPARE(simulator->world().canaryWeight(), 25);

        // Overridden with a typed reason: applied, the reason in the event and in the audit log.
        const QString why = u"holding 50 percent to reproduce the failures for the vendor"_s;
        QTest::keyClicks(window->findChild<QLineEdit *>(u"reasonEdit"_s), why);
        click(u"guardOverride"_s);
        QTRY_COMPARE(simulator->world().canaryWeight(), 50);
        const auto overrideRecorded = [simulator, &why] {
            const auto events = simulator->events().events();
            return std::any_of(events.cbegin(), events.cend(), [&why](const sim::StoredEvent &event) {
                return event.properties.value(u"canary.reason"_s) == u"guard-rails overridden: "_s + why;
            });
        };
        QTRY_VERIFY(overrideRecorded());
        const auto audit = console->auditLog()->entries();
        QVERIFY(audit);
        QVERIFY(std::any_of(audit->cbegin(), audit->cend(), [&why](const store::AuditEntry &entry) {
            return entry.action == u"split.guard-override"_s
                && entry.detail.value(u"reason"_s).toString() == why;
        }));
        QVERIFY(std::any_of(audit->cbegin(), audit->cend(),
            [](const store::AuditEntry &entry) { return entry.action == u"split.blocked"_s; }));
        refresh();

        // The incident report: written beside its chart image, opened, and it tells the story.
        QTemporaryDir reports;
        reports.setAutoRemove(!qEnvironmentVariableIsSet("CANARY_KEEP_REPORT")); // to read it yourself
        window->setReportDirectory(reports.path());
        QSignalSpy written(window, &ui::MainWindow::incidentReportWritten);
        click(u"incidentReportButton"_s);
        QTRY_COMPARE(m_opened.size(), 1);
        QCOMPARE(written.size(), 1);
        const QString path = written.at(0).at(0).toString();
        QCOMPARE(m_opened.constFirst(), QUrl::fromLocalFile(path));
        QFile markdown(path);
        QVERIFY(markdown.open(QIODevice::ReadOnly));
        const QString story = QString::fromUtf8(markdown.readAll());
        QVERIFY2(story.contains(u"- Verdict at export: **FAIL**"_s), qPrintable(story));
        QVERIFY(story.contains(u"| Failure rate | FAIL | Failure rate: canary "_s));
        QVERIFY(story.contains(u"- First FAIL: "_s));
        QVERIFY(story.contains(u"**NOT ENOUGH DATA**"_s)); // and how it got there
        QVERIFY(story.contains(u"guard-rails overridden: "_s + why));
        QVERIFY(story.contains(u"| Operator (Canary Console) | TRAFFIC_CHANGE |"_s));
        QVERIFY(story.contains(u"| Dynatrace event | CUSTOM_CONFIGURATION |"_s));
        QVERIFY(story.contains(u"`4.0.0-034c71` | canary |"_s));
        const QString image = QFileInfo(path).completeBaseName() + u".png"_s;
        QVERIFY(story.contains(u"![Requests per build over the window](%1)"_s.arg(image)));
        QFile png(QFileInfo(path).dir().filePath(image));
        QVERIFY(png.open(QIODevice::ReadOnly));
        QVERIFY(png.read(8) == QByteArray::fromHex("89504e470d0a1a0a"));
        QDesktopServices::unsetUrlHandler(u"file"_s);
    }

    // Issue 17's demo story: the console notices what its own rollback did, and what others do. 25 %, then
    // Roll back runs the recorded "Reset canary weighting": the panel ends at 0 % with no drift warning.
    // Then someone else moves the router: within one watch cadence the slider, the panel and the timeline
    // show it, as a change made outside Canary Console.
    void rollbackAndOutsideChanges_showInThePanel_andTheTimeline()
    {
        VirtualClock clock(StartMs);
        ui::ConsoleOptions options;
        options.clock = &clock;
        options.startLocalTenant = sim::embeddedDemoStarter();
        QCommandLineParser parser;
        options.addTo(parser);
        parser.process(QStringList { u"canary-console"_s, u"--no-confirm"_s });
        auto opened = ui::Console::open(options, parser, QProcessEnvironment(), std::nullopt);
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.error()));
        ui::Console *console = opened.value().get();
        sim::SimulatedEnvironment *simulator
            = &static_cast<sim::EmbeddedDemo *>(console->localTenant())->environment();
        ui::MainWindow *window = console->window();
        auto *traffic = window->trafficPanel();
        console->start();
        QTRY_VERIFY(traffic->appliedSplit().has_value());
        QCOMPARE(console->environment()->splitWatch()->intervalMs(), 5'000); // the demo's refresh cadence
        QVERIFY(console->environment()->splitWatch()->isActive());
        console->environment()->splitWatch()->stop(); // from here on the test ticks it

        QSignalSpy recorded(
            console->environment()->controller(), &traffic::TrafficController::changeRecorded);
        QTest::mouseClick(window->findChild<QAbstractButton *>(u"quickStep25"_s), Qt::LeftButton);
        QTRY_COMPARE(simulator->world().canaryWeight(), 25);
        QTRY_COMPARE(traffic->appliedSplit()->canary, 25);
        QTRY_COMPARE(recorded.count(), 1);

        // The recorded plan runs on the demo's AWX; the simulated world moves while the job runs. (The
        // window reads the plan again on its refresh cadence; the test does not wait for it.)
        auto *rollbackButton = window->findChild<QAbstractButton *>(u"rollbackButton"_s);
        QVERIFY(rollbackButton);
        console->environment()->rollback()->refreshPlan();
        QTRY_VERIFY_WITH_TIMEOUT(rollbackButton->isEnabled(), 15'000);
        QTimer pump;
        QObject::connect(&pump, &QTimer::timeout, &pump, [&clock] { clock.advanceMs(250); });
        pump.start(1);
        QTest::mouseClick(rollbackButton, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(simulator->world().canaryWeight(), 0, 30'000);
        QTRY_COMPARE_WITH_TIMEOUT(traffic->appliedSplit()->canary, 0, 30'000);
        pump.stop();
        QCOMPARE(traffic->requestedPercent(), 0);
        QVERIFY(!traffic->isDriftWarningShown());
        QVERIFY2(traffic->outsideChangeText().isEmpty(), qPrintable(traffic->outsideChangeText()));

        // Someone else (kubectl, the pipeline's job, another console) sets 50 %.
        auto *timeline = window->timelinePanel()->model();
        const auto outsideEntries = [timeline] {
            int count = 0;
            for (const auto &entry : timeline->entries())
                count += entry.type == u"TRAFFIC_CHANGE_EXTERNAL"_s ? 1 : 0;
            return count;
        };
        QCOMPARE(outsideEntries(), 0);
        // kubectl edit on the simulated Ingress: a merge patch as the field manager "kubectl-edit".
        net::RestClient kubectl(simulator->baseUrl());
        kubectl.setAuthorization("Bearer " + simulator->token().toUtf8());
        kubectl.setUserAgent("kubectl/v1.29.0 (linux/amd64) kubernetes/abc");
        const QByteArray patch
            = R"({"metadata":{"annotations":{"nginx.ingress.kubernetes.io/canary-weight":"50"}}})";
        QSignalSpy patched(
            kubectl.send("PATCH",
                u"/apis/networking.k8s.io/v1/namespaces/canary-jenkins/ingresses/"
                "simplenodeservice-canary"_s,
                { { u"fieldManager"_s, u"kubectl-edit"_s } }, patch, "application/merge-patch+json"),
            &net::RestCall::finished);
        QVERIFY(patched.wait(10'000));
        QCOMPARE(patched.front().front().value<net::HttpResponse>().status, 200);
        QCOMPARE(simulator->world().canaryWeight(), 50);
        console->environment()->splitWatch()->tick();
        QTRY_COMPARE(traffic->appliedSplit()->canary, 50);
        QCOMPARE(traffic->requestedPercent(), 50);
        QVERIFY2(traffic->outsideChangeText().contains(u"Traffic changed to 50/50 (stable/canary) outside "
                                                       "Canary Console"_s)
                && traffic->outsideChangeText().contains(
                    u"kubectl-edit (Update) on Ingress simplenodeservice-canary"_s),
            qPrintable(traffic->outsideChangeText()));
        QTRY_COMPARE(outsideEntries(), 1);
        const auto newestOutside = [timeline] {
            session::TimelineEntry newest;
            for (const auto &entry : timeline->entries()) {
                if (entry.type == u"TRAFFIC_CHANGE_EXTERNAL"_s && entry.startMs >= newest.startMs)
                    newest = entry;
            }
            return newest;
        };
        QCOMPARE(newestOutside().properties.value(u"split.origin"_s),
            u"kubectl-edit (Update) on Ingress simplenodeservice-canary"_s);

        // The pipeline's AWX job, launched by someone else: "Set canary weight" to 30 %.
        net::RestClient awx(simulator->baseUrl());
        awx.setAuthorization("Bearer " + simulator->token().toUtf8());
        QSignalSpy launched(awx.send("POST", u"/api/v2/job_templates/7/launch/"_s, {},
                                R"({"extra_vars":{"canary_weight":30,"old_weight":70}})", "application/json"),
            &net::RestCall::finished);
        QVERIFY(launched.wait(10'000));
        QCOMPARE(launched.front().front().value<net::HttpResponse>().status, 201);
        clock.advanceMs(120'000);
        simulator->awx().jobs(); // the simulated AWX catches up with the clock: the job ran
        QCOMPARE(simulator->world().canaryWeight(), 30);
        console->environment()->splitWatch()->tick();
        QTRY_COMPARE(traffic->appliedSplit()->canary, 30);
        QTRY_COMPARE(outsideEntries(), 2);
        const auto awxChange = newestOutside();
        QVERIFY2(awxChange.properties.value(u"split.origin"_s).contains(u"of 'Set canary weight'"_s),
            qPrintable(awxChange.properties.value(u"split.origin"_s)));
        QCOMPARE(awxChange.properties.value(u"split.origin.actor"_s), u"admin"_s);
        QVERIFY2(
            traffic->outsideChangeText().contains(u"by admin"_s), qPrintable(traffic->outsideChangeText()));
    }

private:
    QList<QUrl> m_opened;
};

QTEST_MAIN(TestDemoStory)
#include "tst_demostory.moc"
