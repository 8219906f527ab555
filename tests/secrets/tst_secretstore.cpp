// SecretStore against a real Secret Service: GNOME Keyring on a private session bus, started for this test
// by with-keyring.sh (see tests/secrets/CMakeLists.txt).

#include <algorithm>

#include <QDBusConnection>
#include <QLoggingCategory>
#include <QMutex>
#include <QSettings>
#include <QTest>

#include "keyringcontrol.h"
#include "net/redaction.h"
#include "secrets/credentials.h"
#include "secrets/secretstore.h"
#include "secretstestsupport.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using namespace canary::secrets;

namespace {

// Every message logged while the tests run, to prove that no secret ever reaches a log.
QMutex logMutex;
QStringList logged;
QtMessageHandler previousHandler = nullptr;
QLoggingCategory::CategoryFilter previousFilter = nullptr;

// canary.secrets logs everything, whatever QT_LOGGING_RULES says (ctest turns debug output off).
void enableSecretsLogging(QLoggingCategory *category)
{
    if (previousFilter)
        previousFilter(category);
    if (qstrcmp(category->categoryName(), "canary.secrets") == 0) {
        for (const QtMsgType type : { QtDebugMsg, QtInfoMsg, QtWarningMsg, QtCriticalMsg })
            category->setEnabled(type, true);
    }
}

void captureMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    {
        const QMutexLocker lock(&logMutex);
        logged.append(message);
    }
    if (previousHandler)
        previousHandler(type, context, message);
}

} // namespace

class TestSecretStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void keysNameProfileAndSecret();
    void roundTripThroughTheSecretService();
    void profilesAndNamesAreSeparateEntries();
    void tokenLandsInTheKeychainNotInAnyFile();
    void callsAnswerOnceAndInOrder();
    void deadContextGetsNoResult();
    void badInputNeverReachesTheKeychain();
    void sessionOnlyNeverTouchesTheKeychain();
    void lockedKeychainIsReportedAndNothingHalfSaved();
    void noSecretIsEverLogged();
    void credentialsFromKeychainAndEnvironment();
    void secretGoesOnlyToTheOriginItWasSavedFor();
    void oldEntryIsBoundOnceToTheProfilesOrigin();
    void oldEntryWithoutAProfileOriginIsNotUsed();
    void unreadableEntryIsNotUsed();

private:
    testing::IsolatedXdgDirs m_dirs;
    QString m_service;
    QStringList m_secretsUsed;

    QString secret(const QString &label)
    {
        m_secretsUsed.append(testing::uniqueSecret(label));
        return m_secretsUsed.constLast();
    }
};

void TestSecretStore::initTestCase()
{
    QVERIFY2(qEnvironmentVariable("CANARY_TEST_SECRET_SERVICE") == u"gnome-keyring"_s,
        "run through tests/secrets/with-keyring.sh (ctest does), which starts GNOME Keyring on a private "
        "bus");
    testing::forgetDesktopEnvironment();
    QVERIFY(m_dirs.setUp());
    QCoreApplication::setOrganizationName(u"canary-test"_s);
    QCoreApplication::setApplicationName(u"canary-console-test"_s);
    QVERIFY2(m_dirs.coversStandardLocations(), "QStandardPaths ignores the XDG variables");
    m_service = testing::uniqueService();

    previousFilter = QLoggingCategory::installFilter(enableSecretsLogging);
    previousHandler = qInstallMessageHandler(captureMessage);

    qDBusRegisterMetaType<testing::PlainSecret>();
    QVERIFY2(QDBusConnection::sessionBus().isConnected(), "no session bus");
    QVERIFY2(!testing::defaultCollection().path().isEmpty(), "the Secret Service has no default collection");
    QVERIFY(!testing::isLocked(testing::defaultCollection()));
}

void TestSecretStore::cleanupTestCase()
{
    qInstallMessageHandler(previousHandler);
    previousHandler = nullptr;
    QLoggingCategory::installFilter(previousFilter);
}

