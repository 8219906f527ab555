// The profiles dialog against a real Secret Service (GNOME Keyring on a private session bus, started by
// tests/secrets/with-keyring.sh) and the simulator standing in for a real Dynatrace environment.

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QGroupBox>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include "dialogtestsupport.h"
#include "keyringcontrol.h"
#include "profile/profilefile.h"
#include "profile/secretdestinations.h"
#include "secrets/secretorigin.h"
#include "sim/dynatraceapi.h"
#include "sim/metricregistry.h"
#include "sim/simserver.h"
#include "simfixture.h"
#include "traffic/simtrafficbackend.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::onboarding::CheckItem;
using canary::secrets::SecretError;
using canary::secrets::SecretName;
using canary::testing::DialogFixture;
using canary::testing::SimFixture;

namespace {

constexpr int Ok = int(CheckItem::Status::Ok);
constexpr int Missing = int(CheckItem::Status::Missing);
constexpr int Failed = int(CheckItem::Status::Failed);

QString dtKey(const QString &profile)
{
    return secrets::secretKey(profile, SecretName::DynatraceToken);
}

// Whether the keychain has no entry under `key` (and says so, rather than failing).
bool isAbsent(secrets::SecretStore &store, const QString &key)
{
    const auto read = testing::readSecret(store, key);
    return read && !read->hasValue() && read->error().kind == SecretError::Kind::NotFound;
}

std::optional<QString> storedValue(secrets::SecretStore &store, const QString &key)
{
    const auto read = testing::readSecret(store, key);
    if (!read || !read->hasValue())
        return std::nullopt;
    // What the form saved, without the origin it is sealed with.
    return secrets::unsealSecret(read->value().value).value;
}

int rowOf(QListWidget *list, const QString &text)
{
    const auto items = list->findItems(text, Qt::MatchExactly);
    return items.isEmpty() ? -1 : list->row(items.constFirst());
}

void clickRow(QListWidget *list, const QString &text)
{
    const int row = rowOf(list, text);
    QVERIFY2(row >= 0, qPrintable(text));
    const QRect rect = list->visualItemRect(list->item(row));
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, rect.center());
}

void replaceText(QLineEdit *edit, const QString &text)
{
    edit->setFocus();
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}

// A host the token must never reach: a plain HTTP listener on loopback that answers every request with 401
// and counts what arrived, so that a test can assert that no credential was sent to it.
class CountingHost : public QObject
{
public:
    CountingHost()
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
                    const QByteArray data = socket->readAll();
                    received += data;
                    if (!data.contains("\r\n\r\n"))
                        return;
                    ++requests;
                    socket->write(
                        "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    socket->disconnectFromHost();
                });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost); }
    QString url() const { return u"http://127.0.0.1:%1"_s.arg(m_server.serverPort()); }
    // Header lines that carry a credential, in whatever case.
    int credentials() const
    {
        const QByteArray lower = received.toLower();
        return int(lower.count("\r\nauthorization:") + lower.count("\r\nproxy-authorization:"));
    }

    int requests = 0;
    QByteArray received;

private:
    QTcpServer m_server;
};

// The keychain entry as the dialog would find it: the secret sealed with the origin it was saved for.
secrets::BoundSecret storedBound(secrets::SecretStore &store, const QString &key)
{
    const auto read = testing::readSecret(store, key);
    if (!read || !read->hasValue())
        return {};
    return secrets::unsealSecret(read->value().value);
}

// Unlocks again however the test ends, so that the tests after it find the keychain as they expect.
struct UnlockAtExit
{
    ~UnlockAtExit() { testing::unlockKeychain(); }
};

} // namespace

class TestProfilesDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void newUser_createsProfileForSimulatedEnvironment_tokenInKeychainOnly();
    void demoIsReadOnly_duplicateEditSave();
    void delete_asksThenRemovesProfileAndSecrets();
    void badUrl_specificMessage_saveWritesNothing_data();
    void badUrl_specificMessage_saveWritesNothing();
    void tokenOfTheWrongKind_isNamedBeforeAnyRequest();
    void testConnection_storedOrEnvironmentToken_saysWhichWasUsed();
    void testConnection_awxAndBackEnd_oneRunAtATime();
    void lockedKeychain_saysUnlock_savesNothingUntilUnlocked();
    void rename_movesTheSecrets();
    void forget_removesTheStoredToken();
    void exportImport_roundTrip_withoutSecrets();
    void importBrokenFile_showsEveryLine();
    void unsavedChanges_askBeforeSwitching();
    void unsavedChanges_askBeforeClosing_realMessageBox();
    void backendFields_onlyForTheChosenBackEnd();
    void reportModel_passesTheModelTester();
    void missingMetric_createMetricMakesIt();
    void guardRailsAndHealthMetrics_shownEditedAndKept();
    void dynatraceUrlEdited_fieldAsksAgain_noTokenReachesTheNewHost();
    void urlEditedAndSaved_oldUnboundEntryStaysWithTheOldOrigin();
    void urlChangedAndSaved_tokenStaysWithTheOldOrigin_moveIsConfirmed();
    void moveQuestion_realMessageBox_enterAndEscapeMoveNothing();
    void awxUrlEdited_asksAgain_moveReSeals_emptyUrlRefusedBeforeSave();
    void kubeServerEdited_asksAgain_moveReSeals();
    void importReplacingAProfile_doesNotAdoptItsOldUnboundToken();

private:
    testing::IsolatedXdgDirs m_dirs;
};

void TestProfilesDialog::initTestCase()
{
    QVERIFY2(qEnvironmentVariable("CANARY_TEST_SECRET_SERVICE") == u"gnome-keyring"_s,
        "run by ctest through tests/secrets/with-keyring.sh, which provides a private Secret Service");
    testing::forgetDesktopEnvironment();
    QVERIFY(m_dirs.setUp());
    QCoreApplication::setOrganizationName(u"canary-test"_s);
    QCoreApplication::setApplicationName(u"canary-console-test"_s);
    QVERIFY2(m_dirs.coversStandardLocations(), "QStandardPaths ignores the XDG variables");
    qDBusRegisterMetaType<testing::PlainSecret>();
}

