#pragma once

#include <optional>

#include <QString>

#include <nlohmann/json.hpp>

#include "kuberesource.h"

namespace canary::sim {

// The simulated cluster's routers: how much of the service's traffic each kind of object sends to the canary,
// as the controller that serves the kind documents it, and how the simulated operator rewrites an object to
// send a given percentage. It knows the backends by name (stable and canary Service), not by position.
//  - Ingress (ingress-nginx): a canary Ingress ("<prefix>/canary" true) whose backend is the canary Service
//    gets canary-weight out of canary-weight-total (default 100; absent weight is 0) of the requests.
//  - TraefikService: spec.weighted.services[]; HTTPRoute: the backendRefs of the rule that matches every
//    request (no matches, or PathPrefix "/"). Both: weight / sum of weights, an absent weight counts 1,
//    weights need not add up to 100, and all weights 0 route nothing.
class KubeWeights
{
public:
    using Json = nlohmann::ordered_json;
    static inline const QString DefaultNginxPrefix = QStringLiteral("nginx.ingress.kubernetes.io");

    KubeWeights(QString stableService, QString canaryService, QString nginxPrefix = DefaultNginxPrefix);

    // The share of the requests the object sends to the canary Service, from 0 to 1.
    double canaryShare(KubeKind kind, const Json &object) const;
    // canaryShare in whole percent, as the world's router keeps it.
    int canaryPercent(KubeKind kind, const Json &object) const;
    // The object rewritten to send `percent` to the canary and the rest to the stable Service (other backends
    // get 0); nullopt when it has no weight the operator may set (an Ingress not marked canary, no canary
    // backend in the list).
    std::optional<Json> withCanaryPercent(KubeKind kind, Json object, int percent) const;

private:
    std::string annotation(const char *suffix) const;
    double ingressShare(const Json &object) const;
    double listShare(const Json *backends) const;
    bool reweigh(Json &backends, int percent) const;

    std::string m_stable;
    std::string m_canary;
    QString m_nginxPrefix;
};

} // namespace canary::sim
