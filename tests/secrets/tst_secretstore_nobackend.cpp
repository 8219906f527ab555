// SecretStore with no keychain at all. CTest runs this twice (see tests/secrets/CMakeLists.txt):
//   test_secretstore_nobus        DBUS_SESSION_BUS_ADDRESS names a socket that does not exist
//   test_secretstore_noservice    a private session bus (with-keyring.sh --no-secret-service) without any
//                                 Secret Service, running or activatable
//   test_secretstore_nokwallet    the same bus under a KDE 4 desktop, where QtKeychain asks KWallet and,
//                                 were its fallback on, would write the secret into a QSettings file
// Either way every call fails with NoBackend and a message saying what to do, QtKeychain's plain-text
// fallback is never used (no file holds the secret), and session-only mode still works.

#include <QSettings>
#include <QTest>

#include "secrets/credentials.h"
#include "secrets/processguard.h"
#include "secrets/secretstore.h"
#include "secretstestsupport.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using namespace canary::secrets;

Q_DECLARE_METATYPE(canary::secrets::SecretName)

class TestSecretStoreNoBackend : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void writeFailsWithNoBackend_data();
    void writeFailsWithNoBackend();
    void readAndRemoveFailWithNoBackendNotNotFound();
    void neverThePlainTextFallback();
    void sessionOnlyStillWorks();
    void credentialsSayTheKeychainIsMissing();
    void crashOutputHoldsNoToken();

private:
    testing::IsolatedXdgDirs m_dirs;
    QString m_service;
};

void TestSecretStoreNoBackend::initTestCase()
{
    const QString setup = qEnvironmentVariable("CANARY_TEST_SECRET_SERVICE");
    const QString bus = qEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS");
    QVERIFY2(setup == u"none"_s || bus.contains(u"canary-no-such-bus"_s),
        "run by ctest: with a session bus address that leads nowhere, or through with-keyring.sh "
        "--no-secret-service");
    testing::forgetDesktopEnvironment();
    if (qEnvironmentVariable("CANARY_TEST_DESKTOP") == u"kde4"_s) {
        // QtKeychain then goes to KWallet (org.kde.kwalletd) without trying libsecret: the one Linux path on
        // which its plain-text fallback would write the secret into a file.
        qputenv("XDG_CURRENT_DESKTOP", "KDE");
        qputenv("KDE_SESSION_VERSION", "4");
    }
    QVERIFY(m_dirs.setUp());
    QCoreApplication::setOrganizationName(u"canary-test"_s);
    QCoreApplication::setApplicationName(u"canary-console-test"_s);
    QVERIFY2(m_dirs.coversStandardLocations(), "QStandardPaths ignores the XDG variables");
    m_service = testing::uniqueService();
}

void TestSecretStoreNoBackend::writeFailsWithNoBackend_data()
{
    QTest::addColumn<SecretName>("name");
    QTest::addColumn<QString>("expected");
    QTest::newRow("dynatrace-token") << SecretName::DynatraceToken
                                     << u"no keychain available (no Secret Service on the session bus): use "
                                        "DT_API_TOKEN or keep the token for this run only"_s;
    QTest::newRow("awx-token") << SecretName::AwxToken
                               << u"no keychain available (no Secret Service on the session bus): use "
                                  "CONTROLLER_OAUTH_TOKEN or keep the token for this run only"_s;
    QTest::newRow("awx-password") << SecretName::AwxPassword
                                  << u"no keychain available (no Secret Service on the session bus): use "
                                     "CONTROLLER_PASSWORD or keep the password for this run only"_s;
}

void TestSecretStoreNoBackend::writeFailsWithNoBackend()
{
    QFETCH(SecretName, name);
    QFETCH(QString, expected);
    SecretStore store(m_service);
    const QString key = secretKey(u"prod"_s, name);
    const QString token = testing::uniqueSecret(u"nobackend"_s);

    const auto written = testing::writeSecret(store, key, token);
    QVERIFY2(written, "no answer in time");
    QVERIFY2(!written->hasValue(), "written although there is no keychain");
    const SecretError &error = written->error();
    QCOMPARE(error.kind, SecretError::Kind::NoBackend);
    QCOMPARE(error.key, key);
    QCOMPARE(error.message, expected);
    QCOMPARE(error.summary(), key + u": "_s + expected);
    QVERIFY2(!error.backendMessage.isEmpty(), "QtKeychain's own text is kept for the details");
    QVERIFY(!error.backendMessage.contains(token));
    QVERIFY(!error.message.contains(token));
    QCOMPARE(m_dirs.filesContaining(token), QStringList());
}

void TestSecretStoreNoBackend::readAndRemoveFailWithNoBackendNotNotFound()
{
    SecretStore store(m_service);
    const QString key = secretKey(u"prod"_s, SecretName::DynatraceToken);

    const auto read = testing::readSecret(store, key);
    QVERIFY(read);
    QVERIFY(!read->hasValue());
    QCOMPARE(read->error().kind, SecretError::Kind::NoBackend);
    QVERIFY(read->error().message.startsWith(u"no keychain available"_s));

    const auto removed = testing::removeSecret(store, key);
    QVERIFY(removed);
    QVERIFY(!removed->hasValue());
    QCOMPARE(removed->error().kind, SecretError::Kind::NoBackend);
}

