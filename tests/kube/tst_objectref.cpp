#include <QTest>

#include "kube/objectref.h"

using namespace Qt::Literals::StringLiterals;
using canary::kube::ObjectRef;
using Kind = canary::kube::ObjectRef::Kind;

class TestObjectRef : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parses_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("namespaceName");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("apiPath");
        QTest::addColumn<QString>("canonical");

        QTest::newRow("ingress")
            << u"ingress/canary-jenkins/simplenodeservice-canary"_s << int(Kind::Ingress)
            << u"canary-jenkins"_s << u"simplenodeservice-canary"_s
            << u"/apis/networking.k8s.io/v1/namespaces/canary-jenkins/ingresses/simplenodeservice-canary"_s
            << u"ingress/canary-jenkins/simplenodeservice-canary"_s;
        QTest::newRow("traefikservice")
            << u"traefikservice/canary-jenkins/simplenodeservice"_s << int(Kind::TraefikService)
            << u"canary-jenkins"_s << u"simplenodeservice"_s
            << u"/apis/traefik.io/v1alpha1/namespaces/canary-jenkins/traefikservices/simplenodeservice"_s
            << u"traefikservice/canary-jenkins/simplenodeservice"_s;
        QTest::newRow("httproute") << u"httproute/shop/web"_s << int(Kind::HttpRoute) << u"shop"_s << u"web"_s
                                   << u"/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/web"_s
                                   << u"httproute/shop/web"_s;
        QTest::newRow("plural, upper case, spaces")
            << u"  Ingresses/shop/web.v2 "_s << int(Kind::Ingress) << u"shop"_s << u"web.v2"_s
            << u"/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web.v2"_s << u"ingress/shop/web.v2"_s;
        QTest::newRow("kubectl short name")
            << u"ing/shop/web"_s << int(Kind::Ingress) << u"shop"_s << u"web"_s
            << u"/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web"_s << u"ingress/shop/web"_s;
        QTest::newRow("older Traefik group")
            << u"traefikservices.traefik.containo.us/shop/web"_s << int(Kind::TraefikService) << u"shop"_s
            << u"web"_s << u"/apis/traefik.containo.us/v1alpha1/namespaces/shop/traefikservices/web"_s
            << u"traefikservice.traefik.containo.us/shop/web"_s;
        QTest::newRow("default group spelled out")
            << u"httproute.gateway.networking.k8s.io/shop/web"_s << int(Kind::HttpRoute) << u"shop"_s
            << u"web"_s << u"/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/web"_s
            << u"httproute/shop/web"_s;
    }

    void parses()
    {
        QFETCH(QString, text);
        QFETCH(int, kind);
        QFETCH(QString, namespaceName);
        QFETCH(QString, name);
        QFETCH(QString, apiPath);
        QFETCH(QString, canonical);

        const auto ref = ObjectRef::parse(text);
        QVERIFY2(ref.hasValue(), qPrintable(ref.hasValue() ? QString() : ref.error()));
        QCOMPARE(int(ref->kind), kind);
        QCOMPARE(ref->namespaceName, namespaceName);
        QCOMPARE(ref->name, name);
        QCOMPARE(ref->apiPath(), apiPath);
        QCOMPARE(ref->toString(), canonical);
        // What toString() writes reads back as the same reference.
        QCOMPARE(ObjectRef::parse(ref->toString()).value(), *ref);
    }

    void withoutNamespace_leavesItToTheContext()
    {
        const auto ref = ObjectRef::parse(u"traefikservice/simplenodeservice"_s);
        QVERIFY(ref.hasValue());
        QVERIFY(ref->namespaceName.isEmpty());
        QCOMPARE(ref->toString(), u"traefikservice/simplenodeservice"_s);
        QCOMPARE(ref->displayName(), u"traefikservice simplenodeservice"_s);
    }

    void namesTheResourceAsTheApiServerDoes()
    {
        const auto ingress = ObjectRef::parse(u"ingress/ns/a"_s).value();
        QCOMPARE(ingress.qualifiedResource(), u"ingresses.networking.k8s.io"_s);
        QCOMPARE(ingress.kindName(), u"Ingress"_s);
        QCOMPARE(ingress.apiVersion(), u"networking.k8s.io/v1"_s);
        QCOMPARE(ingress.displayName(), u"ingress ns/a"_s);
        const auto route = ObjectRef::parse(u"httproute/ns/a"_s).value();
        QCOMPARE(route.kindName(), u"HTTPRoute"_s);
        QCOMPARE(route.qualifiedResource(), u"httproutes.gateway.networking.k8s.io"_s);
        const auto traefik = ObjectRef::parse(u"traefikservice.traefik.containo.us/ns/a"_s).value();
        QCOMPARE(traefik.kindName(), u"TraefikService"_s);
        QCOMPARE(traefik.apiVersion(), u"traefik.containo.us/v1alpha1"_s);
    }

    void refuses_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");

        QTest::newRow("empty") << QString() << u"is not an object reference"_s;
        QTest::newRow("kind only") << u"ingress"_s << u"is not an object reference"_s;
        QTest::newRow("too many parts") << u"ingress/a/b/c"_s << u"is not an object reference"_s;
        QTest::newRow("unsupported kind")
            << u"deployment/shop/web"_s << u"'deployment' is not a kind that holds a traffic split"_s;
        QTest::newRow("istio not yet") << u"virtualservice/shop/web"_s << u"ingress/NAMESPACE/NAME"_s;
        QTest::newRow("wrong group") << u"ingress.extensions/shop/web"_s
                                     << u"not served by API group 'extensions'"_s;
        QTest::newRow("bad namespace") << u"ingress/Shop_1/web"_s << u"'Shop_1' is not a valid namespace"_s;
        QTest::newRow("dots in namespace") << u"ingress/a.b/web"_s << u"not a valid namespace"_s;
        QTest::newRow("bad name") << u"ingress/shop/Web"_s << u"'Web' is not a valid object name"_s;
        QTest::newRow("empty name") << u"ingress/shop/"_s << u"is not a valid object name"_s;
    }

    void refuses()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const auto ref = ObjectRef::parse(text);
        QVERIFY(!ref.hasValue());
        QVERIFY2(ref.error().contains(expected), qPrintable(ref.error()));
    }
};

QTEST_GUILESS_MAIN(TestObjectRef)
#include "tst_objectref.moc"
