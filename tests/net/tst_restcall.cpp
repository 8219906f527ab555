#include <algorithm>
#include <functional>
#include <memory>

#include <QDateTime>
#include <QFile>
#include <QLocale>
#include <QNetworkProxy>
#include <QPointer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryFile>
#include <QTest>

#include "net/redaction.h"
#include "net/restclient.h"
#include "net/reststream.h"
#include "net/tlspolicy.h"

using namespace Qt::Literals::StringLiterals;
using canary::net::HttpResponse;
using canary::net::RestCall;
using canary::net::RestClient;

namespace {

const QString TestData = QStringLiteral(NET_TEST_DATA);

QByteArray readData(const QString &name)
{
    QFile file(TestData + u'/' + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing test data %s", qPrintable(file.fileName()));
    return file.readAll();
}

struct ReceivedRequest
{
    QByteArray requestLine;
    QList<QPair<QByteArray, QByteArray>> headers;

    QByteArray header(const QByteArray &name) const
    {
        for (const auto &[key, value] : headers) {
            if (key.compare(name, Qt::CaseInsensitive) == 0)
                return value;
        }
        return {};
    }
    bool hasHeader(const QByteArray &name) const
    {
        return std::any_of(headers.begin(), headers.end(),
            [&](const auto &pair) { return pair.first.compare(name, Qt::CaseInsensitive) == 0; });
    }
};

// Just enough HTTP/1.1 for GET requests: reads the head, records it, lets the test decide what to answer.
class TinyHttpServer final : public QObject
{
public:
    using Handler = std::function<void(QTcpSocket *socket, const ReceivedRequest &request)>;

    explicit TinyHttpServer(Handler handler)
        : m_handler(std::move(handler))
    {
        connect(&m_server, &QTcpServer::newConnection, this, &TinyHttpServer::accept);
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QUrl url(const QString &path = {}) const
    {
        return QUrl(u"http://127.0.0.1:%1%2"_s.arg(m_server.serverPort()).arg(path));
    }

    QList<ReceivedRequest> requests;
    int connections = 0;

    static void respond(QTcpSocket *socket, int status, const QByteArray &reason, const QByteArray &body,
        const QList<QPair<QByteArray, QByteArray>> &headers = {})
    {
        QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n";
        for (const auto &[key, value] : headers)
            head += key + ": " + value + "\r\n";
        head += "Content-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n";
        socket->write(head + body);
        socket->disconnectFromHost();
    }

private:
    void accept()
    {
        while (QTcpSocket *socket = m_server.nextPendingConnection()) {
            ++connections;
            socket->setParent(this);
            auto buffer = std::make_shared<QByteArray>();
            connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
                *buffer += socket->readAll();
                const qsizetype end = buffer->indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                const QList<QByteArray> lines = buffer->left(end).split('\n');
                buffer->remove(0, end + 4);
                ReceivedRequest request;
                request.requestLine = lines.value(0).trimmed();
                for (qsizetype i = 1; i < lines.size(); ++i) {
                    const qsizetype colon = lines[i].indexOf(':');
                    if (colon > 0)
                        request.headers.append(
                            { lines[i].left(colon).trimmed(), lines[i].mid(colon + 1).trimmed() });
                }
                requests.append(request);
                m_handler(socket, request);
            });
        }
    }

    QTcpServer m_server;
    Handler m_handler;
};

// An HTTPS server on 127.0.0.1 with the self-signed certificate of data/server.crt: answers every request
// with 200 {} and remembers what it got. A client that rejects the certificate never gets to send a request.
class TinyHttpsServer final : public QObject
{
public:
    TinyHttpsServer()
    {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setLocalCertificate(QSslCertificate::fromData(readData(u"server.crt"_s)).value(0));
        tls.setPrivateKey(QSslKey(readData(u"server.key"_s), QSsl::Rsa));
        tls.setPeerVerifyMode(QSslSocket::VerifyNone);
        m_server.setSslConfiguration(tls);
        // Emitted once the handshake is done: a connection the client broke off never shows up here.
        connect(&m_server, &QTcpServer::pendingConnectionAvailable, this, &TinyHttpsServer::accept);
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QUrl url() const { return QUrl(u"https://127.0.0.1:%1"_s.arg(m_server.serverPort())); }

    int requests = 0;
    QByteArray authorization;

private:
    void accept()
    {
        while (auto *socket = qobject_cast<QSslSocket *>(m_server.nextPendingConnection())) {
            socket->setParent(this);
            auto buffer = std::make_shared<QByteArray>();
            connect(socket, &QSslSocket::readyRead, this, [this, socket, buffer] {
                *buffer += socket->readAll();
                const qsizetype end = buffer->indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                ++requests;
                for (const QByteArray &line : buffer->left(end).split('\n')) {
                    if (line.toLower().startsWith("authorization:"))
                        authorization = line.mid(14).trimmed();
                }
                socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                              "Connection: close\r\n\r\n{}");
                socket->disconnectFromHost();
            });
        }
    }

    QSslServer m_server;
};

// Records every finished() of one call; the call's own lifetime is tracked through the QPointer.
struct CallRecorder
{
    explicit CallRecorder(RestCall *restCall)
        : call(restCall)
    {
        QObject::connect(restCall, &RestCall::finished, restCall,
            [this](const HttpResponse &response) { responses.append(response); });
    }

    QPointer<RestCall> call;
    QList<HttpResponse> responses;
};

} // namespace

