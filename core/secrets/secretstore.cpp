#include "secretstore.h"

#include <optional>

#include <QLoggingCategory>
#include <QTimer>
#include <qt6keychain/keychain.h>

#if defined(CANARY_SECRETS_DBUS_PROBE)
#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QDBusReply>
#include <QDBusVariant>
#include <QLibrary>
#endif

#include "credentials.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::secrets {

namespace {

// Keys and outcomes only: never a secret.
Q_LOGGING_CATEGORY(lcSecrets, "canary.secrets")

constexpr qsizetype maxKeyLength = 256;

QString nameSuffix(const QString &key)
{
    const qsizetype slash = key.lastIndexOf(u'/');
    return slash < 0 ? key : key.mid(slash + 1);
}

// "use DT_API_TOKEN or keep the token for this run only", by the kind of secret the key names.
QString alternatives(const QString &key)
{
    const QString suffix = nameSuffix(key);
    if (suffix == secretNameText(SecretName::DynatraceToken))
        return u"use DT_API_TOKEN or keep the token for this run only"_s;
    if (suffix == secretNameText(SecretName::AwxToken))
        return u"use CONTROLLER_OAUTH_TOKEN or keep the token for this run only"_s;
    if (suffix == secretNameText(SecretName::AwxPassword))
        return u"use CONTROLLER_PASSWORD or keep the password for this run only"_s;
    if (suffix == secretNameText(SecretName::KubeToken))
        return u"use KUBE_TOKEN or keep the token for this run only"_s;
    return u"use the environment or keep the secret for this run only"_s;
}

QString platformKeychainMissing()
{
#if defined(Q_OS_MACOS) || defined(Q_OS_IOS)
    return u"the Keychain is not reachable"_s;
#elif defined(Q_OS_WIN)
    return u"Credential Manager is not reachable"_s;
#else
    return u"no Secret Service on the session bus"_s;
#endif
}

SecretError makeError(SecretError::Kind kind, const QString &key, const QString &message,
    const QString &backendMessage = {}, int backendCode = 0)
{
    SecretError error;
    error.kind = kind;
    error.key = key;
    error.message = message;
    error.backendMessage = backendMessage;
    error.backendCode = backendCode;
    return error;
}

SecretError noBackend(const QString &key, const QString &reason, const QString &backendMessage, int code)
{
    return makeError(SecretError::Kind::NoBackend, key,
        u"no keychain available ("_s + reason + u"): "_s + alternatives(key), backendMessage, code);
}

SecretError lockedOrDenied(const QString &key, const QString &backendMessage, int code)
{
    return makeError(SecretError::Kind::LockedOrDenied, key,
        u"the keychain is locked or access was denied: unlock it and try again, or "_s + alternatives(key),
        backendMessage, code);
}

#if defined(CANARY_SECRETS_DBUS_PROBE)
// QtKeychain on Linux reports most Secret Service failures as OtherError with GLib's text ("Could not
// connect: …", "The name org.freedesktop.secrets was not provided by any .service files"). These probes
// tell "there is no keychain" and "the keychain is locked" apart from the rest, on the same session bus
// libsecret uses (only after a failure, so a working keychain costs nothing).
const QString secretsName = u"org.freedesktop.secrets"_s;
constexpr int probeTimeoutMs = 3000;

bool nameAvailable(const QDBusConnection &bus, const QString &name)
{
    const QDBusReply<bool> registered = bus.interface()->isServiceRegistered(name);
    if (registered.isValid() && registered.value())
        return true;
    const QDBusReply<QStringList> activatable = bus.interface()->activatableServiceNames();
    return activatable.isValid() && activatable.value().contains(name);
}

bool kwalletAvailable(const QDBusConnection &bus)
{
    return nameAvailable(bus, u"org.kde.kwalletd6"_s) || nameAvailable(bus, u"org.kde.kwalletd5"_s);
}

// Empty when a keychain is there; else what is missing.
struct Missing
{
    QString reason; // for the message: "no Secret Service on the session bus"
    QString finding; // for backendMessage
};

std::optional<Missing> missingKeychain()
{
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected()) {
        return Missing { platformKeychainMissing(),
            u"cannot connect to the session bus: "_s + bus.lastError().message() };
    }
    if (kwalletAvailable(bus))
        return std::nullopt;
    QLibrary libsecret(u"secret-1"_s, 0);
    if (!libsecret.load()) {
        return Missing { u"libsecret-1 is not installed"_s,
            u"QtKeychain needs libsecret-1.so.0 for the Secret Service: "_s + libsecret.errorString() };
    }
    if (!nameAvailable(bus, secretsName)) {
        return Missing { platformKeychainMissing(),
            secretsName + u" is neither running nor activatable on the session bus"_s };
    }
    return std::nullopt;
}

