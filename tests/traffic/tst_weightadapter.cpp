#include <QTest>

#include <nlohmann/json.hpp>

#include "traffic/weightadapter.h"

using namespace Qt::Literals::StringLiterals;
using canary::kube::KubeObject;
using canary::traffic::Split;
using canary::traffic::WeightAdapter;
using canary::traffic::WeightOptions;
using Kind = canary::kube::ObjectRef::Kind;

namespace {

// JSON written with single quotes, to keep the tables readable.
QByteArray q(const char *json)
{
    return QByteArray(json).replace('\'', '"');
}

KubeObject object(const QByteArray &json)
{
    const auto parsed = KubeObject::fromJson(json);
    if (!parsed)
        qFatal("bad test object: %s", qPrintable(parsed.error()));
    return parsed.value();
}

QByteArray ingress(const char *annotations)
{
    return q("{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','metadata':{'name':'web-canary',"
             "'namespace':'shop','resourceVersion':'42','annotations':{")
        + q(annotations) + q("}},'spec':{}}");
}

QByteArray traefik(const char *services)
{
    return q("{'apiVersion':'traefik.io/"
             "v1alpha1','kind':'TraefikService','metadata':{'name':'simplenodeservice',"
             "'namespace':'canary-jenkins','resourceVersion':'7'},'spec':{'weighted':{'services':[")
        + q(services) + q("]}}}");
}

QByteArray route(const char *backendRefs)
{
    return q("{'apiVersion':'gateway.networking.k8s.io/v1','kind':'HTTPRoute','metadata':{'name':'web',"
             "'namespace':'shop','resourceVersion':'9'},'spec':{'rules':[{'matches':[{'path':{'type':'"
             "PathPrefix',"
             "'value':'/'}}],'backendRefs':[")
        + q(backendRefs) + q("]},{'backendRefs':[{'name':'other','port':80}]}]}}");
}

const char *const WorkshopServices = "{'name':'simplenodeservice-0','kind':'Service','port':80,'weight':70},"
                                     "{'name':'simplenodeservice-1','kind':'Service','port':80,'weight':30}";

} // namespace

