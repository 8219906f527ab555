#pragma once

#include <optional>

#include <QList>
#include <QString>

#include "rollbackstate.h"

namespace canary::rollback {

// What must survive a crash: the rollback under way (written before every step, the launch included) and the
// records Dynatrace has not accepted yet. One small JSON file, replaced atomically (QSaveFile), so a kill in
// the middle of a write leaves the previous version. An empty path keeps everything in memory (tests, and
// runs where the operator asked for no state).
class RollbackJournal
{
public:
    // A record for Dynatrace that failed to go out: sent again later, never dropped.
    struct PendingRecord
    {
        QString id; // unique within the journal
        QString rollbackId;
        QString problemId; // empty: an event (body is the ingest JSON); otherwise a comment on that problem
        QByteArray body; // event: the ingest body
        QString message; // comment text
        QString context; // comment context
        QString lastError;
    };

    explicit RollbackJournal(QString path);

    // $XDG_DATA_HOME/canary-console/rollback-journal.json (QStandardPaths::GenericDataLocation), or
    // $CANARY_STATE_DIR/rollback-journal.json when that variable is set.
    static QString defaultPath();

    QString path() const { return m_path; }
    // Why the file could not be read (corrupt, unreadable); empty when it was fine or absent.
    QString loadError() const { return m_loadError; }

    const std::optional<RollbackState> &inFlight() const { return m_inFlight; }
    const std::optional<RollbackState> &last() const { return m_last; }
    const QList<PendingRecord> &pending() const { return m_pending; }

    // Stores `state` as the rollback under way. False (with `error`) when it could not be written: the
    // runner then refuses to launch anything.
    bool save(const RollbackState &state, QString *error = nullptr);
    // `state` is over: no longer in flight, kept as the last outcome.
    bool finish(const RollbackState &state, QString *error = nullptr);
    bool addPending(PendingRecord record, QString *error = nullptr);
    bool removePending(const QString &id, QString *error = nullptr);
    bool updatePending(const PendingRecord &record, QString *error = nullptr);

private:
    bool write(QString *error);
    void load();

    QString m_path;
    QString m_loadError;
    std::optional<RollbackState> m_inFlight;
    std::optional<RollbackState> m_last;
    QList<PendingRecord> m_pending;
    quint64 m_nextPending = 1;
};

} // namespace canary::rollback
