#pragma once

#include <memory>
#include <optional>

#include <QObject>

#include "kuberesource.h"

namespace canary::sim {

class SimServer;
class World;
struct HttpReply;
struct SimRequest;

// The Kubernetes API of the simulated environment: in namespace canary-jenkins, the canary Ingress
// (ingress-nginx), the TraefikService and the Gateway API HTTPRoute of the workshop, each with GET and
// merge-PATCH (KubePatch, applied to the stored JSON whatever the kind), answering with the API server's
// shapes: Status errors (401, 403, 404, 409, 400, 415, 422), resourceVersion preconditions, a resourceVersion
// that grows with every change.
//
// The objects and the world's router are one truth: the router follows whichever object was patched last, as
// the simulator's own KubeWeights reads it (never the product's client code, so a client bug fails a test),
// and when the router's weight changes by other means (AWX, the control endpoint, the replayed history) all
// three objects are rewritten. Authentication is the environment's: "Authorization: Bearer <token>" with any
// token the server knows; PATCH needs the scope "kube.write".
class KubeApi final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KubeApi)

public:
    static inline const QString Namespace = QStringLiteral("canary-jenkins");
    static inline const QString IngressName = QStringLiteral("simplenodeservice-canary");
    static inline const QString ServiceName
        = QStringLiteral("simplenodeservice"); // TraefikService, HTTPRoute
    // The Services the objects split between (the workshop's helm releases).
    static inline const QString StableService = QStringLiteral("simplenodeservice-0");
    static inline const QString CanaryService = QStringLiteral("simplenodeservice-1");
    static inline const QString WriteScope = QStringLiteral("kube.write");
    // Who a token is in 403 messages.
    static inline const QString UserName
        = QStringLiteral("system:serviceaccount:canary-jenkins:canary-console");

    // An object as a request names it (defined in kubeapi.cpp).
    struct Target;

    KubeApi(World &world, SimServer &server, QObject *parent = nullptr);
    ~KubeApi() override;

    // The served object of a kind (in Namespace) as a GET would answer it now, without catching the world up
    // first.
    QByteArray objectJson(KubeKind kind) const;

private:
    struct Store;

    HttpReply handle(const SimRequest &request, KubeKind kind, const QString &group);
    HttpReply patch(const SimRequest &request, std::size_t index, const Target &target);
    std::optional<HttpReply> authenticate(const SimRequest &request, const Target &target) const;
    // Rewrites every object but `except` to route `percent` to the canary.
    void followWorld(int percent, std::optional<std::size_t> except = std::nullopt);

    World &m_world;
    SimServer &m_server;
    std::unique_ptr<Store> m_store;
    std::optional<std::size_t> m_patching; // the object whose PATCH is moving the world right now
};

} // namespace canary::sim
