#include "simcontrolapi.h"

#include <nlohmann/json.hpp>

#include "httpreply.h"
#include "jsonbody.h"
#include "simrequest.h"
#include "simserver.h"
#include "world.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

SimControlApi::SimControlApi(World &world, SimServer &server)
    : m_world(world)
{
    const QString scope = u"sim.control"_s;
    server.addRoute("GET", u"/api/sim/v1/split"_s, scope, [this](const SimRequest &) { return getSplit(); });
    server.addRoute("PUT", u"/api/sim/v1/split"_s, scope,
        [this](const SimRequest &request) { return putSplit(request); });
}

HttpReply SimControlApi::getSplit() const
{
    const int canary = m_world.canaryWeight();
    const nlohmann::json body { { "stable", 100 - canary }, { "canary", canary } };
    return HttpReply::json(QByteArray::fromStdString(body.dump()));
}

HttpReply SimControlApi::putSplit(const SimRequest &request)
{
    const auto body = JsonBody::read(request);
    if (!body || !body->is_object())
        return HttpReply::error(400, u"The body must be a JSON object like {\"canary\":30}"_s);
    const auto canary = body->find("canary");
    if (canary == body->end() || !canary->is_number_integer())
        return HttpReply::error(400, u"'canary' must be a whole number of percent"_s);
    const auto percent = canary->get<std::int64_t>();
    if (percent < 0 || percent > 100)
        return HttpReply::error(400, u"'canary' must be between 0 and 100, not %1"_s.arg(percent));
    m_world.setCanaryWeight(int(percent));
    return getSplit();
}

} // namespace canary::sim
