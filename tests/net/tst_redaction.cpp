#include <thread>
#include <vector>

#include <QByteArray>
#include <QLoggingCategory>
#include <QStringList>
#include <QTest>

#include "net/httpdiagnostics.h"
#include "net/redaction.h"

using namespace Qt::Literals::StringLiterals;
using canary::net::redactSecrets;
using canary::net::registerSecret;

namespace {

// A token shaped like Dynatrace's: prefix, 24-character public id, 64-character secret.
const QString PublicId = u"ABCDEFGHIJKLMNOPQRSTUVWX"_s;
const QString SecretPart = u"SECRET0123456789SECRET0123456789SECRET0123456789SECRET0123456789"_s;
const QString Token = QString(u"dt0c01."_s + PublicId + u'.' + SecretPart);
const QString Masked = QString(u"dt0c01."_s + PublicId + u".***"_s);

Q_LOGGING_CATEGORY(lcRedactionTest, "canary.test.redaction")
Q_LOGGING_CATEGORY(lcOtherTest, "canary.test.other")

// What reached the handler the redacting one wraps: category and message.
QStringList delivered;

void capturingHandler(QtMsgType, const QMessageLogContext &context, const QString &message)
{
    delivered.append(QString::fromUtf8(context.category ? context.category : "?") + u": "_s + message);
}

QLoggingCategory::CategoryFilter previousFilter = nullptr;

// Every level of the categories used here, whatever QT_LOGGING_RULES says (ctest turns debug off).
void enableTestCategories(QLoggingCategory *category)
{
    if (previousFilter)
        previousFilter(category);
    const QByteArray name(category->categoryName());
    if (name == "default" || name.startsWith("canary.test.")) {
        for (QtMsgType type : { QtDebugMsg, QtInfoMsg, QtWarningMsg, QtCriticalMsg })
            category->setEnabled(type, true);
    }
}

} // namespace

class TestRedaction : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void masks_data();
    void masks();
    void leavesOrdinaryTextAlone_data();
    void leavesOrdinaryTextAlone();
    void masksTokenShapes_data();
    void masksTokenShapes();
    void tokenShapeIn_data();
    void tokenShapeIn();
    void ordinaryTextHasNoTokenShape_data();
    void ordinaryTextHasNoTokenShape();
    void registeredSecrets();
    void shortSecretsAreNotRegistered();
    void registeringIsThreadSafe();
    void bytes();
    void bodyExcerptIsRedacted();
    void everyLoggingCategoryIsRedacted();
};

