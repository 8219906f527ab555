#include "kubeapi.h"

#include "simserver.h"
#include "world.h"

namespace canary::sim {

KubeApi::KubeApi(World &world, SimServer &server, QObject *parent)
    : QObject(parent)
    , m_world(world)
{
    Q_UNUSED(server)
}

KubeApi::~KubeApi() = default;

} // namespace canary::sim
