#include <memory>
#include <variant>

#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>

#include <nlohmann/json.hpp>

#include "sim/kubeapi.h"
#include "sim/kubepatch.h"
#include "sim/kubeweights.h"
#include "sim/simulatedenvironment.h"
#include "sim/world.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using canary::sim::KubeApi;
using canary::sim::KubeKind;
using canary::sim::KubePatch;
using canary::sim::KubeWeights;
using Json = nlohmann::ordered_json;

namespace {

constexpr qint64 StartMs = 1'795'687'200'000;

// The bodies below are written by hand after the controllers' documentation (ingress-nginx's canary
// annotations, Traefik's TraefikService, the Gateway API's HTTPRoute), never produced by the product's
// client.
Json object(const QByteArray &text)
{
    const QByteArray json = QByteArray(text).replace('\'', '"');
    Json parsed = Json::parse(json.cbegin(), json.cend(), nullptr, false);
    if (parsed.is_discarded())
        qFatal("test body is not JSON: %s", text.constData());
    return parsed;
}

const KubeWeights Weights(u"simplenodeservice-0"_s, u"simplenodeservice-1"_s);

Json ingressObject(const char *annotations, const char *backend = "simplenodeservice-1")
{
    QByteArray body = "{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','metadata':{'name':'c',"
                      "'annotations':{";
    body += annotations;
    body += "}},'spec':{'ingressClassName':'nginx','rules':[{'host':'a.example.com','http':{'paths':["
            "{'path':'/','pathType':'Prefix','backend':{'service':{'name':'";
    body += backend;
    body += "','port':{'number':80}}}}]}}]}}";
    return object(body);
}

Json traefikService(const char *services)
{
    QByteArray body = "{'apiVersion':'traefik.io/v1alpha1','kind':'TraefikService','metadata':{'name':'s'},"
                      "'spec':{'weighted':{'services':[";
    body += services;
    body += "]}}}";
    return object(body);
}

Json httpRoute(const char *rules)
{
    QByteArray body
        = "{'apiVersion':'gateway.networking.k8s.io/v1','kind':'HTTPRoute','metadata':{'name':'s'},"
          "'spec':{'parentRefs':[{'name':'gw'}],'rules':[";
    body += rules;
    body += "]}}";
    return object(body);
}

QString text(const Json &value)
{
    return QString::fromStdString(value.dump());
}

struct Simulator
{
    explicit Simulator(int canaryWeight)
        : clock(StartMs)
    {
        canary::sim::SimulatedEnvironment::Options options;
        options.clock = &clock;
        options.world.initialCanaryWeight = canaryWeight;
        environment = std::make_unique<canary::sim::SimulatedEnvironment>(options);
        QString error;
        if (!environment->start(&error))
            qFatal("cannot start the simulator: %s", qPrintable(error));
    }

    canary::VirtualClock clock;
    std::unique_ptr<canary::sim::SimulatedEnvironment> environment;
};

struct Answer
{
    int status = 0;
    Json body;
};

} // namespace

