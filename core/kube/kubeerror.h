#pragma once

#include <QMetaType>
#include <QString>

#include "objectref.h"

namespace canary::net {
struct HttpResponse;
}

namespace canary::kube {

// Every way a Kubernetes API call can fail, as one value. `message` is the API server's own text (a Status
// object's message) when it sent one; the traffic back-end maps it to a traffic::TrafficError.
struct KubeError
{
    enum class Kind {
        Transport, // no HTTP answer: refused, reset, DNS, TLS
        Timeout, // no complete answer in time
        Unauthorized, // 401
        Forbidden, // 403: RBAC
        NotFound, // 404: the object, its namespace, or an API group the cluster does not serve
        Conflict, // 409: the object changed since it was read
        Rejected, // 400/422 and other 4xx: validation, an admission webhook
        ServerError, // 5xx
        UnexpectedShape, // 2xx with a body that is not the object asked for
    };

    Kind kind = Kind::Transport;
    int httpStatus = 0;
    QString message;
    QString detail; // the object, e.g. "Ingress shop/canary"

    // One line: "Kubernetes: HTTP 403: ingresses.networking.k8s.io "canary" is forbidden: … (Ingress
    // shop/canary)"
    QString summary() const;
};

// Interprets a failed call: transport failures and timeouts, the API server's Status object
// ({"kind":"Status","status":"Failure","message",…,"reason","code"}) with Kubernetes' own message, and bodies
// that are not a Status (a proxy's HTML page, the "404 page not found" of a group the cluster does not
// serve).
KubeError errorFromResponse(const net::HttpResponse &response, const ObjectRef &object);

// What kind of failure an HTTP status stands for: 401, 403, 404, 409, 400/422 (Rejected), 5xx.
KubeError::Kind errorKindForStatus(int status);

} // namespace canary::kube

Q_DECLARE_METATYPE(canary::kube::KubeError)
