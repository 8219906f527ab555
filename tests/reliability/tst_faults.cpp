// Issue 18, "Many processes, one truth": the real canaryctl against an in-process simulator under faults
// that strike after it started: the store locked by another process, a full disk, a PUT whose answer is
// lost but whose change lands late, a launch AWX took whose answer is cut, a damaged rollback journal.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/resource.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "reliabilityrun.h"
#include "sim/awxapi.h"
#include "sim/faultinjector.h"
#include "simfixture.h"
#include "store/outbox.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using namespace canary::reliability;
using canary::testing::SimFixture;

namespace {

constexpr int TimeoutSeconds = 10;
constexpr qint64 DeadlineMs = 60'000; // the store's busy wait, --timeout and start-up, on a loaded machine
constexpr int ResetTemplateId = sim::AwxApi::ResetCanaryWeightingTemplateId;
const QString GetSplit = u"GET /api/sim/v1/split"_s;
const QString PutSplit = u"PUT /api/sim/v1/split"_s;

QStringList splitSet(int percent, const QString &who, int timeoutSeconds = TimeoutSeconds)
{
    return { u"split"_s, u"set"_s, QString::number(percent), u"--operator"_s, who, u"--remediation-action"_s,
        QString::number(ResetTemplateId), u"--timeout"_s, QString::number(timeoutSeconds) };
}

sim::Fault fault(const QString &endpoint, sim::Fault::Kind kind, int value, int count)
{
    sim::Fault made;
    made.endpoint = endpoint;
    made.kind = kind;
    made.value = value;
    made.remaining = count;
    return made;
}

QString rowsText(const QList<QJsonObject> &rows)
{
    QStringList lines;
    for (const QJsonObject &row : rows)
        lines.append(QString::fromUtf8(QJsonDocument(row).toJson(QJsonDocument::Compact)));
    return lines.join(u'\n');
}

int countResult(const QList<QJsonObject> &rows, const QString &result)
{
    return int(std::count_if(rows.cbegin(), rows.cend(),
        [&result](const QJsonObject &row) { return row[u"result"_s].toString() == result; }));
}

} // namespace

class TestReliabilityFaults : public QObject
{
    Q_OBJECT

    // A simulator and a state folder whose store exists: one change (to `initialPercent`) already went
    // through.
    struct Setup
    {
        std::unique_ptr<SimFixture> fixture;
        QTemporaryDir state;
        QProcessEnvironment environment;
        QString databasePath;
    };

    static void prepare(Setup &setup, int initialPercent)
    {
        setup.fixture = std::make_unique<SimFixture>(0, 5);
        QVERIFY(setup.state.isValid());
        setup.environment = environmentFor(*setup.fixture, setup.state.path());
        setup.databasePath = setup.state.filePath(u"canary.db"_s);
        const Outcome first = runOne(setup.environment, splitSet(initialPercent, u"setup"_s), DeadlineMs);
        QVERIFY2(first.exitCode == exitcode::Ok, qPrintable(first.summary()));
        QVERIFY(QFile::exists(setup.databasePath));
        QCOMPARE(setup.fixture->world().canaryWeight(), initialPercent);
    }

    static QStringList rollbackFlags(SimFixture &fixture)
    {
        return { u"--awx-url"_s, fixture.environment->baseUrl().toString(), u"--traffic-backend"_s, u"sim"_s,
            u"--poll-interval"_s, u"5"_s, u"--resolution"_s, u"10s"_s, u"--timeout"_s,
            QString::number(TimeoutSeconds) };
    }

    static int resetLaunches(SimFixture &fixture)
    {
        const auto jobs = fixture.environment->awx().jobs();
        return int(std::count_if(jobs.cbegin(), jobs.cend(),
            [](const sim::AwxSimJob &job) { return job.templateId == ResetTemplateId; }));
    }

    // After start: the store open, the first read of the split held by the simulator for 1.5 s, during
    // which `strike` takes something away; then the change that would follow the read.
    struct Struck
    {
        Outcome outcome;
        int putsBefore = 0;
        int putsAfter = 0;
        int splitAfter = 0;
        QList<QJsonObject> rows; // the struck child's split.set rows
    };

