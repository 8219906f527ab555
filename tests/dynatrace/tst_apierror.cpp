#include <QDateTime>
#include <QFile>
#include <QLocale>
#include <QTest>

#include "dynatrace/apierror.h"
#include "net/httpresponse.h"
#include "testdata.h"

using namespace Qt::Literals::StringLiterals;
using canary::dynatrace::ApiError;
using canary::net::HttpResponse;

namespace {

const QUrl queryUrl(
    u"http://127.0.0.1:8080/api/v2/metrics/query?metricSelector=builtin%3Ax&Api-Token=dt0c01.SECRET"_s);

QByteArray readFixture(const QString &name)
{
    return canary::testing::readTestData(u"dynatrace/"_s + name);
}

HttpResponse failed(HttpResponse::Failure failure, const QString &errorString, const QUrl &url = queryUrl)
{
    HttpResponse response;
    response.url = url;
    response.failure = failure;
    response.errorString = errorString;
    return response;
}

HttpResponse answered(int status, const QByteArray &body,
    const QList<QPair<QByteArray, QByteArray>> &headers = {}, const QUrl &url = queryUrl)
{
    HttpResponse response;
    response.url = url;
    response.status = status;
    response.body = body;
    response.headers = headers;
    return response;
}

const QByteArray nginx502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
                            "</body>\r\n</html>\r\n";

} // namespace

class TestApiError : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fixturesPresent();
    void fromResponse_data();
    void fromResponse();
    void constraintViolationsCopied();
    void urlLosesQueryAndCredentials();
    void serverTextIsRedacted();
    void longHtmlBodyIsShortened();
    void retryAfterHttpDateWithoutServerDate();
    void factories();
    void parserErrorSummaries();
    void summaryIsOneLine();
    void isConnectionOrAuth_data();
    void isConnectionOrAuth();
};

void TestApiError::fixturesPresent()
{
    for (const QString &name :
        { u"error_400_constraint_violation.json"_s, u"error_403_missing_scope.json"_s }) {
        if (readFixture(name).isEmpty())
            QFAIL(qPrintable(u"fixture empty: "_s + canary::testing::testDataPath(u"dynatrace/"_s + name)));
    }
}