void TestRedaction::masks_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");

    QTest::newRow("dynatrace token, bare") << Token << Masked;
    QTest::newRow("dynatrace token in a sentence") << QString(u"token "_s + Token + u" was rejected"_s)
                                                   << QString(u"token "_s + Masked + u" was rejected"_s);
    QTest::newRow("Api-Token header") << QString(u"Authorization: Api-Token "_s + Token)
                                      << QString(u"Authorization: Api-Token "_s + Masked);
    QTest::newRow("Api-Token in a dumped header list")
        << QString(u"(\"Authorization\", \"Api-Token "_s + Token + u"\")"_s)
        << QString(u"(\"Authorization\", \"Api-Token "_s + Masked + u"\")"_s);
    QTest::newRow("platform token dt0s01")
        << u"dt0s01.CLIENTID1234.abcdefSECRET"_s << u"dt0s01.CLIENTID1234.***"_s;
    QTest::newRow("platform token dt0s02 in a URL")
        << u"https://x.apps.dynatrace.com/sso?client=dt0s02.CLIENT.SECRETSECRET&x=1"_s
        << u"https://x.apps.dynatrace.com/sso?client=dt0s02.CLIENT.***&x=1"_s;
    QTest::newRow("dynatrace token as a query value")
        << QString(u"GET /api/v1/config?Api-Token="_s + Token + u"&x=1"_s)
        << QString(u"GET /api/v1/config?Api-Token="_s + Masked + u"&x=1"_s);
    QTest::newRow("Api-Token, other format") << u"Api-Token abc123def456"_s << u"Api-Token ***"_s;
    QTest::newRow("Bearer") << u"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"_s
                            << u"Authorization: Bearer ***"_s;
    QTest::newRow("bearer, lower case")
        << u"authorization=bearer abcdefgh"_s << u"authorization=bearer ***"_s;
    QTest::newRow("Basic") << u"Authorization: Basic YWRtaW46aHVudGVyMg=="_s << u"Authorization: Basic ***"_s;
    QTest::newRow("Authorization, other scheme")
        << u"Authorization: Token 0123456789abcdef"_s << u"Authorization: Token ***"_s;
    QTest::newRow("Authorization, no scheme")
        << u"Authorization: 0123456789abcdef"_s << u"Authorization: ***"_s;
    QTest::newRow("Proxy-Authorization")
        << u"Proxy-Authorization: Basic cHJveHk6cHc="_s << u"Proxy-Authorization: Basic ***"_s;
    QTest::newRow("Cookie") << u"Cookie: sessionid=abc; csrftoken=def"_s << u"Cookie: ***"_s;
    QTest::newRow("query values")
        << u"GET /api?metricSelector=a&token=t1&access_token=t2&private_token=t3&password=p4&secret=s5 HTTP/1.1"_s
        << u"GET /api?metricSelector=a&token=***&access_token=***&private_token=***&password=***&secret=*** HTTP/1.1"_s;
    QTest::newRow("jenkins trigger URL") << u"https://jenkins/job/x/build?token=triggerToken42&delay=0sec"_s
                                         << u"https://jenkins/job/x/build?token=***&delay=0sec"_s;
    QTest::newRow("environment line") << u"CONTROLLER_OAUTH_TOKEN=abc123 CONTROLLER_PASSWORD=hunter2"_s
                                      << u"CONTROLLER_OAUTH_TOKEN=*** CONTROLLER_PASSWORD=***"_s;
    QTest::newRow("json members")
        << u"{\"username\":\"admin\",\"password\":\"hun\\\"ter2\",\"access_token\": \"tok\",\"token_type\":\"Bearer\"}"_s
        << u"{\"username\":\"admin\",\"password\":\"***\",\"access_token\": \"***\",\"token_type\":\"Bearer\"}"_s;
    QTest::newRow("yaml line")
        << u"users:\n- name: u\n  user:\n    token: abc.def\n    client-key-data: LS0tLS1\n"_s
        << u"users:\n- name: u\n  user:\n    token: ***\n    client-key-data: ***\n"_s;
    // Issue 20: a GitLab trigger URL as an event's backout plan, whatever the token looks like and wherever
    // it is in the query; the other shapes events may carry.
    QTest::newRow("gitlab trigger URL, hex token")
        << u"https://gitlab.example.com/api/v4/projects/42/trigger/pipeline?token=0123456789abcdef0123&ref=main"_s
        << u"https://gitlab.example.com/api/v4/projects/42/trigger/pipeline?token=***&ref=main"_s;
    QTest::newRow("gitlab trigger URL, glptt token last")
        << u"…/trigger/pipeline?ref=main&token=glptt-0123456789abcdefABCDEF"_s
        << u"…/trigger/pipeline?ref=main&token=***"_s;
    QTest::newRow("private_token in a URL")
        << u"https://gitlab.example.com/api/v4/projects?private_token=glpat-abcdefgh12345678&x=1"_s
        << u"https://gitlab.example.com/api/v4/projects?private_token=***&x=1"_s;
    QTest::newRow("any *token* / secret / password query value")
        << u"https://h/x?hook_token=a1&webhook_secret=b2&db_password=c3&q=d4"_s
        << u"https://h/x?hook_token=***&webhook_secret=***&db_password=***&q=d4"_s;
    QTest::newRow("query keys containing token or secret")
        << u"https://h/x?token_id=a1&secret_key=b2&tokens=c3&q=d4"_s
        << u"https://h/x?token_id=***&secret_key=***&tokens=***&q=d4"_s;
    QTest::newRow("glptt in a title") << u"run glptt-0123456789abcdefABCDEF now"_s << u"run *** now"_s;
    QTest::newRow("dt0s16 platform token")
        << u"dt0s16.CLIENTID42.SECRETPART99"_s << u"dt0s16.CLIENTID42.***"_s;
    QTest::newRow("user info holding a token")
        << u"https://oauth2:glpat-abcdefgh12345678@gitlab.example.com/x.git"_s
        << u"https://oauth2:***@gitlab.example.com/x.git"_s;
    QTest::newRow("user info") << u"cannot reach https://alice:hunter2@awx.example.com/api/v2/"_s
                               << u"cannot reach https://alice:***@awx.example.com/api/v2/"_s;
}

