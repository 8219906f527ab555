#include "guardconditions.h"

#include <QTimer>

#include "dynatrace/problemsclient.h"
#include "session/canarysession.h"
#include "snapshotjudge.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::verdict {

traffic::GuardConditions guardConditions(const std::vector<dynatrace::Problem> &problems,
    const std::optional<QString> &staleBecause, const Verdict &verdict)
{
    traffic::GuardConditions conditions;
    traffic::noteOpenProblems(conditions, problems);
    if (staleBecause) {
        conditions.dataStale = true;
        conditions.staleDetail = *staleBecause;
    }
    if (verdict.overall == Outcome::Fail) {
        conditions.verdictFail = true;
        conditions.verdictSentence = failingSentence(verdict);
    }
    return conditions;
}

ConditionReader::ConditionReader(net::RestClient *tenant, const session::Target *target,
    const traffic::GuardRailPolicy &policy, const traffic::BuildRoles &roles, const QString &whyNone)
    : m_tenant(tenant)
    , m_target(target)
    , m_policy(policy)
    , m_roles(roles)
    , m_whyNone(whyNone)
{ }

ConditionReader::~ConditionReader() = default;

void ConditionReader::read(Callback onDone)
{
    m_onDone = std::move(onDone);
    if (!m_tenant || !m_target) {
        if (m_policy.freezeOnOpenProblem || m_policy.freezeOnStale)
            addStale(u"no Dynatrace environment to read the target's problems and metrics from (%1)"_s.arg(
                m_whyNone));
        return finish();
    }
    if (m_policy.freezeOnOpenProblem)
        readProblems();
    if (m_policy.freezeOnStale || m_policy.freezeOnFail)
        readMetrics();
    if (m_pending == 0)
        finish();
}

void ConditionReader::readProblems()
{
    ++m_pending;
    m_problemsClient = std::make_unique<dynatrace::ProblemsClient>(m_tenant);
    dynatrace::ProblemQuery query;
    query.entitySelector = m_target->entitySelector;
    query.from = u"now-24h"_s; // an open problem overlaps any window up to now
    query.problemSelector = u"status(\"open\")"_s;
    m_problemsClient->list(query, m_problemsClient.get(), [this](const dynatrace::ProblemListResult &result) {
        if (result.error)
            addStale(u"the open problems could not be read: %1"_s.arg(result.error->summary()));
        else
            m_problems = result.problems;
        done();
    });
}

void ConditionReader::readMetrics()
{
    ++m_pending;
    m_session = std::make_unique<session::CanarySession>(*m_target, m_tenant, Clock::system());
    m_session->setTimelineEnabled(false); // problems are read above, events are not needed
    QObject::connect(m_session.get(), &session::CanarySession::snapshotChanged, m_session.get(),
        [this](const session::Snapshot &snapshot) {
            // The same verdict `canaryctl status` and the window give, on the same query.
            if (m_policy.freezeOnFail) {
                m_verdict = judgeSnapshot(
                    snapshot, traffic::resolveBuildRoles(snapshot.builds, m_roles), snapshot.fetchedAtMs);
            }
            done();
        });
    QObject::connect(m_session.get(), &session::CanarySession::refreshFailed, m_session.get(),
        [this](const dynatrace::ApiError &error) {
            addStale(u"the metrics query failed: %1"_s.arg(error.summary()));
            done();
        });
    m_session->refresh();
}

void ConditionReader::addStale(const QString &detail)
{
    m_staleDetails.append(detail);
}

void ConditionReader::done()
{
    if (--m_pending == 0)
        finish();
}

void ConditionReader::finish()
{
    const auto conditions = guardConditions(m_problems,
        m_staleDetails.isEmpty() ? std::nullopt : std::optional<QString>(m_staleDetails.join(u"; "_s)),
        m_verdict);
    // Later, not from inside a client's callback: the caller may go on to apply the change.
    QTimer::singleShot(0, [onDone = m_onDone, conditions] { onDone(conditions); });
}

} // namespace canary::verdict
