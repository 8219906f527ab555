// canaryctl profile … and secret …: the profiles dialog's store, export/import and keychain, for scripts.
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QMap>
#include <QTextStream>
#include <QTimer>

#include "commands.h"
#include "net/redaction.h"
#include "profile/profilefile.h"
#include "profile/profilestore.h"
#include "profile/secretdestinations.h"
#include "secrets/credentials.h"
#include "secrets/secretorigin.h"
#include "secrets/secretstore.h"
#include "terminal.h"
#include "util/terminaltext.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

namespace {

constexpr int KeychainTimeoutMs = 30'000;

constexpr secrets::SecretName AllSecrets[] = { secrets::SecretName::DynatraceToken,
    secrets::SecretName::AwxToken, secrets::SecretName::AwxPassword, secrets::SecretName::KubeToken };

QString setCommand(secrets::SecretName name, const QString &profile)
{
    return u"printf %s \"$SECRET\" | canaryctl secret set %1 --profile %2"_s.arg(
        secrets::secretNameText(name), profile);
}

// What `import` would change in `before`, one line per key, the keys that say where secrets go first; each
// value as the file has it, made safe for the terminal.
QStringList changesBetween(const profile::Profile &before, const profile::Profile &after)
{
    const auto valuesOf = [](const profile::Profile &p) {
        QMap<QString, QStringList> values;
        for (const profile::ProfileEntry &entry : profile::profileEntries(p))
            values[entry.key].append(entry.value);
        return values;
    };
    const QMap<QString, QStringList> old = valuesOf(before);
    const QMap<QString, QStringList> now = valuesOf(after);
    const QStringList originKeys { u"dynatrace.url"_s, u"awx.url"_s, u"kube.server"_s };
    // How the secrets' way there is checked: as important as where they go.
    const QStringList tlsKeys { u"tls.allow-insecure"_s, u"tls.ca-bundle"_s };
    QStringList keys = originKeys + tlsKeys;
    for (const QString &key : profile::profileKeys()) {
        if (!keys.contains(key))
            keys.append(key);
    }
    const auto shown = [](const QStringList &values) {
        return values.isEmpty() ? u"(none)"_s : terminalSafe(values.join(u", "_s));
    };
    QStringList lines;
    for (const QString &key : std::as_const(keys)) {
        if (old.value(key) == now.value(key))
            continue;
        QString line = u"  %1: %2 -> %3"_s.arg(key, shown(old.value(key)), shown(now.value(key)));
        if (originKeys.contains(key)) {
            QStringList names;
            for (const auto name : AllSecrets) {
                if (profile::secretOriginKey(name) == key)
                    names.append(secrets::secretNameText(name));
            }
            line
                += u"\n      the keychain's %1 stay bound to the old origin and are not sent to the new one"_s
                       .arg(names.join(u"/"_s));
        }
        if (tlsKeys.contains(key))
            line += u"\n      WARNING: this changes how the servers the secrets go to are verified"_s;
        lines.append(line);
    }
    return lines;
}

std::optional<secrets::SecretName> secretNamed(const QString &text)
{
    for (const auto name : AllSecrets) {
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
    terminal::err() << "canaryctl: " << terminalSafe(error.summary()) << '\n';
    return error.kind == secrets::SecretError::Kind::InvalidInput ? Usage : ConnectionOrAuth;
}

// Binds the profile's old, unbound keychain entries to the origins it names now, before an import replaces
// them: afterwards they would be bound to the imported origins on their first read. Waits for the writes.
void bindOldEntries(const profile::Profile &stored)
{
    if (stored.isDemo() || !secrets::isValidProfileName(stored.name))
        return;
    secrets::SecretDestinations here;
    for (const auto name : AllSecrets) {
        const QString origin = profile::secretOrigin(stored, name);
        here.get(name) = { origin, origin };
    }
    secrets::SecretStore store;
    const auto bound = wait<secrets::Credentials>([&](const QObject *receiver, auto done) {
        secrets::loadCredentials(&store, stored.name, QProcessEnvironment(), here, receiver, std::move(done));
    });
    if (!bound) {
        terminal::err() << "canaryctl: keychain: did not answer within 30 s; old entries of " << stored.name
                        << " stay unbound\n";
        return;
    }
    for (const QString &line : bound->migrations)
        terminal::err() << "canaryctl: keychain: " << line << '\n';
}

} // namespace

int secretCommand(const Context &context, const QStringList &args)
{
    // secret set|forget <name>
    if (args.size() != 3 || (args[1] != u"set"_s && args[1] != u"forget"_s))
        return usageError(
            u"secret set|forget dynatrace-token|awx-token|awx-password|kube-token --profile NAME"_s);
    const auto name = secretNamed(args[2]);
    if (!name)
        return usageError(
            u"unknown secret '%1': dynatrace-token, awx-token, awx-password or kube-token"_s.arg(
                terminalSafe(args[2])));
    if (!context.profile || context.profile->isDemo())
        return usageError(u"secret %1 needs --profile NAME (a saved profile other than Demo)"_s.arg(args[1]));
    const QString key = secrets::secretKey(context.profile->name, *name);
    secrets::SecretStore store;
    // A secret belongs to the origin the stored profile names, never to one a --config file or a flag names.
    const profile::ProfileStore profiles;
    if (!profiles.contains(context.profile->name))
        return usageError(u"secret %1 needs a saved profile (--profile NAME): '%2' is not in %3"_s.arg(
            args[1], context.profile->name, QDir::toNativeSeparators(profiles.location())));

    if (args[1] == u"forget"_s) {
        const auto removed = wait<secrets::StoreResult>(
            [&](const QObject *receiver, auto done) { store.remove(key, receiver, std::move(done)); });
        if (!removed) {
            terminal::err() << "canaryctl: the keychain did not answer within 30 s\n";
            return ConnectionOrAuth;
        }
        if (!*removed)
            return keychainError(removed->error());
        terminal::out() << "forgot " << key << '\n';
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
    const auto stored = profiles.read(context.profile->name);
    if (!stored)
        return usageError(stored.error().join(u'\n'));
    const QString origin = profile::secretOrigin(stored.value(), *name);
    if (origin.isEmpty())
        return usageError(u"the profile '%1' names no %2, so the %3 would belong to no origin: set %2 first "
                          "(canaryctl profile export/import)"_s.arg(
                              context.profile->name, profile::secretOriginKey(*name), args[2]));
    const auto written = wait<secrets::StoreResult>([&](const QObject *receiver, auto done) {
        store.write(key, secrets::sealSecret(secret, origin), receiver, std::move(done));
    });
    if (!written) {
        terminal::err() << "canaryctl: the keychain did not answer within 30 s\n";
        return ConnectionOrAuth;
    }
    if (!*written)
        return keychainError(written->error());
    terminal::out() << "stored " << key << " in the keychain, for " << origin << " only\n";
    return Ok;
}

int profileCommand(const Context &context, const QStringList &args)
{
    profile::ProfileStore store;
    if (args == QStringList { u"profile"_s, u"list"_s }) {
        for (const QString &name : store.names())
            terminal::out() << name << '\n';
        return Ok;
    }
    if (args.size() == 3 && args[1] == u"export"_s) {
        const auto profile = store.read(args[2]);
        if (!profile)
            return usageError(profile.error().join(u'\n'));
        // To stdout: the text never holds a secret (a profile has none).
        terminal::out() << profile::writeProfileText(profile.value());
        return Ok;
    }
    if (args.size() == 3 && args[1] == u"import"_s) {
        const auto profile = profile::readProfileFile(args[2]);
        if (!profile)
            return usageError(profile.error().join(u'\n'));
        if (store.contains(profile->name)) {
            const auto before = store.read(profile->name);
            const QStringList changes
                = before ? changesBetween(before.value(), profile.value()) : QStringList();
            if (!context.parser.isSet(u"yes"_s)) {
                terminal::err() << "canaryctl: a profile named '" << profile->name
                                << "' exists; importing would change:\n"
                                << (changes.isEmpty() ? u"  nothing"_s : changes.join(u'\n')) << '\n';
                return usageError(u"pass --yes to replace it"_s);
            }
            terminal::out() << "replacing " << profile->name << ":\n"
                            << (changes.isEmpty() ? u"  nothing changes"_s : changes.join(u'\n')) << '\n';
            if (before)
                bindOldEntries(before.value());
        }
        const auto saved = store.save(profile.value());
        if (!saved)
            return usageError(saved.error().join(u'\n'));
        terminal::out() << "imported " << profile->name << " into "
                        << QDir::toNativeSeparators(store.location()) << '\n';
        return Ok;
    }
    return usageError(u"profile list | profile export NAME | profile import FILE [--yes]"_s);
}

Expected<QProcessEnvironment, QString> withKeychainSecrets(const QProcessEnvironment &environment,
    const profile::Profile *profile, const secrets::SecretDestinations &destinations)
{
    if (!profile || profile->isDemo() || !secrets::isValidProfileName(profile->name))
        return environment;
    secrets::SecretStore store;
    const auto credentials = wait<secrets::Credentials>([&](const QObject *receiver, auto done) {
        secrets::loadCredentials(&store, profile->name, environment, destinations, receiver, std::move(done));
    });
    if (!credentials)
        return u"the keychain did not answer within 30 s (unlock it, or set DT_API_TOKEN)"_s;
    for (const QString &line : credentials->migrations)
        terminal::err() << "canaryctl: keychain: " << line << '\n';
    const QList<secrets::OriginMismatch> mismatches = credentials->mismatches();
    if (!mismatches.isEmpty()) {
        QStringList lines;
        for (const secrets::OriginMismatch &mismatch : mismatches) {
            const QString variable = secrets::overridingVariable(mismatch.name);
            const bool profileMoved = destinations.get(mismatch.name).profileOrigin == mismatch.wouldGoTo;
            lines.append(mismatch.describe() + u"; "_s
                + (profileMoved
                        ? u"the profile now names %1: save the secret for it with `%2`"_s.arg(
                            mismatch.wouldGoTo, setCommand(mismatch.name, profile->name))
                        : u"%1 comes from the command line, the environment or --config, not from the stored "
                          "profile: give its secret in %2 as well"_s.arg(mismatch.wouldGoTo, variable)));
        }
        return lines.join(u"\ncanaryctl: "_s);
    }
    // A keychain that cannot be asked is only fatal when nothing else gave the Dynatrace token.
    for (const QString &problem : credentials->problems())
        terminal::err() << "canaryctl: keychain: " << problem << '\n';
    return credentials->applyTo(environment);
}

} // namespace canaryctl
