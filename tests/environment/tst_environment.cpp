#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "awxsimfixture.h"
#include "environment/environment.h"
#include "rollback/rollbackrunner.h"
#include "rollback/rollbackservice.h"
#include "sim/eventstore.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "store/outbox.h"
#include "store/outboxsender.h"
#include "traffic/awxtrafficbackend.h"
#include "traffic/changegate.h"
#include "traffic/intentreconciler.h"
#include "traffic/splitwatch.h"
#include "traffic/trafficbackend.h"
#include "traffic/trafficcontroller.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::AwxSimFixture;

namespace {

// The demo's shape: the simulator is the tenant, the traffic router and the AWX, all at one origin.
environment::EnvironmentSpec demoSpec(const AwxSimFixture &sim)
{
    environment::EnvironmentSpec spec;
    spec.target = sim.target();
    spec.token = sim.token();
    spec.databasePath = QString::fromLatin1(store::Database::InMemory);
    spec.operatorName = u"jane"_s;
    traffic::BackendSpec backend;
    backend.kind = traffic::BackendSpec::Kind::Simulator;
    backend.simulatorUrl = sim.environment->baseUrl();
    backend.simulatorToken = sim.token();
    spec.backend = backend;
    spec.recording = traffic::RecorderConfig {};
    spec.awx = sim.config(u"9"_s);
    spec.rollbackPollIntervalMs = 5;
    return spec;
}

// An AWX back-end and an AWX for backout plans; nothing is called, so the host need not exist.
environment::EnvironmentSpec awxSpec(const QString &backendToken, const QString &rollbackToken)
{
    environment::EnvironmentSpec spec;
    spec.target.dynatraceUrl = QUrl(u"https://abc12345.live.dynatrace.com"_s);
    spec.token = u"dt0c01.ABC.DEF"_s;
    spec.databasePath = QString::fromLatin1(store::Database::InMemory);
    traffic::BackendSpec backend;
    backend.kind = traffic::BackendSpec::Kind::Awx;
    backend.awx.url = QUrl(u"https://awx.example.com"_s);
    backend.awx.token = backendToken;
    backend.awx.templateRef = u"7"_s;
    spec.backend = backend;
    awx::AwxConfig plans = backend.awx;
    plans.token = rollbackToken;
    spec.awx = plans;
    return spec;
}

QList<store::AuditEntry> splitRows(store::AuditLog *audit)
{
    QList<store::AuditEntry> rows;
    const auto entries = audit->entries();
    for (const auto &entry : entries.value()) {
        if (entry.action == u"split.set"_s)
            rows.append(entry);
    }
    return rows;
}

} // namespace

