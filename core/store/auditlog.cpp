#include "auditlog.h"

#include <algorithm>

#include <QCryptographicHash>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>
#include <QSysInfo>

#include <nlohmann/json.hpp>

#include "database.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::store {

namespace {

struct Row
{
    qint64 id = 0;
    qint64 atMs = 0;
    QString operatorName;
    QString action;
    QString target;
    QString detailJson;
    QString result;
    QString message;
    QString prevHash;
    QString hash;

    QString computedHash() const
    {
        return AuditLog::hashOf(prevHash, atMs, operatorName, action, target, detailJson, result, message);
    }
};

const QString SelectColumns
    = u"SELECT id, at_ms, operator, action, target, detail, result, message, prev_hash, hash FROM audit_log "_s;

Row rowFrom(const QSqlQuery &query)
{
    return { query.value(0).toLongLong(), query.value(1).toLongLong(), query.value(2).toString(),
        query.value(3).toString(), query.value(4).toString(), query.value(5).toString(),
        query.value(6).toString(), query.value(7).toString(), query.value(8).toString(),
        query.value(9).toString() };
}

AuditResult resultFrom(const QString &name)
{
    if (name == u"succeeded"_s)
        return AuditResult::Succeeded;
    if (name == u"failed"_s)
        return AuditResult::Failed;
    if (name == u"unknown"_s)
        return AuditResult::Unknown;
    return AuditResult::Requested;
}

AuditEntry entryFrom(const Row &row)
{
    return { row.id, row.atMs, row.operatorName, row.action, row.target,
        QJsonDocument::fromJson(row.detailJson.toUtf8()).object(), resultFrom(row.result), row.message,
        row.prevHash, row.hash };
}

} // namespace

QString resultName(AuditResult result)
{
    switch (result) {
    case AuditResult::Requested:
        return u"requested"_s;
    case AuditResult::Succeeded:
        return u"succeeded"_s;
    case AuditResult::Failed:
        return u"failed"_s;
    case AuditResult::Unknown:
        return u"unknown"_s;
    }
    return {};
}

QString problemName(AuditVerification::Problem problem)
{
    using Problem = AuditVerification::Problem;
    switch (problem) {
    case Problem::None:
        return u"none"_s;
    case Problem::Edited:
        return u"edited"_s;
    case Problem::Deleted:
        return u"deleted"_s;
    case Problem::Reordered:
        return u"reordered"_s;
    case Problem::Inserted:
        return u"inserted"_s;
    case Problem::Unreadable:
        return u"unreadable"_s;
    }
    return {};
}

QJsonObject AuditEntry::toJson() const
{
    return { { u"id"_s, id }, { u"atMs"_s, atMs }, { u"operator"_s, operatorName }, { u"action"_s, action },
        { u"target"_s, target }, { u"detail"_s, detail }, { u"result"_s, resultName(result) },
        { u"message"_s, message }, { u"prevHash"_s, prevHash }, { u"hash"_s, hash } };
}

QString AuditLog::genesisHash()
{
    return QString(64, u'0');
}

QString AuditLog::hashOf(const QString &prevHash, qint64 atMs, const QString &operatorName,
    const QString &action, const QString &target, const QString &detailJson, const QString &result,
    const QString &message)
{
    // A JSON array: every field delimited and escaped, so no two different rows serialise alike.
    const nlohmann::json canonical
        = nlohmann::json::array({ atMs, operatorName.toStdString(), action.toStdString(),
            target.toStdString(), detailJson.toStdString(), result.toStdString(), message.toStdString() });
    const std::string text = canonical.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(prevHash.toLatin1());
    hash.addData(QByteArrayView("\n"));
    hash.addData(QByteArrayView(text.data(), qsizetype(text.size())));
    return QString::fromLatin1(hash.result().toHex());
}

AuditLog::AuditLog(Database &database, const Clock &clock)
    : m_database(database)
    , m_clock(clock)
{ }

Expected<AuditEntry, QString> AuditLog::append(const Record &record)
{
    if (const auto begun = m_database.begin(); !begun)
        return begun.error();
    const auto written = insertLocked(record);
    if (!written) {
        m_database.rollback();
        return written.error();
    }
    if (const auto committed = m_database.commit(); !committed)
        return committed.error();
    return written;
}

