#pragma once

#include <memory>
#include <vector>

#include <QObject>
#include <QPointer>
#include <QTimer>

#include "dynatrace/event.h"
#include "rollbackjournal.h"
#include "rollbackstate.h"
#include "store/outbox.h"
#include "traffic/observedsplit.h"

namespace canary {
class Clock;
}
namespace canary::awx {
class AwxClient;
class JobRun;
struct JobRunError;
struct JobRunResult;
} // namespace canary::awx
namespace canary::dynatrace {
class EventsClient;
class ProblemsClient;
} // namespace canary::dynatrace
namespace canary::net {
class RestClient;
}
namespace canary::session {
class CanarySession;
struct Snapshot;
} // namespace canary::session
namespace canary::traffic {
class ChangeGate;
class TrafficBackend;
} // namespace canary::traffic

namespace canary::rollback {

// What a rollback needs around it. Every pointer may be null where the set-up has no such thing: no AWX means
// AWX plans fail up front; no session means verification stops at the traffic back-end's reading.
struct RunnerSetup
{
    awx::AwxClient *awx = nullptr;
    QUrl awxUrl; // for people: the job's URL
    traffic::TrafficBackend *backend = nullptr; // verification: where traffic is after the job
    // The explicit 0 % fallback is a traffic change like any other: it goes through the gate (never held, a
    // decrease) and its controller, so it is audited, recorded in Dynatrace and seen by the traffic panel.
    traffic::ChangeGate *gate = nullptr;
    dynatrace::EventsClient *events = nullptr; // the record on the target
    QString entitySelector;
    dynatrace::ProblemsClient *problems = nullptr; // comments on the open problems
    session::CanarySession *session = nullptr; // observed requests after the job
    traffic::BuildRoles roles;
    int pollIntervalMs = 2'000; // job status, output, back-end, metrics
    qint64 jobTimeoutMs = 15 * 60'000; // on the clock: then the job counts as failed
    qint64 verifyTimeoutMs = 5 * 60'000; // on the clock: then "not verified"
    double verifiedBelowPercent = 1.0; // "about 0": a straggling request or two may still arrive
    int outputLines = 40; // how much of the job's output to keep showing
};

// Executes a backout plan and follows it to the end: pre-flight, launch, the job to a terminal status,
// verification (back-end at 0 %, then the requests), and the record (an event on the target and a comment on
// each open problem). One rollback at a time: start() while one runs is refused. Every step is written to
// the journal first, so resume() can carry on after a crash; the records for Dynatrace wait in the outbox
// (setOutbox).
class RollbackRunner final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RollbackRunner)

public:
    RollbackRunner(
        RunnerSetup setup, RollbackJournal *journal, const Clock &clock, QObject *parent = nullptr);
    ~RollbackRunner() override;

    // The result event and the problem comments go into `outbox` (for `tenant`) instead of straight to
    // Dynatrace: committed before the rollback reports its outcome, delivered by the outbox's sender, retried
    // until Dynatrace takes them. A resumed rollback records them once (the entries are keyed by the
    // rollback's id). Records an older journal still holds are moved into the outbox here. Null: everything
    // goes out directly, and what Dynatrace refuses is only told about (notice()).
    void setOutbox(store::Outbox *outbox, const QString &tenant);

    bool isRunning() const { return m_running; }
    const RollbackState &state() const { return m_state; }
    QString outputTail() const { return m_output; }

    // Runs `plan` (from resolvePlan). False, with rollbackFailed() queued, when one already runs or the plan
    // needs nothing; `openProblems` get a comment once it is over.
    bool start(const BackoutPlan &plan, const QString &reason, const QString &operatorName,
        const QStringList &openProblems);
    // The explicitly chosen fallback when there is no plan: canary to 0 % through the traffic back-end.
    bool startFallback(const QString &reason, const QString &operatorName, const QStringList &openProblems);
    // Reports a rollback that cannot start (no plan, an untrusted one) the way a failed one is reported.
    void reject(Failure failure, const QString &message);
    // Carries on with the journal's rollback in flight, if there is one. True when it resumed.
    bool resume();
    // Asks AWX to cancel the job (while following); the job's own status then ends the rollback.
    void cancel();

Q_SIGNALS:
    void runningChanged(bool running);
    void stageChanged(canary::rollback::Stage stage);
    // Anything new about the rollback: job status, elapsed time, verification.
    void stateChanged(const canary::rollback::RollbackState &state);
    void outputChanged(const QString &tail);
    // Something to tell without failing: "AWX unreachable, still following job 1190".
    void notice(const QString &text);
    void rollbackSucceeded(const canary::rollback::RollbackState &state);
    void rollbackFailed(const canary::rollback::RollbackState &state);

private:
    bool begin(RollbackState state);
    void setStage(Stage stage);
    // The state into the journal, when there is one; why not, when it could not be written.
    Expected<void, QString> journalState();
    // journalState(), only telling (notice()) when it failed.
    void save();
    void preflight();
    awx::JobRun *makeJobRun();
    void dropJobRun();
    void launching();
    void jobEnded(const awx::JobRunResult &result);
    void jobRunFailed(const awx::JobRunError &error);
    void triggerPipeline();
    void applyFallback();
    void startVerifying();
    void readBackend();
    void observeRequests();
    void onSnapshot(const session::Snapshot &snapshot);
    void verifyTimedOut();
    void fail(Failure failure, const QString &message);
    void record();
    void finish();
    QString jobUrl(int jobId) const;
    bool enqueueRecord(const dynatrace::EventIngest &event);
    bool enqueueComment(const QString &problemId, const QString &message);
    int migrateLegacyPending();

    RunnerSetup m_setup;
    RollbackJournal *m_journal;
    const Clock &m_clock;
    QPointer<store::Outbox> m_outbox;
    QString m_outboxTenant;
    RollbackState m_state;
    bool m_running = false;
    QPointer<awx::JobRun> m_job; // the AWX job while it is launched and followed
    QTimer m_poll; // verification
    qint64 m_stageStartedMs = 0;
    qint64 m_lastAwxNoticeMs = 0;
    QString m_output;
    QMetaObject::Connection m_snapshotConnection;
    std::unique_ptr<net::RestClient> m_triggerRest;
    int m_recordsOutstanding = 0;
};

} // namespace canary::rollback