void TestSecretStoreNoBackend::neverThePlainTextFallback()
{
    SecretStore store(m_service);
    const QString token = testing::uniqueSecret(u"fallback"_s);
    QList<std::optional<StoreResult>> results;
    for (const SecretName name :
        { SecretName::DynatraceToken, SecretName::AwxToken, SecretName::AwxPassword })
        results.append(testing::writeSecret(store, secretKey(u"fallback"_s, name), token));

    // QtKeychain's fallback would have written QSettings(service) under XDG_CONFIG_HOME: nothing there, and
    // no file at all anywhere under the config, data, cache or state directories.
    QCOMPARE(m_dirs.filesContaining(token), QStringList());
    QCOMPARE(m_dirs.allFiles(), QStringList());
    QSettings plainTextStore(m_service);
    QCOMPARE(plainTextStore.allKeys(), QStringList());

    for (const auto &written : std::as_const(results)) {
        QVERIFY(written && !written->hasValue());
        QCOMPARE(written->error().kind, SecretError::Kind::NoBackend);
    }
}

void TestSecretStoreNoBackend::sessionOnlyStillWorks()
{
    SecretStore store(m_service);
    const QString key = secretKey(u"prod"_s, SecretName::DynatraceToken);
    const QString token = testing::uniqueSecret(u"session"_s);

    store.setSessionOnly(true);
    const auto written = testing::writeSecret(store, key, token);
    QVERIFY(written);
    QVERIFY2(written->hasValue(), canary::testing::describe(*written).constData());
    QCOMPARE(written->value().storage, Storage::SessionOnly);

    const auto read = testing::readSecret(store, key);
    QVERIFY(read && read->hasValue());
    QCOMPARE(read->value().value, token);
    QCOMPARE(read->value().storage, Storage::SessionOnly);
    QCOMPARE(m_dirs.filesContaining(token), QStringList());

    // Leaving session-only mode is explicit too: the keychain is still missing, and says so.
    store.setSessionOnly(false);
    const auto fromKeychain = testing::readSecret(store, key);
    QVERIFY(fromKeychain && !fromKeychain->hasValue());
    QCOMPARE(fromKeychain->error().kind, SecretError::Kind::NoBackend);
}

void TestSecretStoreNoBackend::credentialsSayTheKeychainIsMissing()
{
    // Without a keychain the token can still come from the environment, and the rest says why it is missing.
    SecretStore store(m_service);
    QProcessEnvironment environment;
    environment.insert(u"DT_API_TOKEN"_s, u"dt0c01.PUBLIC.FROMENV"_s);
    SecretDestinations destinations;
    destinations.awx = { u"https://awx.example"_s, u"https://awx.example"_s };
    const auto credentials = testing::awaitResult<Credentials>([&](const QObject *context, auto done) {
        loadCredentials(&store, u"prod"_s, environment, destinations, context, std::move(done));
    });
    QVERIFY(credentials);
    QCOMPARE(credentials->dynatraceToken.source, CredentialSource::Environment);
    QCOMPARE(credentials->awxToken.source, CredentialSource::None);
    QVERIFY(!credentials->awxToken.problem.isEmpty());
    // One line per secret it could not read, each naming the variable that would do instead.
    const QStringList problems = credentials->problems();
    QCOMPARE(problems.size(), 2);
    QVERIFY2(problems.at(0).startsWith(u"no keychain available"_s), qPrintable(problems.at(0)));
    QVERIFY2(problems.at(0).contains(u"CONTROLLER_OAUTH_TOKEN"_s), qPrintable(problems.at(0)));
    QVERIFY2(problems.at(1).contains(u"CONTROLLER_PASSWORD"_s), qPrintable(problems.at(1)));
}

// GCC announces ASan with __SANITIZE_ADDRESS__, clang only through __has_feature: the same test as
// processguard.cpp, which leaves core dumps alone under a sanitizer.
#if defined(__SANITIZE_ADDRESS__)
#define CANARY_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CANARY_TEST_ASAN 1
#endif
#endif

void TestSecretStoreNoBackend::crashOutputHoldsNoToken()
{
    // A core dump would hold every token in memory: the apps make themselves non-dumpable first thing.
    const QString outcome = protectCrashOutput();
#if defined(Q_OS_LINUX) && !defined(CANARY_TEST_ASAN)
    if (qEnvironmentVariableIntValue("CANARY_ALLOW_CORE_DUMPS") == 1)
        QSKIP("CANARY_ALLOW_CORE_DUMPS=1 keeps core dumps on purpose");
    QCOMPARE(outcome, u"core dumps disabled"_s);
    QVERIFY(!isDumpable());
#else
    QVERIFY(!outcome.isEmpty());
#endif
}

QTEST_GUILESS_MAIN(TestSecretStoreNoBackend)
#include "tst_secretstore_nobackend.moc"
