#include "rollbackjournal.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QStandardPaths>

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
    const QString stateDir = qEnvironmentVariable("CANARY_STATE_DIR");
    const QString dir = !stateDir.isEmpty()
        ? stateDir
        : QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + u"/canary-console"_s;
    return dir + u"/rollback-journal.json"_s;
}

void RollbackJournal::reload()
{
    if (m_path.isEmpty())
        return; // in memory: nobody else writes it
    m_loadError.clear();
    m_inFlight.reset();
    m_last.reset();
    m_legacyPending = {};
    load();
}

void RollbackJournal::load()
{
    if (m_path.isEmpty())
        return;
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
    if (!QDir().mkpath(QFileInfo(m_path).absolutePath()))
        return fail(QObject::tr("cannot create its folder"));
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return fail(file.errorString());
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
