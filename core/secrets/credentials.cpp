#include "credentials.h"

#include <memory>

#include <QCoreApplication>

#include "net/redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::secrets {

namespace {

constexpr SecretName allNames[]
    = { SecretName::DynatraceToken, SecretName::AwxToken, SecretName::AwxPassword };

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
        break;
    }
    return awxPassword;
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
    const QObject *context, std::function<void(const Credentials &)> onDone)
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
            fromKeychain.append(name);
            continue;
        }
        net::registerSecret(value);
        pending->credentials.get(name) = { value, CredentialSource::Environment, {} };
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
        store->read(secretKey(profile, name), context, [pending, name](const ReadResult &result) {
            Credential &credential = pending->credentials.get(name);
            if (result) {
                net::registerSecret(result->value);
                credential.value = result->value;
                credential.source = result->storage == Storage::SessionOnly ? CredentialSource::Session
                                                                            : CredentialSource::Keychain;
            } else if (result.error().kind != SecretError::Kind::NotFound) {
                credential.problem = result.error().message;
            }
            if (--pending->outstanding == 0)
                pending->onDone(pending->credentials);
        });
    }
}

} // namespace canary::secrets
