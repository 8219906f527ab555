#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include "awx/awxclient.h"
#include "awxsimfixture.h"
#include "dynatrace/eventingest.h"
#include "dynatrace/eventsclient.h"
#include "dynatrace/problemsclient.h"
#include "net/restclient.h"
#include "rollback/backoutplan.h"
#include "rollback/rollbackactions.h"
#include "rollback/rollbackjournal.h"
#include "rollback/rollbackrunner.h"
#include "rollback/rollbackservice.h"
#include "session/canarysession.h"
#include "sim/eventstore.h"
#include "sim/faultinjector.h"
#include "sim/problemstore.h"
#include "sim/simserver.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "store/lease.h"
#include "store/outbox.h"
#include "store/outboxsender.h"
#include "tcpforwarder.h"
#include "traffic/changegate.h"
#include "traffic/ramp.h"
#include "traffic/simtrafficbackend.h"
#include "traffic/trafficcontroller.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::rollback::BackoutPlan;
using canary::rollback::Failure;
using canary::rollback::RollbackJournal;
using canary::rollback::RollbackRunner;
using canary::rollback::RollbackState;
using canary::rollback::Stage;
using canary::sim::AwxApi;
using canary::testing::AwxSimFixture;

namespace {

// A canary at 100 % (the faulty build taking everything), and everything a rollback needs pointed at the
// simulator: AWX, the traffic router, events, problems and metrics.
struct Rig
{
    explicit Rig(const QString &awxToken = {})
        : sim(100)
        , awxRest(sim.restClient("Bearer " + (awxToken.isEmpty() ? sim.token() : awxToken).toUtf8()))
        , awx(awxRest.get(), u"/api/v2/"_s)
        , dynatrace(sim.environment->baseUrl())
        , events(&dynatrace)
        , problems(&dynatrace)
        , backend(sim.environment->baseUrl(), sim.token())
        , controller(&backend, nullptr)
        , ramp(&controller, sim.clock)
        , gate(&controller)
        , session(target(), sim.token(), sim.clock)
        , journal(dir.filePath(u"state/rollback-journal.json"_s))
    {
        dynatrace.setAuthorization("Api-Token " + sim.token().toUtf8());
        session.setTimelineEnabled(false);
        gate.attachRamp(&ramp);
    }

    session::Target target() const
    {
        session::Target target = sim.target();
        target.from = u"now-5m"_s;
        target.resolution = u"10s"_s;
        return target;
    }

    rollback::RunnerSetup setup()
    {
        rollback::RunnerSetup setup;
        setup.awx = &awx;
        setup.awxUrl = sim.environment->baseUrl();
        setup.backend = &backend;
        setup.gate = &gate;
        setup.events = &events;
        setup.entitySelector = session.target().entitySelector;
        setup.problems = &problems;
        setup.session = &session;
        setup.roles = { sim.environment->stableBuild(), sim.environment->canaryBuild() };
        setup.pollIntervalMs = 5;
        setup.jobTimeoutMs = 5 * 60'000;
        setup.verifyTimeoutMs = 3 * 60'000;
        return setup;
    }

    BackoutPlan plan(int templateId)
    {
        dynatrace::Event change;
        change.eventId = u"change-1"_s;
        change.eventType = u"CUSTOM_CONFIGURATION"_s;
        change.title = u"Canary weight set to 100"_s;
        change.startMs = sim.clock.nowMs() - 60'000;
        change.properties = { { u"remediationType"_s, u"ansible"_s },
            { u"remediationAction"_s, QString::number(templateId) } };
        rollback::PlanPolicy policy;
        policy.awxUrl = sim.environment->baseUrl();
        auto plan = rollback::resolvePlan({ change }, policy);
        if (!plan)
            qFatal("%s", qPrintable(plan.error().message));
        return *plan;
    }

    QList<sim::StoredEvent> eventsTitled(const QString &prefix)
    {
        QList<sim::StoredEvent> found;
        for (const auto &event : sim.environment->events().events()) {
            if (event.title.startsWith(prefix))
                found.append(event);
        }
        return found;
    }

