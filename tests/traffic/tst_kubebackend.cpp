#include <functional>
#include <memory>
#include <optional>

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include "kube/kubeclient.h"
#include "kube/kubeerror.h"
#include "net/httpresponse.h"
#include "sim/kubeapi.h"
#include "sim/simserver.h"
#include "simfixture.h"
#include "traffic/kubetrafficbackend.h"

using namespace Qt::Literals::StringLiterals;
using canary::kube::ClusterConnection;
using canary::kube::KubeClient;
using canary::kube::KubeError;
using canary::kube::KubeObjectResult;
using canary::kube::ObjectRef;
using canary::sim::KubeApi;
using canary::testing::SimFixture;
using canary::traffic::KubeBackendConfig;
using canary::traffic::KubeTrafficBackend;
using canary::traffic::Split;
using canary::traffic::SplitResult;
using canary::traffic::TrafficError;
using Kind = canary::kube::ObjectRef::Kind;

namespace {

const QString IngressRef = u"ingress/canary-jenkins/simplenodeservice-canary"_s;
const QString TraefikRef = u"traefikservice/canary-jenkins/simplenodeservice"_s;
const QString RouteRef = u"httproute/canary-jenkins/simplenodeservice"_s;

// Waits for the one result a callback-style call delivers, and fails the wait if a second one comes.
template<typename Result>
class Outcome
{
public:
    std::function<void(const Result &)> callback()
    {
        return [this](const Result &result) {
            ++m_calls;
            m_result.emplace(result);
        };
    }
    bool wait()
    {
        return QTest::qWaitFor([this] { return m_result.has_value(); }, 5000);
    }
    int calls() const { return m_calls; }
    const Result &operator*() const { return *m_result; }
    const Result *operator->() const { return &*m_result; }
    bool has_value() const { return m_result.has_value(); }

private:
    std::optional<Result> m_result;
    int m_calls = 0;
};

QString describe(const SplitResult &result)
{
    return result.hasValue() ? result->toString() : result.error().summary();
}

QString describe(const KubeObjectResult &result)
{
    return result.hasValue() ? QString::fromUtf8(result->json) : result.error().summary();
}

// The simulator names the kinds itself: it shares no code with the client it is testing.
canary::sim::KubeKind simKind(Kind kind)
{
    switch (kind) {
    case Kind::Ingress:
        return canary::sim::KubeKind::Ingress;
    case Kind::TraefikService:
        return canary::sim::KubeKind::TraefikService;
    case Kind::HttpRoute:
        return canary::sim::KubeKind::HttpRoute;
    }
    qFatal("unknown kind");
}

nlohmann::ordered_json parsed(const QByteArray &json)
{
    return nlohmann::ordered_json::parse(json.cbegin(), json.cend(), nullptr, false);
}

// nlohmann values confuse QCOMPARE's overloads; their JSON text does not.
QString text(const nlohmann::ordered_json &value)
{
    return QString::fromStdString(value.dump());
}

qint64 resourceVersionOf(const QByteArray &json)
{
    return QString::fromStdString(parsed(json)["metadata"]["resourceVersion"].get<std::string>())
        .toLongLong();
}

// The simulator on loopback plus what it takes to point the Kubernetes code at it.
struct KubeSim
{
    explicit KubeSim(int canaryWeight = 30)
        : fixture(canaryWeight, 1)
    { }

    ClusterConnection connection(const QString &token) const
    {
        ClusterConnection connection;
        connection.server = fixture.environment->baseUrl();
        connection.bearerToken = token.toUtf8();
        connection.namespaceName = KubeApi::Namespace;
        return connection;
    }
    ClusterConnection connection() const { return connection(fixture.environment->token()); }

    std::unique_ptr<KubeTrafficBackend> backend(
        const QString &ref, std::optional<QString> token = std::nullopt)
    {
        KubeBackendConfig config;
        config.object = ObjectRef::parse(ref).value();
        config.connection = token ? connection(*token) : connection();
        return std::make_unique<KubeTrafficBackend>(config);
    }

    SplitResult read(KubeTrafficBackend &backend)
    {
        Outcome<SplitResult> outcome;
        backend.readSplit(&context, outcome.callback());
        if (!outcome.wait())
            qFatal("no answer to readSplit");
        return *outcome;
    }

    SplitResult apply(KubeTrafficBackend &backend, int canary)
    {
        Outcome<SplitResult> outcome;
        backend.applySplit(*Split::fromCanaryPercent(canary), &context, outcome.callback());
        if (!outcome.wait())
            qFatal("no answer to applySplit");
        return *outcome;
    }

    canary::sim::World &world() { return fixture.world(); }
    KubeApi &kube() { return fixture.environment->kube(); }
    canary::sim::SimServer &server() { return fixture.environment->server(); }

