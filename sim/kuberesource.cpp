#include "kuberesource.h"

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

const KubeResource &KubeResource::of(KubeKind kind)
{
    // Ingress: Kubernetes API reference (networking.k8s.io/v1). TraefikService: Traefik's CRDs, renamed from
    // traefik.containo.us to traefik.io in v3 (both groups still served). HTTPRoute: Gateway API v1 (GA).
    static const std::array<KubeResource, 3> resources { {
        { KubeKind::Ingress, u"Ingress"_s, u"ingresses"_s, { u"networking.k8s.io"_s }, u"v1"_s },
        { KubeKind::TraefikService, u"TraefikService"_s, u"traefikservices"_s,
            { u"traefik.io"_s, u"traefik.containo.us"_s }, u"v1alpha1"_s },
        { KubeKind::HttpRoute, u"HTTPRoute"_s, u"httproutes"_s, { u"gateway.networking.k8s.io"_s }, u"v1"_s },
    } };
    return *std::find_if(resources.cbegin(), resources.cend(),
        [kind](const KubeResource &resource) { return resource.kind == kind; });
}

QString KubeResource::path(const QString &group, const QString &namespaceName, const QString &name) const
{
    return u"/apis/%1/namespaces/%2/%3/%4"_s.arg(apiVersion(group), namespaceName, plural, name);
}

} // namespace canary::sim