class TestEnvironment : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void traffic_needsItsAudit_soNothingMovesUnrecorded()
    {
        AwxSimFixture sim(30);
        environment::Environment env(demoSpec(sim), sim.clock);
        const auto traffic = env.openTraffic();
        QVERIFY(!traffic);
        QVERIFY2(traffic.error().contains(u"audit"_s), qPrintable(traffic.error()));
        QVERIFY(!env.backend());
        QVERIFY(env.openStore());
        QVERIFY(env.openTraffic());
        QVERIFY(env.gate());
        QCOMPARE(env.gate()->controller(), env.controller());
    }

    void noBackend_saysWhy()
    {
        AwxSimFixture sim(30);
        auto spec = demoSpec(sim);
        spec.backend.reset();
        spec.noBackendReason = u"--traffic-backend awx needs --awx-template"_s;
        environment::Environment env(std::move(spec), sim.clock);
        QVERIFY(env.openStore());
        const auto traffic = env.openTraffic();
        QVERIFY(!traffic);
        QCOMPARE(traffic.error(), u"--traffic-backend awx needs --awx-template"_s);
        // Watching still works, and the rollback has no fallback to offer.
        QVERIFY(env.session());
        QCOMPARE(env.openRollback()->config().gate, nullptr);
    }

    void oneClientPerAwx_whenTheBackEndAndTheRollbackUseTheSameCredentials()
    {
        environment::Environment shared(awxSpec(u"token-a"_s, u"token-a"_s), Clock::system());
        QVERIFY(shared.openStore());
        QVERIFY(shared.openTraffic());
        shared.openRollback();
        QCOMPARE(shared.clientCount(), std::size_t(1));
        QCOMPARE(shared.openRollback()->config().awxClient,
            shared.clientFor(QUrl(u"https://awx.example.com"_s), "Bearer token-a", 30'000));
        QCOMPARE(shared.clientCount(), std::size_t(1));

        // Another credential is another client: a token goes only where it was configured to go.
        environment::Environment separate(awxSpec(u"token-a"_s, u"token-b"_s), Clock::system());
        QVERIFY(separate.openStore());
        QVERIFY(separate.openTraffic());
        separate.openRollback();
        QCOMPARE(separate.clientCount(), std::size_t(2));
    }

    // A recorded reset ("nothing to do") is not the last word while the canary carries traffic: the plan is
    // refused and the fallback offered until the back-end reads 0 % again.
    // Issue 17: the AWX back-end watches the jobs of the template a recorded plan names on the same AWX, so
    // a reset someone else launches (Dynatrace's workflow, another console) reads as the change it is.
    void awxBackend_watchesThePlansResetTemplate_onTheSameAwx()
    {
        AwxSimFixture sim(0);
        auto spec = demoSpec(sim);
        traffic::BackendSpec backend;
        backend.kind = traffic::BackendSpec::Kind::Awx;
        backend.awx = sim.config(u"7"_s);
        spec.backend = backend;
        spec.recording->remediationAction = u"9"_s;
        environment::Environment env(std::move(spec), sim.clock);
        QVERIFY(env.openStore());
        QVERIFY(env.openTraffic());
        auto *awxBackend = qobject_cast<traffic::AwxTrafficBackend *>(env.controller()->backend());
        QVERIFY(awxBackend);
        QVERIFY(!awxBackend->config().resetTemplateIds.contains(9));
        rollback::RollbackService *rollback = env.openRollback();
        env.sender()->start();
        QSignalSpy recorded(env.controller(), &traffic::TrafficController::changeRecorded);
        QTimer pump; // the simulated AWX runs its job on the virtual clock
        QObject::connect(&pump, &QTimer::timeout, &pump, [&sim] { sim.clock.advanceMs(1'000); });
        pump.start(1);
        env.controller()->requestSplit(traffic::Split { 80, 20 }, u"first step"_s);
        QTRY_COMPARE_WITH_TIMEOUT(recorded.count(), 1, 20'000);
        pump.stop();

        QSignalSpy resolved(rollback, &rollback::RollbackService::planResolved);
        rollback->refreshPlan();
        QTRY_COMPARE(resolved.count(), 1);
        QVERIFY2(
            *rollback->plan(), qPrintable(*rollback->plan() ? QString() : rollback->plan()->error().message));
        QCOMPARE(rollback->plan()->value().templateId, 9);
        QVERIFY(awxBackend->config().resetTemplateIds.contains(9));
    }

    void recordedReset_whileTheCanaryCarriesTraffic_isNotNothingToDo()
    {
        AwxSimFixture sim(0);
        auto spec = demoSpec(sim);
        spec.recording->remediationAction = u"NA"_s;
        environment::Environment env(std::move(spec), sim.clock);
        QVERIFY(env.openStore());
        QVERIFY(env.openTraffic());
        rollback::RollbackService *rollback = env.openRollback();
        env.sender()->start();
        QSignalSpy recorded(env.controller(), &traffic::TrafficController::changeRecorded);
        env.controller()->requestSplit(traffic::Split { 100, 0 }, u"reset"_s);
        QTRY_COMPARE(recorded.count(), 1);

        QSignalSpy resolved(rollback, &rollback::RollbackService::planResolved);
        rollback->refreshPlan();
        QTRY_COMPARE(resolved.count(), 1);
        QVERIFY(*rollback->plan());
        QCOMPARE(rollback->plan()->value().kind, rollback::BackoutPlan::Kind::NothingToDo);

        // Someone puts 40 % on the canary without an event; the watch reads it.
        sim.world().setCanaryWeight(40);
        env.splitWatch()->tick();
        QTRY_VERIFY(!*rollback->plan());
        QCOMPARE(rollback->plan()->error().reason, rollback::PlanRefusal::Reason::CanaryCarriesTraffic);
        QVERIFY2(rollback->plan()->error().message.contains(u"the canary at 40 %"_s),
            qPrintable(rollback->plan()->error().message));
        QVERIFY(rollback->plan()->error().offersFallback());

        sim.world().setCanaryWeight(0);
        env.splitWatch()->tick();
        QTRY_VERIFY(*rollback->plan());
        QCOMPARE(rollback->plan()->value().kind, rollback::BackoutPlan::Kind::NothingToDo);
    }

    void rollbackFallback_goesThroughTheGate_auditedAndRecorded()
    {
        AwxSimFixture sim(30);
        environment::Environment env(demoSpec(sim), sim.clock);
        QVERIFY(env.openStore());
        QVERIFY(env.openTraffic());
        rollback::RollbackService *rollback = env.openRollback();
        QCOMPARE(rollback->config().gate, env.gate());
        QCOMPARE(rollback->config().backend, env.backend());
        QSignalSpy read(env.controller(), &traffic::TrafficController::splitRead);
        env.controller()->refresh();
        QTRY_COMPARE(read.count(), 1);

        QSignalSpy succeeded(rollback->runner(), &rollback::RollbackRunner::rollbackSucceeded);
        QSignalSpy failed(rollback->runner(), &rollback::RollbackRunner::rollbackFailed);
        QVERIFY(rollback->executeFallback(u"no plan recorded"_s, u"jane"_s));
        sim.startClock();
        QTRY_VERIFY_WITH_TIMEOUT(succeeded.count() + failed.count() == 1, 30'000);
        sim.stopClock();
        QVERIFY2(succeeded.count() == 1,
            qPrintable(failed.value(0).value(0).value<rollback::RollbackState>().message));
        QCOMPARE(sim.world().canaryWeight(), 0);
        QCOMPARE(env.controller()->applied()->canary, 0);

        // The 0 % is a change like any other: "requested" and "succeeded" rows, by the operator who acted.
        const auto rows = splitRows(env.audit());
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows.at(1).result, store::AuditResult::Succeeded);
        QCOMPARE(rows.at(1).detail.value(u"to"_s).toObject().value(u"canary"_s).toInt(), 0);
        QCOMPARE(rows.at(1).detail.value(u"from"_s).toObject().value(u"canary"_s).toInt(), 30);
        QCOMPARE(rows.at(1).operatorName, u"jane"_s);

        // Its change event and the rollback's result wait in the one outbox; its one sender posts both.
        store::OutboxSender *sender = env.sender();
        QVERIFY(sender);
        QSignalSpy drained(sender, &store::OutboxSender::drained);
        sender->start();
        QTRY_VERIFY_WITH_TIMEOUT(drained.count() >= 1 && sender->pendingCount() == 0, 10'000);
        int changeEvents = 0;
        int rollbackEvents = 0;
        for (const auto &event : sim.environment->events().events()) {
            if (event.title == u"Canary weight set to 0"_s)
                ++changeEvents;
            if (event.title.startsWith(u"Rollback executed"_s))
                ++rollbackEvents;
        }
        QCOMPARE(changeEvents, 1);
        QCOMPARE(rollbackEvents, 1);

        // Both carry the audit log as it stood when they were stored, naming this log.
        int anchored = 0;
        for (const auto &event : sim.environment->events().events()) {
            if (!event.properties.contains(store::Outbox::IdProperty.toString()))
                continue; // not sent by the outbox
            ++anchored;
            const QString head = event.properties.value(store::AuditAnchor::HeadProperty.toString());
            QVERIFY2(head.size() == 64, qPrintable(event.title));
            QCOMPARE(event.properties.value(store::AuditAnchor::LogProperty.toString()),
                store::AuditLog::logIdOf(env.database()->path()));
            const qint64 at
                = event.properties.value(store::AuditAnchor::RowsProperty.toString()).toLongLong();
            QVERIFY(at >= 2);
            QCOMPARE(env.audit()->entries()->at(at - 1).hash, head);
        }
        QCOMPARE(anchored, 2);
    }

    // A run killed between the router's answer and the outbox left its request open: the next environment
    // answers it after its first read of the split and records the change late, through its outbox.
    void openTraffic_reconcilesWhatAKilledRunLeftOpen()
    {
        AwxSimFixture sim(30);
        QTemporaryDir state;
        auto spec = demoSpec(sim);
        spec.databasePath = state.filePath(u"canary.db"_s);
        {
            environment::Environment killed(spec, sim.clock);
            QVERIFY(killed.openStore());
            QVERIFY(killed.openTraffic());
            traffic::SplitIntent intent;
            intent.to = *traffic::Split::fromCanaryPercent(30);
            intent.from = traffic::Split {};
            QVERIFY(killed.audit()->append({ u"jane"_s, u"split.set"_s, killed.backend()->description(),
                intent.toDetail(), store::AuditResult::Requested, u"set traffic to 70/30"_s }));
        }
        environment::Environment env(spec, sim.clock);
        QVERIFY(env.openStore());
        QVERIFY(env.openTraffic());
        QVERIFY(env.reconciler());
        QSignalSpy late(env.reconciler(), &traffic::IntentReconciler::recordedLate);
        env.controller()->refresh();
        QTRY_COMPARE(late.count(), 1);

        const auto rows = splitRows(env.audit());
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows.at(1).result, store::AuditResult::Succeeded);
        QVERIFY(rows.at(1).detail.value(u"late"_s).toBool());
        const auto stored = env.outbox()->recent();
        QVERIFY(stored);
        QCOMPARE(stored->size(), 1);
        QCOMPARE(stored->front().event.title, u"Canary weight set to 30 (recorded late)"_s);
        QCOMPARE(stored->front().event.properties.value(u"canary.split.old"_s), u"100/0"_s);
    }
};

QTEST_MAIN(TestEnvironment)
#include "tst_environment.moc"
