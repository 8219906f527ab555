#pragma once

#include <memory>
#include <optional>

#include <QObject>
#include <QPointer>

#include "awx/awxconfig.h"
#include "backoutplan.h"
#include "dynatrace/apierror.h"
#include "dynatrace/pagewalker.h"
#include "net/restcall.h"
#include "rollbackjournal.h"
#include "rollbackrunner.h"
#include "session/target.h"

namespace canary::rollback {

// Everything a rollback needs, from the settings: where Dynatrace and AWX are, what is trusted, where the
// traffic lives, where the journal is. Secrets (tokens) are held in memory only.
struct ServiceConfig
{
    session::Target target;
    QString dynatraceToken;
    // The tenant's client, when the caller shares one (not owned; must outlive the service); null: the
    // service makes its own from the target's URL and dynatraceToken.
    net::RestClient *dynatraceClient = nullptr;
    std::optional<awx::AwxConfig> awx; // nullopt: no AWX, AWX plans are refused
    // A client of that AWX with its credentials that others share (not owned; must outlive the service);
    // null: the service makes its own.
    net::RestClient *awxClient = nullptr;
    QStringList allowedOrigins;
    QStringList allowedTemplates; // PlanPolicy::allowedTemplates: ids or names; empty: any template
    QString planEventSource; // PlanPolicy::eventSource: plans only from this dt.event.source
    QString planWindowFrom = QStringLiteral("now-24h"); // how far back to look for the newest change
    traffic::TrafficBackend *backend = nullptr; // not owned; verification
    traffic::ChangeGate *gate = nullptr; // not owned; the 0 % fallback goes through it (null: no fallback)
    session::CanarySession *session = nullptr; // not owned; observed requests after the job
    traffic::BuildRoles roles;
    QString journalPath; // empty: in memory only
    // Copied into the runner's set-up: polling and timeouts.
    int pollIntervalMs = 2'000;
    qint64 jobTimeoutMs = 15 * 60'000;
    qint64 verifyTimeoutMs = 5 * 60'000;
};

// The one place the GUI and canaryctl get a rollback from: reads the target's newest change and its open
// problems, resolves the backout plan against what is trusted, and owns the runner that executes it. The
// AWX token only ever goes to the configured AWX, the Dynatrace token only to the tenant.
class RollbackService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RollbackService)

public:
    RollbackService(ServiceConfig config, const Clock &clock, QObject *parent = nullptr);
    ~RollbackService() override;

    PlanPolicy policy() const;
    // Reads the events and problems again and resolves the plan; planResolved() or planFailed() follows.
    // A read already under way is left to finish.
    void refreshPlan();
    bool isResolving() const;
    // The latest resolution; nullopt before the first one finished.
    const std::optional<PlanResult> &plan() const { return m_plan; }
    QStringList openProblemIds() const { return m_openProblems; }

    // Runs the resolved plan (false, with the runner's rollbackFailed(), when there is none to run).
    bool execute(const QString &reason, const QString &operatorName);
    // The labelled fallback: canary to 0 % through the traffic back-end.
    bool executeFallback(const QString &reason, const QString &operatorName);

    RollbackRunner *runner() const { return m_runner.get(); }
    RollbackJournal &journal() { return m_journal; }
    const ServiceConfig &config() const { return m_config; }

Q_SIGNALS:
    void planResolved();
    // Events or problems could not be read: the plan stays as it was.
    void planFailed(const canary::dynatrace::ApiError &error);

private:
    void maybeResolve();
    // Where the canary carries traffic now, in words (empty: nowhere the console can tell): the split the
    // controller last confirmed, else the share the latest metrics saw in an interval after `sinceMs`.
    QString canaryTraffic(qint64 sinceMs) const;

    ServiceConfig m_config;
    const Clock &m_clock;
    RollbackJournal m_journal;
    std::unique_ptr<net::RestClient> m_ownDynatraceRest; // when the config shares none
    std::unique_ptr<net::RestClient> m_awxRest;
    std::unique_ptr<awx::AwxClient> m_awx;
    std::unique_ptr<dynatrace::EventsClient> m_events;
    std::unique_ptr<dynatrace::ProblemsClient> m_problems;
    std::unique_ptr<RollbackRunner> m_runner;
    QPointer<dynatrace::PageWalker> m_eventsWalk;
    QPointer<dynatrace::PageWalker> m_problemsWalk;
    QPointer<net::RestCall> m_templateLookup;
    std::vector<dynatrace::Event> m_readEvents;
    std::optional<dynatrace::ApiError> m_readError;
    std::optional<PlanResult> m_plan;
    QStringList m_openProblems;
    QStringList m_readProblems;
    qint64 m_readStartedMs = 0;
};

} // namespace canary::rollback