class TestWeightAdapter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readSplit_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("prefix");
        QTest::addColumn<QString>("canaryName");
        QTest::addColumn<int>("canary"); // -1: an error containing `error`
        QTest::addColumn<QString>("error");

        const int ing = int(Kind::Ingress);
        const int ts = int(Kind::TraefikService);
        const int hr = int(Kind::HttpRoute);
        const QString nginx; // the default prefix

        QTest::newRow("ingress 30") << ing
                                    << ingress(
                                           "'nginx.ingress.kubernetes.io/"
                                           "canary':'true','nginx.ingress.kubernetes.io/canary-weight':'30'")
                                    << nginx << QString() << 30 << QString();
        QTest::newRow("ingress without a weight is 0")
            << ing << ingress("'nginx.ingress.kubernetes.io/canary':'true'") << nginx << QString() << 0
            << QString();
        QTest::newRow("ingress over a total of 1000")
            << ing
            << ingress("'nginx.ingress.kubernetes.io/canary':'true','nginx.ingress.kubernetes.io/"
                       "canary-weight':'305',"
                       "'nginx.ingress.kubernetes.io/canary-weight-total':'1000'")
            << nginx << QString() << 31 << QString();
        QTest::newRow("ingress total below 100 is ignored")
            << ing
            << ingress("'nginx.ingress.kubernetes.io/canary':'true','nginx.ingress.kubernetes.io/"
                       "canary-weight':'30',"
                       "'nginx.ingress.kubernetes.io/canary-weight-total':'50'")
            << nginx << QString() << 30 << QString();
        QTest::newRow("ingress weight above the total sends everything")
            << ing
            << ingress("'nginx.ingress.kubernetes.io/canary':'true','nginx.ingress.kubernetes.io/"
                       "canary-weight':'150'")
            << nginx << QString() << 100 << QString();
        QTest::newRow("ingress with another prefix")
            << ing << ingress("'ingress.example.com/canary':'true','ingress.example.com/canary-weight':'45'")
            << u"ingress.example.com"_s << QString() << 45 << QString();
        QTest::newRow("ingress with the other prefix's annotations only")
            << ing << ingress("'nginx.ingress.kubernetes.io/canary':'true'") << u"ingress.example.com"_s
            << QString() << -1 << u"not a canary Ingress: it has no annotation ingress.example.com/canary"_s;
        QTest::newRow("main ingress (no canary annotation)")
            << ing << ingress("'kubernetes.io/ingress.class':'nginx'") << nginx << QString() << -1
            << u"not a canary Ingress"_s;
        QTest::newRow("canary annotation false")
            << ing
            << ingress("'nginx.ingress.kubernetes.io/canary':'false','nginx.ingress.kubernetes.io/"
                       "canary-weight':'30'")
            << nginx << QString() << -1
            << u"not a canary Ingress: annotation nginx.ingress.kubernetes.io/canary is \"false\""_s;
        QTest::newRow("weight that is not a string")
            << ing
            << ingress("'nginx.ingress.kubernetes.io/canary':'true','nginx.ingress.kubernetes.io/"
                       "canary-weight':30")
            << nginx << QString() << -1 << u"annotations are strings"_s;
        QTest::newRow("weight that is not a number")
            << ing
            << ingress("'nginx.ingress.kubernetes.io/canary':'true','nginx.ingress.kubernetes.io/"
                       "canary-weight':'abc'")
            << nginx << QString() << -1 << u"is \"abc\", not a whole number"_s;

        QTest::newRow("traefik workshop 70/30")
            << ts << traefik(WorkshopServices) << nginx << QString() << 30 << QString();
        QTest::newRow("traefik as the chart creates it (1 and 0)")
            << ts
            << traefik("{'name':'simplenodeservice-0','weight':1},{'name':'simplenodeservice-1','weight':0}")
            << nginx << QString() << 0 << QString();
        QTest::newRow("traefik weights default to 1")
            << ts << traefik("{'name':'a'},{'name':'b'}") << nginx << QString() << 50 << QString();
        QTest::newRow("traefik 3 to 1") << ts << traefik("{'name':'a','weight':3},{'name':'b','weight':1}")
                                        << nginx << QString() << 25 << QString();
        QTest::newRow("traefik canary named, listed first")
            << ts << traefik("{'name':'green','weight':30},{'name':'blue','weight':70}") << nginx
            << u"green"_s << 30 << QString();
        QTest::newRow("traefik three entries, canary named")
            << ts << traefik("{'name':'a','weight':50},{'name':'b','weight':25},{'name':'c','weight':25}")
            << nginx << u"c"_s << 25 << QString();
        QTest::newRow("traefik three entries, canary not named")
            << ts << traefik("{'name':'a'},{'name':'b'},{'name':'c'}") << nginx << QString() << -1
            << u"has 3 entries (a, b, c): name the canary backend"_s;
        QTest::newRow("traefik all weights 0")
            << ts << traefik("{'name':'a','weight':0},{'name':'b','weight':0}") << nginx << QString() << -1
            << u"every weight in spec.weighted.services is 0"_s;
        QTest::newRow("traefik negative weight")
            << ts << traefik("{'name':'a','weight':-1},{'name':'b','weight':1}") << nginx << QString() << -1
            << u"spec.weighted.services[0].weight is negative"_s;
        QTest::newRow("traefik weight as a string")
            << ts << traefik("{'name':'a','weight':'50'},{'name':'b','weight':1}") << nginx << QString() << -1
            << u"spec.weighted.services[0].weight is a string, not a whole number"_s;
        QTest::newRow("traefik unknown canary name")
            << ts << traefik(WorkshopServices) << nginx << u"blue"_s << -1 << u"no entry named 'blue'"_s;
        QTest::newRow("traefik mirroring, not weighted")
            << ts << q("{'kind':'TraefikService','metadata':{'name':'m'},'spec':{'mirroring':{'name':'a'}}}")
            << nginx << QString() << -1 << u"spec.weighted.services is missing"_s;

        QTest::newRow("httproute 90/10")
            << hr << route("{'name':'stable','port':80,'weight':90},{'name':'canary','port':80,'weight':10}")
            << nginx << QString() << 10 << QString();
        QTest::newRow("httproute weights default to 1")
            << hr << route("{'name':'stable','port':80},{'name':'canary','port':80}") << nginx << QString()
            << 50 << QString();
        QTest::newRow("httproute canary by name")
            << hr << route("{'name':'canary','weight':1},{'name':'stable','weight':3}") << nginx
            << u"canary"_s << 25 << QString();
        QTest::newRow("httproute zero sum")
            << hr << route("{'name':'stable','weight':0},{'name':'canary','weight':0}") << nginx << QString()
            << -1 << u"every weight in spec.rules[0].backendRefs is 0"_s;
        QTest::newRow("httproute without rules")
            << hr << q("{'kind':'HTTPRoute','metadata':{'name':'web'},'spec':{'rules':[]}}") << nginx
            << QString() << -1 << u"spec.rules is missing or empty"_s;
    }

    void readSplit()
    {
        QFETCH(int, kind);
        QFETCH(QByteArray, json);
        QFETCH(QString, prefix);
        QFETCH(QString, canaryName);
        QFETCH(int, canary);
        QFETCH(QString, error);

        WeightOptions options;
        if (!prefix.isEmpty())
            options.annotationPrefix = prefix;
        options.canaryBackendName = canaryName;
        const auto split = WeightAdapter(Kind(kind), options).readSplit(object(json));
        if (canary < 0) {
            QVERIFY(!split.hasValue());
            QVERIFY2(split.error().contains(error), qPrintable(split.error()));
            return;
        }
        QVERIFY2(split.hasValue(), qPrintable(split.hasValue() ? QString() : split.error()));
        QCOMPARE(split->canary, canary);
        QCOMPARE(split->stable, 100 - canary);
    }

    void splitPatch_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("canaryName");
        QTest::addColumn<int>("canary");
        QTest::addColumn<QByteArray>("patch");

        QTest::newRow("ingress: the two annotations, as strings")
            << int(Kind::Ingress)
            << ingress("'nginx.ingress.kubernetes.io/canary':'true','nginx.ingress.kubernetes.io/"
                       "canary-weight':'0'")
            << QString() << 30
            << q("{'metadata':{'resourceVersion':'42','annotations':{'nginx.ingress.kubernetes.io/"
                 "canary':'true',"
                 "'nginx.ingress.kubernetes.io/canary-weight':'30'}}}");
        QTest::newRow("ingress keeps the total in force")
            << int(Kind::Ingress)
            << ingress("'nginx.ingress.kubernetes.io/canary':'true','nginx.ingress.kubernetes.io/"
                       "canary-weight-total':'1000'")
            << QString() << 7
            << q("{'metadata':{'resourceVersion':'42','annotations':{'nginx.ingress.kubernetes.io/"
                 "canary':'true',"
                 "'nginx.ingress.kubernetes.io/canary-weight':'70'}}}");
        QTest::newRow("traefik: the whole list, other fields kept")
            << int(Kind::TraefikService) << traefik(WorkshopServices) << QString() << 100
            << q("{'metadata':{'resourceVersion':'7'},'spec':{'weighted':{'services':["
                 "{'name':'simplenodeservice-0','kind':'Service','port':80,'weight':0},"
                 "{'name':'simplenodeservice-1','kind':'Service','port':80,'weight':100}]}}}");
        QTest::newRow("traefik: weights added where absent, canary named first")
            << int(Kind::TraefikService) << traefik("{'name':'green'},{'name':'blue'}") << u"green"_s << 10
            << q("{'metadata':{'resourceVersion':'7'},'spec':{'weighted':{'services':["
                 "{'name':'green','weight':10},{'name':'blue','weight':90}]}}}");
        QTest::newRow("traefik: a third entry gets nothing")
            << int(Kind::TraefikService)
            << traefik("{'name':'a','weight':50},{'name':'b','weight':25},{'name':'c','weight':25}") << u"c"_s
            << 40
            << q("{'metadata':{'resourceVersion':'7'},'spec':{'weighted':{'services':["
                 "{'name':'a','weight':60},{'name':'b','weight':0},{'name':'c','weight':40}]}}}");
        QTest::newRow("httproute: every rule resent, only the first reweighed")
            << int(Kind::HttpRoute)
            << route("{'group':'','kind':'Service','name':'stable','port':80,'weight':1},"
                     "{'group':'','kind':'Service','name':'canary','port':80,'weight':0}")
            << QString() << 25
            << q("{'metadata':{'resourceVersion':'9'},'spec':{'rules':[{'matches':[{'path':{'type':'"
                 "PathPrefix',"
                 "'value':'/"
                 "'}}],'backendRefs':[{'group':'','kind':'Service','name':'stable','port':80,'weight':75},"
                 "{'group':'','kind':'Service','name':'canary','port':80,'weight':25}]},"
                 "{'backendRefs':[{'name':'other','port':80}]}]}}");
    }

    void splitPatch()
    {
        QFETCH(int, kind);
        QFETCH(QByteArray, json);
        QFETCH(QString, canaryName);
        QFETCH(int, canary);
        QFETCH(QByteArray, patch);

        WeightOptions options;
        options.canaryBackendName = canaryName;
        const auto built
            = WeightAdapter(Kind(kind), options).splitPatch(object(json), *Split::fromCanaryPercent(canary));
        QVERIFY2(built.hasValue(), qPrintable(built.hasValue() ? QString() : built.error()));
        QCOMPARE(*built, patch);
    }

    // Every percentage survives the trip: patch, apply as the API server does (RFC 7386), read back.
    void patchThenRead_roundTrips_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QByteArray>("json");

        QTest::newRow("ingress") << int(Kind::Ingress)
                                 << ingress("'nginx.ingress.kubernetes.io/canary':'true'");
        QTest::newRow("ingress, total 1000")
            << int(Kind::Ingress)
            << ingress("'nginx.ingress.kubernetes.io/canary':'true','nginx.ingress.kubernetes.io/"
                       "canary-weight-total':'1000'");
        QTest::newRow("ingress, total 150")
            << int(Kind::Ingress)
            << ingress("'nginx.ingress.kubernetes.io/canary':'true','nginx.ingress.kubernetes.io/"
                       "canary-weight-total':'150'");
        QTest::newRow("traefik") << int(Kind::TraefikService) << traefik(WorkshopServices);
        QTest::newRow("httproute") << int(Kind::HttpRoute) << route("{'name':'stable'},{'name':'canary'}");
    }

    void patchThenRead_roundTrips()
    {
        QFETCH(int, kind);
        QFETCH(QByteArray, json);
        const WeightAdapter adapter { Kind(kind) };
        for (int percent = 0; percent <= 100; ++percent) {
            const auto patch = adapter.splitPatch(object(json), *Split::fromCanaryPercent(percent));
            QVERIFY(patch.hasValue());
            auto target = nlohmann::json::parse(json.toStdString());
            target.merge_patch(nlohmann::json::parse(patch->toStdString()));
            const auto read = adapter.readSplit(object(QByteArray::fromStdString(target.dump())));
            QVERIFY(read.hasValue());
            QCOMPARE(read->canary, percent);
        }
    }

    void splitPatch_refuses_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<int>("stable");
        QTest::addColumn<int>("canary");
        QTest::addColumn<QString>("error");

        QTest::newRow("not a canary ingress")
            << int(Kind::Ingress) << ingress("'a':'b'") << 70 << 30 << u"not a canary Ingress"_s;
        QTest::newRow("no resourceVersion")
            << int(Kind::TraefikService)
            << q("{'kind':'TraefikService','metadata':{'name':'x'},'spec':{'weighted':{'services':[]}}}")
            << 70 << 30 << u"no metadata.resourceVersion"_s;
        QTest::newRow("split that does not add up") << int(Kind::TraefikService) << traefik(WorkshopServices)
                                                    << 50 << 60 << u"50/60 is not a split of 100 %"_s;
        QTest::newRow("one backend only")
            << int(Kind::HttpRoute) << route("{'name':'only'}") << 70 << 30 << u"has 1 entries (only)"_s;
    }

    void splitPatch_refuses()
    {
        QFETCH(int, kind);
        QFETCH(QByteArray, json);
        QFETCH(int, stable);
        QFETCH(int, canary);
        QFETCH(QString, error);
        const auto built = WeightAdapter(Kind(kind)).splitPatch(object(json), Split { stable, canary });
        QVERIFY(!built.hasValue());
        QVERIFY2(built.error().contains(error), qPrintable(built.error()));
    }

    void emptyPrefix_meansTheDefault()
    {
        const WeightAdapter adapter(Kind::Ingress, WeightOptions { QString(), QString() });
        QCOMPARE(adapter.options().annotationPrefix, u"nginx.ingress.kubernetes.io"_s);
    }
};

QTEST_GUILESS_MAIN(TestWeightAdapter)
#include "tst_weightadapter.moc"
