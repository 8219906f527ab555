#include <unistd.h>

#include <QSignalSpy>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

#include "dynatrace/eventsclient.h"
#include "fakebackend.h"
#include "net/restclient.h"
#include "sim/eventstore.h"
#include "sim/simserver.h"
#include "simfixture.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "store/outbox.h"
#include "store/outboxsender.h"
#include "traffic/changerecorder.h"
#include "traffic/intentreconciler.h"
#include "traffic/trafficactions.h"
#include "traffic/trafficcontroller.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::store::AuditAnchor;
using canary::store::AuditEntry;
using canary::store::AuditLog;
using canary::store::AuditResult;
using canary::store::Database;
using canary::store::Outbox;
using canary::store::OutboxSender;
using canary::testing::FakeBackend;
using canary::testing::SimFixture;
using canary::traffic::ChangeEventKeys;
using canary::traffic::ChangeRecorder;
using canary::traffic::IntentReconciler;
using canary::traffic::RecorderConfig;
using canary::traffic::Split;
using canary::traffic::SplitIntent;
using canary::traffic::TrafficController;

namespace {

Split split(int canaryPercent)
{
    return *Split::fromCanaryPercent(canaryPercent);
}

// One process's view of the state folder: its own connection to canary.db, its audit log, its outbox and
// its recorder sending to the simulated tenant.
struct Process
{
    Process(SimFixture &fixture, const QString &path)
        : database(std::move(Database::open(path)).value())
        , audit(*database, fixture.clock)
        , outbox(*database, fixture.clock)
        , rest(fixture.environment->baseUrl())
        , events(&rest)
        , sender(&outbox, &events, Outbox::tenantOf(fixture.environment->baseUrl()), fixture.clock)
        , recorder(&events, config())
        , controller(&backend, &recorder)
    {
        rest.setAuthorization("Api-Token " + fixture.environment->token().toUtf8());
        rest.setTimeoutMs(10'000);
        recorder.setOutbox(&outbox, &sender);
        sender.start();
    }

    static RecorderConfig config()
    {
        RecorderConfig config;
        config.entitySelector = session::Target::defaultEntitySelector();
        config.remediationAction = u"12"_s; // today's plan: the intent's own must win
        config.operatorName = u"carol"_s;
        config.backendDescription = u"fake router"_s;
        return config;
    }

    std::unique_ptr<Database> database;
    AuditLog audit;
    Outbox outbox;
    net::RestClient rest;
    dynatrace::EventsClient events;
    OutboxSender sender;
    ChangeRecorder recorder;
    FakeBackend backend;
    TrafficController controller;
};

// The "requested" entry a process killed mid-change leaves behind: asked by bob, from 0 % to `to` %.
AuditEntry leaveOpenRequest(AuditLog &audit, int to, qint64 pid = 0)
{
    SplitIntent intent;
    intent.to = split(to);
    intent.from = split(0);
    intent.reason = u"first canary step"_s;
    intent.remediationAction = u"9"_s;
    intent.pid = pid;
    intent.host = QSysInfo::machineHostName();
    const auto written = audit.append({ u"bob"_s, u"split.set"_s, u"fake router"_s, intent.toDetail(),
        AuditResult::Requested, u"set traffic to %1 (stable/canary)"_s.arg(intent.to.toString()) });
    if (!written)
        qFatal("cannot write the request: %s", qPrintable(written.error()));
    return *written;
}

int outboxSize(Outbox &outbox)
{
    const auto recent = outbox.recent();
    return recent ? int(recent->size()) : -1;
}

} // namespace

class TestIntentReconciler : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Killed after the back-end took 30 % but before the outbox: the next start finds the router at 30 %,
    // answers the request as applied and records the event it never got, marked late, once.
    void openRequest_heldByTheBackEnd_isRecordedLate_once()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir dir;
        Process process(fixture, dir.filePath(u"canary.db"_s));
        const AuditEntry request = leaveOpenRequest(process.audit, 30);

