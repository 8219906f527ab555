#include <memory>

#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include "sim/faultinjector.h"
#include "sim/simserver.h"
#include "simfixture.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "store/lease.h"
#include "traffic/intentreconciler.h"
#include "traffic/simtrafficbackend.h"
#include "traffic/trafficactions.h"
#include "traffic/trafficcontroller.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::store::AuditEntry;
using canary::store::AuditLog;
using canary::store::AuditResult;
using canary::store::Database;
using canary::store::Lease;
using canary::testing::SimFixture;
using canary::traffic::SimTrafficBackend;
using canary::traffic::Split;
using canary::traffic::SplitIntent;
using canary::traffic::TrafficController;
using canary::traffic::TrafficError;

namespace {

Split split(int canaryPercent)
{
    return *Split::fromCanaryPercent(canaryPercent);
}

// One process's view of one traffic target: its own connection to the shared canary.db, its audit log, its
// simulator back-end and its controller, wired as Environment::openTraffic wires them (the lease and the
// audit's journal).
struct Process
{
    Process(SimFixture &fixture, const QString &path, const QString &user, qint64 leaseWaitMs = 10'000,
        int timeoutMs = 10'000, bool leased = true)
        : database(std::move(Database::open(path)).value())
        , audit(*database, fixture.clock)
        , backend(fixture.environment->baseUrl(), fixture.environment->token(), timeoutMs)
        , controller(&backend, nullptr)
    {
        if (leased) {
            controller.setLease(
                [this, &fixture, user] {
                    auto lease = std::make_unique<Lease>(
                        *database, fixture.clock, Lease::trafficName(backend.targetId()));
                    lease->setUser(user);
                    lease->setCommand(u"canaryctl split set (%1)"_s.arg(user));
                    return lease;
                },
                leaseWaitMs);
        }
        traffic::auditTrafficActions(&controller, &audit, user);
    }

    QList<AuditEntry> splitRows() const
    {
        QList<AuditEntry> rows;
        const auto entries = audit.entries();
        if (!entries) {
            qWarning("audit log unreadable: %s", qPrintable(entries.error()));
            return rows;
        }
        for (const AuditEntry &entry : entries.value()) {
            if (entry.action == u"split.set"_s)
                rows.append(entry);
        }
        return rows;
    }

    std::unique_ptr<Database> database;
    AuditLog audit;
    SimTrafficBackend backend;
    TrafficController controller;
};

// The PUTs of the split the simulator handled (a delayed one counts once it ran).
int putsIn(const QSignalSpy &handled)
{
    int puts = 0;
    for (const QList<QVariant> &arguments : handled) {
        if (arguments.at(0).toString() == u"PUT"_s && arguments.at(1).toString() == u"/api/sim/v1/split"_s)
            ++puts;
    }
    return puts;
}

sim::Fault faultOn(const QString &endpoint, sim::Fault::Kind kind, int value = 0, int remaining = 1)
{
    sim::Fault fault;
    fault.endpoint = endpoint;
    fault.kind = kind;
    fault.value = value;
    fault.remaining = remaining;
    return fault;
}

} // namespace

class TestTrafficLease : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(u"canary-%1.db"_s.arg(++m_round));
    }

    // Two processes on one target: the second waits for the first, naming it, then changes traffic from
    // where the first left it (its `from` is read under the lease, not the stale split it read before).
    void secondProcessWaits_thenAppliesFromAFreshSplit()
    {
        SimFixture fixture(0, 5);
        Process alice(fixture, m_path, u"alice"_s);
        Process bob(fixture, m_path, u"bob"_s);
        QSignalSpy bobRead(&bob.controller, &TrafficController::splitRead);
        bob.controller.refresh();
        QTRY_COMPARE(bobRead.size(), 1);
        QCOMPARE(bob.controller.applied(), split(0)); // what bob believes, soon stale

        // Alice's PUT takes a while: bob asks meanwhile.
        QVERIFY(fixture.environment->faults().addFault(
            faultOn(u"PUT /api/sim/v1/split"_s, sim::Fault::Kind::Latency, 700)));
        QSignalSpy aliceStarted(&alice.controller, &TrafficController::applyStarted);
        QSignalSpy aliceApplied(&alice.controller, &TrafficController::splitApplied);
        alice.controller.requestSplit(split(20));
        QTRY_COMPARE(aliceStarted.size(), 1);

        QSignalSpy bobWaiting(&bob.controller, &TrafficController::applyWaiting);
        QSignalSpy bobApplied(&bob.controller, &TrafficController::splitApplied);
        QSignalSpy bobFailed(&bob.controller, &TrafficController::applyFailed);
        bob.controller.requestSplit(split(30));
        QTRY_COMPARE(bobWaiting.size(), 1);
        const QString holder = bobWaiting.at(0).at(1).toString();
        QVERIFY2(holder.contains(u"alice"_s) && holder.contains(u"canaryctl split set (alice)"_s),
            qPrintable(holder));
        QCOMPARE(aliceApplied.size(), 0); // still alice's turn

        QTRY_COMPARE_WITH_TIMEOUT(bobApplied.size(), 1, 10'000);
        QCOMPARE(bobFailed.size(), 0);
        QCOMPARE(aliceApplied.size(), 1);
        QCOMPARE(bobApplied.at(0).at(0).value<Split>(), split(20)); // from: what alice left
        QCOMPARE(fixture.world().canaryWeight(), 30);

        // The trail agrees with the router: bob's request names 20 % as its start, and the newest
        // "succeeded" row is the split the router holds.
        const QList<AuditEntry> rows = bob.splitRows();
        QCOMPARE(rows.size(), 4);
        QCOMPARE(rows.at(0).operatorName, u"alice"_s);
        QCOMPARE(rows.at(1).operatorName, u"alice"_s); // alice's outcome before bob's request
        QCOMPARE(rows.at(1).result, AuditResult::Succeeded);
        QCOMPARE(rows.at(2).result, AuditResult::Requested);
        const auto bobsIntent = SplitIntent::fromDetail(rows.at(2).detail);
        QVERIFY(bobsIntent && bobsIntent->from);
        QCOMPARE(*bobsIntent->from, split(20));
        QCOMPARE(rows.at(3).result, AuditResult::Succeeded);
        QCOMPARE(rows.at(3).detail.value(u"to"_s).toObject().value(u"canary"_s).toInt(), 30);
    }

    // The holder keeps the target past the wait: the apply fails naming it, and nothing is sent.
    void heldPastTheWait_failsNamingTheHolder()
    {
        SimFixture fixture(10, 5);
        Process bob(fixture, m_path, u"bob"_s, 600);
        auto other = std::move(Database::open(m_path)).value();
        Lease held(*other, fixture.clock, Lease::trafficName(bob.backend.targetId()));
        held.setUser(u"alice"_s);
        held.setCommand(u"canaryctl split set 20"_s);
        QVERIFY(held.tryAcquire());

        QSignalSpy handled(&fixture.environment->server(), &sim::SimServer::requestHandled);
        QSignalSpy failed(&bob.controller, &TrafficController::applyFailed);
        QSignalSpy waiting(&bob.controller, &TrafficController::applyWaiting);
        bob.controller.requestSplit(split(30));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 10'000);
        QCOMPARE(waiting.size(), 1);
        const auto error = failed.at(0).at(1).value<TrafficError>();
        QCOMPARE(error.kind, TrafficError::Kind::Busy);
        QVERIFY2(error.summary().contains(u"canaryctl split set 20"_s) && error.summary().contains(u"alice"_s)
                && error.summary().startsWith(u"nothing was changed"_s),
            qPrintable(error.summary()));
        QCOMPARE(putsIn(handled), 0);
        QCOMPARE(fixture.world().canaryWeight(), 10);
        QVERIFY(!bob.controller.isBusy());
    }

    // Stopped past the lease's expiry while its read was out (SIGSTOP, a suspended laptop): another process
    // took the target meanwhile. The first learns it before it writes or sends anything.
    void leaseTakenOverWhileReading_nothingIsSent()
    {
        SimFixture fixture(10, 5);
        Process bob(fixture, m_path, u"bob"_s);
        QVERIFY(fixture.environment->faults().addFault(
            faultOn(u"GET /api/sim/v1/split"_s, sim::Fault::Kind::Latency, 600)));
        QSignalSpy handled(&fixture.environment->server(), &sim::SimServer::requestHandled);
        QSignalSpy failed(&bob.controller, &TrafficController::applyFailed);
        QSignalSpy started(&bob.controller, &TrafficController::applyStarted);
        bob.controller.requestSplit(split(30));
        auto other = std::move(Database::open(m_path)).value();
        const QString name = Lease::trafficName(bob.backend.targetId());
        QTRY_VERIFY([&] {
            const auto holder = Lease::holderOf(*other, name);
            return holder && holder->has_value();
        }());
        // Past bob's expiry: alice takes the target while bob's read is still out.
        fixture.clock.advanceMs(Lease::DefaultTtlMs + 1'000);
        Lease alice(*other, fixture.clock, name);
        alice.setUser(u"alice"_s);
        QVERIFY(alice.tryAcquire());

        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 10'000);
        const auto error = failed.at(0).at(1).value<TrafficError>();
        QCOMPARE(error.kind, TrafficError::Kind::Busy);
        QVERIFY2(
            error.summary().startsWith(u"nothing was changed"_s) && error.summary().contains(u"taken over"_s),
            qPrintable(error.summary()));
        QCOMPARE(started.size(), 0);
        QCOMPARE(putsIn(handled), 0);
        QCOMPARE(fixture.world().canaryWeight(), 10);
        // No request went on record; the refusal itself may, as a failure.
        for (const AuditEntry &row : bob.splitRows())
            QCOMPARE(row.result, AuditResult::Failed);
        QVERIFY(alice.isHeld()); // bob's failure gives back nothing of alice's
        const auto holder = Lease::holderOf(*other, name);
        QVERIFY(holder && *holder);
        QCOMPARE((*holder)->token, alice.self().token);
    }

    // The split cannot be read under the lease: a change judged against a stale split is not sent.
    void unreadableSplitUnderTheLease_nothingIsSent()
    {
        SimFixture fixture(10, 5);
        Process bob(fixture, m_path, u"bob"_s);
        QVERIFY(fixture.environment->faults().addFault(
            faultOn(u"GET /api/sim/v1/split"_s, sim::Fault::Kind::ServerError, 503, 20)));
        QSignalSpy handled(&fixture.environment->server(), &sim::SimServer::requestHandled);
        QSignalSpy failed(&bob.controller, &TrafficController::applyFailed);
        bob.controller.requestSplit(split(30));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 20'000);
        const auto error = failed.at(0).at(1).value<TrafficError>();
        QVERIFY2(error.summary().contains(u"could not be read under the target's lease"_s),
            qPrintable(error.summary()));
        QCOMPARE(putsIn(handled), 0);
        QCOMPARE(fixture.world().canaryWeight(), 10);
        // No request went on record; the refusal itself may, as a failure.
        for (const AuditEntry &row : bob.splitRows())
            QCOMPARE(row.result, AuditResult::Failed);
    }

    // Another connection holds the store in BEGIN EXCLUSIVE: no "requested" row, so nothing is sent.
    void lockedStore_nothingIsSent_data()
    {
        QTest::addColumn<bool>("leased");
        QTest::newRow("lease refused") << true;
        QTest::newRow("requested row refused") << false;
    }

    void lockedStore_nothingIsSent()
    {
        QFETCH(bool, leased);
        SimFixture fixture(10, 5);
        Process bob(fixture, m_path, u"bob"_s, 300, 10'000, leased);
        QSignalSpy handled(&fixture.environment->server(), &sim::SimServer::requestHandled);
        QSignalSpy failed(&bob.controller, &TrafficController::applyFailed);
        QSignalSpy started(&bob.controller, &TrafficController::applyStarted);
        {
            QSqlDatabase locker = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"locker"_s);
            locker.setDatabaseName(m_path);
            locker.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=0"_s);
            QVERIFY(locker.open());
            QSqlQuery lock(locker);
            QVERIFY(lock.exec(u"BEGIN EXCLUSIVE"_s));
            bob.controller.requestSplit(split(40));
            QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 20'000);
            QVERIFY(lock.exec(u"ROLLBACK"_s));
            locker.close();
        }
        QSqlDatabase::removeDatabase(u"locker"_s);
        const auto error = failed.at(0).at(1).value<TrafficError>();
        QCOMPARE(error.kind, TrafficError::Kind::StoreUnusable);
        QVERIFY2(error.summary().startsWith(u"nothing was changed: the audit log could not be written"_s),
            qPrintable(error.summary()));
        QCOMPARE(started.size(), 0);
        QCOMPARE(putsIn(handled), 0);
        QCOMPARE(fixture.world().canaryWeight(), 10);
        QVERIFY(bob.splitRows().isEmpty());
    }

    // The PUT times out at 1 s, and the router applies it late: "unknown", then the read-back finds the
    // requested split and the change is a success answering its request.
    void timedOutPutAppliedLate_isUnknownThenSucceeded()
    {
        SimFixture fixture(10, 5);
        Process bob(fixture, m_path, u"bob"_s, 10'000, 1'000);
        QVERIFY(fixture.environment->faults().addFault(
            faultOn(u"PUT /api/sim/v1/split"_s, sim::Fault::Kind::Latency, 1'400)));
        QSignalSpy unknown(&bob.controller, &TrafficController::applyOutcomeUnknown);
        QSignalSpy applied(&bob.controller, &TrafficController::splitApplied);
        QSignalSpy failed(&bob.controller, &TrafficController::applyFailed);
        // The read under the lease answers at once; the read-back after the lost answer after the router ran
        // the PUT.
        QSignalSpy read(&bob.controller, &TrafficController::splitRead);
        bob.controller.requestSplit(split(35));
        QTRY_COMPARE(read.size(), 1);
        QVERIFY(fixture.environment->faults().addFault(
            faultOn(u"GET /api/sim/v1/split"_s, sim::Fault::Kind::Latency, 800)));
        QTRY_COMPARE_WITH_TIMEOUT(unknown.size(), 1, 5'000);
        QCOMPARE(unknown.at(0).at(1).value<TrafficError>().kind, TrafficError::Kind::Timeout);
        QTRY_COMPARE_WITH_TIMEOUT(applied.size(), 1, 5'000);
        QCOMPARE(failed.size(), 0);
        QCOMPARE(applied.at(0).at(1).value<Split>(), split(35));

        const QList<AuditEntry> rows = bob.splitRows();
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows.at(0).result, AuditResult::Requested);
        QCOMPARE(rows.at(1).result, AuditResult::Unknown);
        QCOMPARE(rows.at(1).detail.value(u"intent"_s).toInteger(-1), 0); // still open for the reconciler
        QCOMPARE(rows.at(2).result, AuditResult::Succeeded);
        QCOMPARE(rows.at(2).detail.value(u"intent"_s).toInteger(), rows.at(0).id);
    }

    // The PUT times out and the read-back still finds the old split: the router may yet apply it (and here
    // does), so the outcome stays unknown rather than "failed".
    void timedOutPutNotYetApplied_staysUnknown()
    {
        SimFixture fixture(10, 5);
        Process bob(fixture, m_path, u"bob"_s, 10'000, 1'000);
        QVERIFY(fixture.environment->faults().addFault(
            faultOn(u"PUT /api/sim/v1/split"_s, sim::Fault::Kind::Latency, 2'500)));
        QSignalSpy failed(&bob.controller, &TrafficController::applyFailed);
        QSignalSpy applied(&bob.controller, &TrafficController::splitApplied);
        bob.controller.requestSplit(split(40));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 5'000);
        QCOMPARE(fixture.world().canaryWeight(), 10); // not yet
        const auto error = failed.at(0).at(1).value<TrafficError>();
        QVERIFY(error.outcomeUnknown);
        QVERIFY2(error.summary().contains(u"applied late"_s), qPrintable(error.summary()));
        const QList<AuditEntry> rows = bob.splitRows();
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows.at(2).result, AuditResult::Unknown);
        QTRY_COMPARE_WITH_TIMEOUT(fixture.world().canaryWeight(), 40, 5'000); // and there it goes
        QCOMPARE(applied.size(), 0);
    }

    // The router took the PUT but its answer was cut in half: unknown, not failed; the read-back settles it.
    void truncatedAnswer_isUnknownThenSettledByTheReadBack()
    {
        SimFixture fixture(10, 5);
        Process bob(fixture, m_path, u"bob"_s);
        QVERIFY(fixture.environment->faults().addFault(
            faultOn(u"PUT /api/sim/v1/split"_s, sim::Fault::Kind::TruncatedJson)));
        QSignalSpy unknown(&bob.controller, &TrafficController::applyOutcomeUnknown);
        QSignalSpy applied(&bob.controller, &TrafficController::splitApplied);
        QSignalSpy failed(&bob.controller, &TrafficController::applyFailed);
        bob.controller.requestSplit(split(45));
        QTRY_COMPARE_WITH_TIMEOUT(applied.size() + failed.size(), 1, 10'000);
        QCOMPARE(unknown.size(), 1);
        QVERIFY(unknown.at(0).at(1).value<TrafficError>().outcomeUnknown);
        QCOMPARE(applied.size(), 1);
        QCOMPARE(fixture.world().canaryWeight(), 45);
        const QList<AuditEntry> rows = bob.splitRows();
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows.at(1).result, AuditResult::Unknown);
        QCOMPARE(rows.at(2).result, AuditResult::Succeeded);
    }

    // The answer is lost and so is the read-back: the outcome stays unknown (the request open), and the
    // error says to check.
    void lostAnswerAndLostReadBack_staysUnknown()
    {
        SimFixture fixture(10, 5);
        Process bob(fixture, m_path, u"bob"_s, 10'000, 1'000);
        QVERIFY(fixture.environment->faults().addFault(
            faultOn(u"PUT /api/sim/v1/split"_s, sim::Fault::Kind::Latency, 1'400)));
        QSignalSpy read(&bob.controller, &TrafficController::splitRead);
        QSignalSpy failed(&bob.controller, &TrafficController::applyFailed);
        bob.controller.requestSplit(split(50));
        QTRY_COMPARE(read.size(), 1); // the read under the lease; the next one is the read-back
        QVERIFY(fixture.environment->faults().addFault(
            faultOn(u"GET /api/sim/v1/split"_s, sim::Fault::Kind::ServerError, 503, sim::Fault::Unlimited)));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 10'000);
        const auto error = failed.at(0).at(1).value<TrafficError>();
        QVERIFY(error.outcomeUnknown);
        QVERIFY2(error.summary().contains(u"check the split"_s), qPrintable(error.summary()));
        const QList<AuditEntry> rows = bob.splitRows();
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows.at(1).result, AuditResult::Unknown);
        QCOMPARE(rows.at(2).result, AuditResult::Unknown);
        QCOMPARE(rows.at(2).detail.value(u"intent"_s).toInteger(-1), 0);
    }

    // A PUT that failed outright with an answer is a definite failure: no read-back.
    void refusedPut_isFailed()
    {
        SimFixture fixture(10, 5);
        Process bob(fixture, m_path, u"bob"_s);
        QVERIFY(fixture.environment->faults().addFault(
            faultOn(u"PUT /api/sim/v1/split"_s, sim::Fault::Kind::ServerError, 500, sim::Fault::Unlimited)));
        QSignalSpy unknown(&bob.controller, &TrafficController::applyOutcomeUnknown);
        QSignalSpy failed(&bob.controller, &TrafficController::applyFailed);
        bob.controller.requestSplit(split(50));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 10'000);
        QCOMPARE(unknown.size(), 0);
        QVERIFY(!failed.at(0).at(1).value<TrafficError>().outcomeUnknown);
        const QList<AuditEntry> rows = bob.splitRows();
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows.at(1).result, AuditResult::Failed);
    }

    // The back-end's requests give up after the request timeout it was made with, not Qt's 30 s.
    void requestTimeoutReachesTheSimulatorBackend()
    {
        SimFixture fixture(10, 5);
        SimTrafficBackend backend(fixture.environment->baseUrl(), fixture.environment->token(), 1'000);
        QVERIFY(fixture.environment->faults().addFault(
            faultOn(u"GET /api/sim/v1/split"_s, sim::Fault::Kind::Latency, 5'000)));
        std::optional<traffic::SplitResult> result;
        backend.readSplit(this, [&result](const traffic::SplitResult &answer) { result = answer; });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 3'000); // well before the 5 s latency
        QVERIFY(!*result);
        QCOMPARE(result->error().kind, TrafficError::Kind::Timeout);
    }

private:
    QTemporaryDir m_dir;
    QString m_path;
    int m_round = 0;
};

QTEST_GUILESS_MAIN(TestTrafficLease)
#include "tst_trafficlease.moc"
