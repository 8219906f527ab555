#include <QTest>

#include "profile/profile.h"
#include "profile/secretdestinations.h"
#include "profile/targetoptions.h"
#include "profile/trafficoptions.h"
#include "secrets/secretorigin.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using namespace canary::secrets;

// What a secret is bound to, and where a run would send it: pure functions, no keychain.
class TestSecretOrigin : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bindingOrigin_data();
    void bindingOrigin();
    void sealedEntryKeepsValueAndOrigin();
    void unsealedEntryIsAnOldOne();
    void sealedLookalikeIsUnreadable();
    void profileNamesAnOriginPerSecret();
    void runOriginFollowsFlagsThenEnvironmentThenProfile();
    void configFileNeverBindsOldEntries();
};

void TestSecretOrigin::bindingOrigin_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("origin");
    QTest::newRow("saas") << u"https://abc12345.live.dynatrace.com"_s
                          << u"https://abc12345.live.dynatrace.com"_s;
    QTest::newRow("case and default port")
        << u"HTTPS://ABC12345.Live.Dynatrace.com:443/"_s << u"https://abc12345.live.dynatrace.com"_s;
    QTest::newRow("managed environment")
        << u"https://dyna.corp/e/1111-2222/api/v2"_s << u"https://dyna.corp/e/1111-2222"_s;
    QTest::newRow("another managed environment is another origin")
        << u"https://dyna.corp/e/3333"_s << u"https://dyna.corp/e/3333"_s;
    QTest::newRow("activegate port") << u"https://ag.corp:9999/e/abc"_s << u"https://ag.corp:9999/e/abc"_s;
    QTest::newRow("awx path is not part of it")
        << u"https://awx.corp/api/controller/v2/"_s << u"https://awx.corp"_s;
    QTest::newRow("http default port") << u"http://127.0.0.1:80/x"_s << u"http://127.0.0.1"_s;
    QTest::newRow("http other port") << u"http://127.0.0.1:8080"_s << u"http://127.0.0.1:8080"_s;
    QTest::newRow("ipv6") << u"https://[::1]:6443"_s << u"https://[::1]:6443"_s;
    QTest::newRow("user info dropped") << u"https://user:pw@awx.corp/"_s << u"https://awx.corp"_s;
    QTest::newRow("idn in ascii") << u"https://bücher.example/"_s << u"https://xn--bcher-kva.example"_s;
    QTest::newRow("dot segments as sent")
        << u"https://dyna.corp/e/abc/../../e/xyz"_s << u"https://dyna.corp/e/xyz"_s;
    QTest::newRow("encoded dot segments")
        << u"https://dyna.corp/e/abc/%2e%2e/%2E%2E/e/xyz"_s << u"https://dyna.corp/e/xyz"_s;
    QTest::newRow("environment behind a proxy prefix")
        << u"https://proxy.corp/dt/e/abc/api/v2"_s << u"https://proxy.corp/dt/e/abc"_s;
    QTest::newRow("escapes stay escaped")
        << u"https://dyna.corp/e/%1B]0;PWN%07"_s << u"https://dyna.corp/e/%1B]0;PWN%07"_s;
    QTest::newRow("not http") << u"ftp://awx.corp/"_s << QString();
    QTest::newRow("no host") << u"https:///path"_s << QString();
    QTest::newRow("empty") << QString() << QString();
}

void TestSecretOrigin::bindingOrigin()
{
    QFETCH(QString, url);
    QFETCH(QString, origin);
    QCOMPARE(secrets::bindingOrigin(QUrl(url)), origin);
}

void TestSecretOrigin::sealedEntryKeepsValueAndOrigin()
{
    // A password may have any character, also quotes and JSON.
    for (const QString &value : { u"dt0c01.A.B"_s, u"  pass \" word\" {} "_s, u"{\" value\":1}"_s }) {
        const BoundSecret bound = unsealSecret(sealSecret(value, u"https://awx.corp"_s));
        QCOMPARE(bound.state, BoundSecret::State::Sealed);
        QCOMPARE(bound.value, value);
        QCOMPARE(bound.origin, u"https://awx.corp"_s);
    }
}

void TestSecretOrigin::unsealedEntryIsAnOldOne()
{
    for (const QString &old : { u"dt0c01.A.B"_s, u"{not json"_s, u"{\"other\":1}"_s }) {
        const BoundSecret bound = unsealSecret(old);
        QCOMPARE(bound.state, BoundSecret::State::Old);
        QCOMPARE(bound.value, old);
        QVERIFY(bound.origin.isEmpty());
    }
}

// What claims to be sealed and is not exactly that is never taken for an old entry: that would bind the whole
// text, secret included, to whatever origin the profile names now.
void TestSecretOrigin::sealedLookalikeIsUnreadable()
{
    const QString secret = u"dt0c01.LOOKALIKE.SECRET"_s;
    for (const QString &forged :
        { u"{\"canary-secret\":2,\"origin\":\"https://a.example\",\"value\":\"%1\"}"_s.arg(secret),
            u"{\"canary-secret\":\"1\",\"origin\":\"https://a.example\",\"value\":\"%1\"}"_s.arg(secret),
            u"{\"canary-secret\":1,\"origin\":\"\",\"value\":\"%1\"}"_s.arg(secret),
            u"{\"canary-secret\":1,\"value\":\"%1\"}"_s.arg(secret),
            u"{\"canary-secret\":1,\"origin\":\"HTTPS://A.example:443\",\"value\":\"%1\"}"_s.arg(secret),
            u"{\"canary-secret\":1,\"origin\":\"https://a.example/\u001b[31m\",\"value\":\"%1\"}"_s.arg(
                secret),
            u"{\"canary-secret\":1,\"origin\":\"https://a.example\",\"value\":7}"_s,
            u"{\"canary-secret\":1,\"origin\":\"https://a.example\",\"value\":\"\"}"_s }) {
        const BoundSecret bound = unsealSecret(forged);
        QCOMPARE(bound.state, BoundSecret::State::Unreadable);
        QVERIFY(bound.value.isEmpty());
        QVERIFY(bound.origin.isEmpty());
    }
}