void TestRedaction::masks()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const QString redacted = redactSecrets(text);
    QCOMPARE(redacted, expected);
    QCOMPARE(redactSecrets(redacted), redacted); // masking twice changes nothing
}

void TestRedaction::leavesOrdinaryTextAlone_data()
{
    QTest::addColumn<QString>("text");

    QTest::newRow("query")
        << u"GET /e/abc/api/v2/metrics/query?metricSelector=builtin:service.requestCount.total"
           "&resolution=1m HTTP/1.1"_s;
    QTest::newRow("dynatrace 401") << u"Missing authorization parameter."_s;
    QTest::newRow("dynatrace token problem") << u"Token Authentication failed"_s;
    QTest::newRow("port") << u"https://abc.live.dynatrace.com:443/api/v2/metrics"_s;
    QTest::newRow("public id only") << u"token dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX has expired"_s;
    QTest::newRow("empty") << QString();
}

void TestRedaction::leavesOrdinaryTextAlone()
{
    QFETCH(QString, text);
    QCOMPARE(redactSecrets(text), text);
}

namespace {

// Shapes of real credentials, made up for these tests (none of them was ever valid anywhere).
const QString Jwt = u"eyJhbGciOiJSUzI1NiIsImtpZCI6IkFCQyJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0."
                    "c2lnbmF0dXJlX29mX3RoZV90b2tlbl8xMjM0NTY3ODkw"_s;
const QString AwxToken = u"Xq7LmN2pR4sT6uV8wY0zA1bC3dE5fG"_s; // 30 letters and digits, as oauthlib makes them
const QString GitLabToken = u"glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn"_s;
const QString GitLabTrigger = u"glptt-0123456789abcdef0123456789abcdef01234567"_s;
const QString GitLabDeploy = u"gldt-Zy9Xw8Vu7Ts6Rq5Po4Nm"_s;
const QString GitHubToken = u"ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"_s;
const QString GitHubFineGrained
    = u"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"_s;

} // namespace

void TestRedaction::masksTokenShapes_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");

    QTest::newRow("jwt, bare") << QString(u"token "_s + Jwt + u" rejected"_s) << u"token *** rejected"_s;
    QTest::newRow("jwt in json") << QString(u"{\"id_token\":1,\"x\":\""_s + Jwt + u"\"}"_s)
                                 << u"{\"id_token\":1,\"x\":\"***\"}"_s;
    QTest::newRow("jwt without its signature") << u"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."_s << u"***"_s;
    QTest::newRow("awx token") << QString(u"AWX said: token "_s + AwxToken + u" is invalid."_s)
                               << u"AWX said: token *** is invalid."_s;
    QTest::newRow("awx token in quotes") << QString(u"'"_s + AwxToken + u"'"_s) << u"'***'"_s;
    QTest::newRow("gitlab personal token")
        << QString(u"PRIVATE-TOKEN "_s + GitLabToken) << u"PRIVATE-TOKEN ***"_s;
    QTest::newRow("gitlab trigger token in a path")
        << QString(u"https://gitlab.example.com/api/v4/projects/7/ref/main/trigger/pipeline?ref=main&t="_s
               + GitLabTrigger)
        << u"https://gitlab.example.com/api/v4/projects/7/ref/main/trigger/pipeline?ref=main&t=***"_s;
    QTest::newRow("gitlab deploy token") << QString(u"deploy "_s + GitLabDeploy + u"."_s) << u"deploy ***."_s;
    QTest::newRow("github classic") << QString(u"x "_s + GitHubToken) << u"x ***"_s;
    QTest::newRow("github fine-grained") << QString(GitHubFineGrained + u" y"_s) << u"*** y"_s;
    QTest::newRow("dynatrace platform dt0s16")
        << u"dt0s16.SAMPLEID0123.ABCDEFGHIJKLMNOPQRSTUVWXYZ"_s << u"dt0s16.SAMPLEID0123.***"_s;
}

