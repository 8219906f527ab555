#include "kubeweights.h"

#include <algorithm>
#include <cmath>

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

using Json = KubeWeights::Json;

const Json *member(const Json *parent, const char *key)
{
    if (!parent || !parent->is_object())
        return nullptr;
    const auto it = parent->find(key);
    return it == parent->end() || it->is_null() ? nullptr : &*it;
}

Json *member(Json *parent, const char *key)
{
    return const_cast<Json *>(member(static_cast<const Json *>(parent), key));
}

std::string text(const Json *value)
{
    return value && value->is_string() ? value->get<std::string>() : std::string();
}

// ingress-nginx reads annotations with Go's strconv: ParseBool for flags, Atoi for numbers; an annotation it
// cannot parse counts as absent.
bool parseBool(const std::string &value)
{
    return value == "1" || value == "t" || value == "T" || value == "true" || value == "TRUE"
        || value == "True";
}

std::optional<std::int64_t> parseInt(const std::string &value)
{
    bool ok = false;
    const qlonglong number = QString::fromStdString(value).toLongLong(&ok);
    return ok ? std::optional<std::int64_t>(number) : std::nullopt;
}

// Traefik's weighted round robin and the Gateway API both give a backend without a weight the weight 1.
std::int64_t weightOf(const Json &backend)
{
    const Json *weight = member(&backend, "weight");
    if (!weight)
        return 1;
    return weight->is_number_integer() ? std::max<std::int64_t>(0, weight->get<std::int64_t>()) : 0;
}

// A rule without matches matches PathPrefix "/", and a match without a path has that path too (Gateway API
// spec); only such a rule carries every request of the route, so its backends are the split.
bool matchesEverything(const Json &rule)
{
    const Json *matches = member(&rule, "matches");
    if (!matches || !matches->is_array() || matches->empty())
        return true;
    return std::any_of(matches->begin(), matches->end(), [](const Json &match) {
        if (member(&match, "headers") || member(&match, "queryParams") || member(&match, "method"))
            return false;
        const Json *path = member(&match, "path");
        if (!path)
            return true;
        const std::string type = member(path, "type") ? text(member(path, "type")) : "PathPrefix";
        const std::string value = member(path, "value") ? text(member(path, "value")) : "/";
        return type == "PathPrefix" && value == "/";
    });
}

const Json *catchAllBackends(const Json &object)
{
    const Json *rules = member(member(&object, "spec"), "rules");
    if (!rules || !rules->is_array())
        return nullptr;
    for (const Json &rule : *rules) {
        if (matchesEverything(rule))
            return member(&rule, "backendRefs");
    }
    return nullptr;
}

Json *catchAllBackends(Json &object)
{
    return const_cast<Json *>(catchAllBackends(static_cast<const Json &>(object)));
}

} // namespace

KubeWeights::KubeWeights(QString stableService, QString canaryService, QString nginxPrefix)
    : m_stable(stableService.toStdString())
    , m_canary(canaryService.toStdString())
    , m_nginxPrefix(std::move(nginxPrefix))
{ }

std::string KubeWeights::annotation(const char *suffix) const
{
    return QString(m_nginxPrefix + u'/' + QLatin1String(suffix)).toStdString();
}

double KubeWeights::canaryShare(KubeKind kind, const Json &object) const
{
    switch (kind) {
    case KubeKind::Ingress:
        return ingressShare(object);
    case KubeKind::TraefikService:
        return listShare(member(member(member(&object, "spec"), "weighted"), "services"));
    case KubeKind::HttpRoute:
        return listShare(catchAllBackends(object));
    }
    return 0;
}

int KubeWeights::canaryPercent(KubeKind kind, const Json &object) const
{
    return int(std::lround(canaryShare(kind, object) * 100.0));
}

double KubeWeights::ingressShare(const Json &object) const
{
    const Json *annotations = member(member(&object, "metadata"), "annotations");
    if (!parseBool(text(member(annotations, annotation("canary").c_str()))))
        return 0; // an ordinary Ingress: ingress-nginx does not split anything with it

    // The canary Ingress sends its share to its own backend; unless that is the canary, the canary gets none.
    const Json *spec = member(&object, "spec");
    bool backsCanary = text(member(member(member(spec, "defaultBackend"), "service"), "name")) == m_canary;
    if (const Json *rules = member(spec, "rules"); rules && rules->is_array()) {
        for (const Json &rule : *rules) {
            const Json *paths = member(member(&rule, "http"), "paths");
            if (!paths || !paths->is_array())
                continue;
            for (const Json &path : *paths)
                backsCanary = backsCanary
                    || text(member(member(member(&path, "backend"), "service"), "name")) == m_canary;
        }
    }
    if (!backsCanary)
        return 0;

    const auto weight = parseInt(text(member(annotations, annotation("canary-weight").c_str()))).value_or(0);
    auto total = parseInt(text(member(annotations, annotation("canary-weight-total").c_str()))).value_or(100);
    if (total <= 0)
        total = 100;
    return double(std::clamp<std::int64_t>(weight, 0, total)) / double(total);
}

double KubeWeights::listShare(const Json *backends) const
{
    if (!backends || !backends->is_array())
        return 0;
    std::int64_t sum = 0;
    std::int64_t canary = 0;
    for (const Json &backend : *backends) {
        const std::int64_t weight = weightOf(backend);
        sum += weight;
        if (text(member(&backend, "name")) == m_canary)
            canary += weight;
    }
    return sum == 0 ? 0.0 : double(canary) / double(sum);
}

bool KubeWeights::reweigh(Json &backends, int percent) const
{
    if (!backends.is_array())
        return false;
    const auto hasCanary = std::any_of(backends.begin(), backends.end(),
        [this](const Json &backend) { return text(member(&backend, "name")) == m_canary; });
    if (!hasCanary)
        return false;
    for (Json &backend : backends) {
        if (!backend.is_object())
            continue;
        const std::string name = text(member(&backend, "name"));
        backend["weight"] = name == m_canary ? percent : name == m_stable ? 100 - percent : 0;
    }
    return true;
}

std::optional<Json> KubeWeights::withCanaryPercent(KubeKind kind, Json object, int percent) const
{
    percent = std::clamp(percent, 0, 100);
    switch (kind) {
    case KubeKind::Ingress: {
        Json *annotations = member(member(&object, "metadata"), "annotations");
        if (!annotations || !parseBool(text(member(annotations, annotation("canary").c_str()))))
            return std::nullopt;
        auto total
            = parseInt(text(member(annotations, annotation("canary-weight-total").c_str()))).value_or(100);
        if (total <= 0)
            total = 100;
        (*annotations)[annotation("canary-weight")]
            = std::to_string(std::llround(percent * double(total) / 100.0));
        return object;
    }
    case KubeKind::TraefikService: {
        Json *services = member(member(member(&object, "spec"), "weighted"), "services");
        if (!services || !reweigh(*services, percent))
            return std::nullopt;
        return object;
    }
    case KubeKind::HttpRoute: {
        Json *backends = catchAllBackends(object);
        if (!backends || !reweigh(*backends, percent))
            return std::nullopt;
        return object;
    }
    }
    return std::nullopt;
}

} // namespace canary::sim