void TestApiError::fromResponse_data()
{
    QTest::addColumn<HttpResponse>("response");
    QTest::addColumn<ApiError::Kind>("kind");
    QTest::addColumn<int>("httpStatus");
    QTest::addColumn<QString>("message");
    QTest::addColumn<int>("retryAfter"); // -1: none
    QTest::addColumn<QString>("summary");

    using Kind = ApiError::Kind;
    using Failure = HttpResponse::Failure;

    QTest::newRow("refused") << failed(Failure::Transport, u"Connection refused"_s) << Kind::Transport << 0
                             << u"Connection refused"_s << -1
                             << u"cannot reach 127.0.0.1:8080: Connection refused"_s;
    QTest::newRow("dns") << failed(Failure::Transport, u"Host abc.live.dynatrace.com not found"_s,
        QUrl(u"https://abc.live.dynatrace.com/api/v2/metrics/query"_s))
                         << Kind::Transport << 0 << u"Host abc.live.dynatrace.com not found"_s << -1
                         << u"cannot reach abc.live.dynatrace.com: Host abc.live.dynatrace.com not found"_s;
    QTest::newRow("timeout") << failed(Failure::Timeout, u"no answer from host within 30 s"_s)
                             << Kind::Timeout << 0 << u"no answer from host within 30 s"_s << -1
                             << u"no answer from host within 30 s"_s;
    QTest::newRow("timeout without text") << failed(Failure::Timeout, QString()) << Kind::Timeout << 0
                                          << QString() << -1 << u"no answer from 127.0.0.1:8080 in time"_s;
    QTest::newRow("canceled") << failed(Failure::Canceled, u"canceled"_s) << Kind::Canceled << 0
                              << u"canceled"_s << -1 << u"request to /api/v2/metrics/query canceled"_s;
    QTest::newRow("timeout wins over a status") // an abort after the headers arrived is still a timeout
        <<
        [] {
            HttpResponse r = answered(200, "{\"tot");
            r.failure = HttpResponse::Failure::Timeout;
            r.errorString = u"no answer from 127.0.0.1 within 0.2 s"_s;
            return r;
        }()
        << Kind::Timeout << 0 << u"no answer from 127.0.0.1 within 0.2 s"_s << -1
        << u"no answer from 127.0.0.1 within 0.2 s"_s;

    QTest::newRow("401") << answered(
        401, R"({"error":{"code":401,"message":"Missing authorization parameter."}})")
                         << Kind::Unauthorized << 401 << u"Missing authorization parameter."_s << -1
                         << u"HTTP 401 from /api/v2/metrics/query: Missing authorization parameter."_s;
    QTest::newRow("403 fixture")
        << answered(403, readFixture(u"error_403_missing_scope.json"_s), {},
               QUrl(u"https://abc.live.dynatrace.com/api/v2/problems?from=now-2h"_s))
        << Kind::Forbidden << 403
        << u"Token is missing required scope. Use one of: problems.read (Read problems)"_s << -1
        << u"HTTP 403 from /api/v2/problems: Token is missing required scope. Use one of: problems.read (Read problems)"_s;
    QTest::newRow("404 envelope")
        << answered(404, R"({"error":{"code":404,"message":"Metric key calc:service.nope not found"}})", {},
               QUrl(u"https://h/e/abc/api/v2/metrics/calc:service.nope"_s))
        << Kind::NotFound << 404 << u"Metric key calc:service.nope not found"_s << -1
        << u"HTTP 404 from /e/abc/api/v2/metrics/calc:service.nope: Metric key calc:service.nope not found"_s;
    QTest::newRow("404 empty body") << answered(404, {}) << Kind::NotFound << 404 << u"Not Found"_s << -1
                                    << u"HTTP 404 from /api/v2/metrics/query: Not Found"_s;
    QTest::newRow("400 fixture")
        << answered(400, readFixture(u"error_400_constraint_violation.json"_s)) << Kind::BadRequest << 400
        << u"Constraints violated."_s << -1
        << u"HTTP 400 from /api/v2/metrics/query: Constraints violated. (nextPageKey: expected "
           "one of nextPageKey or metricSelector to be specified)"_s;
    QTest::newRow("400 two violations") << answered(400,
        R"({"error":{"code":400,"message":"Constraints violated.","constraintViolations":[)"
        R"({"path":"metricSelector","message":"expected one of splitBy, sum","parameterLocation":"QUERY"},)"
        R"({"path":"resolution","message":"invalid","parameterLocation":"QUERY"}]}})")
                                        << Kind::BadRequest << 400 << u"Constraints violated."_s << -1
                                        << u"HTTP 400 from /api/v2/metrics/query: Constraints violated. "
                                           u"(metricSelector: expected one of splitBy, "
                                           "sum; resolution: invalid)"_s;
    QTest::newRow("400 array envelope")
        << answered(400,
               R"([{"error":{"code":400,"message":"Metric selector parse error"}},)"
               R"({"error":{"code":400,"message":"Unknown transformation 'sums'"}}])")
        << Kind::BadRequest << 400 << u"Metric selector parse error; Unknown transformation 'sums'"_s << -1
        << u"HTTP 400 from /api/v2/metrics/query: Metric selector parse error; Unknown transformation 'sums'"_s;
    QTest::newRow("429 retry-after seconds")
        << answered(
               429, R"({"error":{"code":429,"message":"Too many requests."}})", { { "Retry-After", " 30 " } })
        << Kind::RateLimited << 429 << u"Too many requests."_s << 30
        << u"HTTP 429 from /api/v2/metrics/query: Too many requests. (retry after 30 s)"_s;
    QTest::newRow("429 retry-after http-date")
        << answered(429, {},
               { { "Date", "Wed, 21 Oct 2015 07:28:00 GMT" },
                   { "retry-after", "Wed, 21 Oct 2015 07:30:00 GMT" } })
        << Kind::RateLimited << 429 << u"Too Many Requests"_s << 120
        << u"HTTP 429 from /api/v2/metrics/query: Too Many Requests (retry after 120 s)"_s;
    QTest::newRow("503 retry-after asctime")
        << answered(503, {},
               { { "Date", "Sun, 06 Nov 1994 08:49:37 GMT" }, { "Retry-After", "Sun Nov  6 08:50:07 1994" } })
        << Kind::ServerError << 503 << u"Service Unavailable"_s << 30
        << u"HTTP 503 from /api/v2/metrics/query: Service Unavailable (retry after 30 s)"_s;
    QTest::newRow("429 retry-after date in the past")
        << answered(429, {},
               { { "Date", "Wed, 21 Oct 2015 07:28:00 GMT" },
                   { "Retry-After", "Wed, 21 Oct 2015 07:00:00 GMT" } })
        << Kind::RateLimited << 429 << u"Too Many Requests"_s << 0
        << u"HTTP 429 from /api/v2/metrics/query: Too Many Requests (retry after 0 s)"_s;
    QTest::newRow("429 retry-after negative")
        << answered(429, {}, { { "Retry-After", "-5" } }) << Kind::RateLimited << 429
        << u"Too Many Requests"_s << 0
        << u"HTTP 429 from /api/v2/metrics/query: Too Many Requests (retry after 0 s)"_s;
    QTest::newRow("429 retry-after garbage")
        << answered(429, {}, { { "Retry-After", "soon" } }) << Kind::RateLimited << 429
        << u"Too Many Requests"_s << -1 << u"HTTP 429 from /api/v2/metrics/query: Too Many Requests"_s;
    QTest::newRow("503 retry-after")
        << answered(503, "upstream busy", { { "Retry-After", "5" } }) << Kind::ServerError << 503
        << u"upstream busy"_s << 5
        << u"HTTP 503 from /api/v2/metrics/query: upstream busy (retry after 5 s)"_s;
    QTest::newRow("502 nginx html") << answered(502, nginx502) << Kind::ServerError << 502
                                    << u"502 Bad Gateway nginx"_s << -1
                                    << u"HTTP 502 from /api/v2/metrics/query: 502 Bad Gateway nginx"_s;
    QTest::newRow("500 empty body") << answered(500, {}) << Kind::ServerError << 500
                                    << u"Internal Server Error"_s << -1
                                    << u"HTTP 500 from /api/v2/metrics/query: Internal Server Error"_s;
    QTest::newRow("500 whitespace body")
        << answered(500, " \n\t") << Kind::ServerError << 500 << u"Internal Server Error"_s << -1
        << u"HTTP 500 from /api/v2/metrics/query: Internal Server Error"_s;
    QTest::newRow("500 html entities") << answered(
        500, "<p>a &lt;b&gt; &amp; &quot;c&quot;</p><script>var x = '<p>';</script><!-- <b>hidden</b> -->")
                                       << Kind::ServerError << 500 << u"a <b> & \"c\""_s << -1
                                       << u"HTTP 500 from /api/v2/metrics/query: a <b> & \"c\""_s;
    QTest::newRow("500 foreign json")
        << answered(500, R"({"message": "boom"})") << Kind::ServerError << 500 << uR"({"message": "boom"})"_s
        << -1 << uR"(HTTP 500 from /api/v2/metrics/query: {"message": "boom"})"_s;
    QTest::newRow("406 envelope") << answered(406, R"({"error":{"code":406,"message":"Not acceptable"}})")
                                  << Kind::HttpError << 406 << u"Not acceptable"_s << -1
                                  << u"HTTP 406 from /api/v2/metrics/query: Not acceptable"_s;
    QTest::newRow("418 empty") << answered(418, {}) << Kind::HttpError << 418 << QString() << -1
                               << u"HTTP 418 from /api/v2/metrics/query"_s;
    QTest::newRow("302 redirect") << answered(302, {}, { { "Location", "https://sso.example/login" } })
                                  << Kind::HttpError << 302 << QString() << -1
                                  << u"HTTP 302 from /api/v2/metrics/query"_s;
    QTest::newRow("envelope code differs from status") // the status line decides the kind
        << answered(502, R"({"error":{"code":400,"message":"proxied"}})") << Kind::ServerError << 502
        << u"proxied"_s << -1 << u"HTTP 502 from /api/v2/metrics/query: proxied"_s;
}