void TestSecretOrigin::profileNamesAnOriginPerSecret()
{
    profile::Profile prod;
    prod.name = u"prod"_s;
    prod.dynatraceUrl = QUrl(u"https://abc.apps.dynatrace.com"_s); // normalised to the classic host
    prod.awxUrl = QUrl(u"https://awx.corp/api/v2/"_s);
    prod.kubeServer = QUrl(u"https://k8s.corp:6443"_s);
    QCOMPARE(profile::secretOrigin(prod, SecretName::DynatraceToken), u"https://abc.live.dynatrace.com"_s);
    QCOMPARE(profile::secretOrigin(prod, SecretName::AwxToken), u"https://awx.corp"_s);
    QCOMPARE(profile::secretOrigin(prod, SecretName::AwxPassword), u"https://awx.corp"_s);
    QCOMPARE(profile::secretOrigin(prod, SecretName::KubeToken), u"https://k8s.corp:6443"_s);
    // An AWX named only by CONTROLLER_HOST is no origin a secret can be saved for.
    prod.awxUrl.clear();
    QVERIFY(profile::secretOrigin(prod, SecretName::AwxToken).isEmpty());
}

void TestSecretOrigin::runOriginFollowsFlagsThenEnvironmentThenProfile()
{
    profile::TargetOptions target;
    profile::TrafficOptions traffic;
    QCommandLineParser parser;
    target.addTo(parser);
    traffic.addTo(parser);
    profile::Profile prod;
    prod.name = u"prod"_s;
    prod.dynatraceUrl = QUrl(u"https://prod.live.dynatrace.com"_s);
    prod.awxUrl = QUrl(u"https://awx.corp"_s);
    prod.kubeServer = QUrl(u"https://k8s.corp"_s);

    QVERIFY(parser.parse({ u"canaryctl"_s }));
    const SecretDestinations plain = profile::secretDestinations(parser, {}, target, traffic, &prod, &prod);
    QCOMPARE(plain.dynatrace.runOrigin, u"https://prod.live.dynatrace.com"_s);
    QCOMPARE(plain.dynatrace.profileOrigin, u"https://prod.live.dynatrace.com"_s);
    QCOMPARE(plain.awx.runOrigin, u"https://awx.corp"_s);
    QCOMPARE(plain.kube.runOrigin, u"https://k8s.corp"_s);

    // The environment's URLs win over the profile's: the keychain's secrets must not follow them.
    QProcessEnvironment environment;
    environment.insert(u"DT_ENV_URL"_s, u"https://other.live.dynatrace.com"_s);
    const SecretDestinations fromEnvironment
        = profile::secretDestinations(parser, environment, target, traffic, &prod, &prod);
    QCOMPARE(fromEnvironment.dynatrace.runOrigin, u"https://other.live.dynatrace.com"_s);
    QCOMPARE(fromEnvironment.dynatrace.profileOrigin, u"https://prod.live.dynatrace.com"_s);

    // Flags win over both.
    QVERIFY(parser.parse({ u"canaryctl"_s, u"--dynatrace-url"_s, u"https://flag.live.dynatrace.com"_s,
        u"--awx-url"_s, u"https://awx.flag"_s, u"--kube-server"_s, u"https://k8s.flag:6443"_s }));
    const SecretDestinations fromFlags
        = profile::secretDestinations(parser, environment, target, traffic, &prod, &prod);
    QCOMPARE(fromFlags.dynatrace.runOrigin, u"https://flag.live.dynatrace.com"_s);
    QCOMPARE(fromFlags.awx.runOrigin, u"https://awx.flag"_s);
    QCOMPARE(fromFlags.kube.runOrigin, u"https://k8s.flag:6443"_s);
    QCOMPARE(fromFlags.awx.profileOrigin, u"https://awx.corp"_s);
}

void TestSecretOrigin::configFileNeverBindsOldEntries()
{
    profile::TargetOptions target;
    profile::TrafficOptions traffic;
    QCommandLineParser parser;
    target.addTo(parser);
    traffic.addTo(parser);
    QVERIFY(parser.parse({ u"canaryctl"_s }));
    profile::Profile borrowed; // a --config file that calls itself "prod"
    borrowed.name = u"prod"_s;
    borrowed.dynatraceUrl = QUrl(u"https://attacker.example"_s);
    const SecretDestinations destinations
        = profile::secretDestinations(parser, {}, target, traffic, &borrowed, nullptr);
    QCOMPARE(destinations.dynatrace.runOrigin, u"https://attacker.example"_s);
    QVERIFY(destinations.dynatrace.profileOrigin.isEmpty());
}

QTEST_GUILESS_MAIN(TestSecretOrigin)
#include "tst_secretorigin.moc"
