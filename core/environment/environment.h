#pragma once

#include <memory>
#include <optional>

#include <QObject>
#include <QStringList>

#include "awx/awxconfig.h"
#include "net/clientpool.h"
#include "net/tlspolicy.h"
#include "session/target.h"
#include "traffic/backendspec.h"
#include "traffic/changerecorder.h"
#include "traffic/guardrails.h"
#include "traffic/observedsplit.h"
#include "util/expected.h"

namespace canary {
class Clock;
}
namespace canary::dynatrace {
class EventsClient;
}
namespace canary::profile {
struct Profile;
}
namespace canary::rollback {
class RollbackService;
}
namespace canary::session {
class ActionLog;
class CanarySession;
} // namespace canary::session
namespace canary::store {
class AuditLog;
class Database;
class Outbox;
class OutboxSender;
} // namespace canary::store
namespace canary::traffic {
class ChangeGate;
class IntentReconciler;
class Ramp;
class SplitWatch;
class TrafficBackend;
class TrafficController;
} // namespace canary::traffic

namespace canary::environment {

// What one environment is made of, resolved by an app from its flags, the profile and the process
// environment before anything is built. The window and canaryctl resolve differently (the demo, the
// defaults of a script); what they resolve to is built the same way, by Environment. Holds secrets: never
// log it.
struct EnvironmentSpec
{
    session::Target target;
    QString token; // the tenant's API token
    QString databasePath; // the audit log and the outbox; store::Database::InMemory for the demo
    QString journalPath; // the rollback in flight; empty: in memory only
    QString operatorName; // who acts, in the audit log and on every event
    // The traffic back-end; nullopt: the environment is watched, not steered (openTraffic() says why).
    std::optional<traffic::BackendSpec> backend;
    QString noBackendReason;
    // How changes are recorded in Dynatrace; nullopt: the back-end records them itself (--no-event).
    std::optional<traffic::RecorderConfig> recording;
    traffic::GuardRailPolicy guardRails; // enabled false: none (canaryctl without a profile)
    std::optional<awx::AwxConfig> awx; // where backout plans run; nullopt: AWX plans are refused
    QStringList allowedOrigins; // environment::allowedOrigins
    QStringList allowedTemplates; // environment::allowedTemplates; empty: any template an event names
    QString planEventSource; // environment::planEventSource; empty: any source
    traffic::BuildRoles roles;
    std::optional<QString> planWindowFrom; // how far back the plan is looked for; nullopt: the service's
    int rollbackPollIntervalMs = 2'000;
};

// The profile's TLS choices (CA bundle, insecure TLS) as the process default, so that every client made
// afterwards starts with them; the problem with them (an unreadable bundle) instead. The window and every
// canaryctl command call it once, before any client exists.
Expected<net::TlsPolicy, QString> applyTlsPolicy(const profile::Profile *profile);

// The composition root of one environment: turns a resolved spec into the running objects, each made once
// and shared — one client per remote origin and credential, one store, one outbox and its sender for
// everything that must reach Dynatrace (change events, rollback events, problem comments), one traffic
// controller behind one change gate that every change goes through (the slider, a ramp, canaryctl, the
// rollback's 0 % fallback), and the rollback service. The window's Console and every canaryctl command
// open what they need of it and only present what it does.
//
// Parts are opened on demand, in any order; what a part needs is opened with it. Members are declared in
// construction order, so the environment is torn down in reverse: the rollback before the traffic it uses,
// the clients last.
class Environment final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Environment)

