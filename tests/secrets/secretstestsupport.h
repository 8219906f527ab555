#pragma once

#include <optional>

#include <QByteArray>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QStandardPaths>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include "secrets/secretstore.h"

// The call answered in time, with success.
#define CANARY_VERIFY_DONE(call)                                                                             \
    do {                                                                                                     \
        const auto result_ = (call);                                                                         \
        QVERIFY2(result_.has_value(), "no result in time");                                                  \
        QVERIFY2(result_->hasValue(), canary::testing::describe(*result_).constData());                      \
    } while (false)

namespace canary::testing {

// For QVERIFY2's message, which is evaluated whether or not the check fails.
template<typename Result>
QByteArray describe(const Result &result)
{
    return result.hasValue() ? QByteArray("ok") : result.error().summary().toUtf8();
}

// Calls `start(context, callback)` and runs the event loop until the one result arrives (or `timeoutMs`).
// The context dies with this call, so a late result can never reach a dead callback.
template<typename Result, typename Start>
std::optional<Result> awaitResult(Start start, int timeoutMs = 30'000)
{
    std::optional<Result> result;
    QObject context;
    start(&context, [&result](const Result &r) { result = r; });
    const QDeadlineTimer deadline(timeoutMs);
    while (!result && !deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 50);
    return result;
}

inline std::optional<secrets::ReadResult> readSecret(secrets::SecretStore &store, const QString &key)
{
    return awaitResult<secrets::ReadResult>([&](const QObject *context, secrets::ReadCallback done) {
        store.read(key, context, std::move(done));
    });
}

inline std::optional<secrets::StoreResult> writeSecret(
    secrets::SecretStore &store, const QString &key, const QString &secret)
{
    return awaitResult<secrets::StoreResult>([&](const QObject *context, secrets::StoreCallback done) {
        store.write(key, secret, context, std::move(done));
    });
}

inline std::optional<secrets::StoreResult> removeSecret(secrets::SecretStore &store, const QString &key)
{
    return awaitResult<secrets::StoreResult>([&](const QObject *context, secrets::StoreCallback done) {
        store.remove(key, context, std::move(done));
    });
}

// A value no file could contain by chance.
inline QString uniqueSecret(const QString &label)
{
    return QStringLiteral("canary-secret-") + label + u'-'
        + QUuid::createUuid().toString(QUuid::WithoutBraces);
}

// A keychain service of its own per run, so a test never meets another run's (or the user's) entries.
inline QString uniqueService()
{
    return QStringLiteral("canary-console-test-") + QUuid::createUuid().toString(QUuid::Id128);
}

// XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME and XDG_STATE_HOME inside one temporary directory, so
// QStandardPaths (and QSettings, QtKeychain's plain-text fallback) can only write there.
class IsolatedXdgDirs
{
public:
    bool setUp()
    {
        if (!m_root.isValid())
            return false;
        const QList<std::pair<const char *, QString>> variables {
            { "XDG_CONFIG_HOME", QStringLiteral("config") }, { "XDG_DATA_HOME", QStringLiteral("data") },
            { "XDG_CACHE_HOME", QStringLiteral("cache") }, { "XDG_STATE_HOME", QStringLiteral("state") }
        };
        for (const auto &[name, folder] : variables) {
            const QString path = m_root.filePath(folder);
            if (!QDir().mkpath(path) || !qputenv(name, QFile::encodeName(path)))
                return false;
        }
        return true;
    }

    QString root() const { return m_root.path(); }

    // Whether QStandardPaths' config and data locations all lie inside root().
    bool coversStandardLocations() const
    {
        for (const auto location : { QStandardPaths::GenericConfigLocation, QStandardPaths::AppConfigLocation,
                 QStandardPaths::GenericDataLocation, QStandardPaths::AppDataLocation }) {
            const QString path = QStandardPaths::writableLocation(location);
            if (!path.startsWith(m_root.path() + u'/'))
                return false;
        }
        return true;
    }

    QStringList allFiles() const
    {
        QStringList files;
        QDirIterator it(
            m_root.path(), QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
        while (it.hasNext())
            files.append(it.next());
        return files;
    }

    // Every file under root() holding `secret` in UTF-8, UTF-16 or base64 (QSettings' @ByteArray form).
    QStringList filesContaining(const QString &secret) const
    {
        const QByteArray utf8 = secret.toUtf8();
        const QByteArray utf16(reinterpret_cast<const char *>(secret.utf16()), secret.size() * 2);
        const QByteArray base64 = utf8.toBase64();
        QStringList hits;
        for (const QString &path : allFiles()) {
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly)) {
                hits.append(path + QStringLiteral(" (unreadable)"));
                continue;
            }
            const QByteArray content = file.readAll();
            if (content.contains(utf8) || content.contains(utf16) || content.contains(base64))
                hits.append(path);
        }
        return hits;
    }

private:
    QTemporaryDir m_root;
};

// QtKeychain picks KWallet over the Secret Service from these; the tests want the Secret Service alone.
inline void forgetDesktopEnvironment()
{
    for (const char *name : { "XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION",
             "KDE_SESSION_VERSION", "GNOME_DESKTOP_SESSION_ID" })
        qunsetenv(name);
}

} // namespace canary::testing
