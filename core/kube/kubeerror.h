#pragma once

#include "objectref.h"
#include "traffic/trafficerror.h"

namespace canary::net {
struct HttpResponse;
}

namespace canary::kube {

// Interprets a failed call: transport failures and timeouts, the API server's Status object
// ({"kind":"Status","status":"Failure","message",…,"reason","code"}) with Kubernetes' own message, and bodies
// that are not a Status (a proxy's HTML page, the "404 page not found" of a group the cluster does not
// serve).
traffic::TrafficError errorFromResponse(const net::HttpResponse &response, const ObjectRef &object);

// What kind of failure an HTTP status stands for: 401, 403, 404, 409, 400/422 (Rejected), 5xx.
traffic::TrafficError::Kind errorKindForStatus(int status);

} // namespace canary::kube
