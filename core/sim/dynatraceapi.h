#pragma once

#include "metricsengine.h"
#include "seededrandom.h"

namespace canary::sim {

class EventStore;
class SimServer;
class World;
struct HttpReply;
struct SimRequest;

// The Dynatrace Environment API v2 routes of the simulated tenant. Each endpoint is one addRoute() line in
// the constructor; problems will join them here.
class DynatraceApi
{
public:
    DynatraceApi(World &world, SimServer &server, EventStore &events);

private:
    HttpReply metricsQuery(const SimRequest &request);
    HttpReply metricDescriptor(const SimRequest &request);
    HttpReply ingestEvent(const SimRequest &request);

    World &m_world;
    MetricsEngine m_metrics;
    EventStore &m_events;
    SeededRandom m_ids; // event and correlation ids, reproducible for a given world start
};

} // namespace canary::sim
