#include "rollbackservice.h"

#include "awx/awxclient.h"
#include "dynatrace/eventsclient.h"
#include "dynatrace/pagewalker.h"
#include "dynatrace/problemsclient.h"
#include "dynatrace/tenantclient.h"
#include "net/restcall.h"
#include "net/restclient.h"

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
    return { m_config.awx ? m_config.awx->url : QUrl(), m_config.allowedOrigins };
}

void RollbackService::refreshPlan()
{
    if (isResolving())
        return;
    m_readError.reset();
    m_readEvents.clear();
    m_readProblems.clear();

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
    if (!plan || plan->kind != BackoutPlan::Kind::AwxTemplate || !m_awx) {
        m_plan = std::move(plan);
        Q_EMIT planResolved();
        return;
    }
    // The name makes the button say what the team called it ("Reset canary weighting"); a template AWX
    // cannot find is worth knowing before anyone clicks.
    m_templateLookup = m_awx->findTemplate(QString::number(plan->templateId), this,
        [this, resolved = plan.value()](const awx::AwxResult<awx::JobTemplate> &found) mutable {
            m_templateLookup = nullptr;
            if (found)
                resolved.templateName = found->name;
            else if (found.error().kind == awx::AwxError::Kind::NotFound)
                resolved.trust
                    += u' ' + tr("AWX does not know this template: %1").arg(found.error().summary());
            m_plan = PlanResult(std::move(resolved));
            Q_EMIT planResolved();
        });
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
        m_runner->reject(
            refusal.reason == PlanRefusal::Reason::NoChangeEvent ? Failure::NoPlan : Failure::Refused,
            refusal.message);
        return false;
    }
    return m_runner->start(m_plan->value(), reason, operatorName, m_openProblems);
}

bool RollbackService::executeFallback(const QString &reason, const QString &operatorName)
{
    return m_runner->startFallback(reason, operatorName, m_openProblems);
}

} // namespace canary::rollback