    AwxSimFixture sim;
    std::unique_ptr<net::RestClient> awxRest;
    awx::AwxClient awx;
    net::RestClient dynatrace;
    dynatrace::EventsClient events;
    dynatrace::ProblemsClient problems;
    traffic::SimTrafficBackend backend;
    // Every change goes through the gate and its controller, the rollback's 0 % too.
    traffic::TrafficController controller;
    traffic::Ramp ramp;
    traffic::ChangeGate gate;
    session::CanarySession session;
    QTemporaryDir dir;
    RollbackJournal journal;
};

// The problems the session sees open: the faulty canary at 100 % opens one after a few minutes.
QStringList openProblems(Rig &rig)
{
    QSignalSpy problemsRead(&rig.session, &session::CanarySession::problemsChanged);
    rig.session.setTimelineEnabled(true);
    rig.session.refresh();
    if (!problemsRead.wait(10'000))
        return {};
    QStringList open;
    for (const auto &problem : rig.session.problems()) {
        if (problem.isOpen())
            open.append(problem.problemId);
    }
    rig.session.setTimelineEnabled(false);
    return open;
}

RollbackState lastOf(const QSignalSpy &spy)
{
    return spy.constLast().at(0).value<RollbackState>();
}

// A traffic change on the watched service recorded in the simulated tenant, its backout `action`.
bool recordChange(Rig &rig, const QString &title, const QString &action)
{
    dynatrace::EventIngest change;
    change.eventType = u"CUSTOM_CONFIGURATION"_s;
    change.title = title;
    change.entitySelector = rig.session.target().entitySelector;
    change.properties = { { u"remediationType"_s, u"ansible"_s }, { u"remediationAction"_s, action } };
    bool ingested = false;
    rig.events.ingest(
        change, &rig.events, [&](const dynatrace::IngestResult &result) { ingested = bool(result); });
    return QTest::qWaitFor([&] { return ingested; });
}

// A service on the simulated tenant and its AWX, as the window and canaryctl make one.
rollback::ServiceConfig serviceConfig(Rig &rig)
{
    rollback::ServiceConfig config;
    config.target = rig.session.target();
    config.dynatraceToken = rig.sim.token();
    awx::AwxConfig awx;
    awx.url = rig.sim.environment->baseUrl();
    awx.token = rig.sim.token();
    config.awx = awx;
    config.backend = &rig.backend;
    return config;
}

} // namespace

class TestRollbackRunner : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void awxReset_followedVerifiedAndRecorded()
    {
        Rig rig;
        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        QSignalSpy succeeded(&runner, &RollbackRunner::rollbackSucceeded);
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        QSignalSpy stages(&runner, &RollbackRunner::stageChanged);
        QSignalSpy output(&runner, &RollbackRunner::outputChanged);

        QVERIFY(runner.start(
            rig.plan(AwxApi::ResetCanaryWeightingTemplateId), u"canary failing"_s, u"jane"_s, {}));
        QVERIFY(runner.isRunning());
        // Durable before the launch: the journal holds the rollback while it runs.
        QVERIFY(rig.journal.inFlight());
        QCOMPARE(RollbackJournal(rig.journal.path()).inFlight()->reason, u"canary failing"_s);

        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(succeeded.count() + failed.count(), 1, 30'000);
        if (!failed.isEmpty())
            QFAIL(qPrintable(lastOf(failed).message));
        const RollbackState state = lastOf(succeeded);
        QCOMPARE(rig.sim.world().canaryWeight(), 0);
        QCOMPARE(rig.sim.awx().jobCount(), 1);
        QCOMPARE(state.jobId, rig.sim.awx().jobs().constFirst().id);
        QCOMPARE(state.jobStatus, u"successful"_s);
        QVERIFY(state.backendVerified);
        QVERIFY(state.verified);
        QVERIFY(state.observedCanaryPercent.has_value());
        QVERIFY(*state.observedCanaryPercent <= 1.0);
        QVERIFY2(state.message.contains(u"verified"_s), qPrintable(state.message));
        QVERIFY(!output.isEmpty());
        QVERIFY(!runner.outputTail().isEmpty());

        QList<Stage> seen;
        for (const auto &args : stages)
            seen.append(args.at(0).value<Stage>());
        QCOMPARE(seen,
            (QList<Stage> { Stage::Preflight, Stage::Launching, Stage::Following, Stage::Verifying,
                Stage::Recording, Stage::Finished }));

        const auto recorded = rig.eventsTitled(u"Rollback executed"_s);
        QCOMPARE(recorded.size(), 1);
        QCOMPARE(recorded.front().title, u"Rollback executed: AWX job %1 successful"_s.arg(state.jobId));
        QCOMPARE(recorded.front().eventType, u"CUSTOM_INFO"_s);
        QCOMPARE(recorded.front().properties.value(u"rollback.operator"_s), u"jane"_s);
        QCOMPARE(recorded.front().properties.value(u"canary.operator"_s), u"jane"_s);
        QCOMPARE(recorded.front().properties.value(u"rollback.reason"_s), u"canary failing"_s);
        QCOMPARE(recorded.front().properties.value(u"rollback.source.eventId"_s), u"change-1"_s);
        QVERIFY(recorded.front()
                    .properties.value(u"rollback.job.url"_s)
                    .endsWith(u"/api/v2/jobs/%1/"_s.arg(state.jobId)));

        QVERIFY(!rig.journal.inFlight());
        QVERIFY(rig.journal.last()->succeeded());
        QVERIFY(!RollbackJournal(rig.journal.path()).inFlight());
        QVERIFY(!runner.isRunning());
    }

    void secondStartWhileRunning_isRefused_andLaunchesNothing()
    {
        Rig rig;
        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        QSignalSpy succeeded(&runner, &RollbackRunner::rollbackSucceeded);
        const BackoutPlan plan = rig.plan(AwxApi::ResetCanaryWeightingTemplateId);
        QVERIFY(runner.start(plan, {}, u"jane"_s, {}));
        QVERIFY(!runner.start(plan, {}, u"jane"_s, {}));
        QVERIFY(!runner.startFallback({}, u"jane"_s, {}));
        QTRY_COMPARE(failed.count(), 2);
        QCOMPARE(lastOf(failed).failure, Failure::Refused);
        QVERIFY(lastOf(failed).message.contains(u"already running"_s));
        QVERIFY(runner.isRunning()); // the first one carries on

        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(succeeded.count(), 1, 30'000);
        QCOMPARE(rig.sim.awx().jobCount(), 1);
    }

    void jobEndingInError_failsWithAwxsReason_andIsRecorded()
    {
        Rig rig;
        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        QVERIFY(runner.start(rig.plan(AwxApi::BrokenProjectTemplateId), {}, u"jane"_s, {}));
        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30'000);
        const RollbackState state = lastOf(failed);
        QCOMPARE(state.failure, Failure::JobFailed);
        QCOMPARE(state.jobStatus, u"error"_s);
        QVERIFY2(state.message.contains(u"error"_s), qPrintable(state.message));
        QCOMPARE(rig.sim.world().canaryWeight(), 100);
        QCOMPARE(rig.eventsTitled(u"Rollback failed: AWX job"_s).size(), 1);
        QCOMPARE(rig.journal.last()->failure, Failure::JobFailed);
    }

    void templateNeedingInput_failsThePreflight_launchesAndRecordsNothing()
    {
        Rig rig;
        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        // A survey with a required variable: the pre-flight says so and nothing is launched.
        QVERIFY(runner.start(rig.plan(AwxApi::SetCanaryWeightSurveyTemplateId), {}, u"jane"_s, {}));
        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(lastOf(failed).failure, Failure::LaunchFailed);
        QVERIFY2(lastOf(failed).message.contains(u"cannot start without input"_s)
                && lastOf(failed).message.contains(u"canary_weight"_s),
            qPrintable(lastOf(failed).message));
        QCOMPARE(rig.sim.awx().jobCount(), 0);
        QVERIFY(rig.eventsTitled(u"Rollback"_s).isEmpty());
        QCOMPARE(lastOf(failed).stage, Stage::Finished);

        // Prompts that the pre-flight lets through but the launch refuses (400 with AWX's field errors).
        QVERIFY(runner.start(rig.plan(AwxApi::SetCanaryWeightTemplateId), {}, u"jane"_s, {}));
        QTRY_COMPARE(failed.count(), 2);
        QCOMPARE(lastOf(failed).failure, Failure::LaunchFailed);
        QVERIFY2(lastOf(failed).message.contains(u"variables_needed_to_start"_s),
            qPrintable(lastOf(failed).message));
        QCOMPARE(rig.sim.awx().jobCount(), 0);
    }

    void awxRefusals_carryAwxsOwnText()
    {
        Rig reader(u"dt0c01.AWXREAD"_s);
        reader.sim.environment->server().addToken(u"dt0c01.AWXREAD"_s, { u"awx.read"_s });
        RollbackRunner runner(reader.setup(), &reader.journal, reader.sim.clock);
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        QVERIFY(runner.start(reader.plan(AwxApi::ResetCanaryWeightingTemplateId), {}, u"jane"_s, {}));
        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(lastOf(failed).failure, Failure::LaunchFailed);
        QVERIFY2(lastOf(failed).message.contains(u"403"_s), qPrintable(lastOf(failed).message));
        QCOMPARE(reader.sim.awx().jobCount(), 0);

        Rig wrong(u"dt0c01.NOPE"_s);
        RollbackRunner second(wrong.setup(), &wrong.journal, wrong.sim.clock);
        QSignalSpy refused(&second, &RollbackRunner::rollbackFailed);
        QVERIFY(second.start(wrong.plan(404), {}, u"jane"_s, {}));
        QTRY_COMPARE(refused.count(), 1);
        QVERIFY2(lastOf(refused).message.contains(u"401"_s), qPrintable(lastOf(refused).message));

        Rig missing;
        RollbackRunner third(missing.setup(), &missing.journal, missing.sim.clock);
        QSignalSpy notFound(&third, &RollbackRunner::rollbackFailed);
        QVERIFY(third.start(missing.plan(404), {}, u"jane"_s, {}));
        QTRY_COMPARE(notFound.count(), 1);
        QVERIFY2(lastOf(notFound).message.contains(u"404"_s), qPrintable(lastOf(notFound).message));
    }

    // Adjusted with the journal's pending list gone: the refused event waits in the outbox, and the outbox's
    // sender (not RollbackRunner::flushPending) delivers it.
    void ingestFailingAfterSuccess_keepsTheRecord_andSendsItLater()
    {
        Rig rig;
        rig.sim.environment->server().addToken(
            u"dt0c01.READONLY"_s, { u"metrics.read"_s, u"problems.read"_s });
        net::RestClient readOnly(rig.sim.environment->baseUrl());
        readOnly.setAuthorization("Api-Token dt0c01.READONLY");
        dynatrace::EventsClient refusingEvents(&readOnly);
        auto database = std::move(store::Database::open(rig.dir.filePath(u"canary.db"_s))).value();
        store::Outbox outbox(*database, rig.sim.clock);
        const QString tenant = store::Outbox::tenantOf(rig.sim.environment->baseUrl());
        store::OutboxSender refusing(&outbox, &refusingEvents, tenant, rig.sim.clock);
        QSignalSpy refused(&refusing, &store::OutboxSender::deliveryFailed);
        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        runner.setOutbox(&outbox, tenant);
        QSignalSpy succeeded(&runner, &RollbackRunner::rollbackSucceeded);
        QVERIFY(runner.start(rig.plan(AwxApi::ResetCanaryWeightingTemplateId), {}, u"jane"_s, {}));
        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(succeeded.count(), 1, 30'000);
        QTRY_VERIFY(!refused.isEmpty());
        rig.sim.stopClock();
        QVERIFY(rig.eventsTitled(u"Rollback"_s).isEmpty());
        const auto pending = outbox.pending(tenant);
        QVERIFY(pending);
        QCOMPARE(pending->size(), 1);
        QCOMPARE(pending->front().event.title.left(18), u"Rollback executed:"_s);
        QVERIFY2(pending->front().lastError.contains(u"403"_s), qPrintable(pending->front().lastError));

        // Next start of the app, with a working token: the record goes out and leaves the outbox.
        store::OutboxSender working(&outbox, &rig.events, tenant, rig.sim.clock);
        QSignalSpy drained(&working, &store::OutboxSender::drained);
        working.start();
        QTRY_VERIFY(!drained.isEmpty());
        QCOMPARE(rig.eventsTitled(u"Rollback executed"_s).size(), 1);
        QCOMPARE(outbox.pendingCount(tenant).value(), 0);
    }

    void outbox_takesTheProblemComments_andItsSenderPostsThem()
    {
        Rig rig;
        rig.sim.clock.advanceMs(3 * 60'000); // the faulty canary at 100 % opens a problem
        const QStringList open = openProblems(rig);
        QCOMPARE(open.size(), 1);
        auto database = std::move(store::Database::open(rig.dir.filePath(u"canary.db"_s))).value();
        store::Outbox outbox(*database, rig.sim.clock);
        const QString tenant = store::Outbox::tenantOf(rig.sim.environment->baseUrl());
        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        runner.setOutbox(&outbox, tenant);
        QSignalSpy succeeded(&runner, &RollbackRunner::rollbackSucceeded);
        QVERIFY(runner.startFallback(u"no plan recorded"_s, u"jane"_s, open));
        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(succeeded.count(), 1, 30'000);
        rig.sim.stopClock();
        // Committed, not sent: nothing reached the problem yet.
        const auto *problem = rig.sim.environment->problems().find(open.front());
        QVERIFY(problem);
        QVERIFY(problem->comments.isEmpty());
        const auto pending = outbox.pending(tenant);
        QVERIFY(pending);
        QCOMPARE(pending->size(), 2);
        QCOMPARE(pending->at(1).kind, store::OutboxEntry::Kind::ProblemComment);
        QCOMPARE(pending->at(1).comment.problemId, open.front());
        QCOMPARE(pending->at(1).comment.context, u"Canary Console"_s);

        store::OutboxSender sender(&outbox, &rig.events, tenant, rig.sim.clock);
        QSignalSpy drained(&sender, &store::OutboxSender::drained);
        sender.start();
        QTRY_VERIFY(!drained.isEmpty());
        problem = rig.sim.environment->problems().find(open.front());
        QCOMPARE(problem->comments.size(), 1);
        QVERIFY2(problem->comments.front().content.startsWith(u"Rollback executed"_s),
            qPrintable(problem->comments.front().content));
        QCOMPARE(problem->comments.front().context, u"Canary Console"_s);
        QCOMPARE(rig.eventsTitled(u"Rollback executed: canary set to 0 %"_s).size(), 1);
    }

    // A journal written before the outbox took the records: its pending list moves into the outbox (once)
    // and leaves the file; the rest of the journal reads as before.
    void olderJournalsPendingRecords_moveIntoTheOutbox()
    {
        Rig rig;
        const QString path = rig.dir.filePath(u"old/rollback-journal.json"_s);
        QVERIFY(QDir().mkpath(rig.dir.filePath(u"old"_s)));
        dynatrace::EventIngest event;
        event.eventType = u"CUSTOM_INFO"_s;
        event.title = u"Rollback executed: AWX job 1190 successful"_s;
        event.entitySelector = rig.session.target().entitySelector;
        event.properties.insert(u"rollback.id"_s, u"rollback-1"_s);
        const QJsonObject old { { u"version"_s, 1 }, { u"nextPending"_s, 3 },
            { u"pending"_s,
                QJsonArray {
                    QJsonObject { { u"id"_s, u"pending-1"_s }, { u"rollbackId"_s, u"rollback-1"_s },
                        { u"problemId"_s, QString() }, { u"body"_s, QString::fromUtf8(event.toJson()) },
                        { u"message"_s, QString() }, { u"context"_s, QString() },
                        { u"lastError"_s, u"HTTP 403"_s } },
                    QJsonObject { { u"id"_s, u"pending-2"_s }, { u"rollbackId"_s, u"rollback-1"_s },
                        { u"problemId"_s, u"-1234_5678V2"_s }, { u"body"_s, QString() },
                        { u"message"_s, u"Rollback executed"_s }, { u"context"_s, u"Canary Console"_s },
                        { u"lastError"_s, u"timeout"_s } } } } };
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QJsonDocument(old).toJson());
        file.close();

        RollbackJournal journal(path);
        QVERIFY2(journal.loadError().isEmpty(), qPrintable(journal.loadError()));
        QVERIFY(!journal.inFlight());
        QCOMPARE(journal.legacyPending().size(), 2);

        auto database = std::move(store::Database::open(rig.dir.filePath(u"canary.db"_s))).value();
        store::Outbox outbox(*database, rig.sim.clock);
        const QString tenant = store::Outbox::tenantOf(rig.sim.environment->baseUrl());
        {
            // Without an outbox they stay where they are.
            RollbackRunner runner(rig.setup(), &journal, rig.sim.clock);
            QCOMPARE(journal.legacyPending().size(), 2);
        }
        {
            // Without an audit log to hold them against, too: nothing unchecked is sent.
            RollbackRunner runner(rig.setup(), &journal, rig.sim.clock);
            runner.setOutbox(&outbox, tenant);
            QCOMPARE(journal.legacyPending().size(), 2);
            QCOMPARE(outbox.pendingCount(tenant).value(), 0);
            QVERIFY2(runner.journalRefusal().contains(path), qPrintable(runner.journalRefusal()));
        }
        // The rollback they belong to, as the runner audited it when it began.
        store::AuditLog audit(*database, rig.sim.clock);
        RollbackState started;
        started.id = u"rollback-1"_s;
        started.plan = rig.plan(AwxApi::ResetCanaryWeightingTemplateId);
        started.operatorName = u"jane"_s;
        QVERIFY(audit.append({ u"jane"_s, u"rollback.start"_s, rollback::auditTarget(started),
            rollback::auditDetail(started), store::AuditResult::Requested, u"roll back"_s }));
        RollbackRunner runner(rig.setup(), &journal, rig.sim.clock);
        runner.setAuditLog(&audit);
        runner.setOutbox(&outbox, tenant);
        QVERIFY2(runner.journalRefusal().isEmpty(), qPrintable(runner.journalRefusal()));
        const auto pending = outbox.pending(tenant);
        QVERIFY(pending);
        QCOMPARE(pending->size(), 2);
        QCOMPARE(pending->at(0).kind, store::OutboxEntry::Kind::Event);
        QCOMPARE(pending->at(0).event.title, event.title);
        QCOMPARE(pending->at(0).event.properties.value(u"rollback.id"_s), u"rollback-1"_s);
        QCOMPARE(pending->at(1).kind, store::OutboxEntry::Kind::ProblemComment);
        QCOMPARE(pending->at(1).comment.problemId, u"-1234_5678V2"_s);
        QCOMPARE(pending->at(1).comment.message, u"Rollback executed"_s);
        QVERIFY(journal.legacyPending().isEmpty());
        RollbackJournal reread(path);
        QVERIFY(reread.legacyPending().isEmpty());
        QVERIFY2(reread.loadError().isEmpty(), qPrintable(reread.loadError()));

        // Moved once: the same outbox set again adds nothing.
        runner.setOutbox(&outbox, tenant);
        QCOMPARE(outbox.pendingCount(tenant).value(), 2);
    }

    void crashAfterLaunch_resumesOnTheNextStart_andShowsTheOutcome()
    {
        Rig rig;
        rig.sim.awx().setRunMs(60'000); // long enough to "crash" in the middle
        {
            RollbackRunner doomed(rig.setup(), &rig.journal, rig.sim.clock);
            QSignalSpy stages(&doomed, &RollbackRunner::stageChanged);
            QVERIFY(doomed.start(
                rig.plan(AwxApi::ResetCanaryWeightingTemplateId), u"crash test"_s, u"jane"_s, {}));
            QTRY_VERIFY(!stages.isEmpty() && stages.constLast().at(0).value<Stage>() == Stage::Following);
        } // the app dies here: no finish, no record
        QCOMPARE(rig.sim.awx().jobCount(), 1);
        const int jobId = rig.sim.awx().jobs().constFirst().id;

        RollbackJournal reopened(rig.journal.path());
        QVERIFY(reopened.inFlight());
        QCOMPARE(reopened.inFlight()->stage, Stage::Following);
        QCOMPARE(reopened.inFlight()->jobId, jobId);
        RollbackRunner restarted(rig.setup(), &reopened, rig.sim.clock);
        QSignalSpy succeeded(&restarted, &RollbackRunner::rollbackSucceeded);
        QVERIFY(restarted.resume());
        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(succeeded.count(), 1, 30'000);
        QCOMPARE(lastOf(succeeded).jobId, jobId);
        QCOMPARE(lastOf(succeeded).reason, u"crash test"_s);
        QCOMPARE(rig.sim.awx().jobCount(), 1); // followed, not launched again
        QCOMPARE(rig.sim.world().canaryWeight(), 0);
        QVERIFY(!reopened.inFlight());
        QVERIFY(!restarted.resume()); // nothing left to resume
    }

    void fallback_setsZeroThroughTheBackEnd_andCommentsOnTheOpenProblem()
    {
        Rig rig;
        rig.sim.clock.advanceMs(3 * 60'000); // the faulty canary at 100 % opens a problem
        QSignalSpy problemsRead(&rig.session, &session::CanarySession::problemsChanged);
        rig.session.setTimelineEnabled(true);
        rig.session.refresh();
        QTRY_COMPARE(problemsRead.count(), 1);
        QStringList open;
        for (const auto &problem : rig.session.problems()) {
            if (problem.isOpen())
                open.append(problem.problemId);
        }
        QCOMPARE(open.size(), 1);
        rig.session.setTimelineEnabled(false);

        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        QSignalSpy succeeded(&runner, &RollbackRunner::rollbackSucceeded);
        QSignalSpy requested(&rig.gate, &traffic::ChangeGate::changeRequested);
        QSignalSpy applied(&rig.controller, &traffic::TrafficController::splitApplied);
        QVERIFY(runner.startFallback(u"no plan recorded"_s, u"jane"_s, open));
        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(succeeded.count(), 1, 30'000);
        QCOMPARE(rig.sim.world().canaryWeight(), 0);
        QCOMPARE(rig.sim.awx().jobCount(), 0);
        // The 0 % went through the gate and the controller, like every change: audited and recorded there.
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.front().at(0).toInt(), 0);
        QCOMPARE(applied.count(), 1);
        QCOMPARE(applied.front().at(1).value<traffic::Split>().canary, 0);
        QCOMPARE(rig.controller.applied()->canary, 0);
        QVERIFY(lastOf(succeeded).verified);
        QCOMPARE(rig.eventsTitled(u"Rollback executed: canary set to 0 %"_s).size(), 1);
        const auto *problem = rig.sim.environment->problems().find(open.front());
        QVERIFY(problem);
        QCOMPARE(problem->comments.size(), 1);
        QVERIFY2(problem->comments.front().content.startsWith(u"Rollback executed"_s),
            qPrintable(problem->comments.front().content));
        QCOMPARE(problem->comments.front().context, u"Canary Console"_s);
    }

    void fallback_abortsARunningRamp_soNoLaterStepUndoesIt()
    {
        Rig rig;
        traffic::RampPlan plan;
        plan.steps = { 30, 70 };
        plan.pauseSeconds = 60;
        QSignalSpy rampStepped(&rig.ramp, &traffic::Ramp::stepApplied);
        rig.ramp.start(plan);
        QTRY_COMPARE(rampStepped.count(), 1);
        QCOMPARE(rig.ramp.state(), traffic::Ramp::State::Waiting);

        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        QSignalSpy succeeded(&runner, &RollbackRunner::rollbackSucceeded);
        QVERIFY(runner.startFallback(u"no plan recorded"_s, u"jane"_s, {}));
        QCOMPARE(rig.ramp.state(), traffic::Ramp::State::Aborted);
        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(succeeded.count(), 1, 30'000);
        rig.sim.stopClock();
        rig.sim.clock.advanceMs(5 * 60'000);
        rig.ramp.tick(); // the 70 % step was due: an aborted ramp takes no more steps
        QCOMPARE(rampStepped.count(), 1);
        QCOMPARE(rig.sim.world().canaryWeight(), 0);
    }

    void fallback_replacedByANewerChange_failsAndSaysSo()
    {
        Rig rig;
        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        QSignalSpy applied(&rig.controller, &traffic::TrafficController::splitApplied);
        // An apply under way, the rollback's 0 % queued behind it, then a newer wish replaces the 0 %.
        rig.controller.requestSplit(traffic::Split { 80, 20 }, u"operator"_s);
        QVERIFY(rig.controller.inFlight());
        QVERIFY(runner.startFallback(u"no plan recorded"_s, u"jane"_s, {}));
        QCOMPARE(rig.controller.queued()->canary, 0);
        rig.controller.requestSplit(traffic::Split { 60, 40 }, u"another operator"_s);
        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(lastOf(failed).failure, Failure::LaunchFailed);
        QVERIFY2(lastOf(failed).message.contains(u"replaced the rollback's 0 %"_s),
            qPrintable(lastOf(failed).message));
        QTRY_COMPARE(applied.count(), 2);
        QCOMPARE(rig.controller.applied()->canary, 40);
    }

    void fallbackWithoutTrafficControl_isRefused_andMovesNothing()
    {
        Rig rig;
        auto setup = rig.setup();
        setup.gate = nullptr;
        RollbackRunner runner(setup, &rig.journal, rig.sim.clock);
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        QVERIFY(runner.startFallback(u"no plan recorded"_s, u"jane"_s, {}));
        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(lastOf(failed).failure, Failure::LaunchFailed);
        QVERIFY(lastOf(failed).message.contains(u"no traffic control"_s));
        QCOMPARE(rig.sim.world().canaryWeight(), 100);
    }

    void awxUnreachableMidPoll_keepsFollowing_andSaysSo()
    {
        Rig rig;
        rig.sim.awx().setRunMs(60'000);
        testing::TcpForwarder forwarder(quint16(rig.sim.environment->baseUrl().port()));
        net::RestClient awxRest(forwarder.url());
        awxRest.setAuthorization("Bearer " + rig.sim.token().toUtf8());
        awxRest.setTimeoutMs(2000);
        awx::AwxClient awx(&awxRest, u"/api/v2/"_s);
        auto setup = rig.setup();
        setup.awx = &awx;
        setup.awxUrl = forwarder.url();
        RollbackRunner runner(setup, &rig.journal, rig.sim.clock);
        QSignalSpy stages(&runner, &RollbackRunner::stageChanged);
        QSignalSpy notices(&runner, &RollbackRunner::notice);
        QSignalSpy succeeded(&runner, &RollbackRunner::rollbackSucceeded);
        QVERIFY(runner.start(rig.plan(AwxApi::ResetCanaryWeightingTemplateId), {}, u"jane"_s, {}));
        QTRY_VERIFY(!stages.isEmpty() && stages.constLast().at(0).value<Stage>() == Stage::Following);

        forwarder.setUp(false);
        const auto told = [&] {
            for (const auto &args : notices) {
                if (args.at(0).toString().startsWith(u"AWX unreachable, still following job"_s))
                    return true;
            }
            return false;
        };
        QTRY_VERIFY(told());
        QVERIFY(runner.isRunning());
        QCOMPARE(runner.state().stage, Stage::Following);

        forwarder.setUp(true);
        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(succeeded.count(), 1, 30'000);
        QCOMPARE(rig.sim.awx().jobCount(), 1);
        QCOMPARE(rig.sim.world().canaryWeight(), 0);
    }

    // A recorded launch URL that points anywhere but the configured AWX: the service refuses it and the
    // second server never sees a byte.
    void hostileLaunchUrl_isRefused_andItsServerReceivesNothing()
    {
        Rig rig;
        QTcpServer hostile;
        QVERIFY(hostile.listen(QHostAddress::LocalHost));
        QVERIFY(recordChange(rig, u"Canary weight set to 100"_s,
            u"http://127.0.0.1:%1/api/v2/job_templates/9/launch/"_s.arg(hostile.serverPort())));
        rollback::RollbackService service(serviceConfig(rig), rig.sim.clock);
        QSignalSpy resolved(&service, &rollback::RollbackService::planResolved);
        service.refreshPlan();
        QTRY_COMPARE(resolved.count(), 1);
        QVERIFY(!*service.plan());
        QCOMPARE(service.plan()->error().reason, rollback::PlanRefusal::Reason::UntrustedOrigin);

        QSignalSpy failed(service.runner(), &RollbackRunner::rollbackFailed);
        QVERIFY(!service.execute({}, u"jane"_s));
        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(lastOf(failed).failure, Failure::Refused);
        QVERIFY(!hostile.hasPendingConnections());
        QCOMPARE(rig.sim.awx().jobCount(), 0);
    }

    void templateOutsideThePinnedOnes_isRefused_andNothingIsLaunched()
    {
        // An event names the ramp (#8, to 100 %) as the backout; the profile pins "Reset canary weighting".
        Rig rig;
        QVERIFY(recordChange(rig, u"Canary weight set to 30"_s,
            QString::number(sim::AwxApi::StartCanaryDeploymentTemplateId)));
        rollback::ServiceConfig config = serviceConfig(rig);
        config.allowedTemplates = { u"Reset canary weighting"_s };
        rollback::RollbackService service(config, rig.sim.clock);
        QSignalSpy resolved(&service, &rollback::RollbackService::planResolved);
        service.refreshPlan();
        QTRY_COMPARE(resolved.count(), 1);
        QVERIFY(!*service.plan());
        const auto &refusal = service.plan()->error();
        QCOMPARE(refusal.reason, rollback::PlanRefusal::Reason::TemplateNotAllowed);
        // Both named: the template the event chose, by AWX's name for it, and the pinned one.
        QVERIFY2(refusal.message.contains(u"#8 'Start canary deployment'"_s)
                && refusal.message.contains(u"'Reset canary weighting'"_s),
            qPrintable(refusal.message));

        QSignalSpy failed(service.runner(), &RollbackRunner::rollbackFailed);
        QVERIFY(!service.execute({}, u"jane"_s));
        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(lastOf(failed).failure, Failure::Refused);
        QCOMPARE(rig.sim.awx().jobCount(), 0);

        // The same profile runs the template it pins, recognised by the name AWX reports for #9.
        QVERIFY(recordChange(
            rig, u"Canary weight set to 40"_s, QString::number(sim::AwxApi::ResetCanaryWeightingTemplateId)));
        rig.sim.clock.advanceMs(1000);
        service.refreshPlan();
        QTRY_COMPARE(resolved.count(), 2);
        QVERIFY2(*service.plan(), qPrintable(*service.plan() ? QString() : service.plan()->error().message));
        QCOMPARE((*service.plan())->templateId, sim::AwxApi::ResetCanaryWeightingTemplateId);
        QVERIFY((*service.plan())->trust.contains(u"pinned"_s));
    }

    void cancel_stopsTheJob_andTheRollbackFailsSayingSo()
    {
        Rig rig;
        rig.sim.awx().setRunMs(10 * 60'000);
        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        QSignalSpy stages(&runner, &RollbackRunner::stageChanged);
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        QVERIFY(runner.start(rig.plan(AwxApi::ResetCanaryWeightingTemplateId), {}, u"jane"_s, {}));
        QTRY_VERIFY(!stages.isEmpty() && stages.constLast().at(0).value<Stage>() == Stage::Following);
        runner.cancel();
        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30'000);
        QCOMPARE(lastOf(failed).failure, Failure::JobFailed);
        QCOMPARE(lastOf(failed).jobStatus, u"canceled"_s);
        QVERIFY2(lastOf(failed).message.contains(u"canceled"_s), qPrintable(lastOf(failed).message));
        QCOMPARE(rig.sim.world().canaryWeight(), 100);
        QCOMPARE(rig.eventsTitled(u"Rollback failed: AWX job"_s).size(), 1);
    }

    void nothingToDo_isNotStarted()
    {
        Rig rig;
        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        BackoutPlan nothing;
        QVERIFY(!runner.start(nothing, {}, u"jane"_s, {}));
        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(lastOf(failed).failure, Failure::NoPlan);
        QVERIFY(!runner.isRunning());
        QVERIFY(!rig.journal.inFlight());
    }

    // Issue 18: two processes (here two runners, each with its own connection to one store and its own copy
    // of one journal) started together launch one job; the second is refused naming the holder, and it sees
    // the first one's outcome once it is over rather than launching over it.
    void twoRunnersOnOneStore_launchOneJob_theSecondIsRefusedNamingTheHolder()
    {
        Rig rig;
        const QString databasePath = rig.dir.filePath(u"canary.db"_s);
        auto first = std::move(store::Database::open(databasePath)).value();
        auto second = std::move(store::Database::open(databasePath)).value();
        const QString target = RollbackRunner::leaseTarget(u"tenant"_s, rig.session.target().entitySelector);
        RollbackJournal otherJournal(rig.journal.path());
        RollbackRunner a(rig.setup(), &rig.journal, rig.sim.clock);
        RollbackRunner b(rig.setup(), &otherJournal, rig.sim.clock);
        a.setLease(first.get(), target);
        b.setLease(second.get(), target);
        QSignalSpy aSucceeded(&a, &RollbackRunner::rollbackSucceeded);
        QSignalSpy aFailed(&a, &RollbackRunner::rollbackFailed);
        QSignalSpy bFailed(&b, &RollbackRunner::rollbackFailed);
        QSignalSpy bRunning(&b, &RollbackRunner::runningChanged);

        BackoutPlan plan = rig.plan(AwxApi::ResetCanaryWeightingTemplateId);
        plan.readAtMs = rig.sim.clock.nowMs();
        QVERIFY(a.start(plan, {}, u"alice"_s, {}));
        QVERIFY(!b.start(plan, {}, u"bob"_s, {}));
        QTRY_COMPARE(bFailed.count(), 1);
        const RollbackState refused = lastOf(bFailed);
        QCOMPARE(refused.failure, Failure::Busy);
        QVERIFY(refused.id.isEmpty());
        const QString pid = u"pid %1"_s.arg(QCoreApplication::applicationPid());
        QVERIFY2(refused.message.contains(pid) && refused.message.contains(u"alice on "_s)
                && refused.message.contains(u"since"_s),
            qPrintable(refused.message));
        QVERIFY(bRunning.isEmpty());
        // The first one's journal entry is untouched by the refusal.
        QCOMPARE(RollbackJournal(rig.journal.path()).inFlight()->id, a.state().id);

        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(aSucceeded.count() + aFailed.count(), 1, 30'000);
        rig.sim.stopClock();
        if (!aFailed.isEmpty())
            QFAIL(qPrintable(lastOf(aFailed).message));
        QCOMPARE(rig.sim.awx().jobCount(), 1);

        // The lease is free again, but the plan b read is older than the rollback a finished: b refuses it.
        rig.sim.clock.advanceMs(1000);
        QVERIFY(!b.start(plan, {}, u"bob"_s, {}));
        QTRY_COMPARE(bFailed.count(), 2);
        QCOMPARE(lastOf(bFailed).failure, Failure::Busy);
        QVERIFY2(lastOf(bFailed).message.contains(u"after this plan was read"_s),
            qPrintable(lastOf(bFailed).message));
        QCOMPARE(rig.sim.awx().jobCount(), 1);

        // A plan read afterwards runs: the lease went with the first rollback.
        plan.readAtMs = rig.sim.clock.nowMs();
        QVERIFY(b.start(plan, {}, u"bob"_s, {}));
        QTRY_COMPARE(rig.sim.awx().jobCount(), 2);
    }

    // Stopped past its lease's expiry while following (SIGSTOP), and another process took the rollback
    // over: this one stops at once, leaves the journal to the new holder and records no outcome of its own.
    void leaseTakenOverWhileFollowing_stopsAndLeavesTheJournal()
    {
        Rig rig;
        const QString databasePath = rig.dir.filePath(u"canary.db"_s);
        auto first = std::move(store::Database::open(databasePath)).value();
        auto second = std::move(store::Database::open(databasePath)).value();
        const QString target = RollbackRunner::leaseTarget(u"tenant"_s, rig.session.target().entitySelector);
        RollbackRunner a(rig.setup(), &rig.journal, rig.sim.clock);
        a.setLease(first.get(), target, 300); // renewed every 100 ms
        QSignalSpy failed(&a, &RollbackRunner::rollbackFailed);
        QSignalSpy succeeded(&a, &RollbackRunner::rollbackSucceeded);
        QVERIFY(a.start(rig.plan(AwxApi::ResetCanaryWeightingTemplateId), {}, u"alice"_s, {}));
        QTRY_COMPARE(a.state().stage, Stage::Following); // the simulator's clock stands: the job runs on
        const QString id = a.state().id;

        QSqlQuery takeOver(second->connection());
        takeOver.prepare(u"UPDATE lease SET token = 'the resumer' WHERE name = ?"_s);
        takeOver.addBindValue(store::Lease::rollbackName(target));
        QVERIFY(takeOver.exec());
        QCOMPARE(takeOver.numRowsAffected(), 1);

        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(succeeded.count(), 0);
        const RollbackState stopped = lastOf(failed);
        QCOMPARE(stopped.failure, Failure::Busy);
        QVERIFY2(
            stopped.message.contains(u"stopped following"_s) && stopped.message.contains(u"taken over"_s),
            qPrintable(stopped.message));
        QVERIFY(!a.isRunning());
        // The journal still says the rollback is in flight: the new holder finishes it.
        const RollbackJournal journal(rig.journal.path());
        QVERIFY(journal.inFlight());
        QCOMPARE(journal.inFlight()->id, id);
        QVERIFY(rig.eventsTitled(u"Rollback"_s).isEmpty());
        // Nothing of the new holder's was given back.
        QSqlQuery holder(second->connection());
        QVERIFY(holder.exec(u"SELECT token FROM lease"_s) && holder.next());
        QCOMPARE(holder.value(0).toString(), u"the resumer"_s);
    }

    // resume() takes the lease too: the window and `canaryctl rollback --resume` never follow one job twice.
    void resumeWhileAnotherProcessHoldsTheLease_isRefusedNamingIt()
    {
        Rig rig;
        rig.sim.awx().setRunMs(60'000);
        const QString databasePath = rig.dir.filePath(u"canary.db"_s);
        auto first = std::move(store::Database::open(databasePath)).value();
        auto second = std::move(store::Database::open(databasePath)).value();
        const QString target = RollbackRunner::leaseTarget(u"tenant"_s, rig.session.target().entitySelector);
        RollbackRunner running(rig.setup(), &rig.journal, rig.sim.clock);
        running.setLease(first.get(), target);
        QSignalSpy stages(&running, &RollbackRunner::stageChanged);
        QVERIFY(running.start(rig.plan(AwxApi::ResetCanaryWeightingTemplateId), {}, u"alice"_s, {}));
        QTRY_VERIFY(!stages.isEmpty() && stages.constLast().at(0).value<Stage>() == Stage::Following);

        RollbackJournal otherJournal(rig.journal.path());
        RollbackRunner other(rig.setup(), &otherJournal, rig.sim.clock);
        other.setLease(second.get(), target);
        QSignalSpy failed(&other, &RollbackRunner::rollbackFailed);
        QSignalSpy otherRunning(&other, &RollbackRunner::runningChanged);
        QVERIFY(other.resume());
        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(lastOf(failed).failure, Failure::Busy);
        QVERIFY2(lastOf(failed).message.contains(u"pid %1"_s.arg(QCoreApplication::applicationPid())),
            qPrintable(lastOf(failed).message));
        QVERIFY(otherRunning.isEmpty());
        // The rollback under way is still in the journal, as its runner wrote it.
        QCOMPARE(RollbackJournal(rig.journal.path()).inFlight()->id, running.state().id);
        QCOMPARE(rig.sim.awx().jobCount(), 1);
    }

    void rollbackIds_areUnique_andOldIdsStillRead()
    {
        Rig rig;
        RollbackJournal one({});
        RollbackJournal two({});
        RollbackRunner a(rig.setup(), &one, rig.sim.clock);
        RollbackRunner b(rig.setup(), &two, rig.sim.clock);
        const BackoutPlan plan = rig.plan(AwxApi::ResetCanaryWeightingTemplateId);
        // The same millisecond on the same clock: an id made of the time would be the same.
        QVERIFY(a.start(plan, {}, u"jane"_s, {}));
        QVERIFY(b.start(plan, {}, u"jane"_s, {}));
        const QRegularExpression uuid(
            u"^rollback-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"_s);
        QVERIFY2(uuid.match(a.state().id).hasMatch(), qPrintable(a.state().id));
        QVERIFY2(uuid.match(b.state().id).hasMatch(), qPrintable(b.state().id));
        QVERIFY(a.state().id != b.state().id);

        RollbackState old = a.state();
        old.id = u"rollback-1733570000000"_s;
        const auto read = RollbackState::fromJson(old.toJson());
        QVERIFY(read);
        QCOMPARE(read->id, u"rollback-1733570000000"_s);
    }

    void damagedJournal_refusesStartAndResume_andLeavesTheFileAlone()
    {
        Rig rig;
        const QString path = rig.dir.filePath(u"damaged/rollback-journal.json"_s);
        QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        const QByteArray damaged = "{\"version\":2,\"inFlight\":{\"id\":\"rollback-1\",\"stage\":\"follow";
        file.write(damaged);
        file.close();
        RollbackJournal journal(path);
        QVERIFY(!journal.loadError().isEmpty());
        RollbackRunner runner(rig.setup(), &journal, rig.sim.clock);
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        QVERIFY(!runner.start(rig.plan(AwxApi::ResetCanaryWeightingTemplateId), {}, u"jane"_s, {}));
        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(lastOf(failed).failure, Failure::StoreUnusable);
        QVERIFY2(lastOf(failed).message.contains(path) && lastOf(failed).message.contains(u"move it aside"_s),
            qPrintable(lastOf(failed).message));
        QVERIFY(!runner.resume());
        QCOMPARE(rig.sim.awx().jobCount(), 0);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), damaged);
    }

    // Issue 20 item 5: records planted in the journal (by whoever could write to the state folder) are not
    // moved to the outbox, so never sent with the operator's token; they stay in the file for someone to look
    // at, and the refusal says where and what to do.
    void plantedPendingRecords_areNotMovedToTheOutbox_norSent()
    {
        Rig rig;
        auto database = std::move(store::Database::open(rig.dir.filePath(u"canary.db"_s))).value();
        store::AuditLog audit(*database, rig.sim.clock);
        store::Outbox outbox(*database, rig.sim.clock);
        const QString tenant = store::Outbox::tenantOf(rig.sim.environment->baseUrl());
        // A real rollback of this console, so the log is not empty and its id is known.
        RollbackState started;
        started.id = u"rollback-real"_s;
        started.plan = rig.plan(AwxApi::ResetCanaryWeightingTemplateId);
        started.operatorName = u"jane"_s;
        QVERIFY(audit.append({ u"jane"_s, u"rollback.start"_s, rollback::auditTarget(started),
            rollback::auditDetail(started), store::AuditResult::Requested, u"roll back"_s }));

        const auto plant = [&](const QString &rollbackId, const dynatrace::EventIngest &event) {
            const QJsonObject old { { u"version"_s, 1 },
                { u"pending"_s,
                    QJsonArray { QJsonObject { { u"id"_s, u"pending-1"_s }, { u"rollbackId"_s, rollbackId },
                        { u"problemId"_s, QString() }, { u"body"_s, QString::fromUtf8(event.toJson()) },
                        { u"message"_s, QString() }, { u"context"_s, QString() },
                        { u"lastError"_s, u"HTTP 403"_s } } } } };
            QVERIFY(QDir().mkpath(QFileInfo(rig.journal.path()).absolutePath()));
            QFile file(rig.journal.path());
            QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
            file.write(QJsonDocument(old).toJson());
        };
        dynatrace::EventIngest event;
        event.eventType = u"CUSTOM_INFO"_s;
        event.title = u"Planted"_s;
        event.entitySelector = rig.session.target().entitySelector;

        // An id the audit log never saw.
        event.properties = { { u"rollback.id"_s, u"rollback-planted"_s } };
        plant(u"rollback-planted"_s, event);
        // A real rollback's id, with a plan it never ran.
        dynatrace::EventIngest borrowed = event;
        borrowed.properties = { { u"rollback.id"_s, u"rollback-real"_s },
            { u"rollback.plan"_s, u"Launch 'Something else' (#1) on evil.example"_s } };
        // A real rollback's id on the record, another on the event.
        dynatrace::EventIngest mismatched = event;
        mismatched.properties = { { u"rollback.id"_s, u"rollback-planted"_s } };
        const QList<std::tuple<QString, dynatrace::EventIngest, QString>> cases {
            { u"rollback-planted"_s, event, u"no start of rollback rollback-planted"_s },
            { u"rollback-real"_s, borrowed, u"rollback.plan"_s },
            { u"rollback-real"_s, mismatched, u"rollback.id"_s },
        };
        for (const auto &[rollbackId, body, why] : cases) {
            plant(rollbackId, body);
            const QByteArray before = [&] {
                QFile file(rig.journal.path());
                return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
            }();
            RollbackJournal journal(rig.journal.path());
            QCOMPARE(journal.legacyPending().size(), 1);
            RollbackRunner runner(rig.setup(), &journal, rig.sim.clock);
            QSignalSpy notices(&runner, &RollbackRunner::notice);
            runner.setAuditLog(&audit);
            runner.setOutbox(&outbox, tenant);
            QCOMPARE(outbox.pendingCount(tenant).value(), 0);
            const QString refusal = runner.journalRefusal();
            QVERIFY2(refusal.contains(u"not written by this console"_s)
                    && refusal.contains(rig.journal.path()) && refusal.contains(u"move it aside"_s)
                    && refusal.contains(why),
                qPrintable(refusal));
            QCOMPARE(notices.count(), 1);
            QCOMPARE(journal.legacyPending().size(), 1);
            QFile file(rig.journal.path());
            QVERIFY(file.open(QIODevice::ReadOnly));
            QCOMPARE(file.readAll(), before);
        }
        QVERIFY(rig.eventsTitled(u"Planted"_s).isEmpty());
    }

    // A rollback in flight that this console never started is not resumed: nothing is launched or followed,
    // and the refusal says why and what to do.
    void plantedInFlight_isNotResumed_andSaysWhy()
    {
        Rig rig;
        auto database = std::move(store::Database::open(rig.dir.filePath(u"canary.db"_s))).value();
        store::AuditLog audit(*database, rig.sim.clock);
        RollbackState planted;
        planted.id = u"rollback-planted"_s;
        planted.plan = rig.plan(AwxApi::ResetCanaryWeightingTemplateId);
        planted.operatorName = u"mallory"_s;
        planted.stage = Stage::Launching;
        planted.startedAtMs = rig.sim.clock.nowMs();
        QVERIFY(rig.journal.save(planted));

        RollbackJournal journal(rig.journal.path());
        RollbackRunner runner(rig.setup(), &journal, rig.sim.clock);
        runner.setAuditLog(&audit);
        rollback::auditRollbackActions(&runner, &audit, u"jane"_s);
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        QSignalSpy running(&runner, &RollbackRunner::runningChanged);
        QVERIFY(runner.resume());
        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(lastOf(failed).failure, Failure::StoreUnusable);
        const QString message = lastOf(failed).message;
        QVERIFY2(message.contains(u"not written by this console"_s) && message.contains(rig.journal.path())
                && message.contains(u"rollback-planted"_s) && message.contains(u"no start of a rollback"_s)
                && message.contains(u"move it aside"_s),
            qPrintable(message));
        QCOMPARE(runner.journalRefusal(), message);
        QVERIFY(running.isEmpty());
        // A new rollback is refused over it with the same words, rather than "resume it".
        QVERIFY(!runner.start(rig.plan(AwxApi::ResetCanaryWeightingTemplateId), {}, u"jane"_s, {}));
        QTRY_COMPARE(failed.count(), 2);
        QCOMPARE(lastOf(failed).failure, Failure::StoreUnusable);
        QVERIFY2(lastOf(failed).message.contains(u"not written by this console"_s),
            qPrintable(lastOf(failed).message));
        QCOMPARE(rig.sim.awx().jobCount(), 0);
        QVERIFY(rig.eventsTitled(u"Rollback"_s).isEmpty());
        QCOMPARE(RollbackJournal(rig.journal.path()).inFlight()->id, u"rollback-planted"_s);
    }

    // An honest rollback, killed after the launch, with its start row committed: resumed and finished. The
    // same record with its plan changed afterwards is refused, naming what differs.
    void auditedInFlight_resumes_butNotOnceItsPlanWasChanged()
    {
        Rig rig;
        rig.sim.awx().setRunMs(60'000);
        auto database = std::move(store::Database::open(rig.dir.filePath(u"canary.db"_s))).value();
        store::AuditLog audit(*database, rig.sim.clock);
        {
            RollbackRunner doomed(rig.setup(), &rig.journal, rig.sim.clock);
            doomed.setAuditLog(&audit);
            rollback::auditRollbackActions(&doomed, &audit, u"jane"_s);
            QSignalSpy stages(&doomed, &RollbackRunner::stageChanged);
            QVERIFY(doomed.start(
                rig.plan(AwxApi::ResetCanaryWeightingTemplateId), u"canary failing"_s, u"jane"_s, {}));
            QTRY_VERIFY(!stages.isEmpty() && stages.constLast().at(0).value<Stage>() == Stage::Following);
        }
        const QByteArray honest = [&] {
            QFile file(rig.journal.path());
            return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
        }();

        // Changed: another template to launch on a resume that finds no job.
        {
            RollbackJournal edited(rig.journal.path());
            RollbackState state = *edited.inFlight();
            state.plan.templateId = 4242;
            QVERIFY(edited.save(state));
        }
        {
            RollbackJournal journal(rig.journal.path());
            RollbackRunner restarted(rig.setup(), &journal, rig.sim.clock);
            restarted.setAuditLog(&audit);
            QSignalSpy failed(&restarted, &RollbackRunner::rollbackFailed);
            QVERIFY(restarted.resume());
            QTRY_COMPARE(failed.count(), 1);
            QCOMPARE(lastOf(failed).failure, Failure::StoreUnusable);
            QVERIFY2(lastOf(failed).message.contains(u"not written by this console"_s)
                    && lastOf(failed).message.contains(u"4242"_s),
                qPrintable(lastOf(failed).message));
        }

        QFile file(rig.journal.path());
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(honest);
        file.close();
        RollbackJournal journal(rig.journal.path());
        RollbackRunner restarted(rig.setup(), &journal, rig.sim.clock);
        restarted.setAuditLog(&audit);
        rollback::auditRollbackActions(&restarted, &audit, u"jane"_s);
        QSignalSpy succeeded(&restarted, &RollbackRunner::rollbackSucceeded);
        QSignalSpy failed(&restarted, &RollbackRunner::rollbackFailed);
        QVERIFY(restarted.resume());
        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(succeeded.count() + failed.count(), 1, 30'000);
        if (!failed.isEmpty())
            QFAIL(qPrintable(lastOf(failed).message));
        QVERIFY(restarted.journalRefusal().isEmpty());
        QCOMPARE(rig.sim.awx().jobCount(), 1); // followed, not launched again
        QCOMPARE(lastOf(succeeded).reason, u"canary failing"_s);
    }

    // The one window in which an honest journal record would have no start row: the row could not be
    // committed. Closed: the rollback does not start, so the journal never names it and nothing runs.
    void startRowNotCommitted_rollbackDoesNotStart()
    {
        Rig rig;
        const QString path = rig.dir.filePath(u"canary.db"_s);
        store::Database::open(path).value().reset();
        auto readOnly = std::move(store::Database::openReadOnly(path)).value(); // every append fails
        store::AuditLog audit(*readOnly, rig.sim.clock);
        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        runner.setAuditLog(&audit);
        QStringList auditErrors;
        rollback::auditRollbackActions(
            &runner, &audit, u"jane"_s, [&auditErrors](const QString &why) { auditErrors.append(why); });
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        QVERIFY(!runner.start(rig.plan(AwxApi::ResetCanaryWeightingTemplateId), {}, u"jane"_s, {}));
        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(lastOf(failed).failure, Failure::StoreUnusable);
        QVERIFY2(lastOf(failed).message.contains(u"could not be committed to the audit log"_s),
            qPrintable(lastOf(failed).message));
        QVERIFY(!auditErrors.isEmpty());
        QVERIFY(!runner.isRunning());
        QVERIFY(!RollbackJournal(rig.journal.path()).inFlight());
        QCOMPARE(rig.sim.awx().jobCount(), 0);
    }

    // A 201 whose body is cut short: AWX started the job. It is found among the template's jobs and
    // followed to the end, never reported as refused.
    void truncated201OnLaunch_findsTheJob_andFollowsIt()
    {
        Rig rig;
        QString error;
        QVERIFY2(rig.sim.environment->faults().addFault(
                     { u"POST /api/v2/job_templates/*"_s, sim::Fault::Kind::TruncatedJson, 0, 1 }, &error),
            qPrintable(error));
        auto database = std::move(store::Database::open(rig.dir.filePath(u"canary.db"_s))).value();
        store::AuditLog audit(*database, rig.sim.clock);
        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        rollback::auditRollbackActions(&runner, &audit, u"jane"_s);
        QSignalSpy succeeded(&runner, &RollbackRunner::rollbackSucceeded);
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        QSignalSpy notices(&runner, &RollbackRunner::notice);
        QVERIFY(runner.start(rig.plan(AwxApi::ResetCanaryWeightingTemplateId), {}, u"jane"_s, {}));
        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(succeeded.count() + failed.count(), 1, 30'000);
        if (!failed.isEmpty())
            QFAIL(qPrintable(lastOf(failed).message));
        QCOMPARE(rig.sim.awx().jobCount(), 1);
        // On record as it happened: the launch unknown, then the job found, then the rollback's outcome.
        const auto rows = audit.entries();
        QVERIFY(rows);
        QStringList trail;
        for (const auto &row : *rows)
            trail.append(row.action + u' ' + store::resultName(row.result));
        QCOMPARE(trail,
            QStringList({ u"rollback.start requested"_s, u"rollback.launch unknown"_s,
                u"rollback.launch succeeded"_s, u"rollback.finish succeeded"_s }));
        QCOMPARE(rows->at(2).detail.value(u"jobId"_s).toInt(), rig.sim.awx().jobs().constFirst().id);
        QCOMPARE(lastOf(succeeded).jobId, rig.sim.awx().jobs().constFirst().id);
        QCOMPARE(rig.sim.world().canaryWeight(), 0);
        QStringList said;
        for (const auto &args : notices)
            said.append(args.at(0).toString());
        QVERIFY2(said.join(u'\n').contains(u"launched, details unknown"_s), qPrintable(said.join(u'\n')));
        QVERIFY2(said.join(u'\n').contains(u"found AWX job %1"_s.arg(lastOf(succeeded).jobId)),
            qPrintable(said.join(u'\n')));
    }

    // The launch's connection reset before AWX saw it: no job to find, so the outcome is unknown (audited
    // as such, with where to look), never "refused" and never launched a second time.
    void launchLostAndNoJobFound_endsUnknown_auditedUnknown()
    {
        Rig rig;
        QString error;
        QVERIFY2(rig.sim.environment->faults().addFault(
                     { u"POST /api/v2/job_templates/*"_s, sim::Fault::Kind::ConnectionReset, 0, 1 }, &error),
            qPrintable(error));
        auto database = std::move(store::Database::open(rig.dir.filePath(u"canary.db"_s))).value();
        store::AuditLog audit(*database, rig.sim.clock);
        RollbackRunner runner(rig.setup(), &rig.journal, rig.sim.clock);
        rollback::auditRollbackActions(&runner, &audit, u"jane"_s);
        QSignalSpy failed(&runner, &RollbackRunner::rollbackFailed);
        QVERIFY(runner.start(rig.plan(AwxApi::ResetCanaryWeightingTemplateId), {}, u"jane"_s, {}));
        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30'000);
        const RollbackState state = lastOf(failed);
        QCOMPARE(state.failure, Failure::Unknown);
        QVERIFY2(state.message.contains(
                     u"/api/v2/job_templates/%1/jobs/"_s.arg(AwxApi::ResetCanaryWeightingTemplateId)),
            qPrintable(state.message));
        QVERIFY(!state.message.contains(u"refused"_s));
        QCOMPARE(rig.sim.awx().jobCount(), 0);
        const auto rows = audit.entries();
        QVERIFY(rows);
        QCOMPARE(rows->constLast().action, u"rollback.finish"_s);
        QCOMPARE(rows->constLast().result, store::AuditResult::Unknown);
        QCOMPARE(rig.eventsTitled(u"Rollback outcome unknown: "_s).size(), 1);
    }

    // Issue 18 point 8: a resumed rollback still says what it runs and where, in its rows and its event.
    void resumedRollback_keepsTheTemplateNameAndHost_inRowsAndEvent()
    {
        Rig rig;
        rig.sim.awx().setRunMs(60'000);
        BackoutPlan plan = rig.plan(AwxApi::ResetCanaryWeightingTemplateId);
        plan.templateName = u"Reset canary weighting"_s;
        const QString host = plan.awxHost;
        QVERIFY(!host.isEmpty());
        {
            RollbackRunner doomed(rig.setup(), &rig.journal, rig.sim.clock);
            QSignalSpy stages(&doomed, &RollbackRunner::stageChanged);
            QVERIFY(doomed.start(plan, {}, u"jane"_s, {}));
            QTRY_VERIFY(!stages.isEmpty() && stages.constLast().at(0).value<Stage>() == Stage::Following);
        }
        auto database = std::move(store::Database::open(rig.dir.filePath(u"canary.db"_s))).value();
        store::AuditLog audit(*database, rig.sim.clock);
        RollbackJournal reopened(rig.journal.path());
        RollbackRunner restarted(rig.setup(), &reopened, rig.sim.clock);
        rollback::auditRollbackActions(&restarted, &audit, u"jane"_s);
        QSignalSpy succeeded(&restarted, &RollbackRunner::rollbackSucceeded);
        QVERIFY(restarted.resume());
        rig.sim.startClock();
        QTRY_COMPARE_WITH_TIMEOUT(succeeded.count(), 1, 30'000);
        QCOMPARE(lastOf(succeeded).plan.templateName, u"Reset canary weighting"_s);
        QCOMPARE(lastOf(succeeded).plan.awxHost, host);

        const QString expected
            = u"Launch 'Reset canary weighting' (#%1) on %2"_s.arg(AwxApi::ResetCanaryWeightingTemplateId)
                  .arg(host);
        const auto rows = audit.entries();
        QVERIFY(rows);
        QCOMPARE(rows->size(), 2);
        QCOMPARE(rows->at(0).action, u"rollback.resume"_s);
        QCOMPARE(rows->at(0).target, expected);
        QCOMPARE(rows->at(1).action, u"rollback.finish"_s);
        QCOMPARE(rows->at(1).target, expected);
        const auto recorded = rig.eventsTitled(u"Rollback executed: "_s);
        QCOMPARE(recorded.size(), 1);
        QCOMPARE(recorded.constFirst().properties.value(u"rollback.plan"_s), expected);
    }
};

QTEST_GUILESS_MAIN(TestRollbackRunner)
#include "tst_rollbackrunner.moc"
