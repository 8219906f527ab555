#include <QSignalSpy>
#include <QTest>

#include <nlohmann/json.hpp>

#include "net/restclient.h"
#include "net/reststream.h"
#include "sim/kubeapi.h"
#include "sim/simserver.h"
#include "simfixture.h"

using namespace Qt::Literals::StringLiterals;
using canary::net::HttpResponse;
using canary::net::QueryItems;
using canary::net::RestClient;
using canary::net::RestStream;
using canary::sim::KubeApi;
using canary::sim::KubeKind;
using canary::testing::SimFixture;

namespace {

using Json = nlohmann::ordered_json;

const QString Ingresses = u"/apis/networking.k8s.io/v1/namespaces/canary-jenkins/ingresses"_s;
const QString Ingress = Ingresses + u"/simplenodeservice-canary"_s;

Json parsed(const QByteArray &json)
{
    return Json::parse(json.cbegin(), json.cend(), nullptr, false);
}

std::string text(const Json &value)
{
    return value.is_string() ? value.get<std::string>() : value.dump();
}

// A watch as a test reads it: the lines so far, and how it ended.
struct RawWatch
{
    RawWatch(RestClient &rest, const QueryItems &query)
    {
        stream = rest.stream(Ingresses, query, 0);
        QObject::connect(
            stream, &RestStream::data, &context, [this](const QByteArray &bytes) { received += bytes; });
        QObject::connect(stream, &RestStream::finished, &context, [this](const HttpResponse &response) {
            end = response;
            ended = true;
        });
        QObject::connect(stream, &RestStream::opened, &context, [this](int status) { opened = status; });
    }
    QList<Json> events() const
    {
        QList<Json> lines;
        for (const QByteArray &line : received.split('\n')) {
            if (!line.isEmpty())
                lines.append(parsed(line));
        }
        return lines;
    }

    QObject context;
    RestStream *stream = nullptr;
    QByteArray received;
    HttpResponse end;
    int opened = 0;
    bool ended = false;
};

struct Sim
{
    Sim()
        : fixture(30, 1)
        , rest(fixture.environment->baseUrl())
    {
        rest.setAuthorization("Bearer " + fixture.environment->token().toUtf8());
    }

    qint64 version() const
    {
        return std::stoll(
            parsed(fixture.environment->kube().objectJson(KubeKind::Ingress))["metadata"]["resourceVersion"]
                .get<std::string>());
    }

    int patch(const QByteArray &body, const QueryItems &query = {}, const QByteArray &agent = {})
    {
        RestClient writer(fixture.environment->baseUrl());
        writer.setAuthorization("Bearer " + fixture.environment->token().toUtf8());
        if (!agent.isEmpty())
            writer.setUserAgent(agent);
        auto *call = writer.send("PATCH", Ingress, query, body, "application/merge-patch+json");
        QSignalSpy done(call, &canary::net::RestCall::finished);
        if (!done.wait(5000))
            return 0;
        return done.front().front().value<HttpResponse>().status;
    }

    static QByteArray weight(int canary)
    {
        return R"({"metadata":{"annotations":{"nginx.ingress.kubernetes.io/canary-weight":")"
            + QByteArray::number(canary) + R"("}}})";
    }

    SimFixture fixture;
    RestClient rest;
};

QueryItems watchFrom(qint64 version, const QString &name = u"simplenodeservice-canary"_s)
{
    return { { u"watch"_s, u"1"_s }, { u"fieldSelector"_s, u"metadata.name="_s + name },
        { u"resourceVersion"_s, QString::number(version) }, { u"allowWatchBookmarks"_s, u"true"_s },
        { u"timeoutSeconds"_s, u"60"_s } };
}

} // namespace

