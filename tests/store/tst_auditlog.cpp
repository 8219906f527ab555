#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include "store/auditlog.h"
#include "store/database.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::store::AuditLog;
using canary::store::AuditResult;
using canary::store::AuditVerification;
using canary::store::Database;
using Problem = canary::store::AuditVerification::Problem;

namespace {

std::unique_ptr<Database> openOrFail(const QString &path)
{
    auto opened = Database::open(path);
    if (!opened)
        qFatal("cannot open %s: %s", qPrintable(path), qPrintable(opened.error()));
    return std::move(opened).value();
}

// Five entries as an operator's session writes them.
void writeFive(AuditLog &audit, VirtualClock &clock)
{
    for (int i = 1; i <= 5; ++i) {
        clock.advanceMs(1'000);
        const auto written
            = audit.append({ u"alice"_s, u"split.set"_s, u"simulator"_s, { { u"to"_s, i * 10 } },
                i % 2 ? AuditResult::Requested : AuditResult::Succeeded, u"step %1"_s.arg(i) });
        QVERIFY2(written, qPrintable(written ? QString() : written.error()));
        QCOMPARE(written->id, qint64(i));
    }
}

// Tampering is done the way an intruder would: plain SQL on the file, through another connection.
void tamper(const QString &path, const QStringList &statements)
{
    const QString name = u"intruder"_s;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
        db.setDatabaseName(path);
        QVERIFY(db.open());
        QSqlQuery query(db);
        for (const QString &statement : statements)
            QVERIFY2(query.exec(statement), qPrintable(statement));
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
}

} // namespace

class TestAuditLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void appendAndVerify_chainsEveryEntry()
    {
        QTemporaryDir dir;
        VirtualClock clock(1'700'000'000'000);
        auto database = openOrFail(dir.filePath(u"canary.db"_s));
        AuditLog audit(*database, clock);
        QVERIFY(audit.verify().ok());
        QCOMPARE(audit.verify().entries, 0);
        writeFive(audit, clock);

        const auto entries = audit.entries();
        QVERIFY(entries);
        QCOMPARE(entries->size(), 5);
        QCOMPARE(entries->front().prevHash, AuditLog::genesisHash());
        for (qsizetype i = 1; i < entries->size(); ++i)
            QCOMPARE((*entries)[i].prevHash, (*entries)[i - 1].hash);
        QCOMPARE(entries->back().operatorName, u"alice"_s);
        QCOMPARE(entries->back().detail.value(u"to"_s).toInt(), 50);
        QCOMPARE(entries->back().atMs, 1'700'000'005'000);
        QCOMPARE(entries->back().message, u"step 5"_s);

        const AuditVerification verification = audit.verify();
        QVERIFY2(verification.ok(), qPrintable(verification.message));
        QCOMPARE(verification.entries, 5);
        QCOMPARE(verification.headHash, entries->back().hash);

        // A second instance (another process, another run) continues the same chain.
        database.reset();
        auto reopened = openOrFail(dir.filePath(u"canary.db"_s));
        AuditLog again(*reopened, clock);
        const auto sixth
            = again.append({ u"bob"_s, u"rollback.start"_s, u"plan"_s, {}, AuditResult::Requested, {} });
        QVERIFY(sixth);
        QCOMPARE(sixth->id, 6);
        QCOMPARE(sixth->prevHash, entries->back().hash);
        QVERIFY(again.verify().ok());
        QCOMPARE(again.entries(2)->front().id, 5);
    }

    void tampering_isReportedAtTheFirstBrokenEntry_data()
    {
        QTest::addColumn<QStringList>("statements");
        QTest::addColumn<int>("problem");
        QTest::addColumn<qint64>("brokenId");

        QTest::newRow("edited") << QStringList { u"UPDATE audit_log SET operator = 'mallory' WHERE id = 3"_s }
                                << int(Problem::Edited) << qint64(3);
        QTest::newRow("edited detail")
            << QStringList { u"UPDATE audit_log SET detail = '{\"to\":99}' WHERE id = 2"_s }
            << int(Problem::Edited) << qint64(2);
        QTest::newRow("deleted") << QStringList { u"DELETE FROM audit_log WHERE id = 3"_s }
                                 << int(Problem::Deleted) << qint64(4);
        QTest::newRow("deleted and renumbered") << QStringList { u"DELETE FROM audit_log WHERE id = 3"_s,
            u"UPDATE audit_log SET id = id - 1 WHERE id > 3"_s }
                                                << int(Problem::Deleted) << qint64(3);
        QTest::newRow("swapped") << QStringList { u"UPDATE audit_log SET id = -3 WHERE id = 3"_s,
            u"UPDATE audit_log SET id = 3 WHERE id = 4"_s, u"UPDATE audit_log SET id = 4 WHERE id = -3"_s }
                                 << int(Problem::Reordered) << qint64(3);
        // A forger who knows the schema but not how the hash is made.
        QTest::newRow("forged append")
            << QStringList { u"INSERT INTO audit_log (id, at_ms, operator, action, target, detail, result, "
                             "message, prev_hash, hash) SELECT 6, at_ms + 1, 'mallory', 'split.set', target, "
                             "'{}', 'succeeded', 'nothing to see', hash, hex(randomblob(32)) FROM audit_log "
                             "WHERE id = 5"_s }
            << int(Problem::Edited) << qint64(6);
        QTest::newRow("forged in the middle")
            << QStringList { u"UPDATE audit_log SET id = id + 100 WHERE id >= 3"_s,
                   u"UPDATE audit_log SET id = id - 99 WHERE id >= 100"_s,
                   u"INSERT INTO audit_log (id, at_ms, operator, action, target, detail, result, message, "
                   "prev_hash, hash) SELECT 3, at_ms + 1, 'mallory', 'split.set', target, '{}', 'succeeded', "
                   "'', hash, hex(randomblob(32)) FROM audit_log WHERE id = 2"_s }
            << int(Problem::Inserted) << qint64(3);
        QTest::newRow("foreign row") << QStringList {
            u"UPDATE audit_log SET prev_hash = hash, operator = 'x' WHERE id = 4"_s
        } << int(Problem::Inserted) << qint64(4);
    }

