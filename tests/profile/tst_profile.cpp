#include <functional>

#include <QTest>

#include "profile/profile.h"

using namespace Qt::Literals::StringLiterals;
using canary::profile::Profile;

using Change = std::function<void(Profile &)>;
Q_DECLARE_METATYPE(Change)

namespace {

Profile valid()
{
    Profile profile;
    profile.name = u"Prod EU"_s;
    profile.dynatraceUrl = QUrl(u"https://abc12345.live.dynatrace.com"_s);
    return profile;
}

} // namespace

class TestProfile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void demo()
    {
        const Profile demo = Profile::demo();
        QCOMPARE(demo.name, u"Demo"_s);
        QVERIFY(demo.isDemo());
        QVERIFY(demo.dynatraceUrl.isEmpty()); // the embedded simulator
        QCOMPARE(demo.trafficBackend, u"sim"_s);
        QCOMPARE(demo.validate(), QStringList());
        QCOMPARE(demo.toTarget().refreshIntervalMs, 5'000);
        QCOMPARE(demo.toTarget().resolution, u"10s"_s);
        QVERIFY(!valid().isDemo());
    }

    void defaults()
    {
        const Profile profile;
        QCOMPARE(profile.refreshSeconds, 60);
        QCOMPARE(profile.from, u"now-30m"_s);
        QCOMPARE(profile.entitySelector, canary::session::Target::defaultEntitySelector());
        QCOMPARE(profile.metricSelector, canary::session::Target::defaultMetricSelector());
        QCOMPARE(profile.failureMetricSelector, u"calc:service.failures_by_build"_s);
        QCOMPARE(profile.responseTimeMetricSelector, u"calc:service.responsetime_by_build"_s);
        QCOMPARE(profile.awxApiPath, u"/api/v2/"_s);
        QCOMPARE(profile.awxAuth, u"token"_s);
        QCOMPARE(profile.countdownSeconds, 30);
        QVERIFY(profile.confirmRollback);
        QVERIFY(!profile.autoRemediate);
        QVERIFY(!profile.allowInsecureTls);
        QCOMPARE(profile.guardRailPolicy(), canary::traffic::GuardRailPolicy());
        QCOMPARE(profile.guardMaxStepPercent, 25);
        QCOMPARE(profile.guardMinIntervalSeconds, 300);
        QCOMPARE(valid().validate(), QStringList());
    }

    void validate_data()
    {
        QTest::addColumn<Change>("change");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("message");
        QTest::newRow("empty name") << Change([](Profile &p) { p.name = u" "_s; }) << u"name"_s
                                    << u"name must not be empty"_s;
        QTest::newRow("slash in name") << Change([](Profile &p) { p.name = u"a/b"_s; }) << u"name"_s
                                       << u"name must not contain '/' or '\\', not 'a/b'"_s;
        QTest::newRow("ftp url")
            << Change([](Profile &p) { p.dynatraceUrl = QUrl(u"ftp://h.example.com"_s); })
            << u"dynatrace.url"_s
            << u"dynatrace.url must be an http(s) URL with a host, not 'ftp://h.example.com'"_s;
        QTest::newRow("credentials in url")
            << Change([](Profile &p) { p.dynatraceUrl = QUrl(u"https://me:pw@h.example.com"_s); })
            << u"dynatrace.url"_s
            << u"dynatrace.url must not carry a user name or password: the API token lives in the keychain "
               u"or "
               "DT_API_TOKEN"_s;
        QTest::newRow("plain http to another host")
            << Change([](Profile &p) { p.awxUrl = QUrl(u"http://awx.example.com"_s); }) << u"awx.url"_s
            << u"awx.url must use https:// (plain http only to this machine, where tokens cannot be read on "
               u"the "
               "way): 'http://awx.example.com'"_s;
        QTest::newRow("empty entity selector")
            << Change([](Profile &p) { p.entitySelector.clear(); }) << u"target.entity-selector"_s
            << u"target.entity-selector must not be empty"_s;
        QTest::newRow("two-line selector")
            << Change([](Profile &p) { p.metricSelector = u"a\nb"_s; }) << u"target.metric-selector"_s
            << u"target.metric-selector must be one line of text"_s;
        QTest::newRow("two-line failure metric")
            << Change([](Profile &p) { p.failureMetricSelector = u"a\nb"_s; }) << u"target.failure-metric"_s
            << u"target.failure-metric must be one line of text"_s;
        QTest::newRow("two-line response-time metric")
            << Change([](Profile &p) { p.responseTimeMetricSelector = u"a\rb"_s; })
            << u"target.response-time-metric"_s << u"target.response-time-metric must be one line of text"_s;
        QTest::newRow("same builds")
            << Change([](Profile &p) { p.stableBuild = p.canaryBuild = u"1.0"_s; })
            << u"target.canary-build"_s
            << u"target.stable-build and target.canary-build must differ, not both '1.0'"_s;
        QTest::newRow("refresh too short") << Change([](Profile &p) { p.refreshSeconds = 2; }) << u"refresh"_s
                                           << u"refresh must be at least 5 seconds, not 2"_s;
        QTest::newRow("refresh too long")
            << Change([](Profile &p) { p.refreshSeconds = 90'000; }) << u"refresh"_s
            << u"refresh must be at most 86400 seconds (a day), not 90000"_s;
        QTest::newRow("empty from") << Change([](Profile &p) { p.from.clear(); }) << u"from"_s
                                    << u"from must not be empty (e.g. now-30m)"_s;
        QTest::newRow("unknown backend")
            << Change([](Profile &p) { p.trafficBackend = u"istio"_s; }) << u"traffic.backend"_s
            << u"traffic.backend must be sim, awx or kubernetes, not 'istio'"_s;
        QTest::newRow("awx without template")
            << Change([](Profile &p) { p.trafficBackend = u"awx"_s; }) << u"awx.template"_s
            << u"traffic.backend awx needs awx.template (the job template's "
               "name or id)"_s;
        QTest::newRow("kubernetes without object")
            << Change([](Profile &p) { p.trafficBackend = u"kubernetes"_s; }) << u"kube.object"_s
            << u"traffic.backend kubernetes needs kube.object (ingress/NS/NAME, traefikservice/NS/NAME or "
               "httproute/NS/NAME)"_s;
        QTest::newRow("bad kube object")
            << Change([](Profile &p) { p.kubeObject = u"pod/x/y"_s; }) << u"kube.object"_s << QString();
        QTest::newRow("awx url credentials")
            << Change([](Profile &p) { p.awxUrl = QUrl(u"https://admin:pw@awx.example.com"_s); })
            << u"awx.url"_s
            << u"awx.url must not carry a user name or password: credentials live in the keychain or "
               "CONTROLLER_USERNAME and CONTROLLER_PASSWORD"_s;
        QTest::newRow("api path") << Change([](Profile &p) {
            p.awxApiPath = u"/api/v1/"_s;
        }) << u"awx.api-path"_s << u"awx.api-path must be /api/v2/ or /api/controller/v2/, not '/api/v1/'"_s;
        QTest::newRow("auth kind") << Change([](Profile &p) { p.awxAuth = u"oauth"_s; }) << u"awx.auth"_s
                                   << u"awx.auth must be token or basic, not 'oauth'"_s;
        QTest::newRow("extra var")
            << Change([](Profile &p) { p.awxCanaryVar = u"canary weight"_s; }) << u"awx.canary-var"_s
            << u"awx.canary-var must be an extra-var name (letters, digits and _), not "
               "'canary weight'"_s;
        QTest::newRow("origin with path")
            << Change([](Profile &p) { p.allowedOrigins = { u"https://gitlab.example.com/group/x"_s }; })
            << u"rollback.allow-origin"_s
            << u"rollback.allow-origin: 'https://gitlab.example.com/group/x' is not an http(s) origin "
               "(scheme://host[:port])"_s;
        QTest::newRow("origin not http")
            << Change([](Profile &p) { p.allowedOrigins = { u"gitlab.example.com"_s }; })
            << u"rollback.allow-origin"_s
            << u"rollback.allow-origin: 'gitlab.example.com' is not an http(s) origin (scheme://host[:port])"_s;
        QTest::newRow("countdown") << Change([](Profile &p) { p.countdownSeconds = 1; })
                                   << u"auto-remediation.countdown"_s
                                   << u"auto-remediation.countdown must be at least 5 seconds, not 1"_s;
        QTest::newRow("guard step 0")
            << Change([](Profile &p) { p.guardMaxStepPercent = 0; }) << u"guard.max-step"_s
            << u"guard.max-step must be between 1 and 100 percentage points, not 0"_s;
        QTest::newRow("guard step 101")
            << Change([](Profile &p) { p.guardMaxStepPercent = 101; }) << u"guard.max-step"_s
            << u"guard.max-step must be between 1 and 100 percentage points, not 101"_s;
        QTest::newRow("guard interval negative")
            << Change([](Profile &p) { p.guardMinIntervalSeconds = -1; }) << u"guard.min-interval"_s
            << u"guard.min-interval must be between 0 (no cool-down) and 86400 seconds (a day), not -1"_s;
        QTest::newRow("guard interval over a day")
            << Change([](Profile &p) { p.guardMinIntervalSeconds = 86'401; }) << u"guard.min-interval"_s
            << u"guard.min-interval must be between 0 (no cool-down) and 86400 seconds (a day), not 86401"_s;
        QTest::newRow("relative ca bundle")
            << Change([](Profile &p) { p.caBundle = u"ca.pem"_s; }) << u"tls.ca-bundle"_s
            << u"tls.ca-bundle must be an absolute path, not 'ca.pem'"_s;

        // A token in any text field is one problem naming the field and the kind, never the value; it
        // replaces the field's own problems, which would quote it.
        const QString dt = u"dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.SECRETPART0123456789SECRETPART0123456789"_s;
        const QString awx = u"Xq7LmN2pR4sT6uV8wY0zA1bC3dE5fG"_s;
        const QString jwt = u"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJl"_s;
        const auto tokenRow
            = [](const char *name, Change change, const QString &key, const QString &kind) {
                  QTest::newRow(name)
                      << change << key
                      << u"%1 holds what looks like %2 (not shown): tokens belong in the keychain or "
                         "the environment (DT_API_TOKEN, CONTROLLER_OAUTH_TOKEN, KUBE_TOKEN), never "
                         "in %1"_s.arg(key, kind);
              };
        tokenRow("token as name", Change([awx](Profile &p) { p.name = awx; }), u"name"_s, u"an AWX token"_s);
        tokenRow("token in the dynatrace url", Change([dt](Profile &p) {
            p.dynatraceUrl = QUrl(u"https://abc12345.live.dynatrace.com/?api-token="_s + dt);
        }),
            u"dynatrace.url"_s, u"a Dynatrace token"_s);
        tokenRow("cut-off token as metric selector",
            Change([](Profile &p) { p.metricSelector = u"dt0c01.ABCDEF"_s; }), u"target.metric-selector"_s,
            u"a Dynatrace token"_s);
        tokenRow("token as entity selector", Change([dt](Profile &p) { p.entitySelector = dt; }),
            u"target.entity-selector"_s, u"a Dynatrace token"_s);
        tokenRow("token as failure metric", Change([jwt](Profile &p) { p.failureMetricSelector = jwt; }),
            u"target.failure-metric"_s, u"a JSON Web Token"_s);
        tokenRow("token as response-time metric",
            Change([awx](Profile &p) { p.responseTimeMetricSelector = awx; }),
            u"target.response-time-metric"_s, u"an AWX token"_s);
        tokenRow("token as build dimension", Change([dt](Profile &p) { p.buildDimension = dt; }),
            u"target.build-dimension"_s, u"a Dynatrace token"_s);
        tokenRow("token as stable build", Change([dt](Profile &p) { p.stableBuild = dt; }),
            u"target.stable-build"_s, u"a Dynatrace token"_s);
        tokenRow("token as from", Change([awx](Profile &p) { p.from = awx; }), u"from"_s, u"an AWX token"_s);
        tokenRow("token as resolution", Change([awx](Profile &p) { p.resolution = awx; }), u"resolution"_s,
            u"an AWX token"_s);
        tokenRow("token as back-end", Change([awx](Profile &p) { p.trafficBackend = awx; }),
            u"traffic.backend"_s, u"an AWX token"_s);
        tokenRow("token in the awx url",
            Change([](Profile &p) { p.awxUrl = QUrl(u"https://awx.example.com/?access_token=abc"_s); }),
            u"awx.url"_s, u"a credential named access_token"_s);
        tokenRow("token as awx user", Change([awx](Profile &p) { p.awxUsername = awx; }), u"awx.username"_s,
            u"an AWX token"_s);
        tokenRow("token as canary var", Change([awx](Profile &p) { p.awxCanaryVar = awx; }),
            u"awx.canary-var"_s, u"an AWX token"_s);
        tokenRow("token as kube object",
            Change([jwt](Profile &p) { p.kubeObject = u"ingress/shop/"_s + jwt; }), u"kube.object"_s,
            u"a JSON Web Token"_s);
        tokenRow("token as kube context", Change([jwt](Profile &p) { p.kubeContext = jwt; }),
            u"kube.context"_s, u"a JSON Web Token"_s);
        tokenRow("token in the kube server", Change([jwt](Profile &p) {
            p.kubeServer = QUrl(u"https://k8s.example.com:6443/?token="_s + jwt);
        }),
            u"kube.server"_s, u"a JSON Web Token"_s);
        tokenRow("token as an allowed origin", Change([](Profile &p) {
            p.allowedOrigins = { u"https://gitlab.example.com/?t=glptt-0123456789abcdef"_s };
        }),
            u"rollback.allow-origin"_s, u"a GitLab token"_s);
        tokenRow("token as ca bundle", Change([dt](Profile &p) { p.caBundle = dt; }), u"tls.ca-bundle"_s,
            u"a Dynatrace token"_s);
    }

    void validate()
    {
        QFETCH(Change, change);
        QFETCH(QString, key);
        QFETCH(QString, message);
        Profile profile = valid();
        change(profile);
        const auto problems = profile.problems();
        QCOMPARE(problems.size(), 1);
        QCOMPARE(problems.front().key, key);
        if (!message.isEmpty())
            QCOMPARE(problems.front().message, message);
        // Never a token's secret part, whichever field it was in.
        for (const char *secret :
            { "SECRETPART", "Xq7LmN2pR4sT6uV8wY0zA1bC3dE5fG", "c2lnbmF0dXJl", "ABCDEF", "glptt-" })
            QVERIFY2(!problems.front().message.contains(QLatin1String(secret)),
                qPrintable(problems.front().message));
        QCOMPARE(profile.validate(), QStringList { problems.front().message });
    }

    void validate_reportsEveryProblem()
    {
        Profile profile = valid();
        profile.refreshSeconds = 1;
        profile.trafficBackend = u"awx"_s;
        profile.countdownSeconds = 0;
        const QStringList problems = profile.validate();
        QCOMPARE(problems.size(), 3);
        QVERIFY(problems[0].startsWith(u"refresh"_s));
        QVERIFY(problems[1].contains(u"awx.template"_s));
        QVERIFY(problems[2].startsWith(u"auto-remediation.countdown"_s));
    }

    void normalised()
    {
        Profile profile = valid();
        profile.name = u"  Prod EU "_s;
        profile.dynatraceUrl = QUrl(u"https://abc12345.apps.dynatrace.com/"_s);
        profile.trafficBackend = u"K8s"_s;
        profile.awxUrl = QUrl(u"https://awx.example.com/api/controller/v2/"_s);
        profile.allowedOrigins = { u" https://gitlab.example.com:443/ "_s,
            u"http://ansible.10.0.0.1.nip.io"_s, u"https://gitlab.example.com"_s };
        profile.entitySelector = u" type(SERVICE) "_s;
        profile.kubeObject = u"ingress/canary-jenkins/simplenodeservice-canary"_s;

        const Profile normal = profile.normalised();
        QCOMPARE(normal.name, u"Prod EU"_s);
        // The new platform's UI host does not serve the classic API.
        QCOMPARE(normal.dynatraceUrl.toString(), u"https://abc12345.live.dynatrace.com"_s);
        QCOMPARE(normal.trafficBackend, u"kubernetes"_s);
        QCOMPARE(normal.awxUrl.toString(), u"https://awx.example.com"_s);
        QCOMPARE(normal.awxApiPath, u"/api/controller/v2/"_s);
        QCOMPARE(normal.allowedOrigins,
            QStringList({ u"https://gitlab.example.com"_s, u"http://ansible.10.0.0.1.nip.io"_s }));
        QCOMPARE(normal.entitySelector, u"type(SERVICE)"_s);
        QCOMPARE(normal.validate(), QStringList());
        QCOMPARE(normal.normalised(), normal);
    }

    void toTarget()
    {
        Profile profile = valid();
        profile.entitySelector = u"type(SERVICE),entityId(\"SERVICE-1\")"_s;
        profile.metricSelector = u"calc:service.requests"_s;
        profile.failureMetricSelector.clear();
        profile.responseTimeMetricSelector = u"calc:service.rt"_s;
        profile.buildDimension = u"Build"_s;
        profile.from = u"now-2h"_s;
        profile.resolution = u"1m"_s;
        profile.refreshSeconds = 30;
        const canary::session::Target target = profile.toTarget();
        QCOMPARE(target.dynatraceUrl, profile.dynatraceUrl);
        QCOMPARE(target.entitySelector, profile.entitySelector);
        QCOMPARE(target.metricSelector, profile.metricSelector);
        QCOMPARE(target.failureMetricSelector, QString());
        QCOMPARE(target.responseTimeMetricSelector, u"calc:service.rt"_s);
        QCOMPARE(target.buildDimension, u"Build"_s);
        QCOMPARE(target.from, u"now-2h"_s);
        QCOMPARE(target.resolution, u"1m"_s);
        QCOMPARE(target.refreshIntervalMs, 30'000);
    }

    void toAwxConfig_carriesNoSecret()
    {
        Profile profile = valid();
        profile.awxUrl = QUrl(u"https://awx.example.com"_s);
        profile.awxAuth = u"basic"_s;
        profile.awxUsername = u"operator"_s;
        profile.awxTemplate = u"Set canary weight"_s;
        const auto config = profile.toAwxConfig();
        QCOMPARE(config.url, profile.awxUrl);
        QCOMPARE(config.username, u"operator"_s);
        QCOMPARE(config.templateRef, u"Set canary weight"_s);
        QVERIFY(config.token.isEmpty());
        QVERIFY(config.password.isEmpty());

        profile.awxAuth = u"token"_s;
        QVERIFY(profile.toAwxConfig().username.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestProfile)
#include "tst_profile.moc"
