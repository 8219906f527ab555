#include <QTest>

#include "profile/targetoptions.h"

using namespace Qt::Literals::StringLiterals;
using canary::profile::normaliseDynatraceUrl;
using canary::profile::TargetOptions;

class TestTargetOptions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void normaliseUrl_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected"); // empty: an error
        QTest::newRow("saas") << u"https://abc12345.live.dynatrace.com"_s
                              << u"https://abc12345.live.dynatrace.com"_s;
        QTest::newRow("trailing slash")
            << u"https://abc12345.live.dynatrace.com/"_s << u"https://abc12345.live.dynatrace.com"_s;
        QTest::newRow("pasted api path") << u"https://abc12345.live.dynatrace.com/api/v2/metrics"_s
                                         << u"https://abc12345.live.dynatrace.com"_s;
        QTest::newRow("apps host") << u"https://abc12345.apps.dynatrace.com"_s
                                   << u"https://abc12345.live.dynatrace.com"_s;
        QTest::newRow("managed") << u"https://dt.example.com/e/1234-abcd/"_s
                                 << u"https://dt.example.com/e/1234-abcd"_s;
        QTest::newRow("activegate") << u"https://ag.example.com:9999/e/env1"_s
                                    << u"https://ag.example.com:9999/e/env1"_s;
        QTest::newRow("no scheme") << u"abc12345.live.dynatrace.com"_s
                                   << u"https://abc12345.live.dynatrace.com"_s;
        QTest::newRow("loopback http") << u"http://127.0.0.1:8080"_s << u"http://127.0.0.1:8080"_s;
        QTest::newRow("empty") << u"  "_s << QString();
        QTest::newRow("ftp") << u"ftp://example.com"_s << QString();
        QTest::newRow("query") << u"https://example.com/?x=1"_s << QString();
        QTest::newRow("garbage") << u"https://"_s << QString();
        // Only a SaaS tenant's own host is rewritten: a corporate host that merely contains
        // ".apps.dynatrace." is another machine, and the token would go there.
        QTest::newRow("apps host, upper case")
            << u"https://ABC12345.Apps.Dynatrace.com"_s << u"https://abc12345.live.dynatrace.com"_s;
        QTest::newRow("sprint apps host") << u"https://abc12345.sprint.apps.dynatracelabs.com"_s
                                          << u"https://abc12345.sprint.dynatracelabs.com"_s;
        QTest::newRow("dev apps host") << u"https://abc12345.dev.apps.dynatracelabs.com"_s
                                       << u"https://abc12345.dev.dynatracelabs.com"_s;
        QTest::newRow("corporate activegate") << u"https://activegate.apps.dynatrace.corp.example/e/env1"_s
                                              << u"https://activegate.apps.dynatrace.corp.example/e/env1"_s;
        QTest::newRow("apps domain as a prefix") << u"https://abc.apps.dynatrace.com.evil.example"_s
                                                 << u"https://abc.apps.dynatrace.com.evil.example"_s;
        QTest::newRow("two labels before apps")
            << u"https://ag.abc12345.apps.dynatrace.com"_s << u"https://ag.abc12345.apps.dynatrace.com"_s;
        QTest::newRow("user and password")
            << u"https://user:secret@abc12345.live.dynatrace.com"_s << QString();
        QTest::newRow("user only") << u"https://user@abc12345.live.dynatrace.com"_s << QString();
    }

    void normaliseUrl_userInfoNotQuoted()
    {
        const auto url = normaliseDynatraceUrl(u"https://ops:hunter2hunter2@abc12345.live.dynatrace.com/"_s);
        QVERIFY(!url);
        QVERIFY2(!url.error().contains(u"hunter2"_s), qPrintable(url.error()));
        QVERIFY2(url.error().contains(u"user name or password"_s), qPrintable(url.error()));
        QVERIFY2(url.error().contains(u"abc12345.live.dynatrace.com"_s), qPrintable(url.error()));
    }

    void normaliseUrl()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        const auto url = normaliseDynatraceUrl(input);
        if (expected.isEmpty()) {
            QVERIFY(!url);
            QVERIFY(!url.error().isEmpty());
        } else {
            QVERIFY2(url, qPrintable(url ? QString() : url.error()));
            QCOMPARE(url->toString(), expected);
        }
    }

    void read_flagsAndEnvironment()
    {
        TargetOptions options;
        QCommandLineParser parser;
        options.addTo(parser);
        QVERIFY(
            parser.parse({ u"canaryctl"_s, u"--entity-selector"_s, u"type(SERVICE),entityId(\"SERVICE-1\")"_s,
                u"--build-dimension"_s, u"Build"_s, u"--refresh"_s, u"2.5"_s }));
        QProcessEnvironment environment;
        environment.insert(u"DT_ENV_URL"_s, u"https://env.live.dynatrace.com/"_s);
        environment.insert(u"DT_API_TOKEN"_s, u"dt0c01.X"_s);

        const auto target = options.read(parser, environment, true);
        QVERIFY(target);
        QCOMPARE(target->dynatraceUrl.toString(), u"https://env.live.dynatrace.com"_s);
        QCOMPARE(target->entitySelector, u"type(SERVICE),entityId(\"SERVICE-1\")"_s);
        QCOMPARE(target->metricSelector, canary::session::Target::defaultMetricSelector());
        QCOMPARE(target->buildDimension, u"Build"_s);
        QCOMPARE(target->from, u"now-30m"_s);
        QCOMPARE(target->refreshIntervalMs, 2500);
        QCOMPARE(TargetOptions::tokenFrom(environment), u"dt0c01.X"_s);

        // The GUI ignores DT_ENV_URL: without a flag it is the demo.
        QVERIFY(!options.read(parser, environment, false));
        QCOMPARE(
            options.read(parser, environment, false, QUrl(u"http://127.0.0.1:1"_s))->dynatraceUrl.port(), 1);
    }

    void read_healthMetricFlags()
    {
        TargetOptions options;
        QCommandLineParser parser;
        options.addTo(parser);
        QVERIFY(parser.parse({ u"x"_s, u"--dynatrace-url"_s, u"https://h"_s }));
        const auto defaults = options.read(parser, {}, true);
        QVERIFY(defaults);
        QCOMPARE(defaults->failureMetricSelector, canary::session::Target::defaultFailureMetricSelector());
        QCOMPARE(defaults->responseTimeMetricSelector, u"calc:service.responsetime_by_build"_s);

        QCommandLineParser set;
        options.addTo(set);
        QVERIFY(set.parse({ u"x"_s, u"--dynatrace-url"_s, u"https://h"_s, u"--failure-metric="_s,
            u"--response-time-metric"_s, u" calc:service.rt:splitBy(\"Version\"):avg "_s }));
        const auto target = options.read(set, {}, true);
        QVERIFY(target);
        QCOMPARE(target->failureMetricSelector, QString()); // empty: not fetched
        QCOMPARE(target->responseTimeMetricSelector, u"calc:service.rt:splitBy(\"Version\"):avg"_s);

        // Over a profile: the profile's choice unless a flag overrides it.
        canary::profile::Profile profile;
        profile.failureMetricSelector = u"calc:service.errors"_s;
        profile.responseTimeMetricSelector.clear();
        const auto fromProfile = options.read(parser, {}, true, {}, &profile);
        QVERIFY(fromProfile);
        QCOMPARE(fromProfile->failureMetricSelector, u"calc:service.errors"_s);
        QCOMPARE(fromProfile->responseTimeMetricSelector, QString());
        const auto overridden = options.read(set, {}, true, {}, &profile);
        QVERIFY(overridden);
        QCOMPARE(overridden->failureMetricSelector, QString());
        QCOMPARE(overridden->responseTimeMetricSelector, u"calc:service.rt:splitBy(\"Version\"):avg"_s);
    }

    void read_rejectsBadNumbers()
    {
        TargetOptions options;
        QCommandLineParser parser;
        options.addTo(parser);
        QVERIFY(parser.parse({ u"x"_s, u"--dynatrace-url"_s, u"https://h"_s, u"--timeout"_s, u"soon"_s }));
        const auto target = options.read(parser, {}, true);
        QVERIFY(!target);
        QVERIFY2(target.error().contains(u"--timeout"_s), qPrintable(target.error()));
    }

    void tokenFrom_fallsBackToDynatraceApiToken()
    {
        QProcessEnvironment environment;
        environment.insert(u"DYNATRACE_API_TOKEN"_s, u"dt0c01.Y"_s);
        QCOMPARE(TargetOptions::tokenFrom(environment), u"dt0c01.Y"_s);
    }
};

QTEST_GUILESS_MAIN(TestTargetOptions)
#include "tst_targetoptions.moc"
