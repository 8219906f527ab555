#include "database.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QDeadlineTimer>
#include <QFile>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QUrl>

#include "statefolder.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::store {

namespace {

// Each migration takes the schema from its index to index + 1, in one transaction.
const QList<QStringList> Migrations {
    {
        u"CREATE TABLE audit_log ("
        "  id INTEGER PRIMARY KEY,"
        "  at_ms INTEGER NOT NULL,"
        "  operator TEXT NOT NULL,"
        "  action TEXT NOT NULL,"
        "  target TEXT NOT NULL,"
        "  detail TEXT NOT NULL,"
        "  result TEXT NOT NULL CHECK (result IN ('requested', 'succeeded', 'failed')),"
        "  message TEXT NOT NULL,"
        "  prev_hash TEXT NOT NULL,"
        "  hash TEXT NOT NULL)"_s,
        u"CREATE TABLE outbox ("
        "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  id TEXT NOT NULL UNIQUE,"
        "  dedup_key TEXT UNIQUE,"
        "  tenant TEXT NOT NULL,"
        "  kind TEXT NOT NULL,"
        "  title TEXT NOT NULL,"
        "  body TEXT NOT NULL,"
        "  created_ms INTEGER NOT NULL,"
        "  attempts INTEGER NOT NULL DEFAULT 0,"
        "  last_attempt_ms INTEGER,"
        "  last_error TEXT NOT NULL DEFAULT '',"
        "  delivered_ms INTEGER,"
        "  correlation_ids TEXT NOT NULL DEFAULT '')"_s,
        u"CREATE INDEX outbox_pending ON outbox (tenant, seq) WHERE delivered_ms IS NULL"_s,
    },
    // 2: several processes share the store. A lease names who acts on what (Lease); an outbox entry is
    // claimed by the one process sending it; an answer that was lost is audited as "unknown" until read
    // back. SQLite cannot widen a CHECK in place: the audit log is copied row for row, hashes untouched.
    {
        u"CREATE TABLE lease ("
        "  name TEXT PRIMARY KEY,"
        "  token TEXT NOT NULL,"
        "  pid INTEGER NOT NULL,"
        "  host TEXT NOT NULL,"
        "  user TEXT NOT NULL,"
        "  command TEXT NOT NULL,"
        "  since_ms INTEGER NOT NULL,"
        "  expires_ms INTEGER NOT NULL)"_s,
        u"ALTER TABLE outbox ADD COLUMN claim_token TEXT NOT NULL DEFAULT ''"_s,
        u"ALTER TABLE outbox ADD COLUMN claim_until_ms INTEGER NOT NULL DEFAULT 0"_s,
        u"CREATE TABLE audit_log_v2 ("
        "  id INTEGER PRIMARY KEY,"
        "  at_ms INTEGER NOT NULL,"
        "  operator TEXT NOT NULL,"
        "  action TEXT NOT NULL,"
        "  target TEXT NOT NULL,"
        "  detail TEXT NOT NULL,"
        "  result TEXT NOT NULL CHECK (result IN ('requested', 'succeeded', 'failed', 'unknown')),"
        "  message TEXT NOT NULL,"
        "  prev_hash TEXT NOT NULL,"
        "  hash TEXT NOT NULL)"_s,
        u"INSERT INTO audit_log_v2 (id, at_ms, operator, action, target, detail, result, message, prev_hash, "
        "hash) SELECT id, at_ms, operator, action, target, detail, result, message, prev_hash, hash FROM "
        "audit_log"_s,
        u"DROP TABLE audit_log"_s,
        u"ALTER TABLE audit_log_v2 RENAME TO audit_log"_s,
    },
};

QString nextConnectionName()
{
    static std::atomic<quint64> next { 1 };
    return u"canary-store-%1"_s.arg(next.fetch_add(1));
}

// The folder checked (made 0700 when new), the files checked, and the database file made 0600 before SQLite
// opens it: SQLite gives -wal and -shm the mode of the database file, so none of them is ever readable, let
// alone writable, by others. An existing file of ours that others may read is narrowed the same way.
Expected<void, QString> prepareFile(const QString &path)
{
    const QFileInfo info(path);
    if (const auto folder = StateFolder::create(info.absolutePath()); !folder)
        return folder.error();
    for (const QString &suffix : { QString(), u"-wal"_s, u"-shm"_s }) {
        const QString file = path + suffix;
        if (const auto checked = StateFolder::checkFile(file); !checked)
            return checked.error();
        struct stat status
        {
        };
        if (::lstat(QFile::encodeName(file).constData(), &status) == 0 && (status.st_mode & 077) != 0)
            ::chmod(QFile::encodeName(file).constData(), 0600);
    }
    const int fd = ::open(
        QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
    } else if (errno != EEXIST) {
        return QObject::tr("cannot create the local store %1: %2")
            .arg(path, QString::fromLocal8Bit(std::strerror(errno)));
    } else if (const auto checked = StateFolder::checkFile(path); !checked) {
        return checked.error(); // made by another process just now: held to the same rules
    }
    if (!QFileInfo(path).isWritable())
        return QObject::tr("the local store %1 is not writable").arg(path);
    return {};
}

} // namespace

