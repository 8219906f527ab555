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

constexpr int FormatVersion = 1;

QJsonObject pendingToJson(const RollbackJournal::PendingRecord &record)
{
    return { { u"id"_s, record.id }, { u"rollbackId"_s, record.rollbackId },
        { u"problemId"_s, record.problemId }, { u"body"_s, QString::fromUtf8(record.body) },
        { u"message"_s, record.message }, { u"context"_s, record.context },
        { u"lastError"_s, record.lastError } };
}

RollbackJournal::PendingRecord pendingFromJson(const QJsonObject &json)
{
    return { json.value(u"id"_s).toString(), json.value(u"rollbackId"_s).toString(),
        json.value(u"problemId"_s).toString(), json.value(u"body"_s).toString().toUtf8(),
        json.value(u"message"_s).toString(), json.value(u"context"_s).toString(),
        json.value(u"lastError"_s).toString() };
}

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
    for (const QJsonValue record : root.value(u"pending"_s).toArray())
        m_pending.append(pendingFromJson(record.toObject()));
    m_nextPending = quint64(root.value(u"nextPending"_s).toInteger(1));
}

bool RollbackJournal::write(QString *error)
{
    if (m_path.isEmpty())
        return true;
    QJsonObject root { { u"version"_s, FormatVersion }, { u"nextPending"_s, qint64(m_nextPending) } };
    if (m_inFlight)
        root.insert(u"inFlight"_s, m_inFlight->toJson());
    if (m_last)
        root.insert(u"last"_s, m_last->toJson());
    QJsonArray pending;
    for (const auto &record : m_pending)
        pending.append(pendingToJson(record));
    root.insert(u"pending"_s, pending);

    const auto fail = [&](const QString &why) {
        if (error)
            *error = QObject::tr("cannot write the rollback journal %1: %2").arg(m_path, why);
        return false;
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
    return true;
}

bool RollbackJournal::save(const RollbackState &state, QString *error)
{
    m_inFlight = state;
    return write(error);
}

bool RollbackJournal::finish(const RollbackState &state, QString *error)
{
    if (m_inFlight && m_inFlight->id == state.id)
        m_inFlight.reset();
    m_last = state;
    return write(error);
}

bool RollbackJournal::addPending(PendingRecord record, QString *error)
{
    record.id = u"pending-%1"_s.arg(m_nextPending++);
    m_pending.append(std::move(record));
    return write(error);
}

bool RollbackJournal::removePending(const QString &id, QString *error)
{
    m_pending.removeIf([&](const PendingRecord &record) { return record.id == id; });
    return write(error);
}

bool RollbackJournal::updatePending(const PendingRecord &record, QString *error)
{
    for (auto &existing : m_pending) {
        if (existing.id == record.id)
            existing = record;
    }
    return write(error);
}

} // namespace canary::rollback