// Whether the collection QtKeychain writes to (the "default" alias) exists and is locked. libsecret asks to
// unlock it; with no prompt possible (or the prompt dismissed) a lookup finds nothing rather than failing.
bool defaultCollectionLocked()
{
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected() || !bus.interface()->isServiceRegistered(secretsName).value())
        return false;
    QDBusMessage readAlias = QDBusMessage::createMethodCall(
        secretsName, u"/org/freedesktop/secrets"_s, u"org.freedesktop.Secret.Service"_s, u"ReadAlias"_s);
    readAlias << u"default"_s;
    const QDBusMessage aliasReply = bus.call(readAlias, QDBus::Block, probeTimeoutMs);
    if (aliasReply.type() != QDBusMessage::ReplyMessage || aliasReply.arguments().isEmpty())
        return false;
    const QString path = aliasReply.arguments().constFirst().value<QDBusObjectPath>().path();
    if (path.isEmpty() || path == u"/"_s)
        return false;
    QDBusMessage get
        = QDBusMessage::createMethodCall(secretsName, path, u"org.freedesktop.DBus.Properties"_s, u"Get"_s);
    get << u"org.freedesktop.Secret.Collection"_s << u"Locked"_s;
    const QDBusMessage lockedReply = bus.call(get, QDBus::Block, probeTimeoutMs);
    if (lockedReply.type() != QDBusMessage::ReplyMessage || lockedReply.arguments().isEmpty())
        return false;
    return lockedReply.arguments().constFirst().value<QDBusVariant>().variant().toBool();
}
#endif

// QKeychain::Error → SecretError, one case per code.
SecretError fromJob(const QString &key, QKeychain::Error code, const QString &text)
{
    const int rawCode = static_cast<int>(code);
    switch (code) {
    case QKeychain::EntryNotFound:
#if defined(CANARY_SECRETS_DBUS_PROBE)
        if (defaultCollectionLocked())
            return lockedOrDenied(key, u"the default collection is locked; "_s + text, rawCode);
#endif
        return makeError(SecretError::Kind::NotFound, key, u"no entry in the keychain"_s, text, rawCode);
    case QKeychain::AccessDeniedByUser:
    case QKeychain::AccessDenied:
        return lockedOrDenied(key, text, rawCode);
    case QKeychain::NoBackendAvailable:
        return noBackend(key, platformKeychainMissing(), text, rawCode);
    case QKeychain::NotImplemented:
        return noBackend(key, u"QtKeychain has no keychain for this platform"_s, text, rawCode);
    case QKeychain::CouldNotDeleteEntry:
        return makeError(
            SecretError::Kind::Other, key, u"could not delete the keychain entry: "_s + text, text, rawCode);
    case QKeychain::OtherError:
    case QKeychain::NoError: // not an error; never passed here
        break;
    }
#if defined(CANARY_SECRETS_DBUS_PROBE)
    if (const std::optional<Missing> missing = missingKeychain())
        return noBackend(key, missing->reason, text + u" ("_s + missing->finding + u')', rawCode);
    // A dismissed or impossible unlock prompt surfaces as a generic failure.
    if (defaultCollectionLocked())
        return lockedOrDenied(key, u"the default collection is locked; "_s + text, rawCode);
#endif
    return makeError(SecretError::Kind::Other, key, u"keychain error: "_s + text, text, rawCode);
}

