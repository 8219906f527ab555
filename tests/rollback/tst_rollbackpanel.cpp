#include <QDir>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "dynatrace/eventingest.h"
#include "dynatrace/eventsclient.h"
#include "net/restclient.h"
#include "rollback/rollbackpanel.h"
#include "rollback/rollbackrunner.h"
#include "rollback/rollbackservice.h"
#include "sim/awxapi.h"
#include "simfixture.h"
#include "store/database.h"
#include "store/lease.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::SimFixture;

namespace {

// The rollback panel on a service pointed at the simulator, with the workshop's reset recorded as the
// newest change's backout, its journal and store in a folder of its own.
struct Rig
{
    Rig()
        : fixture(100, 5)
        , rest(fixture.environment->baseUrl())
        , events(&rest)
    {
        rest.setAuthorization("Api-Token " + fixture.environment->token().toUtf8());
    }

    bool recordChange()
    {
        dynatrace::EventIngest change;
        change.eventType = u"CUSTOM_CONFIGURATION"_s;
        change.title = u"Canary weight set to 100"_s;
        change.entitySelector = fixture.target().entitySelector;
        change.properties = { { u"remediationType"_s, u"ansible"_s }, { u"remediationAction"_s, u"9"_s } };
        bool accepted = false;
        bool answered = false;
        events.ingest(change, &rest, [&](const dynatrace::IngestResult &result) {
            answered = true;
            accepted = result && result->allAccepted();
        });
        [&] { QTRY_VERIFY(answered); }();
        return accepted;
    }

    rollback::ServiceConfig config() const
    {
        rollback::ServiceConfig config;
        config.target = fixture.target();
        config.dynatraceToken = fixture.environment->token();
        awx::AwxConfig awx;
        awx.url = fixture.environment->baseUrl();
        awx.token = fixture.environment->token();
        config.awx = awx;
        config.journalPath = journalPath();
        config.pollIntervalMs = 5;
        return config;
    }

    QString journalPath() const { return dir.filePath(u"rollback-journal.json"_s); }
    QString target() const
    {
        return rollback::RollbackRunner::leaseTarget(u"tenant"_s, fixture.target().entitySelector);
    }

    SimFixture fixture;
    QTemporaryDir dir;
    net::RestClient rest;
    dynatrace::EventsClient events;
};

} // namespace

class TestRollbackPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Issue 18: the window is refused like canaryctl while another process rolls the target back, and
    // the panel says who.
    void heldByAnotherProcess_theClickIsRefused_andThePanelNamesTheHolder()
    {
        Rig rig;
        QVERIFY(rig.recordChange());
        auto mine = std::move(store::Database::open(rig.dir.filePath(u"canary.db"_s))).value();
        auto theirs = std::move(store::Database::open(rig.dir.filePath(u"canary.db"_s))).value();
        store::Lease other(*theirs, Clock::system(), store::Lease::rollbackName(rig.target()));
        other.setCommand(u"canaryctl rollback --yes"_s);
        other.setUser(u"alice"_s);
        QVERIFY(other.tryAcquire());

        rollback::RollbackService service(rig.config(), rig.fixture.clock);
        service.runner()->setLease(mine.get(), rig.target());
        ui::RollbackPanel panel(&service, nullptr, rig.fixture.clock);
        panel.setConfirmationRequired(false);
        service.refreshPlan();
        QTRY_VERIFY(panel.rollbackButton()->isEnabled());
        QTest::mouseClick(panel.rollbackButton(), Qt::LeftButton);
        QTRY_VERIFY(!panel.resultText().isEmpty());
        QVERIFY2(panel.resultText().startsWith(u"Rollback busy: "_s)
                && panel.resultText().contains(u"canaryctl rollback --yes (pid "_s)
                && panel.resultText().contains(u"alice on "_s),
            qPrintable(panel.resultText()));
        QCOMPARE(rig.fixture.environment->awx().jobCount(), 0);
        QTRY_VERIFY(panel.rollbackButton()->isEnabled()); // free to try again once the other is done
    }

    void damagedJournal_isShownBeforeAnyClick_andNothingLaunchesOverIt()
    {
        Rig rig;
        QVERIFY(rig.recordChange());
        QFile file(rig.journalPath());
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\"inFlight\":");
        file.close();

        rollback::RollbackService service(rig.config(), rig.fixture.clock);
        ui::RollbackPanel panel(&service, nullptr, rig.fixture.clock);
        panel.setConfirmationRequired(false);
        auto *notice = panel.findChild<QLabel *>(u"rollbackNotice"_s);
        QVERIFY(notice);
        QVERIFY(notice->isVisibleTo(&panel));
        QVERIFY2(notice->text().contains(rig.journalPath()) && notice->text().contains(u"in flight"_s),
            qPrintable(notice->text()));

        service.refreshPlan();
        QTRY_VERIFY(panel.rollbackButton()->isEnabled());
        QTest::mouseClick(panel.rollbackButton(), Qt::LeftButton);
        QTRY_VERIFY(!panel.resultText().isEmpty());
        QVERIFY2(panel.resultText().contains(u"move it aside"_s), qPrintable(panel.resultText()));
        QCOMPARE(rig.fixture.environment->awx().jobCount(), 0);
    }
};

QTEST_MAIN(TestRollbackPanel)
#include "tst_rollbackpanel.moc"
