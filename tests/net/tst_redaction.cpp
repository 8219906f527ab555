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
