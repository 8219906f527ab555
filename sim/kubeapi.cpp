#include "kubeapi.h"

#include <algorithm>
#include <array>
#include <deque>
#include <set>
#include <vector>

#include <QDateTime>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTimer>

#include <nlohmann/json.hpp>

#include "httpreply.h"
#include "jsonbody.h"
#include "kubepatch.h"
#include "kubeweights.h"
#include "simrequest.h"
#include "simserver.h"
#include "util/clock.h"
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

// The object's own bookkeeping, never a field a manager owns.
bool serverOwned(const std::string &metadataKey)
{
    static const std::set<std::string> keys { "managedFields", "resourceVersion", "generation", "uid",
        "creationTimestamp", "name", "namespace" };
    return keys.count(metadataKey) > 0;
}

// Adds to the fieldsV1 tree `fields` every field in which `before` and `after` differ: maps key by key, a
// list or a value as a whole (the objects' lists are atomic to a merge patch too).
void diffFields(const Json &before, const Json &after, Json &fields, int level, bool inMetadata)
{
    std::set<std::string> keys;
    for (const auto &[key, value] : before.items())
        keys.insert(key);
    for (const auto &[key, value] : after.items())
        keys.insert(key);
    for (const std::string &key : keys) {
        if (level == 0 && (key == "status" || key == "apiVersion" || key == "kind"))
            continue;
        if (inMetadata && serverOwned(key))
            continue;
        const auto b = before.find(key);
        const auto a = after.find(key);
        const bool hasBefore = b != before.end() && !b->is_null();
        const bool hasAfter = a != after.end() && !a->is_null();
        if (hasBefore == hasAfter && (!hasBefore || *b == *a))
            continue;
        const std::string field = "f:" + key;
        if (hasAfter && a->is_object()) {
            Json sub = fields.contains(field) ? fields[field] : Json::object();
            diffFields(hasBefore && b->is_object() ? *b : Json::object(), *a, sub, level + 1,
                level == 0 && key == "metadata");
            fields[field] = sub;
        } else {
            fields[field] = Json::object();
        }
    }
}

void mergeFields(Json &owned, const Json &added)
{
    for (const auto &[key, value] : added.items()) {
        if (!owned.contains(key) || !owned[key].is_object())
            owned[key] = value;
        else if (!value.empty() && !owned[key].empty())
            mergeFields(owned[key], value);
    }
}

// What another manager changed is no longer `owned`'s: the API server moves the fields on an Update.
void removeFields(Json &owned, const Json &taken)
{
    for (const auto &[key, value] : taken.items()) {
        const auto it = owned.find(key);
        if (it == owned.end())
            continue;
        if (value.empty() || !it->is_object() || it->empty()) {
            owned.erase(it);
            continue;
        }
        removeFields(*it, value);
        if (it->empty())
            owned.erase(it);
    }
}

QString timeText(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms / 1000 * 1000, Qt::UTC).toString(Qt::ISODate);
}

// Records in `changed`'s managedFields that `manager` wrote what differs from `before` (an Update).
void recordWrite(
    const Json &before, Json &changed, const QString &manager, const QString &apiVersion, qint64 nowMs)
{
    Json fields = Json::object();
    diffFields(before, changed, fields, 0, false);
    if (fields.empty())
        return;
    Json &meta = changed["metadata"];
    const Json entries = meta.contains("managedFields") && meta["managedFields"].is_array()
        ? meta["managedFields"]
        : Json::array();
    Json kept = Json::array();
    bool found = false;
    for (Json entry : entries) {
        if (!entry.is_object())
            continue;
        const bool mine = entry.value("manager", std::string()) == str(manager)
            && entry.value("operation", std::string()) == "Update" && !entry.contains("subresource");
        if (mine) {
            Json owned = entry.contains("fieldsV1") && entry["fieldsV1"].is_object() ? entry["fieldsV1"]
                                                                                     : Json::object();
            mergeFields(owned, fields);
            entry["apiVersion"] = str(apiVersion);
            entry["time"] = str(timeText(nowMs));
            entry["fieldsV1"] = owned;
            found = true;
        } else if (entry.contains("fieldsV1") && entry["fieldsV1"].is_object()) {
            removeFields(entry["fieldsV1"], fields);
            if (entry["fieldsV1"].empty())
                continue; // a manager that owns nothing any more leaves the list
        }
        kept.push_back(entry);
    }
    if (!found) {
        kept.push_back(
            Json { { "manager", str(manager) }, { "operation", "Update" }, { "apiVersion", str(apiVersion) },
                { "time", str(timeText(nowMs)) }, { "fieldsType", "FieldsV1" }, { "fieldsV1", fields } });
    }
    meta["managedFields"] = kept;
}

