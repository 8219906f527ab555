#pragma once

#include <memory>

#include <QHostAddress>
#include <QObject>
#include <QUrl>

#include "simserver.h"
#include "world.h"
#include "worldconfig.h"

namespace canary {
class Clock;
}

namespace canary::sim {

class AwxApi;
class DynatraceApi;
class EventStore;
class FaultApi;
class KubeApi;
class ProblemDetector;
class ProblemStore;
class SimControlApi;

// Declared outside SimulatedEnvironment so its default member initialisers can serve as the constructor's
// default argument (a nested struct's cannot, before the enclosing class is complete).
struct SimulatedEnvironmentOptions
{
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 0; // 0: chosen by the OS
    QString token; // empty: a random dt0c01-style token
    quint64 seed = 1;
    WorldConfig world;
    canary::Clock *clock = nullptr; // nullptr: Clock::system()
    // Page sizes of GET /api/v2/events and /api/v2/problems when a request names none; 0: Dynatrace's (100
    // and 50). Tests set small ones so clients have to follow nextPageKey.
    int defaultEventPageSize = 0;
    int defaultProblemPageSize = 0;
    // Off: the tenant starts without the workshop's calculated metrics (calc:service.requests_by_build, …),
    // as one where nobody created them yet, so onboarding can create them through the config API.
    bool workshopCalculatedMetrics = true;
};

// A complete simulated canary environment: the world model and the HTTP server that serves it as a Dynatrace
// tenant. The GUI's demo mode, canary-sim and the tests all use this one entry point.
class SimulatedEnvironment final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SimulatedEnvironment)

public:
    using Options = SimulatedEnvironmentOptions;

    explicit SimulatedEnvironment(Options options = {}, QObject *parent = nullptr);
    ~SimulatedEnvironment() override;

    bool start(QString *errorMessage = nullptr);
    // Closes the listening socket and every open connection; start() may be called again.
    void stop();
    bool isRunning() const;

    QUrl baseUrl() const; // http://127.0.0.1:<port>; keeps the last port after stop()
    QString token() const { return m_token; }

    World &world() { return m_world; }
    SimServer &server() { return m_server; }
    EventStore &events() { return *m_events; }
    ProblemStore &problems() { return *m_problems; }
    ProblemDetector &problemDetector() { return *m_detector; }
    DynatraceApi &dynatrace() { return *m_dynatrace; }
    AwxApi &awx() { return *m_awx; }
    KubeApi &kube() { return *m_kube; }
    // Faults in force and request counters, as /api/sim/v1/faults and /api/sim/v1/requests change them.
    FaultInjector &faults() { return m_server.faults(); }
    // How often each value of event property `key` was ingested (POST /api/v2/events/ingest), as
    // /api/sim/v1/ingested answers it: a value seen twice is a duplicate.
    QMap<QString, int> ingestedPropertyCounts(const QString &key) const;

    QString serviceId() const { return m_world.service().id; }
    QString serviceName() const { return m_world.service().name; }
    QString stableBuild() const { return m_world.build(World::BuildRole::Stable).version; }
    QString canaryBuild() const { return m_world.build(World::BuildRole::Canary).version; }

    // dt0c01.<24 upper-case alphanumerics>.<64 upper-case alphanumerics>, from the system's random source.
    static QString generateToken();

private:
    void recordScheduledChanges();

    Options m_options;
    QString m_token;
    World m_world;
    SimServer m_server;
    std::unique_ptr<EventStore> m_events;
    std::unique_ptr<ProblemStore> m_problems;
    std::unique_ptr<ProblemDetector> m_detector;
    std::unique_ptr<DynatraceApi> m_dynatrace;
    std::unique_ptr<AwxApi> m_awx;
    std::unique_ptr<KubeApi> m_kube;
    std::unique_ptr<SimControlApi> m_control;
    std::unique_ptr<FaultApi> m_faultApi;
    quint16 m_lastPort = 0;
    // Events of the history whose remediationAction is an AWX launch URL on this server: they learn the
    // server's URL once it listens.
    QStringList m_launchUrlEvents;
};

} // namespace canary::sim
