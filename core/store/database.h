#pragma once

#include <memory>

#include <QSqlDatabase>
#include <QString>
#include <QStringList>

#include "util/expected.h"

namespace canary::store {

// The one SQLite file behind the audit log and the outbox. Every instance has its own Qt Sql connection
// (QSqlDatabase is per connection name and per thread), so tests and tools may open several side by side.
// Durability over speed: WAL with synchronous=FULL, so a committed row survives SIGKILL and power loss; the
// write rate here is a few rows per operator action. Outlive every AuditLog and Outbox made on it.
class Database
{
public:
    // Where SQLite keeps a database that dies with the process (the embedded demo's).
    static constexpr auto InMemory = ":memory:";
    // Schema versions this build knows; a file from a newer build is refused rather than misread.
    static constexpr int SchemaVersion = 2;
    static constexpr int BusyTimeoutMs = 5'000;

    // StateFolder::path(): $CANARY_STATE_DIR, else QStandardPaths::GenericDataLocation + "/canary-console".
    static QString stateDir();
    // <state dir>/canary.db
    static QString defaultPath();

    // Opens `path` and brings the schema up to date. Its folder is made 0700 when new and the file 0600
    // before SQLite opens it (so -wal and -shm are 0600 too); a folder or file someone else could have
    // written is refused first (StateFolder). The error is one sentence naming the file: unsafe, unwritable,
    // not a database, damaged, from a newer version.
    static Expected<std::unique_ptr<Database>, QString> open(const QString &path);
    // Opens an existing `path` for reading only (audit verify, audit list): nothing is created, configured
    // or migrated, so it works on a copy in a read-only folder, on a file another process holds locked, and
    // on a full disk. When SQLite cannot share the write-ahead log there (no -shm can be made), the file is
    // read as immutable: as it stands on disk. A store at an older schema is read as it is; one from a
    // newer build, or a file that is no store, is refused; so is a folder or file others may write, or a
    // link (StateFolder, any owner: a copy someone kept is read as it is, and nothing is acted on).
    static Expected<std::unique_ptr<Database>, QString> openReadOnly(const QString &path);

    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    QString path() const { return m_path; }
    bool isInMemory() const { return m_path == QLatin1String(InMemory); }
    bool isReadOnly() const { return m_readOnly; }
    QSqlDatabase connection() const;

    // What SQLite reports: "wal" for a file, "memory" for an in-memory database.
    QString journalMode() const;
    int schemaVersion() const;
    // PRAGMA quick_check: empty when the file is sound, otherwise SQLite's findings.
    QStringList integrityProblems() const;

    // BEGIN IMMEDIATE: the write lock is taken up front, so two processes appending to the audit chain
    // never both read the same predecessor. Commit or roll back before the next begin().
    Expected<void, QString> begin();
    // A failed commit is rolled back.
    Expected<void, QString> commit();
    void rollback();

    // "<what> failed for <path>: <SQLite's words>", with a hint when the file is not a database.
    QString describe(const QString &what, const QString &sqliteError) const;

private:
    Database(QString path, QString connectionName);
    Expected<void, QString> configure();
    Expected<void, QString> migrate();

    QString m_path;
    QString m_connectionName;
    bool m_readOnly = false;
};

} // namespace canary::store
