#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <QString>

#include "traffic/guardrails.h"
#include "traffic/observedsplit.h"
#include "verdict.h"

namespace canary::dynatrace {
class ProblemsClient;
struct Problem;
} // namespace canary::dynatrace
namespace canary::net {
class RestClient;
}
namespace canary::session {
class CanarySession;
struct Target;
} // namespace canary::session

namespace canary::verdict {

// What the guard-rails freeze on, from what was read about the target: its open problems, why its numbers
// are not current (nullopt: they are), and the canary verdict on them. The window (from its live session)
// and canaryctl (from one read) assemble the conditions here, the same way.
traffic::GuardConditions guardConditions(const std::vector<dynatrace::Problem> &problems,
    const std::optional<QString> &staleBecause, const Verdict &verdict);

// canaryctl's one read of the conditions, each part only when the policy asks for it: the target's open
// problems, whether its metrics can be read, and the verdict on them. Whatever cannot be read counts as
// stale data: an increase must not go ahead on numbers nobody saw. Delivers once, never from inside a
// client's callback.
class ConditionReader
{
public:
    using Callback = std::function<void(const traffic::GuardConditions &)>;

    // `tenant` is the tenant's client (null: no environment to read from, and `whyNone` says why).
    ConditionReader(net::RestClient *tenant, const session::Target *target,
        const traffic::GuardRailPolicy &policy, const traffic::BuildRoles &roles,
        const QString &whyNone = {});
    ~ConditionReader();

    void read(Callback onDone);

private:
    void readProblems();
    void readMetrics();
    void addStale(const QString &detail);
    void done();
    void finish();

    net::RestClient *m_tenant;
    const session::Target *m_target;
    traffic::GuardRailPolicy m_policy;
    traffic::BuildRoles m_roles;
    QString m_whyNone;
    Callback m_onDone;
    std::vector<dynatrace::Problem> m_problems;
    QStringList m_staleDetails;
    Verdict m_verdict;
    int m_pending = 0;
    std::unique_ptr<dynatrace::ProblemsClient> m_problemsClient;
    std::unique_ptr<session::CanarySession> m_session;
};

} // namespace canary::verdict
