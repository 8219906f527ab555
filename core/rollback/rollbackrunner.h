#pragma once

#include <memory>
#include <optional>
#include <utility>
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
struct AwxError;
struct Job;
class JobRun;
struct JobRunError;
struct JobRunResult;
} // namespace canary::awx
namespace canary::dynatrace {
class EventsClient;
class ProblemsClient;
} // namespace canary::dynatrace
namespace canary::net {
class RestCall;
class RestClient;
} // namespace canary::net
namespace canary::session {
class CanarySession;
struct Snapshot;
} // namespace canary::session
namespace canary::store {
class AuditLog;
class Database;
class Lease;
} // namespace canary::store
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
// each open problem). One rollback at a time: start() while one runs is refused, and with a store
// (setLease) so is a start or resume while another process holds the target's lease; the lease is held from
// before the pre-flight until the rollback is over. Every step is written to the journal first, so resume()
// can carry on after a crash; the records for Dynatrace wait in the outbox (setOutbox).
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
    //
    // Only records the audit log vouches for are moved (JournalProvenance; set it first, setAuditLog()); a
    // journal in a file with no audit log to hold it against keeps them, untouched, and says so
    // (journalRefusal()).
    void setOutbox(store::Outbox *outbox, const QString &tenant);
    // The audit log the journal's records are held against before anything of them is acted on (not owned;
    // must outlive the runner): a rollback in flight is resumed, and an older journal's records are moved to
    // the outbox, only when its "rollback.start" row matches them. Null (a runner without a store): a
    // rollback in flight is resumed as the journal says, and older records stay where they are.
    void setAuditLog(const store::AuditLog *audit) { m_audit = audit; }
    // Why something in the journal was refused as not written by this console (setOutbox(), resume(),
    // start()); empty when nothing was. The window shows it with the store's errors.
    QString journalRefusal() const { return m_journalRefusal; }

    // The lease named Lease::rollbackName(`target`) in `database` (not owned; must outlive the runner) is
    // taken before anything runs, so processes sharing the store run one rollback of a target at a time.
    // Null: one at a time in this process only.
    // `ttlMs`: how long it holds unrenewed (store::Lease::DefaultTtlMs; shorter in tests).
    void setLease(store::Database *database, const QString &target, qint64 ttlMs = 30'000);
    // The one key of a rolled-back target: the tenant (store::Outbox::tenantOf) and the service's selector.
    static QString leaseTarget(const QString &tenant, const QString &entitySelector);

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
    // Carries on with the journal's rollback in flight (read again from the file), if there is one. True
    // when it resumed, or when another process holds the lease (rollbackFailed() with Failure::Busy then
    // follows), or when the audit log does not vouch for it (rollbackFailed() with Failure::StoreUnusable,
    // journalRefusal(); nothing runs); false when nothing is in flight.
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
    // The launch's answer was lost or unreadable (`why`): a job may run. Looked for next; launchFound()
    // names the job when it is found, the rollback ends Failure::Unknown when not.
    void launchLost(const canary::rollback::RollbackState &state, const QString &why);
    void launchFound(const canary::rollback::RollbackState &state);
    void rollbackSucceeded(const canary::rollback::RollbackState &state);
    void rollbackFailed(const canary::rollback::RollbackState &state);

private:
    bool begin(RollbackState state);
    // Reports `state` as refused before it began (no id: nothing ran, nothing to record); false.
    bool refuse(RollbackState state, Failure failure, const QString &message);
    // Takes the lease for a rollback run by `operatorName`; the refusal (Busy, StoreUnusable) when it is not.
    std::optional<std::pair<Failure, QString>> takeLease(const QString &operatorName);
    void releaseLease();
    // The lease went to another process: stop here, leaving the journal to it.
    void abandon(const QString &why);
    QString damagedJournalText() const;
    // Whether the audit log vouches for the journal's rollback in flight (always, without one); the refusal
    // is kept for journalRefusal().
    Expected<void, QString> checkInFlight(const RollbackState &state);
    // The launch's answer was lost or unreadable (`why`): the job is looked for among the template's jobs
    // created since the launch was sent, and followed when it is the only one; otherwise Failure::Unknown.
    void findLaunchedJob(const QString &why);
    void followFound(const awx::Job &job);
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
    const store::AuditLog *m_audit = nullptr;
    QString m_journalRefusal;
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
    store::Database *m_leaseDatabase = nullptr;
    QString m_leaseName;
    qint64 m_leaseTtlMs = 30'000;
    std::unique_ptr<store::Lease> m_lease;
    QPointer<net::RestCall> m_lookup;
};

} // namespace canary::rollback
