#pragma once

#include <QMetaType>
#include <QString>

#include "util/expected.h"

namespace canary::kube {

// The one Kubernetes object that holds the traffic split, as an operator names it on the command line.
struct ObjectRef
{
    enum class Kind {
        Ingress, // ingress-nginx canary Ingress (networking.k8s.io)
        TraefikService, // Traefik weighted service (traefik.io, or traefik.containo.us before Traefik 3)
        HttpRoute, // Gateway API HTTPRoute (gateway.networking.k8s.io)
    };

    Kind kind = Kind::Ingress;
    QString namespaceName; // empty: the kubeconfig context's namespace
    QString name;
    QString group; // empty: the kind's default API group

    // "ingress/NS/NAME", "traefikservice/NS/NAME", "httproute/NS/NAME". Like kubectl, the kind may be plural
    // and may carry its API group ("traefikservices.traefik.containo.us/NS/NAME"); "kind/NAME" leaves the
    // namespace to the kubeconfig context.
    static Expected<ObjectRef, QString> parse(const QString &text);

    static QString defaultGroup(Kind kind);
    // The singular keyword parse() accepts first: "ingress", "traefikservice", "httproute".
    static QString keyword(Kind kind);

    QString apiGroup() const { return group.isEmpty() ? defaultGroup(kind) : group; }
    QString apiVersion() const; // "traefik.io/v1alpha1"
    QString kindName() const; // the object's own "kind": "Ingress", "TraefikService", "HTTPRoute"
    QString resource() const; // the plural in API paths: "ingresses"
    // How the API server names the resource in its messages: "ingresses.networking.k8s.io".
    QString qualifiedResource() const { return resource() + u'.' + apiGroup(); }
    // /apis/<group>/<version>/namespaces/<ns>/<resource>/<name>; needs a namespace.
    QString apiPath() const;
    // "traefikservice canary-jenkins/simplenodeservice"
    QString displayName() const;
    // The form parse() reads back: "traefikservice/canary-jenkins/simplenodeservice" (with the group only
    // when it is not the default).
    QString toString() const;

    bool operator==(const ObjectRef &) const = default;
};

} // namespace canary::kube

Q_DECLARE_METATYPE(canary::kube::ObjectRef)