void TestApiError::fromResponse()
{
    QFETCH(HttpResponse, response);
    QFETCH(ApiError::Kind, kind);
    QFETCH(int, httpStatus);
    QFETCH(QString, message);
    QFETCH(int, retryAfter);
    QFETCH(QString, summary);

    const ApiError error = canary::dynatrace::errorFromResponse(response);
    QCOMPARE(error.kind, kind);
    QCOMPARE(error.httpStatus, httpStatus);
    QCOMPARE(error.message, message);
    QCOMPARE(error.retryAfterSeconds.value_or(-1), retryAfter);
    QCOMPARE(error.summary(), summary);
    QCOMPARE(error.url, response.url.adjusted(QUrl::RemoveQuery));
}

void TestApiError::constraintViolationsCopied()
{
    const QByteArray body = readFixture(u"error_400_constraint_violation.json"_s);
    QVERIFY2(!body.isEmpty(), "error_400_constraint_violation.json missing");
    const ApiError error = canary::dynatrace::errorFromResponse(answered(400, body));
    QCOMPARE(error.constraintViolations.size(), 1);
    QCOMPARE(error.constraintViolations[0].path, u"nextPageKey"_s);
    QCOMPARE(error.constraintViolations[0].message,
        u"expected one of nextPageKey or metricSelector to be specified"_s);
    QCOMPARE(error.constraintViolations[0].parameterLocation, u"QUERY"_s);
    QVERIFY(error.constraintViolations[0].location.isEmpty());
}

