#pragma once

#include <optional>

#include "environment/localtenant.h"
#include "simulatedenvironment.h"
#include "worldconfig.h"

namespace canary::sim {

// The simulated environment as the console's embedded demo: started on 127.0.0.1, stopped when destroyed.
class EmbeddedDemo final : public environment::LocalTenant
{
public:
    // Ten requests a second rather than the workshop's one curl loop (2/s): at a 25 % canary the verdict has
    // its 100 canary requests within four 10-second intervals instead of twenty.
    static constexpr double RequestsPerSecond = 10.0;

    explicit EmbeddedDemo(SimulatedEnvironment::Options options);

    QUrl baseUrl() const override { return m_environment.baseUrl(); }
    QString token() const override { return m_environment.token(); }
    traffic::BuildRoles builds() const override;
    QString backoutTemplate() const override;

    // For tests and benchmarks that drive the world behind the window.
    SimulatedEnvironment &environment() { return m_environment; }

private:
    friend environment::LocalTenantStarter embeddedDemoStarter(std::optional<WorldConfig> world);
    SimulatedEnvironment m_environment;
};

// What canary-console hands the console: the workshop demo (or `world`) on the clock the console runs on.
environment::LocalTenantStarter embeddedDemoStarter(std::optional<WorldConfig> world = std::nullopt);

} // namespace canary::sim
