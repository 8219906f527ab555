#include "kubeapi.h"

#include <algorithm>
#include <array>
#include <vector>

#include <QDateTime>
#include <QRegularExpression>

#include <nlohmann/json.hpp>

#include "httpreply.h"
#include "jsonbody.h"
#include "kubepatch.h"
#include "kubeweights.h"
#include "simrequest.h"
#include "simserver.h"
#include "world.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

using Json = nlohmann::ordered_json;
using Kind = KubeKind;

const QString NginxPrefix = KubeWeights::DefaultNginxPrefix;

std::string str(const QString &text)
{
    return text.toStdString();
}

QByteArray dump(const Json &json)
{
    return QByteArray::fromStdString(json.dump(-1, ' ', false, Json::error_handler_t::replace));
}

HttpReply jsonReply(const Json &body, int status = 200)
{
    HttpReply reply = HttpReply::json(dump(body), status);
    reply.contentType = "application/json";
    return reply;
}

// metav1.Status, the body of every API server error. `details` names the object where the server does.
HttpReply statusReply(int code, const QString &reason, const QString &message, const Json &details = {})
{
    Json body { { "kind", "Status" }, { "apiVersion", "v1" }, { "metadata", Json::object() },
        { "status", "Failure" }, { "message", str(message) }, { "reason", str(reason) } };
    if (!details.is_null())
        body["details"] = details;
    body["code"] = code;
    return jsonReply(body, code);
}

} // namespace

// One object as a request names it: the group is the one in the path (a TraefikService read through
// traefik.containo.us is named so in answers and messages).
struct KubeApi::Target
{
    KubeKind kind;
    QString group;
    QString namespaceName;
    QString name;

    const KubeResource &resource() const { return KubeResource::of(kind); }
    QString qualifiedResource() const { return resource().qualified(group); }
    QString apiVersion() const { return resource().apiVersion(group); }
};

namespace {

using Target = KubeApi::Target;

Json detailsOf(const Target &target)
{
    return Json { { "name", str(target.name) }, { "group", str(target.group) },
        { "kind", str(target.resource().plural) } };
}

// Go's encoding/json names JSON types this way in its unmarshal errors.
QString goTypeName(const Json &value)
{
    if (value.is_boolean())
        return u"bool"_s;
    return QString::fromLatin1(value.type_name());
}

const Json *child(const Json &parent, const char *key)
{
    if (!parent.is_object())
        return nullptr;
    const auto it = parent.find(key);
    return it == parent.end() || it->is_null() ? nullptr : &*it;
}

const Json *at(const Json &root, std::initializer_list<const char *> keys)
{
    const Json *node = &root;
    for (const char *key : keys) {
        node = child(*node, key);
        if (!node)
            return nullptr;
    }
    return node;
}

Json metadata(const QString &name, const QString &uid, const QString &created, qint64 resourceVersion,
    const QString &helmRelease)
{
    return Json {
        { "name", str(name) },
        { "namespace", str(KubeApi::Namespace) },
        { "uid", str(uid) },
        { "resourceVersion", std::to_string(resourceVersion) },
        { "generation", 1 },
        { "creationTimestamp", str(created) },
        { "labels",
            { { "app.kubernetes.io/instance", str(helmRelease) }, { "app.kubernetes.io/managed-by", "Helm" },
                { "app.kubernetes.io/name", "simplenodeservice" } } },
        { "annotations",
            { { "meta.helm.sh/release-name", str(helmRelease) },
                { "meta.helm.sh/release-namespace", str(KubeApi::Namespace) } } },
    };
}

// The workshop's objects as its helm chart creates them: release simplenodeservice-0 is build 1 (stable),
// simplenodeservice-1 is build 4 (the canary). "@STABLE@"/"@CANARY@" stand for the weights.
const char *const IngressSpec = R"({
  "spec": {"ingressClassName": "nginx", "rules": [{"host": "simplenodeservice-canary-jenkins.example.com",
    "http": {"paths": [{"path": "/", "pathType": "Prefix",
      "backend": {"service": {"name": "simplenodeservice-1", "port": {"number": 80}}}}]}}]},
  "status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}}
})";

const char *const TraefikServiceSpec = R"({
  "spec": {"weighted": {"services": [
    {"name": "simplenodeservice-0", "kind": "Service", "port": 80, "weight": @STABLE@},
    {"name": "simplenodeservice-1", "kind": "Service", "port": 80, "weight": @CANARY@}]}}
})";

