#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

#include "util/expected.h"

namespace canary {
class Clock;
}

namespace canary::store {

class Database;

enum class AuditResult { Requested, Succeeded, Failed };

QString resultName(AuditResult result); // "requested", "succeeded", "failed"

// One operator action as written: who, what, to what, when and with which result. An action is usually two
// entries: "requested" before anything runs, then "succeeded" or "failed" with the outcome.
struct AuditEntry
{
    qint64 id = 0; // 1, 2, 3 … in the order written; the chain follows it
    qint64 atMs = 0;
    QString operatorName; // $USER or --operator
    QString action; // "split.set", "rollback.start", "rollback.finish", …
    QString target; // what it acted on: the back-end, the plan
    QJsonObject detail;
    AuditResult result = AuditResult::Requested;
    QString message;
    QString prevHash; // the previous entry's hash; 64 zeros for the first
    // SHA-256 over prevHash and the canonical form of the fields above but the id: the links alone define
    // the order, so a swap shows as a swap rather than as two edits.
    QString hash;

    QJsonObject toJson() const;
};

// What verify() found: the chain intact, or the first entry where it breaks and how.
struct AuditVerification
{
    enum class Problem {
        None,
        Edited, // the entry's contents no longer match its hash
        Deleted, // entries before it are missing
        Reordered, // it links to an entry that is not its predecessor
        Inserted, // neither its hash nor its link fit: it was not written by the audit log
        Unreadable, // the database could not be read
    };

    Problem problem = Problem::None;
    qint64 entries = 0; // rows read
    qint64 brokenId = 0; // the first entry that does not verify
    QString message; // "entry 7 was edited: …"
    QString headHash; // the newest entry's hash: worth noting down elsewhere (see verify())

    bool ok() const { return problem == Problem::None; }
};

QString problemName(AuditVerification::Problem problem);

// The durable, hash-chained record of every operator action. Each append is its own committed transaction
// (synchronous=FULL), so once append() returned the entry survives SIGKILL and power loss: callers say
// "done" only after it.
//
// What the chain proves: any edit, deletion, reordering or insertion of entries that is followed by at
// least one genuine entry, and any row written without recomputing the hashes. What it cannot prove on its
// own: someone with write access to the file who recomputes every hash after the change (SHA-256 has no
// secret), or who drops the newest entries. The head hash that `canaryctl audit verify` prints, noted
// elsewhere, closes both.
class AuditLog
{
public:
    // What the first entry links to.
    static QString genesisHash();

    struct Record
    {
        QString operatorName;
        QString action;
        QString target;
        QJsonObject detail;
        AuditResult result = AuditResult::Requested;
        QString message;
    };

    AuditLog(Database &database, const Clock &clock);

    // Appends and commits one entry; the error names the file and SQLite's reason.
    Expected<AuditEntry, QString> append(const Record &record);
    // Every entry, oldest first; at most `limit` of the newest when limit > 0.
    Expected<QList<AuditEntry>, QString> entries(qsizetype limit = 0) const;
    // Walks the whole chain from the first entry.
    AuditVerification verify() const;

    // The hash of an entry with these fields, as append() and verify() compute it.
    static QString hashOf(const QString &prevHash, qint64 atMs, const QString &operatorName,
        const QString &action, const QString &target, const QString &detailJson, const QString &result,
        const QString &message);

private:
    Database &m_database;
    const Clock &m_clock;
};

} // namespace canary::store