void TestRedaction::masksTokenShapes()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const QString redacted = redactSecrets(text);
    QCOMPARE(redacted, expected);
    QCOMPARE(redactSecrets(redacted), redacted);
    QCOMPARE(redactSecrets(QByteArrayView(text.toUtf8())), expected.toUtf8());
}

void TestRedaction::tokenShapeIn_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("kind");

    QTest::newRow("dynatrace classic") << Token << u"a Dynatrace token"_s;
    QTest::newRow("dynatrace, cut off") << u"dt0c01.ABCDEF"_s << u"a Dynatrace token"_s;
    QTest::newRow("dynatrace dt0s01") << u"dt0s01.CLIENTID"_s << u"a Dynatrace token"_s;
    QTest::newRow("dynatrace dt0s02") << u"dt0s02.ABCD.EFGH"_s << u"a Dynatrace token"_s;
    QTest::newRow("dynatrace dt0s16") << u"dt0s16.SAMPLE"_s << u"a Dynatrace token"_s;
    QTest::newRow("dynatrace in a selector")
        << QString(u"builtin:service.requestCount.total:filter(eq(x,"_s + Token + u"))"_s)
        << u"a Dynatrace token"_s;
    QTest::newRow("dynatrace in a url query")
        << QString(u"https://abc.live.dynatrace.com/?api-token="_s + Token) << u"a Dynatrace token"_s;
    QTest::newRow("jwt") << Jwt << u"a JSON Web Token"_s;
    QTest::newRow("jwt, cut off") << u"eyJhbGciOiJSUzI1NiIs.eyJpc3MiOiJrdWJlcm5l"_s << u"a JSON Web Token"_s;
    QTest::newRow("awx") << AwxToken << u"an AWX token"_s;
    QTest::newRow("gitlab") << GitLabToken << u"a GitLab token"_s;
    QTest::newRow("gitlab trigger") << GitLabTrigger << u"a GitLab token"_s;
    QTest::newRow("gitlab deploy") << GitLabDeploy << u"a GitLab token"_s;
    QTest::newRow("github") << GitHubToken << u"a GitHub token"_s;
    QTest::newRow("github fine-grained") << GitHubFineGrained << u"a GitHub token"_s;
    QTest::newRow("bearer") << u"Bearer abcdefgh12345678"_s << u"a Bearer-scheme token"_s;
    QTest::newRow("api-token scheme") << u"Api-Token abcdefgh12345678"_s << u"an Api-Token-scheme token"_s;
    QTest::newRow("url query credential")
        << u"https://awx.example.com/?access_token=abc"_s << u"a credential named access_token"_s;
    QTest::newRow("token as a url password")
        << u"https://alice:glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn@gitlab.example.com"_s << u"a GitLab token"_s;
    QTest::newRow("jwt in a path") << u"ingress/shop/eyJhbGciOiJSUzI1NiIs.eyJpc3MiOiJrdWJlcm5l"_s
                                   << u"a JSON Web Token"_s;
}