const char *const HttpRouteSpec = R"({
  "spec": {
    "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "traefik-gateway",
                    "namespace": "traefik"}],
    "hostnames": ["simplenodeservice-canary-jenkins.example.com"],
    "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
      "backendRefs": [
        {"group": "", "kind": "Service", "name": "simplenodeservice-0", "port": 80, "weight": @STABLE@},
        {"group": "", "kind": "Service", "name": "simplenodeservice-1", "port": 80, "weight": @CANARY@}]}]},
  "status": {"parents": [{"parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                        "name": "traefik-gateway", "namespace": "traefik"},
    "controllerName": "traefik.io/gateway-controller",
    "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted", "observedGeneration": 1}]}]}
})";

QString servedName(Kind kind)
{
    return kind == Kind::Ingress ? KubeApi::IngressName : KubeApi::ServiceName;
}

Json makeObject(Kind kind, int canaryWeight, const QString &created, qint64 resourceVersion)
{
    const KubeResource &resource = KubeResource::of(kind);
    QByteArray body;
    QString uid;
    QString release = u"simplenodeservice-0"_s;
    switch (kind) {
    case Kind::Ingress:
        body = IngressSpec;
        uid = u"8b0c1f8e-3d2a-4c55-9f0e-6a1d2b7c9e41"_s;
        release = u"simplenodeservice-1"_s;
        break;
    case Kind::TraefikService:
        body = TraefikServiceSpec;
        uid = u"2f6e4a90-71c3-4b8d-a5e2-0c9d8f3b1a27"_s;
        break;
    case Kind::HttpRoute:
        body = HttpRouteSpec;
        uid = u"c4d7e2b1-9a0f-4e36-8b5c-1f2a3d4e5b68"_s;
        break;
    }
    body.replace("@STABLE@", QByteArray::number(100 - canaryWeight))
        .replace("@CANARY@", QByteArray::number(canaryWeight));
    const Json parts = Json::parse(body.cbegin(), body.cend(), nullptr, false);
    Q_ASSERT(parts.is_object());

    Json object { { "apiVersion", str(resource.apiVersion(resource.defaultGroup())) },
        { "kind", str(resource.kindName) } };
    object["metadata"] = metadata(servedName(kind), uid, created, resourceVersion, release);
    if (kind == Kind::Ingress) {
        object["metadata"]["annotations"][str(NginxPrefix + u"/canary"_s)] = "true";
        object["metadata"]["annotations"][str(NginxPrefix + u"/canary-weight"_s)]
            = std::to_string(canaryWeight);
    }
    object.update(parts);
    return object;
}

// What encoding/json says when the merged object does not decode into the Go types (400 BadRequest).
std::optional<QString> decodeError(const Json &object)
{
    const Json *meta = child(object, "metadata");
    if (!meta || !meta->is_object())
        return u"json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta"_s;
    for (const char *field : { "annotations", "labels" }) {
        const Json *map = child(*meta, field);
        if (!map)
            continue;
        if (!map->is_object()) {
            return u"json: cannot unmarshal %1 into Go struct field ObjectMeta.metadata.%2 of type map[string]string"_s
                .arg(goTypeName(*map), QLatin1String(field));
        }
        for (const auto &[key, value] : map->items()) {
            if (!value.is_string()) {
                return u"json: cannot unmarshal %1 into Go struct field ObjectMeta.metadata.%2 of type string"_s
                    .arg(goTypeName(value), QLatin1String(field));
            }
        }
    }
    for (const char *field : { "name", "namespace", "resourceVersion", "uid" }) {
        const Json *value = child(*meta, field);
        if (value && !value->is_string()) {
            return u"json: cannot unmarshal %1 into Go struct field ObjectMeta.metadata.%2 of type string"_s
                .arg(goTypeName(*value), QLatin1String(field));
        }
    }
    return std::nullopt;
}

struct Cause
{
    QString field;
    QString message; // "Invalid value: -5: … should be greater than or equal to 0"
};

// The CRDs' OpenAPI schema for a weight: an integer from 0 (to `maximum`, where the schema sets one).
void checkWeight(
    const Json &entry, const QString &field, std::optional<std::int64_t> maximum, QList<Cause> &causes)
{
    const Json *weight = child(entry, "weight");
    if (!weight)
        return;
    if (!weight->is_number_integer()) {
        causes.append({ field,
            u"Invalid value: \"%1\": %2 in body must be of type integer: \"%1\""_s.arg(
                goTypeName(*weight), field) });
        return;
    }
    const auto value = weight->get<std::int64_t>();
    if (value < 0) {
        causes.append({ field,
            u"Invalid value: %1: %2 in body should be greater than or equal to 0"_s.arg(value).arg(field) });
    } else if (maximum && value > *maximum) {
        causes.append({ field,
            u"Invalid value: %1: %2 in body should be less than or equal to %3"_s.arg(value).arg(field).arg(
                *maximum) });
    }
}

