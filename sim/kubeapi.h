#pragma once

#include <memory>
#include <optional>

#include <QObject>
#include <QPointer>

class QTcpSocket;
class QTimer;

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
// token the server knows; PATCH needs the scope "kube.write", a watch the scope "kube.watch" (RBAC's verbs).
//
// Every write keeps metadata.managedFields as the API server does for an Update: the manager is the
// fieldManager query parameter, else the User-Agent up to its first '/', and owns the fields it changed
// (taken from other managers), with the time of the write. The router's WeightOrigin names it: "kubectl-edit
// (Update) on Ingress simplenodeservice-canary". Rewrites that follow the router are the manager
// "canary-sim". PUT and server-side apply are not served (405, 415), so they keep nothing.
//
// Watches (GET on the collection with watch=1): QHttpServerResponder in Qt 6.4 writes a status line, headers
// and body bytes but has no chunked or streaming API, and QHttpServer's routes return whole responses; the
// simulator therefore writes the watch at its socket layer (SimServer::addStreamRoute): a chunked 200 answer,
// one JSON event per line, kept open and fed as objects change, ended after timeoutSeconds (real time,
// default 1800) with a BOOKMARK first when allowWatchBookmarks, or when the server stops. fieldSelector
// metadata.name (and metadata.namespace) is honoured; a resourceVersion older than the kept history gets the
// API server's ERROR event with a 410 Status ("too old resource version") and the end of the stream. The
// history keeps the last HistoryLimit changes.
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
    static inline const QString WatchScope = QStringLiteral("kube.watch");
    // The manager of the rewrites that follow the router, and of the objects' creation.
    static inline const QString RouterManager = QStringLiteral("canary-sim");
    static inline const QString CreatorManager = QStringLiteral("helm");
    static constexpr int HistoryLimit = 100;
    static constexpr int DefaultWatchTimeoutSeconds = 1800;
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

    // For tests, what an API server does on its own:
    // forgets every change so far (etcd's compaction): a watch from an older version gets 410;
    void compactHistory();
    // ends every open watch with the 410 ERROR event, as a watch cache that fell behind does;
    void expireWatches();
    // ends every open watch as its timeoutSeconds would;
    void endWatches();
    // replaces metadata.managedFields of the served object with `json` as it is (any JSON, well-formed or not
    // for the API).
    void setManagedFields(KubeKind kind, const QByteArray &json);
    int openWatchCount() const;

private:
    struct Store;
    struct Watch;

    std::optional<HttpReply> handleCollection(
        const SimRequest &request, KubeKind kind, const QString &group, QTcpSocket *socket);
    // Tells the open watches of the object at `index` it changed.
    void announce(std::size_t index);
    void endWatch(Watch &watch, std::optional<QByteArray> lastEvent);

    HttpReply handle(const SimRequest &request, KubeKind kind, const QString &group);
    HttpReply patch(const SimRequest &request, std::size_t index, const Target &target);
    std::optional<HttpReply> authenticate(const SimRequest &request, const Target &target) const;
    // Rewrites every object but `except` to route `percent` to the canary.
    void followWorld(int percent, std::optional<std::size_t> except = std::nullopt);

    World &m_world;
    SimServer &m_server;
    std::unique_ptr<Store> m_store;
    std::optional<std::size_t> m_patching; // the object whose PATCH is moving the world right now
    std::vector<std::unique_ptr<Watch>> m_watches;
};

} // namespace canary::sim