public:
    Environment(EnvironmentSpec spec, const Clock &clock, QObject *parent = nullptr);
    ~Environment() override;

    const EnvironmentSpec &spec() const { return m_spec; }
    const Clock &clock() const { return m_clock; }

    // The tenant's one client, made on first use: the session, the change recorder, the outbox sender and
    // the rollback share it.
    net::RestClient *tenant();
    // A client of another API at `baseUrl` with `authorization`, shared by whoever asks for the same two.
    net::RestClient *clientFor(const QUrl &baseUrl, const QByteArray &authorization, int timeoutMs);
    // How many clients of other APIs there are (the tenant's not counted): one per origin and credential.
    std::size_t clientCount() const { return m_clients.size(); }

    // The audit log and the outbox (the database at spec().databasePath). Acting parts need it: a store
    // that cannot be opened stops them rather than acting unrecorded. ReadOnly reads an existing store as
    // it is (store::Database::openReadOnly), for commands that only read it; such a store has no sender.
    enum class StoreAccess { ReadWrite, ReadOnly };
    Expected<store::AuditLog *, QString> openStore(StoreAccess access = StoreAccess::ReadWrite);
    store::Database *database() const { return m_database.get(); }
    store::AuditLog *audit() const { return m_audit.get(); }
    store::Outbox *outbox() const { return m_outbox.get(); }
    // Sends what waits in the outbox (after openStore()); made on first use.
    store::OutboxSender *sender();

    // The target's session (metrics, events, problems), made on first use; a command that prints one
    // snapshot turns its timeline off.
    session::CanarySession *session();
    // What this operator did, for the timeline and the incident report.
    session::ActionLog *actions();

    // The traffic back-end, the controller over it and the watch: enough to read the split (canaryctl split
    // get, canaryctl watch).
    Expected<traffic::TrafficController *, QString> openBackend();
    // Everything that moves traffic, after openStore(): the back-end, the change recorder (events through
    // the outbox), the controller, the ramp, the guard-rails (their cool-down carried over from the audit
    // log) and the change gate, with every change and every guard decision audited. Failures of the audit
    // once it is open are auditFailed().
    Expected<traffic::ChangeGate *, QString> openTraffic();
    traffic::TrafficBackend *backend() const { return m_backend.get(); }
    traffic::ChangeRecorder *recorder() const { return m_recorder.get(); }
    traffic::TrafficController *controller() const { return m_controller.get(); }
    traffic::Ramp *ramp() const { return m_ramp.get(); }
    traffic::GuardRails *guardRails() const { return m_rails.get(); }
    traffic::ChangeGate *gate() const { return m_gate.get(); }
    // Answers, after the first read of the split, the requests an earlier run left open (killed between the
    // back-end's answer and the outbox): made by openTraffic().
    traffic::IntentReconciler *reconciler() const { return m_reconciler.get(); }
    // Reads the split on the target's refresh cadence (started by whoever shows it: SplitWatch::start).
    traffic::SplitWatch *splitWatch() const { return m_watch.get(); }

    // The rollback: the plan from the newest change, the runner on the configured AWX (one client with the
    // traffic back-end's when it is the same AWX), verification on the back-end and the fallback through
    // the gate when traffic is open, its records through the outbox and the audit log when the store is.
    // Open traffic and the store first for those: then a rollback aborts a ramp under way, the split it
    // moves is taken as this console's (not an outside change), and the split is read back when it ends.
    rollback::RollbackService *openRollback();
    rollback::RollbackService *rollback() const { return m_rollback.get(); }

Q_SIGNALS:
    // An audit row for an action that went ahead could not be written (the action is not undone).
    void auditFailed(const QString &why);

private:
    void watchPlanTemplates();
    // The back-end as the spec names it, with the request timeout every client shares.
    traffic::BackendSpec backendSpec() const;

    EnvironmentSpec m_spec;
    const Clock &m_clock;
    bool m_planTemplatesWatched = false;
    net::ClientPool m_clients;
    std::unique_ptr<net::RestClient> m_tenant;
    std::unique_ptr<store::Database> m_database;
    std::unique_ptr<store::AuditLog> m_audit;
    std::unique_ptr<store::Outbox> m_outbox;
    std::unique_ptr<dynatrace::EventsClient> m_events;
    std::unique_ptr<store::OutboxSender> m_sender;
    std::unique_ptr<session::CanarySession> m_session;
    std::unique_ptr<session::ActionLog> m_actions;
    std::unique_ptr<traffic::TrafficBackend> m_backend;
    std::unique_ptr<traffic::ChangeRecorder> m_recorder;
    std::unique_ptr<traffic::TrafficController> m_controller;
    std::unique_ptr<traffic::IntentReconciler> m_reconciler;
    std::unique_ptr<traffic::Ramp> m_ramp;
    std::unique_ptr<traffic::GuardRails> m_rails;
    std::unique_ptr<traffic::ChangeGate> m_gate;
    std::unique_ptr<traffic::SplitWatch> m_watch;
    std::unique_ptr<rollback::RollbackService> m_rollback;
};

} // namespace canary::environment