Expected<AuditEntry, QString> AuditLog::insertLocked(const Record &record)
{
    QSqlQuery query(m_database.connection());
    if (!query.exec(u"SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"_s))
        return m_database.describe(QObject::tr("reading the audit log in"), query.lastError().text());
    Row row;
    row.id = 1;
    row.prevHash = genesisHash();
    if (query.next()) {
        row.id = query.value(0).toLongLong() + 1;
        row.prevHash = query.value(1).toString();
    }
    query.finish();
    row.atMs = m_clock.nowMs();
    row.operatorName = record.operatorName;
    row.action = record.action;
    row.target = record.target;
    // QJsonObject keeps its keys sorted: the same detail always serialises alike.
    row.detailJson = QString::fromUtf8(QJsonDocument(record.detail).toJson(QJsonDocument::Compact));
    row.result = resultName(record.result);
    row.message = record.message;
    row.hash = row.computedHash();

    // A null QString binds as NULL: the COALESCEs keep "nothing said" an empty text, as hashed.
    query.prepare(u"INSERT INTO audit_log (id, at_ms, operator, action, target, detail, result, message, "
                  "prev_hash, hash) VALUES (?, ?, COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''), ?, ?, "
                  "COALESCE(?, ''), ?, ?)"_s);
    for (const QVariant &value : { QVariant(row.id), QVariant(row.atMs), QVariant(row.operatorName),
             QVariant(row.action), QVariant(row.target), QVariant(row.detailJson), QVariant(row.result),
             QVariant(row.message), QVariant(row.prevHash), QVariant(row.hash) })
        query.addBindValue(value);
    if (!query.exec())
        return m_database.describe(QObject::tr("appending to the audit log in"), query.lastError().text());
    return entryFrom(row);
}

Expected<QList<AuditEntry>, QString> AuditLog::openRequests(
    const QString &action, const QString &target) const
{
    return openRequestsLocked(action, target);
}

Expected<QList<AuditEntry>, QString> AuditLog::openRequestsLocked(
    const QString &action, const QString &target) const
{
    QSqlQuery query(m_database.connection());
    query.setForwardOnly(true);
    query.prepare(SelectColumns + u"WHERE action = ? AND target = ? ORDER BY id"_s);
    query.addBindValue(action);
    query.addBindValue(target);
    if (!query.exec())
        return m_database.describe(QObject::tr("reading the audit log in"), query.lastError().text());
    QList<AuditEntry> open;
    while (query.next()) {
        AuditEntry entry = entryFrom(rowFrom(query));
        if (entry.result == AuditResult::Requested) {
            open.append(std::move(entry));
            continue;
        }
        const QJsonValue intent = entry.detail.value(u"intent"_s);
        if (entry.detail.contains(u"intent"_s)) {
            const qint64 answered = intent.toInteger();
            open.removeIf([answered](const AuditEntry &request) { return request.id == answered; });
        } else if (!open.isEmpty()) {
            open.removeFirst();
        }
    }
    return open;
}

Expected<std::optional<AuditEntry>, QString> AuditLog::appendAnswer(const AuditEntry &request, Record outcome)
{
    outcome.detail.insert(u"intent"_s, request.id);
    if (const auto begun = m_database.begin(); !begun)
        return begun.error();
    // Read under the write lock: whoever answered first is seen here.
    const auto open = openRequestsLocked(request.action, request.target);
    if (!open) {
        m_database.rollback();
        return open.error();
    }
    const bool stillOpen = std::any_of(open->cbegin(), open->cend(),
        [&request](const AuditEntry &entry) { return entry.id == request.id && entry.hash == request.hash; });
    if (!stillOpen) {
        m_database.rollback();
        return std::optional<AuditEntry>();
    }
    const auto written = insertLocked(outcome);
    if (!written) {
        m_database.rollback();
        return written.error();
    }
    if (const auto committed = m_database.commit(); !committed)
        return committed.error();
    return std::optional<AuditEntry>(*written);
}

Expected<AuditAnchor, QString> AuditLog::anchorIn(Database &database)
{
    AuditAnchor anchor;
    anchor.logId = logIdOf(database.path());
    anchor.headHash = genesisHash();
    QSqlQuery query(database.connection());
    if (!query.exec(u"SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"_s))
        return database.describe(QObject::tr("reading the audit log in"), query.lastError().text());
    if (query.next()) {
        anchor.rows = query.value(0).toLongLong();
        anchor.headHash = query.value(1).toString();
    }
    return anchor;
}

Expected<AnchorCheck, QString> AuditLog::checkAnchors(const QList<RecordedAnchor> &recorded) const
{
    const auto all = entries();
    if (!all)
        return all.error();
    QHash<QString, qint64> idOfHash { { genesisHash(), 0 } };
    for (const AuditEntry &entry : *all)
        idOfHash.insert(entry.hash, entry.id);
    const QString ours = logIdOf(m_database.path());
    const auto further = [](const std::optional<RecordedAnchor> &best, const RecordedAnchor &candidate) {
        return !best || candidate.anchor.rows > best->anchor.rows
            || (candidate.anchor.rows == best->anchor.rows && candidate.atMs > best->atMs);
    };
    AnchorCheck check;
    for (const RecordedAnchor &anchor : recorded) {
        if (anchor.anchor.logId != ours)
            continue;
        ++check.anchors;
        if (further(check.furthest, anchor))
            check.furthest = anchor;
        const auto found = idOfHash.constFind(anchor.anchor.headHash);
        const bool placed
            = found != idOfHash.cend() && (anchor.anchor.rows < 0 || *found == anchor.anchor.rows);
        if (!placed && further(check.missing, anchor))
            check.missing = anchor;
    }
    return check;
}

