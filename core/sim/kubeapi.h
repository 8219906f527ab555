#pragma once

#include <QObject>

namespace canary::sim {

class SimServer;
class World;

// The Kubernetes API of the simulated environment: the canary Ingress (ingress-nginx), the TraefikService and
// the Gateway API HTTPRoute, GET and merge-PATCH; the world's router follows the patched object.
class KubeApi final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KubeApi)

public:
    KubeApi(World &world, SimServer &server, QObject *parent = nullptr);
    ~KubeApi() override;

private:
    World &m_world;
};

} // namespace canary::sim
