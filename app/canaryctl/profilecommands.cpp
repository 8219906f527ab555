// canaryctl profile … and secret …: the profiles dialog's store, export/import and keychain, for scripts.
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QTextStream>
#include <QTimer>

#include "commands.h"
#include "net/redaction.h"
#include "profile/profilefile.h"
#include "profile/profilestore.h"
#include "secrets/credentials.h"
#include "secrets/secretstore.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

namespace {

constexpr int KeychainTimeoutMs = 30'000;

std::optional<secrets::SecretName> secretNamed(const QString &text)
{
    for (const auto name : { secrets::SecretName::DynatraceToken, secrets::SecretName::AwxToken,
             secrets::SecretName::AwxPassword }) {
        if (secrets::secretNameText(name) == text)
            return name;
    }
    return std::nullopt;
}

// Runs `start` (which calls back exactly once) to its end: a command line has nothing else to do meanwhile.
template<typename Result, typename Start>
std::optional<Result> wait(Start start)
{
    std::optional<Result> result;
    QEventLoop loop;
    QTimer::singleShot(KeychainTimeoutMs, &loop, &QEventLoop::quit);
    start(&loop, [&](const Result &value) {
        result = value;
        loop.quit();
    });
    if (!result)
        loop.exec();
    return result;
}

int keychainError(const secrets::SecretError &error)
{
    QTextStream(stderr) << "canaryctl: " << error.summary() << '\n';
    return error.kind == secrets::SecretError::Kind::InvalidInput ? Usage : ConnectionOrAuth;
}

} // namespace

int secretCommand(const Context &context, const QStringList &args)
{
    // secret set|forget <name>
    if (args.size() != 3 || (args[1] != u"set"_s && args[1] != u"forget"_s))
        return usageError(u"secret set|forget dynatrace-token|awx-token|awx-password --profile NAME"_s);
    const auto name = secretNamed(args[2]);
    if (!name)
        return usageError(u"unknown secret '%1': dynatrace-token, awx-token or awx-password"_s.arg(args[2]));
    if (!context.profile || context.profile->isDemo())
        return usageError(u"secret %1 needs --profile NAME (a saved profile other than Demo)"_s.arg(args[1]));
    const QString key = secrets::secretKey(context.profile->name, *name);
    secrets::SecretStore store;

    if (args[1] == u"forget"_s) {
        const auto removed = wait<secrets::StoreResult>(
            [&](const QObject *receiver, auto done) { store.remove(key, receiver, std::move(done)); });
        if (!removed) {
            QTextStream(stderr) << "canaryctl: the keychain did not answer within 30 s\n";
            return ConnectionOrAuth;
        }
        if (!*removed)
            return keychainError(removed->error());
        QTextStream(stdout) << "forgot " << key << '\n';
        return Ok;
    }

    // The secret comes from stdin, never from the command line (where `ps` and the shell history see it).
    QTextStream in(stdin);
    QString secret = in.readAll();
    while (secret.endsWith(u'\n') || secret.endsWith(u'\r'))
        secret.chop(1);
    if (*name != secrets::SecretName::AwxPassword)
        secret = secret.trimmed();
    if (secret.isEmpty())
        return usageError(u"secret set reads the secret from stdin, which was empty: "
                          "printf %s \"$TOKEN\" | canaryctl secret set "_s
            + args[2] + u" --profile NAME"_s);
    net::registerSecret(secret);
    const auto written = wait<secrets::StoreResult>(
        [&](const QObject *receiver, auto done) { store.write(key, secret, receiver, std::move(done)); });
    if (!written) {
        QTextStream(stderr) << "canaryctl: the keychain did not answer within 30 s\n";
        return ConnectionOrAuth;
    }
    if (!*written)
        return keychainError(written->error());
    QTextStream(stdout) << "stored " << key << " in the keychain\n";
    return Ok;
}

int profileCommand(const Context &context, const QStringList &args)
{
    profile::ProfileStore store;
    if (args == QStringList { u"profile"_s, u"list"_s }) {
        for (const QString &name : store.names())
            QTextStream(stdout) << name << '\n';
        return Ok;
    }
    if (args.size() == 3 && args[1] == u"export"_s) {
        const auto profile = store.read(args[2]);
        if (!profile)
            return usageError(profile.error().join(u'\n'));
        // To stdout: the text never holds a secret (a profile has none).
        QTextStream(stdout) << profile::writeProfileText(profile.value());
        return Ok;
    }
    if (args.size() == 3 && args[1] == u"import"_s) {
        const auto profile = profile::readProfileFile(args[2]);
        if (!profile)
            return usageError(profile.error().join(u'\n'));
        if (store.contains(profile->name) && !context.parser.isSet(u"yes"_s))
            return usageError(u"a profile named '%1' exists: pass --yes to replace it"_s.arg(profile->name));
        const auto saved = store.save(profile.value());
        if (!saved)
            return usageError(saved.error().join(u'\n'));
        QTextStream(stdout) << "imported " << profile->name << " into "
                            << QDir::toNativeSeparators(store.location()) << '\n';
        return Ok;
    }
    return usageError(u"profile list | profile export NAME | profile import FILE [--yes]"_s);
}

Expected<QProcessEnvironment, QString> withKeychainSecrets(
    const QProcessEnvironment &environment, const profile::Profile *profile)
{
    if (!profile || profile->isDemo() || !secrets::isValidProfileName(profile->name))
        return environment;
    secrets::SecretStore store;
    const auto credentials = wait<secrets::Credentials>([&](const QObject *receiver, auto done) {
        secrets::loadCredentials(&store, profile->name, environment, receiver, std::move(done));
    });
    if (!credentials)
        return u"the keychain did not answer within 30 s (unlock it, or set DT_API_TOKEN)"_s;
    // A keychain that cannot be asked is only fatal when nothing else gave the Dynatrace token.
    for (const QString &problem : credentials->problems())
        QTextStream(stderr) << "canaryctl: keychain: " << problem << '\n';
    return credentials->applyTo(environment);
}

} // namespace canaryctl