// The manager of a write: the fieldManager parameter, else what the API server derives from the User-Agent
// (up to its first '/': "kubectl/v1.29.0 (linux/amd64) kubernetes/abc" is "kubectl").
QString managerOf(const SimRequest &request)
{
    if (const QString manager = request.queryItem(u"fieldManager"_s); !manager.isEmpty())
        return manager;
    const QString agent = QString::fromUtf8(request.header("User-Agent")).section(u'/', 0, 0).left(128);
    return agent.isEmpty() ? u"unknown"_s : agent;
}

QByteArray chunk(const QByteArray &bytes)
{
    return QByteArray::number(bytes.size(), 16) + "\r\n" + bytes + "\r\n";
}

QByteArray eventLine(const char *type, const Json &object)
{
    return dump(Json { { "type", type }, { "object", object } }) + '\n';
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

    // A change as watches replay it: the object as it was stored at that revision.
    struct Change
    {
        qint64 revision;
        std::size_t index;
        Json object;
    };

    std::vector<Object> objects;
    qint64 revision = 481'516; // like etcd's: one counter for every object, so versions never repeat
    KubeWeights weights { StableService, CanaryService };
    std::deque<Change> history; // every change after `compacted`
    qint64 compacted = revision; // a watch from an older version has missed changes: 410

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
        history.push_back({ revision, index, stored });
        while (history.size() > std::size_t(HistoryLimit)) {
            compacted = history.front().revision;
            history.pop_front();
        }
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
    for (const Kind kind : AllKubeKinds) {
        Json object = makeObject(kind, weight, created, ++m_store->revision);
        const KubeResource &resource = KubeResource::of(kind);
        recordWrite(Json::object(), object, CreatorManager, resource.apiVersion(resource.defaultGroup()),
            world.startMs());
        m_store->objects.push_back({ kind, servedName(kind), object });
        m_store->history.push_back({ m_store->revision, m_store->objects.size() - 1, object });
    }

    for (const Kind kind : AllKubeKinds) {
        const KubeResource &resource = KubeResource::of(kind);
        for (const QString &group : resource.groups) {
            for (const QByteArray method : { "GET", "PATCH", "PUT", "POST", "DELETE" }) {
                server.addRoute(method, resource.path(group, u"{namespace}"_s, u"{name}"_s), {},
                    [this, kind, group](const SimRequest &request) { return handle(request, kind, group); });
            }
            server.addStreamRoute("GET",
                u"/apis/%1/namespaces/{namespace}/%2"_s.arg(resource.apiVersion(group), resource.plural),
                [this, kind, group](const SimRequest &request, QTcpSocket *socket) {
                    return handleCollection(request, kind, group, socket);
                });
        }
    }
    connect(
        &world, &World::canaryWeightChanged, this, [this](int percent) { followWorld(percent, m_patching); });
}

// An open watch: the socket its chunked answer goes to, and what it asked for.
struct KubeApi::Watch
{
    QPointer<QTcpSocket> socket;
    KubeKind kind;
    QString group;
    QString name; // empty: every object of the kind
    bool bookmarks = false;
    QTimer *timer = nullptr; // timeoutSeconds