const char *kindName(SecretError::Kind kind)
{
    switch (kind) {
    case SecretError::Kind::NotFound:
        return "not found";
    case SecretError::Kind::NoBackend:
        return "no backend";
    case SecretError::Kind::LockedOrDenied:
        return "locked or denied";
    case SecretError::Kind::InvalidInput:
        return "invalid input";
    case SecretError::Kind::Other:
        break;
    }
    return "other";
}

// Every job: no plain-text fallback, ever; deleted once it has finished.
template<typename Job>
Job *newJob(const QString &service, const QString &key)
{
    auto *job = new Job(service);
    job->setInsecureFallback(false);
    job->setAutoDelete(true);
    job->setKey(key);
    return job;
}

// Every result arrives from the event loop, never from within the call that asked for it.
template<typename Callback, typename Result>
void deliverLater(const QObject *receiver, Callback onDone, Result result)
{
    QTimer::singleShot(
        0, receiver, [onDone = std::move(onDone), result = std::move(result)]() { onDone(result); });
}

void overwrite(QString &text)
{
    text.fill(QChar(u'\0'));
    text.clear();
}

} // namespace

QString secretNameText(SecretName name)
{
    switch (name) {
    case SecretName::DynatraceToken:
        return u"dynatrace-token"_s;
    case SecretName::AwxToken:
        return u"awx-token"_s;
    case SecretName::AwxPassword:
        return u"awx-password"_s;
    case SecretName::KubeToken:
        return u"kube-token"_s;
    }
    return {};
}

QString secretKey(const QString &profile, SecretName name)
{
    return profile + u'/' + secretNameText(name);
}

bool isValidProfileName(const QString &profile)
{
    return !profile.isEmpty() && !profile.contains(u'/')
        && SecretStore::keyProblem(secretKey(profile, SecretName::DynatraceToken)).isEmpty();
}

QString overridingVariable(SecretName name)
{
    return overridingVariables(name).constFirst();
}

QString SecretError::summary() const
{
    return key.isEmpty() ? message : key + u": "_s + message;
}

QString SecretStore::defaultService()
{
    return u"canary-console"_s;
}

SecretStore::SecretStore(QObject *parent)
    : SecretStore(defaultService(), parent)
{ }

SecretStore::SecretStore(const QString &service, QObject *parent)
    : QObject(parent)
    , m_service(service)
{ }

SecretStore::~SecretStore()
{
    forgetSession();
}

void SecretStore::setSessionOnly(bool sessionOnly)
{
    if (sessionOnly == m_sessionOnly)
        return;
    if (!sessionOnly)
        forgetSession();
    m_sessionOnly = sessionOnly;
    qCInfo(lcSecrets, "%s",
        sessionOnly ? "session-only: secrets are kept in memory for this run only"
                    : "keychain mode: the session's secrets were forgotten");
}

void SecretStore::forgetSession()
{
    for (auto it = m_session.begin(); it != m_session.end(); ++it)
        overwrite(it.value());
    m_session.clear();
}

QString SecretStore::keyProblem(const QString &key)
{
    if (key.trimmed().isEmpty())
        return u"the key is empty"_s;
    if (key.size() > maxKeyLength)
        return u"the key is longer than %1 characters"_s.arg(maxKeyLength);
    if (key.trimmed() != key)
        return u"the key starts or ends with whitespace"_s;
    for (const QChar c : key) {
        if (c.category() == QChar::Other_Control)
            return u"the key contains a control character"_s;
    }
    return {};
}

