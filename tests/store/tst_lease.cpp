#include <atomic>
#include <thread>
#include <vector>

#include <QProcess>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

#include "store/auditlog.h"
#include "store/database.h"
#include "store/lease.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::store::AuditLog;
using canary::store::AuditResult;
using canary::store::Database;
using canary::store::Lease;
using canary::store::LeaseHolder;
using canary::store::LeaseRefusal;

namespace {

std::unique_ptr<Database> openOrFail(const QString &path)
{
    auto opened = Database::open(path);
    if (!opened)
        qFatal("cannot open %s: %s", qPrintable(path), qPrintable(opened.error()));
    return std::move(opened).value();
}

// A pid that surely ran on this host and is gone now.
qint64 deadPid()
{
    QProcess process;
    process.start(u"/bin/true"_s, {});
    process.waitForFinished();
    return process.processId() > 0 ? process.processId() : 999'999;
}

} // namespace

class TestLease : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(u"canary-%1.db"_s.arg(++m_round));
    }

    void secondHolderIsRefusedWithTheFirstNamed()
    {
        auto first = openOrFail(m_path);
        auto second = openOrFail(m_path); // another connection: as another process sees the file
        VirtualClock clock(1'000'000);
        Lease a(*first, clock, Lease::trafficName(u"sim:127.0.0.1:1"_s));
        a.setCommand(u"canaryctl split set 20"_s);
        a.setUser(u"alice"_s);
        Lease b(*second, clock, Lease::trafficName(u"sim:127.0.0.1:1"_s));
        const auto taken = a.tryAcquire();
        QVERIFY2(taken, taken ? "" : qPrintable(taken.error().message));
        QVERIFY(a.isHeld());
        const auto refused = b.tryAcquire();
        QVERIFY(!refused);
        QCOMPARE(refused.error().kind, LeaseRefusal::Kind::Held);
        QVERIFY(refused.error().holder);
        QCOMPARE(refused.error().holder->pid, QCoreApplication::applicationPid());
        QCOMPARE(refused.error().holder->command, u"canaryctl split set 20"_s);
        QVERIFY2(refused.error().message.contains(u"canaryctl split set 20"_s),
            qPrintable(refused.error().message));
        QVERIFY(refused.error().message.contains(u"alice"_s));
        QVERIFY(!b.isHeld());

        // Another name is another lease.
        Lease other(*second, clock, Lease::trafficName(u"sim:127.0.0.1:2"_s));
        const auto otherTaken = other.tryAcquire();
        QVERIFY2(otherTaken, otherTaken ? "" : qPrintable(otherTaken.error().message));

        a.release();
        QVERIFY(!a.isHeld());
        QVERIFY(b.tryAcquire());
        // The first holder's release comes too late to free what the second now holds.
        a.release();
        const auto holder = Lease::holderOf(*first, b.name());
        QVERIFY(holder && *holder);
        QCOMPARE((*holder)->token, b.self().token);
    }

    void holderWhoseProcessIsGoneIsTakenOver()
    {
        auto database = openOrFail(m_path);
        VirtualClock clock(1'000'000);
        QSqlQuery query(database->connection());
        query.prepare(
            u"INSERT INTO lease VALUES (?, 'old', ?, ?, 'bob', 'canaryctl rollback --yes', ?, ?)"_s);
        query.addBindValue(Lease::rollbackName(u"svc"_s));
        query.addBindValue(deadPid());
        query.addBindValue(QSysInfo::machineHostName());
        query.addBindValue(clock.nowMs());
        query.addBindValue(clock.nowMs() + 60'000); // not expired: only the dead pid frees it
        QVERIFY(query.exec());
        Lease lease(*database, clock, Lease::rollbackName(u"svc"_s));
        QVERIFY(lease.tryAcquire());
    }

    void holderOnAnotherHostIsFreedOnlyByExpiry()
    {
        auto database = openOrFail(m_path);
        VirtualClock clock(1'000'000);
        QSqlQuery query(database->connection());
        query.prepare(u"INSERT INTO lease VALUES (?, 'old', 1, 'elsewhere.example', 'bob', 'x', ?, ?)"_s);
        query.addBindValue(u"traffic:t"_s);
        query.addBindValue(clock.nowMs());
        query.addBindValue(clock.nowMs() + 30'000);
        QVERIFY(query.exec());
        Lease lease(*database, clock, u"traffic:t"_s);
        const auto refused = lease.tryAcquire();
        QVERIFY(!refused);
        QCOMPARE(refused.error().holder->host, u"elsewhere.example"_s);
        clock.advanceMs(30'001);
        QVERIFY(lease.tryAcquire());
    }

    void waitsForTheHolderThenTakesIt()
    {
        auto first = openOrFail(m_path);
        auto second = openOrFail(m_path);
        VirtualClock clock(1'000'000);
        Lease a(*first, clock, u"traffic:t"_s);
        Lease b(*second, clock, u"traffic:t"_s);
        QVERIFY(a.tryAcquire());
        QSignalSpy waiting(&b, &Lease::waiting);
        QSignalSpy acquired(&b, &Lease::acquired);
        QSignalSpy refused(&b, &Lease::refused);
        b.acquire(60'000);
        QCOMPARE(waiting.count(), 1);
        QVERIFY(b.isWaiting());
        QCOMPARE(waiting.at(0).at(0).value<LeaseHolder>().token, a.self().token);
        QCOMPARE(acquired.count(), 0);
        a.release();
        QTRY_COMPARE(acquired.count(), 1);
        QCOMPARE(refused.count(), 0);
        QCOMPARE(waiting.count(), 1); // told once, not once a poll
        QVERIFY(b.isHeld());
    }

    void noWaitIsRefusedAtOnce()
    {
        auto first = openOrFail(m_path);
        auto second = openOrFail(m_path);
        VirtualClock clock(1'000'000);
        Lease a(*first, clock, u"traffic:t"_s);
        Lease b(*second, clock, u"traffic:t"_s);
        QVERIFY(a.tryAcquire());
        QSignalSpy refused(&b, &Lease::refused);
        QSignalSpy acquired(&b, &Lease::acquired);
        b.acquire(0);
        QCOMPARE(refused.count(), 1);
        QCOMPARE(refused.at(0).at(0).value<LeaseRefusal>().kind, LeaseRefusal::Kind::Held);
        QCOMPARE(acquired.count(), 0);
        QVERIFY(!b.isWaiting());
    }

    void renewalThatFindsItTakenOverSaysLost()
    {
        auto first = openOrFail(m_path);
        auto second = openOrFail(m_path);
        VirtualClock clock(1'000'000);
        Lease a(*first, clock, u"traffic:t"_s);
        a.setTtlMs(30); // renewed every 10 ms
        QVERIFY(a.tryAcquire());
        QSignalSpy lost(&a, &Lease::lost);
        // Frozen past its expiry: someone else took it.
        clock.advanceMs(1'000);
        Lease b(*second, clock, u"traffic:t"_s);
        QVERIFY(b.tryAcquire());
        QTRY_COMPARE(lost.count(), 1);
        QVERIFY(!a.isHeld());
        QVERIFY(lost.at(0).at(0).toString().contains(u"taken over"_s));
        QVERIFY(b.isHeld());
    }

    void renewalKeepsItAlive()
    {
        auto first = openOrFail(m_path);
        auto second = openOrFail(m_path);
        VirtualClock clock(1'000'000);
        Lease a(*first, clock, u"traffic:t"_s);
        a.setTtlMs(300);
        QVERIFY(a.tryAcquire());
        const qint64 firstExpiry = a.self().expiresMs;
        clock.advanceMs(200);
        QTRY_VERIFY(a.self().expiresMs > firstExpiry);
        clock.advanceMs(200); // past the first expiry, not past the renewed one
        Lease b(*second, clock, u"traffic:t"_s);
        QVERIFY(!b.tryAcquire());
    }

    // A holder row is another process's text, perhaps planted: what describe() gives a terminal or a label is
    // escaped and bounded, and says until when the lease holds.
    void holderTextIsEscapedAndBounded()
    {
        LeaseHolder holder;
        holder.pid = 7;
        holder.host = u"host\x1b[2J"_s;
        holder.user = u"mallory\nfake line"_s;
        holder.command = u"canaryctl \x1b]0;owned\x07"_s + QString(100'000, u'x');
        holder.sinceMs = 0;
        holder.expiresMs = 86'400'000;
        const QString text = holder.describe();
        QVERIFY2(!text.contains(QChar(0x1b)) && !text.contains(u'\n') && !text.contains(QChar(0x07)),
            qPrintable(text));
        QVERIFY2(text.size() < 1'000, qPrintable(QString::number(text.size())));
        QVERIFY2(text.contains(u"1970-01-02 00:00:00"_s), qPrintable(text));
    }

    void lockedStoreIsAStoreRefusal()
    {
        auto first = openOrFail(m_path);
        VirtualClock clock(1'000'000);
        {
            QSqlDatabase other = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"locker"_s);
            other.setDatabaseName(m_path);
            other.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=0"_s);
            QVERIFY(other.open());
            QSqlQuery lock(other);
            QVERIFY(lock.exec(u"BEGIN EXCLUSIVE"_s));
            Lease a(*first, clock, u"traffic:t"_s);
            const auto refused = a.tryAcquire();
            QVERIFY(!refused);
            QCOMPARE(refused.error().kind, LeaseRefusal::Kind::Store);
            QVERIFY2(refused.error().message.contains(u"lock"_s), qPrintable(refused.error().message));
            QVERIFY(lock.exec(u"ROLLBACK"_s));
            other.close();
        }
        QSqlDatabase::removeDatabase(u"locker"_s);
    }

    void versionOneStoreIsMigratedWithItsChainIntact()
    {
        {
            QSqlDatabase old = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"v1"_s);
            old.setDatabaseName(m_path);
            QVERIFY(old.open());
            QSqlQuery query(old);
            QVERIFY(query.exec(
                u"CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, "
                "operator TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT "
                "NOT NULL, result TEXT NOT NULL CHECK (result IN ('requested', 'succeeded', "
                "'failed')), message TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)"_s));
            QVERIFY(query.exec(
                u"CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL "
                "UNIQUE, dedup_key TEXT UNIQUE, tenant TEXT NOT NULL, kind TEXT NOT NULL, title "
                "TEXT NOT NULL, body TEXT NOT NULL, created_ms INTEGER NOT NULL, attempts INTEGER "
                "NOT NULL DEFAULT 0, last_attempt_ms INTEGER, last_error TEXT NOT NULL DEFAULT '', "
                "delivered_ms INTEGER, correlation_ids TEXT NOT NULL DEFAULT '')"_s));
            QVERIFY(query.exec(u"CREATE TABLE schema_version (version INTEGER NOT NULL)"_s));
            QVERIFY(query.exec(u"INSERT INTO schema_version VALUES (1)"_s));
            const QString hash = AuditLog::hashOf(AuditLog::genesisHash(), 5, u"alice"_s, u"split.set"_s,
                u"sim"_s, u"{}"_s, u"requested"_s, u"set"_s);
            query.prepare(
                u"INSERT INTO audit_log VALUES (1, 5, 'alice', 'split.set', 'sim', '{}', 'requested', "
                "'set', ?, ?)"_s);
            query.addBindValue(AuditLog::genesisHash());
            query.addBindValue(hash);
            QVERIFY(query.exec());
            old.close();
        }
        QSqlDatabase::removeDatabase(u"v1"_s);

        auto database = openOrFail(m_path);
        QCOMPARE(database->schemaVersion(), Database::SchemaVersion);
        VirtualClock clock(10);
        AuditLog audit(*database, clock);
        auto unknown = audit.append(
            { u"alice"_s, u"split.set"_s, u"sim"_s, {}, AuditResult::Unknown, u"the answer was lost"_s });
        QVERIFY2(unknown, unknown ? "" : qPrintable(unknown.error()));
        const auto verification = audit.verify();
        QVERIFY2(verification.ok(), qPrintable(verification.message));
        QCOMPARE(verification.entries, 2);
        const auto entries = audit.entries();
        QVERIFY(entries);
        QCOMPARE(entries->at(0).operatorName, u"alice"_s);
        QCOMPARE(entries->at(1).result, AuditResult::Unknown);
        Lease lease(*database, clock, u"traffic:t"_s);
        QVERIFY(lease.tryAcquire());
    }

    // Two processes opening a store that does not exist yet (two canaryctl started together): both open it,
    // neither is told "database is locked". Threads stand in for processes: each has its own connection.
    void freshStoreOpenedTogether_opensForBoth()
    {
        for (int round = 0; round < 20; ++round) {
            const QString path = m_dir.filePath(u"fresh-%1.db"_s.arg(round));
            std::atomic<int> ready { 0 };
            QString errors[3];
            std::vector<std::thread> threads;
            for (int i = 0; i < 3; ++i) {
                threads.emplace_back([&, i] {
                    ++ready;
                    while (ready.load() < 3) { } // start together
                    auto opened = Database::open(path);
                    if (!opened)
                        errors[i] = opened.error();
                });
            }
            for (auto &thread : threads)
                thread.join();
            for (const QString &error : errors)
                QVERIFY2(error.isEmpty(), qPrintable(u"round %1: %2"_s.arg(round).arg(error)));
        }
    }

private:
    QTemporaryDir m_dir;
    QString m_path;
    int m_round = 0;
};

QTEST_GUILESS_MAIN(TestLease)
#include "tst_lease.moc"
