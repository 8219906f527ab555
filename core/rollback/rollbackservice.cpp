#include "rollbackservice.h"

#include <QLocale>

#include "awx/awxclient.h"
#include "dynatrace/eventsclient.h"
#include "dynatrace/pagewalker.h"
#include "dynatrace/problemsclient.h"
#include "dynatrace/tenantclient.h"
#include "net/restcall.h"
#include "net/restclient.h"
#include "session/canarysession.h"
#include "traffic/changegate.h"
#include "traffic/observedsplit.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::rollback {

RollbackService::RollbackService(ServiceConfig config, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_clock(clock)
    , m_journal(m_config.journalPath)
{
    net::RestClient *tenant = m_config.dynatraceClient;
    if (!tenant) {
        m_ownDynatraceRest = dynatrace::makeTenantClient(
            m_config.target.dynatraceUrl, m_config.dynatraceToken, m_config.target.requestTimeoutMs);
        tenant = m_ownDynatraceRest.get();
    }
    m_events = std::make_unique<dynatrace::EventsClient>(tenant);
    m_problems = std::make_unique<dynatrace::ProblemsClient>(tenant);

    RunnerSetup setup;
    if (m_config.awx) {
        net::RestClient *awxRest = m_config.awxClient;
        if (!awxRest) {
            m_awxRest = std::make_unique<net::RestClient>(m_config.awx->url);
            m_awxRest->setAuthorization(m_config.awx->authorizationHeader());
            m_awxRest->setTimeoutMs(m_config.awx->requestTimeoutMs);
            awxRest = m_awxRest.get();
        }
        m_awx = std::make_unique<awx::AwxClient>(awxRest, m_config.awx->apiPath);
        setup.awx = m_awx.get();
        setup.awxUrl = m_config.awx->url;
    }
    setup.backend = m_config.backend;
    setup.gate = m_config.gate;
    setup.events = m_events.get();
    setup.entitySelector = m_config.target.entitySelector;
    setup.problems = m_problems.get();
    setup.session = m_config.session;
    setup.roles = m_config.roles;
    setup.pollIntervalMs = m_config.pollIntervalMs;
    setup.jobTimeoutMs = m_config.jobTimeoutMs;
    setup.verifyTimeoutMs = m_config.verifyTimeoutMs;
    m_runner = std::make_unique<RollbackRunner>(setup, &m_journal, m_clock);

    if (traffic::ChangeGate *gate = m_config.gate) {
        connect(m_runner.get(), &RollbackRunner::runningChanged, gate, [gate](bool running) {
            if (running)
                gate->rollbackStarted();
            else
                gate->rollbackEnded();
        });
        // "Nothing to do" rests on where traffic is: answered again, from the events already read, whenever
        // the split is known anew.
        const auto reconsider = [this] {
            if (!isResolving() && m_plan && !m_readError
                && ((*m_plan && m_plan->value().kind == BackoutPlan::Kind::NothingToDo)
                    || (!*m_plan && m_plan->error().reason == PlanRefusal::Reason::CanaryCarriesTraffic)))
                maybeResolve();
        };
        connect(gate->controller(), &traffic::TrafficController::splitRead, this, reconsider);
        connect(gate->controller(), &traffic::TrafficController::splitApplied, this, reconsider);
    }
}

RollbackService::~RollbackService()
{
    if (m_eventsWalk)
        m_eventsWalk->cancel();
    if (m_problemsWalk)
        m_problemsWalk->cancel();
}

PlanPolicy RollbackService::policy() const
{
    return { m_config.awx ? m_config.awx->url : QUrl(), m_config.allowedOrigins, m_config.allowedTemplates,
        m_config.planEventSource };
}

void RollbackService::refreshPlan()
{
    if (isResolving())
        return;
    m_readError.reset();
    m_readEvents.clear();
    m_readProblems.clear();
    m_readStartedMs = m_clock.nowMs();

    dynatrace::EventQuery events;
    events.entitySelector = m_config.target.entitySelector;
    events.from = m_config.planWindowFrom;
    m_eventsWalk = m_events->list(events, this, [this](const dynatrace::EventListResult &result) {
        m_eventsWalk = nullptr;
        if (result.error && result.error->kind != dynatrace::ApiError::Kind::Canceled)
            m_readError = result.error;
        m_readEvents = result.events;
        maybeResolve();
    });

    dynatrace::ProblemQuery problems;
    problems.entitySelector = m_config.target.entitySelector;
    problems.problemSelector = u"status(\"open\")"_s;
    problems.from = m_config.planWindowFrom;
    m_problemsWalk = m_problems->list(problems, this, [this](const dynatrace::ProblemListResult &result) {
        m_problemsWalk = nullptr;
        if (result.error && result.error->kind != dynatrace::ApiError::Kind::Canceled && !m_readError)
            m_readError = result.error;
        for (const auto &problem : result.problems) {
            if (problem.isOpen())
                m_readProblems.append(problem.problemId);
        }
        maybeResolve();
    });
}

void RollbackService::maybeResolve()
{
    if (m_eventsWalk || m_problemsWalk)
        return;
    if (m_readError) {
        // A plan from half the events could be an older change's: keep the last good answer.
        Q_EMIT planFailed(*m_readError);
        return;
    }
    m_openProblems = m_readProblems;
    auto plan = resolvePlan(m_readEvents, policy());
    if (plan)
        plan.value().readAtMs = m_readStartedMs;
    // "Nothing to do" has to have checked: a reset recorded last says nothing about a canary someone put
    // traffic on since without an event.
    if (plan && plan->kind == BackoutPlan::Kind::NothingToDo) {
        if (const QString carrying = canaryTraffic(plan->source.startMs); !carrying.isEmpty()) {
            plan = PlanRefusal { PlanRefusal::Reason::CanaryCarriesTraffic,
                tr("the newest change, \"%1\", recorded no backout (NA), but %2")
                    .arg(plan->source.title, carrying),
                plan->source };
        }
    }
    if (!plan || plan->kind != BackoutPlan::Kind::AwxTemplate || !m_awx) {
        m_plan = plan ? checkPinnedTemplate(std::move(plan).value(), policy()) : std::move(plan);
        Q_EMIT planResolved();
        return;
    }
    // The name makes the button say what the team called it ("Reset canary weighting"), lets a template
    // pinned by name be recognised, and a template AWX cannot find is worth knowing before anyone clicks.
    m_templateLookup = m_awx->findTemplate(QString::number(plan->templateId), this,
        [this, resolved = plan.value()](const awx::AwxResult<awx::JobTemplate> &found) mutable {
            m_templateLookup = nullptr;
            if (found)
                resolved.templateName = found->name;
            else if (found.error().kind == awx::AwxError::Kind::NotFound)
                resolved.trust
                    += u' ' + tr("AWX does not know this template: %1").arg(found.error().summary());
            m_plan = checkPinnedTemplate(std::move(resolved), policy());
            Q_EMIT planResolved();
        });
}

QString RollbackService::canaryTraffic(qint64 sinceMs) const
{
    // The back-end's word wins where there is one: metrics lag behind a reset.
    if (m_config.gate) {
        if (const auto applied = m_config.gate->controller()->applied()) {
            return applied->canary > 0
                ? tr("the traffic back-end has the canary at %1 %").arg(applied->canary)
                : QString();
        }
    }
    if (m_config.session) {
        const session::Snapshot &snapshot = m_config.session->snapshot();
        const auto roles = traffic::resolveBuildRoles(snapshot.builds, m_config.roles);
        const auto shares = traffic::observedShares(snapshot, roles, snapshot.fetchedAtMs, 1, sinceMs);
        if (!shares.empty() && shares.front().canaryPercent >= 1.0)
            return tr("%1 % of the requests in the latest interval reached the canary")
                .arg(QLocale().toString(shares.front().canaryPercent, 'f', 1));
    }
    return {};
}

bool RollbackService::isResolving() const
{
    return m_eventsWalk || m_problemsWalk || m_templateLookup;
}

bool RollbackService::execute(const QString &reason, const QString &operatorName)
{
    if (!m_plan) {
        m_runner->reject(Failure::NoPlan, tr("the backout plan has not been read yet"));
        return false;
    }
    if (!*m_plan) {
        const auto &refusal = m_plan->error();
        m_runner->reject(refusal.offersFallback() ? Failure::NoPlan : Failure::Refused, refusal.message);
        return false;
    }
    return m_runner->start(m_plan->value(), reason, operatorName, m_openProblems);
}

bool RollbackService::executeFallback(const QString &reason, const QString &operatorName)
{
    return m_runner->startFallback(reason, operatorName, m_openProblems);
}

} // namespace canary::rollback