class TestRestCall : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void successDeliveredOnce();
    void errorStatusIsAnAnswer_data();
    void errorStatusIsAnAnswer();
    void connectionRefused();
    void timeoutWithoutAnswer();
    void timeoutWithStalledBody();
    void cancel();
    void clientDestroyedWithACallInFlight();
    void authorizationSentToBaseOrigin();
    void noAuthorizationWhenUnset();
    void credentialsDoNotFollowCrossOriginRedirect();
    void credentialsDoNotFollowRedirectToAnotherHostName();
    void credentialsFollowSameOriginRedirect();
    void refusedRedirectSaysWhereItPointed_data();
    void refusedRedirectSaysWhereItPointed();
    void refusedRedirectOfAStreamSaysWhereItPointed();
    void redirectStaysInTheBasesEnvironment();
    void tlsHandshakeFailureNamesHostAndReason();

    // Security policy
    void transportPolicy_data();
    void transportPolicy();
    void plainHttpToRemoteHostRefused_data();
    void plainHttpToRemoteHostRefused();
    void plainHttpToLoopbackAllowed();
    void refusedCallCanceledBeforeDelivery();
    void refusedCallDroppedWithItsClient();
    void errorStringsAreRedacted();
    void caBundleWithoutCertificates();
    void caBundleMissing();
    void tlsErrorsAreFatalByDefault();
    void caBundleTrustsTheServer();
    void insecureTlsAllowedIsReported();
    void processPolicyCaBundleTrustsTheServer();
    void processPolicyInsecureTlsReachesTheMonitor();
    void processPolicyUnreadableBundleRefusesHttps();
    void verifyNoneCountsAsInsecureTls();
    void retry_transientStatusThenSuccess_data();
    void retry_transientStatusThenSuccess();
    void retry_honoursRetryAfter();
    void retry_honoursRateLimitResetInMicroseconds();
    void retry_longerWaitThanAllowed_deliversTheAnswer();
    void retry_backoffDoublesAndStops();
    void retry_neverForWrites();
    void retry_connectionRefused_thenGivesUp();
    void retry_notAfterTimeout();
    void retry_cancelDuringTheWait();
    void retryPolicy_delays();
};

void TestRestCall::initTestCase()
{
    // An http_proxy in the environment would route 127.0.0.1 through it and test the proxy instead.
    QNetworkProxy::setApplicationProxy(QNetworkProxy::NoProxy);
}

void TestRestCall::init()
{
    // Qt's complaints (reading a closed reply, a signal to a dead object) are bugs in the call's lifecycle.
    QTest::failOnWarning(QRegularExpression(u".*"_s));
}

void TestRestCall::successDeliveredOnce()
{
    TinyHttpServer server([](QTcpSocket *socket, const ReceivedRequest &) {
        TinyHttpServer::respond(socket, 200, "OK", R"({"totalCount":0,"result":[]})",
            { { "Content-Type", "application/json" }, { "X-Canary", "yes" } });
    });
    QVERIFY(server.listen());

    RestClient client(server.url(u"/e/abc/"_s));
    CallRecorder recorder(client.get(
        u"/api/v2/metrics/query"_s, { { u"metricSelector"_s, u"a:filter(eq(\"v\",\"1+2\"))"_s } }));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);

    const HttpResponse &response = recorder.responses.first();
    QCOMPARE(response.failure, HttpResponse::Failure::None);
    QVERIFY(response.errorString.isEmpty());
    QCOMPARE(response.status, 200);
    QVERIFY(response.isSuccess());
    QCOMPARE(response.body, QByteArray(R"({"totalCount":0,"result":[]})"));
    QCOMPARE(response.header("x-canary"), QByteArray("yes"));
    QCOMPARE(response.header("Content-Type"), QByteArray("application/json"));
    QCOMPARE(response.url.path(), u"/e/abc/api/v2/metrics/query"_s);

    QCOMPARE(server.requests.size(), 1);
    const ReceivedRequest &request = server.requests.first();
    QCOMPARE(request.requestLine,
        QByteArray(
            "GET /e/abc/api/v2/metrics/query?metricSelector=a%3Afilter%28eq%28%22v%22%2C%221%2B2%22%29%29 "
            "HTTP/1.1"));
    QCOMPARE(request.header("Accept"), QByteArray("application/json"));
    QVERIFY(request.header("User-Agent").startsWith("CanaryConsole/"));
}

void TestRestCall::errorStatusIsAnAnswer_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("reason");
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("400") << 400 << QByteArray("Bad Request")
                         << QByteArray(R"({"error":{"code":400,"message":"x"}})");
    QTest::newRow("401") << 401 << QByteArray("Unauthorized")
                         << QByteArray(
                                R"({"error":{"code":401,"message":"Missing authorization parameter."}})");
    QTest::newRow("403") << 403 << QByteArray("Forbidden")
                         << QByteArray(R"({"error":{"code":403,"message":"scope"}})");
    QTest::newRow("404") << 404 << QByteArray("Not Found") << QByteArray();
    QTest::newRow("429") << 429 << QByteArray("Too Many Requests") << QByteArray("slow down");
    QTest::newRow("500") << 500 << QByteArray("Internal Server Error") << QByteArray("<html>boom</html>");
    QTest::newRow("502") << 502 << QByteArray("Bad Gateway") << QByteArray("<html>nginx</html>");
    QTest::newRow("503") << 503 << QByteArray("Service Unavailable") << QByteArray();
}

void TestRestCall::errorStatusIsAnAnswer()
{
    QFETCH(int, status);
    QFETCH(QByteArray, reason);
    QFETCH(QByteArray, body);
    TinyHttpServer server([&](QTcpSocket *socket, const ReceivedRequest &) {
        TinyHttpServer::respond(socket, status, reason, body, { { "Retry-After", "7" } });
    });
    QVERIFY(server.listen());

    RestClient client(server.url());
    client.setRetryPolicy(canary::net::RetryPolicy::none()); // the one answer, as it came
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    const HttpResponse &response = recorder.responses.first();
    QCOMPARE(response.failure, HttpResponse::Failure::None);
    QCOMPARE(response.status, status);
    QCOMPARE(response.body, body);
    QCOMPARE(response.header("Retry-After"), QByteArray("7"));
    QVERIFY(!response.isSuccess());
}

void TestRestCall::connectionRefused()
{
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    } // closed: nothing listens there now

    RestClient client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)));
    client.setRetryPolicy(canary::net::RetryPolicy::none());
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    const HttpResponse &response = recorder.responses.first();
    QCOMPARE(response.failure, HttpResponse::Failure::Transport);
    QCOMPARE(response.status, 0);
    QVERIFY2(
        response.errorString.contains(u"refused"_s, Qt::CaseInsensitive), qPrintable(response.errorString));
}

void TestRestCall::timeoutWithoutAnswer()
{
    TinyHttpServer server([](QTcpSocket *, const ReceivedRequest &) {}); // accepts, reads, never answers
    QVERIFY(server.listen());

    RestClient client(server.url());
    client.setTimeoutMs(200);
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    QCOMPARE(server.requests.size(), 1);
    const HttpResponse &response = recorder.responses.first();
    QCOMPARE(response.failure, HttpResponse::Failure::Timeout);
    QCOMPARE(response.errorString, u"no answer from 127.0.0.1 within 0.2 s"_s);
}