// A tenant that echoes the token in its error text (some proxies and older clusters do) must not put it
// in a dialog or a log line: the public dt0c01.XXXX part stays, the secret part goes.
void TestApiError::serverTextIsRedacted()
{
    const QByteArray body
        = R"({"error":{"code":401,"message":"Token dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.)"
          R"(ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123 is unknown",)"
          R"("constraintViolations":[{"path":"token","message":"Api-Token s3cretvalue12 ",)"
          R"("parameterLocation":"HEADER","location":null}]}})";
    const ApiError error = canary::dynatrace::errorFromResponse(answered(401, body));
    const QString summary = error.summary();
    QVERIFY2(summary.contains(u"dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX"_s), qPrintable(summary));
    QVERIFY2(!summary.contains(u"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"_s), qPrintable(summary));
    QCOMPARE(error.constraintViolations.size(), 1);
    QVERIFY2(!error.constraintViolations[0].message.contains(u"s3cretvalue12"_s),
        qPrintable(error.constraintViolations[0].message));
    QVERIFY2(!summary.contains(u"s3cretvalue12"_s), qPrintable(summary));
}

// Summaries end up in logs and bug reports; the query can carry a token (Api-Token=) and must not.
void TestApiError::urlLosesQueryAndCredentials()
{
    const QUrl url(
        u"https://user:pass@abc.live.dynatrace.com/e/x/api/v2/metrics/query?Api-Token=dt0c01.SECRET#frag"_s);
    const ApiError error = canary::dynatrace::errorFromResponse(answered(401, {}, {}, url));
    QCOMPARE(error.url, QUrl(u"https://abc.live.dynatrace.com/e/x/api/v2/metrics/query"_s));
    QVERIFY(!error.summary().contains(u"SECRET"_s));
    QVERIFY(!error.summary().contains(u"pass"_s));
    QCOMPARE(error.summary(), u"HTTP 401 from /e/x/api/v2/metrics/query: Unauthorized"_s);
}

void TestApiError::longHtmlBodyIsShortened()
{
    QByteArray body = "<html><body><div class=\"error\">\n";
    for (int i = 0; i < 100; ++i)
        body += "<p>line " + QByteArray::number(i) + " of a very chatty error page</p>\n";
    body += "</div></body></html>";
    const ApiError error = canary::dynatrace::errorFromResponse(answered(500, body));
    QVERIFY2(error.message.size() <= 200, qPrintable(QString::number(error.message.size())));
    QVERIFY2(error.message.size() >= 150, qPrintable(error.message));
    QVERIFY(error.message.startsWith(u"line 0 of a very chatty error page line 1 of"_s));
    QVERIFY(error.message.endsWith(u'…'));
    QVERIFY(!error.message.contains(u'<'));
    QVERIFY(!error.message.contains(u'\n'));
}

