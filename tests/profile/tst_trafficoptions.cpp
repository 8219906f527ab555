// A profile's traffic back-end settings reach the back-end the apps create; flags that are set win.
#include <QTest>

#include "environment/trafficbackendfactory.h"
#include "profile/profile.h"
#include "profile/trafficoptions.h"
#include "traffic/trafficbackend.h"

using namespace Qt::Literals::StringLiterals;
using canary::profile::Profile;
using canary::profile::TrafficOptions;

namespace {

// What the apps do with a resolved spec: build the back-end it names.
canary::Expected<std::unique_ptr<canary::traffic::TrafficBackend>, QString> built(
    canary::Expected<canary::traffic::BackendSpec, QString> spec)
{
    if (!spec)
        return spec.error();
    return canary::environment::makeTrafficBackend(std::move(spec).value());
}

struct Parsed
{
    explicit Parsed(const QStringList &flags)
    {
        options.addTo(parser);
        ok = parser.parse(QStringList { u"canary-console"_s } + flags);
    }
    QCommandLineParser parser;
    TrafficOptions options;
    bool ok = false;
};

Profile awxProfile()
{
    Profile profile;
    profile.name = u"Prod"_s;
    profile.dynatraceUrl = QUrl(u"https://abc12345.live.dynatrace.com"_s);
    profile.trafficBackend = u"awx"_s;
    profile.awxUrl = QUrl(u"https://awx.example.com"_s);
    profile.awxTemplate = u"Set canary weight"_s;
    return profile;
}

} // namespace