    bool isOpen() const { return socket && socket->state() == QAbstractSocket::ConnectedState; }
    void send(const QByteArray &line)
    {
        if (isOpen())
            socket->write(chunk(line));
    }
    ~Watch()
    {
        // Possibly from inside its own timeout.
        timer->stop();
        timer->deleteLater();
    }
};

KubeApi::~KubeApi()
{
    // The streams end as a server going away ends them: the last chunk, then nothing.
    for (const auto &watch : m_watches) {
        if (watch->isOpen())
            watch->socket->write("0\r\n\r\n");
    }
}

int KubeApi::openWatchCount() const
{
    return int(std::count_if(
        m_watches.cbegin(), m_watches.cend(), [](const auto &watch) { return watch->isOpen(); }));
}

void KubeApi::endWatch(Watch &watch, std::optional<QByteArray> lastEvent)
{
    if (watch.isOpen()) {
        if (lastEvent)
            watch.send(*lastEvent);
        watch.socket->write("0\r\n\r\n");
    }
    // Removed by identity: called from the watch's own timer as well as from loops over copies.
    const auto it = std::find_if(m_watches.begin(), m_watches.end(),
        [&watch](const std::unique_ptr<Watch> &candidate) { return candidate.get() == &watch; });
    if (it != m_watches.end())
        m_watches.erase(it);
}

void KubeApi::compactHistory()
{
    m_store->history.clear();
    m_store->compacted = m_store->revision;
}

namespace {

Json goneStatus(const QString &message)
{
    return Json { { "kind", "Status" }, { "apiVersion", "v1" }, { "metadata", Json::object() },
        { "status", "Failure" }, { "message", str(message) }, { "reason", "Expired" }, { "code", 410 } };
}

} // namespace

void KubeApi::expireWatches()
{
    std::vector<Watch *> open;
    for (const auto &watch : m_watches)
        open.push_back(watch.get());
    for (Watch *watch : open) {
        endWatch(*watch,
            eventLine("ERROR", goneStatus(u"The resourceVersion for the provided watch is too old."_s)));
    }
}

void KubeApi::endWatches()
{
    std::vector<Watch *> open;
    for (const auto &watch : m_watches)
        open.push_back(watch.get());
    for (Watch *watch : open) {
        std::optional<QByteArray> bookmark;
        if (watch->bookmarks) {
            const KubeResource &resource = KubeResource::of(watch->kind);
            bookmark = eventLine("BOOKMARK",
                Json { { "kind", str(resource.kindName) },
                    { "apiVersion", str(resource.apiVersion(watch->group)) },
                    { "metadata", { { "resourceVersion", std::to_string(m_store->revision) } } } });
        }
        endWatch(*watch, bookmark);
    }
}

void KubeApi::setManagedFields(KubeKind kind, const QByteArray &json)
{
    const auto index = m_store->find(kind, Namespace, servedName(kind));
    if (!index)
        return;
    Json value = Json::parse(json.cbegin(), json.cend(), nullptr, false);
    if (value.is_discarded())
        value = str(QString::fromUtf8(json));
    Json changed = m_store->objects[*index].json;
    changed["metadata"]["managedFields"] = value;
    if (m_store->commit(*index, std::move(changed)))
        announce(*index);
}

void KubeApi::announce(std::size_t index)
{
    const auto &object = m_store->objects[index];
    for (const auto &watch : m_watches) {
        if (watch->kind != object.kind || (!watch->name.isEmpty() && watch->name != object.name))
            continue;
        Json served = object.json;
        served["apiVersion"] = str(KubeResource::of(object.kind).apiVersion(watch->group));
        watch->send(eventLine("MODIFIED", served));
    }
}

