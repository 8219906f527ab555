#pragma once

#include <optional>

#include <QString>
#include <QUrl>

#include "awx/awxconfig.h"
#include "kubebackendconfig.h"

namespace canary::traffic {

// Which back-end moves traffic and everything it needs, resolved from flags, a profile and the environment
// (profile::TrafficOptions::backendSpec) before anything is built (environment::makeTrafficBackend). Holds
// secrets (tokens, a client key): never log it.
struct BackendSpec
{
    enum class Kind { Simulator, Awx, Kubernetes };

    Kind kind = Kind::Simulator;
    // Simulator: its control endpoint shares the tenant's URL and token (the embedded demo, a canary-sim).
    QUrl simulatorUrl;
    QString simulatorToken;
    awx::AwxConfig awx; // Awx
    std::optional<KubeBackendConfig> kube; // Kubernetes
    // Every request of whichever back-end (--timeout, session::Target::requestTimeoutMs): the simulator's,
    // AWX's (awx.requestTimeoutMs) and Kubernetes' (kube->timeoutMs). nullopt: each keeps its own default.
    std::optional<int> requestTimeoutMs;
};

} // namespace canary::traffic
