#include "kubeapi.h"

#include <algorithm>
#include <array>
#include <vector>

#include <QDateTime>
#include <QRegularExpression>

#include <nlohmann/json.hpp>

#include "httpreply.h"
#include "kube/kubeobject.h"
#include "simrequest.h"
#include "simserver.h"
#include "traffic/weightadapter.h"
#include "world.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

using Json = nlohmann::ordered_json;
using Kind = kube::ObjectRef::Kind;

constexpr std::array AllKinds { Kind::Ingress, Kind::TraefikService, Kind::HttpRoute };
const QString NginxPrefix = u"nginx.ingress.kubernetes.io"_s;

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

Json detailsOf(const kube::ObjectRef &ref)
{
    return Json { { "name", str(ref.name) }, { "group", str(ref.apiGroup()) },
        { "kind", str(ref.resource()) } };
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

Json metadata(const kube::ObjectRef &ref, const QString &uid, const QString &created, qint64 resourceVersion,
    const QString &helmRelease)
{
    return Json {
        { "name", str(ref.name) },
        { "namespace", str(ref.namespaceName) },
        { "uid", str(uid) },
        { "resourceVersion", std::to_string(resourceVersion) },
        { "generation", 1 },
        { "creationTimestamp", str(created) },
        { "labels",
            { { "app.kubernetes.io/instance", str(helmRelease) }, { "app.kubernetes.io/managed-by", "Helm" },
                { "app.kubernetes.io/name", "simplenodeservice" } } },
        { "annotations",
            { { "meta.helm.sh/release-name", str(helmRelease) },
                { "meta.helm.sh/release-namespace", str(ref.namespaceName) } } },
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

Json makeObject(Kind kind, int canaryWeight, const QString &created, qint64 resourceVersion)
{
    const kube::ObjectRef ref = KubeApi::objectRef(kind);
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

    Json object { { "apiVersion", str(ref.apiVersion()) }, { "kind", str(ref.kindName()) } };
    object["metadata"] = metadata(ref, uid, created, resourceVersion, release);
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

HttpReply invalidReply(const kube::ObjectRef &ref, const QList<Cause> &causes)
{
    Json details { { "name", str(ref.name) }, { "group", str(ref.apiGroup()) },
        { "kind", str(ref.kindName()) }, { "causes", Json::array() } };
    QStringList parts;
    for (const Cause &cause : causes) {
        details["causes"].push_back({ { "reason", "FieldValueInvalid" }, { "message", str(cause.message) },
            { "field", str(cause.field) } });
        parts.append(cause.field + u": "_s + cause.message);
    }
    const QString what = parts.size() == 1 ? parts.front() : u'[' + parts.join(u", "_s) + u']';
    QString message = u"%1.%2 \"%3\" is invalid: %4"_s.arg(ref.kindName(), ref.apiGroup(), ref.name, what);
    if (ref.kind == Kind::Ingress) {
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
        kube::ObjectRef ref;
        Json json;
    };

    std::vector<Object> objects;
    qint64 revision = 481'516; // like etcd's: one counter for every object, so versions never repeat

    std::optional<std::size_t> find(const kube::ObjectRef &ref) const
    {
        for (std::size_t i = 0; i < objects.size(); ++i) {
            const kube::ObjectRef &stored = objects[i].ref;
            if (stored.kind == ref.kind && stored.namespaceName == ref.namespaceName
                && stored.name == ref.name)
                return i;
        }
        return std::nullopt;
    }

    kube::KubeObject view(std::size_t index) const
    {
        return kube::KubeObject::fromJson(dump(objects[index].json)).value();
    }

    // The router's reading of an object: what it sends to the canary, 0 when the object routes none
    // (an Ingress no longer marked canary, all weights 0).
    int routedWeight(std::size_t index) const
    {
        const auto split = traffic::WeightAdapter(objects[index].ref.kind).readSplit(view(index));
        return split ? split->canary : 0;
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
    for (const Kind kind : AllKinds)
        m_store->objects.push_back(
            { objectRef(kind), makeObject(kind, weight, created, ++m_store->revision) });

    QList<kube::ObjectRef> routes;
    for (const Kind kind : AllKinds)
        routes.append(kube::ObjectRef { kind, u"{namespace}"_s, u"{name}"_s, {} });
    routes.append(
        kube::ObjectRef { Kind::TraefikService, u"{namespace}"_s, u"{name}"_s, u"traefik.containo.us"_s });
    for (const kube::ObjectRef &route : routes) {
        for (const QByteArray method : { "GET", "PATCH", "PUT", "POST", "DELETE" }) {
            server.addRoute(method, route.apiPath(), {},
                [this, route](const SimRequest &request) { return handle(request, route); });
        }
    }
    connect(
        &world, &World::canaryWeightChanged, this, [this](int percent) { followWorld(percent, m_patching); });
}

KubeApi::~KubeApi() = default;

kube::ObjectRef KubeApi::objectRef(kube::ObjectRef::Kind kind)
{
    return kube::ObjectRef { kind, Namespace, kind == Kind::Ingress ? IngressName : ServiceName, {} };
}

QByteArray KubeApi::objectJson(kube::ObjectRef::Kind kind) const
{
    const auto index = m_store->find(objectRef(kind));
    return index ? dump(m_store->objects[*index].json) : QByteArray();
}

std::optional<HttpReply> KubeApi::authenticate(const SimRequest &request, const kube::ObjectRef &ref) const
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
                .arg(ref.qualifiedResource(), ref.name, UserName, verb, ref.resource(), ref.apiGroup(),
                    ref.namespaceName),
            detailsOf(ref));
    }
    return std::nullopt;
}

HttpReply KubeApi::handle(const SimRequest &request, const kube::ObjectRef &route)
{
    kube::ObjectRef ref = route;
    ref.namespaceName = request.pathParameters.value(u"namespace"_s);
    ref.name = request.pathParameters.value(u"name"_s);
    if (auto refused = authenticate(request, ref))
        return *refused;
    if (request.method != "GET" && request.method != "PATCH") {
        return statusReply(405, u"MethodNotAllowed"_s,
            u"the server does not allow this method on the requested resource"_s, detailsOf(ref));
    }

    // The world may move its router while it catches up (the replayed history); the objects follow first.
    m_world.canaryWeight();
    const auto index = m_store->find(ref);
    if (!index)
        return statusReply(404, u"NotFound"_s,
            u"%1 \"%2\" not found"_s.arg(ref.qualifiedResource(), ref.name), detailsOf(ref));
    if (request.method == "PATCH")
        return patch(request, *index, ref);

    Json served = m_store->objects[*index].json;
    served["apiVersion"] = str(ref.apiVersion()); // a TraefikService read through traefik.containo.us says so
    return jsonReply(served);
}

HttpReply KubeApi::patch(const SimRequest &request, std::size_t index, const kube::ObjectRef &ref)
{
    const QByteArray mediaType = request.header("Content-Type").split(';').front().trimmed().toLower();
    if (mediaType != "application/merge-patch+json") {
        return statusReply(415, u"UnsupportedMediaType"_s,
            u"the body of the request was in an unknown format - accepted media types include: "
            u"application/merge-patch+json"_s);
    }
    const Json patchDoc = Json::parse(request.body.cbegin(), request.body.cend(), nullptr, false);
    if (patchDoc.is_discarded())
        return statusReply(400, u"BadRequest"_s, u"error decoding patch: the body is not valid JSON"_s);
    if (!patchDoc.is_object()) {
        return statusReply(400, u"BadRequest"_s,
            u"json: cannot unmarshal %1 into Go value of type map[string]interface {}"_s.arg(
                goTypeName(patchDoc)));
    }

    const Json &stored = m_store->objects[index].json;
    Json merged = stored;
    merged.merge_patch(patchDoc); // RFC 7386: objects merge, null deletes, everything else replaces
    if (const auto problem = decodeError(merged))
        return statusReply(400, u"BadRequest"_s, *problem);
    const Json &meta = merged["metadata"];
    if (meta.value("name", std::string()) != str(ref.name)) {
        return statusReply(400, u"BadRequest"_s,
            u"the name of the object (%1) does not match the name on the URL (%2)"_s.arg(
                QString::fromStdString(meta.value("name", std::string())), ref.name));
    }
    if (meta.value("namespace", std::string()) != str(ref.namespaceName)) {
        return statusReply(400, u"BadRequest"_s,
            u"the namespace of the provided object does not match the namespace sent on the request"_s);
    }
    // A resourceVersion in the patch is a precondition on the stored one.
    if (meta.value("resourceVersion", std::string())
        != stored["metadata"].value("resourceVersion", std::string())) {
        return statusReply(409, u"Conflict"_s,
            u"Operation cannot be fulfilled on %1 \"%2\": the object has been modified; "
            u"please apply your changes to the latest version and try again"_s.arg(
                ref.qualifiedResource(), ref.name),
            detailsOf(ref));
    }
    // Fields the server owns come back as they were, whatever the patch said.
    merged["apiVersion"] = stored["apiVersion"];
    merged["kind"] = stored["kind"];
    for (const char *field : { "uid", "creationTimestamp", "generation" })
        merged["metadata"][field] = stored["metadata"][field];
    if (const QList<Cause> causes = validate(ref.kind, merged); !causes.isEmpty())
        return invalidReply(ref, causes);

    if (m_store->commit(index, std::move(merged))) {
        // The router follows the object patched last; the other objects follow the router (followWorld).
        m_patching = index;
        m_world.setCanaryWeight(m_store->routedWeight(index));
        m_patching.reset();
    }
    Json served = m_store->objects[index].json;
    served["apiVersion"] = str(ref.apiVersion());
    return jsonReply(served);
}

void KubeApi::followWorld(int percent, std::optional<std::size_t> except)
{
    const auto split = traffic::Split::fromCanaryPercent(std::clamp(percent, 0, 100));
    for (std::size_t i = 0; i < m_store->objects.size(); ++i) {
        if (i == except || m_store->routedWeight(i) == percent)
            continue;
        // The same patch a client would send, so the objects change the way a real writer changes them.
        const auto patch
            = traffic::WeightAdapter(m_store->objects[i].ref.kind).splitPatch(m_store->view(i), *split);
        if (!patch)
            continue; // e.g. an Ingress someone unmarked as canary: the router ignores it
        Json changed = m_store->objects[i].json;
        changed.merge_patch(Json::parse(patch->cbegin(), patch->cend(), nullptr, false));
        m_store->commit(i, std::move(changed));
    }
}

} // namespace canary::sim