void TestSecretStore::keysNameProfileAndSecret()
{
    QCOMPARE(SecretStore::defaultService(), u"canary-console"_s);
    QCOMPARE(SecretStore().service(), u"canary-console"_s);
    QCOMPARE(secretKey(u"prod"_s, SecretName::DynatraceToken), u"prod/dynatrace-token"_s);
    QCOMPARE(secretKey(u"prod"_s, SecretName::AwxToken), u"prod/awx-token"_s);
    QCOMPARE(secretKey(u"prod"_s, SecretName::AwxPassword), u"prod/awx-password"_s);
    QCOMPARE(overridingVariable(SecretName::DynatraceToken), u"DT_API_TOKEN"_s);
    QCOMPARE(overridingVariable(SecretName::AwxToken), u"CONTROLLER_OAUTH_TOKEN"_s);
    QCOMPARE(overridingVariable(SecretName::AwxPassword), u"CONTROLLER_PASSWORD"_s);
    QVERIFY(isValidProfileName(u"prod-eu"_s));
    QVERIFY(!isValidProfileName(u""_s));
    QVERIFY(!isValidProfileName(u"a/b"_s));
    QVERIFY(!isValidProfileName(u" prod"_s));
}

void TestSecretStore::roundTripThroughTheSecretService()
{
    SecretStore store(m_service);
    const QString key = secretKey(u"roundtrip"_s, SecretName::DynatraceToken);
    const QString first = secret(u"first"_s);
    const QString second = secret(u"second"_s);

    auto written = testing::writeSecret(store, key, first);
    QVERIFY(written);
    QVERIFY2(written->hasValue(), canary::testing::describe(*written).constData());
    QCOMPARE(written->value().key, key);
    QCOMPARE(written->value().storage, Storage::Keychain);

    auto read = testing::readSecret(store, key);
    QVERIFY(read);
    QVERIFY2(read->hasValue(), canary::testing::describe(*read).constData());
    QCOMPARE(read->value().value, first);
    QCOMPARE(read->value().storage, Storage::Keychain);

    // A second store (another run of the app) finds it: it is in the keychain, not in the object.
    SecretStore other(m_service);
    read = testing::readSecret(other, key);
    QVERIFY(read && read->hasValue());
    QCOMPARE(read->value().value, first);

    written = testing::writeSecret(store, key, second);
    QVERIFY(written && written->hasValue());
    read = testing::readSecret(store, key);
    QVERIFY(read && read->hasValue());
    QCOMPARE(read->value().value, second);

    auto removed = testing::removeSecret(store, key);
    QVERIFY(removed);
    QVERIFY2(removed->hasValue(), canary::testing::describe(*removed).constData());

    read = testing::readSecret(store, key);
    QVERIFY(read);
    QVERIFY(!read->hasValue());
    QCOMPARE(read->error().kind, SecretError::Kind::NotFound);
    QCOMPARE(read->error().key, key);
    QVERIFY(!read->error().message.isEmpty());

    // Removing what is not there is no error.
    removed = testing::removeSecret(store, key);
    QVERIFY(removed && removed->hasValue());

    // Another service does not see this one's entries.
    CANARY_VERIFY_DONE(testing::writeSecret(store, key, first));
    SecretStore elsewhere(testing::uniqueService());
    read = testing::readSecret(elsewhere, key);
    QVERIFY(read && !read->hasValue());
    QCOMPARE(read->error().kind, SecretError::Kind::NotFound);
    CANARY_VERIFY_DONE(testing::removeSecret(store, key));
}

void TestSecretStore::profilesAndNamesAreSeparateEntries()
{
    SecretStore store(m_service);
    QHash<QString, QString> expected;
    for (const QString &profile : { u"prod"_s, u"stage"_s }) {
        for (const SecretName name :
            { SecretName::DynatraceToken, SecretName::AwxToken, SecretName::AwxPassword }) {
            const QString key = secretKey(profile, name);
            expected.insert(key, secret(key));
            const auto written = testing::writeSecret(store, key, expected.value(key));
            QVERIFY(written && written->hasValue());
        }
    }
    for (auto it = expected.cbegin(); it != expected.cend(); ++it) {
        const auto read = testing::readSecret(store, it.key());
        QVERIFY(read && read->hasValue());
        QCOMPARE(read->value().value, it.value());
    }
    for (auto it = expected.cbegin(); it != expected.cend(); ++it)
        CANARY_VERIFY_DONE(testing::removeSecret(store, it.key()));
}