void SecretStore::read(const QString &key, const QObject *context, ReadCallback onDone)
{
    const QObject *receiver = context ? context : this;
    const auto deliver
        = [receiver, &onDone](auto result) { deliverLater(receiver, std::move(onDone), std::move(result)); };
    if (const QString problem = keyProblem(key); !problem.isEmpty()) {
        deliver(makeError(SecretError::Kind::InvalidInput, key, problem));
        return;
    }
    if (m_sessionOnly) {
        const auto it = m_session.constFind(key);
        if (it == m_session.constEnd())
            deliver(
                makeError(SecretError::Kind::NotFound, key, u"nothing held for this run under this key"_s));
        else
            deliver(Secret { key, it.value(), Storage::SessionOnly });
        return;
    }

    auto *job = newJob<QKeychain::ReadPasswordJob>(m_service, key);
    connect(job, &QKeychain::Job::finished, receiver, [job, key, onDone = std::move(onDone)]() {
        if (job->error() == QKeychain::NoError) {
            qCDebug(lcSecrets, "read %s: found", qUtf8Printable(key));
            onDone(Secret { key, job->textData(), Storage::Keychain });
            return;
        }
        const SecretError error = fromJob(key, job->error(), job->errorString());
        qCDebug(lcSecrets, "read %s: %s", qUtf8Printable(key), kindName(error.kind));
        onDone(error);
    });
    job->start();
}

void SecretStore::write(
    const QString &key, const QString &secret, const QObject *context, StoreCallback onDone)
{
    const QObject *receiver = context ? context : this;
    const auto deliver
        = [receiver, &onDone](auto result) { deliverLater(receiver, std::move(onDone), std::move(result)); };
    if (const QString problem = keyProblem(key); !problem.isEmpty()) {
        deliver(makeError(SecretError::Kind::InvalidInput, key, problem));
        return;
    }
    if (secret.isEmpty()) {
        deliver(makeError(SecretError::Kind::InvalidInput, key,
            u"refusing to store an empty secret (remove the entry instead)"_s));
        return;
    }
    if (m_sessionOnly) {
        QString &held = m_session[key];
        overwrite(held);
        held = secret;
        deliver(Stored { key, Storage::SessionOnly });
        return;
    }

    auto *job = newJob<QKeychain::WritePasswordJob>(m_service, key);
    job->setTextData(secret);
    connect(job, &QKeychain::Job::finished, receiver, [job, key, onDone = std::move(onDone)]() {
        if (job->error() == QKeychain::NoError) {
            qCDebug(lcSecrets, "write %s: stored", qUtf8Printable(key));
            onDone(Stored { key, Storage::Keychain });
            return;
        }
        const SecretError error = fromJob(key, job->error(), job->errorString());
        qCDebug(lcSecrets, "write %s: %s", qUtf8Printable(key), kindName(error.kind));
        onDone(error);
    });
    job->start();
}

void SecretStore::remove(const QString &key, const QObject *context, StoreCallback onDone)
{
    const QObject *receiver = context ? context : this;
    const auto deliver
        = [receiver, &onDone](auto result) { deliverLater(receiver, std::move(onDone), std::move(result)); };
    if (const QString problem = keyProblem(key); !problem.isEmpty()) {
        deliver(makeError(SecretError::Kind::InvalidInput, key, problem));
        return;
    }
    if (m_sessionOnly) {
        if (auto it = m_session.find(key); it != m_session.end()) {
            overwrite(it.value());
            m_session.erase(it);
        }
        deliver(Stored { key, Storage::SessionOnly });
        return;
    }

    auto *job = newJob<QKeychain::DeletePasswordJob>(m_service, key);
    connect(job, &QKeychain::Job::finished, receiver, [job, key, onDone = std::move(onDone)]() {
        // Deleting what is not there is what the caller wanted.
        if (job->error() == QKeychain::NoError || job->error() == QKeychain::EntryNotFound) {
            qCDebug(lcSecrets, "remove %s: done", qUtf8Printable(key));
            onDone(Stored { key, Storage::Keychain });
            return;
        }
        const SecretError error = fromJob(key, job->error(), job->errorString());
        qCDebug(lcSecrets, "remove %s: %s", qUtf8Printable(key), kindName(error.kind));
        onDone(error);
    });
    job->start();
}

} // namespace canary::secrets
