#include "kubeobject.h"

#include <nlohmann/json.hpp>

using namespace Qt::Literals::StringLiterals;

namespace canary::kube {

namespace {

QString stringAt(const nlohmann::json &object, const char *key)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? QString::fromStdString(it->get<std::string>()) : QString();
}

} // namespace

Expected<KubeObject, QString> KubeObject::fromJson(const QByteArray &json)
{
    const auto doc = nlohmann::json::parse(json.cbegin(), json.cend(), nullptr, false);
    if (doc.is_discarded())
        return u"the answer is not JSON"_s;
    if (!doc.is_object())
        return u"the answer is not a JSON object"_s;
    const auto metadata = doc.find("metadata");
    if (metadata == doc.end() || !metadata->is_object() || stringAt(*metadata, "name").isEmpty())
        return u"the answer is not a Kubernetes object: it has no metadata.name"_s;

    KubeObject object;
    object.json = json;
    object.apiVersion = stringAt(doc, "apiVersion");
    object.kind = stringAt(doc, "kind");
    object.name = stringAt(*metadata, "name");
    object.namespaceName = stringAt(*metadata, "namespace");
    object.resourceVersion = stringAt(*metadata, "resourceVersion");
    return object;
}

} // namespace canary::kube
