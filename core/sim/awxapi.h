#pragma once

#include <QObject>

namespace canary::sim {

class SimServer;
class World;

// The AWX API v2 (job templates, launch, jobs) of the simulated environment; launching the canary templates
// moves the world's router.
class AwxApi final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AwxApi)

public:
    AwxApi(World &world, SimServer &server, QObject *parent = nullptr);
    ~AwxApi() override;

private:
    World &m_world;
};

} // namespace canary::sim
