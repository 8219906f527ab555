#pragma once

#include <QByteArray>
#include <QString>

#include "kube/kubeobject.h"
#include "kube/objectref.h"
#include "split.h"
#include "util/expected.h"

namespace canary::traffic {

struct WeightOptions
{
    // ingress-nginx's --annotations-prefix; empty means the default.
    QString annotationPrefix = QStringLiteral("nginx.ingress.kubernetes.io");
    // TraefikService / HTTPRoute: the entry that is the canary. Empty: of exactly two entries, the second
    // (the workshop lists simplenodeservice-0, stable, before simplenodeservice-1, the canary).
    QString canaryBackendName;
};

// Where each kind keeps its split and how to change it, as pure functions over the object's JSON.
//  - Ingress (ingress-nginx canary): annotations <prefix>/canary "true", <prefix>/canary-weight over
//    <prefix>/canary-weight-total (default 100; below 100 ignored, as ingress-nginx does).
//  - TraefikService: spec.weighted.services[].weight; HTTPRoute: spec.rules[0].backendRefs[].weight (both
//    default to 1 when absent): the canary gets weight/sum of all weights.
// A patch always carries metadata.resourceVersion, so the API server refuses it (409) if the object changed
// since it was read. An Ingress gets the annotations canary and canary-weight, as strings; a list is sent
// whole with stable = 100 - N and canary = N (other entries 0), since a JSON merge patch replaces lists.
class WeightAdapter
{
public:
    explicit WeightAdapter(kube::ObjectRef::Kind kind, WeightOptions options = {});

    kube::ObjectRef::Kind kind() const { return m_kind; }
    const WeightOptions &options() const { return m_options; }

    // The split in force, rounded to whole percent.
    Expected<Split, QString> readSplit(const kube::KubeObject &object) const;
    // The application/merge-patch+json body that sets `split` on `object`.
    Expected<QByteArray, QString> splitPatch(const kube::KubeObject &object, const Split &split) const;

private:
    QString annotation(const char *suffix) const;

    kube::ObjectRef::Kind m_kind;
    WeightOptions m_options;
};

} // namespace canary::traffic
