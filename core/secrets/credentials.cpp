#include "credentials.h"

#include <memory>

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QPointer>

#include "net/redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::secrets {

namespace {

Q_LOGGING_CATEGORY(lcCredentials, "canary.secrets")

constexpr SecretName allNames[]
    = { SecretName::DynatraceToken, SecretName::AwxToken, SecretName::AwxPassword, SecretName::KubeToken };

QString fromEnvironment(const QProcessEnvironment &environment, SecretName name)
{
    for (const QString &variable : overridingVariables(name)) {
        // A password may legitimately start or end with spaces; a token never does.
        QString value = environment.value(variable);
        if (name != SecretName::AwxPassword)
            value = value.trimmed();
        if (!value.isEmpty())
            return value;
    }
    return {};
}

} // namespace

const Credential &Credentials::get(SecretName name) const
{
    switch (name) {
    case SecretName::DynatraceToken:
        return dynatraceToken;
    case SecretName::AwxToken:
        return awxToken;
    case SecretName::AwxPassword:
        return awxPassword;
    case SecretName::KubeToken:
        break;
    }
    return kubeToken;
}

Credential &Credentials::get(SecretName name)
{
    return const_cast<Credential &>(std::as_const(*this).get(name));
}

QStringList Credentials::problems() const
{
    QStringList lines;
    for (SecretName name : allNames) {
        const QString &problem = get(name).problem;
        if (!problem.isEmpty() && !lines.contains(problem))
            lines.append(problem);
    }
    return lines;
}

QList<OriginMismatch> Credentials::mismatches() const
{
    QList<OriginMismatch> found;
    for (SecretName name : allNames) {
        if (get(name).mismatch)
            found.append(*get(name).mismatch);
    }
    return found;
}

QProcessEnvironment Credentials::applyTo(QProcessEnvironment environment) const
{
    for (SecretName name : allNames) {
        const Credential &credential = get(name);
        if (credential.source == CredentialSource::Keychain || credential.source == CredentialSource::Session)
            environment.insert(overridingVariable(name), credential.value);
    }
    return environment;
}

QStringList overridingVariables(SecretName name)
{
    switch (name) {
    case SecretName::DynatraceToken:
        return { u"DT_API_TOKEN"_s, u"DYNATRACE_API_TOKEN"_s };
    case SecretName::AwxToken:
        return { u"CONTROLLER_OAUTH_TOKEN"_s, u"TOWER_OAUTH_TOKEN"_s };
    case SecretName::AwxPassword:
        return { u"CONTROLLER_PASSWORD"_s, u"TOWER_PASSWORD"_s };
    case SecretName::KubeToken:
        return { u"KUBE_TOKEN"_s };
    }
    return {};
}

QProcessEnvironment withoutOverrides(QProcessEnvironment environment)
{
    for (SecretName name : allNames) {
        for (const QString &variable : overridingVariables(name))
            environment.remove(variable);
    }
    for (const QString &variable :
        { u"DT_ENV_URL"_s, u"DYNATRACE_ENV_URL"_s, u"CONTROLLER_HOST"_s, u"TOWER_HOST"_s,
            u"CONTROLLER_USERNAME"_s, u"TOWER_USERNAME"_s, u"KUBE_TOKEN"_s, u"CANARY_ALLOWED_ORIGINS"_s })
        environment.remove(variable);
    return environment;
}

void loadCredentials(SecretStore *store, const QString &profile, const QProcessEnvironment &environment,
    const SecretDestinations &destinations, const QObject *context,
    std::function<void(const Credentials &)> onDone)
{
    struct Pending
    {
        Credentials credentials;
        int outstanding = 0;
        std::function<void(const Credentials &)> onDone;
    };
    auto pending = std::make_shared<Pending>();
    pending->credentials.profile = profile;
    pending->onDone = std::move(onDone);

    QList<SecretName> fromKeychain;
    for (SecretName name : allNames) {
        const QString value = fromEnvironment(environment, name);
        if (value.isEmpty()) {
            // What this run sends nowhere stays in the keychain.
            if (!destinations.get(name).runOrigin.isEmpty())
                fromKeychain.append(name);
            continue;
        }
        net::registerSecret(value);
        Credential &credential = pending->credentials.get(name);
        credential.value = value;
        credential.source = CredentialSource::Environment;
    }

    if (fromKeychain.isEmpty() || !store) {
        // Still later, from the event loop, like every other outcome; dropped with `context`.
        QObject *receiver = context ? const_cast<QObject *>(context) : QCoreApplication::instance();
        QMetaObject::invokeMethod(
            receiver, [pending] { pending->onDone(pending->credentials); }, Qt::QueuedConnection);
        return;
    }
    pending->outstanding = int(fromKeychain.size());
    for (SecretName name : fromKeychain) {
        const SecretDestination destination = destinations.get(name);
        store->read(secretKey(profile, name), context,
            [pending, name, destination, store = QPointer<SecretStore>(store)](const ReadResult &result) {
                Credential &credential = pending->credentials.get(name);
                if (result) {
                    BoundSecret bound = unsealSecret(result->value);
                    net::registerSecret(bound.value);
                    if (bound.origin.isEmpty() && !destination.profileOrigin.isEmpty()) {
                        // Saved before secrets recorded their origin: it belongs to the origin the stored
                        // profile names now, once, and from then on to that one only.
                        bound.origin = destination.profileOrigin;
                        const QString line
                            = u"%1 was saved before secrets recorded their origin: bound to "
                              "%2, the origin the profile names"_s.arg(result->key, bound.origin);
                        qCInfo(lcCredentials, "%s", qUtf8Printable(line));
                        pending->credentials.migrations.append(line);
                        if (store && result->storage == Storage::Keychain)
                            store->write(result->key, sealSecret(bound.value, bound.origin), store,
                                [key = result->key](const StoreResult &written) {
                                    if (!written)
                                        qCWarning(lcCredentials, "%s: could not record its origin: %s",
                                            qUtf8Printable(key), qUtf8Printable(written.error().message));
                                });
                    }
                    credential.origin = bound.origin;
                    if (bound.origin.isEmpty()) {
                        credential.problem
                            = u"%1 was saved before secrets recorded their origin and the "
                              "stored profile names no URL to bind it to: save it again"_s.arg(result->key);
                    } else if (bound.origin != destination.runOrigin) {
                        credential.mismatch
                            = OriginMismatch { name, result->key, bound.origin, destination.runOrigin };
                        qCWarning(lcCredentials, "%s", qUtf8Printable(credential.mismatch->describe()));
                    } else {
                        credential.value = bound.value;
                        credential.source = result->storage == Storage::SessionOnly
                            ? CredentialSource::Session
                            : CredentialSource::Keychain;
                    }
                } else if (result.error().kind != SecretError::Kind::NotFound) {
                    credential.problem = result.error().message;
                }
                if (--pending->outstanding == 0)
                    pending->onDone(pending->credentials);
            });
    }
}

} // namespace canary::secrets
