// A Kubernetes object as GET returns it, and what the three weight adapters read from it and would
// PATCH back.

#include "fuzzsupport.h"
#include "kube/kubeobject.h"
#include "traffic/weightadapter.h"

using namespace canary::kube;
using canary::traffic::WeightAdapter;
using canary::traffic::WeightOptions;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
    const auto object = KubeObject::fromJson(canary::fuzz::bytesOf(data, size));
    if (!object)
        return 0;
    WeightOptions options;
    options.canaryBackendName = QStringLiteral("simplenodeservice-canary");
    for (const auto kind :
        { ObjectRef::Kind::Ingress, ObjectRef::Kind::TraefikService, ObjectRef::Kind::HttpRoute }) {
        const WeightAdapter adapter(kind, options);
        if (const auto split = adapter.readSplit(*object))
            CANARY_FUZZ_CHECK(split->isValid());
        (void)adapter.splitPatch(*object, canary::traffic::Split { 70, 30 });
    }
    return 0;
}