    SimFixture fixture;
    QObject context;
};

// A client over its own RestClient, for the raw calls the back-end does not make.
struct RawClient
{
    explicit RawClient(const ClusterConnection &connection)
        : rest(connection.server)
        , client(&rest)
    {
        KubeClient::configure(rest, connection);
    }

    KubeObjectResult get(const QString &ref)
    {
        Outcome<KubeObjectResult> outcome;
        client.get(ObjectRef::parse(ref).value(), &context, outcome.callback());
        if (!outcome.wait())
            qFatal("no answer to GET");
        return *outcome;
    }

    KubeObjectResult patch(const QString &ref, const QByteArray &body)
    {
        Outcome<KubeObjectResult> outcome;
        client.mergePatch(ObjectRef::parse(ref).value(), body, &context, outcome.callback());
        if (!outcome.wait())
            qFatal("no answer to PATCH");
        return *outcome;
    }

    canary::net::RestClient rest;
    KubeClient client;
    QObject context;
};

QByteArray q(const char *json)
{
    return QByteArray(json).replace('\'', '"');
}

} // namespace

class TestKubeBackend : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readSplit_isTheWorldsWeight_data()
    {
        QTest::addColumn<QString>("ref");
        QTest::newRow("ingress") << IngressRef;
        QTest::newRow("traefikservice") << TraefikRef;
        QTest::newRow("traefikservice, older group")
            << u"traefikservices.traefik.containo.us/canary-jenkins/simplenodeservice"_s;
        QTest::newRow("httproute") << RouteRef;
        QTest::newRow("namespace from the connection") << u"traefikservice/simplenodeservice"_s;
    }

    void readSplit_isTheWorldsWeight()
    {
        QFETCH(QString, ref);
        KubeSim sim(30);
        auto backend = sim.backend(ref);
        const SplitResult result = sim.read(*backend);
        QVERIFY2(result.hasValue(), qPrintable(describe(result)));
        QCOMPARE(*result, (Split { 70, 30 }));

        sim.world().setCanaryWeight(85);
        const SplitResult after = sim.read(*backend);
        QVERIFY2(after.hasValue(), qPrintable(describe(after)));
        QCOMPARE(*after, (Split { 15, 85 }));
    }

    void description_namesKindObjectAndServer()
    {
        KubeSim sim;
        auto backend = sim.backend(TraefikRef);
        QCOMPARE(backend->description(),
            u"Kubernetes traefikservice canary-jenkins/simplenodeservice on 127.0.0.1:%1"_s.arg(
                sim.fixture.environment->baseUrl().port()));
    }

    void applySplit_movesTheWorldAndEveryObject_data()
    {
        QTest::addColumn<QString>("ref");
        QTest::newRow("ingress") << IngressRef;
        QTest::newRow("traefikservice") << TraefikRef;
        QTest::newRow("traefikservice, older group")
            << u"traefikservice.traefik.containo.us/canary-jenkins/simplenodeservice"_s;
        QTest::newRow("httproute") << RouteRef;
    }

    void applySplit_movesTheWorldAndEveryObject()
    {
        QFETCH(QString, ref);
        KubeSim sim(30);
        QList<qint64> versionsBefore;
        for (const Kind kind : { Kind::Ingress, Kind::TraefikService, Kind::HttpRoute })
            versionsBefore.append(resourceVersionOf(sim.kube().objectJson(simKind(kind))));

        auto backend = sim.backend(ref);
        QSignalSpy worldMoves(&sim.world(), &canary::sim::World::canaryWeightChanged);
        const SplitResult result = sim.apply(*backend, 40);
        QVERIFY2(result.hasValue(), qPrintable(describe(result)));
        QCOMPARE(*result, (Split { 60, 40 }));
        QCOMPARE(sim.world().canaryWeight(), 40);
        QCOMPARE(worldMoves.count(), 1);

        // One truth: every object now routes 40 %, each with a newer resourceVersion.
        int index = 0;
        for (const QString &other : { IngressRef, TraefikRef, RouteRef }) {
            auto reader = sim.backend(other);
            const SplitResult read = sim.read(*reader);
            QVERIFY2(read.hasValue(), qPrintable(describe(read)));
            QCOMPARE(read->canary, 40);
            const Kind kind = ObjectRef::parse(other)->kind;
            QVERIFY(resourceVersionOf(sim.kube().objectJson(simKind(kind))) > versionsBefore.at(index++));
        }

        // The same split again changes nothing, so no version moves.
        const QByteArray unchanged = sim.kube().objectJson(simKind(ObjectRef::parse(ref)->kind));
        QVERIFY(sim.apply(*backend, 40).hasValue());
        QCOMPARE(sim.kube().objectJson(simKind(ObjectRef::parse(ref)->kind)), unchanged);
    }

    void applySplit_fullRampAndRollback()
    {
        KubeSim sim(0);
        auto backend = sim.backend(TraefikRef);
        for (const int canary : { 30, 70, 100, 0 }) {
            const SplitResult result = sim.apply(*backend, canary);
            QVERIFY2(result.hasValue(), qPrintable(describe(result)));
            QCOMPARE(result->canary, canary);
            QCOMPARE(sim.world().canaryWeight(), canary);
        }
        // The workshop's Jenkinsfile writes exactly this list.
        const auto services
            = parsed(sim.kube().objectJson(simKind(Kind::TraefikService)))["spec"]["weighted"]["services"];
        QCOMPARE(QByteArray::fromStdString(services.dump()),
            q("[{'name':'simplenodeservice-0','kind':'Service','port':80,'weight':100},"
              "{'name':'simplenodeservice-1','kind':'Service','port':80,'weight':0}]"));
    }

    void worldChange_rewritesEveryObject()
    {
        KubeSim sim(30);
        const qint64 before = resourceVersionOf(sim.kube().objectJson(simKind(Kind::Ingress)));
        sim.world().setCanaryWeight(70); // as AWX or the control endpoint would
        const QByteArray ingress = sim.kube().objectJson(simKind(Kind::Ingress));
        QVERIFY(resourceVersionOf(ingress) > before);
        QCOMPARE(
            text(parsed(ingress)["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"]),
            u"\"70\""_s);
        const auto route = parsed(sim.kube().objectJson(simKind(Kind::HttpRoute)));
        QCOMPARE(text(route["spec"]["rules"][0]["backendRefs"][0]["weight"]), u"30"_s);
        QCOMPARE(text(route["spec"]["rules"][0]["backendRefs"][1]["weight"]), u"70"_s);
        QCOMPARE(route["metadata"]["generation"].get<int>(), 3); // created at 0, moved to 30, now 70
    }

    void get_answersARealisticObject()
    {
        KubeSim sim;
        RawClient raw(sim.connection());
        const KubeObjectResult ingress = raw.get(IngressRef);
        QVERIFY2(ingress.hasValue(), qPrintable(describe(ingress)));
        QCOMPARE(ingress->apiVersion, u"networking.k8s.io/v1"_s);
        QCOMPARE(ingress->kind, u"Ingress"_s);
        QCOMPARE(ingress->name, u"simplenodeservice-canary"_s);
        QCOMPARE(ingress->namespaceName, u"canary-jenkins"_s);
        bool numeric = false;
        QVERIFY(ingress->resourceVersion.toLongLong(&numeric) > 0 && numeric);
        const auto json = parsed(ingress->json);
        QVERIFY(json["metadata"]["uid"].is_string());
        QVERIFY(json["metadata"]["creationTimestamp"].is_string());
        QVERIFY(json["metadata"]["generation"].is_number_integer());
        QCOMPARE(text(json["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary"]), u"\"true\""_s);
        QCOMPARE(text(json["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"]),
            u"\"simplenodeservice-1\""_s);

        const KubeObjectResult traefik
            = raw.get(u"traefikservice.traefik.containo.us/canary-jenkins/simplenodeservice"_s);
        QVERIFY(traefik.hasValue());
        QCOMPARE(traefik->apiVersion, u"traefik.containo.us/v1alpha1"_s);
    }

    void mergePatch_followsRfc7386()
    {
        KubeSim sim;
        RawClient raw(sim.connection());
        const KubeObjectResult before = raw.get(TraefikRef);
        QVERIFY(before.hasValue());
        // Maps merge, null deletes, a label is added: metadata only, so generation stays.
        const KubeObjectResult labelled = raw.patch(TraefikRef,
            q("{'metadata':{'labels':{'team':'canary','app.kubernetes.io/instance':null},"
              "'annotations':{'meta.helm.sh/release-name':null}}}"));
        QVERIFY2(labelled.hasValue(), qPrintable(describe(labelled)));
        auto json = parsed(labelled->json);
        QCOMPARE(text(json["metadata"]["labels"]["team"]), u"\"canary\""_s);
        QVERIFY(!json["metadata"]["labels"].contains("app.kubernetes.io/instance"));
        QVERIFY(json["metadata"]["labels"].contains("app.kubernetes.io/name"));
        QVERIFY(!json["metadata"]["annotations"].contains("meta.helm.sh/release-name"));
        QVERIFY(labelled->resourceVersion.toLongLong() > before->resourceVersion.toLongLong());
        QCOMPARE(text(json["metadata"]["generation"]), text(parsed(before->json)["metadata"]["generation"]));
        QCOMPARE(text(json["metadata"]["uid"]), text(parsed(before->json)["metadata"]["uid"]));

        // A list is replaced whole: a spec change, so generation moves.
        const KubeObjectResult replaced = raw.patch(TraefikRef,
            q("{'spec':{'weighted':{'services':[{'name':'simplenodeservice-0','weight':1},"
              "{'name':'simplenodeservice-1','weight':1}]}}}"));
        QVERIFY2(replaced.hasValue(), qPrintable(describe(replaced)));
        json = parsed(replaced->json);
        QCOMPARE(json["spec"]["weighted"]["services"][0].size(), std::size_t(2)); // kind and port are gone
        QCOMPARE(json["metadata"]["generation"].get<int>(),
            parsed(before->json)["metadata"]["generation"].get<int>() + 1);
        QCOMPARE(sim.world().canaryWeight(), 50); // the router follows the patched object
    }

    void unauthorized_data()
    {
        QTest::addColumn<QString>("token");
        QTest::newRow("unknown token") << u"not-a-token"_s;
        QTest::newRow("no token") << QString();
    }

    void unauthorized()
    {
        QFETCH(QString, token);
        KubeSim sim;
        auto backend = sim.backend(IngressRef, token);
        const SplitResult result = sim.read(*backend);
        QVERIFY(!result.hasValue());
        QCOMPARE(result.error().kind, TrafficError::Kind::Unauthorized);
        QCOMPARE(result.error().httpStatus, 401);
        QCOMPARE(result.error().backend, u"Kubernetes"_s);
        QVERIFY2(result.error().message.startsWith(u"Unauthorized"_s), qPrintable(result.error().summary()));
        QCOMPARE(result.error().detail, u"ingress canary-jenkins/simplenodeservice-canary"_s);
    }

    void forbidden_toPatch_withAReadOnlyToken()
    {
        KubeSim sim(30);
        sim.server().addToken(u"reader-token"_s, { u"metrics.read"_s });
        auto backend = sim.backend(TraefikRef, u"reader-token"_s);
        QVERIFY(sim.read(*backend).hasValue()); // get is allowed
        const SplitResult result = sim.apply(*backend, 50);
        QVERIFY(!result.hasValue());
        QCOMPARE(result.error().kind, TrafficError::Kind::Forbidden);
        QCOMPARE(result.error().httpStatus, 403);
        QCOMPARE(result.error().message,
            u"traefikservices.traefik.io \"simplenodeservice\" is forbidden: User "
            u"\"system:serviceaccount:canary-jenkins:canary-console\" cannot patch resource "
            u"\"traefikservices\" in API "
            u"group \"traefik.io\" in the namespace \"canary-jenkins\""_s);
        QCOMPARE(sim.world().canaryWeight(), 30);

        sim.server().addToken(u"writer-token"_s, { KubeApi::WriteScope });
        auto writer = sim.backend(TraefikRef, u"writer-token"_s);
        QVERIFY(sim.apply(*writer, 50).hasValue());
        QCOMPARE(sim.world().canaryWeight(), 50);
    }

    void notFound_data()
    {
        QTest::addColumn<QString>("ref");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown name")
            << u"ingress/canary-jenkins/nope"_s << u"ingresses.networking.k8s.io \"nope\" not found"_s;
        QTest::newRow("other namespace")
            << u"httproute/default/simplenodeservice"_s
            << u"httproutes.gateway.networking.k8s.io \"simplenodeservice\" not found"_s;
    }

    void notFound()
    {
        QFETCH(QString, ref);
        QFETCH(QString, message);
        KubeSim sim;
        auto backend = sim.backend(ref);
        const SplitResult read = sim.read(*backend);
        QVERIFY(!read.hasValue());
        QCOMPARE(read.error().kind, TrafficError::Kind::NotFound);
        QCOMPARE(read.error().message, message);
        const SplitResult applied = sim.apply(*backend, 10);
        QVERIFY(!applied.hasValue());
        QCOMPARE(applied.error().kind, TrafficError::Kind::NotFound);
    }

    void conflict_whenTheObjectChangesBetweenGetAndPatch_data()
    {
        QTest::addColumn<QString>("ref");
        QTest::addColumn<QString>("resource");
        QTest::newRow("ingress") << IngressRef
                                 << u"ingresses.networking.k8s.io \"simplenodeservice-canary\""_s;
        QTest::newRow("traefikservice")
            << TraefikRef << u"traefikservices.traefik.io \"simplenodeservice\""_s;
        QTest::newRow("httproute") << RouteRef
                                   << u"httproutes.gateway.networking.k8s.io \"simplenodeservice\""_s;
    }

    void conflict_whenTheObjectChangesBetweenGetAndPatch()
    {
        QFETCH(QString, ref);
        QFETCH(QString, resource);
        KubeSim sim(30);
        // Right after the server answered the back-end's GET, someone else moves the router.
        bool changed = false;
        connect(&sim.server(), &canary::sim::SimServer::requestHandled, &sim.context,
            [&](const QByteArray &method, const QString &, int) {
                if (method == "GET" && !changed) {
                    changed = true;
                    sim.world().setCanaryWeight(55);
                }
            });
        auto backend = sim.backend(ref);
        const SplitResult result = sim.apply(*backend, 80);
        QVERIFY(changed);
        QVERIFY(!result.hasValue());
        QCOMPARE(result.error().kind, TrafficError::Kind::Conflict);
        QCOMPARE(result.error().httpStatus, 409);
        QVERIFY2(
            result.error().message.startsWith(u"Operation cannot be fulfilled on "_s + resource
                + u": the object has been modified; please apply your changes to the latest version and try again"_s),
            qPrintable(result.error().summary()));
        QVERIFY2(result.error().message.endsWith(
                     u"someone else changed the object since it was read; the current split is 45/55"_s),
            qPrintable(result.error().summary()));
        QCOMPARE(sim.world().canaryWeight(), 55); // the other writer's change stands
    }

    void rejected_data()
    {
        QTest::addColumn<QString>("ref");
        QTest::addColumn<QByteArray>("patch");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("message");

        QTest::newRow("annotation as a number")
            << IngressRef
            << q("{'metadata':{'annotations':{'nginx.ingress.kubernetes.io/canary-weight':30}}}") << 400
            << u"json: cannot unmarshal number into Go struct field ObjectMeta.metadata.annotations of type string"_s;
        QTest::newRow("annotations as a list")
            << IngressRef << q("{'metadata':{'annotations':['a']}}") << 400
            << u"json: cannot unmarshal array into Go struct field ObjectMeta.metadata.annotations of type map[string]string"_s;
        QTest::newRow("canary-weight not a number")
            << IngressRef
            << q("{'metadata':{'annotations':{'nginx.ingress.kubernetes.io/canary-weight':'thirty'}}}") << 422
            << u"admission webhook \"validate.nginx.ingress.kubernetes.io\" denied the request: "
               u"metadata.annotations[nginx.ingress.kubernetes.io/canary-weight]: Invalid value: \"thirty\": "
               u"must be a whole number of 0 or more"_s;
        QTest::newRow("negative canary-weight")
            << IngressRef
            << q("{'metadata':{'annotations':{'nginx.ingress.kubernetes.io/canary-weight':'-5'}}}") << 422
            << u"Invalid value: \"-5\""_s;
        QTest::newRow("negative traefik weight")
            << TraefikRef
            << q("{'spec':{'weighted':{'services':[{'name':'simplenodeservice-0','weight':105},"
                 "{'name':'simplenodeservice-1','weight':-5}]}}}")
            << 422
            << u"TraefikService.traefik.io \"simplenodeservice\" is invalid: "
               u"spec.weighted.services[1].weight: Invalid "
               u"value: -5: spec.weighted.services[1].weight in body should be greater than or equal to 0"_s;
        QTest::newRow("traefik weight as a string")
            << TraefikRef
            << q("{'spec':{'weighted':{'services':[{'name':'simplenodeservice-0','weight':'70'},"
                 "{'name':'simplenodeservice-1','weight':30}]}}}")
            << 422 << u"spec.weighted.services[0].weight in body must be of type integer: \"string\""_s;
        QTest::newRow("httproute weight above the schema's maximum")
            << RouteRef
            << q("{'spec':{'rules':[{'backendRefs':[{'name':'simplenodeservice-0','weight':2000000},"
                 "{'name':'simplenodeservice-1','weight':0}]}]}}")
            << 422
            << u"spec.rules[0].backendRefs[0].weight in body should be less than or equal to 1000000"_s;
        QTest::newRow("renaming through a patch")
            << RouteRef << q("{'metadata':{'name':'other'}}") << 400
            << u"the name of the object (other) does not match the name on the URL (simplenodeservice)"_s;
        QTest::newRow("patch that is not an object")
            << RouteRef << q("[{'op':'replace'}]") << 400
            << u"json: cannot unmarshal array into Go value of type map[string]interface {}"_s;
        QTest::newRow("patch that is not JSON")
            << RouteRef << QByteArray("{weight: 3") << 400 << u"error decoding patch"_s;
    }

    void rejected()
    {
        QFETCH(QString, ref);
        QFETCH(QByteArray, patch);
        QFETCH(int, status);
        QFETCH(QString, message);
        KubeSim sim(30);
        const Kind kind = ObjectRef::parse(ref)->kind;
        const QByteArray before = sim.kube().objectJson(simKind(kind));
        RawClient raw(sim.connection());
        const KubeObjectResult result = raw.patch(ref, patch);
        QVERIFY(!result.hasValue());
        QCOMPARE(result.error().kind, KubeError::Kind::Rejected);
        QCOMPARE(result.error().httpStatus, status);
        QVERIFY2(result.error().message.contains(message), qPrintable(result.error().summary()));
        QCOMPARE(sim.kube().objectJson(simKind(kind)), before);
        QCOMPARE(sim.world().canaryWeight(), 30);
    }

    void otherPatchTypes_areUnsupportedMediaType()
    {
        KubeSim sim;
        RawClient raw(sim.connection());
        const ObjectRef ref = ObjectRef::parse(IngressRef).value();
        std::optional<canary::net::HttpResponse> response;
        connect(raw.rest.send("PATCH", ref.apiPath(), {},
                    q("[{'op':'replace','path':'/metadata/annotations/x','value':'1'}]"),
                    "application/json-patch+json"),
            &canary::net::RestCall::finished, &raw.context,
            [&](const canary::net::HttpResponse &answer) { response = answer; });
        QTRY_VERIFY(response.has_value());
        QCOMPARE(response->status, 415);
        QCOMPARE(response->header("Content-Type"), QByteArray("application/json"));
        const KubeError error = canary::kube::errorFromResponse(*response, ref);
        QCOMPARE(error.kind, KubeError::Kind::Rejected);
        QVERIFY2(error.message.startsWith(u"the body of the request was in an unknown format"_s),
            qPrintable(error.message));
    }

    void ingressNoLongerCanary_isAConfigurationError_andRoutesNothing()
    {
        KubeSim sim(30);
        RawClient raw(sim.connection());
        const KubeObjectResult patched = raw.patch(
            IngressRef, q("{'metadata':{'annotations':{'nginx.ingress.kubernetes.io/canary':'false'}}}"));
        QVERIFY2(patched.hasValue(), qPrintable(describe(patched)));
        QCOMPARE(sim.world().canaryWeight(), 0); // ingress-nginx ignores a canary Ingress that is not one

        auto ingress = sim.backend(IngressRef);
        const SplitResult read = sim.read(*ingress);
        QVERIFY(!read.hasValue());
        QCOMPARE(read.error().kind, TrafficError::Kind::Configuration);
        QVERIFY2(
            read.error().message.contains(u"not a canary Ingress"_s), qPrintable(read.error().summary()));
        const SplitResult applied = sim.apply(*ingress, 20);
        QVERIFY(!applied.hasValue());
        QCOMPARE(applied.error().kind, TrafficError::Kind::Configuration);

        auto traefik = sim.backend(TraefikRef);
        QCOMPARE(sim.read(*traefik)->canary, 0);
    }

    void invalidSplit_isInvalidInput_deliveredLater()
    {
        KubeSim sim;
        auto backend = sim.backend(TraefikRef);
        Outcome<SplitResult> outcome;
        backend->applySplit(Split { 50, 60 }, &sim.context, outcome.callback());
        QVERIFY(!outcome.has_value()); // never from inside the call
        QVERIFY(outcome.wait());
        QCOMPARE(outcome->error().kind, TrafficError::Kind::InvalidInput);
        QCOMPARE(outcome.calls(), 1);
    }

    // A server whose admission webhook caps the canary at 50 %: the PATCH succeeds, the split is not ours.
    void mutatedOnTheWay_isNotConfirmed()
    {
        canary::sim::SimServer server;
        QVERIFY(server.start(QHostAddress::LocalHost, 0));
        const auto object = [](int canary) -> QByteArray {
            return q("{'apiVersion':'traefik.io/v1alpha1','kind':'TraefikService','metadata':{'name':'s',"
                     "'namespace':'ns','resourceVersion':'5'},'spec':{'weighted':{'services':[{'name':'a','"
                     "weight':")
                + QByteArray::number(100 - canary) + q("},{'name':'b','weight':") + QByteArray::number(canary)
                + q("}]}}}");
        };
        const QString path = u"/apis/traefik.io/v1alpha1/namespaces/ns/traefikservices/s"_s;
        server.addRoute("GET", path, {},
            [&](const canary::sim::SimRequest &) { return canary::sim::HttpReply::json(object(10)); });
        server.addRoute("PATCH", path, {},
            [&](const canary::sim::SimRequest &) { return canary::sim::HttpReply::json(object(50)); });
        KubeBackendConfig config;
        config.object = ObjectRef::parse(u"traefikservice/ns/s"_s).value();
        config.connection = ClusterConnection {};
        config.connection->server = QUrl(u"http://127.0.0.1:%1"_s.arg(server.port()));
        KubeTrafficBackend backend(config);
        QObject context;
        Outcome<SplitResult> outcome;
        backend.applySplit(Split { 20, 80 }, &context, outcome.callback());
        QVERIFY(outcome.wait());
        QVERIFY(!outcome->hasValue());
        QCOMPARE(outcome->error().kind, TrafficError::Kind::NotConfirmed);
        QCOMPARE(outcome->error().message, u"asked for 20/80, the patched object says 50/50"_s);
    }

    void kubeconfigWithExecUser_failsEveryCall_asConfiguration()
    {
        QTemporaryDir dir;
        QFile file(dir.filePath(u"config"_s));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(
            "clusters: [{name: eks, cluster: {server: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com'}}]\n"
            "users:\n- name: eks\n  user:\n    exec:\n      command: aws\n"
            "contexts: [{name: eks, context: {cluster: eks, user: eks}}]\ncurrent-context: eks\n");
        file.close();
        qputenv("KUBECONFIG", file.fileName().toLocal8Bit());
        KubeBackendConfig config;
        config.object = ObjectRef::parse(TraefikRef).value();
        KubeTrafficBackend backend(config); // no connection: resolved from $KUBECONFIG
        qunsetenv("KUBECONFIG");

        QVERIFY(backend.configurationError().has_value());
        QObject context;
        Outcome<SplitResult> outcome;
        backend.readSplit(&context, outcome.callback());
        QVERIFY(!outcome.has_value());
        QVERIFY(outcome.wait());
        QCOMPARE(outcome->error().kind, TrafficError::Kind::Configuration);
        QVERIFY2(
            outcome->error().message.contains(u"not supported yet: exec-plugin users (e.g. EKS/GKE/AKS)"_s),
            qPrintable(outcome->error().summary()));
        QCOMPARE(backend.description(), u"Kubernetes traefikservice canary-jenkins/simplenodeservice"_s);
    }

    void kubeconfig_endToEnd_againstTheSimulator()
    {
        KubeSim sim(30);
        QTemporaryDir dir;
        QFile file(dir.filePath(u"config"_s));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("apiVersion: v1\nkind: Config\ncurrent-context: sim\nclusters:\n- name: sim\n  cluster:\n "
                   "   server: "
            + sim.fixture.environment->baseUrl().toString().toUtf8()
            + "\nusers:\n- name: console\n  user:\n    token: " + sim.fixture.environment->token().toUtf8()
            + "\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n    user: console\n    namespace: "
              "canary-jenkins\n");
        file.close();

        // The namespace comes from the context.
        const auto config
            = KubeBackendConfig::fromKubeconfig(u"httproute/simplenodeservice"_s, { file.fileName() });
        QVERIFY2(config.hasValue(), qPrintable(config.hasValue() ? QString() : config.error()));
        QCOMPARE(config->object.namespaceName, u"canary-jenkins"_s);
        QCOMPARE(config->kubeContext, u"sim"_s);
        KubeTrafficBackend backend(*config);
        QCOMPARE(sim.apply(backend, 25).value(), (Split { 75, 25 }));
        QCOMPARE(sim.world().canaryWeight(), 25);
    }

    void configFromEnvironment_data()
    {
        QTest::addColumn<QString>("ref");
        QTest::addColumn<QString>("server");
        QTest::addColumn<QString>("token");
        QTest::addColumn<QString>("error"); // empty: accepted

        QTest::newRow("server and KUBE_TOKEN")
            << TraefikRef << u"https://10.0.0.1:6443"_s << u"t0k3n"_s << QString();
        QTest::newRow("no KUBE_TOKEN")
            << TraefikRef << u"https://10.0.0.1:6443"_s << QString() << u"set KUBE_TOKEN"_s;
        QTest::newRow("no namespace without a kubeconfig")
            << u"traefikservice/simplenodeservice"_s << u"https://10.0.0.1:6443"_s << u"t"_s
            << u"names no namespace"_s;
        QTest::newRow("bad reference") << u"pod/a/b"_s << u"https://10.0.0.1:6443"_s << u"t"_s
                                       << u"not a kind that holds a traffic split"_s;
        QTest::newRow("no kubeconfig") << TraefikRef << QString() << QString() << u"no kubeconfig found"_s;
        QTest::newRow("server with a password") << TraefikRef << u"https://admin:pw@10.0.0.1:6443"_s << u"t"_s
                                                << u"https://10.0.0.1:6443 must not carry a user name"_s;
    }

    void configFromEnvironment()
    {
        QFETCH(QString, ref);
        QFETCH(QString, server);
        QFETCH(QString, token);
        QFETCH(QString, error);
        QTemporaryDir home;
        QProcessEnvironment environment;
        environment.insert(u"HOME"_s, home.path()); // no ~/.kube/config there
        if (!token.isEmpty())
            environment.insert(u"KUBE_TOKEN"_s, token);
        const auto config = KubeBackendConfig::fromEnvironment(ref, environment, {}, QUrl(server));
        if (!error.isEmpty()) {
            QVERIFY(!config.hasValue());
            QVERIFY2(config.error().contains(error), qPrintable(config.error()));
            return;
        }
        QVERIFY2(config.hasValue(), qPrintable(config.hasValue() ? QString() : config.error()));
        QCOMPARE(config->connection->server, QUrl(server));
        QCOMPARE(config->connection->bearerToken, token.toUtf8());
        QVERIFY(config->connection->ssl.isNull()); // the system's CAs
    }

    void errorFromResponse_data()
    {
        QTest::addColumn<int>("failure");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("ref");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("message");

        using Failure = canary::net::HttpResponse::Failure;
        const int none = int(Failure::None);
        QTest::newRow("Status 403") << none << 403
                                    << q("{'kind':'Status','apiVersion':'v1','metadata':{},'status':'Failure'"
                                         ",'message':'ingresses is forbidden',"
                                         "'reason':'Forbidden','details':{'kind':'ingresses'},'code':403}")
                                    << IngressRef << int(KubeError::Kind::Forbidden)
                                    << u"ingresses is forbidden"_s;
        QTest::newRow("Status without message uses the reason")
            << none << 409 << q("{'kind':'Status','status':'Failure','reason':'Conflict','code':409}")
            << IngressRef << int(KubeError::Kind::Conflict) << u"Conflict"_s;
        QTest::newRow("422 is rejected") << none << 422 << q("{'kind':'Status','message':'is invalid'}")
                                         << RouteRef << int(KubeError::Kind::Rejected) << u"is invalid"_s;
        QTest::newRow("group the cluster does not serve")
            << none << 404 << QByteArray("404 page not found\n") << TraefikRef
            << int(KubeError::Kind::NotFound)
            << u"the cluster does not serve traefik.io/v1alpha1 traefikservices (is the CRD installed? "
               u"Traefik "
               u"before v3 serves traefik.containo.us)"_s;
        QTest::newRow("HTML from a proxy")
            << none << 502 << QByteArray("<html><body><h1>502 Bad Gateway</h1></body></html>") << RouteRef
            << int(KubeError::Kind::ServerError) << u"an HTML page, not a Kubernetes Status"_s;
        QTest::newRow("plain text") << none << 500 << QByteArray("etcdserver: request timed out") << RouteRef
                                    << int(KubeError::Kind::ServerError)
                                    << u"etcdserver: request timed out"_s;
        QTest::newRow("401 says what to check")
            << none << 401 << q("{'kind':'Status','message':'Unauthorized'}") << RouteRef
            << int(KubeError::Kind::Unauthorized) << u"Unauthorized (the cluster did not accept the token"_s;
        QTest::newRow("transport") << int(Failure::Transport) << 0 << QByteArray() << RouteRef
                                   << int(KubeError::Kind::Transport) << u"Connection refused"_s;
        QTest::newRow("timeout") << int(Failure::Timeout) << 0 << QByteArray() << RouteRef
                                 << int(KubeError::Kind::Timeout) << u"Connection refused"_s;
    }

    void errorFromResponse()
    {
        QFETCH(int, failure);
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(QString, ref);
        QFETCH(int, kind);
        QFETCH(QString, message);
        canary::net::HttpResponse response;
        response.failure = canary::net::HttpResponse::Failure(failure);
        response.status = status;
        response.body = body;
        if (response.failure != canary::net::HttpResponse::Failure::None)
            response.errorString = u"Connection refused"_s;
        const KubeError error = canary::kube::errorFromResponse(response, ObjectRef::parse(ref).value());
        QCOMPARE(int(error.kind), kind);
        QCOMPARE(error.httpStatus, status);
        QVERIFY2(error.summary().startsWith(u"Kubernetes: "_s), qPrintable(error.summary()));
        QVERIFY2(error.message.contains(message), qPrintable(error.message));
    }

    // Found by fuzz_kubestatus: a Status with neither message nor reason gave an empty message.
    void errorFromResponse_statusWithoutMessageOrReason()
    {
        canary::net::HttpResponse response;
        response.body
            = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","mes":"Conflict",)"
              R"("details":{"name":"simplenodeservice","kind":"traefikservices"},"code":409})";
        const ObjectRef ref = ObjectRef::parse(TraefikRef).value();
        response.status = 409;
        QCOMPARE(canary::kube::errorFromResponse(response, ref).message, u"Conflict"_s);
        response.status = 422; // no reason phrase of its own
        QCOMPARE(canary::kube::errorFromResponse(response, ref).message, u"HTTP 422"_s);
    }
};

QTEST_GUILESS_MAIN(TestKubeBackend)
#include "tst_kubebackend.moc"
