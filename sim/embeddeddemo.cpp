#include "embeddeddemo.h"

#include "awxapi.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

EmbeddedDemo::EmbeddedDemo(SimulatedEnvironment::Options options)
    : m_environment(std::move(options))
{ }

traffic::BuildRoles EmbeddedDemo::builds() const
{
    return { m_environment.stableBuild(), m_environment.canaryBuild() };
}

QString EmbeddedDemo::backoutTemplate() const
{
    // As in the workshop: the simulated AWX's "Reset canary weighting".
    return QString::number(AwxApi::ResetCanaryWeightingTemplateId);
}

environment::LocalTenantStarter embeddedDemoStarter(std::optional<WorldConfig> world)
{
    return [world](Clock *clock) -> Expected<std::unique_ptr<environment::LocalTenant>, QString> {
        SimulatedEnvironment::Options options;
        options.world = world.value_or(WorldConfig::workshopDemo(EmbeddedDemo::RequestsPerSecond));
        options.clock = clock;
        auto demo = std::make_unique<EmbeddedDemo>(std::move(options));
        QString error;
        if (!demo->m_environment.start(&error))
            return u"cannot start the embedded demo: %1"_s.arg(error);
        return std::unique_ptr<environment::LocalTenant>(std::move(demo));
    };
}

} // namespace canary::sim