void TestRedaction::tokenShapeIn()
{
    QFETCH(QString, text);
    QFETCH(QString, kind);
    const QString found = canary::net::tokenShapeIn(text);
    QCOMPARE(found, kind);
    QVERIFY(!found.contains(text));
    // The name itself survives every channel's masking: a refusal is passed through redactSecrets too.
    QCOMPARE(redactSecrets(found), found);
}

void TestRedaction::ordinaryTextHasNoTokenShape_data()
{
    QTest::addColumn<QString>("text");

    QTest::newRow("metric selector")
        << u"builtin:service.requestCount.total:splitBy(\"dt.entity.service\")"_s;
    QTest::newRow("calculated metric") << u"calc:service.failures_by_build"_s;
    QTest::newRow("entity selector")
        << u"type(SERVICE),entityName.equals(\"checkout-service\"),tag(\"env:prod\")"_s;
    QTest::newRow("entity id") << u"SERVICE-0123456789ABCDEF PROCESS_GROUP_INSTANCE-FEDCBA9876543210"_s;
    QTest::newRow("git sha") << u"build 3f786850e387550fdab836ed7e6dc881de23001b deployed"_s;
    QTest::newRow("short sha, camel case") << u"3f78685 RequestCountByBuildVersion2"_s;
    QTest::newRow("uuid") << u"trace 123e4567-e89b-12d3-a456-426614174000"_s;
    QTest::newRow("uuid without dashes") << u"123e4567e89b12d3a456426614174000"_s;
    QTest::newRow("problem id") << u"-1234567890123456789_1234567890123V2"_s;
    QTest::newRow("problem display id") << u"P-230412"_s;
    QTest::newRow("event id") << u"7861234567890123456_1712345678901"_s;
    QTest::newRow("iso time") << u"2026-12-07T21:58:48.123Z now-30m"_s;
    QTest::newRow("url") << u"https://abc123.live.dynatrace.com/e/7f0d2c3a-1b2c/api/v2/metrics?from=now-2h"_s;
    QTest::newRow("awx url") << u"https://awx.example.com/api/controller/v2/job_templates/42/launch/"_s;
    QTest::newRow("kube object") << u"httproute/shop/checkout-canary"_s;
    QTest::newRow("30 letters, one case") << u"abcdefghijklmnopqrstuvwxyzabcd"_s;
    QTest::newRow("30 characters in a longer name") << u"my-Xq7LmN2pR4sT6uV8wY0zA1bC3dE5fG-pod"_s;
    QTest::newRow("31 characters") << u"Xq7LmN2pR4sT6uV8wY0zA1bC3dE5fGh"_s;
    QTest::newRow("base64 blob")
        << u"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t"_s;
    QTest::newRow("token words") << u"Token Authentication failed; the token has expired"_s;
    QTest::newRow("masked") << u"Authorization: Bearer *** token=*** dt0c0"_s;
    QTest::newRow("30 characters of a base64 line")
        << u"MIIBIjANBgkqhkiG9w0BAQEFAAOC/Xq7LmN2pR4sT6uV8wY0zA1bC3dE5fG+AQ8AMIIBCgKCAQEAu1SU1LfV"_s;
    QTest::newRow("version") << u"canary 1.2.3-rc.4+build.567 dt0c01 tokens"_s;
}

void TestRedaction::ordinaryTextHasNoTokenShape()
{
    QFETCH(QString, text);
    QCOMPARE(canary::net::tokenShapeIn(text), QString());
    QCOMPARE(redactSecrets(text), text);
}

void TestRedaction::registeredSecrets()
{
    // An unusual format no pattern knows: only registration masks it.
    const QString secret = u"kc!Plain Secret/42"_s;
    const QString line = u"value "_s + secret;
    QCOMPARE(redactSecrets(line), line);
    registerSecret(secret);
    QCOMPARE(redactSecrets(QString(line + u" and again: "_s + secret)), u"value *** and again: ***"_s);
    // Percent-encoded, as it would appear in a URL.
    QCOMPARE(redactSecrets(u"GET /x?q=kc%21Plain%20Secret%2F42 HTTP/1.1"_s), u"GET /x?q=*** HTTP/1.1"_s);
    // A registered Dynatrace token still keeps its public part.
    const QString token = u"dt0c01.REGISTEREDPUBLIC.REGISTEREDSECRETPART"_s;
    registerSecret(token);
    QCOMPARE(redactSecrets(QString(u"x"_s + token + u"y"_s)), u"xdt0c01.REGISTEREDPUBLIC.***y"_s);
}

