#pragma once

#include <functional>
#include <optional>

#include <QProcessEnvironment>
#include <QString>

#include "secretorigin.h"
#include "secretstore.h"

namespace canary::secrets {

// Where one of a profile's secrets came from.
enum class CredentialSource {
    None, // neither the environment nor the keychain has it
    Environment, // DT_API_TOKEN, CONTROLLER_OAUTH_TOKEN, ... (overrides the keychain)
    Keychain,
    Session, // held for this run only (SecretStore's session-only mode)
};

struct Credential
{
    QString value;
    CredentialSource source = CredentialSource::None;
    // Why the keychain could not be asked (no keychain, locked, refused): one line naming what to do. Empty
    // when it answered, also when it had nothing.
    QString problem;
    // The origin a keychain (or session) secret was saved for; empty for one from the environment.
    QString origin;
    // The keychain holds the secret for another origin than this run's: it was not used (value empty).
    std::optional<OriginMismatch> mismatch;
};

// The secrets one profile uses, resolved: the environment first, then the keychain.
struct Credentials
{
    QString profile;
    Credential dynatraceToken;
    Credential awxToken;
    Credential awxPassword;
    Credential kubeToken;
    // One line per old, unbound keychain entry this read bound to the profile's origin (and wrote back).
    QStringList migrations;

    const Credential &get(SecretName name) const;
    Credential &get(SecretName name);

    // The keychain's problems, one line per secret it could not read, without repeats.
    QStringList problems() const;
    // The keychain secrets held back because they were saved for another origin.
    QList<OriginMismatch> mismatches() const;

    // `environment` with the secrets that came from the keychain put under the variables that would have
    // overridden them (DT_API_TOKEN, CONTROLLER_OAUTH_TOKEN, CONTROLLER_PASSWORD), so everything that reads
    // its credentials from an environment reads these. A value object: the process's real environment, and
    // with it every child process, never sees them.
    QProcessEnvironment applyTo(QProcessEnvironment environment) const;
};

// "DT_API_TOKEN" and "DYNATRACE_API_TOKEN" for the Dynatrace token, "CONTROLLER_OAUTH_TOKEN" and
// "TOWER_OAUTH_TOKEN" for AWX's, "CONTROLLER_PASSWORD" and "TOWER_PASSWORD": the first set one wins.
QStringList overridingVariables(SecretName name);

// The environment without any variable that overrides a secret or names where it goes (DT_ENV_URL,
// CONTROLLER_HOST, ...): what applies to a profile other than the one chosen at start-up, whose URLs the
// environment's tokens were not meant for.
QProcessEnvironment withoutOverrides(QProcessEnvironment environment);

// Resolves the secrets of `profile`: each one from the environment when `environment` sets it, else from the
// keychain through `store`. Every value found is registered with net::registerSecret, so no log line can
// carry it. `onDone` runs exactly once, later, from the event loop, unless `context` died first.
//
// A keychain secret is only handed out for the origin it was saved for: one whose destination's runOrigin
// differs is held back (Credential::mismatch), and one this run sends nowhere (runOrigin empty) is not read.
// An entry written before secrets recorded their origin is bound once to the destination's profileOrigin,
// written back sealed, and logged (Credentials::migrations); with no profileOrigin it is not used.
void loadCredentials(SecretStore *store, const QString &profile, const QProcessEnvironment &environment,
    const SecretDestinations &destinations, const QObject *context,
    std::function<void(const Credentials &)> onDone);

} // namespace canary::secrets
