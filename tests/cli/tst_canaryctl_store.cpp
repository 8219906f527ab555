#include <sys/stat.h>
#include <unistd.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include "canaryctlrun.h"
#include "sim/eventstore.h"
#include "sim/faultinjector.h"
#include "sim/simserver.h"
#include "simfixture.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::Fault;
using canary::testing::Run;
using canary::testing::SimFixture;

namespace {

constexpr int StoreUnusable = 13;
constexpr int ApiOrData = 4;
// Root writes anywhere: a read-only copy is only read-only to someone else.
constexpr uid_t Nobody = 65534;

QProcessEnvironment environmentFor(const QString &stateDir)
{
    auto environment = QProcessEnvironment::systemEnvironment();
    for (const auto &name :
        { u"DT_ENV_URL"_s, u"DT_API_TOKEN"_s, u"DYNATRACE_ENV_URL"_s, u"DYNATRACE_API_TOKEN"_s })
        environment.remove(name);
    environment.insert(u"CANARY_STATE_DIR"_s, stateDir);
    environment.insert(u"HOME"_s, stateDir);
    return environment;
}

// canaryctl as `canaryctl(…)` runs it, but as the user `uid` when that is not this one.
Run canaryctlAs(uid_t uid, const QStringList &arguments, const QProcessEnvironment &environment)
{
    QProcess process;
    process.setProcessEnvironment(environment);
    if (uid != ::geteuid()) {
        process.setChildProcessModifier([uid] {
            if (::setgid(uid) != 0 || ::setuid(uid) != 0)
                ::_exit(127);
        });
    }
    QSignalSpy finished(&process, &QProcess::finished);
    process.start(QStringLiteral(CANARYCTL_PATH), arguments);
    if (!process.waitForStarted(10'000))
        qFatal("canaryctl did not start");
    process.closeWriteChannel();
    [&] { QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60'000); }();
    return { process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
        process.readAllStandardOutput(), process.readAllStandardError() };
}

void writeRows(const QString &path, int rows)
{
    auto database = store::Database::open(path);
    QVERIFY2(database, qPrintable(database ? QString() : database.error()));
    VirtualClock clock(1'700'000'000'000);
    store::AuditLog audit(**database, clock);
    for (int i = 1; i <= rows; ++i) {
        clock.advanceMs(1'000);
        QVERIFY(audit.append({ u"alice"_s, u"split.set"_s, u"simulator"_s, { { u"to"_s, i * 10 } },
            store::AuditResult::Requested, u"step %1"_s.arg(i) }));
    }
}

void execute(const QString &path, const QString &statement)
{
    const QString name = u"test-sql"_s;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
        db.setDatabaseName(path);
        QVERIFY(db.open());
        QSqlQuery query(db);
        QVERIFY2(query.exec(statement), qPrintable(statement));
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
}

QByteArray contents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestCanaryctlStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // A copy of the state folder kept for the audit trail, read-only, from an older build: verified and
    // listed as it is, not migrated, nothing written beside it.
    void auditVerifyAndList_readAReadOnlyCopy_asItIs()
    {
        QTemporaryDir base;
        QFile::setPermissions(base.path(),
            QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner | QFileDevice::ReadOther
                | QFileDevice::ExeOther);
        const QString folder = base.filePath(u"copy"_s);
        QVERIFY(QDir().mkpath(folder));
        const QString path = folder + u"/canary.db"_s;
        writeRows(path, 3);
        execute(path, u"UPDATE schema_version SET version = 1"_s);
        QVERIFY(!QFile::exists(path + u"-wal"_s));
        QVERIFY(!QFile::exists(path + u"-shm"_s));
        QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::ReadOther);
        QFile::setPermissions(folder,
            QFileDevice::ReadOwner | QFileDevice::ExeOwner | QFileDevice::ReadOther | QFileDevice::ExeOther);
        const QByteArray before = contents(path);
        const uid_t reader = ::geteuid() == 0 ? Nobody : ::geteuid();
        const auto environment = environmentFor(folder);

        const Run verified = canaryctlAs(reader, { u"audit"_s, u"verify"_s, u"--json"_s }, environment);
        QVERIFY2(verified.exitCode == 0, verified.err.constData());
        const QJsonObject result = QJsonDocument::fromJson(verified.out).object();
        QCOMPARE(result.value(u"ok"_s).toBool(), true);
        QCOMPARE(result.value(u"entries"_s).toInt(), 3);

        const Run listed = canaryctlAs(reader, { u"audit"_s, u"list"_s, u"--json"_s }, environment);
        QVERIFY2(listed.exitCode == 0, listed.err.constData());
        QCOMPARE(QJsonDocument::fromJson(listed.out).array().size(), 3);

        QCOMPARE(contents(path), before);
        QCOMPARE(QDir(folder).entryList(QDir::Files), QStringList { u"canary.db"_s });
        QFile::setPermissions(
            folder, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        auto reread = store::Database::openReadOnly(path);
        QVERIFY(reread);
        QCOMPARE((*reread)->schemaVersion(), 1);
    }

    // Issue 20 item 5: a state folder others may write to stops every command that uses the state (and the
    // read-only ones, which would read what was planted), with the path, its owner and mode, and the fix.
    void unsafeStateFolder_exits13_namingItAndTheFix_data()
    {
        QTest::addColumn<int>("mode");
        QTest::newRow("world-writable") << 0777;
        QTest::newRow("group-writable") << 0770;
    }

    void unsafeStateFolder_exits13_namingItAndTheFix()
    {
        QFETCH(int, mode);
        QTemporaryDir state;
        writeRows(state.filePath(u"canary.db"_s), 1);
        QVERIFY(::chmod(QFile::encodeName(state.path()).constData(), mode_t(mode)) == 0);
        auto environment = environmentFor(state.path());
        // A Dynatrace that is never reached: nothing gets that far.
        environment.insert(u"DT_ENV_URL"_s, u"http://127.0.0.1:9"_s);
        environment.insert(u"DT_API_TOKEN"_s, u"dt0c01.unused"_s);
        const QString modeText = u"%1"_s.arg(mode, 4, 8, QLatin1Char('0'));
        for (const QStringList &command : { QStringList { u"split"_s, u"get"_s }, QStringList { u"status"_s },
                 QStringList { u"rollback"_s, u"--yes"_s }, QStringList { u"rollback"_s, u"--resume"_s },
                 QStringList { u"split"_s, u"set"_s, u"10"_s }, QStringList { u"audit"_s, u"verify"_s } }) {
            const Run run = testing::canaryctl(command, environment);
            QVERIFY2(run.exitCode == StoreUnusable,
                qPrintable(command.join(u' ') + u": "_s + QString::fromUtf8(run.err)));
            for (const QString &expected : { state.path(), modeText, u"chmod go-w %1"_s.arg(state.path()) })
                QVERIFY2(QString::fromUtf8(run.err).contains(expected),
                    qPrintable(command.join(u' ') + u": "_s + QString::fromUtf8(run.err)));
        }
        QVERIFY(::chmod(QFile::encodeName(state.path()).constData(), 0700) == 0);
    }

    // A journal that is a link to a file elsewhere is refused, not followed.
    void symlinkedJournal_exits13()
    {
        QTemporaryDir state;
        QTemporaryDir elsewhere;
        const QString real = elsewhere.filePath(u"rollback-journal.json"_s);
        QFile file(real);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\"version\":2}");
        file.close();
        QVERIFY(QFile::link(real, state.filePath(u"rollback-journal.json"_s)));
        const Run run = testing::canaryctl({ u"rollback"_s, u"--resume"_s }, environmentFor(state.path()));
        QVERIFY2(run.exitCode == StoreUnusable, run.err.constData());
        QVERIFY2(run.err.contains("symbolic link")
                && run.err.contains(state.filePath(u"rollback-journal.json"_s).toUtf8()),
            run.err.constData());
    }

    // A state folder canaryctl makes is its user's alone, and so is the store in it, with umask 022.
    void newStateFolder_isMade0700_withTheStore0600()
    {
        QTemporaryDir base;
        const QString folder = base.filePath(u"fresh/state"_s);
        const mode_t previous = ::umask(022);
        const Run run = testing::canaryctl({ u"outbox"_s, u"list"_s }, environmentFor(folder));
        ::umask(previous);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto modeOf = [](const QString &path) {
            struct stat status
            {
            };
            return ::lstat(QFile::encodeName(path).constData(), &status) == 0 ? int(status.st_mode & 07777)
                                                                              : -1;
        };
        QCOMPARE(modeOf(folder), 0700);
        for (const QString &name : { u"canary.db"_s, u"canary.db-wal"_s, u"canary.db-shm"_s }) {
            const QString path = folder + u'/' + name;
            if (QFile::exists(path)) // -wal and -shm go when the last connection closes
                QCOMPARE(modeOf(path), 0600);
        }
        QVERIFY(QFile::exists(folder + u"/canary.db"_s));
    }

    // "Chain broken" (4) is for a chain that was read and does not hold; a store that cannot be read says so
    // with its own code.
    void auditVerify_anUnusableStoreExits13_aBrokenChainExits4()
    {
        QTemporaryDir damaged;
        QFile junk(damaged.filePath(u"canary.db"_s));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write(QByteArray(4096, 'x'));
        junk.close();
        Run run = testing::canaryctl({ u"audit"_s, u"verify"_s }, environmentFor(damaged.path()));
        QCOMPARE(run.exitCode, StoreUnusable);
        QVERIFY2(run.err.contains("damaged") && !run.err.contains("chain broken"), run.err.constData());
        run = testing::canaryctl({ u"audit"_s, u"list"_s }, environmentFor(damaged.path()));
        QCOMPARE(run.exitCode, StoreUnusable);

        QTemporaryDir newer;
        writeRows(newer.filePath(u"canary.db"_s), 1);
        execute(newer.filePath(u"canary.db"_s), u"UPDATE schema_version SET version = 99"_s);
        run = testing::canaryctl({ u"audit"_s, u"verify"_s }, environmentFor(newer.path()));
        QCOMPARE(run.exitCode, StoreUnusable);
        QVERIFY2(run.err.contains("99"), run.err.constData());

        QTemporaryDir edited;
        writeRows(edited.filePath(u"canary.db"_s), 3);
        execute(edited.filePath(u"canary.db"_s), u"UPDATE audit_log SET operator = 'mallory' WHERE id = 2"_s);
        run = testing::canaryctl({ u"audit"_s, u"verify"_s }, environmentFor(edited.path()));
        QCOMPARE(run.exitCode, ApiOrData);
        QVERIFY2(run.err.contains("chain broken at entry 2"), run.err.constData());
    }

    // One option governs every request: split set's event post gives up at --timeout, not at 30 s.
    void splitSet_eventPostGivesUpAtTheTimeout_keptInTheOutbox()
    {
        SimFixture fixture(0, 5);
        fixture.environment->faults().addFault(
            { u"POST /api/v2/events/ingest"_s, Fault::Kind::NeverCompletes });
        QTemporaryDir state;
        auto environment = environmentFor(state.path());
        environment.insert(u"DT_ENV_URL"_s, fixture.environment->baseUrl().toString());
        environment.insert(u"DT_API_TOKEN"_s, fixture.environment->token());
        QElapsedTimer elapsed;
        elapsed.start();
        const Run run = testing::canaryctl(
            { u"split"_s, u"set"_s, u"10"_s, u"--timeout"_s, u"2"_s, u"--operator"_s, u"alice"_s },
            environment);
        const qint64 tookMs = elapsed.elapsed();
        fixture.environment->faults().liftAll();
        QCOMPARE(fixture.world().canaryWeight(), 10);
        QCOMPARE(run.exitCode, ApiOrData);
        QVERIFY2(
            run.err.contains("within 2 s") && run.err.contains("kept in the outbox"), run.err.constData());
        QVERIFY2(tookMs < 20'000, qPrintable(u"split set took %1 ms"_s.arg(tookMs)));

        // Sent later by anyone, it names who asked: --operator, whatever the login.
        const Run flushed = testing::canaryctl({ u"outbox"_s, u"flush"_s }, environment);
        QVERIFY2(flushed.exitCode == 0, flushed.err.constData());
        bool found = false;
        for (const auto &event : fixture.environment->events().events()) {
            if (event.title != u"Canary weight set to 10"_s)
                continue;
            found = true;
            QCOMPARE(event.properties.value(u"canary.operator"_s), u"alice"_s);
        }
        QVERIFY(found);
    }
};

QTEST_GUILESS_MAIN(TestCanaryctlStore)
#include "tst_canaryctl_store.moc"
