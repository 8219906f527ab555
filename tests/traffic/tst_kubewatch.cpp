#include <memory>

#include <QSignalSpy>
#include <QTest>

#include <nlohmann/json.hpp>

#include "fakeawxserver.h"
#include "kube/kubeclient.h"
#include "kube/objectwatch.h"
#include "net/restclient.h"
#include "sim/faultinjector.h"
#include "sim/kubeapi.h"
#include "sim/simserver.h"
#include "simfixture.h"
#include "traffic/kubetrafficbackend.h"
#include "traffic/splitwatch.h"
#include "traffic/trafficcontroller.h"

using namespace Qt::Literals::StringLiterals;
using canary::kube::ClusterConnection;
using canary::kube::ObjectRef;
using canary::kube::ObjectWatch;
using canary::sim::Fault;
using canary::sim::FaultInjector;
using canary::sim::KubeApi;
using canary::sim::KubeKind;
using canary::testing::SimFixture;
using canary::traffic::ChangeOrigin;
using canary::traffic::KubeBackendConfig;
using canary::traffic::KubeTrafficBackend;
using canary::traffic::Split;
using canary::traffic::SplitResult;
using canary::traffic::SplitWatch;
using canary::traffic::TrafficBackend;
using canary::traffic::TrafficController;

namespace {

const QString IngressRef = u"ingress/canary-jenkins/simplenodeservice-canary"_s;
const QString IngressPath
    = u"/apis/networking.k8s.io/v1/namespaces/canary-jenkins/ingresses/simplenodeservice-canary"_s;
const QString IngressCollection = u"/apis/networking.k8s.io/v1/namespaces/canary-jenkins/ingresses"_s;
const QString OutsideSource = u"kubectl-edit (Update) on Ingress simplenodeservice-canary"_s;
// Long enough that no cadence tick comes by itself during a test: only the watch, or tick(), reads.
constexpr int RestingCadenceMs = 3'600'000;

using Json = nlohmann::ordered_json;

// JSON in single quotes, for readable literals (moc reads no raw strings well).
QByteArray q(const char *json)
{
    return QByteArray(json).replace('\'', '"');
}

Json parsed(const QByteArray &json)
{
    return Json::parse(json.cbegin(), json.cend(), nullptr, false);
}

// The simulator with a Kubernetes back-end on its Ingress, the controller and the split watch over it.
struct WatchSim
{
    explicit WatchSim(const QString &token = {})
        : fixture(30, 1)
    {
        KubeBackendConfig config;
        config.object = ObjectRef::parse(IngressRef).value();
        config.connection = connection(token.isEmpty() ? fixture.environment->token() : token);
        backend = std::make_unique<KubeTrafficBackend>(config);
        backend->setWatchRetryDelays(20, 40);
        controller = std::make_unique<TrafficController>(backend.get(), nullptr);
        watch = std::make_unique<SplitWatch>(controller.get(), RestingCadenceMs);
    }
    ~WatchSim()
    {
        watch.reset();
        controller.reset();
        backend.reset();
    }

    ClusterConnection connection(const QString &token) const
    {
        ClusterConnection connection;
        connection.server = fixture.environment->baseUrl();
        connection.bearerToken = token.toUtf8();
        connection.namespaceName = KubeApi::Namespace;
        return connection;
    }

    // What kubectl edit does to the canary weight: a merge patch as the field manager "kubectl-edit".
    void kubectlEdit(int canaryWeight)
    {
        canary::net::RestClient rest(fixture.environment->baseUrl());
        canary::kube::KubeClient::configure(rest, connection(fixture.environment->token()));
        rest.setUserAgent("kubectl/v1.29.0 (linux/amd64) kubernetes/abc");
        const QByteArray body = q("{'metadata':{'annotations':{'nginx.ingress.kubernetes.io/canary-weight':'")
            + QByteArray::number(canaryWeight) + q("'}}}");
        auto *call = rest.send("PATCH", IngressPath, { { u"fieldManager"_s, u"kubectl-edit"_s } }, body,
            "application/merge-patch+json");
        QSignalSpy done(call, &canary::net::RestCall::finished);
        QVERIFY(done.wait(5000));
        QCOMPARE(done.front().front().value<canary::net::HttpResponse>().status, 200);
    }

