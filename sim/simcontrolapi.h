#pragma once

namespace canary::sim {

class SimServer;
class World;
struct HttpReply;
struct SimRequest;

// The simulator's own control endpoint, the demo's default traffic back-end: the router weight as JSON.
//   GET /api/sim/v1/split                -> {"stable":70,"canary":30}
//   PUT /api/sim/v1/split {"canary":30}  -> the split now in force
// Guarded by the environment's token (scope "sim.control"), like the Dynatrace routes.
class SimControlApi
{
public:
    SimControlApi(World &world, SimServer &server);

private:
    HttpReply getSplit() const;
    HttpReply putSplit(const SimRequest &request);

    World &m_world;
};

} // namespace canary::sim
