#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "canaryctlrun.h"
#include "sim/awxapi.h"
#include "simfixture.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::canaryctl;
using canary::testing::Run;
using canary::testing::SimFixture;

namespace {

// canaryctl against the simulator, with its own state folder (the store and the rollback journal) and the
// simulator's AWX; the canary is put at 100 % with the workshop's reset (template 9) as its backout plan.
struct Rig
{
    Rig()
        : fixture(0, 5)
    {
        environment = QProcessEnvironment::systemEnvironment();
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        environment.insert(u"DT_ENV_URL"_s, fixture.environment->baseUrl().toString());
        environment.insert(u"DT_API_TOKEN"_s, fixture.environment->token());
        environment.insert(u"CONTROLLER_OAUTH_TOKEN"_s, fixture.environment->token());
        flags = { u"--awx-url"_s, fixture.environment->baseUrl().toString(), u"--traffic-backend"_s, u"sim"_s,
            u"--poll-interval"_s, u"5"_s, u"--resolution"_s, u"10s"_s };
        QObject::connect(&pump, &QTimer::timeout, &pump, [this] { fixture.clock.advanceMs(stepMs); });
    }

    bool canaryAtFullWithPlan()
    {
        const Run run
            = canaryctl({ u"split"_s, u"set"_s, u"100"_s, u"--remediation-action"_s, u"9"_s }, environment);
        return run.exitCode == 0 && fixture.world().canaryWeight() == 100;
    }

    QString journalPath() const { return state.filePath(u"rollback-journal.json"_s); }

    SimFixture fixture;
    QTemporaryDir state;
    QProcessEnvironment environment;
    QStringList flags;
    QTimer pump; // the simulated world runs while canaryctl follows the job
    qint64 stepMs = 250;
};

} // namespace

class TestCanaryctlRollback : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Issue 18 point 6: like the window, canaryctl does not resume or launch over a journal it cannot read.
    void damagedJournal_stopsEveryRollback_withThePathAndWhatToDo()
    {
        Rig rig;
        QVERIFY(rig.canaryAtFullWithPlan());
        const QByteArray damaged = "{\"version\":2,\"inFlight\":{\"id\":\"rollback-1\",\"stage\":\"follo";
        QFile file(rig.journalPath());
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(damaged);
        file.close();

        rig.pump.start(1);
        const QList<QStringList> commands { { u"rollback"_s, u"--yes"_s }, { u"rollback"_s, u"--resume"_s },
            { u"rollback"_s, u"--resume"_s, u"--yes"_s }, { u"rollback"_s } };
        for (const QStringList &command : commands) {
            const Run run = canaryctl(command + rig.flags, rig.environment);
            QVERIFY2(
                run.exitCode == 13, qPrintable(command.join(u' ') + u": "_s + QString::fromUtf8(run.err)));
            QVERIFY2(run.err.contains(rig.journalPath().toUtf8()) && run.err.contains("move it aside")
                    && run.err.contains("in flight"),
                run.err.constData());
            QVERIFY2(!run.err.contains("no rollback in flight"), run.err.constData());
        }
        rig.pump.stop();
        QCOMPARE(rig.fixture.environment->awx().jobCount(), 0);
        QCOMPARE(rig.fixture.world().canaryWeight(), 100);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), damaged);
    }

    // Issue 18 point 3: two `rollback --yes` started together launch one AWX job; the other exits Busy (12)
    // naming what holds the rollback, or what finished it after its plan was read.
    void twoRollbacksStartedTogether_launchOneJob()
    {
        Rig rig;
        QVERIFY(rig.canaryAtFullWithPlan());
        rig.stepMs = 20; // a job of about half a second: the two overlap
        rig.pump.start(1);
        QProcess first;
        QProcess second;
        QSignalSpy firstDone(&first, &QProcess::finished);
        QSignalSpy secondDone(&second, &QProcess::finished);
        for (QProcess *process : { &first, &second }) {
            process->setProcessEnvironment(rig.environment);
            process->start(QStringLiteral(CANARYCTL_PATH),
                QStringList {
                    u"rollback"_s, u"--yes"_s, u"--operator"_s, process == &first ? u"alice"_s : u"bob"_s }
                    + rig.flags);
        }
        QTRY_COMPARE_WITH_TIMEOUT(firstDone.count() + secondDone.count(), 2, 60'000);
        rig.pump.stop();

        QList<int> codes { first.exitCode(), second.exitCode() };
        const QByteArray errors = first.readAllStandardError() + "\n---\n" + second.readAllStandardError();
        std::sort(codes.begin(), codes.end());
        QVERIFY2(codes == (QList<int> { 0, 12 }), errors.constData());
        QCOMPARE(rig.fixture.environment->awx().jobCount(), 1);
        QVERIFY2(errors.contains("rollback busy: refused: ")
                && (errors.contains("already under way in canaryctl rollback --yes --operator")
                    || errors.contains("after this plan was read")),
            errors.constData());
        QCOMPARE(rig.fixture.world().canaryWeight(), 0);
    }
};

QTEST_GUILESS_MAIN(TestCanaryctlRollback)
#include "tst_canaryctl_rollback.moc"