void TestSecretStore::tokenLandsInTheKeychainNotInAnyFile()
{
    SecretStore store(m_service);
    const QString key = secretKey(u"files"_s, SecretName::DynatraceToken);
    const QString token = secret(u"token"_s);

    const auto written = testing::writeSecret(store, key, token);
    QVERIFY(written && written->hasValue());

    // It is in the Secret Service...
    SecretStore fresh(m_service);
    const auto read = testing::readSecret(fresh, key);
    QVERIFY(read && read->hasValue());
    QCOMPARE(read->value().value, token);

    // ...and in no file under the config or data directories (nor cache or state).
    QCOMPARE(m_dirs.filesContaining(token), QStringList());
    QSettings plainTextStore(m_service);
    QCOMPARE(plainTextStore.allKeys(), QStringList());

    CANARY_VERIFY_DONE(testing::removeSecret(store, key));
}

void TestSecretStore::callsAnswerOnceAndInOrder()
{
    SecretStore store(m_service);
    const QString key = secretKey(u"order"_s, SecretName::AwxToken);
    const QString a = secret(u"a"_s);
    const QString b = secret(u"b"_s);

    QStringList events;
    int pending = 4;
    QObject context;
    store.write(key, a, &context, [&](const StoreResult &r) {
        events.append(r.hasValue() ? u"write a"_s : r.error().summary());
        --pending;
    });
    store.write(key, b, &context, [&](const StoreResult &r) {
        events.append(r.hasValue() ? u"write b"_s : r.error().summary());
        --pending;
    });
    store.read(key, &context, [&](const ReadResult &r) {
        events.append(
            r.hasValue() ? (r.value().value == b ? u"read b"_s : u"read other"_s) : r.error().summary());
        --pending;
    });
    store.remove(key, &context, [&](const StoreResult &r) {
        events.append(r.hasValue() ? u"remove"_s : r.error().summary());
        --pending;
    });
    QVERIFY(events.isEmpty()); // never answered from within the call
    QTRY_COMPARE_WITH_TIMEOUT(pending, 0, 30'000);
    // Results come in call order, so once a later call has answered, a second answer to any earlier one
    // would already be here.
    bool sentinel = false;
    store.read(key, &context, [&](const ReadResult &) { sentinel = true; });
    QTRY_VERIFY_WITH_TIMEOUT(sentinel, 30'000);
    QCOMPARE(events, QStringList({ u"write a"_s, u"write b"_s, u"read b"_s, u"remove"_s }));
}

void TestSecretStore::deadContextGetsNoResult()
{
    SecretStore store(m_service);
    const QString key = secretKey(u"context"_s, SecretName::DynatraceToken);
    int calls = 0;
    {
        QObject context;
        store.write(key, secret(u"late"_s), &context, [&calls](const StoreResult &) { ++calls; });
    }
    // The job still runs to its end (QtKeychain's jobs cannot be cancelled); only the answer is dropped.
    const auto read = testing::readSecret(store, key);
    QVERIFY(read && read->hasValue());
    QCOMPARE(calls, 0);
    CANARY_VERIFY_DONE(testing::removeSecret(store, key));
}

void TestSecretStore::badInputNeverReachesTheKeychain()
{
    SecretStore store(m_service);
    const QString key = secretKey(u"input"_s, SecretName::AwxPassword);
    const QString kept = secret(u"kept"_s);
    CANARY_VERIFY_DONE(testing::writeSecret(store, key, kept));

    auto written = testing::writeSecret(store, key, QString());
    QVERIFY(written && !written->hasValue());
    QCOMPARE(written->error().kind, SecretError::Kind::InvalidInput);

    for (const QString &badKey : { QString(), u"  "_s, u" prod/awx-token"_s, u"prod/awx-token\n"_s,
             u"prod/\u0001token"_s, QString(300, u'k') }) {
        written = testing::writeSecret(store, badKey, kept);
        QVERIFY(written && !written->hasValue());
        QCOMPARE(written->error().kind, SecretError::Kind::InvalidInput);
        const auto read = testing::readSecret(store, badKey);
        QVERIFY(read && !read->hasValue());
        QCOMPARE(read->error().kind, SecretError::Kind::InvalidInput);
        const auto removed = testing::removeSecret(store, badKey);
        QVERIFY(removed && !removed->hasValue());
        QCOMPARE(removed->error().kind, SecretError::Kind::InvalidInput);
    }

    // The refused write left the entry as it was.
    const auto read = testing::readSecret(store, key);
    QVERIFY(read && read->hasValue());
    QCOMPARE(read->value().value, kept);
    CANARY_VERIFY_DONE(testing::removeSecret(store, key));
}

void TestSecretStore::sessionOnlyNeverTouchesTheKeychain()
{
    SecretStore store(m_service);
    SecretStore keychain(m_service);
    const QString key = secretKey(u"session"_s, SecretName::DynatraceToken);
    const QString token = secret(u"session"_s);

    store.setSessionOnly(true);
    QVERIFY(store.isSessionOnly());
    auto read = testing::readSecret(store, key);
    QVERIFY(read && !read->hasValue());
    QCOMPARE(read->error().kind, SecretError::Kind::NotFound);

    const auto written = testing::writeSecret(store, key, token);
    QVERIFY(written && written->hasValue());
    QCOMPARE(written->value().storage, Storage::SessionOnly);
    read = testing::readSecret(store, key);
    QVERIFY(read && read->hasValue());
    QCOMPARE(read->value().value, token);
    QCOMPARE(read->value().storage, Storage::SessionOnly);

    // Not in the keychain, not in a file.
    read = testing::readSecret(keychain, key);
    QVERIFY(read && !read->hasValue());
    QCOMPARE(read->error().kind, SecretError::Kind::NotFound);
    QCOMPARE(m_dirs.filesContaining(token), QStringList());

    // Back to the keychain: the session's secret is forgotten, never answered silently.
    store.setSessionOnly(false);
    read = testing::readSecret(store, key);
    QVERIFY(read && !read->hasValue());
    QCOMPARE(read->error().kind, SecretError::Kind::NotFound);

    store.setSessionOnly(true);
    read = testing::readSecret(store, key);
    QVERIFY(read && !read->hasValue());
    QCOMPARE(read->error().kind, SecretError::Kind::NotFound);
    CANARY_VERIFY_DONE(testing::writeSecret(store, key, token));
    const auto removed = testing::removeSecret(store, key);
    QVERIFY(removed && removed->hasValue());
    QCOMPARE(removed->value().storage, Storage::SessionOnly);
    read = testing::readSecret(store, key);
    QVERIFY(read && !read->hasValue());
}

void TestSecretStore::lockedKeychainIsReportedAndNothingHalfSaved()
{
    SecretStore store(m_service);
    const QString key = secretKey(u"locked"_s, SecretName::DynatraceToken);
    const QString before = secret(u"before-lock"_s);
    const QString attempted = secret(u"while-locked"_s);
    CANARY_VERIFY_DONE(testing::writeSecret(store, key, before));

    const QDBusObjectPath collection = testing::defaultCollection();
    const QString locked = testing::lockKeychain();
    QVERIFY2(locked.isEmpty(), qPrintable(locked));
    QVERIFY(testing::isLocked(collection));

    // No prompt can appear (the private bus activates no prompter): the store says "locked".
    const auto read = testing::readSecret(store, key);
    QVERIFY(read);
    QVERIFY(!read->hasValue());
    QCOMPARE(read->error().kind, SecretError::Kind::LockedOrDenied);
    QVERIFY2(read->error().message.startsWith(u"the keychain is locked or access was denied"_s),
        qPrintable(read->error().message));
    QVERIFY2(read->error().message.contains(u"DT_API_TOKEN"_s), qPrintable(read->error().message));
    qInfo("read from a locked keychain: code %d, %s", read->error().backendCode,
        qPrintable(read->error().backendMessage));

    const auto written = testing::writeSecret(store, key, attempted);
    QVERIFY(written);
    QVERIFY2(!written->hasValue(), "a write into a locked keychain succeeded");
    QCOMPARE(written->error().kind, SecretError::Kind::LockedOrDenied);
    qInfo("write into a locked keychain: code %d, %s", written->error().backendCode,
        qPrintable(written->error().backendMessage));

    // Unlock (as the user would) and find the entry exactly as before: nothing half-saved.
    const QString unlocked = testing::unlockKeychain();
    QVERIFY2(unlocked.isEmpty(), qPrintable(unlocked));
    QVERIFY(!testing::isLocked(collection));

    const auto after = testing::readSecret(store, key);
    QVERIFY(after && after->hasValue());
    QCOMPARE(after->value().value, before);
    CANARY_VERIFY_DONE(testing::removeSecret(store, key));
    QCOMPARE(m_dirs.filesContaining(attempted), QStringList());
}

void TestSecretStore::noSecretIsEverLogged()
{
    const QMutexLocker lock(&logMutex);
    const auto fromStore = [](const QString &message) { return message.startsWith(u"read "_s); };
    QVERIFY2(std::any_of(logged.cbegin(), logged.cend(), fromStore),
        "the store's debug messages were not captured: is canary.secrets.debug enabled?");
    QVERIFY(m_secretsUsed.size() > 10);
    for (qsizetype i = 0; i < logged.size(); ++i) {
        for (const QString &secret : std::as_const(m_secretsUsed))
            QVERIFY2(
                !logged.at(i).contains(secret), qPrintable(u"a secret was logged (message %1)"_s.arg(i)));
    }
}

// The apps read a profile's secrets this way: the environment wins, the keychain fills the rest, and what is
// found never reaches a log line.
void TestSecretStore::credentialsFromKeychainAndEnvironment()
{
    SecretStore store(m_service);
    const QString profile = u"staging"_s;
    const QString dtToken
        = u"dt0c01.STAGINGPUBLICPARTXXXXXXX.STAGINGSECRETPART0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"_s;
    CANARY_VERIFY_DONE(testing::writeSecret(store, secretKey(profile, SecretName::DynatraceToken), dtToken));
    CANARY_VERIFY_DONE(
        testing::writeSecret(store, secretKey(profile, SecretName::AwxToken), u"awx-keychain-token"_s));

    SecretDestinations destinations;
    destinations.dynatrace
        = { u"https://staging.live.dynatrace.com"_s, u"https://staging.live.dynatrace.com"_s };
    destinations.awx = { u"https://awx.example"_s, u"https://awx.example"_s };
    const auto load = [&](const QProcessEnvironment &environment) {
        return testing::awaitResult<Credentials>([&](const QObject *context, auto done) {
            loadCredentials(&store, profile, environment, destinations, context, std::move(done));
        });
    };

    QProcessEnvironment environment;
    environment.insert(u"CONTROLLER_OAUTH_TOKEN"_s, u"awx-from-environment"_s);
    environment.insert(u"PATH"_s, u"/usr/bin"_s);
    const auto credentials = load(environment);
    QVERIFY(credentials);
    QCOMPARE(credentials->dynatraceToken.value, dtToken);
    QCOMPARE(credentials->dynatraceToken.source, CredentialSource::Keychain);
    QCOMPARE(credentials->awxToken.value, u"awx-from-environment"_s); // the environment overrides
    QCOMPARE(credentials->awxToken.source, CredentialSource::Environment);
    QCOMPARE(credentials->awxPassword.source, CredentialSource::None);
    QVERIFY(credentials->awxPassword.problem.isEmpty()); // not stored is no problem
    QVERIFY(credentials->problems().isEmpty());

    // What came from the keychain is offered under the overriding variables, in a copy only.
    const QProcessEnvironment effective = credentials->applyTo(environment);
    QCOMPARE(effective.value(u"DT_API_TOKEN"_s), dtToken);
    QCOMPARE(effective.value(u"CONTROLLER_OAUTH_TOKEN"_s), u"awx-from-environment"_s);
    QVERIFY(!effective.contains(u"CONTROLLER_PASSWORD"_s));
    QVERIFY(qEnvironmentVariableIsEmpty("DT_API_TOKEN") || qgetenv("DT_API_TOKEN") != dtToken.toUtf8());

    // Found secrets are masked wherever they would be logged.
    QCOMPARE(net::redactSecrets(u"awx token awx-from-environment"_s), u"awx token ***"_s);
    QVERIFY(!net::redactSecrets(dtToken).contains(u"STAGINGSECRETPART"_s));

    // DYNATRACE_API_TOKEN counts as DT_API_TOKEN; another profile's environment loses the overrides.
    QProcessEnvironment alias;
    alias.insert(u"DYNATRACE_API_TOKEN"_s, u"dt0c01.ALIAS.SECRET"_s);
    QCOMPARE(load(alias)->dynatraceToken.source, CredentialSource::Environment);
    const QProcessEnvironment stripped = withoutOverrides(environment);
    QVERIFY(!stripped.contains(u"CONTROLLER_OAUTH_TOKEN"_s));
    QCOMPARE(stripped.value(u"PATH"_s), u"/usr/bin"_s);
    QCOMPARE(load(stripped)->awxToken.value, u"awx-keychain-token"_s);
}

// A keychain secret names the origin it was saved for; a run that would send it elsewhere (an imported
// profile with another URL, DT_ENV_URL, a flag) does not get it.
void TestSecretStore::secretGoesOnlyToTheOriginItWasSavedFor()
{
    SecretStore store(m_service);
    const QString profile = u"bound"_s;
    const QString tenant = u"https://prod.live.dynatrace.com"_s;
    const QString token
        = u"dt0c01.BOUNDPUBLICPARTXXXXXXXXXX.BOUNDSECRETPART0123456789ABCDEFGHIJKLMNOPQRSTUVWX"_s;
    const QString kubeToken = u"kube-token-for-the-prod-api-server"_s;
    CANARY_VERIFY_DONE(testing::writeSecret(
        store, secretKey(profile, SecretName::DynatraceToken), sealSecret(token, tenant)));
    CANARY_VERIFY_DONE(testing::writeSecret(
        store, secretKey(profile, SecretName::KubeToken), sealSecret(kubeToken, u"https://k8s.prod:6443"_s)));
    const auto load = [&](const SecretDestinations &destinations) {
        return testing::awaitResult<Credentials>([&](const QObject *context, auto done) {
            loadCredentials(&store, profile, QProcessEnvironment(), destinations, context, std::move(done));
        });
    };

    SecretDestinations home;
    home.dynatrace = { tenant, tenant };
    home.kube = { u"https://k8s.prod:6443"_s, u"https://k8s.prod:6443"_s };
    const auto atHome = load(home);
    QVERIFY(atHome);
    QCOMPARE(atHome->dynatraceToken.value, token);
    QCOMPARE(atHome->dynatraceToken.origin, tenant);
    QCOMPARE(atHome->kubeToken.value, kubeToken);
    QVERIFY(atHome->mismatches().isEmpty());
    QCOMPARE(atHome->applyTo({}).value(u"KUBE_TOKEN"_s), kubeToken);
    QVERIFY(atHome->migrations.isEmpty());

    // The profile (or the environment) now points at another host: nothing of the secret leaves.
    SecretDestinations moved = home;
    moved.dynatrace.runOrigin = u"https://attacker.example"_s;
    moved.kube.runOrigin = u"https://k8s.prod:7443"_s; // another port is another origin
    const auto elsewhere = load(moved);
    QVERIFY(elsewhere);
    QVERIFY(elsewhere->dynatraceToken.value.isEmpty());
    QCOMPARE(elsewhere->dynatraceToken.source, CredentialSource::None);
    QVERIFY(elsewhere->kubeToken.value.isEmpty());
    const QList<OriginMismatch> mismatches = elsewhere->mismatches();
    QCOMPARE(mismatches.size(), 2);
    QCOMPARE(mismatches.at(0).savedFor, tenant);
    QCOMPARE(mismatches.at(0).wouldGoTo, u"https://attacker.example"_s);
    QVERIFY2(mismatches.at(0).describe().contains(tenant)
            && mismatches.at(0).describe().contains(u"https://attacker.example"_s),
        qPrintable(mismatches.at(0).describe()));
    QVERIFY(!mismatches.at(0).describe().contains(u"BOUNDSECRETPART"_s));
    const QProcessEnvironment applied = elsewhere->applyTo({});
    QVERIFY(!applied.contains(u"DT_API_TOKEN"_s));
    QVERIFY(!applied.contains(u"KUBE_TOKEN"_s));

    // A secret this run sends nowhere is not even read out of the keychain.
    SecretDestinations nowhere;
    nowhere.dynatrace.profileOrigin = tenant;
    const auto unused = load(nowhere);
    QVERIFY(unused);
    QCOMPARE(unused->dynatraceToken.source, CredentialSource::None);
    QVERIFY(unused->dynatraceToken.mismatch == std::nullopt);
}

// An entry saved before secrets recorded their origin belongs to the origin the stored profile names when it
// is first read: it is written back sealed, the migration is logged once, and from then on it is bound.
void TestSecretStore::oldEntryIsBoundOnceToTheProfilesOrigin()
{
    SecretStore store(m_service);
    const QString profile = u"legacy"_s;
    const QString key = secretKey(profile, SecretName::AwxToken);
    CANARY_VERIFY_DONE(testing::writeSecret(store, key, u"awxLegacyToken0123456789abcdef"_s));
    const auto load = [&](const SecretDestinations &destinations) {
        return testing::awaitResult<Credentials>([&](const QObject *context, auto done) {
            loadCredentials(&store, profile, QProcessEnvironment(), destinations, context, std::move(done));
        });
    };

    // The first read already comes with CONTROLLER_HOST pointing elsewhere: the entry is bound to the
    // profile's AWX, not to the environment's, and not handed out.
    SecretDestinations destinations;
    destinations.awx = { u"https://awx.corp.example"_s, u"https://awx.evil.example"_s };
    const auto first = load(destinations);
    QVERIFY(first);
    QCOMPARE(first->migrations.size(), 1);
    QVERIFY2(first->migrations.constFirst().contains(u"https://awx.corp.example"_s),
        qPrintable(first->migrations.constFirst()));
    QVERIFY(first->awxToken.value.isEmpty());
    QVERIFY(first->awxToken.mismatch.has_value());
    QCOMPARE(first->awxToken.mismatch->savedFor, u"https://awx.corp.example"_s);

    // Written back sealed before the credentials were answered: a run that ends right after cannot leave
    // the entry unbound, to be bound to another origin by a later run.
    QCOMPARE(
        unsealSecret(testing::readSecret(store, key)->value().value).origin, u"https://awx.corp.example"_s);
    QCOMPARE(unsealSecret(testing::readSecret(store, key)->value().value).value,
        u"awxLegacyToken0123456789abcdef"_s);

    // Once bound, a profile that names another AWX does not re-bind it.
    destinations.awx = { u"https://awx.other.example"_s, u"https://awx.corp.example"_s };
    const auto second = load(destinations);
    QVERIFY(second);
    QVERIFY(second->migrations.isEmpty());
    QCOMPARE(second->awxToken.value, u"awxLegacyToken0123456789abcdef"_s);
}

// A sealed-looking entry this version cannot read (a newer version's, a forged origin) is not used, and not
// "migrated" either.
void TestSecretStore::unreadableEntryIsNotUsed()
{
    SecretStore store(m_service);
    const QString key = secretKey(u"forged"_s, SecretName::DynatraceToken);
    const QString forged
        = u"{\"canary-secret\":2,\"origin\":\"https://a.example\",\"value\":\"dt0c01.FORGED.SECRETVALUE\"}"_s;
    CANARY_VERIFY_DONE(testing::writeSecret(store, key, forged));
    SecretDestinations destinations;
    destinations.dynatrace = { u"https://b.example"_s, u"https://b.example"_s };
    const auto credentials = testing::awaitResult<Credentials>([&](const QObject *context, auto done) {
        loadCredentials(&store, u"forged"_s, QProcessEnvironment(), destinations, context, std::move(done));
    });
    QVERIFY(credentials);
    QVERIFY(credentials->dynatraceToken.value.isEmpty());
    QVERIFY(credentials->migrations.isEmpty());
    QVERIFY2(credentials->dynatraceToken.problem.contains(u"cannot read"_s),
        qPrintable(credentials->dynatraceToken.problem));
    QVERIFY(!credentials->dynatraceToken.problem.contains(u"SECRETVALUE"_s));
    QCOMPARE(testing::readSecret(store, key)->value().value, forged); // untouched
}

// An old entry of a profile that names no URL for it (or no stored profile at all: a --config file) is not
// bound to whatever the run names, and not used.
void TestSecretStore::oldEntryWithoutAProfileOriginIsNotUsed()
{
    SecretStore store(m_service);
    const QString profile = u"unanchored"_s;
    const QString key = secretKey(profile, SecretName::DynatraceToken);
    CANARY_VERIFY_DONE(testing::writeSecret(store, key, u"dt0c01.UNANCHORED.SECRETVALUE"_s));
    SecretDestinations destinations;
    destinations.dynatrace.runOrigin = u"https://from-a-config-file.example"_s;
    const auto credentials = testing::awaitResult<Credentials>([&](const QObject *context, auto done) {
        loadCredentials(&store, profile, QProcessEnvironment(), destinations, context, std::move(done));
    });
    QVERIFY(credentials);
    QVERIFY(credentials->dynatraceToken.value.isEmpty());
    QVERIFY(credentials->migrations.isEmpty());
    QVERIFY2(credentials->dynatraceToken.problem.contains(u"save it again"_s),
        qPrintable(credentials->dynatraceToken.problem));
    QVERIFY(!credentials->dynatraceToken.problem.contains(u"SECRETVALUE"_s));
    // Still the old, unsealed entry: nothing was written.
    QCOMPARE(testing::readSecret(store, key)->value().value, u"dt0c01.UNANCHORED.SECRETVALUE"_s);
}

QTEST_GUILESS_MAIN(TestSecretStore)
#include "tst_secretstore.moc"