QString Database::stateDir()
{
    return StateFolder::path();
}

QString Database::defaultPath()
{
    return stateDir() + u"/canary.db"_s;
}

Database::Database(QString path, QString connectionName)
    : m_path(std::move(path))
    , m_connectionName(std::move(connectionName))
{ }

Database::~Database()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

Expected<std::unique_ptr<Database>, QString> Database::open(const QString &path)
{
    const bool inMemory = path == QLatin1String(InMemory);
    if (!inMemory) {
        if (const auto prepared = prepareFile(path); !prepared)
            return prepared.error();
    }

    std::unique_ptr<Database> database(new Database(path, nextConnectionName()));
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, database->m_connectionName);
    if (!db.isValid())
        return QObject::tr("cannot open the local store %1: Qt's SQLite driver (QSQLITE) is not installed")
            .arg(path);
    db.setDatabaseName(path);
    db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=%1"_s.arg(BusyTimeoutMs));
    if (!db.open())
        return database->describe(QObject::tr("opening"), db.lastError().text());

    if (const auto configured = database->configure(); !configured)
        return configured.error();
    if (const auto migrated = database->migrate(); !migrated)
        return migrated.error();
    return database;
}

Expected<std::unique_ptr<Database>, QString> Database::openReadOnly(const QString &path)
{
    const QFileInfo info(path);
    // A copy kept for the audit trail may be someone else's: read as it is, it acts on nothing. Written by
    // others since, or reached through a link, it is refused like the store itself.
    if (const auto checked = StateFolder::checkFolder(info.absolutePath(), StateFolder::AnyOwner); !checked)
        return checked.error();
    for (const QString &suffix : { QString(), u"-wal"_s, u"-shm"_s }) {
        if (const auto checked = StateFolder::checkFile(path + suffix, StateFolder::AnyOwner); !checked)
            return checked.error();
    }
    if (!info.exists())
        return QObject::tr("there is no local store at %1").arg(path);
    if (!info.isFile())
        return QObject::tr("the local store %1 is not a file").arg(path);

    // First as any reader would, sharing the log with writers; a folder where SQLite cannot make the -shm
    // file refuses that, and then the file alone is what there is to read.
    QString openError;
    for (const bool immutable : { false, true }) {
        std::unique_ptr<Database> database(new Database(path, nextConnectionName()));
        database->m_readOnly = true;
        QString refusal; // set: not a store this build reads
        bool retry = false;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, database->m_connectionName);
            if (!db.isValid())
                return QObject::tr(
                    "cannot open the local store %1: Qt's SQLite driver (QSQLITE) is not installed")
                    .arg(path);
            if (immutable) {
                db.setDatabaseName(u"%1?immutable=1"_s.arg(
                    QUrl::fromLocalFile(info.absoluteFilePath()).toString(QUrl::FullyEncoded)));
                db.setConnectOptions(u"QSQLITE_OPEN_READONLY;QSQLITE_OPEN_URI"_s);
            } else {
                db.setDatabaseName(path);
                db.setConnectOptions(u"QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=%1"_s.arg(BusyTimeoutMs));
            }
            // The first read goes to the file's header and the log: a file that is not SQLite fails here.
            if (!db.open()) {
                openError = db.lastError().text();
                retry = true;
            } else {
                QSqlQuery query(db);
                if (!query.exec(u"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = "
                                "'schema_version'"_s)
                    || !query.next()) {
                    const QString error = query.lastError().text();
                    const QString lower = error.toLower();
                    retry = !immutable
                        && (lower.contains(u"unable to open"_s) || lower.contains(u"readonly"_s));
                    if (retry)
                        openError = error;
                    else
                        refusal = database->describe(QObject::tr("reading"), error);
                } else if (query.value(0).toInt() == 0) {
                    refusal = QObject::tr(
                        "the local store %1 is not a Canary Console store (it has no schema version)")
                                  .arg(path);
                }
            }
        }
        if (retry && !immutable)
            continue;
        if (retry)
            return database->describe(QObject::tr("opening"), openError);
        if (!refusal.isEmpty())
            return refusal;
        if (const int version = database->schemaVersion(); version > SchemaVersion || version < 1) {
            return QObject::tr("the local store %1 has schema version %2, which this Canary Console (schema "
                               "1 to %3) cannot read")
                .arg(path)
                .arg(version)
                .arg(SchemaVersion);
        }
        return database;
    }
    return QObject::tr("cannot open the local store %1 for reading").arg(path);
}

QSqlDatabase Database::connection() const
{
    return QSqlDatabase::database(m_connectionName, false);
}