void TestRedaction::shortSecretsAreNotRegistered()
{
    registerSecret(u"abc"_s);
    registerSecret(QString());
    QCOMPARE(redactSecrets(u"abc abcdef"_s), u"abc abcdef"_s);
}

void TestRedaction::registeringIsThreadSafe()
{
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([t] {
            for (int i = 0; i < 200; ++i) {
                registerSecret(u"thread-%1-secret-%2"_s.arg(t).arg(i));
                (void)redactSecrets(u"log line with thread-%1-secret-%2"_s.arg((t + 1) % 4).arg(i));
            }
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    for (int t = 0; t < 4; ++t)
        QCOMPARE(redactSecrets(u"x thread-%1-secret-199 y"_s.arg(t)), u"x *** y"_s);
}

void TestRedaction::bytes()
{
    const QByteArray line
        = "GET /api?token=abc123 HTTP/1.1\r\nAuthorization: Api-Token " + Token.toUtf8() + "\r\n";
    QCOMPARE(redactSecrets(QByteArrayView(line)),
        QByteArray("GET /api?token=*** HTTP/1.1\r\nAuthorization: Api-Token " + Masked.toUtf8() + "\r\n"));
    const QByteArray binary("\xff\xfe\x00plain", 8);
    QCOMPARE(redactSecrets(QByteArrayView(binary)), binary); // nothing to mask: the bytes, untouched
}

void TestRedaction::bodyExcerptIsRedacted()
{
    const QByteArray page = "<html><body><h1>Forbidden</h1><p>Token " + Token.toUtf8()
        + " lacks scope; see https://x/?access_token=abc</p></body></html>";
    QCOMPARE(canary::net::bodyExcerpt(page),
        QString(u"Forbidden Token "_s + Masked + u" lacks scope; see https://x/?access_token=***"_s));
}

void TestRedaction::everyLoggingCategoryIsRedacted()
{
    delivered.clear();
    previousFilter = QLoggingCategory::installFilter(&enableTestCategories);
    const QtMessageHandler testlibHandler = qInstallMessageHandler(&capturingHandler);
    QVERIFY(canary::net::installRedactingMessageHandler() == &capturingHandler);
    QVERIFY(canary::net::installRedactingMessageHandler() == &capturingHandler); // still one wrapper

    const QString request = u"GET https://abc.live.dynatrace.com/api/v2/metrics/query?metricSelector=x "
                            "Authorization: Api-Token "_s
        + Token;
    qDebug("%s", qUtf8Printable(request));
    qInfo() << request;
    qWarning().noquote() << request;
    qCritical().nospace() << "failed: " << request;
    qCDebug(lcRedactionTest) << request;
    qCInfo(lcRedactionTest).noquote() << request;
    qCWarning(lcOtherTest, "%s", qUtf8Printable(request));
    qCCritical(lcOtherTest) << "bare token" << Token;

    qInstallMessageHandler(testlibHandler);
    QLoggingCategory::installFilter(previousFilter);

    QCOMPARE(delivered.size(), 8);
    for (const QString &line : std::as_const(delivered)) {
        QVERIFY2(!line.contains(SecretPart), qPrintable(line));
        QVERIFY2(line.contains(Masked), qPrintable(line));
    }
    QVERIFY(delivered.first().startsWith(u"default: "_s));
    QVERIFY(delivered.at(4).startsWith(u"canary.test.redaction: "_s));
    QVERIFY(delivered.at(7).startsWith(u"canary.test.other: "_s));
}

QTEST_GUILESS_MAIN(TestRedaction)
#include "tst_redaction.moc"