// The "done when": a new user creates a profile for a (simulated) real environment from the dialog
// in under two minutes, and the token lands in the keychain, not in any file.
//
// Why under two minutes: the whole path is 3 clicks (New, Test connection, Save) and 3 fields (a name
// typed, the URL pasted from the browser, the token pasted from Dynatrace's "Access tokens" page); every
// other field has a working default. At a generous 10 s per click or field that is one minute, plus the
// connection test itself (well under a second here, a few seconds against a real tenant). The step count
// is asserted below so that a change adding a mandatory step fails this test.
void TestProfilesDialog::newUser_createsProfileForSimulatedEnvironment_tokenInKeychainOnly()
{
    QElapsedTimer elapsed;
    elapsed.start();
    SimFixture environment(30, 5);
    const QString token = environment.environment->token();
    const QUrl baseUrl = environment.environment->baseUrl();
    DialogFixture f(m_dirs);
    QVERIFY(f.show());
    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    int clicks = 0;
    int fields = 0;

    QTest::mouseClick(f.button(u"newProfile"_s), Qt::LeftButton);
    ++clicks;
    QVERIFY(f.form()->nameEdit()->hasFocus()); // the user can type the name right away
    QTest::keyClicks(f.form()->nameEdit(), u"Prod EU"_s);
    ++fields;

    // Pasted as the browser shows it: with the API path, which the profile does not keep.
    const QString pasted = baseUrl.toString() + u"/api/v2/metrics"_s;
    QGuiApplication::clipboard()->setText(pasted);
    f.form()->dynatraceUrlEdit()->setFocus();
    QTest::keySequence(f.form()->dynatraceUrlEdit(), QKeySequence::Paste);
    if (f.form()->dynatraceUrlEdit()->text().isEmpty()) // a platform without a clipboard: type it
        QTest::keyClicks(f.form()->dynatraceUrlEdit(), pasted);
    QCOMPARE(f.form()->dynatraceUrlEdit()->text(), pasted);
    ++fields;
    const auto *hint = f.find<QLabel>(u"dynatraceUrlHint"_s);
    QVERIFY(hint->isVisible());
    QCOMPARE(hint->text(), u"will be saved as %1"_s.arg(baseUrl.toString()));

    QTest::keyClicks(f.form()->dynatraceTokenEdit(), token);
    ++fields;
    QCOMPARE(f.form()->dynatraceTokenEdit()->echoMode(), QLineEdit::Password);

    QSignalSpy tested(&f.dialog, &ui::ProfilesDialog::connectionTested);
    QTest::mouseClick(f.button(u"testConnection"_s), Qt::LeftButton);
    ++clicks;
    QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 1, 20'000);
    const QString report = f.dialog.reportModel()->report().text();
    QCOMPARE(f.statusOf(u"Dynatrace access token"_s), Ok);
    for (const auto &use : onboarding::ConnectionCheck::scopeUses())
        QVERIFY2(f.statusOf(QString::fromUtf8(use.feature)) == Ok, qPrintable(report));
    QVERIFY2(f.statusOf(u"Per-build metric"_s) == Ok, qPrintable(report));
    QVERIFY(f.find<QLabel>(u"tokenSource"_s)->text().contains(u"typed in the form"_s));
    QVERIFY2(!report.contains(token.section(u'.', 2)), "the report shows the token's secret");
    QVERIFY(f.profiles.names() == QStringList { u"Demo"_s }); // testing saves nothing

    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    ++clicks;
    QVERIFY(!f.button(u"saveProfile"_s)->isEnabled()); // until the keychain answered
    QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20'000);
    QCOMPARE(saved.constFirst().constFirst().toString(), u"Prod EU"_s);

    const auto profile = f.profiles.load(u"Prod EU"_s);
    QVERIFY(profile);
    QCOMPARE(profile->dynatraceUrl, baseUrl);
    QCOMPARE(storedValue(f.secretStore, dtKey(u"Prod EU"_s)), std::optional<QString>(token));
    QCOMPARE(f.dialog.currentName(), u"Prod EU"_s);
    QVERIFY(f.dialog.statusText().contains(u"in the keychain"_s));
    QTRY_COMPARE(f.form()->dynatraceTokenEdit()->placeholderText(), u"stored in the keychain"_s);
    QVERIFY(f.form()->dynatraceTokenEdit()->text().isEmpty()); // never shown again
    QVERIFY(f.button(u"useProfile"_s)->isEnabled());

    // Not in the INI, not in any file under the config, data, cache or state folders: neither the whole
    // token nor its secret part, in UTF-8, UTF-16 or base64.
    QVERIFY(f.iniPath.startsWith(m_dirs.root()));
    QVERIFY(QFile::exists(f.iniPath));
    QVERIFY(m_dirs.allFiles().contains(f.iniPath));
    QCOMPARE(m_dirs.filesContaining(token), QStringList());
    QCOMPARE(m_dirs.filesContaining(token.section(u'.', 2)), QStringList());

    QSignalSpy activated(&f.dialog, &ui::ProfilesDialog::profileActivated);
    QTest::mouseClick(f.button(u"useProfile"_s), Qt::LeftButton);
    QCOMPARE(activated.count(), 1);
    QCOMPARE(activated.constFirst().constFirst().toString(), u"Prod EU"_s);

    QVERIFY2(clicks + fields <= 6, "a new profile needs more steps than the two-minute budget allows");
    qInfo("new profile: %d clicks + %d fields, %lld ms in this test", clicks, fields, elapsed.elapsed());
    QVERIFY(testing::removeSecret(f.secretStore, dtKey(u"Prod EU"_s)));
}

void TestProfilesDialog::demoIsReadOnly_duplicateEditSave()
{
    DialogFixture f(m_dirs);
    QVERIFY(f.show());
    QCOMPARE(f.find<QListWidget>(u"profileList"_s)->item(0)->text(), u"Demo"_s);
    QCOMPARE(f.dialog.currentName(), u"Demo"_s);
    QVERIFY(f.form()->isBuiltIn());
    const auto *note = f.find<QLabel>(u"builtInNote"_s);
    QVERIFY(note->isVisible());
    QVERIFY(note->text().contains(u"built-in; duplicate it to make your own"_s));
    QVERIFY(!f.form()->dynatraceUrlEdit()->isEnabled());
    QVERIFY(!f.form()->nameEdit()->isEnabled());
    QVERIFY(!f.button(u"saveProfile"_s)->isEnabled());
    QVERIFY(!f.button(u"deleteProfile"_s)->isEnabled());
    QVERIFY(!f.button(u"testConnection"_s)->isEnabled());

    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    QTest::mouseClick(f.button(u"duplicateProfile"_s), Qt::LeftButton);
    QCOMPARE(f.dialog.currentName(), u"Demo copy"_s);
    QVERIFY(f.profiles.contains(u"Demo copy"_s));
    QVERIFY(!f.form()->isBuiltIn());
    QVERIFY(f.form()->dynatraceUrlEdit()->isEnabled());

    replaceText(f.form()->nameEdit(), u"Staging"_s);
    replaceText(f.edit(u"entitySelector"_s), u"type(SERVICE),tag(\"stage:staging\")"_s);
    replaceText(f.edit(u"resolution"_s), u"1m"_s);
    QVERIFY(f.dialog.hasUnsavedChanges());
    QVERIFY(!f.button(u"useProfile"_s)->isEnabled());
    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QTRY_COMPARE(saved.count(), 2); // the duplicate, then the edit

    QCOMPARE(f.profiles.names(), (QStringList { u"Demo"_s, u"Staging"_s }));
    const auto staging = f.profiles.load(u"Staging"_s);
    QVERIFY(staging);
    QCOMPARE(staging->entitySelector, u"type(SERVICE),tag(\"stage:staging\")"_s);
    QCOMPARE(staging->resolution, u"1m"_s);
    QCOMPARE(staging->refreshSeconds, profile::Profile::demo().refreshSeconds);
    QVERIFY(!f.dialog.hasUnsavedChanges());
    QCOMPARE(f.profiles.load(u"Demo"_s), std::optional(profile::Profile::demo()));
}

void TestProfilesDialog::delete_asksThenRemovesProfileAndSecrets()
{
    DialogFixture f(m_dirs);
    QVERIFY(f.profiles.save(testing::storedProfile(u"Old"_s, QUrl(u"https://old.live.dynatrace.com"_s))));
    const QString token = u"dt0c01.OLDOLDOLD."_s + testing::uniqueSecret(u"old"_s);
    const QString awxToken = testing::uniqueSecret(u"awx"_s);
    CANARY_VERIFY_DONE(testing::writeSecret(f.secretStore, dtKey(u"Old"_s), token));
    CANARY_VERIFY_DONE(
        testing::writeSecret(f.secretStore, secrets::secretKey(u"Old"_s, SecretName::AwxToken), awxToken));
    QVERIFY(f.show());
    f.dialog.selectProfile(u"Old"_s);
    QCOMPARE(f.dialog.currentName(), u"Old"_s);
    QTRY_COMPARE(f.form()->dynatraceTokenEdit()->placeholderText(), u"stored in the keychain"_s);
    QSignalSpy removed(&f.dialog, &ui::ProfilesDialog::profileRemoved);

    f.answers.enqueue(QMessageBox::Cancel);
    QTest::mouseClick(f.button(u"deleteProfile"_s), Qt::LeftButton);
    QCOMPARE(f.asked.size(), 1);
    QCOMPARE(f.asked.constLast().id, u"delete"_s);
    QVERIFY(f.asked.constLast().text.contains(u"'Old'"_s));
    QVERIFY(f.asked.constLast().text.contains(u"keychain"_s));
    QVERIFY(f.profiles.contains(u"Old"_s));
    QCOMPARE(removed.count(), 0);

    f.answers.enqueue(QMessageBox::Yes);
    QTest::mouseClick(f.button(u"deleteProfile"_s), Qt::LeftButton);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.constFirst().constFirst().toString(), u"Old"_s);
    QVERIFY(!f.profiles.contains(u"Old"_s));
    QCOMPARE(f.dialog.currentName(), u"Demo"_s);
    QTRY_VERIFY2(f.dialog.statusText().contains(u"and its secrets"_s), qPrintable(f.dialog.statusText()));
    QVERIFY(isAbsent(f.secretStore, dtKey(u"Old"_s)));
    QVERIFY(isAbsent(f.secretStore, secrets::secretKey(u"Old"_s, SecretName::AwxToken)));
}

void TestProfilesDialog::badUrl_specificMessage_saveWritesNothing_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("message");
    QTest::newRow("query") << u"https://abc.live.dynatrace.com/e/x?tab=1"_s
                           << u"the environment URL must not carry a query or fragment"_s;
    QTest::newRow("scheme") << u"ftp://abc.live.dynatrace.com"_s
                            // The field's problem says what is wrong without repeating what was typed (it
                            // could be a pasted token).
                            << u"dynatrace.url must be an http(s) URL with a host, not '…'"_s;
    QTest::newRow("credentials") << u"https://me:pw@abc.live.dynatrace.com"_s
                                 << u"dynatrace.url must not carry a user name or password"_s;
    QTest::newRow("no host") << u"https://"_s << u"must be an http(s) URL with a host"_s;
}

