#include "weightadapter.h"

#include <cmath>
#include <optional>

#include <QStringList>

#include <nlohmann/json.hpp>

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

using kube::KubeObject;
using kube::ObjectRef;

namespace {

// Ordered, so the entries of a list sent back in a patch keep their fields in the cluster's order.
using Json = nlohmann::ordered_json;

QString typeName(const Json &value)
{
    return QString::fromLatin1(value.type_name());
}

Expected<Json, QString> parseObject(const KubeObject &object)
{
    Json doc = Json::parse(object.json.cbegin(), object.json.cend(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return u"the object is not a JSON object"_s;
    return doc;
}

const Json *child(const Json &parent, const char *key)
{
    if (!parent.is_object())
        return nullptr;
    const auto it = parent.find(key);
    return it == parent.end() || it->is_null() ? nullptr : &*it;
}

int percentOf(std::int64_t part, std::int64_t whole)
{
    return int(std::llround(double(part) * 100.0 / double(whole)));
}

// ---- ingress-nginx ----------------------------------------------------------------------------------------

struct IngressWeights
{
    std::int64_t weight = 0;
    std::int64_t total = 100;
};

// An annotation holding a whole number; nullopt when absent.
Expected<std::optional<std::int64_t>, QString> integerAnnotation(const Json &annotations, const QString &key)
{
    const Json *value = child(annotations, key.toStdString().c_str());
    if (!value)
        return std::optional<std::int64_t>();
    if (!value->is_string())
        return u"annotation %1 is a %2; annotations are strings"_s.arg(key, typeName(*value));
    const QString text = QString::fromStdString(value->get<std::string>()).trimmed();
    bool ok = false;
    const qlonglong number = text.toLongLong(&ok);
    if (!ok)
        return u"annotation %1 is \"%2\", not a whole number"_s.arg(key, text);
    return std::optional<std::int64_t>(number);
}

// ---- lists of weighted backends (TraefikService, HTTPRoute)
// -------------------------------------------------

struct Pick
{
    std::size_t stable = 0;
    std::size_t canary = 0;
};

QString nameOf(const Json &entry)
{
    const Json *name = child(entry, "name");
    return name && name->is_string() ? QString::fromStdString(name->get<std::string>()) : QString();
}

Expected<Pick, QString> pickBackends(const Json &list, const QString &path, const QString &canaryName)
{
    QStringList names;
    for (const Json &entry : list) {
        if (!entry.is_object())
            return u"%1 holds a %2 where an entry was expected"_s.arg(path, typeName(entry));
        names.append(nameOf(entry));
    }
    Pick pick;
    if (canaryName.isEmpty()) {
        if (names.size() != 2) {
            return u"%1 has %2 entries (%3): name the canary backend to say which one it is"_s.arg(path)
                .arg(names.size())
                .arg(names.join(u", "_s));
        }
        pick.stable = 0;
        pick.canary = 1;
        return pick;
    }
    const qsizetype canary = names.indexOf(canaryName);
    if (canary < 0)
        return u"%1 has no entry named '%2' (it has: %3)"_s.arg(path, canaryName, names.join(u", "_s));
    if (names.size() < 2)
        return u"%1 has only the canary '%2': there is no stable backend to share traffic with"_s.arg(
            path, canaryName);
    pick.canary = std::size_t(canary);
    pick.stable = canary == 0 ? 1 : 0;
    return pick;
}

// Both Traefik and the Gateway API give an entry without a weight the weight 1.
Expected<std::int64_t, QString> weightOf(const Json &entry, const QString &path, std::size_t index)
{
    const Json *weight = child(entry, "weight");
    if (!weight)
        return std::int64_t(1);
    if (!weight->is_number_integer())
        return u"%1[%2].weight is a %3, not a whole number"_s.arg(path).arg(index).arg(typeName(*weight));
    const auto value = weight->get<std::int64_t>();
    if (value < 0)
        return u"%1[%2].weight is negative (%3)"_s.arg(path).arg(index).arg(value);
    return value;
}

Expected<Split, QString> readList(const Json &list, const QString &path, const QString &canaryName)
{
    const auto pick = pickBackends(list, path, canaryName);
    if (!pick)
        return pick.error();
    std::int64_t sum = 0;
    std::int64_t canary = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto weight = weightOf(list.at(i), path, i);
        if (!weight)
            return weight.error();
        sum += *weight;
        if (i == pick->canary)
            canary = *weight;
    }
    if (sum == 0)
        return u"every weight in %1 is 0: no backend gets any traffic"_s.arg(path);
    const int canaryPercent = percentOf(canary, sum);
    return Split { 100 - canaryPercent, canaryPercent };
}

Expected<Json, QString> reweighList(
    Json list, const QString &path, const QString &canaryName, const Split &split)
{
    const auto pick = pickBackends(list, path, canaryName);
    if (!pick)
        return pick.error();
    // Entries other than the two get nothing: the split is between stable and canary only.
    for (std::size_t i = 0; i < list.size(); ++i)
        list[i]["weight"] = i == pick->canary ? split.canary : i == pick->stable ? split.stable : 0;
    return list;
}

const Json *listAt(const Json &doc, std::initializer_list<const char *> keys)
{
    const Json *node = &doc;
    for (const char *key : keys) {
        node = child(*node, key);
        if (!node)
            return nullptr;
    }
    return node;
}

Expected<const Json *, QString> traefikServices(const Json &doc)
{
    const Json *services = listAt(doc, { "spec", "weighted", "services" });
    if (!services)
        return u"spec.weighted.services is missing: this TraefikService does not balance by weight"_s;
    if (!services->is_array())
        return u"spec.weighted.services is a %1, not a list"_s.arg(typeName(*services));
    return services;
}

Expected<const Json *, QString> httpRouteRules(const Json &doc)
{
    const Json *rules = listAt(doc, { "spec", "rules" });
    if (!rules || !rules->is_array() || rules->empty())
        return u"spec.rules is missing or empty: this HTTPRoute routes nothing"_s;
    const Json *backendRefs = child(rules->front(), "backendRefs");
    if (!backendRefs || !backendRefs->is_array())
        return u"spec.rules[0].backendRefs is missing: the first rule has no backends"_s;
    return rules;
}

} // namespace

WeightAdapter::WeightAdapter(ObjectRef::Kind kind, WeightOptions options)
    : m_kind(kind)
    , m_options(std::move(options))
{
    if (m_options.annotationPrefix.isEmpty())
        m_options.annotationPrefix = WeightOptions().annotationPrefix;
}

QString WeightAdapter::annotation(const char *suffix) const
{
    return m_options.annotationPrefix + u'/' + QLatin1String(suffix);
}

namespace {

Expected<IngressWeights, QString> ingressWeights(
    const Json &doc, const QString &canaryKey, const QString &weightKey, const QString &totalKey)
{
    const Json *annotations = listAt(doc, { "metadata", "annotations" });
    const Json *canary = annotations ? child(*annotations, canaryKey.toStdString().c_str()) : nullptr;
    if (!canary)
        return u"not a canary Ingress: it has no annotation %1: \"true\""_s.arg(canaryKey);
    if (!canary->is_string() || canary->get<std::string>() != "true")
        return u"not a canary Ingress: annotation %1 is %2, not \"true\""_s.arg(
            canaryKey, QString::fromStdString(canary->dump()));

    const auto weight = integerAnnotation(*annotations, weightKey);
    if (!weight)
        return weight.error();
    const auto total = integerAnnotation(*annotations, totalKey);
    if (!total)
        return total.error();
    IngressWeights weights;
    // ingress-nginx's balancer treats a total below 100 as 100, and routes by weight <= random(1..total).
    weights.total = std::max<std::int64_t>(100, total->value_or(100));
    weights.weight = std::clamp<std::int64_t>(weight->value_or(0), 0, weights.total);
    return weights;
}

} // namespace

Expected<Split, QString> WeightAdapter::readSplit(const KubeObject &object) const
{
    const auto doc = parseObject(object);
    if (!doc)
        return doc.error();
    switch (m_kind) {
    case ObjectRef::Kind::Ingress: {
        const auto weights = ingressWeights(
            *doc, annotation("canary"), annotation("canary-weight"), annotation("canary-weight-total"));
        if (!weights)
            return weights.error();
        const int canary = percentOf(weights->weight, weights->total);
        return Split { 100 - canary, canary };
    }
    case ObjectRef::Kind::TraefikService: {
        const auto services = traefikServices(*doc);
        if (!services)
            return services.error();
        return readList(**services, u"spec.weighted.services"_s, m_options.canaryBackendName);
    }
    case ObjectRef::Kind::HttpRoute: {
        const auto rules = httpRouteRules(*doc);
        if (!rules)
            return rules.error();
        return readList(
            (*rules)->front().at("backendRefs"), u"spec.rules[0].backendRefs"_s, m_options.canaryBackendName);
    }
    }
    return u"unknown kind"_s;
}

Expected<QByteArray, QString> WeightAdapter::splitPatch(const KubeObject &object, const Split &split) const
{
    if (!split.isValid())
        return u"%1 is not a split of 100 %"_s.arg(split.toString());
    if (object.resourceVersion.isEmpty())
        return u"the object has no metadata.resourceVersion to make the change conditional on"_s;
    const auto doc = parseObject(object);
    if (!doc)
        return doc.error();

    Json patch { { "metadata", { { "resourceVersion", object.resourceVersion.toStdString() } } } };
    switch (m_kind) {
    case ObjectRef::Kind::Ingress: {
        const QString canaryKey = annotation("canary");
        const QString weightKey = annotation("canary-weight");
        const auto weights = ingressWeights(*doc, canaryKey, weightKey, annotation("canary-weight-total"));
        if (!weights)
            return weights.error();
        // The weight is over the total in force (someone chose 1000 for 0.1 % steps); the resourceVersion
        // precondition guarantees that total is still the one the server holds.
        const auto weight = std::llround(double(split.canary) * double(weights->total) / 100.0);
        patch["metadata"]["annotations"] = Json {
            { canaryKey.toStdString(), "true" },
            { weightKey.toStdString(), std::to_string(weight) },
        };
        break;
    }
    case ObjectRef::Kind::TraefikService: {
        const auto services = traefikServices(*doc);
        if (!services)
            return services.error();
        auto list = reweighList(**services, u"spec.weighted.services"_s, m_options.canaryBackendName, split);
        if (!list)
            return list.error();
        patch["spec"]["weighted"]["services"] = std::move(list).value();
        break;
    }
    case ObjectRef::Kind::HttpRoute: {
        const auto rules = httpRouteRules(*doc);
        if (!rules)
            return rules.error();
        Json allRules = **rules;
        auto list = reweighList(allRules.front().at("backendRefs"), u"spec.rules[0].backendRefs"_s,
            m_options.canaryBackendName, split);
        if (!list)
            return list.error();
        allRules.front()["backendRefs"] = std::move(list).value();
        patch["spec"]["rules"] = std::move(allRules);
        break;
    }
    }
    return QByteArray::fromStdString(patch.dump(-1, ' ', false, Json::error_handler_t::replace));
}

} // namespace canary::traffic