class TestTrafficOptions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void awxBackendFromTheProfile()
    {
        Parsed flags({});
        QVERIFY(flags.ok);
        QProcessEnvironment environment;
        environment.insert(u"CONTROLLER_OAUTH_TOKEN"_s, u"awx-token-from-keychain"_s);
        const Profile profile = awxProfile();
        auto backend = built(flags.options.backendSpec(
            flags.parser, environment, {}, {}, TrafficOptions::Backend::Awx, &profile));
        QVERIFY2(backend, qPrintable(backend ? QString() : backend.error()));
        const QString description = backend.value()->description();
        QVERIFY2(description.contains(u"Set canary weight"_s), qPrintable(description));
        QVERIFY2(description.contains(u"awx.example.com"_s), qPrintable(description));

        // Without the profile the same call says what is missing.
        auto bare = built(
            flags.options.backendSpec(flags.parser, environment, {}, {}, TrafficOptions::Backend::Awx));
        QVERIFY(!bare);
    }

    void flagsOverrideTheProfile()
    {
        Parsed flags({ u"--awx-template"_s, u"42"_s, u"--awx-url"_s, u"https://awx2.example.com"_s });
        QVERIFY(flags.ok);
        QProcessEnvironment environment;
        environment.insert(u"CONTROLLER_OAUTH_TOKEN"_s, u"t"_s);
        const Profile profile = awxProfile();
        auto backend = built(flags.options.backendSpec(
            flags.parser, environment, {}, {}, TrafficOptions::Backend::Awx, &profile));
        QVERIFY2(backend, qPrintable(backend ? QString() : backend.error()));
        const QString description = backend.value()->description();
        QVERIFY2(description.contains(u"42"_s), qPrintable(description));
        QVERIFY2(description.contains(u"awx2.example.com"_s), qPrintable(description));
    }

    void remediationTemplate_isWatchedAsAReset_data()
    {
        QTest::addColumn<QString>("action");
        QTest::addColumn<QList<int>>("watched");
        QTest::newRow("AWX template id") << u"9"_s << QList<int> { 9 };
        QTest::newRow("not a template") << u"NA"_s << QList<int> {};
        QTest::newRow("none") << QString() << QList<int> {};
    }

    void remediationTemplate_isWatchedAsAReset()
    {
        QFETCH(QString, action);
        QFETCH(QList<int>, watched);
        Parsed flags(action.isEmpty() ? QStringList {} : QStringList { u"--remediation-action"_s, action });
        QVERIFY(flags.ok);
        QProcessEnvironment environment;
        environment.insert(u"CONTROLLER_OAUTH_TOKEN"_s, u"t"_s);
        const Profile profile = awxProfile();
        const auto spec = flags.options.backendSpec(
            flags.parser, environment, {}, {}, TrafficOptions::Backend::Awx, &profile);
        QVERIFY2(spec, qPrintable(spec ? QString() : spec.error()));
        QCOMPARE(spec->awx.resetTemplateIds, watched);
    }

    void kubernetesBackendFromTheProfile()
    {
        Parsed flags({});
        QVERIFY(flags.ok);
        Profile profile = awxProfile();
        profile.trafficBackend = u"kubernetes"_s;
        profile.kubeObject = u"ingress/shop/shop-canary"_s;
        profile.kubeServer = QUrl(u"https://k8s.example.com:6443"_s);
        QProcessEnvironment environment;
        environment.insert(u"KUBE_TOKEN"_s, u"kube-token"_s);
        auto backend = built(flags.options.backendSpec(
            flags.parser, environment, {}, {}, TrafficOptions::Backend::Kubernetes, &profile));
        QVERIFY2(backend, qPrintable(backend ? QString() : backend.error()));
        const QString description = backend.value()->description();
        QVERIFY2(description.contains(u"shop-canary"_s), qPrintable(description));
        QVERIFY2(description.contains(u"k8s.example.com:6443"_s), qPrintable(description));

        profile.kubeObject.clear();
        auto missing = built(flags.options.backendSpec(
            flags.parser, environment, {}, {}, TrafficOptions::Backend::Kubernetes, &profile));
        QVERIFY(!missing);
        QVERIFY(missing.error().contains(u"--kube-object"_s));
    }

    // A token pasted as a flag is a usage error naming the flag and the kind, never the token.
    void tokenAsAFlagIsRefused_data()
    {
        QTest::addColumn<QString>("flag");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("kind");

        QTest::newRow("dynatrace as template")
            << u"--awx-template"_s << u"dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.SECRETSECRETSECRET"_s
            << u"a Dynatrace token"_s;
        QTest::newRow("awx token as canary var")
            << u"--awx-canary-var"_s << u"Xq7LmN2pR4sT6uV8wY0zA1bC3dE5fG"_s << u"an AWX token"_s;
        QTest::newRow("jwt as kube context")
            << u"--kube-context"_s << u"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJl"_s
            << u"a JSON Web Token"_s;
        QTest::newRow("token in the awx url")
            << u"--awx-url"_s << u"https://awx.example.com/?token=glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn"_s
            << u"a GitLab token"_s;
        QTest::newRow("bearer as stable build")
            << u"--stable-build"_s << u"Bearer opaque-0f9e8d7c6b5a"_s << u"a Bearer-scheme token"_s;
    }

    void tokenAsAFlagIsRefused()
    {
        QFETCH(QString, flag);
        QFETCH(QString, value);
        QFETCH(QString, kind);
        Parsed flags({ flag, value });
        QVERIFY(flags.ok);
        QProcessEnvironment environment;
        environment.insert(u"CONTROLLER_OAUTH_TOKEN"_s, u"t"_s);
        environment.insert(u"KUBE_TOKEN"_s, u"k"_s);
        Profile profile = awxProfile();
        profile.kubeObject = u"ingress/shop/checkout"_s;
        profile.kubeServer = QUrl(u"https://k8s.example.com:6443"_s);
        const QString secret = value.mid(value.lastIndexOf(u'.') + 1);
        for (const auto backend : { TrafficOptions::Backend::Awx, TrafficOptions::Backend::Kubernetes }) {
            const auto spec = flags.options.backendSpec(flags.parser, environment, {}, {}, backend, &profile);
            QVERIFY(!spec);
            QVERIFY2(spec.error().startsWith(flag + u" holds what looks like "_s + kind),
                qPrintable(spec.error()));
            QVERIFY2(!spec.error().contains(value), qPrintable(spec.error()));
            QVERIFY2(!spec.error().contains(secret), qPrintable(spec.error()));
        }
        if (flag == u"--awx-url"_s) {
            const auto connection = flags.options.awxConnection(flags.parser, environment, &profile);
            QVERIFY(connection && !*connection);
            QVERIFY2(connection->error().startsWith(u"--awx-url holds what looks like a GitLab token"_s),
                qPrintable(connection->error()));
        }
    }
};

QTEST_GUILESS_MAIN(TestTrafficOptions)
#include "tst_trafficoptions.moc"
