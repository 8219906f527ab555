#include "statefolder.h"

#include <cerrno>
#include <cstring>
#include <pwd.h>
#include <sys/stat.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QObject>
#include <QStandardPaths>

using namespace Qt::Literals::StringLiterals;

namespace canary::store {

namespace {

// "alice (uid 1000)", or the uid alone when it names nobody here.
QString ownerText(uid_t uid)
{
    passwd entry {};
    passwd *found = nullptr;
    char buffer[4096];
    if (::getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found)
        return u"%1 (uid %2)"_s.arg(QString::fromLocal8Bit(found->pw_name)).arg(uid);
    return u"uid %1"_s.arg(uid);
}

QString modeText(mode_t mode)
{
    return u"%1"_s.arg(mode & 07777, 4, 8, QLatin1Char('0'));
}

// Why someone else's hand in the folder matters, said once for every refusal.
QString whyItMatters()
{
    return QObject::tr("whoever can write there can plant a rollback the console would resume, or records it "
                       "would send to Dynatrace with your token");
}

} // namespace

QString StateFolder::path()
{
    const QString fromEnvironment = qEnvironmentVariable("CANARY_STATE_DIR");
    return !fromEnvironment.isEmpty()
        ? fromEnvironment
        : QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + u"/canary-console"_s;
}

QStringList StateFolder::knownFiles()
{
    return { u"canary.db"_s, u"canary.db-wal"_s, u"canary.db-shm"_s, u"rollback-journal.json"_s };
}

Expected<void, QString> StateFolder::create(const QString &dir, uid_t owner)
{
    const QString absolute = QFileInfo(dir).absoluteFilePath();
    const QByteArray native = QFile::encodeName(absolute);
    struct stat status
    {
    };
    if (::stat(native.constData(), &status) != 0) {
        if (errno != ENOENT)
            return QObject::tr("cannot read the state folder %1: %2")
                .arg(absolute, QString::fromLocal8Bit(std::strerror(errno)));
        // Only the folder itself is ours to make private: its parents are the user's (~/.local/share).
        const QString parent = QFileInfo(absolute).absolutePath();
        if (!QDir().mkpath(parent))
            return QObject::tr("cannot create the folder %1 for the state folder %2").arg(parent, absolute);
        // 0700 at birth, not mkpath and chmod: there is no moment in which others may write or read there.
        if (::mkdir(native.constData(), 0700) != 0 && errno != EEXIST)
            return QObject::tr("cannot create the state folder %1: %2")
                .arg(absolute, QString::fromLocal8Bit(std::strerror(errno)));
    }
    return checkFolder(absolute, owner);
}

Expected<void, QString> StateFolder::checkFolder(const QString &dir, uid_t owner)
{
    const QString absolute = QFileInfo(dir).absoluteFilePath();
    struct stat status
    {
    };
    // Followed: a state folder reached through a link (a home on another disk) is judged by what it is.
    if (::stat(QFile::encodeName(absolute).constData(), &status) != 0)
        return QObject::tr("cannot read the state folder %1: %2")
            .arg(absolute, QString::fromLocal8Bit(std::strerror(errno)));
    if (!S_ISDIR(status.st_mode))
        return QObject::tr("refused: the state folder %1 is not a folder. Move it aside, or set "
                           "CANARY_STATE_DIR to a folder of your own; nothing was read from it")
            .arg(absolute);
    if (owner != AnyOwner && status.st_uid != owner)
        return QObject::tr("refused: the state folder %1 belongs to %2, not to you (%3); %4. Use a folder of "
                           "your own (CANARY_STATE_DIR), or if it is yours: chown %5 %1; nothing was read "
                           "from it")
            .arg(
                absolute, ownerText(status.st_uid), ownerText(owner), whyItMatters(), QString::number(owner));
    if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return QObject::tr("refused: the state folder %1 (owner %2, mode %3) is writable by %4; %5. Check "
                           "what is in it, then: chmod go-w %1 (or chmod 700 %1); nothing was read from it")
            .arg(absolute, ownerText(status.st_uid), modeText(status.st_mode),
                (status.st_mode & S_IWOTH) != 0 ? QObject::tr("others") : QObject::tr("its group"),
                whyItMatters());
    return {};
}

Expected<void, QString> StateFolder::checkFile(const QString &file, uid_t owner)
{
    const QString absolute = QFileInfo(file).absoluteFilePath();
    struct stat status
    {
    };
    // Not followed: a link could point at a file someone else wrote, or make SQLite write elsewhere.
    if (::lstat(QFile::encodeName(absolute).constData(), &status) != 0) {
        if (errno == ENOENT)
            return {};
        return QObject::tr("cannot read the state file %1: %2")
            .arg(absolute, QString::fromLocal8Bit(std::strerror(errno)));
    }
    if (S_ISLNK(status.st_mode))
        return QObject::tr("refused: the state file %1 is a symbolic link; %2. Check where it points, then "
                           "move it aside (mv %1 %1.link) so a file of your own is made; nothing was read "
                           "from it")
            .arg(absolute, whyItMatters());
    if (!S_ISREG(status.st_mode))
        return QObject::tr(
            "refused: the state file %1 is not a regular file. Move it aside; nothing was read "
            "from it")
            .arg(absolute);
    if (owner != AnyOwner && status.st_uid != owner)
        return QObject::tr("refused: the state file %1 belongs to %2, not to you (%3); %4. Check what is in "
                           "it and move it aside, or if it is yours: chown %5 %1; nothing was read from it")
            .arg(
                absolute, ownerText(status.st_uid), ownerText(owner), whyItMatters(), QString::number(owner));
    if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return QObject::tr("refused: the state file %1 (owner %2, mode %3) is writable by %4; %5. Check what "
                           "is in it, then: chmod 600 %1; nothing was read from it")
            .arg(absolute, ownerText(status.st_uid), modeText(status.st_mode),
                (status.st_mode & S_IWOTH) != 0 ? QObject::tr("others") : QObject::tr("its group"),
                whyItMatters());
    return {};
}

Expected<void, QString> StateFolder::checkExisting(const QString &dir, uid_t owner)
{
    if (!QFileInfo::exists(dir) && !QFileInfo(dir).isSymLink())
        return {};
    if (const auto folder = checkFolder(dir, owner); !folder)
        return folder;
    for (const QString &name : knownFiles()) {
        if (const auto file = checkFile(QDir(dir).filePath(name), owner); !file)
            return file;
    }
    return {};
}

} // namespace canary::store
