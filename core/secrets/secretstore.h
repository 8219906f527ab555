#pragma once

#include <functional>

#include <QHash>
#include <QObject>
#include <QString>

#include "util/expected.h"

namespace canary::secrets {

// The secrets a profile can hold, each under the key "<profile>/<name>".
enum class SecretName {
    DynatraceToken, // "<profile>/dynatrace-token"; DT_API_TOKEN overrides it
    AwxToken, // "<profile>/awx-token"; CONTROLLER_OAUTH_TOKEN overrides it
    AwxPassword, // "<profile>/awx-password"; CONTROLLER_PASSWORD overrides it
    KubeToken, // "<profile>/kube-token", for the profile's kube.server; KUBE_TOKEN overrides it
};

// "dynatrace-token", "awx-token", "awx-password", "kube-token".
QString secretNameText(SecretName name);
// "<profile>/<name>". The profile must be non-empty and free of '/' (the caller validates it with
// isValidProfileName, or gets an InvalidInput error from the store for the malformed key).
QString secretKey(const QString &profile, SecretName name);
bool isValidProfileName(const QString &profile);
// The environment variable that overrides the secret: DT_API_TOKEN, CONTROLLER_OAUTH_TOKEN,
// CONTROLLER_PASSWORD, KUBE_TOKEN.
QString overridingVariable(SecretName name);

// Where a secret was written to or read from.
enum class Storage {
    Keychain, // the platform keychain: Secret Service (GNOME Keyring, KWallet) / Keychain / Credential
              // Manager
    SessionOnly, // this process's memory only, chosen explicitly with SecretStore::setSessionOnly(true)
};

// Every way a secret call can fail, as one value. Never carries the secret itself.
struct SecretError
{
    enum class Kind {
        NotFound, // the keychain has no entry under the key (or the session holds none)
        NoBackend, // no keychain at all: no session bus, no Secret Service on it, no libsecret
        LockedOrDenied, // the keychain is locked (and could not be unlocked) or access was refused
        InvalidInput, // an empty or malformed key, an empty secret: nothing was sent to the keychain
        Other, // anything else, with the keychain's own text in `backendMessage`
    };

    Kind kind = Kind::Other;
    QString key;
    // One line for a dialog or stderr, naming what to do; see summary() for the line with the key.
    QString message;
    // QtKeychain's errorString() (or the probe's finding), verbatim; empty for our own errors.
    QString backendMessage;
    // The QKeychain::Error code (0 for errors found by the store itself).
    int backendCode = 0;

    // "<key>: <message>".
    QString summary() const;
};

// A secret that was read.
struct Secret
{
    QString key;
    QString value;
    Storage storage = Storage::Keychain;
};

// A write or a remove that completed.
struct Stored
{
    QString key;
    Storage storage = Storage::Keychain;
};

using ReadResult = Expected<Secret, SecretError>;
using StoreResult = Expected<Stored, SecretError>;
using ReadCallback = std::function<void(const ReadResult &)>;
using StoreCallback = std::function<void(const StoreResult &)>;

// The three calls on stored secrets, as SecretStore answers them: exactly one result per call, always later
// from the event loop, none once `context` died. What runs a transaction over secrets takes this rather than
// the SecretStore (profile::ProfileSaver), so that its rules can be tested with a keychain that refuses on
// demand.
class SecretAccess
{
public:
    virtual ~SecretAccess() = default;

    virtual void read(const QString &key, const QObject *context, ReadCallback onDone) = 0;
    virtual void write(
        const QString &key, const QString &secret, const QObject *context, StoreCallback onDone)
        = 0;
    virtual void remove(const QString &key, const QObject *context, StoreCallback onDone) = 0;
};

// Secrets in the platform keychain through QtKeychain's asynchronous jobs: Secret Service (GNOME Keyring,
// KWallet) on Linux, Keychain on macOS, Credential Manager on Windows. QtKeychain's insecure plain-text
// fallback is switched off on every job: with no keychain a call fails with NoBackend, and the application
// may then choose, explicitly and visibly, to keep secrets for this run only (setSessionOnly(true)).
//
// Every call delivers exactly one result to `onDone`, always later from the event loop (never from within
// the call), unless `context` died first. Calls run in the order they were made. A write either replaces
// the whole entry or fails and leaves the previous one as it was. Nothing here logs a secret.
class SecretStore final : public QObject, public SecretAccess
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SecretStore)

public:
    // The keychain service name (the Secret Service "server" attribute, the Keychain/Credential Manager
    // service) every key lives under.
    static QString defaultService();

    explicit SecretStore(QObject *parent = nullptr);
    // `service` other than defaultService() is for tests.
    explicit SecretStore(const QString &service, QObject *parent = nullptr);
    ~SecretStore() override;

    QString service() const { return m_service; }

    // Session-only mode keeps secrets in this object's memory and never touches the keychain. Switching it
    // off forgets (and overwrites) what the session held, so a read in keychain mode never answers from
    // memory.
    void setSessionOnly(bool sessionOnly);
    bool isSessionOnly() const { return m_sessionOnly; }

    void read(const QString &key, const QObject *context, ReadCallback onDone) override;
    // Replaces the entry under `key`. An empty secret is InvalidInput: remove() forgets a secret.
    void write(
        const QString &key, const QString &secret, const QObject *context, StoreCallback onDone) override;
    // Deletes the entry; removing a key that has no entry succeeds.
    void remove(const QString &key, const QObject *context, StoreCallback onDone) override;

    // Keys are "<profile>/<name>": non-empty, at most 256 characters, no control characters and no
    // surrounding whitespace. Returns the reason when the key is not acceptable, else an empty string.
    static QString keyProblem(const QString &key);

private:
    void forgetSession();

    QString m_service;
    bool m_sessionOnly = false;
    QHash<QString, QString> m_session;
};

} // namespace canary::secrets