    void tampering_isReportedAtTheFirstBrokenEntry()
    {
        QFETCH(QStringList, statements);
        QFETCH(int, problem);
        QFETCH(qint64, brokenId);

        QTemporaryDir dir;
        const QString path = dir.filePath(u"canary.db"_s);
        VirtualClock clock(1'700'000'000'000);
        {
            auto database = openOrFail(path);
            AuditLog audit(*database, clock);
            writeFive(audit, clock);
            QVERIFY(audit.verify().ok());
        }
        tamper(path, statements);

        auto database = openOrFail(path);
        AuditLog audit(*database, clock);
        const AuditVerification verification = audit.verify();
        QVERIFY(!verification.ok());
        QVERIFY2(int(verification.problem) == problem,
            qPrintable(store::problemName(verification.problem) + u": "_s + verification.message));
        QCOMPARE(verification.brokenId, brokenId);
        QVERIFY2(
            verification.message.contains(u"entry %1"_s.arg(brokenId)), qPrintable(verification.message));
    }

    void database_isWalWithFullSync_andVersioned()
    {
        QTemporaryDir dir;
        auto database = openOrFail(dir.filePath(u"state/canary.db"_s));
        QCOMPARE(database->journalMode(), u"wal"_s);
        QSqlQuery query(database->connection());
        QVERIFY(query.exec(u"PRAGMA synchronous"_s) && query.next());
        QCOMPARE(query.value(0).toInt(), 2); // FULL
        QVERIFY(query.exec(u"PRAGMA busy_timeout"_s) && query.next());
        QCOMPARE(query.value(0).toInt(), Database::BusyTimeoutMs);
        QCOMPARE(database->schemaVersion(), Database::SchemaVersion);
        QVERIFY(database->integrityProblems().isEmpty());
        QCOMPARE(QFile::permissions(database->path()) & (QFileDevice::ReadOther | QFileDevice::ReadGroup),
            QFileDevice::Permissions());

        // Two instances side by side: each its own connection.
        auto second = openOrFail(database->path());
        QVERIFY(database->connection().connectionName() != second->connection().connectionName());

        auto memory = openOrFail(QString::fromLatin1(Database::InMemory));
        QVERIFY(memory->isInMemory());
        VirtualClock clock;
        AuditLog audit(*memory, clock);
        QVERIFY(audit.append({ u"demo"_s, u"split.set"_s, {}, {}, AuditResult::Requested, {} }));
        QVERIFY(audit.verify().ok());
    }

    void badFiles_giveClearErrors()
    {
        QTemporaryDir dir;
        const QString garbage = dir.filePath(u"garbage.db"_s);
        QFile file(garbage);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(8192, 'x'));
        file.close();
        auto opened = Database::open(garbage);
        QVERIFY(!opened);
        QVERIFY2(opened.error().contains(garbage), qPrintable(opened.error()));
        QVERIFY2(opened.error().contains(u"damaged"_s), qPrintable(opened.error()));

        // A real store whose pages were overwritten in the middle.
        const QString damaged = dir.filePath(u"damaged.db"_s);
        {
            auto database = openOrFail(damaged);
            VirtualClock clock;
            AuditLog audit(*database, clock);
            for (int i = 0; i < 200; ++i)
                QVERIFY(audit.append(
                    { u"x"_s, u"split.set"_s, QString(200, u'y'), {}, AuditResult::Requested, {} }));
        }
        QFile pages(damaged);
        QVERIFY(pages.open(QIODevice::ReadWrite));
        pages.seek(0);
        pages.write(QByteArray(100, '\xff')); // the header
        pages.close();
        opened = Database::open(damaged);
        QVERIFY(!opened);
        QVERIFY2(opened.error().contains(u"damaged"_s), qPrintable(opened.error()));

