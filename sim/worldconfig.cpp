#include "worldconfig.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

ServiceInfo ServiceInfo::workshop()
{
    return {
        u"SERVICE-C4A7E2B19F03D658"_s,
        u"simplenodeservice.canary-jenkins"_s,
        { u"[Environment]DT_RELEASE_PRODUCT:simplenodeservice"_s,
            u"[Environment]DT_RELEASE_STAGE:canary-jenkins"_s },
    };
}

BuildProfile BuildProfile::workshopStable()
{
    return { u"1.0.0-034c71"_s, 100'000, 0 };
}

BuildProfile BuildProfile::workshopCanary()
{
    // app.js doubles minSleep for build 4 and, in production mode, fails every (100/50)th /api/invoke.
    return { u"4.0.0-034c71"_s, 200'000, 2 };
}

WorldConfig WorldConfig::workshopDemo(double requestsPerSecond)
{
    constexpr qint64 minute = 60'000;
    WorldConfig config;
    config.requestsPerSecond = requestsPerSecond;
    config.historyMs = 30 * minute;
    config.schedule = {
        { 10 * minute, 30, ChangeEvent::PipelineV1 },
        { 12 * minute, 70, ChangeEvent::PipelineV2 },
        { 14 * minute, 100, ChangeEvent::PipelineV2 },
        { 18 * minute, 0, ChangeEvent::PipelineV2 },
    };
    return config;
}

} // namespace canary::sim