class TestSimKubeWatch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void watch_streamsEachChange_andEndsWithABookmark()
    {
        Sim sim;
        const qint64 from = sim.version();
        RawWatch watch(sim.rest, watchFrom(from));
        QTRY_COMPARE(sim.fixture.environment->kube().openWatchCount(), 1);
        QTRY_COMPARE(watch.opened, 200); // the server counts the watch before its head reaches the client

        QCOMPARE(sim.patch(Sim::weight(45)), 200);
        QTRY_COMPARE(watch.events().size(), 1);
        const Json event = watch.events().front();
        QCOMPARE(text(event["type"]), std::string("MODIFIED"));
        QCOMPARE(text(event["object"]["metadata"]["name"]), std::string("simplenodeservice-canary"));
        QCOMPARE(
            text(event["object"]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"]),
            std::string("45"));
        QVERIFY(!watch.ended); // still open

        sim.fixture.environment->kube().endWatches();
        QTRY_VERIFY(watch.ended);
        QCOMPARE(watch.end.failure, HttpResponse::Failure::None);
        QCOMPARE(watch.events().size(), 2);
        QCOMPARE(text(watch.events().back()["type"]), std::string("BOOKMARK"));
        // The server's version now: at least the object's (the other objects moved after it).
        QVERIFY(
            std::stoll(text(watch.events().back()["object"]["metadata"]["resourceVersion"])) > sim.version());
    }

    void watch_fromAnOldVersion_replaysWhatHappenedSince_onlyForTheSelectedName()
    {
        Sim sim;
        const qint64 from = sim.version();
        QCOMPARE(sim.patch(Sim::weight(40)), 200); // also rewrites the TraefikService and the HTTPRoute
        QCOMPARE(sim.patch(Sim::weight(50)), 200);
        RawWatch watch(sim.rest, watchFrom(from));
        QTRY_COMPARE(watch.events().size(), 2);
        for (const Json &event : watch.events())
            QCOMPARE(text(event["object"]["metadata"]["name"]), std::string("simplenodeservice-canary"));

        RawWatch other(sim.rest, watchFrom(from, u"someone-else"_s));
        QTRY_COMPARE(sim.fixture.environment->kube().openWatchCount(), 2);
        QCOMPARE(other.events().size(), 0);
    }

    void watch_fromACompactedVersion_isA410Error()
    {
        Sim sim;
        const qint64 from = sim.version();
        QCOMPARE(sim.patch(Sim::weight(40)), 200);
        sim.fixture.environment->kube().compactHistory();
        RawWatch watch(sim.rest, watchFrom(from));
        QTRY_VERIFY(watch.ended);
        QCOMPARE(watch.end.status, 200); // as the API server: the error is an event
        QCOMPARE(watch.events().size(), 1);
        const Json event = watch.events().front();
        QCOMPARE(text(event["type"]), std::string("ERROR"));
        QCOMPARE(event["object"]["code"].get<int>(), 410);
        QCOMPARE(text(event["object"]["reason"]), std::string("Expired"));
        QVERIFY(text(event["object"]["message"]).starts_with("too old resource version"));
    }

    void watch_withoutTheWatchVerb_isForbidden()
    {
        Sim sim;
        sim.fixture.environment->server().addToken(u"writer"_s, { KubeApi::WriteScope });
        sim.rest.setAuthorization("Bearer writer");
        RawWatch watch(sim.rest, watchFrom(sim.version()));
        QTRY_VERIFY(watch.ended);
        QCOMPARE(watch.end.status, 403);
        QVERIFY(watch.end.body.contains("cannot watch resource \\\"ingresses\\\""));
    }

    void watch_closesWhenTheServerStops()
    {
        Sim sim;
        RawWatch watch(sim.rest, watchFrom(sim.version()));
        QTRY_COMPARE(sim.fixture.environment->kube().openWatchCount(), 1);
        sim.fixture.environment->server().stop();
        QTRY_VERIFY(watch.ended);
        QCOMPARE(sim.fixture.environment->kube().openWatchCount(), 0);
    }

    void patch_keepsManagedFields_likeTheApiServer()
    {
        Sim sim;
        // No fieldManager: the User-Agent up to its first '/'.
        QCOMPARE(sim.patch(Sim::weight(35), {}, "kubectl/v1.29.0 (linux/amd64) kubernetes/abc"), 200);
        QCOMPARE(sim.patch(Sim::weight(45), { { u"fieldManager"_s, u"kubectl-edit"_s } }), 200);
        const Json object = parsed(sim.fixture.environment->kube().objectJson(KubeKind::Ingress));
        const Json &entries = object["metadata"]["managedFields"];
        const Json *kubectl = nullptr;
        const Json *edit = nullptr;
        for (const Json &entry : entries) {
            if (text(entry["manager"]) == "kubectl")
                kubectl = &entry;
            if (text(entry["manager"]) == "kubectl-edit")
                edit = &entry;
        }
        // kubectl-edit took the weight from kubectl, which owned nothing else and left the list.
        QVERIFY2(!kubectl, entries.dump().c_str());
        QVERIFY2(edit, entries.dump().c_str());
        QCOMPARE(text((*edit)["operation"]), std::string("Update"));
        QCOMPARE(text((*edit)["fieldsType"]), std::string("FieldsV1"));
        QCOMPARE(text((*edit)["apiVersion"]), std::string("networking.k8s.io/v1"));
        QCOMPARE(text((*edit)["time"]),
            QDateTime::fromMSecsSinceEpoch(sim.fixture.clock.nowMs() / 1000 * 1000, Qt::UTC)
                .toString(Qt::ISODate)
                .toStdString());
        QCOMPARE((*edit)["fieldsV1"].dump(),
            std::string(
                R"({"f:metadata":{"f:annotations":{"f:nginx.ingress.kubernetes.io/canary-weight":{}}}})"));
        QCOMPARE(sim.fixture.world().lastWeightChange().source,
            u"kubectl-edit (Update) on Ingress simplenodeservice-canary"_s);
    }
};

QTEST_GUILESS_MAIN(TestSimKubeWatch)
#include "tst_simkubewatch.moc"