        const QString readOnlyDir = dir.filePath(u"locked"_s);
        QVERIFY(QDir().mkpath(readOnlyDir));
        QFile::setPermissions(readOnlyDir, QFileDevice::ReadOwner | QFileDevice::ExeOwner);
        if (::geteuid() != 0) { // root writes anywhere
            opened = Database::open(readOnlyDir + u"/sub/canary.db"_s);
            QVERIFY(!opened);
            QVERIFY2(opened.error().contains(readOnlyDir), qPrintable(opened.error()));
        }
        QFile::setPermissions(
            readOnlyDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);

        // A store from a newer build is refused, not misread.
        const QString newer = dir.filePath(u"newer.db"_s);
        openOrFail(newer).reset();
        tamper(newer, { u"UPDATE schema_version SET version = 99"_s });
        opened = Database::open(newer);
        QVERIFY(!opened);
        QVERIFY2(opened.error().contains(u"newer"_s), qPrintable(opened.error()));
    }

    // audit verify and audit list read a store they must not change: a copy, a file held locked, an older
    // schema.
    void openReadOnly_readsTheStoreAsItIs_neverMigratingOrWriting()
    {
        QTemporaryDir dir;
        VirtualClock clock(1'700'000'000'000);
        const QString path = dir.filePath(u"canary.db"_s);
        {
            auto database = openOrFail(path);
            AuditLog audit(*database, clock);
            writeFive(audit, clock);
        }
        // An older build's file: read as it is, its schema left alone.
        tamper(path, { u"UPDATE schema_version SET version = 1"_s });
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray before = file.readAll();
        file.close();
        {
            auto opened = Database::openReadOnly(path);
            QVERIFY2(opened, qPrintable(opened ? QString() : opened.error()));
            QVERIFY((*opened)->isReadOnly());
            QCOMPARE((*opened)->schemaVersion(), 1);
            AuditLog audit(**opened, clock);
            const auto verification = audit.verify();
            QVERIFY2(verification.ok(), qPrintable(verification.message));
            QCOMPARE(verification.entries, 5);
            QCOMPARE(audit.entries()->size(), 5);
            // Nothing is written through it.
            QVERIFY(!audit.append({ u"mallory"_s, u"split.set"_s, u"x"_s, {}, AuditResult::Requested, {} }));
        }
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), before);
        file.close();
        QVERIFY(!QFile::exists(path + u"-wal"_s) || QFileInfo(path + u"-wal"_s).size() == 0);

        // Another process in BEGIN EXCLUSIVE does not stop a reader of the write-ahead log.
        tamper(path, { u"UPDATE schema_version SET version = 2"_s });
        auto writer = openOrFail(path);
        QVERIFY(writer->begin());
        QSqlQuery exclusive(writer->connection());
        QVERIFY(exclusive.exec(u"INSERT INTO lease (name, token, pid, host, user, command, since_ms, "
                               "expires_ms) VALUES ('x', 't', 1, 'h', 'u', 'c', 0, 0)"_s));
        {
            auto opened = Database::openReadOnly(path);
            QVERIFY2(opened, qPrintable(opened ? QString() : opened.error()));
            AuditLog audit(**opened, clock);
            QVERIFY2(audit.verify().ok(), qPrintable(audit.verify().message));
        }
        writer->rollback();
        writer.reset();

        // What is no store of this build is refused, each with its reason.
        auto missing = Database::openReadOnly(dir.filePath(u"nothing.db"_s));
        QVERIFY(!missing);
        QVERIFY2(missing.error().contains(u"no local store"_s), qPrintable(missing.error()));
        QVERIFY(!QFile::exists(dir.filePath(u"nothing.db"_s)));

        const QString garbage = dir.filePath(u"garbage.db"_s);
        QFile junk(garbage);
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write(QByteArray(4096, 'x'));
        junk.close();
        auto notSqlite = Database::openReadOnly(garbage);
        QVERIFY(!notSqlite);
        QVERIFY2(notSqlite.error().contains(u"damaged"_s), qPrintable(notSqlite.error()));

        const QString other = dir.filePath(u"other.db"_s);
        tamper(other, { u"CREATE TABLE t (x)"_s });
        auto notOurs = Database::openReadOnly(other);
        QVERIFY(!notOurs);
        QVERIFY2(notOurs.error().contains(u"not a Canary Console store"_s), qPrintable(notOurs.error()));

        tamper(path, { u"UPDATE schema_version SET version = 99"_s });
        auto newer = Database::openReadOnly(path);
        QVERIFY(!newer);
        QVERIFY2(newer.error().contains(u"99"_s), qPrintable(newer.error()));
    }
};

QTEST_GUILESS_MAIN(TestAuditLog)
#include "tst_auditlog.moc"