    int gets() const { return faults().requestCount(FaultInjector::requestKey("GET", IngressPath)); }
    int watchRequests() const
    {
        return faults().requestCount(FaultInjector::requestKey("GET", IngressCollection));
    }
    FaultInjector &faults() const { return fixture.environment->faults(); }
    KubeApi &kube() { return fixture.environment->kube(); }

    // The controller's first read, then the watch from its version.
    bool startWatching()
    {
        QSignalSpy read(controller.get(), &TrafficController::splitRead);
        controller->refresh();
        if (!read.wait(5000))
            return false;
        watch->start();
        return QTest::qWaitFor(
            [this] { return backend->isWatching() && kube().openWatchCount() == 1; }, 5000);
    }

    SimFixture fixture;
    std::unique_ptr<KubeTrafficBackend> backend;
    std::unique_ptr<TrafficController> controller;
    std::unique_ptr<SplitWatch> watch;
};

} // namespace

class TestKubeWatch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void watchRequest_isTheDocumentedOne()
    {
        ObjectRef ref = ObjectRef::parse(IngressRef).value();
        QCOMPARE(ObjectWatch::collectionPath(ref), IngressCollection);
        const auto query = ObjectWatch::query(ref, u"481520"_s, 300);
        QCOMPARE(query,
            (canary::net::QueryItems { { u"watch"_s, u"1"_s },
                { u"fieldSelector"_s, u"metadata.name=simplenodeservice-canary"_s },
                { u"resourceVersion"_s, u"481520"_s }, { u"allowWatchBookmarks"_s, u"true"_s },
                { u"timeoutSeconds"_s, u"300"_s } }));
    }

    void outsidePatch_isNoticedByTheWatch_andReadWithItsOrigin()
    {
        WatchSim sim;
        QVERIFY(sim.startWatching());
        QSignalSpy outside(sim.controller.get(), &TrafficController::splitChangedOutside);

        sim.kubectlEdit(55);
        // The cadence rests for an hour: only the watch can bring this read.
        QTRY_COMPARE(outside.count(), 1);
        QCOMPARE(outside.front().at(0).value<Split>(), (Split { 70, 30 }));
        QCOMPARE(outside.front().at(1).value<Split>(), (Split { 45, 55 }));
        const auto origin = outside.front().at(2).value<ChangeOrigin>();
        QCOMPARE(origin.source, OutsideSource);
        QCOMPARE(origin.actor, QString());
        QCOMPARE(origin.at, QDateTime::fromMSecsSinceEpoch(sim.fixture.clock.nowMs() / 1000 * 1000, Qt::UTC));
        // The simulator's router names the same writer.
        QCOMPARE(sim.fixture.world().lastWeightChange().source, OutsideSource);
        QCOMPARE(sim.fixture.world().canaryWeight(), 55);
    }

    void watchLive_cadenceTicksCostNoGets()
    {
        WatchSim sim;
        QVERIFY(sim.startWatching());
        sim.faults().resetRequestCounts();
        QSignalSpy read(sim.controller.get(), &TrafficController::splitRead);
        for (int i = 0; i < 5; ++i)
            sim.watch->tick();
        QVERIFY(!sim.controller->isBusy()); // no tick started a read
        sim.kubectlEdit(60);
        QTRY_COMPARE(read.count(), 1);
        QCOMPARE(sim.gets(), 1); // the read the watch asked for, nothing else
        QCOMPARE(sim.watchRequests(), 0); // the same stream all along
    }

    void gone_midStream_rereadsNoticesAndWatchesOn()
    {
        WatchSim sim;
        QVERIFY(sim.startWatching());
        QSignalSpy noticed(sim.backend.get(), &TrafficBackend::changeNoticed);
        QSignalSpy watching(sim.backend.get(), &TrafficBackend::watchingChanged);
        sim.faults().resetRequestCounts();

        sim.kube().expireWatches();
        QTRY_COMPARE(noticed.count(), 1); // something may have been missed
        QTRY_COMPARE(sim.kube().openWatchCount(), 1);
        QTRY_VERIFY(sim.gets() >= 1); // the read the notice asked for
        QCOMPARE(sim.watchRequests(), 2); // a LIST for a version the server still keeps, the new watch
        QVERIFY(sim.backend->isWatching());
        QCOMPARE(watching.count(), 0);

        // The object is still watched: the next change comes through the new stream.
        QSignalSpy outside(sim.controller.get(), &TrafficController::splitChangedOutside);
        sim.kubectlEdit(45);
        QTRY_COMPARE(outside.count(), 1);
        QCOMPARE(outside.front().at(1).value<Split>(), (Split { 55, 45 }));
    }

    void gone_atOpen_rereadsAndWatchesFromTheFreshVersion()
    {
        WatchSim sim;
        QSignalSpy read(sim.controller.get(), &TrafficController::splitRead);
        sim.controller->refresh();
        QVERIFY(read.wait(5000));
        // The version of that read leaves the server's history.
        sim.kubectlEdit(50);
        sim.kube().compactHistory();
        QSignalSpy noticed(sim.backend.get(), &TrafficBackend::changeNoticed);
        QSignalSpy outside(sim.controller.get(), &TrafficController::splitChangedOutside);

        sim.watch->start();
        QTRY_VERIFY(noticed.count() >= 1);
        QTRY_VERIFY(sim.backend->isWatching());
        QTRY_COMPARE(outside.count(), 1); // the change the old version had missed
        QCOMPARE(outside.front().at(1).value<Split>(), (Split { 50, 50 }));
        QTRY_COMPARE(sim.kube().openWatchCount(), 1);
        QCOMPARE(noticed.count(), 1); // one 410, not one after another
    }

    void expiredStream_reopensFromTheLastVersion()
    {
        WatchSim sim;
        QVERIFY(sim.startWatching());
        QSignalSpy watching(sim.backend.get(), &TrafficBackend::watchingChanged);
        QSignalSpy noticed(sim.backend.get(), &TrafficBackend::changeNoticed);
        sim.faults().resetRequestCounts();

        sim.kube().endWatches(); // as timeoutSeconds does, with a BOOKMARK first
        QTRY_COMPARE(sim.watchRequests(), 1);
        QTRY_COMPARE(sim.kube().openWatchCount(), 1);
        QCOMPARE(watching.count(), 0); // never a gap that polling would fill
        QCOMPARE(noticed.count(), 0); // a bookmark is no change
        QCOMPARE(sim.gets(), 0);

        QSignalSpy outside(sim.controller.get(), &TrafficController::splitChangedOutside);
        sim.kubectlEdit(65);
        QTRY_COMPARE(outside.count(), 1);
    }

    void refusedWatch_fallsBackToPolling_andComesBackWhenAllowed()
    {
        // get and patch, but no watch verb.
        const QString token = u"no-watch-token"_s;
        WatchSim sim(token);
        sim.fixture.environment->server().addToken(token, { KubeApi::WriteScope });
        sim.watch->start();
        QTRY_VERIFY(sim.watchRequests() >= 2); // refused, then tried again
        QVERIFY(!sim.backend->isWatching());

        // Polling goes on meanwhile: a tick reads.
        const int before = sim.gets();
        sim.watch->tick();
        QTRY_COMPARE(sim.gets(), before + 1);

        sim.fixture.environment->server().addToken(token, { KubeApi::WriteScope, KubeApi::WatchScope });
        QTRY_VERIFY(sim.backend->isWatching());
        QSignalSpy outside(sim.controller.get(), &TrafficController::splitChangedOutside);
        sim.kubectlEdit(20);
        QTRY_COMPARE(outside.count(), 1);
    }

    void garbageWatch_fallsBackToPolling_andComesBack()
    {
        WatchSim sim;
        QSignalSpy read(sim.controller.get(), &TrafficController::splitRead);
        sim.controller->refresh();
        QVERIFY(read.wait(5000));
        QString error;
        QVERIFY2(sim.faults().addFault(
                     Fault { u"GET "_s + IngressCollection, Fault::Kind::MalformedJson, 0, 1 }, &error),
            qPrintable(error));
        QSignalSpy watching(sim.backend.get(), &TrafficBackend::watchingChanged);

        sim.watch->start();
        QTRY_VERIFY(watching.count() >= 3); // opened, garbage, opened again
        QCOMPARE(watching.at(1).front().toBool(), false);
        QVERIFY(sim.backend->isWatching());
        QTRY_COMPARE(sim.kube().openWatchCount(), 1);
    }

    void serverGone_watchEnds_andPollingResumes()
    {
        WatchSim sim;
        QVERIFY(sim.startWatching());
        sim.fixture.environment->server().stop();
        QTRY_VERIFY(!sim.backend->isWatching());
    }

    void stopAndDestroy_midStream_closeTheWatch()
    {
        WatchSim sim;
        QVERIFY(sim.startWatching());
        sim.watch->stop();
        QVERIFY(!sim.backend->isWatching());
        QTRY_COMPARE(sim.kube().openWatchCount(), 0);

        sim.watch->start();
        QTRY_COMPARE(sim.kube().openWatchCount(), 1);
        sim.watch.reset();
        sim.controller.reset();
        sim.backend.reset(); // with the stream open
        QTRY_COMPARE(sim.kube().openWatchCount(), 0);
    }

    void stopAndStartAgain_whileTheFirstListIsOut_watches()
    {
        WatchSim sim;
        sim.watch->start(); // no read yet: a LIST for the version goes out
        sim.watch->stop();
        sim.watch->start();
        QTRY_VERIFY(sim.backend->isWatching());
        QTRY_COMPARE(sim.kube().openWatchCount(), 1);
    }

    void ownPatch_isNamedCanaryConsole()
    {
        WatchSim sim;
        std::optional<SplitResult> applied;
        QObject context;
        sim.backend->applySplit(
            Split { 60, 40 }, &context, [&](const SplitResult &result) { applied = result; });
        QTRY_VERIFY(applied.has_value());
        QVERIFY(applied->hasValue());

        const Json object = parsed(sim.kube().objectJson(KubeKind::Ingress));
        const Json &fields = object["metadata"]["managedFields"];
        const auto entry = std::find_if(fields.begin(), fields.end(), [](const Json &candidate) {
            return candidate.value("manager", std::string()) == "canary-console";
        });
        QVERIFY2(entry != fields.end(), fields.dump().c_str());
        QCOMPARE(QString::fromStdString((*entry)["operation"].get<std::string>()), u"Update"_s);
        QVERIFY((*entry)["fieldsV1"]["f:metadata"]["f:annotations"].contains(
            "f:nginx.ingress.kubernetes.io/canary-weight"));
        QCOMPARE(sim.fixture.world().lastWeightChange().source,
            u"canary-console (Update) on Ingress simplenodeservice-canary"_s);

        bool readBack = false;
        sim.backend->readSplit(&context, [&](const SplitResult &) { readBack = true; });
        QTRY_VERIFY(readBack);
        QVERIFY(sim.backend->lastReadOrigin());
        QCOMPARE(sim.backend->lastReadOrigin()->source,
            u"canary-console (Update) on Ingress simplenodeservice-canary"_s);
    }

    void http410_listsForAFreshVersion_andWatchesFromIt()
    {
        // An API server may refuse the old version with an HTTP 410 instead of an ERROR event. The watch
        // starts from a LIST's version, which is the server's current one, not the object's (maybe old) own.
        using Response = canary::testing::FakeAwxServer::Response;
        canary::testing::FakeAwxServer server;
        QVERIFY(server.isListening());
        const auto list = [](int version) {
            return Response { 200,
                q("{'kind':'IngressList','apiVersion':'networking.k8s.io/v1','metadata':{'resourceVersion':'")
                    + QByteArray::number(version) + q("'},'items':[]}") };
        };
        server.on("GET", IngressCollection,
            { list(7),
                Response { 410,
                    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                    "\"message\":\"too old resource version: 7 [9]\",\"reason\":\"Expired\",\"code\":410}" },
                list(9),
                Response { 200,
                    q("{'type':'MODIFIED','object':{'kind':'Ingress','metadata':{'name':'simplenodeservice-"
                      "canary',"
                      "'resourceVersion':'10'}}}\n") },
                Response { 403, q("{'kind':'Status','code':403,'message':'no watch'}") } });

        KubeBackendConfig config;
        config.object = ObjectRef::parse(IngressRef).value();
        ClusterConnection connection;
        connection.server = server.url();
        connection.bearerToken = "token";
        config.connection = connection;
        KubeTrafficBackend backend(config);
        backend.setWatchRetryDelays(3'600'000, 3'600'000); // once refused, no more within the test
        QSignalSpy noticed(&backend, &TrafficBackend::changeNoticed);
        QVERIFY(backend.startWatching());

        QTRY_COMPARE(server.requests().size(), 5);
        QTRY_VERIFY(!backend.isWatching()); // refused at last: polling again
        QCOMPARE(noticed.count(), 2); // after the 410, then the change the new watch saw
        const QStringList requests = server.requests();
        const QString listing
            = u"GET "_s + IngressCollection + u"?fieldSelector=metadata.name%3Dsimplenodeservice-canary"_s;
        QCOMPARE(requests.at(0), listing);
        QVERIFY2(requests.at(1).contains(u"watch=1"_s) && requests.at(1).contains(u"resourceVersion=7&"_s),
            qPrintable(requests.at(1)));
        QCOMPARE(requests.at(2), listing);
        QVERIFY2(requests.at(3).contains(u"resourceVersion=9&"_s), qPrintable(requests.at(3)));
        QVERIFY2(requests.at(4).contains(u"resourceVersion=10&"_s), qPrintable(requests.at(4)));
    }

    void unparseableManagedFields_splitReads_originUnknown_data()
    {
        QTest::addColumn<QByteArray>("managedFields");
        QTest::newRow("not a list") << QByteArray(q("'garbage'"));
        QTest::newRow("entry without a manager") << QByteArray(q("[{'operation':'Update'}]"));
        QTest::newRow("manager not a string") << QByteArray(q("[{'manager':5,'operation':'Update'}]"));
        QTest::newRow("bad time") << QByteArray(
            q("[{'manager':'kubectl-edit','operation':'Update','time':'yesterday'}]"));
    }

    void unparseableManagedFields_splitReads_originUnknown()
    {
        QFETCH(QByteArray, managedFields);
        WatchSim sim;
        QObject context;
        std::optional<SplitResult> result;
        sim.backend->readSplit(&context, [&](const SplitResult &read) { result = read; });
        QTRY_VERIFY(result.has_value());
        QVERIFY(sim.backend->lastReadOrigin()); // known while the list is sound
        QVERIFY(sim.backend->lastReadOrigin()->source.endsWith(
            u"(Update) on Ingress simplenodeservice-canary"_s));

        sim.kube().setManagedFields(KubeKind::Ingress, managedFields);
        result.reset();
        sim.backend->readSplit(&context, [&](const SplitResult &read) { result = read; });
        QTRY_VERIFY(result.has_value());
        QVERIFY(result->hasValue());
        QCOMPARE(**result, (Split { 70, 30 }));
        QVERIFY(!sim.backend->lastReadOrigin());
    }
};

QTEST_GUILESS_MAIN(TestKubeWatch)
#include "tst_kubewatch.moc"