void TestRestCall::timeoutWithStalledBody()
{
    // Headers and part of the body arrive, then nothing: still a timeout, not a short success.
    TinyHttpServer server([](QTcpSocket *socket, const ReceivedRequest &) {
        socket->write(
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{\"tot");
    });
    QVERIFY(server.listen());

    RestClient client(server.url());
    client.setTimeoutMs(200);
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    QCOMPARE(recorder.responses.first().failure, HttpResponse::Failure::Timeout);
    QVERIFY(!recorder.responses.first().isSuccess());
}

void TestRestCall::cancel()
{
    TinyHttpServer server([](QTcpSocket *, const ReceivedRequest &) {});
    QVERIFY(server.listen());

    RestClient client(server.url());
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_COMPARE(server.requests.size(), 1); // in flight
    QVERIFY(recorder.responses.isEmpty());

    recorder.call->cancel();
    QCOMPARE(recorder.responses.size(), 1); // delivered synchronously
    QCOMPARE(recorder.responses.first().failure, HttpResponse::Failure::Canceled);
    QVERIFY(recorder.call->isFinished());
    recorder.call->cancel(); // a second cancel before the deferred delete is harmless
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
}

void TestRestCall::clientDestroyedWithACallInFlight()
{
    // A command-line run ends while a poll is still out: the client goes, its call with it, no crash and no
    // late delivery.
    TinyHttpServer server([](QTcpSocket *, const ReceivedRequest &) {});
    QVERIFY(server.listen());
    auto client = std::make_unique<RestClient>(server.url());
    CallRecorder recorder(client->get(u"/api/v2/metrics/query"_s));
    QTRY_COMPARE(server.requests.size(), 1);
    client.reset();
    QVERIFY(recorder.call.isNull());
    QVERIFY(recorder.responses.isEmpty());
}

void TestRestCall::authorizationSentToBaseOrigin()
{
    TinyHttpServer server([](QTcpSocket *socket, const ReceivedRequest &) {
        TinyHttpServer::respond(socket, 200, "OK", "{}");
    });
    QVERIFY(server.listen());

    RestClient client(server.url(u"/e/abc"_s));
    client.setAuthorization("Api-Token dt0c01.PUBLIC.SECRET");
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    QCOMPARE(server.requests.size(), 1);
    QCOMPARE(server.requests.first().header("Authorization"), QByteArray("Api-Token dt0c01.PUBLIC.SECRET"));
}

void TestRestCall::noAuthorizationWhenUnset()
{
    TinyHttpServer server([](QTcpSocket *socket, const ReceivedRequest &) {
        TinyHttpServer::respond(socket, 401, "Unauthorized", R"({"error":{"code":401,"message":"x"}})");
    });
    QVERIFY(server.listen());

    RestClient client(server.url());
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(server.requests.size(), 1);
    QVERIFY(!server.requests.first().hasHeader("Authorization"));
}

void TestRestCall::credentialsDoNotFollowCrossOriginRedirect()
{
    TinyHttpServer elsewhere([](QTcpSocket *socket, const ReceivedRequest &) {
        TinyHttpServer::respond(socket, 200, "OK", "{}");
    });
    QVERIFY(elsewhere.listen());
    TinyHttpServer tenant([&](QTcpSocket *socket, const ReceivedRequest &) {
        TinyHttpServer::respond(
            socket, 302, "Found", {}, { { "Location", elsewhere.url(u"/collect"_s).toEncoded() } });
    });
    QVERIFY(tenant.listen());

    RestClient client(tenant.url());
    client.setAuthorization("Api-Token dt0c01.PUBLIC.SECRET");
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    QCOMPARE(tenant.requests.size(), 1);
    // Qt refuses the hop before connecting, so the token cannot leak even without a header check.
    QVERIFY(elsewhere.requests.isEmpty());
    QCOMPARE(elsewhere.connections, 0);
    QVERIFY(!recorder.responses.first().isSuccess());
    QVERIFY(!recorder.responses.first().errorString.isEmpty());
}

void TestRestCall::credentialsDoNotFollowRedirectToAnotherHostName()
{
    // Same machine, same port even, but another host name: another origin.
    TinyHttpServer tenant([](QTcpSocket *socket, const ReceivedRequest &request) {
        if (request.requestLine.startsWith("GET /api/"))
            return TinyHttpServer::respond(socket, 307, "Temporary Redirect", {},
                { { "Location",
                    QByteArray(
                        "http://localhost:" + QByteArray::number(socket->localPort()) + "/collect") } });
        TinyHttpServer::respond(socket, 200, "OK", "{}");
    });
    QVERIFY(tenant.listen());

    RestClient client(tenant.url());
    client.setAuthorization("Api-Token dt0c01.PUBLIC.SECRET");
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    QVERIFY(!recorder.responses.first().isSuccess());
    QCOMPARE(tenant.requests.size(), 1); // the hop was never made, with or without the token
    QCOMPARE(tenant.requests.first().header("Authorization"), QByteArray("Api-Token dt0c01.PUBLIC.SECRET"));
}

void TestRestCall::credentialsFollowSameOriginRedirect()
{
    // The control for the two tests above: within the origin, a redirect is followed with the credentials.
    TinyHttpServer tenant([](QTcpSocket *socket, const ReceivedRequest &request) {
        if (request.requestLine.startsWith("GET /old"))
            return TinyHttpServer::respond(socket, 302, "Found", {}, { { "Location", "/new" } });
        TinyHttpServer::respond(socket, 200, "OK", "{}");
    });
    QVERIFY(tenant.listen());

    RestClient client(tenant.url());
    client.setAuthorization("Api-Token dt0c01.PUBLIC.SECRET");
    CallRecorder recorder(client.get(u"/old"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    QVERIFY(recorder.responses.first().isSuccess());
    QCOMPARE(tenant.requests.size(), 2);
    QVERIFY(tenant.requests.at(1).requestLine.startsWith("GET /new "));
    QCOMPARE(tenant.requests.at(1).header("Authorization"), QByteArray("Api-Token dt0c01.PUBLIC.SECRET"));
}

void TestRestCall::refusedRedirectSaysWhereItPointed_data()
{
    // Where the tenant redirects to; %1 is the port of a second server that counts what reaches it.
    QTest::addColumn<QString>("location");
    QTest::addColumn<QString>("shownTarget");
    QTest::addColumn<QString>("difference");

    QTest::newRow("another host, token in the query")
        << u"http://localhost:%1/collect?api-token=dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.SECRETPART0123456789"_s
        << u"http://localhost:%1/collect?…"_s << u"another host"_s;
    QTest::newRow("another port") << u"http://127.0.0.1:%1/collect"_s << u"http://127.0.0.1:%1/collect"_s
                                  << u"another port"_s;
    QTest::newRow("user info") << u"http://alice:hunter2@localhost:%1/"_s << u"http://localhost:%1/"_s
                               << u"another host"_s;
    // The same host over https: an upgrade the profile's URL should make, still not followed with the token.
    QTest::newRow("same host, https")
        << u"https://127.0.0.1:{tenant}/api/v2/metrics/query"_s
        << u"https://127.0.0.1:{tenant}/api/v2/metrics/query"_s << u"https:// instead of http://"_s;
    // A private address (cloud metadata, an internal service): refused before any connection is tried.
    QTest::newRow("private address") << u"http://169.254.169.254/latest/meta-data/?token=abc123"_s
                                     << u"http://169.254.169.254/latest/meta-data/?…"_s << u"another host"_s;
}

void TestRestCall::refusedRedirectSaysWhereItPointed()
{
    QFETCH(QString, location);
    QFETCH(QString, shownTarget);
    QFETCH(QString, difference);

    TinyHttpServer elsewhere([](QTcpSocket *socket, const ReceivedRequest &) {
        TinyHttpServer::respond(socket, 200, "OK", "{}");
    });
    QVERIFY(elsewhere.listen());
    QString target;
    TinyHttpServer tenant([&](QTcpSocket *socket, const ReceivedRequest &) {
        TinyHttpServer::respond(socket, 302, "Found", {}, { { "Location", target.toUtf8() } });
    });
    QVERIFY(tenant.listen());
    const QString tenantPort = QString::number(tenant.url().port());
    const QString elsewherePort = QString::number(elsewhere.url().port());
    const auto withPorts = [&](QString text) {
        return text.replace(u"{tenant}"_s, tenantPort).replace(u"%1"_s, elsewherePort);
    };
    target = withPorts(location);
    shownTarget = withPorts(shownTarget);

    RestClient client(tenant.url());
    client.setAuthorization("Api-Token dt0c01.PUBLIC.SECRET");
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    const HttpResponse &response = recorder.responses.first();
    QCOMPARE(response.failure, HttpResponse::Failure::Transport);
    const QString expected
        = u"http://127.0.0.1:%1 redirected to %2 (%3): not followed, credentials stay with "
          "their origin (http://127.0.0.1:%1); check the URL in the profile"_s.arg(
              tenantPort, shownTarget, difference);
    QCOMPARE(response.errorString, expected);
    QVERIFY(!response.errorString.contains(u"SECRET"_s));
    QVERIFY(!response.errorString.contains(u"hunter2"_s));
    QVERIFY(!response.errorString.contains(u"abc123"_s));
    QCOMPARE(tenant.requests.size(), 1); // no second attempt at the hop, with or without the token
    QCOMPARE(elsewhere.connections, 0);
    QVERIFY(elsewhere.requests.isEmpty());
}

// A Managed cluster serves several environments on one host: /e/abc's token must not follow a redirect to
// /e/xyz, while a redirect within /e/abc is followed as before.
void TestRestCall::redirectStaysInTheBasesEnvironment()
{
    QList<QByteArray> authorizations;
    TinyHttpServer cluster([&](QTcpSocket *socket, const ReceivedRequest &request) {
        authorizations.append(request.header("Authorization"));
        if (request.requestLine.startsWith("GET /e/abc/api/v2/moved"))
            TinyHttpServer::respond(socket, 302, "Found", {}, { { "Location", "/e/abc/api/v2/here" } });
        else if (request.requestLine.startsWith("GET /e/abc/api/v2/away"))
            TinyHttpServer::respond(socket, 302, "Found", {}, { { "Location", "/e/xyz/api/v2/events" } });
        else
            TinyHttpServer::respond(socket, 200, "OK", "{}");
    });
    QVERIFY(cluster.listen());
    RestClient client(cluster.url(u"/e/abc"_s));
    client.setAuthorization("Api-Token dt0c01.PUBLIC.ENVSECRET");

    CallRecorder within(client.get(u"/api/v2/moved"_s));
    QTRY_VERIFY(within.call.isNull());
    QCOMPARE(within.responses.size(), 1);
    QCOMPARE(within.responses.first().status, 200);
    QCOMPARE(authorizations.size(), 2);

    CallRecorder away(client.get(u"/api/v2/away"_s));
    QTRY_VERIFY(away.call.isNull());
    QCOMPARE(away.responses.size(), 1);
    const HttpResponse &response = away.responses.first();
    QCOMPARE(response.failure, HttpResponse::Failure::Transport);
    QVERIFY2(response.errorString.contains(u"/e/xyz/api/v2/events (outside /e/abc): not followed"_s),
        qPrintable(response.errorString));
    QCOMPARE(authorizations.size(), 3); // nothing reached /e/xyz
    for (const QByteArray &authorization : std::as_const(authorizations))
        QCOMPARE(authorization, QByteArray("Api-Token dt0c01.PUBLIC.ENVSECRET"));
}

void TestRestCall::refusedRedirectOfAStreamSaysWhereItPointed()
{
    TinyHttpServer elsewhere([](QTcpSocket *socket, const ReceivedRequest &) {
        TinyHttpServer::respond(socket, 200, "OK", "{}");
    });
    QVERIFY(elsewhere.listen());
    TinyHttpServer tenant([&](QTcpSocket *socket, const ReceivedRequest &) {
        TinyHttpServer::respond(socket, 307, "Temporary Redirect", {},
            { { "Location", "http://localhost:" + QByteArray::number(elsewhere.url().port()) + "/stream" } });
    });
    QVERIFY(tenant.listen());

    RestClient client(tenant.url());
    client.setAuthorization("Api-Token dt0c01.PUBLIC.SECRET");
    QPointer<canary::net::RestStream> stream = client.stream(u"/api/v2/events/stream"_s, {}, 0);
    QSignalSpy finished(stream.data(), &canary::net::RestStream::finished);
    QTRY_COMPARE(finished.size(), 1);
    const auto response = finished.first().first().value<HttpResponse>();
    QCOMPARE(response.failure, HttpResponse::Failure::Transport);
    QCOMPARE(response.errorString,
        u"http://127.0.0.1:%1 redirected to http://localhost:%2/stream (another host): not followed, "
        "credentials stay with their origin (http://127.0.0.1:%1); check the URL in the profile"_s.arg(
            QString::number(tenant.url().port()), QString::number(elsewhere.url().port())));
    QCOMPARE(tenant.requests.size(), 1);
    QCOMPARE(elsewhere.connections, 0);
}

void TestRestCall::tlsHandshakeFailureNamesHostAndReason()
{
    // A plain-HTTP server on the port the URL says is https://: the handshake breaks without a certificate
    // problem to name, and Qt's own text does not say with whom.
    QTcpServer plain;
    int received = 0;
    QVERIFY(plain.listen(QHostAddress::LocalHost, 0));
    connect(&plain, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *socket = plain.nextPendingConnection()) {
            socket->setParent(&plain);
            connect(socket, &QTcpSocket::readyRead, socket, [&received, socket] {
                received += int(socket->readAll().size());
                socket->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                socket->disconnectFromHost();
            });
        }
    });

    const QUrl url(u"https://127.0.0.1:%1"_s.arg(plain.serverPort()));
    RestClient client(url);
    client.setAuthorization("Api-Token dt0c01.PUBLIC.SECRET");
    client.setRetryPolicy(canary::net::RetryPolicy::none());
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    const HttpResponse &response = recorder.responses.first();
    QCOMPARE(response.failure, HttpResponse::Failure::Transport);
    const QString prefix = u"TLS handshake with 127.0.0.1 failed: "_s;
    QVERIFY2(response.errorString.startsWith(prefix), qPrintable(response.errorString));
    // Qt's reason follows, and what to check.
    QVERIFY2(response.errorString.size() > prefix.size() + 10, qPrintable(response.errorString));
    QVERIFY2(
        response.errorString.endsWith(u"(is https://127.0.0.1:%1 serving HTTPS?)"_s.arg(plain.serverPort())),
        qPrintable(response.errorString));
    QVERIFY(received > 0); // a ClientHello, never the request with its token
}

void TestRestCall::transportPolicy_data()
{
    QTest::addColumn<QUrl>("url");
    QTest::addColumn<bool>("allowed");

    QTest::newRow("https") << QUrl(u"https://abc.live.dynatrace.com/api"_s) << true;
    QTest::newRow("https ip") << QUrl(u"https://10.0.0.1:6443"_s) << true;
    QTest::newRow("http 127.0.0.1") << QUrl(u"http://127.0.0.1:8080/"_s) << true;
    QTest::newRow("http 127.9.8.7") << QUrl(u"http://127.9.8.7/"_s) << true;
    QTest::newRow("http ::1") << QUrl(u"http://[::1]:8080/"_s) << true;
    QTest::newRow("http localhost") << QUrl(u"http://localhost:8080/"_s) << true;
    QTest::newRow("http LOCALHOST") << QUrl(u"http://LOCALHOST/"_s) << true;
    QTest::newRow("http remote") << QUrl(u"http://example.com/"_s) << false;
    QTest::newRow("http private ip") << QUrl(u"http://10.0.0.1/"_s) << false;
    QTest::newRow("http 128.0.0.1") << QUrl(u"http://128.0.0.1/"_s) << false;
    QTest::newRow("http loopback-looking name") << QUrl(u"http://127.0.0.1.nip.io/"_s) << false;
    QTest::newRow("http localhost subdomain") << QUrl(u"http://localhost.example.com/"_s) << false;
    QTest::newRow("ftp") << QUrl(u"ftp://example.com/"_s) << false;
    QTest::newRow("file") << QUrl(u"file:///etc/passwd"_s) << false;
    QTest::newRow("no scheme") << QUrl(u"example.com/api"_s) << false;
}

void TestRestCall::transportPolicy()
{
    QFETCH(QUrl, url);
    QFETCH(bool, allowed);
    const QString error = canary::net::transportPolicyError(url);
    QVERIFY2(error.isEmpty() == allowed, qPrintable(error));
}

void TestRestCall::plainHttpToRemoteHostRefused_data()
{
    QTest::addColumn<QByteArray>("verb");
    QTest::newRow("GET") << QByteArray("GET");
    QTest::newRow("POST") << QByteArray("POST");
}

void TestRestCall::plainHttpToRemoteHostRefused()
{
    // .invalid never resolves: had the client tried, the error would be a DNS one ("Host ... not found").
    QFETCH(QByteArray, verb);
    RestClient client(QUrl(u"http://example.invalid/e/abc"_s));
    client.setAuthorization("Api-Token dt0c01.PUBLIC.SECRET");
    CallRecorder recorder(verb == "GET" ? client.get(u"/api/v2/metrics/query"_s)
                                        : client.send(verb, u"/api/v2/events/ingest"_s, {}, "{}"));
    QVERIFY(recorder.responses.isEmpty()); // delivered from the event loop, after the caller connected
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    const HttpResponse &response = recorder.responses.first();
    QCOMPARE(response.failure, HttpResponse::Failure::Transport);
    QCOMPARE(response.status, 0);
    QVERIFY(!response.isSuccess());
    QCOMPARE(response.url.host(), u"example.invalid"_s);
    QCOMPARE(response.errorString,
        u"refusing plain HTTP to example.invalid: credentials would travel unencrypted; use https://"_s);
}

void TestRestCall::plainHttpToLoopbackAllowed()
{
    TinyHttpServer server([](QTcpSocket *socket, const ReceivedRequest &) {
        TinyHttpServer::respond(socket, 200, "OK", "{}");
    });
    QVERIFY(server.listen());
    RestClient client(server.url()); // http://127.0.0.1:<port>
    CallRecorder recorder(client.send("POST", u"/api/v2/events/ingest"_s, {}, "{}"));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    QVERIFY(recorder.responses.first().isSuccess());
    QCOMPARE(server.requests.size(), 1);
}

void TestRestCall::refusedCallCanceledBeforeDelivery()
{
    RestClient client(QUrl(u"http://example.invalid"_s));
    CallRecorder recorder(client.get(u"/x"_s));
    recorder.call->cancel();
    QCOMPARE(recorder.responses.size(), 1); // synchronously, like any cancel
    QCOMPARE(recorder.responses.first().failure, HttpResponse::Failure::Canceled);
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1); // the refusal queued before is not delivered as well
}

