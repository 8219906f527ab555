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
    // One secret's outcome, once its origin is known; the last one answers.
    const auto settle = [pending](SecretName name, const SecretDestination &destination,
                            const BoundSecret &bound, const QString &key, Storage storage) {
        Credential &credential = pending->credentials.get(name);
        credential.origin = bound.origin;
        if (bound.origin != destination.runOrigin) {
            credential.mismatch = OriginMismatch { name, key, bound.origin, destination.runOrigin };
            qCWarning(lcCredentials, "%s", qUtf8Printable(credential.mismatch->describe()));
        } else {
            credential.value = bound.value;
            credential.source
                = storage == Storage::SessionOnly ? CredentialSource::Session : CredentialSource::Keychain;
        }
    };
    const auto finishOne = [pending] {
        if (--pending->outstanding == 0)
            pending->onDone(pending->credentials);
    };
    for (SecretName name : fromKeychain) {
        const SecretDestination destination = destinations.get(name);
        store->read(secretKey(profile, name), context,
            [pending, name, destination, settle, finishOne, context, store = QPointer<SecretStore>(store)](
                const ReadResult &result) {
                Credential &credential = pending->credentials.get(name);
                if (!result) {
                    if (result.error().kind != SecretError::Kind::NotFound)
                        credential.problem = result.error().message;
                    return finishOne();
                }
                BoundSecret bound = unsealSecret(result->value);
                net::registerSecret(bound.value);
                switch (bound.state) {
                case BoundSecret::State::Sealed:
                    settle(name, destination, bound, result->key, result->storage);
                    return finishOne();
                case BoundSecret::State::Unreadable:
                    credential.problem
                        = u"%1 is a keychain entry this version cannot read (damaged, or written "
                          "by another version): it is not used; save the secret again"_s.arg(result->key);
                    return finishOne();
                case BoundSecret::State::Old:
                    break;
                }
                if (destination.profileOrigin.isEmpty() || !store) {
                    credential.problem
                        = u"%1 was saved before secrets recorded their origin and the stored "
                          "profile names no URL to bind it to: save it again"_s.arg(result->key);
                    return finishOne();
                }
                // Saved before secrets recorded their origin: it belongs to the origin the stored profile
                // names now, once, and from then on to that one only. Used only once that is written down:
                // a run that ends first must not leave it unbound, to be bound elsewhere later.
                bound.origin = destination.profileOrigin;
                bound.state = BoundSecret::State::Sealed;
                const QString line = u"%1 was saved before secrets recorded their origin: bound to %2, the "
                                     "origin the profile names"_s.arg(result->key, bound.origin);
                const Storage storage = result->storage;
                store->write(result->key, sealSecret(bound.value, bound.origin), context,
                    [pending, name, destination, bound, line, storage, settle, finishOne, key = result->key](
                        const StoreResult &written) {
                        if (!written) {
                            pending->credentials.get(name).problem
                                = u"%1 was saved before secrets recorded their origin and its origin could "
                                  "not be recorded (%2): it is not used"_s.arg(key, written.error().message);
                            qCWarning(
                                lcCredentials, "%s", qUtf8Printable(pending->credentials.get(name).problem));
                            return finishOne();
                        }
                        qCInfo(lcCredentials, "%s", qUtf8Printable(line));
                        pending->credentials.migrations.append(line);
                        settle(name, destination, bound, key, storage);
                        finishOne();
                    });
            });
    }
}

} // namespace canary::secrets