void TestProfilesDialog::badUrl_specificMessage_saveWritesNothing()
{
    QFETCH(QString, url);
    QFETCH(QString, message);
    DialogFixture f(m_dirs);
    QVERIFY(f.show());
    QTest::mouseClick(f.button(u"newProfile"_s), Qt::LeftButton);
    QTest::keyClicks(f.form()->nameEdit(), u"Bad"_s);
    QTest::keyClicks(f.form()->dynatraceUrlEdit(), url);
    const QString token = u"dt0c01.BADBADBAD."_s + testing::uniqueSecret(u"bad"_s);
    QTest::keyClicks(f.form()->dynatraceTokenEdit(), token);
    // Shown while typing, beside the field.
    QVERIFY2(f.form()->shownProblem(u"dynatrace.url"_s).contains(message),
        qPrintable(f.form()->shownProblem(u"dynatrace.url"_s)));
    QVERIFY(f.find<QLabel>(u"problem:dynatrace.url"_s)->isVisible());

    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QVERIFY(!f.dialog.isSaving()); // refused at once, nothing sent to the keychain
    QVERIFY2(f.dialog.statusText().startsWith(u"Not saved: fix the marked fields"_s),
        qPrintable(f.dialog.statusText()));
    if (url.startsWith(u"ftp"_s)) // nor does the status line
        QVERIFY2(!f.dialog.statusText().contains(url), qPrintable(f.dialog.statusText()));
    QVERIFY(f.dialog.statusText().contains(message));
    QCOMPARE(saved.count(), 0);
    QCOMPARE(f.profiles.names(), QStringList { u"Demo"_s });
    QVERIFY(isAbsent(f.secretStore, dtKey(u"Bad"_s)));
    QCOMPARE(m_dirs.filesContaining(token), QStringList());
}

void TestProfilesDialog::tokenOfTheWrongKind_isNamedBeforeAnyRequest()
{
    SimFixture environment(30, 2);
    DialogFixture f(m_dirs);
    QVERIFY(f.show());
    QTest::mouseClick(f.button(u"newProfile"_s), Qt::LeftButton);
    QTest::keyClicks(f.form()->nameEdit(), u"Platform"_s);
    QTest::keyClicks(f.form()->dynatraceUrlEdit(), environment.environment->baseUrl().toString());
    QTest::keyClicks(f.form()->dynatraceTokenEdit(), u"dt0s01.ABCDEFGH.IJKLMNOPQRSTUVWX"_s);
    QVERIFY2(f.form()->shownProblem(u"dynatrace-token"_s).contains(u"platform token (dt0s…)"_s),
        qPrintable(f.form()->shownProblem(u"dynatrace-token"_s)));

    QSignalSpy requests(&environment.environment->server(), &sim::SimServer::requestHandled);
    QSignalSpy tested(&f.dialog, &ui::ProfilesDialog::connectionTested);
    QTest::mouseClick(f.button(u"testConnection"_s), Qt::LeftButton);
    QTRY_COMPARE(tested.count(), 1);
    QCOMPARE(f.statusOf(u"Dynatrace access token"_s), Failed);
    QVERIFY(f.dialog.reportModel()->report().items.front().detail.contains(u"platform token"_s));
    QCOMPARE(requests.count(), 0);

    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QVERIFY(f.dialog.statusText().contains(u"platform token"_s));
    QVERIFY(!f.profiles.contains(u"Platform"_s));
    QVERIFY(isAbsent(f.secretStore, dtKey(u"Platform"_s)));

    // Something that is no Dynatrace token at all gets its own message.
    replaceText(f.form()->dynatraceTokenEdit(), u"ghp_notadynatracetoken"_s);
    QVERIFY2(f.form()
                 ->shownProblem(u"dynatrace-token"_s)
                 .contains(u"does not look like a Dynatrace access token"_s),
        qPrintable(f.form()->shownProblem(u"dynatrace-token"_s)));
}