void TestRestCall::refusedCallDroppedWithItsClient()
{
    auto client = std::make_unique<RestClient>(QUrl(u"http://example.invalid"_s));
    CallRecorder recorder(client->get(u"/x"_s));
    client.reset();
    QVERIFY(recorder.call.isNull());
    QCoreApplication::processEvents();
    QVERIFY(recorder.responses.isEmpty());
}

void TestRestCall::errorStringsAreRedacted()
{
    // Whatever text ends up in errorString goes through redactSecrets: here a registered secret in a host
    // name.
    canary::net::registerSecret(u"tenant-secret-4242"_s);
    RestClient client(QUrl(u"http://tenant-secret-4242.invalid"_s));
    CallRecorder recorder(client.get(u"/x"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    const QString error = recorder.responses.first().errorString;
    QVERIFY2(error.startsWith(u"refusing plain HTTP to ***.invalid"_s), qPrintable(error));
}

void TestRestCall::caBundleWithoutCertificates()
{
    QTemporaryFile bundle;
    QVERIFY(bundle.open());
    bundle.write("# corporate CA goes here\n-----BEGIN PRIVATE KEY-----\nnot a certificate\n");
    bundle.close();

    RestClient client(QUrl(u"https://abc.live.dynatrace.com"_s));
    const QString error = client.setCaBundle(bundle.fileName());
    QVERIFY2(error.contains(u"no PEM certificate"_s), qPrintable(error));
    QVERIFY(error.contains(bundle.fileName()));
    QVERIFY(client.caBundle().isEmpty());

    QCOMPARE(client.setCaBundle(TestData + u"/server.crt"_s), QString());
    QCOMPARE(client.caBundle().size(), 1);
    // A bad bundle later keeps the good one.
    QVERIFY(!client.setCaBundle(bundle.fileName()).isEmpty());
    QCOMPARE(client.caBundle().size(), 1);
}

void TestRestCall::caBundleMissing()
{
    RestClient client(QUrl(u"https://abc.live.dynatrace.com"_s));
    const QString error = client.setCaBundle(TestData + u"/no-such-bundle.pem"_s);
    QVERIFY2(error.startsWith(u"cannot read the CA bundle"_s), qPrintable(error));
    QVERIFY(client.caBundle().isEmpty());
}

void TestRestCall::tlsErrorsAreFatalByDefault()
{
    TinyHttpsServer server;
    QVERIFY(server.listen());

    RestClient client(server.url());
    client.setAuthorization("Api-Token dt0c01.PUBLIC.SECRET");
    QSignalSpy insecure(&client, &RestClient::insecureTlsAccepted);
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    const HttpResponse &response = recorder.responses.first();
    QCOMPARE(response.failure, HttpResponse::Failure::Transport);
    QCOMPARE(response.status, 0);
    QVERIFY2(
        response.errorString.startsWith(u"TLS error from 127.0.0.1: "_s), qPrintable(response.errorString));
    QVERIFY2(response.errorString.contains(u"self-signed"_s, Qt::CaseInsensitive),
        qPrintable(response.errorString));
    QCOMPARE(server.requests, 0); // the token never left
    QVERIFY(server.authorization.isEmpty());
    QVERIFY(!client.insecureTlsUsed());
    QCoreApplication::processEvents();
    QCOMPARE(insecure.size(), 0);
}

void TestRestCall::caBundleTrustsTheServer()
{
    TinyHttpsServer server;
    QVERIFY(server.listen());

    RestClient client(server.url());
    client.setAuthorization("Api-Token dt0c01.PUBLIC.SECRET");
    QCOMPARE(client.setCaBundle(TestData + u"/server.crt"_s), QString());
    QSignalSpy insecure(&client, &RestClient::insecureTlsAccepted);
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    QVERIFY2(recorder.responses.first().isSuccess(), qPrintable(recorder.responses.first().errorString));
    QCOMPARE(server.requests, 1);
    QCOMPARE(server.authorization, QByteArray("Api-Token dt0c01.PUBLIC.SECRET"));
    QVERIFY(!client.insecureTlsUsed());
    QCoreApplication::processEvents();
    QCOMPARE(insecure.size(), 0);
}

void TestRestCall::insecureTlsAllowedIsReported()
{
    TinyHttpsServer server;
    QVERIFY(server.listen());

    RestClient client(server.url());
    QVERIFY(!client.allowInsecureTls());
    client.setAllowInsecureTls(true);
    QSignalSpy insecure(&client, &RestClient::insecureTlsAccepted);
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    QVERIFY2(recorder.responses.first().isSuccess(), qPrintable(recorder.responses.first().errorString));
    QCOMPARE(server.requests, 1);
    QVERIFY(client.insecureTlsUsed());
    QTRY_COMPARE(insecure.size(), 1);
    QCOMPARE(insecure.first().at(0).toString(), u"127.0.0.1"_s);
    QVERIFY2(insecure.first().at(1).toString().contains(u"self-signed"_s, Qt::CaseInsensitive),
        qPrintable(insecure.first().at(1).toString()));
}

void TestRestCall::verifyNoneCountsAsInsecureTls()
{
    // kubeconfig's insecure-skip-tls-verify arrives as VerifyNone: it works, and shows like an allowed error.
    TinyHttpsServer server;
    QVERIFY(server.listen());

    RestClient client(server.url());
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    client.setSslConfiguration(tls);
    QVERIFY(client.allowInsecureTls());
    QSignalSpy insecure(&client, &RestClient::insecureTlsAccepted);
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QVERIFY2(recorder.responses.first().isSuccess(), qPrintable(recorder.responses.first().errorString));
    QVERIFY(client.insecureTlsUsed());
    QTRY_COMPARE(insecure.size(), 1);
}

namespace {
// Restores the process's TLS policy when a test ends, whatever happened.
struct ProcessPolicyGuard
{
    explicit ProcessPolicyGuard(const canary::net::TlsPolicy &policy)
    {
        canary::net::TlsPolicy::setProcessDefault(policy);
    }
    ~ProcessPolicyGuard() { canary::net::TlsPolicy::setProcessDefault({}); }
};
} // namespace

void TestRestCall::processPolicyCaBundleTrustsTheServer()
{
    // The profile's bundle reaches a client nobody configured: the one HTTP layer applies it.
    TinyHttpsServer server;
    QVERIFY(server.listen());
    const ProcessPolicyGuard guard({ TestData + u"/server.crt"_s, false });
    QCOMPARE(canary::net::TlsPolicy::processDefault().problem(), QString());

    RestClient client(server.url());
    QCOMPARE(client.caBundle().size(), 1);
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QVERIFY2(recorder.responses.first().isSuccess(), qPrintable(recorder.responses.first().errorString));
    QVERIFY(!client.insecureTlsUsed());

    // Without the policy the same server is refused again.
    canary::net::TlsPolicy::setProcessDefault({});
    RestClient plain(server.url());
    CallRecorder refused(plain.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(refused.call.isNull());
    QCOMPARE(refused.responses.first().failure, HttpResponse::Failure::Transport);
}

void TestRestCall::processPolicyInsecureTlsReachesTheMonitor()
{
    TinyHttpsServer server;
    QVERIFY(server.listen());
    const ProcessPolicyGuard guard({ {}, true });

    RestClient client(server.url());
    QVERIFY(client.allowInsecureTls());
    QSignalSpy banner(
        canary::net::TlsMonitor::instance(), &canary::net::TlsMonitor::insecureConnectionAccepted);
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QVERIFY2(recorder.responses.first().isSuccess(), qPrintable(recorder.responses.first().errorString));
    QTRY_COMPARE(banner.size(), 1);
    QCOMPARE(banner.first().at(0).toString(), u"127.0.0.1"_s);
    QVERIFY(banner.first().at(1).toString().contains(u"self-signed"_s, Qt::CaseInsensitive));
}

void TestRestCall::processPolicyUnreadableBundleRefusesHttps()
{
    // A bundle that cannot be read is said once by TlsPolicy::problem() and by every HTTPS call, rather
    // than quietly trusting the system's CAs only.
    TinyHttpsServer server;
    QVERIFY(server.listen());
    const QString missing = TestData + u"/no-such-bundle.pem"_s;
    const ProcessPolicyGuard guard({ missing, false });
    QVERIFY(canary::net::TlsPolicy::processDefault().problem().startsWith(u"cannot read the CA bundle"_s));

    RestClient client(server.url());
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    const HttpResponse &response = recorder.responses.first();
    QCOMPARE(response.failure, HttpResponse::Failure::Transport);
    QVERIFY2(
        response.errorString.startsWith(u"cannot read the CA bundle"_s), qPrintable(response.errorString));
    QCOMPARE(server.requests, 0);
}

namespace {

// A server that answers with the next of `answers` (status, headers), the last one for every later request.
struct ScriptedServer
{
    struct Answer
    {
        int status;
        QList<QPair<QByteArray, QByteArray>> headers;
    };

    explicit ScriptedServer(QList<Answer> script)
        : answers(std::move(script))
        , server([this](QTcpSocket *socket, const ReceivedRequest &) {
            const Answer &answer = answers.at(std::min<qsizetype>(served++, answers.size() - 1));
            TinyHttpServer::respond(socket, answer.status, "Status",
                answer.status == 200 ? QByteArray("{}") : QByteArray(R"({"error":{"code":0}})"),
                answer.headers);
        })
    { }

    QList<Answer> answers;
    qsizetype served = 0;
    TinyHttpServer server;
};

canary::net::RetryPolicy quickPolicy()
{
    canary::net::RetryPolicy policy;
    policy.baseDelayMs = 20;
    policy.jitter = 0;
    return policy;
}

} // namespace

void TestRestCall::retry_transientStatusThenSuccess_data()
{
    QTest::addColumn<int>("status");
    QTest::newRow("429") << 429;
    QTest::newRow("502") << 502;
    QTest::newRow("503") << 503;
    QTest::newRow("504") << 504;
}

void TestRestCall::retry_transientStatusThenSuccess()
{
    QFETCH(int, status);
    ScriptedServer scripted({ { status, {} }, { 200, {} } });
    QVERIFY(scripted.server.listen());
    RestClient client(scripted.server.url());
    client.setRetryPolicy(quickPolicy());
    RestCall *call = client.get(u"/api/v2/metrics/query"_s);
    QSignalSpy retrying(call, &RestCall::retrying);
    CallRecorder recorder(call);
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1); // one result, the good one
    QVERIFY(recorder.responses.first().isSuccess());
    QCOMPARE(scripted.server.requests.size(), 2);
    QCOMPARE(retrying.size(), 1);
    QCOMPARE(retrying.first().at(0).toInt(), 2);
    QCOMPARE(retrying.first().at(1).toInt(), 20);
}

void TestRestCall::retry_honoursRetryAfter()
{
    ScriptedServer scripted({ { 429, { { "Retry-After", "1" } } }, { 200, {} } });
    QVERIFY(scripted.server.listen());
    RestClient client(scripted.server.url());
    client.setRetryPolicy(quickPolicy());
    RestCall *call = client.get(u"/api/v2/metrics/query"_s);
    QSignalSpy retrying(call, &RestCall::retrying);
    CallRecorder recorder(call);
    QTRY_VERIFY(recorder.call.isNull());
    QVERIFY(recorder.responses.first().isSuccess());
    QCOMPARE(retrying.size(), 1);
    QCOMPARE(retrying.first().at(1).toInt(), 1000); // the server's wait, not the backoff's 20 ms
    QCOMPARE(retrying.first().at(2).toString(), u"HTTP 429, Retry-After: 1"_s);
}

void TestRestCall::retry_honoursRateLimitResetInMicroseconds()
{
    // Measured against the server's Date (whole seconds), as Dynatrace's reset is its own clock's.
    const QDateTime date = QDateTime::fromSecsSinceEpoch(QDateTime::currentSecsSinceEpoch(), Qt::UTC);
    const QByteArray dateHeader
        = QLocale::c().toString(date, u"ddd, dd MMM yyyy hh:mm:ss 'GMT'"_s).toLatin1();
    const QByteArray reset = QByteArray::number((date.toMSecsSinceEpoch() + 1'500) * 1000);
    ScriptedServer scripted(
        { { 429, { { "Date", dateHeader }, { "X-RateLimit-Reset", reset } } }, { 200, {} } });
    QVERIFY(scripted.server.listen());
    RestClient client(scripted.server.url());
    client.setRetryPolicy(quickPolicy());
    RestCall *call = client.get(u"/api/v2/metrics/query"_s);
    QSignalSpy retrying(call, &RestCall::retrying);
    CallRecorder recorder(call);
    QTRY_VERIFY_WITH_TIMEOUT(recorder.call.isNull(), 10'000);
    QVERIFY(recorder.responses.first().isSuccess());
    QCOMPARE(retrying.size(), 1);
    QCOMPARE(retrying.first().at(1).toInt(), 1'500);
}

void TestRestCall::retry_longerWaitThanAllowed_deliversTheAnswer()
{
    // A minute is the next refresh's business: the 429 goes back at once, with its Retry-After.
    ScriptedServer scripted(QList<ScriptedServer::Answer> { { 429, { { "Retry-After", "60" } } } });
    QVERIFY(scripted.server.listen());
    RestClient client(scripted.server.url());
    RestCall *call = client.get(u"/api/v2/metrics/query"_s);
    QSignalSpy retrying(call, &RestCall::retrying);
    CallRecorder recorder(call);
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.first().status, 429);
    QCOMPARE(recorder.responses.first().header("Retry-After"), QByteArray("60"));
    QCOMPARE(scripted.server.requests.size(), 1);
    QCOMPARE(retrying.size(), 0);
}

void TestRestCall::retry_backoffDoublesAndStops()
{
    // A 503 storm: three requests in all (the policy's attempts), never more, then the last answer.
    ScriptedServer scripted(QList<ScriptedServer::Answer> { { 503, {} } });
    QVERIFY(scripted.server.listen());
    RestClient client(scripted.server.url());
    client.setRetryPolicy(quickPolicy());
    RestCall *call = client.get(u"/api/v2/metrics/query"_s);
    QSignalSpy retrying(call, &RestCall::retrying);
    CallRecorder recorder(call);
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    QCOMPARE(recorder.responses.first().status, 503);
    QCOMPARE(scripted.server.requests.size(), 3);
    QCOMPARE(retrying.size(), 2);
    QCOMPARE(retrying.at(0).at(1).toInt(), 20);
    QCOMPARE(retrying.at(1).at(1).toInt(), 40);
}

void TestRestCall::retry_neverForWrites()
{
    // An ingest or a launch that failed may still have happened: the caller decides, the layer never repeats.
    for (const QByteArray &verb :
        { QByteArray("POST"), QByteArray("PUT"), QByteArray("PATCH"), QByteArray("DELETE") }) {
        ScriptedServer scripted({ { 503, {} }, { 200, {} } });
        QVERIFY(scripted.server.listen());
        RestClient client(scripted.server.url());
        client.setRetryPolicy(quickPolicy());
        CallRecorder recorder(client.send(verb, u"/api/v2/events/ingest"_s, {}, "{}"));
        QTRY_VERIFY(recorder.call.isNull());
        QCOMPARE(recorder.responses.first().status, 503);
        QCOMPARE(scripted.server.requests.size(), 1);
    }
}

void TestRestCall::retry_connectionRefused_thenGivesUp()
{
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    RestClient client(QUrl(u"http://127.0.0.1:%1"_s.arg(port)));
    client.setRetryPolicy(quickPolicy());
    RestCall *call = client.get(u"/api/v2/metrics/query"_s);
    QSignalSpy retrying(call, &RestCall::retrying);
    CallRecorder recorder(call);
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.size(), 1);
    QCOMPARE(recorder.responses.first().failure, HttpResponse::Failure::Transport);
    QCOMPARE(retrying.size(), 2);
}

void TestRestCall::retry_notAfterTimeout()
{
    TinyHttpServer server([](QTcpSocket *, const ReceivedRequest &) {}); // never answers
    QVERIFY(server.listen());
    RestClient client(server.url());
    client.setTimeoutMs(150);
    client.setRetryPolicy(quickPolicy());
    CallRecorder recorder(client.get(u"/api/v2/metrics/query"_s));
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(recorder.responses.first().failure, HttpResponse::Failure::Timeout);
    QCOMPARE(server.requests.size(), 1); // nothing piled onto a slow server
}

void TestRestCall::retry_cancelDuringTheWait()
{
    ScriptedServer scripted({ { 429, { { "Retry-After", "5" } } }, { 200, {} } });
    QVERIFY(scripted.server.listen());
    RestClient client(scripted.server.url());
    RestCall *call = client.get(u"/api/v2/metrics/query"_s);
    QSignalSpy retrying(call, &RestCall::retrying);
    CallRecorder recorder(call);
    QTRY_COMPARE(retrying.size(), 1);
    call->cancel();
    QCOMPARE(recorder.responses.size(), 1);
    QCOMPARE(recorder.responses.first().failure, HttpResponse::Failure::Canceled);
    QTRY_VERIFY(recorder.call.isNull());
    QCOMPARE(scripted.server.requests.size(), 1);
}

void TestRestCall::retryPolicy_delays()
{
    canary::net::RetryPolicy policy; // 3 attempts, 500 ms, 10 s cap, jitter 0.5
    HttpResponse unavailable;
    unavailable.status = 503;
    QCOMPARE(policy.delayMs(unavailable, 2, 0, 0.0), 500);
    QCOMPARE(policy.delayMs(unavailable, 2, 0, 1.0), 250); // jitter takes up to half
    QCOMPARE(policy.delayMs(unavailable, 3, 0, 0.0), 1'000);
    QCOMPARE(policy.delayMs(unavailable, 4, 0, 0.0), std::nullopt); // attempts used up
    policy.maxAttempts = 10;
    QCOMPARE(policy.delayMs(unavailable, 10, 0, 0.0), 10'000); // capped

    HttpResponse dated = unavailable;
    dated.headers
        = { { "Retry-After", "Wed, 21 Oct 2015 07:28:03 GMT" }, { "Date", "Wed, 21 Oct 2015 07:28:00 GMT" } };
    QCOMPARE(policy.delayMs(dated, 2, 0, 0.5), 3'000); // Retry-After as a date, against the server's Date
    HttpResponse both = unavailable;
    both.headers = { { "Retry-After", "2" }, { "X-RateLimit-Reset", "99999999999999999" } };
    QCOMPARE(policy.delayMs(both, 2, 0, 0.5), 2'000); // Retry-After wins

    QVERIFY(canary::net::RetryPolicy::isTransient(unavailable, false));
    HttpResponse notFound;
    notFound.status = 404;
    QVERIFY(!canary::net::RetryPolicy::isTransient(notFound, true));
    HttpResponse timeout;
    timeout.failure = HttpResponse::Failure::Timeout;
    QVERIFY(!canary::net::RetryPolicy::isTransient(timeout, true));
    HttpResponse refusedByPolicy;
    refusedByPolicy.failure = HttpResponse::Failure::Transport;
    QVERIFY(!canary::net::RetryPolicy::isTransient(refusedByPolicy, false));
    QCOMPARE(canary::net::RetryPolicy::none().delayMs(unavailable, 2, 0, 0.0), std::nullopt);
}

QTEST_GUILESS_MAIN(TestRestCall)
#include "tst_restcall.moc"