void TestApiError::retryAfterHttpDateWithoutServerDate()
{
    // Without a Date header the local clock is the reference; a date an hour ahead gives about an hour.
    const QDateTime inAnHour = QDateTime::currentDateTimeUtc().addSecs(3600);
    const QByteArray value = QLocale::c().toString(inAnHour, u"ddd, dd MMM yyyy hh:mm:ss 'GMT'"_s).toLatin1();
    const ApiError error
        = canary::dynatrace::errorFromResponse(answered(503, {}, { { "Retry-After", value } }));
    QVERIFY2(error.retryAfterSeconds.has_value(), value.constData());
    QVERIFY2(*error.retryAfterSeconds > 3500 && *error.retryAfterSeconds <= 3600,
        qPrintable(QString::number(*error.retryAfterSeconds)));
}

void TestApiError::factories()
{
    const ApiError shape = ApiError::unexpectedShape(u"result: missing"_s);
    QCOMPARE(shape.kind, ApiError::Kind::UnexpectedShape);
    QCOMPARE(shape.message, u"result: missing"_s);
    QCOMPARE(shape.httpStatus, 0);
    QVERIFY(shape.constraintViolations.isEmpty());
    QVERIFY(!shape.retryAfterSeconds);

    const ApiError json = ApiError::malformedJson(u"parse error at line 1, column 1"_s);
    QCOMPARE(json.kind, ApiError::Kind::MalformedJson);
    QCOMPARE(json.message, u"parse error at line 1, column 1"_s);
    QCOMPARE(json.httpStatus, 0);
}

void TestApiError::parserErrorSummaries()
{
    ApiError json = ApiError::malformedJson(u"parse error at line 1, column 3: unexpected end of input"_s);
    json.url = QUrl(u"https://abc.live.dynatrace.com/api/v2/metrics/query"_s);
    json.httpStatus = 200;
    QCOMPARE(json.summary(),
        u"malformed JSON from /api/v2/metrics/query: parse error at line 1, column 3: unexpected end of input"_s);

    ApiError shape = ApiError::unexpectedShape(u"result[0].data[1].values[3]: expected a number or null"_s);
    shape.url = json.url;
    QCOMPARE(shape.summary(),
        u"unexpected response from /api/v2/metrics/query: result[0].data[1].values[3]: expected a number or null"_s);

    // Before MetricsClient fills in the URL there is no endpoint to name, but the line still reads.
    QCOMPARE(ApiError::unexpectedShape(u"root: expected an object"_s).summary(),
        u"unexpected response from server: root: expected an object"_s);
}

void TestApiError::summaryIsOneLine()
{
    const ApiError error = canary::dynatrace::errorFromResponse(answered(
        500, R"({"error":{"code":500,"message":"Internal error\n  at com.dynatrace.Foo\r\n  at Bar"}})"));
    QCOMPARE(error.summary(),
        u"HTTP 500 from /api/v2/metrics/query: Internal error at com.dynatrace.Foo at Bar"_s);
}

void TestApiError::isConnectionOrAuth_data()
{
    QTest::addColumn<ApiError::Kind>("kind");
    QTest::addColumn<bool>("expected");

    using Kind = ApiError::Kind;
    QTest::newRow("Transport") << Kind::Transport << true;
    QTest::newRow("Timeout") << Kind::Timeout << true;
    QTest::newRow("Unauthorized") << Kind::Unauthorized << true;
    QTest::newRow("Forbidden") << Kind::Forbidden << true;
    QTest::newRow("Canceled") << Kind::Canceled << false;
    QTest::newRow("NotFound") << Kind::NotFound << false;
    QTest::newRow("BadRequest") << Kind::BadRequest << false;
    QTest::newRow("RateLimited") << Kind::RateLimited << false;
    QTest::newRow("ServerError") << Kind::ServerError << false;
    QTest::newRow("HttpError") << Kind::HttpError << false;
    QTest::newRow("MalformedJson") << Kind::MalformedJson << false;
    QTest::newRow("UnexpectedShape") << Kind::UnexpectedShape << false;
}

void TestApiError::isConnectionOrAuth()
{
    QFETCH(ApiError::Kind, kind);
    QFETCH(bool, expected);
    ApiError error;
    error.kind = kind;
    QCOMPARE(error.isConnectionOrAuth(), expected);
}

QTEST_GUILESS_MAIN(TestApiError)
#include "tst_apierror.moc"