QString Database::describe(const QString &what, const QString &sqliteError) const
{
    QString text = QObject::tr("%1 the local store %2 failed: %3").arg(what, m_path, sqliteError);
    const QString lower = sqliteError.toLower();
    if (lower.contains(u"not a database"_s) || lower.contains(u"malformed"_s)
        || lower.contains(u"corrupt"_s)) {
        text
            += QObject::tr(" (the file is damaged or not a Canary Console store: move it aside and a new one "
                           "is created; keep it for the audit trail)");
    } else if (lower.contains(u"readonly"_s) || lower.contains(u"read-only"_s)
        || lower.contains(u"unable to open"_s) || lower.contains(u"permission"_s)) {
        text += QObject::tr(" (check that the file and its folder are writable, or set CANARY_STATE_DIR)");
    }
    return text;
}

Expected<void, QString> Database::configure()
{
    QSqlQuery query(connection());
    // The first statement reads the file's header: a file that is not SQLite fails here, not later. Turning
    // a new file to WAL needs it to itself, and SQLite answers "locked" at once rather than through the busy
    // handler when another process is opening it too (two canaryctl started together): tried again, as the
    // busy handler would, for up to BusyTimeoutMs.
    QDeadlineTimer deadline(BusyTimeoutMs);
    while (!query.exec(u"PRAGMA journal_mode=WAL"_s)) {
        const QString error = query.lastError().text();
        const bool busy = error.contains(u"locked"_s, Qt::CaseInsensitive)
            || error.contains(u"busy"_s, Qt::CaseInsensitive);
        if (!busy || deadline.hasExpired())
            return describe(QObject::tr("opening"), error);
        QThread::msleep(20);
    }
    const QString mode = query.next() ? query.value(0).toString() : QString();
    if (!isInMemory() && mode.compare(u"wal"_s, Qt::CaseInsensitive) != 0) {
        return describe(QObject::tr("opening"),
            QObject::tr("SQLite refused write-ahead logging (journal mode is '%1')").arg(mode));
    }
    for (const QString &pragma : { u"PRAGMA synchronous=FULL"_s, u"PRAGMA foreign_keys=ON"_s,
             u"PRAGMA busy_timeout=%1"_s.arg(BusyTimeoutMs) }) {
        if (!query.exec(pragma))
            return describe(QObject::tr("configuring"), query.lastError().text());
    }
    return {};
}

Expected<void, QString> Database::migrate()
{
    if (const auto begun = begin(); !begun)
        return begun;
    QSqlQuery query(connection());
    const auto fail = [this](const QString &why) -> Expected<void, QString> {
        rollback();
        return why;
    };
    if (!query.exec(u"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"_s)
        || !query.exec(u"SELECT version FROM schema_version"_s))
        return fail(describe(QObject::tr("reading the schema of"), query.lastError().text()));
    int version = 0;
    bool hasRow = false;
    if (query.next()) {
        version = query.value(0).toInt();
        hasRow = true;
    }
    query.finish();
    if (version > int(Migrations.size())) {
        return fail(
            QObject::tr("the local store %1 has schema version %2, written by a newer Canary Console; "
                        "this one knows up to %3")
                .arg(m_path)
                .arg(version)
                .arg(Migrations.size()));
    }
    for (int next = version; next < int(Migrations.size()); ++next) {
        for (const QString &statement : Migrations[next]) {
            if (!query.exec(statement))
                return fail(
                    describe(QObject::tr("migrating to schema %1").arg(next + 1), query.lastError().text()));
        }
    }
    if (version != int(Migrations.size())) {
        query.prepare(hasRow ? u"UPDATE schema_version SET version = ?"_s
                             : u"INSERT INTO schema_version (version) VALUES (?)"_s);
        query.addBindValue(int(Migrations.size()));
        if (!query.exec())
            return fail(describe(QObject::tr("migrating"), query.lastError().text()));
    }
    return commit();
}

QString Database::journalMode() const
{
    QSqlQuery query(connection());
    if (!query.exec(u"PRAGMA journal_mode"_s) || !query.next())
        return {};
    return query.value(0).toString().toLower();
}

int Database::schemaVersion() const
{
    QSqlQuery query(connection());
    if (!query.exec(u"SELECT version FROM schema_version"_s) || !query.next())
        return 0;
    return query.value(0).toInt();
}

QStringList Database::integrityProblems() const
{
    QSqlQuery query(connection());
    if (!query.exec(u"PRAGMA quick_check"_s))
        return { query.lastError().text() };
    QStringList problems;
    while (query.next()) {
        const QString line = query.value(0).toString();
        if (line != u"ok"_s)
            problems.append(line);
    }
    return problems;
}

Expected<void, QString> Database::begin()
{
    QSqlQuery query(connection());
    if (query.exec(u"BEGIN IMMEDIATE"_s))
        return {};
    return describe(QObject::tr("locking"), query.lastError().text());
}

Expected<void, QString> Database::commit()
{
    QSqlQuery query(connection());
    if (query.exec(u"COMMIT"_s))
        return {};
    const QString error = describe(QObject::tr("committing to"), query.lastError().text());
    rollback();
    return error;
}

void Database::rollback()
{
    QSqlQuery query(connection());
    query.exec(u"ROLLBACK"_s);
}

} // namespace canary::store