QString AuditLog::logIdOf(const QString &databasePath)
{
    const QString path = databasePath == QLatin1String(Database::InMemory)
        ? databasePath
        : QFileInfo(databasePath).absoluteFilePath();
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(QSysInfo::machineUniqueId());
    hash.addData(QByteArrayView("\n"));
    hash.addData(path.toUtf8());
    // 16 bytes tell logs apart; the full digest would only lengthen every event.
    return QString::fromLatin1(hash.result().left(16).toHex());
}

Expected<QList<AuditEntry>, QString> AuditLog::entries(qsizetype limit) const
{
    QSqlQuery query(m_database.connection());
    const QString statement = limit > 0
        ? u"SELECT * FROM (%1 ORDER BY id DESC LIMIT %2) ORDER BY id"_s.arg(SelectColumns).arg(limit)
        : SelectColumns + u"ORDER BY id"_s;
    if (!query.exec(statement))
        return m_database.describe(QObject::tr("reading the audit log in"), query.lastError().text());
    QList<AuditEntry> entries;
    while (query.next())
        entries.append(entryFrom(rowFrom(query)));
    return entries;
}

Expected<QList<AuditEntry>, QString> AuditLog::entriesOf(const QString &action) const
{
    QSqlQuery query(m_database.connection());
    query.setForwardOnly(true);
    query.prepare(SelectColumns + u"WHERE action = ? ORDER BY id"_s);
    query.addBindValue(action);
    if (!query.exec())
        return m_database.describe(QObject::tr("reading the audit log in"), query.lastError().text());
    QList<AuditEntry> entries;
    while (query.next())
        entries.append(entryFrom(rowFrom(query)));
    return entries;
}

AuditVerification AuditLog::verify() const
{
    using Problem = AuditVerification::Problem;
    AuditVerification verification;
    QSqlQuery query(m_database.connection());
    query.setForwardOnly(true);
    if (!query.exec(SelectColumns + u"ORDER BY id"_s)) {
        verification.problem = Problem::Unreadable;
        verification.message
            = m_database.describe(QObject::tr("reading the audit log in"), query.lastError().text());
        return verification;
    }
    QList<Row> rows;
    while (query.next())
        rows.append(rowFrom(query));
    verification.entries = rows.size();
    verification.headHash = rows.isEmpty() ? genesisHash() : rows.back().hash;

    QHash<QString, qsizetype> indexOfHash;
    for (qsizetype i = 0; i < rows.size(); ++i)
        indexOfHash.insert(rows[i].hash, i);

    const auto broken = [&](Problem problem, qint64 id, const QString &message) {
        verification.problem = problem;
        verification.brokenId = id;
        verification.message = message;
        return verification;
    };
    for (qsizetype i = 0; i < rows.size(); ++i) {
        const Row &row = rows[i];
        const QString expectedPrev = i == 0 ? genesisHash() : rows[i - 1].hash;
        const qint64 expectedId = i == 0 ? 1 : rows[i - 1].id + 1;
        const bool contentOk = row.computedHash() == row.hash;
        const bool linkOk = row.prevHash == expectedPrev;
        if (contentOk && linkOk)
            continue;
        if (!contentOk && linkOk) {
            // The next entry links past this one: it was slipped in between two genuine entries.
            if (i + 1 < rows.size() && rows[i + 1].prevHash == row.prevHash)
                return broken(Problem::Inserted, row.id,
                    QObject::tr("entry %1 was inserted: the entry after it links to entry %2")
                        .arg(row.id)
                        .arg(i == 0 ? 0 : rows[i - 1].id));
            return broken(Problem::Edited, row.id,
                QObject::tr("entry %1 was edited (or forged): its contents no longer match its hash")
                    .arg(row.id));
        }
        if (!contentOk)
            return broken(Problem::Inserted, row.id,
                QObject::tr("entry %1 was not written by the audit log: neither its hash nor its link to the "
                            "entry before it match")
                    .arg(row.id));
        // Its own contents are intact but it does not follow its predecessor.
        const auto linked = indexOfHash.constFind(row.prevHash);
        if (linked != indexOfHash.cend() && i >= 2 && *linked == i - 2)
            return broken(Problem::Inserted, rows[i - 1].id,
                QObject::tr("entry %1 was inserted: entry %2 links to entry %3 before it")
                    .arg(rows[i - 1].id)
                    .arg(row.id)
                    .arg(rows[i - 2].id));
        if (linked != indexOfHash.cend())
            return broken(Problem::Reordered, row.id,
                QObject::tr("entry %1 was moved: it follows entry %2 in the chain, not entry %3")
                    .arg(row.id)
                    .arg(rows[*linked].id)
                    .arg(i == 0 ? 0 : rows[i - 1].id));
        if (row.id != expectedId)
            return broken(Problem::Deleted, row.id,
                QObject::tr("entries before entry %1 were deleted: %2 missing")
                    .arg(row.id)
                    .arg(row.id - expectedId == 1
                            ? QObject::tr("entry %1").arg(expectedId)
                            : QObject::tr("entries %1 to %2").arg(expectedId).arg(row.id - 1)));
        return broken(Problem::Deleted, row.id,
            QObject::tr("the entry before entry %1 was deleted or replaced: its link points nowhere")
                .arg(row.id));
    }
    return verification;
}

} // namespace canary::store