void checkBackends(
    const Json *list, const QString &path, std::optional<std::int64_t> maximum, QList<Cause> &causes)
{
    if (!list)
        return;
    if (!list->is_array()) {
        causes.append({ path,
            u"Invalid value: \"%1\": %2 in body must be of type array: \"%1\""_s.arg(
                goTypeName(*list), path) });
        return;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
        const QString entryPath = u"%1[%2]"_s.arg(path).arg(i);
        const Json &entry = list->at(i);
        if (!entry.is_object()) {
            causes.append({ entryPath,
                u"Invalid value: \"%1\": %2 in body must be of type object: \"%1\""_s.arg(
                    goTypeName(entry), entryPath) });
            continue;
        }
        const Json *name = child(entry, "name");
        if (!name || !name->is_string() || name->get<std::string>().empty())
            causes.append({ entryPath + u".name"_s, u"Required value"_s });
        checkWeight(entry, entryPath + u".weight"_s, maximum, causes);
    }
}

// What the API server's schema validation (TraefikService, HTTPRoute) or ingress-nginx's validating webhook
// (Ingress) refuses with 422.
QList<Cause> validate(Kind kind, const Json &object)
{
    QList<Cause> causes;
    switch (kind) {
    case Kind::Ingress: {
        const Json *annotations = at(object, { "metadata", "annotations" });
        const Json *canary
            = annotations ? child(*annotations, str(NginxPrefix + u"/canary"_s).c_str()) : nullptr;
        if (!canary || *canary != "true")
            break;
        static const QRegularExpression wholeNumber(u"^[0-9]+$"_s);
        for (const char *name : { "canary-weight", "canary-weight-total" }) {
            const QString key = NginxPrefix + u'/' + QLatin1String(name);
            const Json *value = child(*annotations, str(key).c_str());
            if (!value || !value->is_string())
                continue; // absent; a non-string never gets here (decodeError)
            const QString text = QString::fromStdString(value->get<std::string>());
            if (!wholeNumber.match(text).hasMatch()) {
                causes.append({ u"metadata.annotations[%1]"_s.arg(key),
                    u"Invalid value: \"%1\": must be a whole number of 0 or more"_s.arg(text) });
            }
        }
        break;
    }
    case Kind::TraefikService:
        checkBackends(at(object, { "spec", "weighted", "services" }), u"spec.weighted.services"_s,
            std::nullopt, causes);
        break;
    case Kind::HttpRoute: {
        const Json *rules = at(object, { "spec", "rules" });
        if (rules && rules->is_array()) {
            for (std::size_t i = 0; i < rules->size(); ++i) {
                checkBackends(child(rules->at(i), "backendRefs"), u"spec.rules[%1].backendRefs"_s.arg(i),
                    1'000'000, causes);
            }
        }
        break;
    }
    }
    return causes;
}

HttpReply invalidReply(const Target &target, const QList<Cause> &causes)
{
    Json details { { "name", str(target.name) }, { "group", str(target.group) },
        { "kind", str(target.resource().kindName) }, { "causes", Json::array() } };
    QStringList parts;
    for (const Cause &cause : causes) {
        details["causes"].push_back({ { "reason", "FieldValueInvalid" }, { "message", str(cause.message) },
            { "field", str(cause.field) } });
        parts.append(cause.field + u": "_s + cause.message);
    }
    const QString what = parts.size() == 1 ? parts.front() : u'[' + parts.join(u", "_s) + u']';
    QString message
        = u"%1.%2 \"%3\" is invalid: %4"_s.arg(target.resource().kindName, target.group, target.name, what);
    if (target.kind == Kind::Ingress) {
        // ingress-nginx's validating webhook, not the API server, refuses bad canary annotations.
        message = u"admission webhook \"validate.nginx.ingress.kubernetes.io\" denied the request: "_s + what;
    }
    return statusReply(422, u"Invalid"_s, message, details);
}

QString verbFor(const QByteArray &method)
{
    if (method == "PATCH")
        return u"patch"_s;
    if (method == "PUT")
        return u"update"_s;
    if (method == "DELETE")
        return u"delete"_s;
    if (method == "POST")
        return u"create"_s;
    return u"get"_s;
}

} // namespace

