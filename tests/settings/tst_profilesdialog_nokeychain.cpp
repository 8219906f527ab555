// The profiles dialog with no keychain: a private session bus without any Secret Service
// (with-keyring.sh --no-secret-service). Saving a secret fails with a message saying why, nothing is saved
// until the operator chooses "keep the token for this session only", and no file ever holds the token.

#include <QSignalSpy>

#include "dialogtestsupport.h"
#include "secrets/secretorigin.h"
#include "simfixture.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::secrets::SecretName;
using canary::testing::DialogFixture;
using canary::testing::SimFixture;

class TestProfilesDialogNoKeychain : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void save_saysWhy_offersThisSessionOnly_savesNothingUntilChosen();
    void existingProfile_saysTheKeychainIsUnavailable_editsWithoutSecretsStillSave();

private:
    testing::IsolatedXdgDirs m_dirs;
};

void TestProfilesDialogNoKeychain::initTestCase()
{
    QVERIFY2(qEnvironmentVariable("CANARY_TEST_SECRET_SERVICE") == u"none"_s,
        "run by ctest through tests/secrets/with-keyring.sh --no-secret-service");
    testing::forgetDesktopEnvironment();
    QVERIFY(m_dirs.setUp());
    QCoreApplication::setOrganizationName(u"canary-test"_s);
    QCoreApplication::setApplicationName(u"canary-console-test"_s);
    QVERIFY2(m_dirs.coversStandardLocations(), "QStandardPaths ignores the XDG variables");
}

void TestProfilesDialogNoKeychain::save_saysWhy_offersThisSessionOnly_savesNothingUntilChosen()
{
    SimFixture environment(30, 2);
    const QString token = environment.environment->token();
    DialogFixture f(m_dirs);
    QVERIFY(f.show());
    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    QTest::mouseClick(f.button(u"newProfile"_s), Qt::LeftButton);
    QTest::keyClicks(f.form()->nameEdit(), u"Laptop"_s);
    QTest::keyClicks(f.form()->dynatraceUrlEdit(), environment.environment->baseUrl().toString());
    QTest::keyClicks(f.form()->dynatraceTokenEdit(), token);

    QPushButton *keep = f.button(u"keepForSession"_s);
    QVERIFY(!keep->isVisible());
    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!f.dialog.isSaving(), 20'000);
    QVERIFY2(f.dialog.statusText().startsWith(
                 u"Not saved: no keychain available (no Secret Service on the "
                 "session bus): use DT_API_TOKEN or keep the token for this run only"_s),
        qPrintable(f.dialog.statusText()));
    QVERIFY(keep->isVisible());
    QCOMPARE(keep->text(), u"Keep the token for this session only"_s);
    QCOMPARE(saved.count(), 0);
    QCOMPARE(f.profiles.names(), QStringList { u"Demo"_s });
    QVERIFY(!f.secretStore.isSessionOnly()); // never silently
    QCOMPARE(f.form()->dynatraceTokenEdit()->text(), token); // nothing typed is lost
    QCOMPARE(m_dirs.filesContaining(token), QStringList());

    QTest::mouseClick(keep, Qt::LeftButton);
    QVERIFY(f.secretStore.isSessionOnly());
    QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20'000);
    QVERIFY(!keep->isVisible());
    QVERIFY2(
        f.dialog.statusText().contains(u"kept for this session only"_s), qPrintable(f.dialog.statusText()));
    QVERIFY(f.profiles.contains(u"Laptop"_s));
    const auto read
        = testing::readSecret(f.secretStore, secrets::secretKey(u"Laptop"_s, SecretName::DynatraceToken));
    QVERIFY(read && read->hasValue());
    QCOMPARE(secrets::unsealSecret(read->value().value).value, token);
    QCOMPARE(read->value().storage, secrets::Storage::SessionOnly);
    QTRY_COMPARE(f.form()->dynatraceTokenEdit()->placeholderText(), u"kept for this session only"_s);
    QCOMPARE(m_dirs.filesContaining(token), QStringList());
    QCOMPARE(m_dirs.filesContaining(token.section(u'.', 2)), QStringList());

    // The session's token serves "Test connection".
    QSignalSpy tested(&f.dialog, &ui::ProfilesDialog::connectionTested);
    QTest::mouseClick(f.button(u"testConnection"_s), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 1, 20'000);
    QVERIFY(f.find<QLabel>(u"tokenSource"_s)->text().contains(u"the one kept for this session"_s));
    QCOMPARE(f.statusOf(u"Dynatrace access token"_s), int(onboarding::CheckItem::Status::Ok));
}

void TestProfilesDialogNoKeychain::existingProfile_saysTheKeychainIsUnavailable_editsWithoutSecretsStillSave()
{
    DialogFixture f(m_dirs);
    QVERIFY(f.profiles.save(testing::storedProfile(u"Office"_s, QUrl(u"https://abc.live.dynatrace.com"_s))));
    QVERIFY(f.show());
    f.dialog.selectProfile(u"Office"_s);
    QTRY_COMPARE_WITH_TIMEOUT(
        f.form()->dynatraceTokenEdit()->placeholderText(), u"keychain unavailable"_s, 20'000);
    QVERIFY2(f.dialog.statusText().contains(u"no keychain available"_s), qPrintable(f.dialog.statusText()));

    // Nothing secret changed: the profile saves without asking the keychain.
    QSignalSpy saved(&f.dialog, &ui::ProfilesDialog::profileSaved);
    QLineEdit *resolution = f.edit(u"resolution"_s);
    resolution->setFocus();
    QTest::keyClicks(resolution, u"1m"_s);
    QTest::mouseClick(f.button(u"saveProfile"_s), Qt::LeftButton);
    QTRY_COMPARE(saved.count(), 1);
    QCOMPARE(f.profiles.load(u"Office"_s)->resolution, u"1m"_s);

    // Deleting says that the keychain could not be asked to remove the secrets.
    f.answers.enqueue(QMessageBox::Yes);
    QTest::mouseClick(f.button(u"deleteProfile"_s), Qt::LeftButton);
    QVERIFY(!f.profiles.contains(u"Office"_s));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.dialog.statusText().contains(u"could not be removed from the keychain"_s), 20'000);
}

QTEST_MAIN(TestProfilesDialogNoKeychain)
#include "tst_profilesdialog_nokeychain.moc"