        IntentReconciler reconciler(&process.controller, &process.audit, &process.recorder, u"carol"_s);
        QSignalSpy late(&reconciler, &IntentReconciler::recordedLate);
        QSignalSpy reconciled(&reconciler, &IntentReconciler::reconciled);
        testing::readSplitAt(process.backend, process.controller, 30);
        QCOMPARE(reconciled.count(), 1);
        QCOMPARE(reconciled.at(0).at(0).toInt(), 1);
        QCOMPARE(late.count(), 1);

        // Answered in the audit log, naming the request, and the chain still holds.
        const auto open = process.audit.openRequests(u"split.set"_s, u"fake router"_s);
        QVERIFY(open && open->isEmpty());
        const auto entries = process.audit.entries();
        QCOMPARE(entries->size(), 2);
        const AuditEntry answer = entries->back();
        QCOMPARE(answer.result, AuditResult::Succeeded);
        QCOMPARE(answer.detail.value(u"intent"_s).toInteger(), request.id);
        QVERIFY(answer.detail.value(u"late"_s).toBool());
        QVERIFY2(answer.message.contains(u"recorded late"_s), qPrintable(answer.message));
        QVERIFY(process.audit.verify().ok());

        // The event, as the run that asked would have sent it, says it is late; the audit head it carries
        // is the request, the newest entry when it was stored.
        QTRY_COMPARE(fixture.environment->events().size(), 1);
        const auto &event = fixture.environment->events().events().front();
        QCOMPARE(event.eventType, u"CUSTOM_CONFIGURATION"_s);
        QCOMPARE(event.title, u"Canary weight set to 30 (recorded late)"_s);
        const auto &properties = event.properties;
        QCOMPARE(properties.value(ChangeEventKeys::RecordedLate.toString()), u"true"_s);
        QCOMPARE(properties.value(ChangeEventKeys::SplitOld.toString()), u"100/0"_s);
        QCOMPARE(properties.value(ChangeEventKeys::SplitNew.toString()), u"70/30"_s);
        QCOMPARE(properties.value(ChangeEventKeys::Operator.toString()), u"bob"_s);
        QCOMPARE(properties.value(ChangeEventKeys::Reason.toString()), u"first canary step"_s);
        QCOMPARE(properties.value(ChangeEventKeys::RemediationAction.toString()), u"9"_s);
        QCOMPARE(properties.value(ChangeEventKeys::Intent.toString()), request.hash);
        QVERIFY(properties.value(ChangeEventKeys::Description.toString()).contains(u"Recorded late"_s));
        QCOMPARE(properties.value(AuditAnchor::HeadProperty.toString()), request.hash);
        QCOMPARE(properties.value(AuditAnchor::RowsProperty.toString()), u"1"_s);
        QCOMPARE(properties.value(AuditAnchor::LogProperty.toString()),
            AuditLog::logIdOf(dir.filePath(u"canary.db"_s)));