std::optional<HttpReply> KubeApi::handleCollection(
    const SimRequest &request, KubeKind kind, const QString &group, QTcpSocket *socket)
{
    const Target target { kind, group, request.pathParameters.value(u"namespace"_s), QString() };
    const KubeResource &resource = target.resource();
    const QByteArray authorization = request.header("Authorization").trimmed();
    QString token;
    if (authorization.left(7).compare("Bearer ", Qt::CaseInsensitive) == 0)
        token = QString::fromUtf8(authorization.mid(7).trimmed());
    if (!m_server.tokenHasScope(token))
        return statusReply(401, u"Unauthorized"_s, u"Unauthorized"_s);
    const QString watchParam = request.queryItem(u"watch"_s);
    const bool watching = watchParam == u"1"_s || watchParam == u"true"_s;
    const QString verb = watching ? u"watch"_s : u"list"_s;
    if (watching && !m_server.tokenHasScope(token, WatchScope)) {
        return statusReply(403, u"Forbidden"_s,
            u"%1 is forbidden: User \"%2\" cannot %3 resource \"%4\" in API group \"%5\" in the namespace \"%6\""_s
                .arg(
                    target.qualifiedResource(), UserName, verb, resource.plural, group, target.namespaceName),
            Json { { "group", str(group) }, { "kind", str(resource.plural) } });
    }

    // fieldSelector: metadata.name and metadata.namespace, "=" or "==", comma-separated (all must hold).
    QString name;
    bool otherNamespace = target.namespaceName != Namespace;
    for (const QString &term : request.queryItem(u"fieldSelector"_s).split(u',', Qt::SkipEmptyParts)) {
        static const QRegularExpression requirement(u"^\\s*([^=!\\s]+)\\s*==?\\s*(.*?)\\s*$"_s);
        const auto match = requirement.match(term);
        if (!match.hasMatch()) {
            return statusReply(400, u"BadRequest"_s,
                u"unable to parse requirement: found '%1', expected: '=', '!=', '=='"_s.arg(term));
        }
        if (match.captured(1) == u"metadata.name"_s)
            name = match.captured(2);
        else if (match.captured(1) == u"metadata.namespace"_s)
            otherNamespace = otherNamespace || match.captured(2) != target.namespaceName;
        else
            return statusReply(
                400, u"BadRequest"_s, u"field label not supported: %1"_s.arg(match.captured(1)));
    }
    const auto matches = [&](std::size_t index) {
        const auto &object = m_store->objects[index];
        return !otherNamespace && object.kind == kind && (name.isEmpty() || object.name == name);
    };
    const auto served = [&](Json object) {
        object["apiVersion"] = str(target.apiVersion());
        return object;
    };

    m_world.canaryWeight(); // the objects catch up with the world first
    if (!watching) {
        Json list { { "kind", str(resource.kindName + u"List"_s) },
            { "apiVersion", str(target.apiVersion()) },
            { "metadata", { { "resourceVersion", std::to_string(m_store->revision) } } },
            { "items", Json::array() } };
        for (std::size_t i = 0; i < m_store->objects.size(); ++i) {
            if (matches(i))
                list["items"].push_back(served(m_store->objects[i].json));
        }
        return jsonReply(list);
    }

    int timeoutSeconds = DefaultWatchTimeoutSeconds;
    if (const auto text = request.optionalQueryItem(u"timeoutSeconds"_s)) {
        bool ok = false;
        timeoutSeconds = text->toInt(&ok);
        if (!ok || timeoutSeconds < 0)
            return statusReply(400, u"BadRequest"_s, u"invalid timeoutSeconds: %1"_s.arg(*text));
        if (timeoutSeconds == 0)
            timeoutSeconds = DefaultWatchTimeoutSeconds;
    }
    const bool bookmarks = request.queryItem(u"allowWatchBookmarks"_s) == u"true"_s;

    // What the watch starts with: the objects as they are ("" and "0": any version, so now), or every change
    // after the given version, or the 410 of a version the history no longer reaches.
    QList<QByteArray> backlog;
    bool gone = false;
    const QString version = request.queryItem(u"resourceVersion"_s);
    if (version.isEmpty() || version == u"0"_s) {
        for (std::size_t i = 0; i < m_store->objects.size(); ++i) {
            if (matches(i))
                backlog.append(eventLine("ADDED", served(m_store->objects[i].json)));
        }
    } else {
        bool ok = false;
        const qint64 from = version.toLongLong(&ok);
        if (!ok) {
            return statusReply(400, u"BadRequest"_s,
                u"resourceVersion: Invalid value: \"%1\": must be a valid resource version"_s.arg(version));
        }
        if (from < m_store->compacted) {
            backlog.append(eventLine("ERROR",
                goneStatus(u"too old resource version: %1 (%2)"_s.arg(from).arg(m_store->compacted + 1))));
            gone = true;
        } else {
            for (const auto &change : m_store->history) {
                if (change.revision > from && matches(change.index))
                    backlog.append(eventLine("MODIFIED", served(change.object)));
            }
        }
    }

    if (!socket) {
        // No connection to keep (a fault holds the answer): what there is, then the end.
        HttpReply reply = HttpReply::json(backlog.join(), 200);
        reply.contentType = "application/json";
        return reply;
    }
    socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n");
    for (const QByteArray &line : backlog)
        socket->write(chunk(line));
    if (gone) {
        socket->write("0\r\n\r\n");
        return std::nullopt;
    }
    auto watch = std::make_unique<Watch>();
    watch->socket = socket;
    watch->kind = kind;
    watch->group = group;
    watch->name = name;
    watch->bookmarks = bookmarks;
    watch->timer = new QTimer(this); // goes with the API at the latest
    watch->timer->setSingleShot(true);
    Watch *raw = watch.get();
    connect(watch->timer, &QTimer::timeout, this, [this, raw] {
        std::optional<QByteArray> bookmark;
        if (raw->bookmarks) {
            const KubeResource &kindResource = KubeResource::of(raw->kind);
            bookmark = eventLine("BOOKMARK",
                Json { { "kind", str(kindResource.kindName) },
                    { "apiVersion", str(kindResource.apiVersion(raw->group)) },
                    { "metadata", { { "resourceVersion", std::to_string(m_store->revision) } } } });
        }
        endWatch(*raw, bookmark);
    });
    // A client that goes, or a server that stops, ends the watch.
    connect(socket, &QAbstractSocket::disconnected, this, [this, raw] {
        QMetaObject::invokeMethod(
            this,
            [this, raw] {
                const auto it = std::find_if(m_watches.begin(), m_watches.end(),
                    [raw](const std::unique_ptr<Watch> &candidate) { return candidate.get() == raw; });
                if (it != m_watches.end() && !(*it)->isOpen())
                    m_watches.erase(it);
            },
            Qt::QueuedConnection);
    });
    watch->timer->start(timeoutSeconds * 1000);
    m_watches.push_back(std::move(watch));
    return std::nullopt;
}

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

    // The fields the patch changed are now its manager's, as of now.
    if (stored["metadata"].contains("managedFields"))
        merged["metadata"]["managedFields"] = stored["metadata"]["managedFields"];
    const QString manager = managerOf(request);
    const qint64 nowMs = m_world.clock().nowMs();
    recordWrite(stored, merged, manager, target.apiVersion(), nowMs);
    if (m_store->commit(index, std::move(merged))) {
        announce(index);
        // The router follows the object patched last; the other objects follow the router (followWorld).
        m_patching = index;
        WeightOrigin origin;
        origin.source = u"%1 (Update) on %2 %3"_s.arg(manager, target.resource().kindName, target.name);
        origin.atMs = nowMs;
        m_world.setCanaryWeight(m_store->routedWeight(index), origin);
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
        const KubeResource &resource = KubeResource::of(m_store->objects[i].kind);
        recordWrite(m_store->objects[i].json, *changed, RouterManager,
            resource.apiVersion(resource.defaultGroup()), m_world.clock().nowMs());
        if (m_store->commit(i, std::move(*changed)))
            announce(i);
    }
}

} // namespace canary::sim
