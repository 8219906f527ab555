// The app's profile handling end to end: a profile whose token is in a real Secret Service (GNOME Keyring on
// a private bus, see tests/secrets/with-keyring.sh) opens against a simulated "real" environment; the
// switcher in the header moves to the demo and back; a switch that cannot work leaves the window alone;
// the environment's token never follows the operator to another profile.

#include <QComboBox>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QToolButton>

#include "console/console.h"
#include "console/consolecontroller.h"
#include "console/consoleoptions.h"
#include "mainwindow.h"
#include "models/buildsummarymodel.h"
#include "net/tlspolicy.h"
#include "profile/profilestore.h"
#include "rollback/rollbackstate.h"
#include "secrets/secretorigin.h"
#include "secrets/secretstore.h"
#include "secretstestsupport.h"
#include "session/canarysession.h"
#include "settings/profilesdialog.h"
#include "sim/embeddeddemo.h"
#include "sim/eventstore.h"
#include "simfixture.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "store/outboxstatus.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace {

QString currentProfile(ui::ConsoleController &controller)
{
    return controller.console() ? controller.console()->profileName() : QString();
}

} // namespace

class TestConsoleController : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        testing::forgetDesktopEnvironment();
        QVERIFY(m_xdg.setUp());
        QVERIFY(m_xdg.coversStandardLocations());
        qputenv("CANARY_STATE_DIR", QFile::encodeName(m_xdg.root() + u"/state"_s));
        m_service = testing::uniqueService();
    }

    void init()
    {
        m_environment = std::make_unique<testing::SimFixture>(30, 5);
        m_profiles = std::make_unique<profile::ProfileStore>(m_xdg.root() + u"/config/profiles.conf"_s);
        m_secrets = std::make_unique<secrets::SecretStore>(m_service);

        profile::Profile staging;
        staging.name = u"Staging"_s;
        staging.dynatraceUrl = m_environment->environment->baseUrl();
        staging.trafficBackend = u"sim"_s;
        // The simulated service itself, so the recorded events attach to it.
        staging.entitySelector = u"type(SERVICE)"_s;
        staging.refreshSeconds = 5;
        QVERIFY(m_profiles->save(staging));
        profile::Profile noToken = staging;
        noToken.name = u"NoToken"_s;
        QVERIFY(m_profiles->save(noToken));
        CANARY_VERIFY_DONE(testing::writeSecret(*m_secrets,
            secrets::secretKey(u"Staging"_s, secrets::SecretName::DynatraceToken),
            m_environment->environment->token()));
        CANARY_VERIFY_DONE(testing::removeSecret(
            *m_secrets, secrets::secretKey(u"NoToken"_s, secrets::SecretName::DynatraceToken)));

        m_parser = std::make_unique<QCommandLineParser>();
        m_options.addTo(*m_parser);
        m_options.startLocalTenant = sim::embeddedDemoStarter();
        QVERIFY(m_parser->parse({ u"canary-console"_s }));
    }

    void cleanup()
    {
        m_parser.reset();
        m_secrets.reset();
        m_profiles.reset();
        m_environment.reset();
        net::TlsPolicy::setProcessDefault({});
    }

    void profileTokenFromKeychain_opensTheEnvironment_switchToDemoAndBack()
    {
        ui::ConsoleController controller(m_options, m_profiles.get(), m_secrets.get());
        QSignalSpy opened(&controller, &ui::ConsoleController::consoleOpened);
        QSignalSpy failed(&controller, &ui::ConsoleController::openFailed);
        controller.openInitial(*m_parser, QProcessEnvironment(), m_profiles->load(u"Staging"_s));
        QTRY_COMPARE(opened.size(), 1);
        QCOMPARE(failed.size(), 0);
        QCOMPARE(opened.first().at(0).toString(), u"Staging"_s);
        ui::Console *staging = controller.console();
        QVERIFY(!staging->isDemo());
        ui::MainWindow *window = staging->window();
        QVERIFY(window->isVisible());
        QVERIFY(window->trafficPanel()); // the profile's sim back-end
        // The token the keychain held reached the tenant: data arrives.
        QTRY_VERIFY_WITH_TIMEOUT(window->buildModel()->rowCount() >= 2, 20'000);

        // The switcher lists every profile, the current one selected.
        QComboBox *switcher = window->profileSwitcher();
        QCOMPARE(switcher->currentText(), u"Staging"_s);
        QStringList items;
        for (int i = 0; i < switcher->count(); ++i)
            items.append(switcher->itemText(i));
        QCOMPARE(items, (QStringList { u"Demo"_s, u"NoToken"_s, u"Staging"_s }));

        // To the demo with the keyboard: Home selects the first entry, Demo.
        switcher->setFocus();
        QTest::keyClick(switcher, Qt::Key_Home);
        QTRY_COMPARE(opened.size(), 2);
        QCOMPARE(opened.last().at(0).toString(), u"Demo"_s);
        QVERIFY(controller.console()->isDemo());
        QVERIFY(controller.console()->window()->isVisible());
        QCOMPARE(controller.console()->window()->profileSwitcher()->currentText(), u"Demo"_s);

        // And back.
        QSignalSpy switchFailed(&controller, &ui::ConsoleController::switchFailed);
        controller.switchTo(u"Staging"_s);
        QTRY_COMPARE(opened.size(), 3);
        QCOMPARE(switchFailed.size(), 0);
        QVERIFY(!controller.console()->isDemo());
        QTRY_VERIFY_WITH_TIMEOUT(controller.console()->window()->buildModel()->rowCount() >= 2, 20'000);
    }

    void profilesButton_opensTheDialog_useThisProfileSwitches()
    {
        ui::ConsoleController controller(m_options, m_profiles.get(), m_secrets.get());
        QSignalSpy opened(&controller, &ui::ConsoleController::consoleOpened);
        controller.openInitial(*m_parser, QProcessEnvironment(), m_profiles->load(u"Staging"_s));
        QTRY_COMPARE(opened.size(), 1);
        auto *profilesButton = controller.console()->window()->findChild<QToolButton *>(u"profilesButton"_s);
        QVERIFY(profilesButton);
        QTest::mouseClick(profilesButton, Qt::LeftButton);
        auto *dialog = qobject_cast<ui::ProfilesDialog *>(controller.profilesDialog());
        QVERIFY(dialog);
        QTRY_VERIFY(dialog->isVisible());
        QCOMPARE(dialog->currentName(), u"Staging"_s); // opens on the profile in use
        // A second click brings the same dialog forward.
        QTest::mouseClick(profilesButton, Qt::LeftButton);
        QCOMPARE(controller.profilesDialog(), dialog);

        // A profile saved in the dialog shows in the switcher at once.
        profile::Profile added = m_profiles->load(u"Staging"_s).value();
        added.name = u"Added"_s;
        QVERIFY(m_profiles->save(added));
        Q_EMIT dialog->profileSaved(u"Added"_s);
        QVERIFY(controller.console()->window()->profileSwitcher()->findText(u"Added"_s) >= 0);

        dialog->selectProfile(u"Demo"_s);
        auto *use = dialog->findChild<QPushButton *>(u"useProfile"_s);
        QVERIFY(use);
        QTRY_VERIFY(use->isEnabled());
        QTest::mouseClick(use, Qt::LeftButton);
        QTRY_COMPARE(opened.size(), 2);
        QVERIFY(controller.console()->isDemo());
    }

    void trafficChange_auditedAndSentThroughTheOutbox()
    {
        ui::ConsoleController controller(m_options, m_profiles.get(), m_secrets.get());
        QSignalSpy opened(&controller, &ui::ConsoleController::consoleOpened);
        controller.openInitial(*m_parser, QProcessEnvironment(), m_profiles->load(u"Staging"_s));
        QTRY_COMPARE(opened.size(), 1);
        ui::MainWindow *window = controller.console()->window();
        QVERIFY(window->trafficPanel());
        // A decrease: the faulty canary's open problem and FAIL verdict freeze increases, never decreases.
        QTRY_VERIFY(window->findChild<QPushButton *>(u"quickStep10"_s)->isEnabled());
        QTest::mouseClick(window->findChild<QPushButton *>(u"quickStep10"_s), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(m_environment->world().canaryWeight(), 10, 20'000);

        // The change reached Dynatrace once, through the outbox (its id on the event), and nothing waits.
        QTRY_COMPARE_WITH_TIMEOUT(
            m_environment->environment->ingestedPropertyCounts(u"canary.outbox.id"_s).size(), 1, 20'000);
        QCOMPARE(m_environment->environment->ingestedPropertyCounts(u"canary.outbox.id"_s).first(), 1);
        QTRY_COMPARE(window->outboxStatus()->pendingCount(), 0);
        QVERIFY(!window->outboxStatus()->isVisible());

        // The audit log on disk has the request and its success, and its chain verifies.
        auto database = store::Database::open(store::Database::defaultPath());
        QVERIFY2(database, qPrintable(database ? QString() : database.error()));
        store::AuditLog audit(*database.value(), Clock::system());
        const auto entries = audit.entries();
        QVERIFY(entries);
        QStringList actions;
        for (const auto &entry : entries.value())
            actions.append(entry.action + u' ' + QString::number(int(entry.result)));
        QVERIFY2(actions.contains(u"split.set %1"_s.arg(int(store::AuditResult::Requested))),
            qPrintable(actions.join(u", "_s)));
        QVERIFY2(actions.contains(u"split.set %1"_s.arg(int(store::AuditResult::Succeeded))),
            qPrintable(actions.join(u", "_s)));
        QVERIFY(audit.verify().problem == store::AuditVerification::Problem::None);
    }

    // Issue 20 item 5: at start-up the window carries on a rollback in flight, and sends an older journal's
    // records, only when the audit log shows this console wrote them. Planted ones are refused where store
    // errors show; nothing is resumed or sent, and the file stays for someone to look at.
    void plantedJournal_isNotResumedNorSentAtStartUp_andTheWindowSaysSo()
    {
        const QString journalPath = qEnvironmentVariable("CANARY_STATE_DIR") + u"/rollback-journal.json"_s;
        rollback::RollbackState planted;
        planted.id = u"rollback-planted"_s;
        planted.operatorName = u"mallory"_s;
        planted.fallback = true; // resumed, it would verify and record its outcome in Dynatrace
        planted.stage = rollback::Stage::Launching;
        planted.startedAtMs = Clock::system().nowMs();
        const QJsonObject body { { u"eventType"_s, u"CUSTOM_INFO"_s }, { u"title"_s, u"Planted record"_s },
            { u"entitySelector"_s, u"type(SERVICE)"_s },
            { u"properties"_s, QJsonObject { { u"rollback.id"_s, u"rollback-planted"_s } } } };
        const QJsonObject journal {
            { u"version"_s, 2 }, { u"inFlight"_s, planted.toJson() },
            { u"pending"_s,
                QJsonArray { QJsonObject { { u"rollbackId"_s, u"rollback-planted"_s },
                    { u"problemId"_s, QString() },
                    { u"body"_s, QString::fromUtf8(QJsonDocument(body).toJson(QJsonDocument::Compact)) } } } }
        };
        QVERIFY(QDir().mkpath(QFileInfo(journalPath).absolutePath()));
        {
            QFile file(journalPath);
            QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
            file.write(QJsonDocument(journal).toJson());
        }

        ui::ConsoleController controller(m_options, m_profiles.get(), m_secrets.get());
        QSignalSpy opened(&controller, &ui::ConsoleController::consoleOpened);
        controller.openInitial(*m_parser, QProcessEnvironment(), m_profiles->load(u"Staging"_s));
        QTRY_COMPARE(opened.size(), 1);
        QLabel *storeError = controller.console()->window()->storeErrorLabel();
        QVERIFY(!storeError->isHidden());
        QVERIFY2(storeError->text().contains(u"not written by this console"_s)
                && storeError->text().contains(journalPath)
                && storeError->text().contains(u"move it aside"_s),
            qPrintable(storeError->text()));

        // The refusal is on record; no resume is.
        store::AuditLog *audit = controller.console()->auditLog();
        const auto refusedRow = [audit] {
            const auto entries = audit->entries();
            for (const auto &entry : entries ? entries.value() : QList<store::AuditEntry>()) {
                if (entry.action == u"rollback.start"_s && entry.result == store::AuditResult::Failed
                    && entry.message.contains(u"rollback-planted"_s))
                    return true;
            }
            return false;
        };
        QTRY_VERIFY(refusedRow());
        const auto entries = audit->entries();
        QVERIFY(entries);
        for (const auto &entry : entries.value())
            QVERIFY2(entry.action != u"rollback.resume"_s, qPrintable(entry.message));
        // Whatever the outbox held has gone out by now: the planted record was never in it.
        QTRY_COMPARE(controller.console()->window()->outboxStatus()->pendingCount(), 0);
        for (const auto &event : m_environment->environment->events().events())
            QVERIFY2(event.title != u"Planted record"_s && !event.title.startsWith(u"Rollback"_s),
                qPrintable(event.title));
        QVERIFY(QFile::remove(journalPath));
    }

    void switchWithoutToken_failsAndKeepsTheWindow()
    {
        ui::ConsoleController controller(m_options, m_profiles.get(), m_secrets.get());
        QSignalSpy opened(&controller, &ui::ConsoleController::consoleOpened);
        QSignalSpy switchFailed(&controller, &ui::ConsoleController::switchFailed);
        controller.openInitial(*m_parser, QProcessEnvironment(), m_profiles->load(u"Staging"_s));
        QTRY_COMPARE(opened.size(), 1);
        ui::MainWindow *window = controller.console()->window();

        controller.switchTo(u"NoToken"_s);
        QTRY_COMPARE(switchFailed.size(), 1);
        QCOMPARE(switchFailed.first().at(0).toString(), u"NoToken"_s);
        const QString message = switchFailed.first().at(1).toString();
        QVERIFY2(
            message.contains(u"no Dynatrace API token for the profile \"NoToken\""_s), qPrintable(message));
        QCOMPARE(opened.size(), 1);
        QCOMPARE(controller.console()->window(), window); // still there, still showing Staging
        QCOMPARE(window->profileSwitcher()->currentText(), u"Staging"_s);

        controller.switchTo(u"Nowhere"_s);
        QTRY_COMPARE(switchFailed.size(), 2);
        QVERIFY(switchFailed.last().at(1).toString().contains(u"Nowhere"_s));
        QCOMPARE(currentProfile(controller), u"Staging"_s);
    }

    // The profile's URL changed after its token was saved (an import, an edit): the window neither opens nor
    // switches to it, says which two origins are involved, and sends nothing anywhere.
    void tokenSavedForAnotherOrigin_refusesToOpenOrSwitch()
    {
        profile::Profile moved = *m_profiles->load(u"Staging"_s);
        moved.name = u"Moved"_s;
        moved.dynatraceUrl = QUrl(u"http://127.0.0.1:9"_s); // discard port: nothing listens, nothing is sent
        QVERIFY(m_profiles->save(moved));
        const QString savedFor = secrets::bindingOrigin(m_environment->environment->baseUrl());
        CANARY_VERIFY_DONE(testing::writeSecret(*m_secrets,
            secrets::secretKey(u"Moved"_s, secrets::SecretName::DynatraceToken),
            secrets::sealSecret(m_environment->environment->token(), savedFor)));

        ui::ConsoleController controller(m_options, m_profiles.get(), m_secrets.get());
        QSignalSpy opened(&controller, &ui::ConsoleController::consoleOpened);
        QSignalSpy failed(&controller, &ui::ConsoleController::openFailed);
        QSignalSpy switchFailed(&controller, &ui::ConsoleController::switchFailed);
        controller.openInitial(*m_parser, QProcessEnvironment(), m_profiles->load(u"Moved"_s));
        QTRY_COMPARE(failed.size(), 1);
        QCOMPARE(opened.size(), 0);
        const QString message = failed.first().at(0).toString();
        QVERIFY2(
            message.contains(savedFor) && message.contains(u"http://127.0.0.1:9"_s), qPrintable(message));
        QVERIFY2(message.contains(u"Open Profiles"_s), qPrintable(message));
        QVERIFY(!message.contains(m_environment->environment->token()));

        controller.openInitial(*m_parser, QProcessEnvironment(), m_profiles->load(u"Staging"_s));
        QTRY_COMPARE(opened.size(), 1);
        controller.switchTo(u"Moved"_s);
        QTRY_COMPARE(switchFailed.size(), 1);
        QVERIFY2(switchFailed.first().at(1).toString().contains(savedFor), qPrintable(message));
        QCOMPARE(currentProfile(controller), u"Staging"_s);
    }

    void environmentTokenIsForTheStartupProfileOnly()
    {
        // DT_API_TOKEN opens NoToken at start-up (the environment overrides the keychain) ...
        QProcessEnvironment environment;
        environment.insert(u"DT_API_TOKEN"_s, m_environment->environment->token());
        ui::ConsoleController controller(m_options, m_profiles.get(), m_secrets.get());
        QSignalSpy opened(&controller, &ui::ConsoleController::consoleOpened);
        QSignalSpy switchFailed(&controller, &ui::ConsoleController::switchFailed);
        controller.openInitial(*m_parser, environment, m_profiles->load(u"NoToken"_s));
        QTRY_COMPARE(opened.size(), 1);
        QCOMPARE(currentProfile(controller), u"NoToken"_s);

        // ... but switching away and back does not carry it along: it was meant for the start-up profile.
        controller.switchTo(u"Demo"_s);
        QTRY_COMPARE(opened.size(), 2);
        controller.switchTo(u"NoToken"_s);
        QTRY_COMPARE(switchFailed.size(), 1);
        QCOMPARE(currentProfile(controller), u"Demo"_s);
    }

    void profileTlsChoices_reachEveryClient_andTheBanner()
    {
        profile::Profile broken = m_profiles->load(u"Staging"_s).value();
        broken.name = u"BadBundle"_s;
        broken.caBundle = m_xdg.root() + u"/no-such-ca.pem"_s;
        QVERIFY(m_profiles->save(broken));
        profile::Profile insecure = m_profiles->load(u"Staging"_s).value();
        insecure.name = u"Insecure"_s;
        insecure.allowInsecureTls = true;
        QVERIFY(m_profiles->save(insecure));
        CANARY_VERIFY_DONE(testing::writeSecret(*m_secrets,
            secrets::secretKey(u"Insecure"_s, secrets::SecretName::DynatraceToken),
            m_environment->environment->token()));

        ui::ConsoleController controller(m_options, m_profiles.get(), m_secrets.get());
        QSignalSpy opened(&controller, &ui::ConsoleController::consoleOpened);
        QSignalSpy switchFailed(&controller, &ui::ConsoleController::switchFailed);
        controller.openInitial(*m_parser, QProcessEnvironment(), m_profiles->load(u"Staging"_s));
        QTRY_COMPARE(opened.size(), 1);
        QCOMPARE(net::TlsPolicy::processDefault(), net::TlsPolicy());

        CANARY_VERIFY_DONE(testing::writeSecret(*m_secrets,
            secrets::secretKey(u"BadBundle"_s, secrets::SecretName::DynatraceToken),
            m_environment->environment->token()));
        controller.switchTo(u"BadBundle"_s);
        QTRY_COMPARE(switchFailed.size(), 1);
        QVERIFY2(switchFailed.first().at(1).toString().startsWith(u"cannot read the CA bundle"_s),
            qPrintable(switchFailed.first().at(1).toString()));

        controller.switchTo(u"Insecure"_s);
        QTRY_COMPARE(opened.size(), 2);
        QVERIFY(net::TlsPolicy::processDefault().allowInsecure);
        ui::MainWindow *window = controller.console()->window();
        QVERIFY(!window->insecureTlsBanner()->isVisible());
        // Whichever client accepts an insecure connection, the window says so in red.
        Q_EMIT net::TlsMonitor::instance()->insecureConnectionAccepted(
            u"dynatrace.example.com"_s, u"self-signed certificate"_s);
        QVERIFY(window->insecureTlsBanner()->isVisible());
        QVERIFY(window->insecureTlsBanner()->text().contains(u"dynatrace.example.com"_s));
        QCOMPARE(window->insecureTlsBanner()->toolTip(), u"self-signed certificate"_s);
    }

private:
    testing::IsolatedXdgDirs m_xdg;
    QString m_service;
    ui::ConsoleOptions m_options;
    std::unique_ptr<testing::SimFixture> m_environment;
    std::unique_ptr<profile::ProfileStore> m_profiles;
    std::unique_ptr<secrets::SecretStore> m_secrets;
    std::unique_ptr<QCommandLineParser> m_parser;
};

QTEST_MAIN(TestConsoleController)
#include "tst_consolecontroller.moc"