struct KubeApi::Store
{
    struct Object
    {
        Kind kind;
        QString name; // all in Namespace
        Json json;
    };

    std::vector<Object> objects;
    qint64 revision = 481'516; // like etcd's: one counter for every object, so versions never repeat
    KubeWeights weights { StableService, CanaryService };

    std::optional<std::size_t> find(Kind kind, const QString &namespaceName, const QString &name) const
    {
        if (namespaceName != Namespace)
            return std::nullopt;
        for (std::size_t i = 0; i < objects.size(); ++i) {
            if (objects[i].kind == kind && objects[i].name == name)
                return i;
        }
        return std::nullopt;
    }

    // What the object's controller sends to the canary: 0 when it routes none (an Ingress no longer marked
    // canary, all weights 0).
    int routedWeight(std::size_t index) const
    {
        return weights.canaryPercent(objects[index].kind, objects[index].json);
    }

    // Stores a changed object the way the API server does: a new resourceVersion, and a new generation when
    // the spec changed. False when nothing changed, which leaves the resourceVersion alone.
    bool commit(std::size_t index, Json changed)
    {
        Json &stored = objects[index].json;
        if (changed == stored)
            return false;
        if (changed.value("spec", Json()) != stored.value("spec", Json()))
            changed["metadata"]["generation"] = stored["metadata"].value("generation", 0) + 1;
        changed["metadata"]["resourceVersion"] = std::to_string(++revision);
        stored = std::move(changed);
        return true;
    }
};

KubeApi::KubeApi(World &world, SimServer &server, QObject *parent)
    : QObject(parent)
    , m_world(world)
    , m_server(server)
    , m_store(std::make_unique<Store>())
{
    // Reading the world's weight here would make it simulate up to now; the signal below keeps the objects
    // in step from the first change on.
    const int weight = std::clamp(world.config().initialCanaryWeight, 0, 100);
    const QString created = QDateTime::fromMSecsSinceEpoch(world.startMs(), Qt::UTC).toString(Qt::ISODate);
    for (const Kind kind : AllKubeKinds)
        m_store->objects.push_back(
            { kind, servedName(kind), makeObject(kind, weight, created, ++m_store->revision) });

    for (const Kind kind : AllKubeKinds) {
        const KubeResource &resource = KubeResource::of(kind);
        for (const QString &group : resource.groups) {
            for (const QByteArray method : { "GET", "PATCH", "PUT", "POST", "DELETE" }) {
                server.addRoute(method, resource.path(group, u"{namespace}"_s, u"{name}"_s), {},
                    [this, kind, group](const SimRequest &request) { return handle(request, kind, group); });
            }
        }
    }
    connect(
        &world, &World::canaryWeightChanged, this, [this](int percent) { followWorld(percent, m_patching); });
}

KubeApi::~KubeApi() = default;

QByteArray KubeApi::objectJson(KubeKind kind) const
{
    const auto index = m_store->find(kind, Namespace, servedName(kind));
    return index ? dump(m_store->objects[*index].json) : QByteArray();
}

std::optional<HttpReply> KubeApi::authenticate(const SimRequest &request, const Target &target) const
{
    const QByteArray authorization = request.header("Authorization").trimmed();
    QString token;
    if (authorization.left(7).compare("Bearer ", Qt::CaseInsensitive) == 0)
        token = QString::fromUtf8(authorization.mid(7).trimmed());
    if (!m_server.tokenHasScope(token))
        return statusReply(401, u"Unauthorized"_s, u"Unauthorized"_s);
    // RBAC decides before the object is looked up, so a missing permission hides whether it exists.
    if (request.method != "GET" && !m_server.tokenHasScope(token, WriteScope)) {
        const QString verb = verbFor(request.method);
        return statusReply(403, u"Forbidden"_s,
            u"%1 \"%2\" is forbidden: User \"%3\" cannot %4 resource \"%5\" in API group \"%6\" in the namespace \"%7\""_s
                .arg(target.qualifiedResource(), target.name, UserName, verb, target.resource().plural,
                    target.group, target.namespaceName),
            detailsOf(target));
    }
    return std::nullopt;
}