class TestSimKubeWeights : public QObject
{
    Q_OBJECT

private:
    Answer send(Simulator &sim, const QByteArray &verb, const QString &path, const QByteArray &body = {},
        const QByteArray &contentType = "application/merge-patch+json")
    {
        QUrl url = sim.environment->baseUrl();
        url.setPath(path);
        QNetworkRequest request(url);
        request.setRawHeader("Authorization", "Bearer " + sim.environment->token().toUtf8());
        if (!body.isEmpty())
            request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
        QNetworkReply *reply = m_nam.sendCustomRequest(request, verb, QByteArray(body).replace('\'', '"'));
        QSignalSpy finished(reply, &QNetworkReply::finished);
        if (!finished.wait(10'000))
            qFatal("no answer to %s %s", verb.constData(), qPrintable(path));
        Answer answer;
        answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray raw = reply->readAll();
        answer.body = Json::parse(raw.cbegin(), raw.cend(), nullptr, false);
        reply->deleteLater();
        return answer;
    }

    QNetworkAccessManager m_nam;

private Q_SLOTS:
    void initTestCase() { m_nam.setProxy(QNetworkProxy::NoProxy); }

    void ingress_data()
    {
        QTest::addColumn<QByteArray>("annotations");
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<int>("percent");
        const QByteArray canary = "'nginx.ingress.kubernetes.io/canary':'true'";
        const QByteArray service = "simplenodeservice-1";
        QTest::newRow("weight out of the default total of 100")
            << canary + ",'nginx.ingress.kubernetes.io/canary-weight':'30'" << service << 30;
        QTest::newRow("weight out of a total of 1000") << canary
                + ",'nginx.ingress.kubernetes.io/canary-weight':'250',"
                  "'nginx.ingress.kubernetes.io/canary-weight-total':'1000'"
                                                       << service << 25;
        QTest::newRow("no weight is 0") << canary << service << 0;
        QTest::newRow("weight above the total is everything")
            << canary + ",'nginx.ingress.kubernetes.io/canary-weight':'150'" << service << 100;
        QTest::newRow("not marked canary splits nothing")
            << QByteArray("'nginx.ingress.kubernetes.io/canary-weight':'30'") << service << 0;
        QTest::newRow("canary 'false'") << QByteArray("'nginx.ingress.kubernetes.io/canary':'false',"
                                                      "'nginx.ingress.kubernetes.io/canary-weight':'30'")
                                        << service << 0;
        QTest::newRow("Go's ParseBool takes 'True'")
            << QByteArray("'nginx.ingress.kubernetes.io/canary':'True',"
                          "'nginx.ingress.kubernetes.io/canary-weight':'40'")
            << service << 40;
        QTest::newRow("its backend is not the canary")
            << canary + ",'nginx.ingress.kubernetes.io/canary-weight':'30'"
            << QByteArray("simplenodeservice-0") << 0;
    }

    void ingress()
    {
        QFETCH(QByteArray, annotations);
        QFETCH(QByteArray, backend);
        QFETCH(int, percent);
        QCOMPARE(Weights.canaryPercent(
                     KubeKind::Ingress, ingressObject(annotations.constData(), backend.constData())),
            percent);
    }

    void weightedLists_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("percent");
        const int traefik = int(KubeKind::TraefikService);
        const int route = int(KubeKind::HttpRoute);
        QTest::newRow("traefik: weights need not add up to 100")
            << traefik
            << QByteArray("{'name':'simplenodeservice-0','kind':'Service','port':80,'weight':3},"
                          "{'name':'simplenodeservice-1','kind':'Service','port':80,'weight':1}")
            << 25;
        QTest::newRow("traefik: an absent weight is 1")
            << traefik
            << QByteArray("{'name':'simplenodeservice-0','port':80},{'name':'simplenodeservice-1',"
                          "'port':80,'weight':3}")
            << 75;
        QTest::newRow("traefik: canary listed first")
            << traefik
            << QByteArray(
                   "{'name':'simplenodeservice-1','weight':10},{'name':'simplenodeservice-0','weight':90}")
            << 10;
        QTest::newRow("traefik: a third backend takes its share")
            << traefik
            << QByteArray("{'name':'simplenodeservice-0','weight':50},{'name':'simplenodeservice-1','weight':"
                          "25},{'name':'maintenance','weight':25}")
            << 25;
        QTest::newRow("traefik: all weights 0 route nothing")
            << traefik
            << QByteArray(
                   "{'name':'simplenodeservice-0','weight':0},{'name':'simplenodeservice-1','weight':0}")
            << 0;
        QTest::newRow("httproute: no weights at all is an even split")
            << route
            << QByteArray(
                   "{'backendRefs':[{'name':'simplenodeservice-0','port':80},{'name':'simplenodeservice-1',"
                   "'port':80}]}")
            << 50;
        QTest::newRow("httproute: stable defaults to 1, canary 4")
            << route
            << QByteArray(
                   "{'backendRefs':[{'name':'simplenodeservice-0','port':80},{'name':'simplenodeservice-1',"
                   "'port':80,'weight':4}]}")
            << 80;
        QTest::newRow("httproute: a header rule is not the split, the catch-all is")
            << route
            << QByteArray(
                   "{'matches':[{'headers':[{'name':'x-canary','value':'always'}]}],'backendRefs':[{'name':"
                   "'simplenodeservice-1','weight':1}]},{'matches':[{'path':{'type':'PathPrefix','value':"
                   "'/'}}],'backendRefs':[{'name':'simplenodeservice-0','weight':900},{'name':"
                   "'simplenodeservice-1','weight':100}]}")
            << 10;
        QTest::newRow("httproute: a match without a path is PathPrefix /")
            << route
            << QByteArray("{'matches':[{}],'backendRefs':[{'name':'simplenodeservice-0','weight':1},{'name':"
                          "'simplenodeservice-1','weight':1000000}]}")
            << 100;
        QTest::newRow("httproute: only a weight-0 canary")
            << route << QByteArray("{'backendRefs':[{'name':'simplenodeservice-1','weight':0}]}") << 0;
    }

    void weightedLists()
    {
        QFETCH(int, kind);
        QFETCH(QByteArray, body);
        QFETCH(int, percent);
        const Json doc = KubeKind(kind) == KubeKind::TraefikService ? traefikService(body.constData())
                                                                    : httpRoute(body.constData());
        QCOMPARE(Weights.canaryPercent(KubeKind(kind), doc), percent);
    }

    // RFC 6902, a patch the product's client never sends: one operation on one weight.
    void jsonPatch_replaceOnABackendRefWeight()
    {
        const Json route = httpRoute("{'backendRefs':[{'name':'simplenodeservice-0','port':80,'weight':90},"
                                     "{'name':'simplenodeservice-1','port':80,'weight':10}]}");
        QCOMPARE(Weights.canaryPercent(KubeKind::HttpRoute, route), 10);
        const auto patched = KubePatch::apply(route, KubePatch::Type::JsonPatch,
            object("[{'op':'test','path':'/spec/rules/0/backendRefs/1/name','value':'simplenodeservice-1'},"
                   "{'op':'replace','path':'/spec/rules/0/backendRefs/1/weight','value':30}]"));
        QVERIFY(std::holds_alternative<Json>(patched));
        const Json &result = std::get<Json>(patched);
        QCOMPARE(text(result["spec"]["rules"][0]["backendRefs"][1]),
            u"{\"name\":\"simplenodeservice-1\",\"port\":80,\"weight\":30}"_s);
        QCOMPARE(Weights.canaryPercent(KubeKind::HttpRoute, result), 25); // 30 of 120

        // "remove" leaves the documented default of 1: 90 to 1.
        const auto removed = KubePatch::apply(route, KubePatch::Type::JsonPatch,
            object("[{'op':'remove','path':'/spec/rules/0/backendRefs/1/weight'}]"));
        QVERIFY(std::holds_alternative<Json>(removed));
        QCOMPARE(Weights.canaryPercent(KubeKind::HttpRoute, std::get<Json>(removed)), 1);
    }

    void jsonPatch_failingOperation_changesNothing()
    {
        const Json route = httpRoute("{'backendRefs':[{'name':'simplenodeservice-0','weight':90},"
                                     "{'name':'simplenodeservice-1','weight':10}]}");
        const auto failed = KubePatch::apply(route, KubePatch::Type::JsonPatch,
            object("[{'op':'replace','path':'/spec/rules/0/backendRefs/1/weight','value':50},"
                   "{'op':'test','path':'/spec/rules/0/backendRefs/0/weight','value':80}]"));
        QVERIFY(std::holds_alternative<KubePatch::Failure>(failed));
        QCOMPARE(std::get<KubePatch::Failure>(failed).status, 422);

        const auto notAList = KubePatch::apply(route, KubePatch::Type::JsonPatch, object("{'op':'replace'}"));
        QVERIFY(std::holds_alternative<KubePatch::Failure>(notAList));
        QCOMPARE(std::get<KubePatch::Failure>(notAList).status, 400);
        QCOMPARE(std::get<KubePatch::Failure>(notAList).message,
            u"json: cannot unmarshal object into Go value of type jsonpatch.Patch"_s);
    }

    void mergePatch_nullDeletesAWeight()
    {
        const Json services = traefikService("{'name':'simplenodeservice-0','weight':3},"
                                             "{'name':'simplenodeservice-1','weight':1}");
        const auto patched = KubePatch::apply(services, KubePatch::Type::Merge,
            object("{'spec':{'weighted':{'services':[{'name':'simplenodeservice-0'},"
                   "{'name':'simplenodeservice-1','weight':3}]}}}"));
        QVERIFY(std::holds_alternative<Json>(patched));
        QCOMPARE(Weights.canaryPercent(KubeKind::TraefikService, std::get<Json>(patched)), 75); // 3 of 1 + 3
    }

    void patchTypes()
    {
        QCOMPARE(KubePatch::typeOf("application/merge-patch+json; charset=utf-8"), KubePatch::Type::Merge);
        QCOMPARE(KubePatch::typeOf("application/json-patch+json"), KubePatch::Type::JsonPatch);
        QVERIFY(!KubePatch::typeOf("application/strategic-merge-patch+json"));
        QVERIFY(!KubePatch::typeOf("application/apply-patch+yaml"));
    }

    void writer_keepsEverythingButTheWeights()
    {
        const Json services
            = traefikService("{'name':'simplenodeservice-0','kind':'Service','port':80},"
                             "{'name':'simplenodeservice-1','kind':'Service','port':80,'weight':3},"
                             "{'name':'maintenance','port':8080,'weight':5}");
        const auto written = Weights.withCanaryPercent(KubeKind::TraefikService, services, 40);
        QVERIFY(written.has_value());
        QCOMPARE(text((*written)["spec"]["weighted"]["services"]),
            u"[{\"name\":\"simplenodeservice-0\",\"kind\":\"Service\",\"port\":80,\"weight\":60},"
            u"{\"name\":\"simplenodeservice-1\",\"kind\":\"Service\",\"port\":80,\"weight\":40},"
            u"{\"name\":\"maintenance\",\"port\":8080,\"weight\":0}]"_s);
        QCOMPARE(Weights.canaryPercent(KubeKind::TraefikService, *written), 40);

        // The weight is written over the total the Ingress declares.
        const auto ingressWritten = Weights.withCanaryPercent(KubeKind::Ingress,
            ingressObject("'nginx.ingress.kubernetes.io/canary':'true','nginx.ingress.kubernetes.io/"
                          "canary-weight-total':"
                          "'1000'"),
            40);
        QVERIFY(ingressWritten.has_value());
        QCOMPARE(
            text((*ingressWritten)["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"]),
            u"\"400\""_s);

        QVERIFY(!Weights.withCanaryPercent(
            KubeKind::Ingress, ingressObject("'nginx.ingress.kubernetes.io/canary-weight':'10'"), 40));
        QVERIFY(!Weights.withCanaryPercent(
            KubeKind::HttpRoute, httpRoute("{'backendRefs':[{'name':'simplenodeservice-0'}]}"), 40));
    }

    // Over HTTP: a merge patch the client would not write (a weight left out, weights of 1 and 3) moves the
    // world by the simulator's own reading.
    void mergePatchOverHttp_movesTheWorldByTheDocumentedDefault()
    {
        Simulator sim(30);
        const QString path = u"/apis/gateway.networking.k8s.io/v1/namespaces/canary-jenkins/httproutes/"
                             u"simplenodeservice"_s;
        QSignalSpy moves(&sim.environment->world(), &canary::sim::World::canaryWeightChanged);
        const Answer answer = send(sim, "PATCH", path,
            "{'spec':{'rules':[{'backendRefs':[{'name':'simplenodeservice-0','port':80},"
            "{'name':'simplenodeservice-1','port':80,'weight':3}]}]}}");
        QCOMPARE(answer.status, 200);
        QCOMPARE(sim.environment->world().canaryWeight(), 75);
        QCOMPARE(moves.count(), 1);
        QCOMPARE(moves.at(0).at(0).toInt(), 75);

        // The other objects follow the router, each in its own terms.
        const QByteArray traefikJson = sim.environment->kube().objectJson(KubeKind::TraefikService);
        const Json traefik = Json::parse(traefikJson.cbegin(), traefikJson.cend());
        QCOMPARE(text(traefik["spec"]["weighted"]["services"][1]["weight"]), u"75"_s);
        const QByteArray ingressJson = sim.environment->kube().objectJson(KubeKind::Ingress);
        const Json ingressObject = Json::parse(ingressJson.cbegin(), ingressJson.cend());
        QCOMPARE(text(ingressObject["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"]),
            u"\"75\""_s);
    }

    void staleResourceVersion_isAConflictStatus()
    {
        Simulator sim(30);
        const QString path = u"/apis/traefik.io/v1alpha1/namespaces/canary-jenkins/traefikservices/"
                             u"simplenodeservice"_s;
        const Answer read = send(sim, "GET", path);
        QCOMPARE(read.status, 200);
        const std::string version = read.body["metadata"]["resourceVersion"].get<std::string>();
        QVERIFY(send(sim, "PATCH", path, "{'metadata':{'labels':{'team':'canary'}}}").status == 200);

        const Answer stale = send(sim, "PATCH", path,
            QByteArray("{'metadata':{'resourceVersion':'") + QByteArray::fromStdString(version)
                + "'},'spec':{'weighted':{'services':[{'name':'simplenodeservice-1','weight':1}]}}}");
        QCOMPARE(stale.status, 409);
        QCOMPARE(text(stale.body),
            u"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
            u"\"Operation cannot be fulfilled on traefikservices.traefik.io \\\"simplenodeservice\\\": the "
            u"object "
            u"has been modified; please apply your changes to the latest version and try again\",\"reason\":"
            u"\"Conflict\",\"details\":{\"name\":\"simplenodeservice\",\"group\":\"traefik.io\",\"kind\":"
            u"\"traefikservices\"},\"code\":409}"_s);
        QCOMPARE(sim.environment->world().canaryWeight(), 30);
    }
};

QTEST_GUILESS_MAIN(TestSimKubeWeights)
#include "tst_simkubeweights.moc"
