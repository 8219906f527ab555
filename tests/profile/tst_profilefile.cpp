#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "profile/profilefile.h"

using namespace Qt::Literals::StringLiterals;
using canary::profile::Profile;
using canary::profile::readProfileFile;
using canary::profile::readProfileText;
using canary::profile::writeProfileText;

namespace {

// Every field away from its default.
Profile everything()
{
    Profile profile;
    profile.name = u"Prod EU (eu-west-1)"_s;
    profile.dynatraceUrl = QUrl(u"https://dt.example.com/e/1234-abcd"_s);
    profile.entitySelector
        = u"type(SERVICE),tag(\"[Environment]DT_RELEASE_STAGE:prod\"),entityName(\"a=b, c\")"_s;
    profile.metricSelector = u"calc:service.requests_by_build:splitBy(\"Build\"):sum"_s;
    profile.failureMetricSelector.clear();
    profile.responseTimeMetricSelector = u"calc:service.rt_by_version:splitBy(\"Version\"):avg"_s;
    profile.buildDimension = u"Build"_s;
    profile.stableBuild = u"1.0.0-034c71"_s;
    profile.canaryBuild = u"4.0.0-034c71"_s;
    profile.refreshSeconds = 15;
    profile.from = u"now-2h"_s;
    profile.resolution = u"1m"_s;
    profile.trafficBackend = u"awx"_s;
    profile.awxUrl = QUrl(u"https://awx.example.com:8443"_s);
    profile.awxApiPath = u"/api/controller/v2/"_s;
    profile.awxAuth = u"basic"_s;
    profile.awxUsername = u"operator"_s;
    profile.awxTemplate = u"Set canary weight # 2"_s;
    profile.awxCanaryVar = u"new_weight"_s;
    profile.awxOldVar = u"stable_weight"_s;
    profile.kubeObject = u"traefikservice/canary-jenkins/simplenodeservice"_s;
    profile.kubeContext = u"prod-eu"_s;
    profile.kubeServer = QUrl(u"https://10.0.0.1:6443"_s);
    profile.allowedOrigins = { u"https://gitlab.example.com"_s, u"http://ansible.10.0.0.1.nip.io"_s };
    profile.allowedTemplates = { u"9"_s, u"Reset canary weighting"_s };
    profile.planEventSource = u"Jenkins"_s;
    profile.confirmRollback = false;
    profile.autoRemediate = true;
    profile.countdownSeconds = 45;
    profile.guardEnabled = false;
    profile.guardMaxStepPercent = 10;
    profile.guardMinIntervalSeconds = 900;
    profile.guardFreezeOnProblem = false;
    profile.guardFreezeOnStale = false;
    profile.guardFreezeOnFail = false;
    profile.caBundle = u"/etc/ssl/certs/corp-ca.pem"_s;
    profile.allowInsecureTls = true;
    return profile;
}

QByteArray lines(std::initializer_list<const char *> list)
{
    QByteArray text;
    for (const char *line : list)
        text += QByteArray(line) + '\n';
    return text;
}

} // namespace

class TestProfileFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data()
    {
        QTest::addColumn<Profile>("profile");
        QTest::newRow("every field") << everything();
        Profile defaults;
        defaults.name = u"Defaults"_s;
        QTest::newRow("defaults, the embedded simulator") << defaults;
        Profile oneOrigin = everything();
        oneOrigin.allowedOrigins = { u"https://gitlab.example.com:8443"_s };
        oneOrigin.trafficBackend = u"kubernetes"_s;
        QTest::newRow("kubernetes, one origin") << oneOrigin;
    }

    void roundTrip()
    {
        QFETCH(Profile, profile);
        QCOMPARE(profile.validate(), QStringList());
        QCOMPARE(profile.normalised(), profile);
        const QByteArray text = writeProfileText(profile);
        const auto read = readProfileText(text, u"written.conf"_s);
        QVERIFY2(read, qPrintable(read ? QString() : read.error().join(u'\n')));
        QCOMPARE(read.value(), profile);
        QCOMPARE(writeProfileText(read.value()), text);
    }

    void roundTrip_throughAFile()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"prod.conf"_s);
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(writeProfileText(everything()));
        file.close();
        const auto read = readProfileFile(path);
        QVERIFY2(read, qPrintable(read ? QString() : read.error().join(u'\n')));
        QCOMPARE(read.value(), everything());
    }

    void written_saysWhereSecretsGo()
    {
        const QString text = QString::fromUtf8(writeProfileText(everything()));
        QVERIFY(text.startsWith(u"# "_s));
        QVERIFY(text.contains(u"DT_API_TOKEN"_s));
        QVERIFY(text.contains(u"CONTROLLER_PASSWORD"_s));
        QVERIFY(text.contains(u"KUBE_TOKEN"_s));
        QVERIFY(text.contains(u"\nrollback.allow-origin = https://gitlab.example.com\n"
                              "rollback.allow-origin = http://ansible.10.0.0.1.nip.io\n"_s));
        QVERIFY(text.contains(u"\nrollback.allow-template = 9\n"
                              "rollback.allow-template = Reset canary weighting\n"
                              "rollback.plan-source = Jenkins\n"_s));
        QVERIFY(text.contains(u"\nrefresh = 15\n"_s));
        QVERIFY(text.contains(u"\ntls.allow-insecure = true\n"_s));
        // Every key once, in the documented order.
        qsizetype position = 0;
        for (const QString &key : canary::profile::profileKeys()) {
            const qsizetype found = text.indexOf(QString(u'\n' + key + u" ="_s), position);
            QVERIFY2(found > 0, qPrintable(key));
            position = found;
        }
    }

    void handWritten()
    {
        const QByteArray text = "\xEF\xBB\xBF# my tenant\r\n"
                                "\r\n"
                                "   name   =   Staging  \r\n"
                                "dynatrace.url = abc12345.apps.dynatrace.com/api/v2/metrics\r\n"
                                "traffic.backend = Kubernetes\r\n"
                                "  # indented comment\r\n"
                                "kube.object = ingress/canary/app-canary\r\n"
                                "rollback.confirm = no\r\n"
                                "auto-remediation.enabled = ON\r\n"
                                "tls.allow-insecure = off\r\n"
                                "rollback.allow-origin = https://gitlab.example.com/\r\n"
                                "rollback.allow-origin = https://gitlab.example.com:443\r\n"
                                "awx.url = awx.example.com/api/v2/\r\n"
                                "target.build-dimension =\r\n"
                                "from = now-1h"; // no newline at the end
        const auto read = readProfileText(text, u"staging.conf"_s);
        QVERIFY2(read, qPrintable(read ? QString() : read.error().join(u'\n')));
        QCOMPARE(read->name, u"Staging"_s);
        QCOMPARE(read->dynatraceUrl.toString(), u"https://abc12345.live.dynatrace.com"_s);
        QCOMPARE(read->trafficBackend, u"kubernetes"_s);
        QCOMPARE(read->kubeObject, u"ingress/canary/app-canary"_s);
        QVERIFY(!read->confirmRollback);
        QVERIFY(read->autoRemediate);
        QVERIFY(!read->allowInsecureTls);
        QCOMPARE(read->allowedOrigins, QStringList { u"https://gitlab.example.com"_s });
        QCOMPARE(read->awxUrl.toString(), u"https://awx.example.com"_s);
        QCOMPARE(read->awxApiPath, u"/api/v2/"_s);
        QCOMPARE(read->from, u"now-1h"_s);
        QCOMPARE(read->refreshSeconds, 60); // not in the file: the default
        QCOMPARE(read->entitySelector, canary::session::Target::defaultEntitySelector());
    }

    void guardKeys()
    {
        const auto defaults = readProfileText("name = x\n", u"x.conf"_s);
        QVERIFY(defaults);
        QCOMPARE(defaults->guardRailPolicy(), canary::traffic::GuardRailPolicy());
        const QString written = QString::fromUtf8(writeProfileText(defaults.value()));
        QVERIFY(written.contains(u"\nguard.enabled = true\nguard.max-step = 25\nguard.min-interval = 300\n"
                                 "guard.freeze-on-problem = true\nguard.freeze-on-stale = true\n"
                                 "guard.freeze-on-fail = true\n"_s));

        const auto read = readProfileText(lines({ "guard.max-step = 10 %", "guard.min-interval = 0",
                                              "guard.freeze-on-stale = off", "guard.freeze-on-fail = no" }),
            u"x.conf"_s);
        QVERIFY2(read, qPrintable(read ? QString() : read.error().join(u'\n')));
        const canary::traffic::GuardRailPolicy policy = read->guardRailPolicy();
        QVERIFY(policy.enabled);
        QCOMPARE(policy.maxStepUpPercent, 10);
        QCOMPARE(policy.minMsBetweenIncreases, 0);
        QVERIFY(policy.freezeOnOpenProblem);
        QVERIFY(!policy.freezeOnStale);
        QVERIFY(!policy.freezeOnFail);
        const auto again = readProfileText(writeProfileText(read.value()), u"x.conf"_s);
        QVERIFY(again);
        QCOMPARE(again->guardRailPolicy(), policy);

        const auto off = readProfileText("guard.enabled = false\nguard.max-step = 100\n", u"x.conf"_s);
        QVERIFY(off);
        QVERIFY(!off->guardRailPolicy().enabled);
        QCOMPARE(off->guardRailPolicy().maxStepUpPercent, 100);
    }

    void healthMetricKeys()
    {
        const auto defaults = readProfileText("name = x\n", u"x.conf"_s);
        QVERIFY(defaults);
        QCOMPARE(defaults->failureMetricSelector, u"calc:service.failures_by_build"_s);
        QCOMPARE(defaults->responseTimeMetricSelector, u"calc:service.responsetime_by_build"_s);
        const QString written = QString::fromUtf8(writeProfileText(defaults.value()));
        QVERIFY2(written.contains(u"\ntarget.failure-metric = calc:service.failures_by_build\n"
                                  "target.response-time-metric = calc:service.responsetime_by_build\n"_s),
            qPrintable(written));

        // Empty: not fetched, and it stays empty when written and read again (a missing key is the default).
        const auto off = readProfileText(
            lines({ "target.failure-metric =", "target.response-time-metric = calc:service.rt " }),
            u"x.conf"_s);
        QVERIFY2(off, qPrintable(off ? QString() : off.error().join(u'\n')));
        QCOMPARE(off->failureMetricSelector, QString());
        QCOMPARE(off->responseTimeMetricSelector, u"calc:service.rt"_s);
        QCOMPARE(off->toTarget().failureMetricSelector, QString());
        const auto again = readProfileText(writeProfileText(off.value()), u"x.conf"_s);
        QVERIFY(again);
        QCOMPARE(again->failureMetricSelector, QString());
        QCOMPARE(again->responseTimeMetricSelector, u"calc:service.rt"_s);
    }

    void appsUrlRewrittenToLive()
    {
        const auto read
            = readProfileText("dynatrace.url = https://abc12345.apps.dynatrace.com/\n", u"a.conf"_s);
        QVERIFY(read);
        QCOMPARE(read->dynatraceUrl.toString(), u"https://abc12345.live.dynatrace.com"_s);
        QCOMPARE(read->name, u"a"_s); // no name key: the file's
    }

    void errors_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("unknown key")
            << lines({ "name = x", "# c", "", "", "", "", "dynatrace.ulr = https://a.live.dynatrace.com" })
            << QStringList {
                   u"profile.conf:7: unknown key 'dynatrace.ulr' (did you mean 'dynatrace.url'?)"_s
               };
        QTest::newRow("a flag's name")
            << lines({ "entity-selector = type(SERVICE)" })
            << QStringList { u"profile.conf:1: unknown key 'entity-selector' (did you mean "
                             "'target.entity-selector'?)"_s };
        QTest::newRow("unknown key, nothing like it")
            << lines({ "colour = blue" }) << QStringList { u"profile.conf:1: unknown key 'colour'"_s };
        QTest::newRow("no equals") << lines({ "name = x", "", "dynatrace.url https://a.live.dynatrace.com" })
                                   << QStringList { u"profile.conf:3: expected 'key = value'"_s };
        QTest::newRow("no key") << lines({ "= x" })
                                << QStringList { u"profile.conf:1: expected 'key = value'"_s };
        QTest::newRow("not a number")
            << lines({ "name = x", "", "", "", "", "", "", "", "refresh = soon" })
            << QStringList { u"profile.conf:9: refresh must be a whole number of seconds, not 'soon'"_s };
        QTest::newRow("fraction") << lines({ "auto-remediation.countdown = 2.5" })
                                  << QStringList {
                                         u"profile.conf:1: auto-remediation.countdown must be a whole "
                                         "number of seconds, not '2.5'"_s
                                     };
        QTest::newRow("guard step not a number")
            << lines({ "guard.max-step = a quarter" })
            << QStringList {
                   u"profile.conf:1: guard.max-step must be a whole number of percentage points, not 'a quarter'"_s
               };
        QTest::newRow("guard step fraction")
            << lines({ "guard.max-step = 12.5%" })
            << QStringList {
                   u"profile.conf:1: guard.max-step must be a whole number of percentage points, not '12.5%'"_s
               };
        QTest::newRow("guard step 0")
            << lines({ "name = x", "guard.max-step = 0" })
            << QStringList {
                   u"profile.conf:2: guard.max-step must be between 1 and 100 percentage points, not 0"_s
               };
        QTest::newRow("guard step over 100")
            << lines({ "guard.max-step = 101" })
            << QStringList {
                   u"profile.conf:1: guard.max-step must be between 1 and 100 percentage points, not 101"_s
               };
        QTest::newRow("guard interval in minutes")
            << lines({ "guard.min-interval = 5m" })
            << QStringList {
                   u"profile.conf:1: guard.min-interval must be a whole number of seconds, not '5m'"_s
               };
        QTest::newRow("guard interval over a day")
            << lines({ "guard.min-interval = 90000" })
            << QStringList { u"profile.conf:1: guard.min-interval must be between 0 (no cool-down) and 86400 "
                             "seconds (a day), not 90000"_s };
        QTest::newRow("guard freeze not a bool")
            << lines({ "guard.freeze-on-problem = sometimes" })
            << QStringList {
                   u"profile.conf:1: guard.freeze-on-problem must be true or false (yes/no, on/off), "
                   "not 'sometimes'"_s
               };
        QTest::newRow("secret") << lines({ "name = x", "", "", "token = dt0c01.ABC" })
                                << QStringList { u"profile.conf:4: 'token' is a secret: secrets live in the "
                                                 "keychain or the environment (DT_API_TOKEN), never in a "
                                                 "profile file"_s };
        QTest::newRow("awx password")
            << lines({ "awx.password = hunter2" })
            << QStringList {
                   u"profile.conf:1: 'awx.password' is a secret: secrets live in the keychain or the "
                   "environment (CONTROLLER_OAUTH_TOKEN, CONTROLLER_PASSWORD), never in a profile "
                   "file"_s
               };
        QTest::newRow("api-token") << lines({ "dynatrace.api-token = x" })
                                   << QStringList {
                                          u"profile.conf:1: 'dynatrace.api-token' is a secret: secrets "
                                          "live in the keychain or the environment (DT_API_TOKEN), "
                                          "never in a profile file"_s
                                      };
        QTest::newRow("kube secret") << lines({ "kube.client-key = /x" })
                                     << QStringList {
                                            u"profile.conf:1: 'kube.client-key' is a secret: secrets "
                                            "live in the keychain or the environment (KUBE_TOKEN, "
                                            "KUBECONFIG), never in a profile file"_s
                                        };
        QTest::newRow("token as a value")
            << lines({ "target.stable-build = dt0c01.ABCDEFGHIJKLMNOP.QRSTUVWXYZ" })
            << QStringList {
                   u"profile.conf:1: the value of 'target.stable-build' looks like a Dynatrace token (not "
                   "shown): secrets live in the keychain or the environment (DT_API_TOKEN), never in a "
                   "profile file"_s
               };
        QTest::newRow("duplicate") << lines({ "refresh = 30", "from = now-1h", "refresh = 40" })
                                   << QStringList {
                                          u"profile.conf:3: duplicate key 'refresh' (already set on "
                                          "line 1)"_s
                                      };
        QTest::newRow("boolean") << lines({ "rollback.confirm = maybe" })
                                 << QStringList { u"profile.conf:1: rollback.confirm must be true or false "
                                                  "(yes/no, on/off), not 'maybe'"_s };
        QTest::newRow("bad url") << lines({ "dynatrace.url = ftp://a.example.com" })
                                 << QStringList {
                                        u"profile.conf:1: dynatrace.url: 'ftp://a.example.com': only "
                                        "http and https URLs are supported"_s
                                    };
        QTest::newRow("url with credentials")
            << lines({ "", "dynatrace.url = https://me:secret@a.live.dynatrace.com" })
            << QStringList { u"profile.conf:2: dynatrace.url must not carry a user name or password: the API "
                             "token lives in the keychain or DT_API_TOKEN"_s };
        QTest::newRow("bad awx url") << lines({ "awx.url = https://" })
                                     << QStringList {
                                            u"profile.conf:1: awx.url must be an http(s) URL with a "
                                            "host, not 'https://'"_s
                                        };
        QTest::newRow("bad origin") << lines({ "rollback.allow-origin = https://a.example.com",
            "rollback.allow-origin = https://gitlab.example.com/path" })
                                    << QStringList {
                                           u"profile.conf:2: rollback.allow-origin: "
                                           "'https://gitlab.example.com/path' is not an http(s) origin "
                                           "(scheme://host[:port])"_s
                                       };
        QTest::newRow("validation with its line")
            << lines({ "name = x", "refresh = 2" })
            << QStringList { u"profile.conf:2: refresh must be at least 5 seconds, not 2"_s };
        QTest::newRow("unknown back-end")
            << lines({ "traffic.backend = istio" })
            << QStringList { u"profile.conf:1: traffic.backend must be sim, awx or "
                             "kubernetes, not 'istio'"_s };
        QTest::newRow("missing key: no line")
            << lines({ "traffic.backend = awx" })
            << QStringList {
                   u"profile.conf: traffic.backend awx needs awx.template (the job template's name or "
                   "id)"_s
               };
        QTest::newRow("relative ca bundle without a file")
            << lines({ "tls.ca-bundle = ca.pem" })
            << QStringList { u"profile.conf:1: tls.ca-bundle must be an absolute path, not 'ca.pem'"_s };
        QTest::newRow("demo's name") << lines({ "name = demo" })
                                     << QStringList {
                                            u"profile.conf:1: name 'demo' is the built-in profile's: give "
                                            "this profile another name"_s
                                        };
        QTest::newRow("not utf-8") << QByteArray("name = x\nfrom = now-\xff\n")
                                   << QStringList { u"profile.conf:2: not valid UTF-8 text"_s };
    }

    void errors()
    {
        QFETCH(QByteArray, text);
        QFETCH(QStringList, expected);
        const auto read = readProfileText(text, u"profile.conf"_s);
        QVERIFY(!read);
        QCOMPARE(read.error(), expected);
    }

    void errors_allAtOnceInLineOrder()
    {
        const QByteArray text = lines({
            "# a broken profile", // 1
            "name = Broken", // 2
            "this line has no equals sign", // 3
            "token = abc", // 4
            "", // 5
            "refresh = soon", // 6
            "dynatrace.ulr = https://x.live.dynatrace.com", // 7
            "rollback.confirm = maybe", // 8
            "refresh = 10", // 9
            "auto-remediation.countdown = 2", // 10
        });
        const auto read = readProfileText(text, u"broken.conf"_s);
        QVERIFY(!read);
        QCOMPARE(read.error(),
            QStringList({
                u"broken.conf:3: expected 'key = value'"_s,
                u"broken.conf:4: 'token' is a secret: secrets live in the keychain or the environment "
                "(DT_API_TOKEN), never in a profile file"_s,
                u"broken.conf:6: refresh must be a whole number of seconds, not 'soon'"_s,
                u"broken.conf:7: unknown key 'dynatrace.ulr' (did you mean 'dynatrace.url'?)"_s,
                u"broken.conf:8: rollback.confirm must be true or false (yes/no, on/off), not 'maybe'"_s,
                u"broken.conf:9: duplicate key 'refresh' (already set on line 6)"_s,
                u"broken.conf:10: auto-remediation.countdown must be at least 5 seconds, not 2"_s,
            }));
    }

    // Found by fuzz_profile: every unknown key cost a full edit-distance table per known key, however long
    // it was, so a file of long keys took seconds. Keys too long to be a typo are skipped; typos still match.
    void unknownKeys_longOnesSkipSuggestions_typosStillMatch()
    {
        QByteArray text;
        for (int i = 0; i < 64; ++i)
            text += QByteArray(4096, 'k') + QByteArray::number(i) + " = v\n";
        const auto longKeys = readProfileText(text, u"long.conf"_s);
        QVERIFY(!longKeys);
        QCOMPARE(longKeys.error().size(), 64);
        for (const QString &message : longKeys.error())
            QVERIFY2(message.contains(u"unknown key"_s) && !message.contains(u"did you mean"_s),
                qPrintable(message.left(80)));

        const auto typo = readProfileText("refrshx = 30\n", u"typo.conf"_s);
        QVERIFY(!typo);
        QCOMPARE(
            typo.error(), QStringList { u"typo.conf:1: unknown key 'refrshx' (did you mean 'refresh'?)"_s });
    }

    void secrets_neverEchoed()
    {
        const QString secret = u"dt0c01.SECRETSECRETSECRET.ABCDEFGHIJ"_s;
        const QByteArray text = "api-token = " + secret.toUtf8() + "\nname = " + secret.toUtf8()
            + "\ndynatrace.url = https://a.live.dynatrace.com/?Api-Token=" + secret.toUtf8() + "\n";
        const auto read = readProfileText(text, u"p.conf"_s);
        QVERIFY(!read);
        QCOMPARE(read.error().size(), 3);
        for (const QString &line : read.error())
            QVERIFY2(!line.contains(u"SECRETSECRET"_s), qPrintable(line));
    }

    void file_relativeCaBundleAndDefaultName()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"team-a.profile.conf"_s);
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("tls.ca-bundle = certs/../ca.pem\n");
        file.close();
        const auto read = readProfileFile(path);
        QVERIFY2(read, qPrintable(read ? QString() : read.error().join(u'\n')));
        QCOMPARE(read->name, u"team-a.profile"_s);
        QCOMPARE(read->caBundle, QDir(dir.path()).absoluteFilePath(u"ca.pem"_s));
    }

    void file_errorsNameThePath()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString missing = dir.filePath(u"missing.conf"_s);
        const auto none = readProfileFile(missing);
        QVERIFY(!none);
        QCOMPARE(none.error().size(), 1);
        QVERIFY(none.error().front().startsWith(missing + u": cannot be read: "_s));

        const QString path = dir.filePath(u"bad.conf"_s);
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("name = ok\nrefresh: 30\n");
        file.close();
        const auto read = readProfileFile(path);
        QVERIFY(!read);
        QCOMPARE(read.error(), QStringList { path + u":2: expected 'key = value'"_s });
    }

    void secretKeys()
    {
        using canary::profile::isSecretKey;
        for (const QString &key : canary::profile::profileKeys())
            QVERIFY2(!isSecretKey(key), qPrintable(key));
        for (const QString &key : { u"token"_s, u"TOKEN"_s, u"api-token"_s, u"dynatrace.api_token"_s,
                 u"password"_s, u"awx.pass"_s, u"secret"_s, u"client-secret"_s, u"kube.client-key"_s,
                 u"apikey"_s, u"credentials"_s, u"awx.pwd"_s })
            QVERIFY2(isSecretKey(key), qPrintable(key));
    }
};

QTEST_GUILESS_MAIN(TestProfileFile)
#include "tst_profilefile.moc"
