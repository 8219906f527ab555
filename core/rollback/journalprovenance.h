#pragma once

#include <QHash>
#include <QJsonArray>
#include <QString>

#include "rollbackstate.h"
#include "store/auditlog.h"
#include "util/expected.h"

namespace canary::rollback {

// Whether the rollback journal's records were written by this console, told by the local audit log: the
// runner commits a rollback's "rollback.start" row (its id and the plan it runs: auditTarget(),
// auditDetail()) before the journal first names it. A record is acted on (resumed, moved to the outbox and
// so sent with the operator's token) only when the chain verifies and such a row matches it; anything else
// in the file (planted by whoever could write there, or copied from elsewhere) is refused, and nothing of it
// is sent or run.
class JournalProvenance
{
public:
    JournalProvenance(const store::AuditLog &audit, QString journalPath);

    // The rollback in flight: its id's start row, with the same target and the same detail as the runner
    // wrote when it began (stage pre-flight, no job yet).
    Expected<void, QString> checkInFlight(const RollbackState &state) const;
    // An older journal's pending records: each names a rollback whose start row exists; an event's own
    // rollback.id, plan, reason, operator and source, where it carries them, match that row.
    Expected<void, QString> checkLegacyPending(const QJsonArray &pending) const;

    // Whether the audit log holds the start row of `rollbackId` (the chain not verified: the runner asks
    // this right after writing it, before the journal names the rollback).
    Expected<bool, QString> hasStart(const QString &rollbackId) const;

private:
    // The chain verified, then its "rollback.start" requested rows by rollback id (the first of each).
    Expected<QHash<QString, store::AuditEntry>, QString> startRows(const QString &what) const;
    // "refused: <what> in the rollback journal <path> was not written by this console: <why>. …"
    QString notOurs(const QString &what, const QString &why) const;

    const store::AuditLog &m_audit;
    QString m_journalPath;
};

} // namespace canary::rollback