void TestProfilesDialog::testConnection_storedOrEnvironmentToken_saysWhichWasUsed()
{
    SimFixture environment(30, 2);
    DialogFixture f(m_dirs);
    const QUrl url = environment.environment->baseUrl();
    QVERIFY(f.profiles.save(testing::storedProfile(u"Stored"_s, url)));
    QVERIFY(f.profiles.save(testing::storedProfile(u"FromEnv"_s, url)));
    CANARY_VERIFY_DONE(
        testing::writeSecret(f.secretStore, dtKey(u"Stored"_s), environment.environment->token()));
    QVERIFY(f.show());
    QSignalSpy tested(&f.dialog, &ui::ProfilesDialog::connectionTested);

    f.dialog.selectProfile(u"Stored"_s);
    QTest::mouseClick(f.button(u"testConnection"_s), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 1, 20'000);
    QVERIFY2(f.dialog.reportModel()->report().allOk(), qPrintable(f.dialog.reportModel()->report().text()));
    QVERIFY(f.find<QLabel>(u"tokenSource"_s)->text().contains(u"the one stored in the keychain"_s));

    f.dialog.selectProfile(u"FromEnv"_s);
    QTest::mouseClick(f.button(u"testConnection"_s), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 2, 20'000);
    QCOMPARE(f.statusOf(u"Dynatrace access token"_s), Missing);
    QVERIFY(f.find<QLabel>(u"tokenSource"_s)->text().contains(u"Dynatrace token: none"_s));

    QProcessEnvironment variables;
    variables.insert(u"DT_API_TOKEN"_s, environment.environment->token());
    f.dialog.setEnvironment(variables);
    QTest::mouseClick(f.button(u"testConnection"_s), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 3, 20'000);
    QCOMPARE(f.statusOf(u"Dynatrace access token"_s), Ok);
    QVERIFY(f.find<QLabel>(u"tokenSource"_s)->text().contains(u"DT_API_TOKEN from the environment"_s));
    QVERIFY(testing::removeSecret(f.secretStore, dtKey(u"Stored"_s)));
}

void TestProfilesDialog::testConnection_awxAndBackEnd_oneRunAtATime()
{
    SimFixture environment(30, 2);
    const QUrl url = environment.environment->baseUrl();
    const QString token = environment.environment->token();
    DialogFixture f(m_dirs);
    QStringList factoryCalls;
    f.dialog.setBackendFactory([&](const profile::Profile &profile, const QProcessEnvironment &offered)
                                   -> Expected<std::unique_ptr<traffic::TrafficBackend>, QString> {
        factoryCalls.append(profile.trafficBackend);
        // The token being tested is offered where the apps read it from.
        if (offered.value(u"DT_API_TOKEN"_s) != token)
            return u"the factory did not get the tested token"_s;
        if (profile.trafficBackend != u"sim"_s)
            return u"no %1 here"_s.arg(profile.trafficBackend);
        return std::unique_ptr<traffic::TrafficBackend>(new traffic::SimTrafficBackend(url, token));
    });
    QVERIFY(f.show());
    QTest::mouseClick(f.button(u"newProfile"_s), Qt::LeftButton);
    QTest::keyClicks(f.form()->nameEdit(), u"Full"_s);
    QTest::keyClicks(f.form()->dynatraceUrlEdit(), url.toString());
    QTest::keyClicks(f.form()->dynatraceTokenEdit(), token);
    // The simulator is also the AWX; the backout template is #9, asked by name.
    QTest::keyClicks(f.edit(u"awxUrl"_s), url.toString() + u"/api/v2/"_s);
    QCOMPARE(f.find<QLabel>(u"awxUrlHint"_s)->text(),
        u"will be saved as %1 with the API path /api/v2/"_s.arg(url.toString()));
    QTest::keyClicks(f.edit(u"awxSecret"_s), token);

    QSignalSpy tested(&f.dialog, &ui::ProfilesDialog::connectionTested);
    QPushButton *test = f.button(u"testConnection"_s);
    QTest::mouseClick(test, Qt::LeftButton);
    QVERIFY(f.dialog.isTesting());
    QVERIFY(!test->isEnabled());
    QTest::mouseClick(test, Qt::LeftButton); // a second click while running does nothing
    QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 1, 20'000);
    QVERIFY(test->isEnabled());
    QCOMPARE(factoryCalls, QStringList { u"sim"_s });
    const QString report = f.dialog.reportModel()->report().text();
    QVERIFY2(f.statusOf(u"Traffic back-end"_s) == Ok, qPrintable(report));
    QVERIFY2(f.statusOf(u"AWX on"_s) == Missing, qPrintable(report)); // no template named yet
    QVERIFY(f.find<QLabel>(u"tokenSource"_s)->text().contains(u"AWX token: the one typed in the form"_s));

    // With the awx back-end and its template: launch rights are checked; the factory's refusal is reported.
    auto *backend = f.find<QComboBox>(u"trafficBackend"_s);
    backend->setCurrentIndex(backend->findData(u"awx"_s));
    Q_EMIT backend->activated(backend->currentIndex());
    QTest::keyClicks(f.edit(u"awxTemplate"_s), u"Reset canary weighting"_s);
    QTest::mouseClick(test, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 2, 20'000);
    const QString second = f.dialog.reportModel()->report().text();
    QVERIFY2(f.statusOf(u"AWX job template Reset canary weighting"_s) == Ok, qPrintable(second));
    QVERIFY2(f.statusOf(u"Traffic back-end: awx"_s) == Failed, qPrintable(second));
    QVERIFY(second.contains(u"no awx here"_s));
    QCOMPARE(f.profiles.names(), QStringList { u"Demo"_s }); // testing saved nothing
}

void TestProfilesDialog::lockedKeychain_saysUnlock_savesNothingUntilUnlocked()
{
    DialogFixture f(m_dirs);
    QVERIFY(f.show());
    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    QTest::mouseClick(f.button(u"newProfile"_s), Qt::LeftButton);
    QTest::keyClicks(f.form()->nameEdit(), u"Locked"_s);
    QTest::keyClicks(f.form()->dynatraceUrlEdit(), u"abc.apps.dynatrace.com"_s);
    QCOMPARE(
        f.find<QLabel>(u"dynatraceUrlHint"_s)->text(), u"will be saved as https://abc.live.dynatrace.com"_s);
    const QString token = u"dt0c01.LOCKEDLOCKED."_s + testing::uniqueSecret(u"locked"_s);
    QTest::keyClicks(f.form()->dynatraceTokenEdit(), token);

    const UnlockAtExit unlockAtExit;
    QCOMPARE(testing::lockKeychain(), QString());
    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!f.dialog.isSaving(), 20'000);
    QVERIFY2(f.dialog.statusText().contains(u"unlock your keyring and try again"_s),
        qPrintable(f.dialog.statusText()));
    QVERIFY(f.button(u"keepForSession"_s)->isVisible());
    QCOMPARE(saved.count(), 0);
    QVERIFY(!f.profiles.contains(u"Locked"_s));

    // The user unlocks the keyring and saves again: now everything lands.
    QCOMPARE(testing::unlockKeychain(), QString());
    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20'000);
    QVERIFY(!f.button(u"keepForSession"_s)->isVisible());
    QVERIFY(!f.secretStore.isSessionOnly());
    QCOMPARE(f.profiles.load(u"Locked"_s)->dynatraceUrl, QUrl(u"https://abc.live.dynatrace.com"_s));
    QCOMPARE(storedValue(f.secretStore, dtKey(u"Locked"_s)), std::optional<QString>(token));
    QCOMPARE(m_dirs.filesContaining(token), QStringList());
    QVERIFY(testing::removeSecret(f.secretStore, dtKey(u"Locked"_s)));
}

void TestProfilesDialog::rename_movesTheSecrets()
{
    DialogFixture f(m_dirs);
    QVERIFY(f.profiles.save(testing::storedProfile(u"Before"_s, QUrl(u"https://abc.live.dynatrace.com"_s))));
    const QString token = u"dt0c01.RENAMERENAME."_s + testing::uniqueSecret(u"rename"_s);
    CANARY_VERIFY_DONE(testing::writeSecret(f.secretStore, dtKey(u"Before"_s), token));
    QVERIFY(f.show());
    f.dialog.selectProfile(u"Before"_s);
    QTRY_COMPARE(f.form()->dynatraceTokenEdit()->placeholderText(), u"stored in the keychain"_s);
    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    replaceText(f.form()->nameEdit(), u"After"_s);
    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QTRY_COMPARE(saved.count(), 1);
    QCOMPARE(f.profiles.names(), (QStringList { u"Demo"_s, u"After"_s }));
    QCOMPARE(f.profiles.load(u"After"_s)->dynatraceUrl, QUrl(u"https://abc.live.dynatrace.com"_s));
    QCOMPARE(storedValue(f.secretStore, dtKey(u"After"_s)), std::optional<QString>(token));
    QTRY_VERIFY(isAbsent(f.secretStore, dtKey(u"Before"_s)));
    QTRY_COMPARE(f.form()->dynatraceTokenEdit()->placeholderText(), u"stored in the keychain"_s);
    QVERIFY(testing::removeSecret(f.secretStore, dtKey(u"After"_s)));
}

void TestProfilesDialog::forget_removesTheStoredToken()
{
    DialogFixture f(m_dirs);
    QVERIFY(
        f.profiles.save(testing::storedProfile(u"Forgetful"_s, QUrl(u"https://abc.live.dynatrace.com"_s))));
    CANARY_VERIFY_DONE(testing::writeSecret(f.secretStore, dtKey(u"Forgetful"_s), u"dt0c01.FORGET.ME"_s));
    QVERIFY(f.show());
    f.dialog.selectProfile(u"Forgetful"_s);
    QPushButton *forget = f.form()->findChild<QPushButton *>(u"forgetDynatraceToken"_s);
    QTRY_VERIFY(forget->isEnabled());
    QTest::mouseClick(forget, Qt::LeftButton);
    QTRY_COMPARE(
        f.form()->dynatraceTokenEdit()->placeholderText(), u"not set: paste an access token (dt0c01.…)"_s);
    QVERIFY(!forget->isEnabled());
    QVERIFY(isAbsent(f.secretStore, dtKey(u"Forgetful"_s)));
    QVERIFY(f.profiles.contains(u"Forgetful"_s));
}

void TestProfilesDialog::exportImport_roundTrip_withoutSecrets()
{
    DialogFixture f(m_dirs);
    profile::Profile prod = testing::storedProfile(u"Prod"_s, QUrl(u"https://abc12345.live.dynatrace.com"_s));
    prod.trafficBackend = u"awx"_s;
    prod.awxUrl = QUrl(u"https://awx.example.com"_s);
    prod.awxTemplate = u"Set canary weight"_s;
    prod.allowedOrigins = { u"https://gitlab.example.com"_s };
    prod.autoRemediate = true;
    prod.countdownSeconds = 60;
    QVERIFY(f.profiles.save(prod));
    const QString token = u"dt0c01.EXPORTEXPORT."_s + testing::uniqueSecret(u"export"_s);
    CANARY_VERIFY_DONE(testing::writeSecret(f.secretStore, dtKey(u"Prod"_s), token));
    QVERIFY(f.show());
    f.dialog.selectProfile(u"Prod"_s);

    QTemporaryDir outside;
    const QString path = outside.filePath(u"prod.conf"_s);
    f.files.enqueue(path);
    QTest::mouseClick(f.button(u"exportProfile"_s), Qt::LeftButton);
    QCOMPARE(f.chooserRoles, QList { ui::ProfilesDialog::FileRole::Export });
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QVERIFY(!text.contains(token.toUtf8()));
    QVERIFY(!text.contains("EXPORTEXPORT"));
    const auto read = profile::readProfileFile(path);
    QVERIFY2(read, qPrintable(read ? QString() : read.error().join(u'\n')));
    QCOMPARE(read.value(), f.profiles.load(u"Prod"_s).value());

    // Importing it again: the name is taken; "keep both" gives "Prod (2)", without any secret.
    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    f.files.enqueue(path);
    f.answers.enqueue(QMessageBox::No);
    QTest::mouseClick(f.button(u"importProfile"_s), Qt::LeftButton);
    QCOMPARE(f.asked.constLast().id, u"replace"_s);
    QVERIFY(f.asked.constLast().buttonTexts.value(QMessageBox::No).contains(u"Prod (2)"_s));
    QCOMPARE(saved.count(), 1);
    QCOMPARE(f.dialog.currentName(), u"Prod (2)"_s);
    profile::Profile copy = f.profiles.load(u"Prod (2)"_s).value();
    copy.name = u"Prod"_s;
    QCOMPARE(copy, f.profiles.load(u"Prod"_s).value());
    QTRY_COMPARE(
        f.form()->dynatraceTokenEdit()->placeholderText(), u"not set: paste an access token (dt0c01.…)"_s);
    QVERIFY(isAbsent(f.secretStore, dtKey(u"Prod (2)"_s)));

    // "Replace" keeps the name (and the secrets that belong to it).
    f.files.enqueue(path);
    f.answers.enqueue(QMessageBox::Yes);
    QTest::mouseClick(f.button(u"importProfile"_s), Qt::LeftButton);
    // Replacing asks the keychain first (the old profile's unbound secrets are bound to its origin).
    QTRY_COMPARE(saved.count(), 2);
    QCOMPARE(f.profiles.names(), (QStringList { u"Demo"_s, u"Prod"_s, u"Prod (2)"_s }));
    QCOMPARE(storedValue(f.secretStore, dtKey(u"Prod"_s)), std::optional<QString>(token));
    QVERIFY(testing::removeSecret(f.secretStore, dtKey(u"Prod"_s)));
}

void TestProfilesDialog::importBrokenFile_showsEveryLine()
{
    DialogFixture f(m_dirs);
    QVERIFY(f.show());
    QTemporaryDir outside;
    const QString path = outside.filePath(u"broken.conf"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("name = Broken\n"
               "refresh = soon\n"
               "dynatrace.ulr = https://abc.live.dynatrace.com\n"
               "token = dt0c01.ABCDEFGHIJKL.SECRETSECRETSECRET\n"
               "this line has no equals sign\n");
    file.close();
    f.files.enqueue(path);
    QTest::mouseClick(f.button(u"importProfile"_s), Qt::LeftButton);
    auto *errors = f.find<QPlainTextEdit>(u"importErrors"_s);
    QVERIFY(errors->isVisible());
    const QString shown = errors->toPlainText();
    QVERIFY2(shown.contains(u"broken.conf:2: refresh must be a whole number of seconds, not 'soon'"_s),
        qPrintable(shown));
    QVERIFY2(shown.contains(u"broken.conf:3: unknown key 'dynatrace.ulr' (did you mean 'dynatrace.url'?)"_s),
        qPrintable(shown));
    QVERIFY2(shown.contains(u"broken.conf:4: 'token' is a secret"_s), qPrintable(shown));
    QVERIFY2(shown.contains(u"broken.conf:5: "_s), qPrintable(shown));
    QVERIFY(!shown.contains(u"SECRETSECRETSECRET"_s));
    QVERIFY(f.dialog.statusText().startsWith(u"Not imported"_s));
    QCOMPARE(f.profiles.names(), QStringList { u"Demo"_s });
}

void TestProfilesDialog::unsavedChanges_askBeforeSwitching()
{
    DialogFixture f(m_dirs);
    QVERIFY(f.profiles.save(testing::storedProfile(u"Alpha"_s, QUrl(u"https://alpha.live.dynatrace.com"_s))));
    QVERIFY(f.profiles.save(testing::storedProfile(u"Beta"_s, QUrl(u"https://beta.live.dynatrace.com"_s))));
    QVERIFY(f.show());
    auto *list = f.find<QListWidget>(u"profileList"_s);
    f.dialog.selectProfile(u"Alpha"_s);
    replaceText(f.edit(u"from"_s), u"now-2h"_s);
    QVERIFY(f.dialog.hasUnsavedChanges());

    // Cancel: stay, edits intact.
    f.answers.enqueue(QMessageBox::Cancel);
    clickRow(list, u"Beta"_s);
    QCOMPARE(f.asked.size(), 1);
    QCOMPARE(f.asked.constLast().id, u"unsaved"_s);
    QCOMPARE(f.dialog.currentName(), u"Alpha"_s);
    QCOMPARE(list->currentRow(), rowOf(list, u"Alpha"_s));
    QCOMPARE(f.edit(u"from"_s)->text(), u"now-2h"_s);

    // Discard: go, nothing saved.
    f.answers.enqueue(QMessageBox::Discard);
    clickRow(list, u"Beta"_s);
    QCOMPARE(f.dialog.currentName(), u"Beta"_s);
    QCOMPARE(list->currentRow(), rowOf(list, u"Beta"_s));
    QCOMPARE(f.profiles.load(u"Alpha"_s)->from, u"now-30m"_s);

    // Save: saved first, then the switch.
    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    replaceText(f.edit(u"from"_s), u"now-1h"_s);
    f.answers.enqueue(QMessageBox::Save);
    clickRow(list, u"Alpha"_s);
    QTRY_COMPARE(f.dialog.currentName(), u"Alpha"_s);
    QCOMPARE(saved.count(), 1);
    QCOMPARE(f.profiles.load(u"Beta"_s)->from, u"now-1h"_s);
    QCOMPARE(f.asked.size(), 3);

    // No changes, no question; a new, untouched profile is simply dropped.
    clickRow(list, u"Beta"_s);
    QTest::mouseClick(f.button(u"newProfile"_s), Qt::LeftButton);
    QCOMPARE(list->count(), 4);
    clickRow(list, u"Alpha"_s);
    QCOMPARE(f.asked.size(), 3);
    QCOMPARE(list->count(), 3);
    QCOMPARE(f.dialog.currentName(), u"Alpha"_s);
}

void TestProfilesDialog::unsavedChanges_askBeforeClosing_realMessageBox()
{
    // The default questions are real QMessageBoxes: answer one the way a user would.
    profile::ProfileStore profiles(m_dirs.root() + u"/config/canary-console/close.conf"_s);
    secrets::SecretStore secretStore(testing::uniqueService());
    QVERIFY(profiles.save(testing::storedProfile(u"Closing"_s, QUrl(u"https://close.live.dynatrace.com"_s))));
    ui::ProfilesDialog dialog(&profiles, &secretStore);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    dialog.selectProfile(u"Closing"_s);
    replaceText(dialog.form()->findChild<QLineEdit *>(u"resolution"_s), u"5m"_s);

    QString asked;
    QTimer::singleShot(0, &dialog, [&asked] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box)
            return;
        asked = box->objectName() + u": "_s + box->text();
        box->button(QMessageBox::Cancel)->click();
    });
    dialog.reject();
    QVERIFY2(asked.startsWith(u"question:unsaved: Save the changes to 'Closing'?"_s), qPrintable(asked));
    QVERIFY(dialog.isVisible());

    QTimer::singleShot(0, &dialog, [] {
        if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget()))
            box->button(QMessageBox::Discard)->click();
    });
    dialog.reject();
    QVERIFY(!dialog.isVisible());
    QCOMPARE(profiles.load(u"Closing"_s)->resolution, QString());
}

void TestProfilesDialog::backendFields_onlyForTheChosenBackEnd()
{
    DialogFixture f(m_dirs);
    QVERIFY(f.show());
    QTest::mouseClick(f.button(u"newProfile"_s), Qt::LeftButton);
    auto *backend = f.find<QComboBox>(u"trafficBackend"_s);
    const auto choose = [backend](const QString &name) {
        backend->setCurrentIndex(backend->findData(name));
        Q_EMIT backend->activated(backend->currentIndex());
    };
    QVERIFY(!f.edit(u"awxTemplate"_s)->isVisible());
    QVERIFY(!f.edit(u"kubeObject"_s)->isVisible());
    choose(u"awx"_s);
    QVERIFY(f.edit(u"awxTemplate"_s)->isVisible());
    QVERIFY(!f.edit(u"kubeObject"_s)->isVisible());
    choose(u"kubernetes"_s);
    QVERIFY(!f.edit(u"awxTemplate"_s)->isVisible());
    QVERIFY(f.edit(u"kubeObject"_s)->isVisible());

    // Basic auth asks for a user name, and the secret field becomes the password.
    auto *auth = f.find<QComboBox>(u"awxAuth"_s);
    QVERIFY(!f.edit(u"awxUsername"_s)->isVisible());
    auth->setCurrentIndex(auth->findData(u"basic"_s));
    Q_EMIT auth->activated(auth->currentIndex());
    QVERIFY(f.edit(u"awxUsername"_s)->isVisible());
    QCOMPARE(f.form()->awxSecretName(), SecretName::AwxPassword);

    // The insecure-TLS switch carries its warning.
    auto *insecure = f.form()->findChild<QCheckBox *>(u"allowInsecureTls"_s);
    QVERIFY(!f.find<QLabel>(u"insecureTlsWarning"_s)->isVisible());
    QTest::mouseClick(insecure, Qt::LeftButton, {}, QPoint(8, insecure->height() / 2)); // the box itself
    QVERIFY(f.find<QLabel>(u"insecureTlsWarning"_s)->isVisible());

    // A CA bundle is chosen through the same file chooser.
    f.files.enqueue(u"/etc/ssl/certs/ca-certificates.crt"_s);
    QTest::mouseClick(f.form()->findChild<QPushButton *>(u"browseCaBundle"_s), Qt::LeftButton);
    QCOMPARE(f.edit(u"caBundle"_s)->text(), u"/etc/ssl/certs/ca-certificates.crt"_s);
    QCOMPARE(f.chooserRoles.constLast(), ui::ProfilesDialog::FileRole::CaBundle);
}

void TestProfilesDialog::reportModel_passesTheModelTester()
{
    ui::CheckReportModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    onboarding::CheckReport report;
    report.items.push_back({ u"Dynatrace access token"_s, CheckItem::Status::Ok, u"dt0c01.ABC (ci) on x"_s });
    report.items.push_back({ u"Problems: timeline and banner"_s, CheckItem::Status::Missing, u"lacks"_s });
    report.items.push_back({ u"Per-build metric"_s, CheckItem::Status::Failed, u"404"_s });
    model.setReport(report);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.columnCount(), 2);
    QCOMPARE(model.index(1, 0).data(ui::CheckReportModel::StatusRole).toInt(), Missing);
    QCOMPARE(model.index(2, 1).data().toString(), u"404"_s);
    QVERIFY(!model.index(0, 0).data(Qt::DecorationRole).isNull());
    QVERIFY(model.index(0, 1).data(Qt::DecorationRole).isNull());
    QCOMPARE(model.index(2, 0).data(Qt::AccessibleDescriptionRole).toString(), u"failed"_s);
    QCOMPARE(model.rowOf(u"Problems"_s), 1);

    // A detail built from what the form says (a URL, a selector) never shows a credential in it, on screen
    // or in the copied report.
    const QString secret = testing::uniqueSecret(u"report"_s);
    report.items.push_back({ u"AWX on https://awx.example.com"_s, CheckItem::Status::Failed,
        u"401 for Authorization: Bearer %1"_s.arg(secret) });
    model.setReport(report);
    QVERIFY(!model.index(3, 1).data().toString().contains(secret));
    QVERIFY(!model.index(3, 0).data(Qt::ToolTipRole).toString().contains(secret));
    QVERIFY(!model.report().text().contains(secret));
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

// A tenant where nobody created the per-build metric yet: the test says so, offers "Create metric", and one
// click creates it (the token has WriteConfig) so that the next test finds it.
void TestProfilesDialog::missingMetric_createMetricMakesIt()
{
    VirtualClock clock(SimFixture::StartMs);
    sim::SimulatedEnvironment::Options options;
    options.clock = &clock;
    options.workshopCalculatedMetrics = false;
    sim::SimulatedEnvironment tenant(std::move(options));
    QString error;
    QVERIFY2(tenant.start(&error), qPrintable(error));
    clock.advanceMs(5 * 60'000);

    DialogFixture f(m_dirs);
    QVERIFY(f.show());
    QTest::mouseClick(f.button(u"newProfile"_s), Qt::LeftButton);
    QTest::keyClicks(f.form()->nameEdit(), u"Fresh"_s);
    QTest::keyClicks(f.form()->dynatraceUrlEdit(), tenant.baseUrl().toString());
    QTest::keyClicks(f.form()->dynatraceTokenEdit(), tenant.token());
    QPushButton *create = f.button(u"createMetric"_s);
    QVERIFY(!create->isVisible());

    QSignalSpy tested(&f.dialog, &ui::ProfilesDialog::connectionTested);
    QTest::mouseClick(f.button(u"testConnection"_s), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 1, 20'000);
    QCOMPARE(f.statusOf(u"Per-build metric"_s), Missing);
    QTRY_VERIFY(create->isVisible());

    QSignalSpy created(&f.dialog, &ui::ProfilesDialog::metricCreationFinished);
    QTest::mouseClick(create, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(created.count(), 1, 20'000);
    QVERIFY2(created.first().at(0).toBool(), qPrintable(created.first().at(1).toString()));
    QVERIFY(created.first().at(1).toString().contains(u"no backfill"_s));
    QVERIFY(tenant.dynatrace().metricRegistry().find(session::Target::defaultMetricSelector()));
    // The dialog tests again by itself: the metric is there now.
    QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 2, 20'000);
    QCOMPARE(f.statusOf(u"Per-build metric"_s), Ok);
    QVERIFY(!create->isVisible());

    // The profile's own TLS choices are what is tested: a CA bundle that cannot be read is named.
    f.edit(u"caBundle"_s)->setText(m_dirs.root() + u"/no-such-ca.pem"_s);
    QTest::mouseClick(f.button(u"testConnection"_s), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 3, 20'000);
    QCOMPARE(f.statusOf(u"TLS: CA bundle"_s), Failed);
    QVERIFY(f.dialog.reportModel()->report().text().contains(u"cannot read the CA bundle"_s));
}

// The guard-rails and the health metrics are in the form, and saving changes only what was edited: a profile
// whose guard keys are not the defaults keeps them (the form used to rebuild profiles from scratch).
void TestProfilesDialog::guardRailsAndHealthMetrics_shownEditedAndKept()
{
    DialogFixture f(m_dirs);
    auto stored = testing::storedProfile(u"Guarded"_s, QUrl(u"https://guard.live.dynatrace.com"_s));
    stored.guardMaxStepPercent = 10;
    stored.guardMinIntervalSeconds = 600;
    stored.guardFreezeOnStale = false;
    stored.failureMetricSelector = u"calc:service.errors_by_version"_s;
    stored.responseTimeMetricSelector.clear();
    QVERIFY(f.profiles.save(stored));
    QVERIFY(f.show());
    f.dialog.selectProfile(u"Guarded"_s);
    QCOMPARE(f.dialog.currentName(), u"Guarded"_s);

    auto *maxStep = f.form()->findChild<QSpinBox *>(u"guardMaxStep"_s);
    auto *interval = f.form()->findChild<QSpinBox *>(u"guardMinInterval"_s);
    auto *stale = f.form()->findChild<QCheckBox *>(u"guardFreezeOnStale"_s);
    auto *enabled = f.form()->findChild<QCheckBox *>(u"guardEnabled"_s);
    QVERIFY(maxStep && interval && stale && enabled);
    QCOMPARE(maxStep->value(), 10);
    QCOMPARE(interval->value(), 600);
    QVERIFY(!stale->isChecked());
    QVERIFY(enabled->isChecked());
    QCOMPARE(f.edit(u"failureMetricSelector"_s)->text(), u"calc:service.errors_by_version"_s);
    QVERIFY(f.edit(u"responseTimeMetricSelector"_s)->text().isEmpty());
    QVERIFY(!f.dialog.hasUnsavedChanges());

    // Edit one field with the keyboard and save: the step changes, everything else stays.
    maxStep->setFocus();
    maxStep->selectAll();
    QTest::keyClicks(maxStep, u"15"_s);
    QCOMPARE(maxStep->value(), 15);
    QVERIFY(f.dialog.hasUnsavedChanges());
    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QTRY_COMPARE(saved.count(), 1);
    const auto reloaded = f.profiles.load(u"Guarded"_s);
    QVERIFY(reloaded);
    QCOMPARE(reloaded->guardMaxStepPercent, 15);
    QCOMPARE(reloaded->guardMinIntervalSeconds, 600);
    QVERIFY(!reloaded->guardFreezeOnStale);
    QCOMPARE(reloaded->failureMetricSelector, u"calc:service.errors_by_version"_s);
    QVERIFY(reloaded->responseTimeMetricSelector.isEmpty());

    // Turning the guard-rails off greys out their rules.
    QTest::mouseClick(enabled, Qt::LeftButton, {}, QPoint(4, enabled->height() / 2));
    QVERIFY(!enabled->isChecked());
    QVERIFY(!maxStep->isEnabled());
    QVERIFY(!stale->isEnabled());
}

// Issue 19: the profile's URL is changed in the dialog to another host; the keychain's token is not sent
// there, and the token field says so while the URL is typed.
void TestProfilesDialog::dynatraceUrlEdited_fieldAsksAgain_noTokenReachesTheNewHost()
{
    SimFixture environment(30, 2);
    CountingHost other;
    QVERIFY(other.listen());
    DialogFixture f(m_dirs);
    const profile::Profile prod = testing::storedProfile(u"Prod"_s, environment.environment->baseUrl());
    QVERIFY(f.profiles.save(prod));
    const QString origin = profile::secretOrigin(prod.normalised(), SecretName::DynatraceToken);
    const QString token = environment.environment->token();
    CANARY_VERIFY_DONE(
        testing::writeSecret(f.secretStore, dtKey(u"Prod"_s), secrets::sealSecret(token, origin)));
    QVERIFY(f.show());
    f.dialog.selectProfile(u"Prod"_s);
    QLineEdit *tokenEdit = f.form()->dynatraceTokenEdit();
    QTRY_COMPARE(tokenEdit->placeholderText(), u"stored in the keychain"_s);
    QPushButton *move = f.form()->findChild<QPushButton *>(u"moveDynatraceToken"_s);
    QVERIFY(!move->isVisible());

    replaceText(f.form()->dynatraceUrlEdit(), other.url());
    const QString newOrigin = other.url();
    QCOMPARE(tokenEdit->placeholderText(),
        u"saved for %1: not sent to %2. Paste the token for %2"_s.arg(origin, newOrigin));
    QVERIFY(move->isVisible());
    QCOMPARE(move->text(), u"Move the saved token to %1…"_s.arg(newOrigin));

    QSignalSpy tested(&f.dialog, &ui::ProfilesDialog::connectionTested);
    QTest::mouseClick(f.button(u"testConnection"_s), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 1, 20'000);
    const QString report = f.dialog.reportModel()->report().text();
    QCOMPARE(other.credentials(), 0);
    QVERIFY(!other.received.contains(token.toUtf8()));
    QVERIFY2(f.statusOf(u"Dynatrace access token"_s) != Ok, qPrintable(report));
    QVERIFY2(f.statusOf(u"Stored Dynatrace API token"_s) == Missing, qPrintable(report));
    QVERIFY2(
        report.contains(u"saved for %1 and is not sent to %2"_s.arg(origin, newOrigin)), qPrintable(report));
    QVERIFY(f.find<QLabel>(u"tokenSource"_s)->text().contains(u"Dynatrace token: none: the stored one"_s));

    // Back to the origin it was saved for: the stored token is used again, and the move is no longer offered.
    replaceText(f.form()->dynatraceUrlEdit(), environment.environment->baseUrl().toString());
    QCOMPARE(tokenEdit->placeholderText(), u"stored in the keychain"_s);
    QVERIFY(!move->isVisible());
    QTest::mouseClick(f.button(u"testConnection"_s), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 2, 20'000);
    QCOMPARE(f.statusOf(u"Dynatrace access token"_s), Ok);
    QCOMPARE(other.credentials(), 0);
    QVERIFY(testing::removeSecret(f.secretStore, dtKey(u"Prod"_s)));
}

// Saving the new URL without a new token leaves the entry with its origin; the move happens only once
// confirmed, and then only to the origin named in the question.
void TestProfilesDialog::urlChangedAndSaved_tokenStaysWithTheOldOrigin_moveIsConfirmed()
{
    DialogFixture f(m_dirs);
    const QString a = u"https://abc.live.dynatrace.com"_s;
    const QString b = u"https://xyz.live.dynatrace.com"_s;
    QVERIFY(f.profiles.save(testing::storedProfile(u"Moving"_s, QUrl(a))));
    const QString token = u"dt0c01.MOVEMOVEMOVE."_s + testing::uniqueSecret(u"move"_s);
    CANARY_VERIFY_DONE(
        testing::writeSecret(f.secretStore, dtKey(u"Moving"_s), secrets::sealSecret(token, a)));
    QVERIFY(f.show());
    f.dialog.selectProfile(u"Moving"_s);
    QLineEdit *tokenEdit = f.form()->dynatraceTokenEdit();
    QTRY_COMPARE(tokenEdit->placeholderText(), u"stored in the keychain"_s);
    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);

    replaceText(f.form()->dynatraceUrlEdit(), b);
    QPushButton *move = f.form()->findChild<QPushButton *>(u"moveDynatraceToken"_s);
    QVERIFY(move->isVisible());
    // Cancel: nothing moves, and the save keeps the entry bound to the old origin.
    QTest::mouseClick(move, Qt::LeftButton);
    QCOMPARE(f.asked.size(), 1);
    const auto question = f.asked.constLast();
    QCOMPARE(question.id, u"move"_s);
    QCOMPARE(question.defaultButton, QMessageBox::Cancel);
    QVERIFY(question.buttons.testFlag(QMessageBox::Cancel));
    QVERIFY2(question.text.contains(a) && question.text.contains(u"sent to %1 and only to %1"_s.arg(b)),
        qPrintable(question.text));
    QVERIFY(!question.text.contains(token));
    QCOMPARE(
        tokenEdit->placeholderText(), u"saved for %1: not sent to %2. Paste the token for %2"_s.arg(a, b));

    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QTRY_COMPARE(saved.count(), 1);
    QCOMPARE(f.profiles.load(u"Moving"_s)->dynatraceUrl, QUrl(b));
    QVERIFY2(f.dialog.statusText().contains(u"stays with %1: type the one for %2"_s.arg(a, b)),
        qPrintable(f.dialog.statusText()));
    secrets::BoundSecret bound = storedBound(f.secretStore, dtKey(u"Moving"_s));
    QCOMPARE(bound.origin, a);
    QCOMPARE(bound.value, token);
    // Loaded again from the store: the field still asks for B's token.
    QTRY_COMPARE(
        tokenEdit->placeholderText(), u"saved for %1: not sent to %2. Paste the token for %2"_s.arg(a, b));
    QVERIFY(!f.dialog.hasUnsavedChanges());

    // Confirmed: the field says it moves on save, and the save re-seals it for B.
    f.answers.enqueue(QMessageBox::Yes);
    QTest::mouseClick(move, Qt::LeftButton);
    QTRY_COMPARE(tokenEdit->placeholderText(), u"saved for %1: moves to %2 when you save"_s.arg(a, b));
    QVERIFY(!move->isVisible());
    QVERIFY(f.dialog.hasUnsavedChanges());
    QCOMPARE(storedBound(f.secretStore, dtKey(u"Moving"_s)).origin, a); // not before the save
    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QTRY_COMPARE(saved.count(), 2);
    bound = storedBound(f.secretStore, dtKey(u"Moving"_s));
    QCOMPARE(bound.origin, b);
    QCOMPARE(bound.value, token);
    QTRY_COMPARE(tokenEdit->placeholderText(), u"stored in the keychain"_s);
    QVERIFY(!f.dialog.statusText().contains(token));
    QVERIFY(testing::removeSecret(f.secretStore, dtKey(u"Moving"_s)));
}

// The move question is a real QMessageBox whose default is Cancel: Enter and Escape both leave the token
// where it is.
void TestProfilesDialog::moveQuestion_realMessageBox_enterAndEscapeMoveNothing()
{
    DialogFixture f(m_dirs);
    f.dialog.setAsker({});
    const QString a = u"https://abc.live.dynatrace.com"_s;
    const QString b = u"https://other.live.dynatrace.com"_s;
    QVERIFY(f.profiles.save(testing::storedProfile(u"Keys"_s, QUrl(a))));
    const QString token = u"dt0c01.KEYSKEYSKEYS."_s + testing::uniqueSecret(u"keys"_s);
    CANARY_VERIFY_DONE(testing::writeSecret(f.secretStore, dtKey(u"Keys"_s), secrets::sealSecret(token, a)));
    QVERIFY(f.show());
    f.dialog.selectProfile(u"Keys"_s);
    QTRY_COMPARE(f.form()->dynatraceTokenEdit()->placeholderText(), u"stored in the keychain"_s);
    replaceText(f.form()->dynatraceUrlEdit(), b);
    QPushButton *move = f.form()->findChild<QPushButton *>(u"moveDynatraceToken"_s);
    for (const Qt::Key key : { Qt::Key_Return, Qt::Key_Escape }) {
        QString shown;
        QTimer::singleShot(0, &f.dialog, [&shown, key] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            if (!box)
                return;
            shown = box->objectName() + u": "_s + box->text();
            if (box->defaultButton() != box->button(QMessageBox::Cancel))
                shown += u" [default is not Cancel]"_s;
            QTest::keyClick(box, key);
        });
        QTest::mouseClick(move, Qt::LeftButton);
        QVERIFY2(shown.startsWith(u"question:move: "_s) && !shown.contains(u"[default"_s), qPrintable(shown));
        QVERIFY(shown.contains(a) && shown.contains(b));
        QVERIFY(move->isVisible()); // still offered: nothing was confirmed
        QVERIFY(f.form()->moveConfirmedTo(SecretName::DynatraceToken).isEmpty());
    }
    QCOMPARE(storedBound(f.secretStore, dtKey(u"Keys"_s)).origin, a);
    QVERIFY(testing::removeSecret(f.secretStore, dtKey(u"Keys"_s)));
}

// The AWX token follows the AWX URL the same way; a typed token with no AWX URL (CONTROLLER_HOST) is refused
// beside the field before Save, not only by the saver.
void TestProfilesDialog::awxUrlEdited_asksAgain_moveReSeals_emptyUrlRefusedBeforeSave()
{
    CountingHost other;
    QVERIFY(other.listen());
    DialogFixture f(m_dirs);
    const QString a = u"https://awx-a.example.com"_s;
    profile::Profile prod = testing::storedProfile(u"Awx"_s, QUrl(u"https://abc.live.dynatrace.com"_s));
    prod.awxUrl = QUrl(a);
    prod.awxTemplate = u"Set canary weight"_s; // so that the test asks the AWX something
    QVERIFY(f.profiles.save(prod));
    const QString awxKey = secrets::secretKey(u"Awx"_s, SecretName::AwxToken);
    const QString token = testing::uniqueSecret(u"awx"_s);
    CANARY_VERIFY_DONE(testing::writeSecret(f.secretStore, awxKey, secrets::sealSecret(token, a)));
    QVERIFY(f.show());
    f.dialog.selectProfile(u"Awx"_s);
    QLineEdit *secretEdit = f.edit(u"awxSecret"_s);
    QTRY_COMPARE(secretEdit->placeholderText(), u"stored in the keychain"_s);

    const QString b = other.url();
    replaceText(f.edit(u"awxUrl"_s), b);
    QCOMPARE(
        secretEdit->placeholderText(), u"saved for %1: not sent to %2. Paste the token for %2"_s.arg(a, b));
    QPushButton *move = f.form()->findChild<QPushButton *>(u"moveAwxSecret"_s);
    QVERIFY(move->isVisible());
    QCOMPARE(move->text(), u"Move the saved token to %1…"_s.arg(b));

    // Nothing of the stored token reaches the new AWX.
    QSignalSpy tested(&f.dialog, &ui::ProfilesDialog::connectionTested);
    QTest::mouseClick(f.button(u"testConnection"_s), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 1, 20'000);
    const QString report = f.dialog.reportModel()->report().text();
    QCOMPARE(other.credentials(), 0);
    QVERIFY(!other.received.contains(token.toUtf8()));
    QVERIFY2(f.statusOf(u"Stored AWX token"_s) == Missing, qPrintable(report));

    f.answers.enqueue(QMessageBox::Yes);
    QTest::mouseClick(move, Qt::LeftButton);
    QTRY_COMPARE(secretEdit->placeholderText(), u"saved for %1: moves to %2 when you save"_s.arg(a, b));
    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QTRY_COMPARE(saved.count(), 1);
    const secrets::BoundSecret bound = storedBound(f.secretStore, awxKey);
    QCOMPARE(bound.origin, b);
    QCOMPARE(bound.value, token);
    QTRY_COMPARE(secretEdit->placeholderText(), u"stored in the keychain"_s);

    // No AWX URL: the field says a URL is needed, a typed token is marked, and Save writes nothing.
    replaceText(f.edit(u"awxUrl"_s), QString());
    const QString other2 = testing::uniqueSecret(u"awx2"_s);
    replaceText(secretEdit, other2);
    QVERIFY2(f.form()
                 ->shownProblem(secrets::secretNameText(SecretName::AwxToken))
                 .contains(u"set the AWX URL first"_s),
        qPrintable(f.form()->shownProblem(secrets::secretNameText(SecretName::AwxToken))));
    QVERIFY(!f.form()->shownProblem(secrets::secretNameText(SecretName::AwxToken)).contains(other2));
    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QVERIFY(!f.dialog.isSaving());
    QCOMPARE(saved.count(), 1);
    QVERIFY2(f.dialog.statusText().contains(u"set the AWX URL first"_s), qPrintable(f.dialog.statusText()));
    QCOMPARE(storedBound(f.secretStore, awxKey).value, token);
    QVERIFY(testing::removeSecret(f.secretStore, awxKey));
}

// The Kubernetes token sits under the API server it belongs to and follows it the same way.
void TestProfilesDialog::kubeServerEdited_asksAgain_moveReSeals()
{
    DialogFixture f(m_dirs);
    const QString a = u"https://kube-a.example.com:6443"_s;
    const QString b = u"https://kube-b.example.com:6443"_s;
    profile::Profile prod = testing::storedProfile(u"Kube"_s, QUrl(u"https://abc.live.dynatrace.com"_s));
    prod.trafficBackend = u"kubernetes"_s;
    prod.kubeObject = u"ingress/shop/web"_s;
    prod.kubeServer = QUrl(a);
    QVERIFY(f.profiles.save(prod));
    const QString kubeKey = secrets::secretKey(u"Kube"_s, SecretName::KubeToken);
    const QString token = u"eyJhbGciOiJSUzI1NiJ9."_s + testing::uniqueSecret(u"kube"_s);
    CANARY_VERIFY_DONE(testing::writeSecret(f.secretStore, kubeKey, secrets::sealSecret(token, a)));
    QVERIFY(f.show());
    f.dialog.selectProfile(u"Kube"_s);
    QLineEdit *kubeToken = f.edit(u"kubeToken"_s);
    QVERIFY(kubeToken && kubeToken->isVisible());
    QTRY_COMPARE(kubeToken->placeholderText(), u"stored in the keychain"_s);
    QPushButton *forget = f.form()->findChild<QPushButton *>(u"forgetKubeToken"_s);
    QVERIFY(forget->isEnabled());

    replaceText(f.edit(u"kubeServer"_s), b);
    QCOMPARE(
        kubeToken->placeholderText(), u"saved for %1: not sent to %2. Paste the token for %2"_s.arg(a, b));
    QPushButton *move = f.form()->findChild<QPushButton *>(u"moveKubeToken"_s);
    QVERIFY(move->isVisible());
    QTest::mouseClick(move, Qt::LeftButton); // cancelled
    QCOMPARE(f.asked.constLast().id, u"move"_s);
    QVERIFY(f.form()->moveConfirmedTo(SecretName::KubeToken).isEmpty());

    f.answers.enqueue(QMessageBox::Yes);
    QTest::mouseClick(move, Qt::LeftButton);
    QTRY_COMPARE(kubeToken->placeholderText(), u"saved for %1: moves to %2 when you save"_s.arg(a, b));
    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QTRY_COMPARE(saved.count(), 1);
    const secrets::BoundSecret bound = storedBound(f.secretStore, kubeKey);
    QCOMPARE(bound.origin, b);
    QCOMPARE(bound.value, token);
    QTRY_COMPARE(kubeToken->placeholderText(), u"stored in the keychain"_s);

    // Forget removes it like the others.
    QTest::mouseClick(forget, Qt::LeftButton);
    QTRY_COMPARE(kubeToken->placeholderText(), u"not set: paste the API server's bearer token"_s);
    QVERIFY(isAbsent(f.secretStore, kubeKey));
}

// An entry saved before secrets recorded their origin belongs to the stored profile's origin. Replacing the
// profile by an imported file naming another host must not make the old token that host's.
void TestProfilesDialog::importReplacingAProfile_doesNotAdoptItsOldUnboundToken()
{
    DialogFixture f(m_dirs);
    const QString a = u"https://abc.live.dynatrace.com"_s;
    const QString b = u"https://evil.example.com"_s;
    QVERIFY(f.profiles.save(testing::storedProfile(u"Legacy"_s, QUrl(a))));
    const QString token = u"dt0c01.LEGACYLEGACY."_s + testing::uniqueSecret(u"legacy"_s);
    CANARY_VERIFY_DONE(testing::writeSecret(f.secretStore, dtKey(u"Legacy"_s), token)); // not sealed
    QTemporaryDir outside;
    const QString path = outside.filePath(u"legacy.conf"_s);
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QVERIFY(file.write(profile::writeProfileText(testing::storedProfile(u"Legacy"_s, QUrl(b)))) > 0);
    }
    QVERIFY(f.show());
    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    f.files.enqueue(path);
    f.answers.enqueue(QMessageBox::Yes); // Replace
    QTest::mouseClick(f.button(u"importProfile"_s), Qt::LeftButton);
    QTRY_COMPARE(saved.count(), 1);
    QCOMPARE(f.profiles.load(u"Legacy"_s)->dynatraceUrl, QUrl(b));
    QTRY_COMPARE(f.form()->dynatraceTokenEdit()->placeholderText(),
        u"saved for %1: not sent to %2. Paste the token for %2"_s.arg(a, b));
    const secrets::BoundSecret bound = storedBound(f.secretStore, dtKey(u"Legacy"_s));
    QCOMPARE(bound.origin, a);
    QCOMPARE(bound.value, token);
    QVERIFY(testing::removeSecret(f.secretStore, dtKey(u"Legacy"_s)));
}

// An entry written before secrets recorded their origin, and a profile edited to another URL: the save binds
// the entry to the origin it was saved under first, so that its first read does not bind it to the new one.
void TestProfilesDialog::urlEditedAndSaved_oldUnboundEntryStaysWithTheOldOrigin()
{
    DialogFixture f(m_dirs);
    const QString a = u"https://abc.live.dynatrace.com"_s;
    const QString b = u"https://evil.example.com"_s;
    QVERIFY(f.profiles.save(testing::storedProfile(u"Edited"_s, QUrl(a))));
    const QString token = u"dt0c01.EDITEDEDITED."_s + testing::uniqueSecret(u"edited"_s);
    CANARY_VERIFY_DONE(testing::writeSecret(f.secretStore, dtKey(u"Edited"_s), token)); // not sealed
    QVERIFY(f.show());
    f.dialog.selectProfile(u"Edited"_s);
    QTRY_COMPARE(f.form()->dynatraceTokenEdit()->placeholderText(), u"stored in the keychain"_s);
    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    replaceText(f.form()->dynatraceUrlEdit(), b);
    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QTRY_COMPARE(saved.count(), 1);
    QCOMPARE(f.profiles.load(u"Edited"_s)->dynatraceUrl, QUrl(b));
    const secrets::BoundSecret bound = storedBound(f.secretStore, dtKey(u"Edited"_s));
    QCOMPARE(bound.state, secrets::BoundSecret::State::Sealed);
    QCOMPARE(bound.origin, a);
    QCOMPARE(bound.value, token);
    QVERIFY(testing::removeSecret(f.secretStore, dtKey(u"Edited"_s)));
}

QTEST_MAIN(TestProfilesDialog)
#include "tst_profilesdialog.moc"
