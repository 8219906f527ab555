#pragma once

#include <optional>

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringView>

#include "util/expected.h"

namespace canary {
class Clock;
}

namespace canary::store {

class Database;

// Unknown: the answer was lost (a timeout, a cut connection, a body that cannot be read) after the request
// may have reached the back-end; a later entry says what reading back found.
enum class AuditResult { Requested, Succeeded, Failed, Unknown };

QString resultName(AuditResult result); // "requested", "succeeded", "failed", "unknown"

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

// Where the audit log stood when something left the machine: every event the outbox records in Dynatrace
// carries it as properties, so a later `audit verify` can tell rows cut from the end or rewritten (which
// the chain alone cannot: see AuditLog) by comparing with what Dynatrace keeps.
struct AuditAnchor
{
    static constexpr QStringView HeadProperty = u"canary.audit.head";
    static constexpr QStringView RowsProperty = u"canary.audit.rows";
    static constexpr QStringView LogProperty = u"canary.audit.log";

    QString logId; // which audit log (AuditLog::logIdOf): other consoles record heads of their own logs
    qint64 rows = 0; // the newest entry's id: how many entries were written (-1 read back: not known)
    QString headHash; // its hash; AuditLog::genesisHash() for an empty log
};

// An anchor as Dynatrace keeps it, on the event `eventId` of `atMs`.
struct RecordedAnchor
{
    QString eventId;
    qint64 atMs = 0;
    AuditAnchor anchor;
};

// The log held against what Dynatrace recorded of it.
struct AnchorCheck
{
    qsizetype anchors = 0; // recorded anchors of this log
    std::optional<RecordedAnchor> furthest; // the one with the most entries
    // The furthest one whose head is not in the chain (or not at its place): entries were cut or rewritten.
    std::optional<RecordedAnchor> missing;

    bool ok() const { return !missing; }
};

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
    // Every entry of `action` ("rollback.start"), oldest first: read by the database, not by walking the log.
    Expected<QList<AuditEntry>, QString> entriesOf(const QString &action) const;
    // Walks the whole chain from the first entry.
    AuditVerification verify() const;

    // The "requested" entries of `action` on `target` that no outcome entry answers yet, oldest first. An
    // outcome answers the request its detail names under "intent" (its id; 0: none); an outcome written
    // without the key (by an older build) answers the oldest open request, as one process asks one thing at
    // a time.
    Expected<QList<AuditEntry>, QString> openRequests(const QString &action, const QString &target) const;
    // Appends `outcome` as the answer to `request` (its detail gets "intent": the request's id) only while
    // the request is still open, in one transaction: of two processes answering the same request, one
    // writes and the other gets nullopt.
    Expected<std::optional<AuditEntry>, QString> appendAnswer(const AuditEntry &request, Record outcome);

    // Holds `recorded` (the anchors Dynatrace keeps; other logs' are skipped) against the chain as it is.
    Expected<AnchorCheck, QString> checkAnchors(const QList<RecordedAnchor> &recorded) const;

    // Where this log stands now, read in whatever transaction `database` is in (the outbox stamps its
    // events with it inside its own).
    static Expected<AuditAnchor, QString> anchorIn(Database &database);
    // Names one audit log: a digest of this machine's id and the database's path, so a log replaced as a
    // whole still has the name its anchors in Dynatrace carry, and no path or host name leaves the machine.
    static QString logIdOf(const QString &databasePath);

    // The hash of an entry with these fields, as append() and verify() compute it.
    static QString hashOf(const QString &prevHash, qint64 atMs, const QString &operatorName,
        const QString &action, const QString &target, const QString &detailJson, const QString &result,
        const QString &message);

private:
    Expected<AuditEntry, QString> insertLocked(const Record &record);
    Expected<QList<AuditEntry>, QString> openRequestsLocked(
        const QString &action, const QString &target) const;

    Database &m_database;
    const Clock &m_clock;
};

} // namespace canary::store

Q_DECLARE_METATYPE(canary::store::AuditEntry)