HttpReply KubeApi::handle(const SimRequest &request, KubeKind kind, const QString &group)
{
    const Target target { kind, group, request.pathParameters.value(u"namespace"_s),
        request.pathParameters.value(u"name"_s) };
    if (auto refused = authenticate(request, target))
        return *refused;
    if (request.method != "GET" && request.method != "PATCH") {
        return statusReply(405, u"MethodNotAllowed"_s,
            u"the server does not allow this method on the requested resource"_s, detailsOf(target));
    }

    // The world may move its router while it catches up (the replayed history); the objects follow first.
    m_world.canaryWeight();
    const auto index = m_store->find(kind, target.namespaceName, target.name);
    if (!index)
        return statusReply(404, u"NotFound"_s,
            u"%1 \"%2\" not found"_s.arg(target.qualifiedResource(), target.name), detailsOf(target));
    if (request.method == "PATCH")
        return patch(request, *index, target);

    Json served = m_store->objects[*index].json;
    served["apiVersion"]
        = str(target.apiVersion()); // a TraefikService read through traefik.containo.us says so
    return jsonReply(served);
}

HttpReply KubeApi::patch(const SimRequest &request, std::size_t index, const Target &target)
{
    // The API server also takes application/json-patch+json (KubePatch applies it), but this one is held to
    // merge patches: tests/traffic pins 415 for the others, and the product sends nothing else.
    const auto type = KubePatch::typeOf(request.header("Content-Type"));
    if (type != KubePatch::Type::Merge) {
        return statusReply(415, u"UnsupportedMediaType"_s,
            u"the body of the request was in an unknown format - accepted media types include: "
            u"application/merge-patch+json"_s);
    }
    const auto patchDoc = JsonBody::read(request);
    if (!patchDoc)
        return statusReply(400, u"BadRequest"_s, u"error decoding patch: the body is not valid JSON"_s);

    const Json &stored = m_store->objects[index].json;
    auto applied = KubePatch::apply(stored, *type, *patchDoc);
    if (const auto *failure = std::get_if<KubePatch::Failure>(&applied))
        return statusReply(failure->status, failure->reason, failure->message);
    Json merged = std::get<Json>(std::move(applied));
    if (const auto problem = decodeError(merged))
        return statusReply(400, u"BadRequest"_s, *problem);
    const Json &meta = merged["metadata"];
    if (meta.value("name", std::string()) != str(target.name)) {
        return statusReply(400, u"BadRequest"_s,
            u"the name of the object (%1) does not match the name on the URL (%2)"_s.arg(
                QString::fromStdString(meta.value("name", std::string())), target.name));
    }
    if (meta.value("namespace", std::string()) != str(target.namespaceName)) {
        return statusReply(400, u"BadRequest"_s,
            u"the namespace of the provided object does not match the namespace sent on the request"_s);
    }
    // A resourceVersion in the patched object is a precondition on the stored one; a patch that drops it asks
    // for none.
    if (meta.contains("resourceVersion")
        && meta.value("resourceVersion", std::string())
            != stored["metadata"].value("resourceVersion", std::string())) {
        return statusReply(409, u"Conflict"_s,
            u"Operation cannot be fulfilled on %1 \"%2\": the object has been modified; "
            u"please apply your changes to the latest version and try again"_s.arg(
                target.qualifiedResource(), target.name),
            detailsOf(target));
    }
    // Fields the server owns come back as they were, whatever the patch said.
    merged["apiVersion"] = stored["apiVersion"];
    merged["kind"] = stored["kind"];
    for (const char *field : { "uid", "creationTimestamp", "generation", "resourceVersion" })
        merged["metadata"][field] = stored["metadata"][field];
    if (const QList<Cause> causes = validate(target.kind, merged); !causes.isEmpty())
        return invalidReply(target, causes);

    if (m_store->commit(index, std::move(merged))) {
        // The router follows the object patched last; the other objects follow the router (followWorld).
        m_patching = index;
        m_world.setCanaryWeight(m_store->routedWeight(index));
        m_patching.reset();
    }
    Json served = m_store->objects[index].json;
    served["apiVersion"] = str(target.apiVersion());
    return jsonReply(served);
}

void KubeApi::followWorld(int percent, std::optional<std::size_t> except)
{
    percent = std::clamp(percent, 0, 100);
    for (std::size_t i = 0; i < m_store->objects.size(); ++i) {
        if (i == except || m_store->routedWeight(i) == percent)
            continue;
        // Like the workshop's pipeline: only the weights change, the rest of the object stays as it is.
        auto changed
            = m_store->weights.withCanaryPercent(m_store->objects[i].kind, m_store->objects[i].json, percent);
        if (!changed)
            continue; // e.g. an Ingress someone unmarked as canary: the router ignores it
        m_store->commit(i, std::move(*changed));
    }
}

} // namespace canary::sim
