#include "awxapi.h"

#include "simserver.h"
#include "world.h"

namespace canary::sim {

AwxApi::AwxApi(World &world, SimServer &server, QObject *parent)
    : QObject(parent)
    , m_world(world)
{
    Q_UNUSED(server)
}

AwxApi::~AwxApi() = default;

} // namespace canary::sim
