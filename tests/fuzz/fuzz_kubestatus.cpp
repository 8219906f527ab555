// A failed Kubernetes call: a Status body, the API server's plain-text 404, a proxy's HTML page.

#include "fuzzsupport.h"
#include "kube/kubeerror.h"
#include "net/httpresponse.h"

using namespace canary::kube;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
    canary::net::HttpResponse response;
    response.url = QUrl(
        QStringLiteral("https://10.0.0.1:6443/apis/traefik.io/v1alpha1/namespaces/a/traefikservices/b"));
    response.body = canary::fuzz::bytesOf(data, size);
    ObjectRef object;
    object.kind = ObjectRef::Kind::TraefikService;
    object.namespaceName = QStringLiteral("canary-jenkins");
    object.name = QStringLiteral("simplenodeservice");
    for (const int status : { 401, 404, 409, 422 }) {
        response.status = status;
        const auto error = errorFromResponse(response, object);
        CANARY_FUZZ_CHECK(!error.message.isEmpty());
    }
    return 0;
}