    static void runStruck(Setup &setup, const QString &who, int percent,
        const std::function<bool(qint64 pid)> &strike, const std::function<void()> &release,
        const std::function<void()> &childModifier, Struck &struck)
    {
        auto &faults = setup.fixture->environment->faults();
        struck.putsBefore = faults.requestCount(PutSplit);
        const int readsBefore = faults.requestCount(GetSplit);
        QVERIFY(faults.addFault(fault(GetSplit, sim::Fault::Kind::Latency, 1'500, 1)));
        Children children(setup.environment);
        if (childModifier)
            children.setChildModifier(childModifier);
        const qint64 pid = children.start(splitSet(percent, who));
        QVERIFY(pid > 0);
        // Its first read reached the simulator: the store is open, nothing is requested yet.
        QTRY_VERIFY_WITH_TIMEOUT(
            faults.requestCount(GetSplit) > readsBefore || children.running() == 0, 30'000);
        QVERIFY2(children.running() == 1, "canaryctl ended before it read the split");
        const bool struckNow = strike(pid);
        struck.outcome = children.finish(DeadlineMs).constFirst();
        release();
        QVERIFY(struckNow);
        faults.liftAll();
        struck.putsAfter = faults.requestCount(PutSplit);
        struck.splitAfter = setup.fixture->world().canaryWeight();
        struck.rows = rowsOf(auditRows(setup.environment), who, u"split.set"_s);
    }

private Q_SLOTS:
    // (a) Another process holds the store (BEGIN EXCLUSIVE) after canaryctl opened it: the change is not
    // made, because its "requested" row cannot be written; the command says the store is unusable and
    // names it.
    void storeLockedAfterStart_movesNothing()
    {
        Setup setup;
        prepare(setup, 20);
        if (QTest::currentTestFailed())
            return;
        const QString connection = u"reliability-lock"_s;
        Struck struck;
        {
            QSqlDatabase database = QSqlDatabase::addDatabase(u"QSQLITE"_s, connection);
            database.setDatabaseName(setup.databasePath);
            QVERIFY2(database.open(), qPrintable(database.lastError().text()));
            QSqlQuery query(database);
            QVERIFY(query.exec(u"PRAGMA busy_timeout=5000"_s));
            runStruck(
                setup, u"locked"_s, 45,
                [&query](qint64) {
                    const bool locked = query.exec(u"BEGIN EXCLUSIVE"_s);
                    if (!locked)
                        qWarning("BEGIN EXCLUSIVE: %s", qPrintable(query.lastError().text()));
                    return locked;
                },
                [&query] { query.exec(u"ROLLBACK"_s); }, {}, struck);
            query.finish();
            database.close();
        }
        QSqlDatabase::removeDatabase(connection);
        if (QTest::currentTestFailed())
            return;
        qInfo("FIGURES locked store: %s; PUTs %d -> %d, split %d -> %d; its rows: %lld",
            qPrintable(struck.outcome.summary()), struck.putsBefore, struck.putsAfter, 20, struck.splitAfter,
            qlonglong(struck.rows.size()));

        QVERIFY2(!struck.outcome.overran, qPrintable(struck.outcome.summary()));
        QVERIFY2(struck.putsAfter == struck.putsBefore && struck.splitAfter == 20,
            qPrintable(u"the back-end moved to %1 % without its record"_s.arg(struck.splitAfter)));
        QVERIFY2(countResult(struck.rows, u"requested"_s) == 0, qPrintable(rowsText(struck.rows)));
        QVERIFY2(
            struck.outcome.err.contains(setup.databasePath.toUtf8()), qPrintable(struck.outcome.summary()));
        QCOMPARE(struck.outcome.exitCode, exitcode::StoreUnusable);

        const Outcome verify = runOne(setup.environment, { u"audit"_s, u"verify"_s }, DeadlineMs);
        QVERIFY2(verify.exitCode == exitcode::Ok, qPrintable(verify.summary()));
    }

    // (b) The disk fills after canaryctl opened the store: RLIMIT_FSIZE of the running child drops to 0
    // (prlimit), SIGXFSZ ignored, so every write that grows a file fails with EFBIG as on a full disk. (At
    // start the limit would fail opening the store already: SQLite sizes its -shm file then, a fault
    // before start that fails cleanly today.) No move without its record, and no outbox entry for it.
    void diskFullAfterStart_movesNothing()
    {
        Setup setup;
        prepare(setup, 13);
        if (QTest::currentTestFailed())
            return;
        const Outcome outboxBefore
            = runOne(setup.environment, { u"outbox"_s, u"list"_s, u"--json"_s }, DeadlineMs);
        Struck struck;
        runStruck(
            setup, u"full"_s, 44,
            [](qint64 pid) {
                const rlimit full { 0, 0 };
                const bool limited = ::prlimit(pid_t(pid), RLIMIT_FSIZE, &full, nullptr) == 0;
                if (!limited)
                    qWarning("prlimit: %s", strerror(errno));
                return limited;
            },
            [] {},
            [] {
                ::signal(SIGXFSZ, SIG_IGN); // survives exec: writes fail with EFBIG instead of killing it
            },
            struck);
        if (QTest::currentTestFailed())
            return;
        const Outcome outboxAfter
            = runOne(setup.environment, { u"outbox"_s, u"list"_s, u"--json"_s }, DeadlineMs);
        const qsizetype entriesBefore = QJsonDocument::fromJson(outboxBefore.out).array().size();
        const qsizetype entriesAfter = QJsonDocument::fromJson(outboxAfter.out).array().size();
        qInfo("FIGURES full disk: %s; PUTs %d -> %d, split %d -> %d; its rows: %lld; outbox entries %lld -> "
              "%lld",
            qPrintable(struck.outcome.summary()), struck.putsBefore, struck.putsAfter, 13, struck.splitAfter,
            qlonglong(struck.rows.size()), qlonglong(entriesBefore), qlonglong(entriesAfter));

        QVERIFY2(!struck.outcome.overran, qPrintable(struck.outcome.summary()));
        QVERIFY2(struck.putsAfter == struck.putsBefore && struck.splitAfter == 13,
            qPrintable(u"the back-end moved to %1 % without its record"_s.arg(struck.splitAfter)));
        QVERIFY2(countResult(struck.rows, u"requested"_s) == 0, qPrintable(rowsText(struck.rows)));
        QCOMPARE(entriesAfter, entriesBefore);
        QVERIFY2(
            struck.outcome.err.contains(setup.databasePath.toUtf8()), qPrintable(struck.outcome.summary()));
        QCOMPARE(struck.outcome.exitCode, exitcode::StoreUnusable);

        const Outcome verify = runOne(setup.environment, { u"audit"_s, u"verify"_s }, DeadlineMs);
        QVERIFY2(verify.exitCode == exitcode::Ok, qPrintable(verify.summary()));
    }

    // (c) The PUT's answer comes after --timeout (3 s) while the simulator applies the change late (at
    // 4 s); the read-back after it is answered at ~4.5 s, when the change is in force. The audit log says
    // "unknown" for the request, then what reading back found (the split moved); never "failed".
    void timedOutPut_isUnknownThenWhatReadingBackFound()
    {
        Setup setup;
        prepare(setup, 20);
        if (QTest::currentTestFailed())
            return;
        constexpr int Timeout = 3;
        constexpr int Percent = 42;
        auto &faults = setup.fixture->environment->faults();
        const int putsBefore = faults.requestCount(PutSplit);
        QVERIFY(faults.addFault(fault(PutSplit, sim::Fault::Kind::Latency, 4'000, 1)));
        Children children(setup.environment);
        children.start(splitSet(Percent, u"late"_s, Timeout));
        QTRY_VERIFY_WITH_TIMEOUT(
            faults.requestCount(PutSplit) > putsBefore || children.running() == 0, 30'000);
        // The next read (the read-back) is answered after the late change took effect.
        QVERIFY(faults.addFault(fault(GetSplit, sim::Fault::Kind::Latency, 1'500, 1)));
        const Outcome outcome = children.finish(DeadlineMs).constFirst();
        // The late change lands whatever the client did.
        QTRY_COMPARE_WITH_TIMEOUT(setup.fixture->world().canaryWeight(), Percent, 10'000);
        faults.liftAll();
        const QList<QJsonObject> rows = rowsOf(auditRows(setup.environment), u"late"_s, u"split.set"_s);
        qInfo("FIGURES timed-out PUT: %s; its rows:\n%s", qPrintable(outcome.summary()),
            qPrintable(rowsText(rows)));

        QVERIFY2(!outcome.overran, qPrintable(outcome.summary()));
        QVERIFY2(outcome.elapsedMs < (2 * Timeout + 10) * 1000, qPrintable(outcome.summary()));
        QVERIFY2(countResult(rows, u"failed"_s) == 0,
            qPrintable(u"audited failed while the split moved to %1 %:\n"_s.arg(Percent) + rowsText(rows)));
        QVERIFY2(countResult(rows, u"requested"_s) == 1, qPrintable(rowsText(rows)));
        const auto request = std::find_if(rows.cbegin(), rows.cend(),
            [](const QJsonObject &row) { return row[u"result"_s].toString() == u"requested"_s; });
        // The "unknown" row is about this request: it names it (intent), or it follows it and names the split
        // asked for (an intermediate row, with the request answered by what reading back found).
        const auto unknown = std::find_if(rows.cbegin(), rows.cend(), [&request](const QJsonObject &row) {
            const qint64 requestId = (*request)[u"id"_s].toInteger();
            return row[u"result"_s].toString() == u"unknown"_s
                && (row[u"detail"_s][u"intent"_s].toInteger() == requestId
                    || (row[u"id"_s].toInteger() > requestId
                        && row[u"detail"_s][u"to"_s][u"canary"_s].toInt() == Percent));
        });
        QVERIFY2(
            unknown != rows.cend(), qPrintable(u"no 'unknown' row for the request:\n"_s + rowsText(rows)));
        // After it, a row saying what reading back found: the requested split, in force.
        const auto found = std::find_if(rows.cbegin(), rows.cend(), [&unknown](const QJsonObject &row) {
            const QString text = QString::fromUtf8(QJsonDocument(row).toJson(QJsonDocument::Compact));
            return row[u"id"_s].toInteger() > (*unknown)[u"id"_s].toInteger()
                && row[u"result"_s].toString() != u"requested"_s
                && (row[u"detail"_s][u"to"_s][u"canary"_s].toInt() == Percent
                    || row[u"message"_s].toString().contains(splitText(Percent)));
        });
        QVERIFY2(found != rows.cend(),
            qPrintable(u"no row after the 'unknown' one says what reading back found (%1):\n"_s.arg(
                           splitText(Percent))
                + rowsText(rows)));
        QVERIFY2(outcome.exitCode == exitcode::Ok || outcome.exitCode == exitcode::Unknown,
            qPrintable(outcome.summary()));
    }

    // (d) AWX takes the launch (201) but its answer is cut halfway: "launched, details unknown", never
    // "AWX refused to launch" (exit 7), and no second launch.
    void truncated201OnLaunch_isNeverRefused()
    {
        auto fixture = std::make_unique<SimFixture>(0, 5);
        QTemporaryDir state;
        const QProcessEnvironment environment = environmentFor(*fixture, state.path());
        QTimer pump;
        QObject::connect(&pump, &QTimer::timeout, &pump, [&fixture] { fixture->clock.advanceMs(250); });
        const Outcome shift = runOne(environment, splitSet(100, u"setup"_s), DeadlineMs);
        QVERIFY2(shift.exitCode == exitcode::Ok, qPrintable(shift.summary()));
        fixture->clock.advanceMs(60'000);
        const int launchesBefore = resetLaunches(*fixture);
        QVERIFY(fixture->environment->faults().addFault(
            fault(u"POST /api/v2/job_templates/*"_s, sim::Fault::Kind::TruncatedJson, 0, 1)));
        pump.start(1);
        const Outcome rollback = runOne(environment,
            QStringList { u"rollback"_s, u"--yes"_s, u"--operator"_s, u"cut"_s } + rollbackFlags(*fixture),
            DeadlineMs);
        pump.stop();
        fixture->environment->faults().liftAll();
        const int launches = resetLaunches(*fixture) - launchesBefore;
        const QList<QJsonObject> rows = rowsOf(auditRows(environment), u"cut"_s, u"rollback."_s);
        qInfo("FIGURES truncated 201: %s; %d launches; its rows:\n%s", qPrintable(rollback.summary()),
            launches, qPrintable(rowsText(rows)));

        QVERIFY2(!rollback.overran, qPrintable(rollback.summary()));
        QCOMPARE(launches, 1);
        QVERIFY2(rollback.exitCode != exitcode::LaunchFailed, qPrintable(rollback.summary()));
        QVERIFY2(!rollback.err.contains("refused to launch") && !rollback.out.contains("refused to launch"),
            qPrintable(rollback.summary()));
        // The lost answer is on record as such (under whichever action), before what searching AWX found.
        const QList<QJsonObject> all = rowsOf(auditRows(environment), u"cut"_s, QString());
        QVERIFY2(countResult(all, u"unknown"_s) >= 1, qPrintable(rowsText(all)));
        for (const QJsonObject &row : rows) {
            QVERIFY2(row[u"detail"_s][u"failure"_s].toString() != u"launch-failed"_s
                    && !row[u"message"_s].toString().contains(u"refused to launch"_s),
                qPrintable(rowsText(rows)));
        }
    }

    // Why 1, deterministic: an event an earlier run left pending (a 503), ingest slowed to 3 s, then two
    // `split set` 0.5 s apart (the second starts once the first's sender is on the pending entry). Each
    // process's sender delivers the oldest entry, whoever wrote it: each waits for its own by what the
    // store says, within --timeout, and no entry is sent by two processes at once.
    void otherProcessDeliversMyEvent_bothEndInTime_noDuplicate()
    {
        Setup setup;
        prepare(setup, 20);
        if (QTest::currentTestFailed())
            return;
        auto &faults = setup.fixture->environment->faults();
        const QString ingest = u"POST /api/v2/events/ingest"_s;
        // Dynatrace answers 503 for as long as the first run lasts (--timeout 2): its event stays pending.
        QVERIFY(faults.addFault(fault(ingest, sim::Fault::Kind::ServerError, 503, sim::Fault::Unlimited)));
        const Outcome pending = runOne(setup.environment, splitSet(30, u"pending"_s, 2), DeadlineMs);
        QVERIFY2(!pending.overran, qPrintable(pending.summary()));
        faults.liftAll();
        const Outcome listed = runOne(setup.environment, { u"outbox"_s, u"list"_s, u"--json"_s }, DeadlineMs);
        const QJsonArray entries = QJsonDocument::fromJson(listed.out).array();
        QVERIFY2(std::any_of(entries.begin(), entries.end(),
                     [](const QJsonValue &entry) { return !entry[u"delivered"_s].toBool(); }),
            listed.out.constData());
        QVERIFY(faults.addFault(fault(ingest, sim::Fault::Kind::Latency, 3'000, sim::Fault::Unlimited)));
        const int postsBefore = faults.requestCount(ingest);
        Children children(setup.environment);
        children.start(splitSet(10, u"first"_s));
        QTRY_VERIFY_WITH_TIMEOUT(
            faults.requestCount(ingest) > postsBefore || children.running() == 0, 30'000);
        children.start(splitSet(25, u"second"_s));
        const QList<Outcome> outcomes = children.finish(DeadlineMs);
        faults.liftAll();
        const Outcome flush = runOne(setup.environment, { u"outbox"_s, u"flush"_s }, DeadlineMs);
        const auto ingested
            = setup.fixture->environment->ingestedPropertyCounts(store::Outbox::IdProperty.toString());
        int duplicates = 0;
        for (int count : ingested)
            duplicates += count - 1;
        qInfo("FIGURES pending event delivered by another process: first %s; second %s; flush %s; %lld ids "
              "ingested, %d duplicates",
            qPrintable(outcomes.at(0).summary()), qPrintable(outcomes.at(1).summary()),
            qPrintable(flush.summary()), qlonglong(ingested.size()), duplicates);

        for (const Outcome &outcome : outcomes) {
            QVERIFY2(!outcome.overran, qPrintable(outcome.summary()));
            QVERIFY2(outcome.exitCode == exitcode::Ok, qPrintable(outcome.summary()));
        }
        QCOMPARE(duplicates, 0);
        QVERIFY2(flush.exitCode == exitcode::Ok, qPrintable(flush.summary()));
    }

    // What to build 1: while one process changes the split (its PUT answered after 3 s), a second
    // `split set --timeout 1` waits at most its timeout for the target, then refuses with Busy naming the
    // holder's pid; it sends nothing to the back-end and requests nothing.
    void targetHeld_secondProcessIsBusy_namingTheHolder()
    {
        Setup setup;
        prepare(setup, 20);
        if (QTest::currentTestFailed())
            return;
        auto &faults = setup.fixture->environment->faults();
        const int putsBefore = faults.requestCount(PutSplit);
        QVERIFY(faults.addFault(fault(PutSplit, sim::Fault::Kind::Latency, 3'000, 1)));
        Children children(setup.environment);
        const qint64 holder = children.start(splitSet(35, u"holder"_s));
        QTRY_VERIFY_WITH_TIMEOUT(
            faults.requestCount(PutSplit) > putsBefore || children.running() == 0, 30'000);
        children.start(splitSet(60, u"waiter"_s, 1));
        const QList<Outcome> outcomes = children.finish(DeadlineMs);
        faults.liftAll();
        const int puts = faults.requestCount(PutSplit) - putsBefore;
        const QList<QJsonObject> waiterRows
            = rowsOf(auditRows(setup.environment), u"waiter"_s, u"split.set"_s);
        qInfo("FIGURES held target: holder %s; waiter %s; %d PUTs; split now %d; waiter's rows: %lld",
            qPrintable(outcomes.at(0).summary()), qPrintable(outcomes.at(1).summary()), puts,
            setup.fixture->world().canaryWeight(), qlonglong(waiterRows.size()));

        const Outcome &waiter = outcomes.at(1);
        QVERIFY2(outcomes.at(0).exitCode == exitcode::Ok, qPrintable(outcomes.at(0).summary()));
        QVERIFY2(!waiter.overran, qPrintable(waiter.summary()));
        QCOMPARE(puts, 1);
        QCOMPARE(setup.fixture->world().canaryWeight(), 35);
        QVERIFY2(countResult(waiterRows, u"requested"_s) == 0, qPrintable(rowsText(waiterRows)));
        QCOMPARE(waiter.exitCode, exitcode::Busy);
        QVERIFY2(waiter.err.contains(QByteArray::number(holder)), qPrintable(waiter.summary()));
    }

    // (e) A damaged rollback journal stops `rollback --yes` and `rollback --resume`: they name the file,
    // launch nothing and leave the file as it was for the operator to look at.
    void damagedJournal_refusesWithThePath_launchesNothing()
    {
        auto fixture = std::make_unique<SimFixture>(0, 5);
        QTemporaryDir state;
        const QProcessEnvironment environment = environmentFor(*fixture, state.path());
        QTimer pump;
        QObject::connect(&pump, &QTimer::timeout, &pump, [&fixture] { fixture->clock.advanceMs(250); });
        const Outcome shift = runOne(environment, splitSet(100, u"setup"_s), DeadlineMs);
        QVERIFY2(shift.exitCode == exitcode::Ok, qPrintable(shift.summary()));
        fixture->clock.advanceMs(60'000);
        const QString journalPath = state.filePath(u"rollback-journal.json"_s);
        const QByteArray garbage
            = QByteArrayLiteral("{\"version\":2,\"inFlight\":{\"id\":\"rollback-1\",\x01\x02 not json");
        {
            QFile journal(journalPath);
            QVERIFY(journal.open(QIODevice::WriteOnly));
            QCOMPARE(journal.write(garbage), garbage.size());
        }
        const int launchesBefore = resetLaunches(*fixture);
        pump.start(1);
        const Outcome yes = runOne(environment,
            QStringList { u"rollback"_s, u"--yes"_s, u"--operator"_s, u"damaged"_s }
                + rollbackFlags(*fixture),
            DeadlineMs);
        const Outcome resume = runOne(environment,
            QStringList { u"rollback"_s, u"--resume"_s, u"--yes"_s, u"--operator"_s, u"damaged"_s }
                + rollbackFlags(*fixture),
            DeadlineMs);
        pump.stop();
        const int launches = resetLaunches(*fixture) - launchesBefore;
        QFile journal(journalPath);
        QVERIFY(journal.open(QIODevice::ReadOnly));
        const QByteArray after = journal.readAll();
        qInfo("FIGURES damaged journal: --yes %s; --resume %s; %d launches; journal %s",
            qPrintable(yes.summary()), qPrintable(resume.summary()), launches,
            after == garbage ? "untouched" : "rewritten");

        QCOMPARE(launches, 0);
        QVERIFY2(after == garbage, "the damaged journal was overwritten");
        for (const Outcome &outcome : { yes, resume }) {
            QVERIFY2(!outcome.overran, qPrintable(outcome.summary()));
            QVERIFY2(outcome.exitCode != exitcode::Ok && outcome.exitCode != exitcode::NoPlan
                    && outcome.exitCode != exitcode::LaunchFailed && outcome.exitCode != exitcode::JobFailed
                    && outcome.exitCode != exitcode::NotVerified,
                qPrintable(outcome.summary()));
            QVERIFY2(outcome.err.contains(journalPath.toUtf8()), qPrintable(outcome.summary()));
            QVERIFY2(!outcome.err.contains("no rollback in flight"), qPrintable(outcome.summary()));
        }
    }
};

QTEST_GUILESS_MAIN(TestReliabilityFaults)
#include "tst_faults.moc"
