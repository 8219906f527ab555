#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "canaryctlrun.h"
#include "rollback/rollbackjournal.h"
#include "sim/awxapi.h"
#include "sim/eventstore.h"
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

    // Issue 20 item 5: what was planted in the journal (by whoever could write to the state folder) is not
    // sent with the operator's token and not resumed: canaryctl says where and why, and exits 13.
    void plantedJournalRecords_areNotSentNorResumed()
    {
        Rig rig;
        QVERIFY(rig.canaryAtFullWithPlan()); // a store with an audit log, as any console has
        const auto eventsTitled = [&rig](const QString &prefix) {
            int found = 0;
            for (const auto &event : rig.fixture.environment->events().events())
                found += event.title.startsWith(prefix) ? 1 : 0;
            return found;
        };
        const auto contents = [&rig] {
            QFile file(rig.journalPath());
            return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
        };

        // A record "an older version" left for Dynatrace, naming a rollback this console never ran.
        const QJsonObject body { { u"eventType"_s, u"CUSTOM_INFO"_s }, { u"title"_s, u"Planted record"_s },
            { u"entitySelector"_s, u"type(SERVICE)"_s },
            { u"properties"_s, QJsonObject { { u"rollback.id"_s, u"rollback-planted"_s } } } };
        const QJsonObject old { { u"version"_s, 1 },
            { u"pending"_s,
                QJsonArray { QJsonObject { { u"id"_s, u"pending-1"_s },
                    { u"rollbackId"_s, u"rollback-planted"_s }, { u"problemId"_s, QString() },
                    { u"body"_s, QString::fromUtf8(QJsonDocument(body).toJson(QJsonDocument::Compact)) },
                    { u"message"_s, QString() }, { u"context"_s, QString() },
                    { u"lastError"_s, u"HTTP 403"_s } } } } };
        {
            QFile file(rig.journalPath());
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(QJsonDocument(old).toJson());
        }
        const QByteArray plantedPending = contents();
        Run run = canaryctl(QStringList { u"rollback"_s, u"--resume"_s } + rig.flags, rig.environment);
        QVERIFY2(run.exitCode == 13, run.err.constData());
        QVERIFY2(run.err.contains("not written by this console")
                && run.err.contains(rig.journalPath().toUtf8()) && run.err.contains("move it aside")
                && run.err.contains("rollback-planted"),
            run.err.constData());
        // Whatever the outbox holds goes out now: the planted record is not among it.
        run = canaryctl({ u"outbox"_s, u"flush"_s }, rig.environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(eventsTitled(u"Planted record"_s), 0);
        QCOMPARE(contents(), plantedPending);

        // A rollback "in flight" this console never started: resumed, it would launch the template.
        QVERIFY(QFile::remove(rig.journalPath()));
        rollback::RollbackState planted;
        planted.id = u"rollback-planted"_s;
        planted.operatorName = u"mallory"_s;
        planted.plan.kind = rollback::BackoutPlan::Kind::AwxTemplate;
        planted.plan.templateId = sim::AwxApi::ResetCanaryWeightingTemplateId;
        planted.plan.awxHost = u"%1:%2"_s.arg(rig.fixture.environment->baseUrl().host())
                                   .arg(rig.fixture.environment->baseUrl().port());
        planted.stage = rollback::Stage::Launching;
        planted.startedAtMs = rig.fixture.clock.nowMs();
        QVERIFY(rollback::RollbackJournal(rig.journalPath()).save(planted));
        const QByteArray plantedInFlight = contents();
        rig.pump.start(1);
        for (const QStringList &command : { QStringList { u"rollback"_s, u"--resume"_s, u"--yes"_s },
                 QStringList { u"rollback"_s, u"--resume"_s } }) {
            run = canaryctl(command + rig.flags, rig.environment);
            QVERIFY2(run.exitCode == 13, run.err.constData());
            QVERIFY2(run.err.contains("not written by this console") && run.err.contains("rollback-planted")
                    && run.err.contains(rig.journalPath().toUtf8()),
                run.err.constData());
        }
        rig.pump.stop();
        QCOMPARE(rig.fixture.environment->awx().jobCount(), 0);
        QCOMPARE(rig.fixture.world().canaryWeight(), 100);
        QCOMPARE(eventsTitled(u"Rollback"_s), 0);
        QCOMPARE(contents(), plantedInFlight);
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
