#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "canaryctlrun.h"
#include "sim/faultinjector.h"
#include "simfixture.h"
#include "store/database.h"
#include "store/lease.h"
#include "traffic/simtrafficbackend.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::canaryctl;
using canary::testing::Run;
using canary::testing::SimFixture;

namespace {

// canaryctl's exit codes (app/canaryctl/commands.h) these tests expect.
constexpr int Ok = 0;
constexpr int Busy = 12;
constexpr int Unknown = 14;

// One simulator and one state folder (one canary.db) for every canaryctl of a test.
struct Setup
{
    QTemporaryDir dir;
    QProcessEnvironment environment;

    explicit Setup(const SimFixture &fixture)
    {
        environment = QProcessEnvironment::systemEnvironment();
        for (const auto &name :
            { u"DT_ENV_URL"_s, u"DT_API_TOKEN"_s, u"DYNATRACE_ENV_URL"_s, u"DYNATRACE_API_TOKEN"_s })
            environment.remove(name);
        environment.insert(u"DT_ENV_URL"_s, fixture.environment->baseUrl().toString());
        environment.insert(u"DT_API_TOKEN"_s, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, dir.filePath(u"state"_s));
        environment.insert(u"USER"_s, u"split-tester"_s);
    }

    QString databasePath() const { return dir.filePath(u"state/canary.db"_s); }

    QJsonArray splitRows() const
    {
        const Run run = canaryctl({ u"audit"_s, u"list"_s, u"--json"_s }, environment);
        QJsonArray rows;
        for (const QJsonValue &entry : QJsonDocument::fromJson(run.out).array()) {
            if (entry[u"action"_s].toString() == u"split.set"_s)
                rows.append(entry);
        }
        return rows;
    }
};

sim::Fault faultOn(const QString &endpoint, sim::Fault::Kind kind, int value)
{
    sim::Fault fault;
    fault.endpoint = endpoint;
    fault.kind = kind;
    fault.value = value;
    fault.remaining = 1;
    return fault;
}

} // namespace

class TestCanaryctlSplit : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Another process holds the target past --timeout: canaryctl says whom it waits for, then gives up
    // naming it (Busy), and the router is untouched.
    void heldTarget_waitsThenExitsBusyNamingTheHolder()
    {
        SimFixture fixture(10, 5);
        Setup setup(fixture);
        // The store exists once canaryctl opened it; the lease is taken as another canaryctl would.
        QCOMPARE(
            canaryctl({ u"split"_s, u"set"_s, u"15"_s, u"--no-event"_s }, setup.environment).exitCode, Ok);
        auto database = std::move(store::Database::open(setup.databasePath())).value();
        traffic::SimTrafficBackend backend(fixture.environment->baseUrl(), fixture.environment->token());
        store::Lease held(*database, Clock::system(), store::Lease::trafficName(backend.targetId()));
        held.setUser(u"alice"_s);
        held.setCommand(u"canaryctl split set 60"_s);
        QVERIFY(held.tryAcquire());

        const Run run = canaryctl(
            { u"split"_s, u"set"_s, u"30"_s, u"--no-event"_s, u"--timeout"_s, u"1"_s }, setup.environment);
        QCOMPARE(run.exitCode, Busy);
        QVERIFY2(run.err.contains("waiting for canaryctl split set 60") && run.err.contains("alice"),
            run.err.constData());
        QVERIFY2(run.err.contains("nothing was changed"), run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 15);

        // Once it is given back, the same command goes through.
        held.release();
        QCOMPARE(
            canaryctl({ u"split"_s, u"set"_s, u"30"_s, u"--no-event"_s }, setup.environment).exitCode, Ok);
        QCOMPARE(fixture.world().canaryWeight(), 30);
    }

    // --timeout reaches the simulator back-end: a PUT that takes longer is given up after 1 s, and as the
    // router may still apply it, the outcome is unknown (exit 14), on record as such, with a word to check.
    void timedOutPut_exitsUnknown()
    {
        SimFixture fixture(10, 5);
        Setup setup(fixture);
        QVERIFY(fixture.environment->faults().addFault(
            faultOn(u"PUT /api/sim/v1/split"_s, sim::Fault::Kind::Latency, 4'000)));
        QProcess process;
        process.setProcessEnvironment(setup.environment);
        QSignalSpy finished(&process, &QProcess::finished);
        process.start(QStringLiteral(CANARYCTL_PATH),
            { u"split"_s, u"set"_s, u"40"_s, u"--no-event"_s, u"--timeout"_s, u"1"_s });
        // Well before the router's 4 s: the one option governs the back-end's client.
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 3'500);
        const QByteArray err = process.readAllStandardError();
        QCOMPARE(process.exitCode(), Unknown);
        QVERIFY2(err.contains("check the split"), err.constData());
        QTRY_COMPARE_WITH_TIMEOUT(fixture.world().canaryWeight(), 40, 10'000); // applied late, as warned

        const QJsonArray rows = setup.splitRows();
        QStringList results;
        for (const QJsonValue &row : rows)
            results.append(row[u"result"_s].toString());
        QCOMPARE(results, (QStringList { u"requested"_s, u"unknown"_s, u"unknown"_s }));
    }
};

QTEST_GUILESS_MAIN(TestCanaryctlSplit)
#include "tst_canaryctl_split.moc"
