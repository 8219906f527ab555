#include "rollbackjournal.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include "store/statefolder.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::rollback {

namespace {

// 2: no "pending" list (records wait in the outbox). Version 1 files are read as they are.
constexpr int FormatVersion = 2;

} // namespace

RollbackJournal::RollbackJournal(QString path)
    : m_path(std::move(path))
{
    load();
}

QString RollbackJournal::defaultPath()
{
    return store::StateFolder::path() + u"/rollback-journal.json"_s;
}

void RollbackJournal::reload()
{
    if (m_path.isEmpty())
        return; // in memory: nobody else writes it
    m_loadError.clear();
    m_unsafe = false;
    m_inFlight.reset();
    m_last.reset();
    m_legacyPending = {};
    load();
}

void RollbackJournal::load()
{
    if (m_path.isEmpty())
        return;
    // Whoever could have written it could have planted a rollback to resume or records to send: checked
    // before a byte of it is read.
    const QString folder = QFileInfo(m_path).absolutePath();
    if (QFileInfo::exists(folder)) {
        auto checked = store::StateFolder::checkFolder(folder);
        if (checked)
            checked = store::StateFolder::checkFile(m_path);
        if (!checked) {
            m_loadError = checked.error();
            m_unsafe = true;
            return;
        }
    }
    QFile file(m_path);
    if (!file.exists())
        return;
    if (!file.open(QIODevice::ReadOnly)) {
        m_loadError = QObject::tr("cannot read %1: %2").arg(m_path, file.errorString());
        return;
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (!document.isObject()) {
        m_loadError = QObject::tr("%1 is not a rollback journal (%2)").arg(m_path, parseError.errorString());
        return;
    }
    const QJsonObject root = document.object();
    if (root.contains(u"inFlight"_s))
        m_inFlight = RollbackState::fromJson(root.value(u"inFlight"_s).toObject());
    if (root.contains(u"last"_s))
        m_last = RollbackState::fromJson(root.value(u"last"_s).toObject());
    m_legacyPending = root.value(u"pending"_s).toArray();
}

Expected<void, QString> RollbackJournal::write()
{
    if (m_path.isEmpty())
        return {};
    QJsonObject root { { u"version"_s, FormatVersion } };
    if (m_inFlight)
        root.insert(u"inFlight"_s, m_inFlight->toJson());
    if (m_last)
        root.insert(u"last"_s, m_last->toJson());
    // Not moved to an outbox yet: kept as they were, never dropped unseen.
    if (!m_legacyPending.isEmpty())
        root.insert(u"pending"_s, m_legacyPending);

    const auto fail = [this](const QString &why) -> Expected<void, QString> {
        return QObject::tr("cannot write the rollback journal %1: %2").arg(m_path, why);
    };
    if (const auto folder = store::StateFolder::create(QFileInfo(m_path).absolutePath()); !folder)
        return fail(folder.error());
    // Written beside it and renamed over it, as QSaveFile would, but made by mkstemp: 0600 from the first
    // moment, whatever the umask (QSaveFile makes its file with the umask's mode and narrows it later).
    QByteArray temporary = QFile::encodeName(m_path) + ".XXXXXX";
    const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
    if (fd < 0)
        return fail(QString::fromLocal8Bit(std::strerror(errno)));
    const QByteArray contents = QJsonDocument(root).toJson(QJsonDocument::Indented);
    QString error;
    for (qsizetype written = 0; written < contents.size() && error.isEmpty();) {
        const ssize_t n = ::write(fd, contents.constData() + written, size_t(contents.size() - written));
        if (n < 0 && errno != EINTR)
            error = QString::fromLocal8Bit(std::strerror(errno));
        else if (n > 0)
            written += n;
    }
    // On disk before the rename: a crash leaves the old journal or the new one, never an empty file.
    if (error.isEmpty() && ::fsync(fd) != 0)
        error = QString::fromLocal8Bit(std::strerror(errno));
    ::close(fd);
    if (error.isEmpty() && ::rename(temporary.constData(), QFile::encodeName(m_path).constData()) != 0)
        error = QString::fromLocal8Bit(std::strerror(errno));
    if (!error.isEmpty()) {
        ::unlink(temporary.constData());
        return fail(error);
    }
    // The rename itself is durable once the folder is.
    if (const int dir = ::open(QFile::encodeName(QFileInfo(m_path).absolutePath()).constData(),
            O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return {};
}

Expected<void, QString> RollbackJournal::save(const RollbackState &state)
{
    m_inFlight = state;
    return write();
}

Expected<void, QString> RollbackJournal::finish(const RollbackState &state)
{
    if (m_inFlight && m_inFlight->id == state.id)
        m_inFlight.reset();
    m_last = state;
    return write();
}

Expected<void, QString> RollbackJournal::dropLegacyPending()
{
    m_legacyPending = {};
    return write();
}

} // namespace canary::rollback
