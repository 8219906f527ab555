#include "journalprovenance.h"

#include <QJsonDocument>
#include <QJsonObject>

#include "rollbackactions.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::rollback {

namespace {

const QString StartAction = u"rollback.start"_s;

// The state as it was when its start row was written: in pre-flight, no job, no outcome.
RollbackState atStart(RollbackState state)
{
    state.stage = Stage::Preflight;
    state.failure = Failure::None;
    state.jobId = 0;
    state.jobUrl.clear();
    return state;
}

QString shown(const QJsonValue &value)
{
    if (value.isUndefined())
        return QObject::tr("(nothing)");
    if (value.isString())
        return u"\"%1\""_s.arg(value.toString());
    return QString::fromUtf8(QJsonDocument(QJsonArray { value }).toJson(QJsonDocument::Compact))
        .mid(1)
        .chopped(1);
}

} // namespace

JournalProvenance::JournalProvenance(const store::AuditLog &audit, QString journalPath)
    : m_audit(audit)
    , m_journalPath(std::move(journalPath))
{ }

QString JournalProvenance::notOurs(const QString &what, const QString &why) const
{
    return QObject::tr(
        "refused: %1 in the rollback journal %2 was not written by this console: %3. Nothing of "
        "it was resumed or sent. Inspect the file (and AWX, for a job it names), then move it "
        "aside (mv %2 %2.untrusted) and try again")
        .arg(what, m_journalPath, why);
}

Expected<QHash<QString, store::AuditEntry>, QString> JournalProvenance::startRows(const QString &what) const
{
    // A chain that does not hold cannot vouch for anything, however well a record matches it.
    const store::AuditVerification verification = m_audit.verify();
    if (!verification.ok())
        return QObject::tr("refused: %1 in the rollback journal %2 cannot be checked against the audit log, "
                           "which does not verify (%3). Nothing of it was resumed or sent. Run 'canaryctl "
                           "audit verify', inspect the journal (and AWX, for a job it names), then move it "
                           "aside (mv %2 %2.untrusted)")
            .arg(what, m_journalPath, verification.message);
    // verify() walked every row; of them only the starts are needed here.
    const auto entries = m_audit.entriesOf(StartAction);
    if (!entries)
        return QObject::tr("refused: %1 in the rollback journal %2 cannot be checked: %3. Nothing of it was "
                           "resumed or sent")
            .arg(what, m_journalPath, entries.error());
    QHash<QString, store::AuditEntry> rows;
    for (const store::AuditEntry &entry : *entries) {
        if (entry.result != store::AuditResult::Requested)
            continue;
        const QString id = entry.detail.value(u"rollbackId"_s).toString();
        if (!id.isEmpty() && !rows.contains(id))
            rows.insert(id, entry);
    }
    return rows;
}

Expected<bool, QString> JournalProvenance::hasStart(const QString &rollbackId) const
{
    // The newest rows: it was written a moment ago, by this process, under the rollback's lease.
    const auto entries = m_audit.entries(200);
    if (!entries)
        return entries.error();
    for (const store::AuditEntry &entry : *entries) {
        if (entry.action == StartAction && entry.result == store::AuditResult::Requested
            && entry.detail.value(u"rollbackId"_s).toString() == rollbackId)
            return true;
    }
    return false;
}

Expected<void, QString> JournalProvenance::checkInFlight(const RollbackState &state) const
{
    const QString what
        = QObject::tr("the rollback in flight (%1, %2, started by %3)")
              .arg(state.id, stageName(state.stage),
                  state.operatorName.isEmpty() ? QObject::tr("nobody named") : state.operatorName);
    const auto rows = startRows(what);
    if (!rows)
        return rows.error();
    if (state.id.isEmpty() || !rows->contains(state.id))
        return notOurs(what, QObject::tr("the audit log has no start of a rollback with its id"));
    const store::AuditEntry &row = rows->value(state.id);
    const RollbackState started = atStart(state);
    if (const QString target = auditTarget(started); row.target != target)
        return notOurs(what,
            QObject::tr("it runs %1, but the audit log's start of %2 (entry %3) runs %4")
                .arg(target, state.id)
                .arg(row.id)
                .arg(row.target));
    const QJsonObject expected = auditDetail(started);
    QStringList keys = expected.keys() + row.detail.keys();
    keys.removeDuplicates();
    for (const QString &key : std::as_const(keys)) {
        if (expected.value(key) != row.detail.value(key))
            return notOurs(what,
                QObject::tr("its %1 is %2, but the audit log's start of it (entry %3) says %4")
                    .arg(key, shown(expected.value(key)))
                    .arg(row.id)
                    .arg(shown(row.detail.value(key))));
    }
    return {};
}

Expected<void, QString> JournalProvenance::checkLegacyPending(const QJsonArray &pending) const
{
    const QString what = QObject::tr(
        "%n record(s) waiting for Dynatrace from an older version", nullptr, int(pending.size()));
    const auto rows = startRows(what);
    if (!rows)
        return rows.error();
    for (const QJsonValue value : pending) {
        const QJsonObject record = value.toObject();
        const QString rollbackId = record.value(u"rollbackId"_s).toString();
        if (rollbackId.isEmpty())
            return notOurs(what, QObject::tr("a record names no rollback"));
        if (!rows->contains(rollbackId))
            return notOurs(what, QObject::tr("the audit log has no start of rollback %1").arg(rollbackId));
        if (!record.value(u"problemId"_s).toString().isEmpty())
            continue; // a comment: its rollback is ours, its words are the runner's
        const store::AuditEntry &row = rows->value(rollbackId);
        const QJsonObject properties = QJsonDocument::fromJson(record.value(u"body"_s).toString().toUtf8())
                                           .object()
                                           .value(u"properties"_s)
                                           .toObject();
        // The event's own id must be the record's: a body may not borrow a real rollback's id.
        const QList<std::pair<QString, QString>> facts {
            { u"rollback.id"_s, rollbackId },
            { u"rollback.plan"_s, row.target },
            { u"rollback.reason"_s, row.detail.value(u"reason"_s).toString() },
            { u"rollback.operator"_s, row.detail.value(u"startedBy"_s).toString() },
            { u"rollback.source.eventId"_s, row.detail.value(u"sourceEventId"_s).toString() },
        };
        for (const auto &[property, audited] : facts) {
            const bool required = property == u"rollback.id"_s;
            if (!required && !properties.contains(property))
                continue; // an older body that does not say it
            if (const QString said = properties.value(property).toString(); said != audited)
                return notOurs(what,
                    QObject::tr("the event for rollback %1 says %2 \"%3\", but the audit log's start of it "
                                "(entry %4) says \"%5\"")
                        .arg(rollbackId, property, said)
                        .arg(row.id)
                        .arg(audited));
        }
    }
    return {};
}

} // namespace canary::rollback
