#pragma once

#include <array>

#include <QString>
#include <QStringList>

namespace canary::sim {

// The kinds of object the simulated cluster serves that carry a canary weight, named as the Kubernetes API,
// Traefik and the Gateway API document them (not as any client names them).
enum class KubeKind {
    Ingress, // networking.k8s.io/v1, weighted by ingress-nginx's canary annotations
    TraefikService, // traefik.io/v1alpha1 (traefik.containo.us/v1alpha1 before Traefik 3)
    HttpRoute, // gateway.networking.k8s.io/v1
};

inline constexpr std::array AllKubeKinds { KubeKind::Ingress, KubeKind::TraefikService, KubeKind::HttpRoute };

// Where the API server serves a kind: /apis/<group>/<version>/namespaces/<ns>/<plural>/<name>.
struct KubeResource
{
    KubeKind kind;
    QString kindName; // the object's "kind"
    QString plural; // the resource in paths and in the API server's messages
    QStringList groups; // every group serving the kind, the current one first
    QString version;

    static const KubeResource &of(KubeKind kind);

    QString defaultGroup() const { return groups.front(); }
    QString apiVersion(const QString &group) const { return group + u'/' + version; }
    // How the API server names the resource in its messages: "ingresses.networking.k8s.io".
    QString qualified(const QString &group) const { return plural + u'.' + group; }
    // The route pattern or the object's path; "{namespace}"/"{name}" work as either.
    QString path(const QString &group, const QString &namespaceName, const QString &name) const;
};

} // namespace canary::sim