        // A second start finds nothing open: no second event, no second answer.
        TrafficController again(&process.backend, &process.recorder);
        IntentReconciler second(&again, &process.audit, &process.recorder, u"carol"_s);
        testing::readSplitAt(process.backend, again, 30);
        QVERIFY(second.isDone());
        QCOMPARE(process.audit.entries()->size(), 2);
        QCOMPARE(outboxSize(process.outbox), 1);
    }

    // The router holds something else: the request is answered as not applied, and nothing is recorded.
    void openRequest_backEndElsewhere_isClosedAsNotApplied()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir dir;
        Process process(fixture, dir.filePath(u"canary.db"_s));
        const AuditEntry request = leaveOpenRequest(process.audit, 30);

        IntentReconciler reconciler(&process.controller, &process.audit, &process.recorder, u"carol"_s);
        QSignalSpy unapplied(&reconciler, &IntentReconciler::closedUnapplied);
        testing::readSplitAt(process.backend, process.controller, 0);
        QCOMPARE(unapplied.count(), 1);

        const auto entries = process.audit.entries();
        QCOMPARE(entries->size(), 2);
        QCOMPARE(entries->back().result, AuditResult::Failed);
        QCOMPARE(entries->back().detail.value(u"intent"_s).toInteger(), request.id);
        QVERIFY2(entries->back().message.contains(u"not applied"_s), qPrintable(entries->back().message));
        QVERIFY(process.audit.openRequests(u"split.set"_s, u"fake router"_s)->isEmpty());
        QCOMPARE(outboxSize(process.outbox), 0);
    }

    // The process that asked died moments ago with its request out (killed during a slow PUT): the router
    // does not hold it yet, but may still apply it. Answered "unknown", never "failed".
    void openRequest_ofAProcessJustGone_backEndElsewhere_isUnknown()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir dir;
        Process process(fixture, dir.filePath(u"canary.db"_s));
        AuditLog justNow(*process.database, Clock::system()); // written at the real time, seconds ago
        const AuditEntry request = leaveOpenRequest(justNow, 30);

        IntentReconciler reconciler(&process.controller, &process.audit, &process.recorder, u"carol"_s);
        reconciler.setInFlightWindowMs(60'000);
        testing::readSplitAt(process.backend, process.controller, 0);
        const auto entries = process.audit.entries();
        QCOMPARE(entries->size(), 2);
        QCOMPARE(entries->back().result, AuditResult::Unknown);
        QCOMPARE(entries->back().detail.value(u"intent"_s).toInteger(), request.id);
        QVERIFY2(
            entries->back().message.contains(u"may still be applied"_s), qPrintable(entries->back().message));
        QVERIFY(process.audit.openRequests(u"split.set"_s, u"fake router"_s)->isEmpty());
        QCOMPARE(outboxSize(process.outbox), 0);
    }

    // Only the newest word on the back-end can be what it holds: an older open request is not confirmed
    // even when the router happens to be at its split, and a request already answered is left alone.
    void olderOpenRequest_isNotConfirmed_answeredOnesAreLeftAlone()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir dir;
        Process process(fixture, dir.filePath(u"canary.db"_s));
        const AuditEntry older = leaveOpenRequest(process.audit, 30);
        const AuditEntry answered = leaveOpenRequest(process.audit, 50);
        QVERIFY(process.audit.append({ u"bob"_s, u"split.set"_s, u"fake router"_s,
            { { u"intent"_s, answered.id } }, AuditResult::Succeeded, u"traffic is 50/50"_s }));

        IntentReconciler reconciler(&process.controller, &process.audit, &process.recorder, u"carol"_s);
        testing::readSplitAt(process.backend, process.controller, 30);
        const auto entries = process.audit.entries();
        QCOMPARE(entries->size(), 4);
        QCOMPARE(entries->back().result, AuditResult::Failed);
        QCOMPARE(entries->back().detail.value(u"intent"_s).toInteger(), older.id);
        QVERIFY2(entries->back().message.contains(u"not confirmed"_s), qPrintable(entries->back().message));
        QCOMPARE(outboxSize(process.outbox), 0);
    }

    // Two processes starting at once on one store: each reads the request open, both answer it; one
    // answer and one event are stored.
    void twoReconcilers_oneStore_recordOnce()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir dir;
        const QString path = dir.filePath(u"canary.db"_s);
        Process first(fixture, path);
        Process second(fixture, path);
        const AuditEntry request = leaveOpenRequest(first.audit, 30);

        // Both see it open before either answers it.
        QCOMPARE(first.audit.openRequests(u"split.set"_s, u"fake router"_s)->size(), 1);
        QCOMPARE(second.audit.openRequests(u"split.set"_s, u"fake router"_s)->size(), 1);
        const auto stored = first.recorder.recordLate(
            { split(0), split(30), {}, u"bob"_s, std::nullopt, request.hash, request.atMs });
        const auto storedAgain = second.recorder.recordLate(
            { split(0), split(30), {}, u"bob"_s, std::nullopt, request.hash, request.atMs });
        QVERIFY(stored && stored->has_value() && !(*stored)->alreadyThere);
        QVERIFY(storedAgain && storedAgain->has_value() && (*storedAgain)->alreadyThere);
        const auto answer = first.audit.appendAnswer(
            request, { u"carol"_s, request.action, request.target, {}, AuditResult::Succeeded, u"late"_s });
        const auto answerAgain = second.audit.appendAnswer(
            request, { u"dave"_s, request.action, request.target, {}, AuditResult::Succeeded, u"late"_s });
        QVERIFY(answer && answer->has_value());
        QVERIFY(answerAgain && !answerAgain->has_value());

        // And whole reconcilers, one after the other on the same file, on a request left by a dead run.
        leaveOpenRequest(first.audit, 40);
        IntentReconciler one(&first.controller, &first.audit, &first.recorder, u"carol"_s);
        IntentReconciler two(&second.controller, &second.audit, &second.recorder, u"dave"_s);
        QSignalSpy lateOne(&one, &IntentReconciler::recordedLate);
        QSignalSpy lateTwo(&two, &IntentReconciler::recordedLate);
        testing::readSplitAt(first.backend, first.controller, 40);
        testing::readSplitAt(second.backend, second.controller, 40);
        QCOMPARE(lateOne.count() + lateTwo.count(), 1);
        QCOMPARE(first.audit.entries()->size(), 4);
        QCOMPARE(outboxSize(first.outbox), 2);
        QVERIFY(first.audit.verify().ok());
    }

    // A request of a process still running on this machine is its own business: it may be waiting for the
    // back-end right now.
    void requestOfALiveProcess_isLeftOpen()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir dir;
        Process process(fixture, dir.filePath(u"canary.db"_s));
        leaveOpenRequest(process.audit, 30, qint64(::getppid()));

        IntentReconciler reconciler(&process.controller, &process.audit, &process.recorder, u"carol"_s);
        testing::readSplitAt(process.backend, process.controller, 30);
        QCOMPARE(process.audit.openRequests(u"split.set"_s, u"fake router"_s)->size(), 1);
        QCOMPARE(outboxSize(process.outbox), 0);
    }

    // What auditTrafficActions writes is what the reconciler reads: the request carries the intent (from,
    // to, the recorder's plan, who is running it) and the outcome names the request.
    void auditedChange_carriesItsIntent_andItsOutcomeAnswersIt()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir dir;
        Process process(fixture, dir.filePath(u"canary.db"_s));
        traffic::auditTrafficActions(&process.controller, &process.audit, u"carol"_s, {}, &process.recorder);
        testing::readSplitAt(process.backend, process.controller, 10);
        process.controller.requestSplit(split(30), u"why not"_s);
        const auto requested = process.audit.entries();
        QCOMPARE(requested->size(), 1);
        const auto intent = SplitIntent::fromDetail(requested->back().detail);
        QVERIFY(intent);
        QCOMPARE(intent->to, split(30));
        QCOMPARE(intent->from, std::optional<Split>(split(10)));
        QCOMPARE(intent->reason, u"why not"_s); // the late event would say it too
        QCOMPARE(intent->remediationAction, std::optional<QString>(u"12"_s));
        QVERIFY(intent->recorded);
        QCOMPARE(intent->pid, QCoreApplication::applicationPid());
        QCOMPARE(process.audit.openRequests(u"split.set"_s, u"fake router"_s)->size(), 1);

        process.backend.succeed();
        const auto entries = process.audit.entries();
        QCOMPARE(entries->size(), 2);
        QCOMPARE(entries->back().detail.value(u"intent"_s).toInteger(), requested->back().id);
        QVERIFY(process.audit.openRequests(u"split.set"_s, u"fake router"_s)->isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestIntentReconciler)
#include "tst_intentreconciler.moc"
