#pragma once

#include <optional>

#include <QJsonArray>
#include <QString>

#include "rollbackstate.h"
#include "util/expected.h"

namespace canary::rollback {

// What must survive a crash: the rollback under way (written before every step, the launch included) and the
// last one's outcome. One small JSON file, 0600 from its first byte, replaced atomically (written beside it,
// synced, renamed), so a kill in the middle of a write leaves the previous version. Its folder and the file
// are checked before it is read (store::StateFolder): one others could have written is not read at all
// (loadError(), isUnsafe()). An empty path keeps everything in memory (tests, and runs where the
// operator asked for no state). Records for Dynatrace do not wait here: they go through the outbox
// (store::Outbox).
//
// A journal written by an older version may still hold a "pending" list of records Dynatrace had refused.
// It is read without complaint and kept in the file, untouched, until RollbackRunner::setOutbox() moves the
// records into the outbox and drops them here (legacyPending(), dropLegacyPending()).
class RollbackJournal
{
public:
    explicit RollbackJournal(QString path);

    // rollback-journal.json in store::StateFolder::path(): $CANARY_STATE_DIR, else
    // $XDG_DATA_HOME/canary-console (QStandardPaths::GenericDataLocation).
    static QString defaultPath();

    QString path() const { return m_path; }
    // Why the file could not be read (corrupt, unreadable, or unsafe: see isUnsafe()); empty when it was fine
    // or absent.
    QString loadError() const { return m_loadError; }
    // The file or its folder could have been written by someone else (store::StateFolder): nothing of it was
    // read, and loadError() says whose it is and what to do.
    bool isUnsafe() const { return m_unsafe; }

    // Reads the file again: other processes share it, and one may have started or finished a rollback since.
    void reload();

    const std::optional<RollbackState> &inFlight() const { return m_inFlight; }
    const std::optional<RollbackState> &last() const { return m_last; }

    // Stores `state` as the rollback under way; the error says why it could not be written, and the runner
    // then refuses to launch anything.
    Expected<void, QString> save(const RollbackState &state);
    // `state` is over: no longer in flight, kept as the last outcome.
    Expected<void, QString> finish(const RollbackState &state);

    // An older journal's pending records, as it wrote them: {"rollbackId", "problemId" (empty for the
    // event), "body" (the event's ingest JSON), "message", "context", "lastError"}.
    const QJsonArray &legacyPending() const { return m_legacyPending; }
    Expected<void, QString> dropLegacyPending();

private:
    Expected<void, QString> write();
    void load();

    QString m_path;
    QString m_loadError;
    bool m_unsafe = false;
    std::optional<RollbackState> m_inFlight;
    std::optional<RollbackState> m_last;
    QJsonArray m_legacyPending;
};

} // namespace canary::rollback
