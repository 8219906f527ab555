#include "simcontrolapi.h"

#include <QDateTime>

#include <nlohmann/json.hpp>

#include "awxapi.h"
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
    nlohmann::json body { { "stable", 100 - canary }, { "canary", canary } };
    // The router's own backout, for a client that records a change without a configured one: this
    // simulator's AWX "Reset canary weighting", served from the same origin.
    body["backout"] = { { "remediationType", "ansible" },
        { "remediationAction", std::to_string(AwxApi::ResetCanaryWeightingTemplateId) },
        { "description",
            "AWX template 'Reset canary weighting' (#"
                + std::to_string(AwxApi::ResetCanaryWeightingTemplateId) + ") on this simulator" } };
    // Who moved the router last, the way a real back-end tells it (an AWX job's launcher, a field manager).
    if (const WeightOrigin &origin = m_world.lastWeightChange(); !origin.source.isEmpty()) {
        nlohmann::json changedBy { { "source", origin.source.toStdString() },
            { "at",
                QDateTime::fromMSecsSinceEpoch(origin.atMs, Qt::UTC)
                    .toString(Qt::ISODateWithMs)
                    .toStdString() } };
        if (!origin.actor.isEmpty())
            changedBy["actor"] = origin.actor.toStdString();
        if (!origin.link.isEmpty())
            changedBy["link"] = origin.link.toStdString();
        body["changedBy"] = std::move(changedBy);
    }
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
    // The control API knows no users: the client's User-Agent is what it can tell about who called.
    const QString agent = QString::fromUtf8(request.header("User-Agent")).left(200);
    m_world.setCanaryWeight(
        int(percent), WeightOrigin { u"simulator control API (PUT /api/sim/v1/split)"_s, agent, {}, -1 });
    return getSplit();
}

} // namespace canary::sim
