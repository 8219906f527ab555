#include "environment.h"

#include <QCoreApplication>

#include "dynatrace/eventsclient.h"
#include "dynatrace/tenantclient.h"
#include "profile/profile.h"
#include "rollback/rollbackactions.h"
#include "rollback/rollbackservice.h"
#include "session/actionlog.h"
#include "session/canarysession.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "store/lease.h"
#include "store/outbox.h"
#include "store/outboxsender.h"
#include "traffic/awxtrafficbackend.h"
#include "traffic/changegate.h"
#include "traffic/intentreconciler.h"
#include "traffic/ramp.h"
#include "traffic/splitwatch.h"
#include "traffic/trafficactions.h"
#include "traffic/trafficbackend.h"
#include "traffic/trafficcontroller.h"
#include "trafficbackendfactory.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::environment {

Expected<net::TlsPolicy, QString> applyTlsPolicy(const profile::Profile *profile)
{
    net::TlsPolicy tls;
    if (profile) {
        tls.caBundle = profile->caBundle;
        tls.allowInsecure = profile->allowInsecureTls;
    }
    if (QString problem = tls.problem(); !problem.isEmpty())
        return problem;
    net::TlsPolicy::setProcessDefault(tls);
    return tls;
}

Environment::Environment(EnvironmentSpec spec, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_spec(std::move(spec))
    , m_clock(clock)
{
    // One option (--timeout) governs every client: the rollback's AWX as the tenant's.
    if (m_spec.awx)
        m_spec.awx->requestTimeoutMs = m_spec.target.requestTimeoutMs;
}

traffic::BackendSpec Environment::backendSpec() const
{
    traffic::BackendSpec spec = *m_spec.backend;
    spec.requestTimeoutMs = m_spec.target.requestTimeoutMs; // --timeout, for every client
    return spec;
}

// The members go in reverse order of declaration: the rollback and the gate before the controller and the
// back-end they use, the store before nothing that still writes to it, the clients last.
Environment::~Environment() = default;

net::RestClient *Environment::tenant()
{
    if (!m_tenant) {
        m_tenant = dynatrace::makeTenantClient(
            m_spec.target.dynatraceUrl, m_spec.token, m_spec.target.requestTimeoutMs);
    }
    return m_tenant.get();
}

net::RestClient *Environment::clientFor(const QUrl &baseUrl, const QByteArray &authorization, int timeoutMs)
{
    return m_clients.client(baseUrl, authorization, timeoutMs);
}

Expected<store::AuditLog *, QString> Environment::openStore(StoreAccess access)
{
    if (m_audit)
        return m_audit.get();
    auto database = access == StoreAccess::ReadOnly ? store::Database::openReadOnly(m_spec.databasePath)
                                                    : store::Database::open(m_spec.databasePath);
    if (!database)
        return database.error();
    m_database = std::move(database).value();
    m_audit = std::make_unique<store::AuditLog>(*m_database, m_clock);
    m_outbox = std::make_unique<store::Outbox>(*m_database, m_clock);
    return m_audit.get();
}

store::OutboxSender *Environment::sender()
{
    // A store opened for reading cannot note a delivery: nothing is sent from it.
    if (!m_outbox || m_database->isReadOnly())
        return nullptr;
    if (!m_sender) {
        if (!m_events)
            m_events = std::make_unique<dynatrace::EventsClient>(tenant());
        m_sender = std::make_unique<store::OutboxSender>(
            m_outbox.get(), m_events.get(), store::Outbox::tenantOf(m_spec.target.dynatraceUrl), m_clock);
    }
    return m_sender.get();
}

session::CanarySession *Environment::session()
{
    if (!m_session)
        m_session = std::make_unique<session::CanarySession>(m_spec.target, tenant(), m_clock);
    return m_session.get();
}

session::ActionLog *Environment::actions()
{
    if (!m_actions)
        m_actions = std::make_unique<session::ActionLog>(m_clock);
    return m_actions.get();
}

Expected<traffic::TrafficController *, QString> Environment::openBackend()
{
    if (m_controller)
        return m_controller.get();
    if (!m_spec.backend)
        return m_spec.noBackendReason.isEmpty() ? u"no traffic back-end configured"_s
                                                : m_spec.noBackendReason;
    m_backend = makeTrafficBackend(backendSpec(), &m_clients);
    m_controller = std::make_unique<traffic::TrafficController>(m_backend.get(), nullptr);
    m_watch = std::make_unique<traffic::SplitWatch>(m_controller.get(), m_spec.target.refreshIntervalMs);
    return m_controller.get();
}

Expected<traffic::ChangeGate *, QString> Environment::openTraffic()
{
    if (m_gate)
        return m_gate.get();
    if (!m_audit)
        return u"traffic is moved only with its audit: the store is not open"_s;
    if (m_controller)
        return u"the traffic back-end was opened for reading only"_s;
    if (!m_spec.backend)
        return m_spec.noBackendReason.isEmpty() ? u"no traffic back-end configured"_s
                                                : m_spec.noBackendReason;

    // The cool-down outlives the process: it starts at the newest increase in the audit log, whoever made
    // it. Guard-rails that cannot know it would let a second increase through: nothing opens then.
    std::optional<QList<store::AuditEntry>> audited;
    if (m_spec.guardRails.enabled) {
        auto entries = m_audit->entries();
        if (!entries)
            return u"the audit log could not be read for the guard-rails' cool-down: %1"_s.arg(
                entries.error());
        audited = std::move(entries).value();
    }

    m_backend = makeTrafficBackend(backendSpec(), &m_clients);
    const std::optional<qint64> lastIncrease
        = audited ? traffic::lastIncreaseInAudit(*audited, m_backend->targetId()) : std::nullopt;
    if (m_spec.recording) {
        traffic::RecorderConfig config = *m_spec.recording;
        config.entitySelector = m_spec.target.entitySelector;
        if (!m_spec.operatorName.isEmpty())
            config.operatorName = m_spec.operatorName;
        config.backendDescription = m_backend->description();
        if (config.appVersion.isEmpty())
            config.appVersion = QCoreApplication::applicationVersion();
        sender(); // makes the events client too
        m_recorder = std::make_unique<traffic::ChangeRecorder>(m_events.get(), config);
        // Each change is committed to the outbox before it is sent; what earlier runs left there goes first.
        m_recorder->setOutbox(m_outbox.get(), m_sender.get());
        // Without a configured remediation action, the back-end's own reset is the plan (the simulator's).
        m_recorder->setBackoutSource([backend = m_backend.get()] { return backend->ownBackout(); });
    }
    m_controller = std::make_unique<traffic::TrafficController>(m_backend.get(), m_recorder.get());
    // One writer of intent per target across processes (canaryctl, the window, pipelines): each apply holds
    // the target's lease from its "requested" row to its outcome and outbox entry, and another process
    // waits for it up to the request timeout.
    m_controller->setLease(
        [this, backend = m_backend.get()] {
            // Real time whatever clock the environment runs on: other processes judge the expiry by theirs.
            auto lease = std::make_unique<store::Lease>(
                *m_database, Clock::system(), store::Lease::trafficName(backend->targetId()));
            if (!m_spec.operatorName.isEmpty())
                lease->setUser(m_spec.operatorName);
            return lease;
        },
        m_spec.target.requestTimeoutMs);
    m_ramp = std::make_unique<traffic::Ramp>(m_controller.get(), m_clock);
    // Before anything that shows a change as done: its audit row is committed first (slots run in the order
    // they were connected, and whoever presents the change connects after this).
    traffic::auditTrafficActions(
        m_controller.get(), m_audit.get(), m_spec.operatorName,
        [this](const QString &why) { Q_EMIT auditFailed(why); }, m_recorder.get());
    traffic::logTrafficActions(m_controller.get(), actions());
    // Made before anything can move traffic: the requests it answers are those of earlier runs.
    m_reconciler = std::make_unique<traffic::IntentReconciler>(
        m_controller.get(), m_audit.get(), m_recorder.get(), m_spec.operatorName);
    m_reconciler->setInFlightWindowMs(m_spec.target.requestTimeoutMs + 10'000);
    connect(m_reconciler.get(), &traffic::IntentReconciler::failed, this,
        [this](const QString &why) { Q_EMIT auditFailed(why); });
    connect(m_reconciler.get(), &traffic::IntentReconciler::recordedLate, this,
        [this](const store::AuditEntry &request) {
            const auto intent = traffic::SplitIntent::fromDetail(request.detail);
            // An increase an earlier run made and never put on record counts for the cool-down from now on
            // (it was read before this answer existed): the guard-rails see it before any change is decided.
            if (intent && m_rails)
                m_rails->recordApplied(intent->from ? intent->from->canary : 0, intent->to.canary);
            actions()->add(u"TRAFFIC_CHANGE"_s,
                tr("Traffic set to %1 (stable/canary) by an earlier run, recorded late")
                    .arg(intent ? intent->to.toString() : QString()),
                true, { { u"recorded.late"_s, u"true"_s } });
        });

    m_rails = std::make_unique<traffic::GuardRails>(m_clock, m_spec.guardRails);
    m_rails->setLastIncreaseAtMs(lastIncrease);
    m_gate = std::make_unique<traffic::ChangeGate>(m_controller.get());
    m_gate->attachRamp(m_ramp.get());
    m_gate->setGuardRails(m_rails.get());
    if (m_spec.guardRails.enabled) {
        // Judged again under the lease: another process's increase since the gate opened counts.
        m_gate->setAuditedIncrease(
            [audit = m_audit.get(), backend = m_backend.get()]() -> Expected<std::optional<qint64>, QString> {
                auto entries = audit->entries();
                if (!entries)
                    return entries.error();
                return traffic::lastIncreaseInAudit(*entries, backend->targetId());
            });
    }
    if (m_recorder) {
        // Dynatrace's workflow and Roll back find the way back on the change's event: an increase that would
        // go on record without one waits until one is configured.
        m_gate->setBackoutCheck([recorder = m_recorder.get()] {
            if (recorder->backoutForIncrease())
                return QString();
            return tr(
                "no backout plan would be recorded with this change: the traffic back-end offers no reset "
                "of its own, so set the remediation action (the profile's \"Remediation action\", "
                "canaryctl --remediation-action), e.g. the id of the AWX template that resets the "
                "weighting");
        });
    }
    traffic::recordGuardDecisions(
        m_gate.get(), m_audit.get(), m_spec.operatorName, m_backend->description(), actions());
    m_watch = std::make_unique<traffic::SplitWatch>(m_controller.get(), m_spec.target.refreshIntervalMs);
    watchPlanTemplates(); // when the rollback was opened first
    return m_gate.get();
}

rollback::RollbackService *Environment::openRollback()
{
    if (m_rollback)
        return m_rollback.get();
    rollback::ServiceConfig config;
    config.target = m_spec.target;
    config.dynatraceToken = m_spec.token;
    config.dynatraceClient = tenant();
    config.awx = m_spec.awx;
    if (m_spec.awx) {
        config.awxClient = m_clients.client(
            m_spec.awx->url, m_spec.awx->authorizationHeader(), m_spec.awx->requestTimeoutMs);
    }
    config.allowedOrigins = m_spec.allowedOrigins;
    config.allowedTemplates = m_spec.allowedTemplates;
    config.planEventSource = m_spec.planEventSource;
    if (m_spec.planWindowFrom)
        config.planWindowFrom = *m_spec.planWindowFrom;
    config.backend = m_backend.get();
    config.gate = m_gate.get();
    config.session = session();
    config.roles = m_spec.roles;
    config.journalPath = m_spec.journalPath;
    config.pollIntervalMs = m_spec.rollbackPollIntervalMs;
    m_rollback = std::make_unique<rollback::RollbackService>(std::move(config), m_clock);
    if (m_audit) {
        // Its event and problem comments wait in the outbox; its rows are committed before anyone
        // announces an outcome.
        const QString tenant = store::Outbox::tenantOf(m_spec.target.dynatraceUrl);
        // First: what the journal holds is acted on (moved to the outbox by setOutbox(), resumed) only when
        // the audit log shows this console wrote it.
        m_rollback->runner()->setAuditLog(m_audit.get());
        m_rollback->runner()->setOutbox(m_outbox.get(), tenant);
        // One rollback of a target at a time across every process sharing the store.
        m_rollback->runner()->setLease(
            m_database.get(), rollback::RollbackRunner::leaseTarget(tenant, m_spec.target.entitySelector));
        sender();
        rollback::auditRollbackActions(m_rollback->runner(), m_audit.get(), m_spec.operatorName,
            [this](const QString &why) { Q_EMIT auditFailed(why); });
    }
    watchPlanTemplates();
    return m_rollback.get();
}

void Environment::watchPlanTemplates()
{
    // The AWX back-end reads the split from the jobs of the templates that move it: a recorded plan's reset
    // template is one of them when it runs on the same AWX (the workshop's "Reset canary weighting"), so a
    // reset launched by Dynatrace's workflow or another console shows as the change it is.
    auto *awxBackend = qobject_cast<traffic::AwxTrafficBackend *>(m_backend.get());
    if (m_planTemplatesWatched || !awxBackend || !m_rollback || !m_spec.awx
        || m_spec.awx->url.adjusted(QUrl::StripTrailingSlash)
            != awxBackend->config().url.adjusted(QUrl::StripTrailingSlash))
        return;
    m_planTemplatesWatched = true;
    connect(m_rollback.get(), &rollback::RollbackService::planResolved, awxBackend, [this, awxBackend] {
        const auto &plan = m_rollback->plan();
        if (!plan || !*plan || plan->value().kind != rollback::BackoutPlan::Kind::AwxTemplate)
            return;
        QList<int> watched = awxBackend->config().resetTemplateIds;
        if (const int id = plan->value().templateId; id > 0 && !watched.contains(id)) {
            watched.append(id);
            awxBackend->watchResetTemplates(watched);
        }
    });
}

} // namespace canary::environment
