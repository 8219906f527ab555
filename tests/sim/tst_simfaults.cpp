#include <memory>
#include <optional>

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

#include "net/restclient.h"
#include "sim/faultinjector.h"
#include "sim/simserver.h"
#include "simtenant.h"

using namespace Qt::Literals::StringLiterals;
using canary::net::HttpResponse;
using canary::net::RestCall;
using canary::net::RestClient;
using canary::sim::Fault;
using canary::sim::FaultInjector;
using canary::testing::SimTenant;
using canary::testing::TenantAnswer;
using Kind = canary::sim::Fault::Kind;

namespace {

const QString QueryPath = u"/api/v2/metrics/query"_s;
const QString QueryKey = u"GET /api/v2/metrics/query"_s;
const canary::net::QueryItems Query { { u"metricSelector"_s, u"calc:service.requests_by_build"_s },
    { u"from"_s, u"now-10m"_s }, { u"resolution"_s, u"1m"_s } };
const QString IngestPath = u"/api/v2/events/ingest"_s;
const QString FaultsPath = u"/api/sim/v1/faults"_s;

QByteArray compact(const QJsonValue &value)
{
    return value.isArray() ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)
                           : QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
}

QByteArray ingestBody(const QJsonObject &properties)
{
    return compact(QJsonObject { { u"eventType"_s, u"CUSTOM_INFO"_s }, { u"title"_s, u"outbox entry"_s },
        { u"entitySelector"_s, u"type(SERVICE)"_s }, { u"properties"_s, properties } });
}

// Client-side repeats would blur what the simulator counts. RestClient grows a retry policy elsewhere; where
// it has one, these tests ask for a single attempt, and compile the same where it has not.
template<typename Client>
void singleAttempt(Client &client)
{
    if constexpr (requires { client.setRetryPolicy(client.retryPolicy()); }) {
        auto policy = client.retryPolicy();
        policy.maxAttempts = 1;
        client.setRetryPolicy(policy);
    }
}

} // namespace

// Fault injection in the simulator: every kind as the project's own RestClient sees it, and as the
// simulator's request counters count it; the admin API, the ingest bookkeeping and canary-sim --fault.
class TestSimFaults : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<SimTenant> m_tenant;
    std::unique_ptr<RestClient> m_client;

    FaultInjector &faults() { return m_tenant->environment->faults(); }

    void inject(const QString &endpoint, Kind kind, int value = 0, int remaining = Fault::Unlimited)
    {
        QString error;
        QVERIFY2(faults().addFault(Fault { endpoint, kind, value, remaining }, &error), qPrintable(error));
    }

    std::optional<HttpResponse> call(const QByteArray &verb, const QString &path,
        const canary::net::QueryItems &query = {}, const QByteArray &body = {})
    {
        RestCall *restCall
            = verb == "GET" ? m_client->get(path, query) : m_client->send(verb, path, query, body);
        auto result = std::make_shared<std::optional<HttpResponse>>();
        connect(restCall, &RestCall::finished, this, [result](const HttpResponse &response) {
            if (!result->has_value())
                *result = response;
        });
        if (!QTest::qWaitFor([&] { return result->has_value(); }, 10'000))
            qWarning("no answer to %s %s within 10 s", verb.constData(), qPrintable(path));
        return *result;
    }

    static bool finishes(QProcess &process)
    {
        if (process.state() == QProcess::NotRunning)
            return true;
        QSignalSpy finished(&process, &QProcess::finished);
        return finished.wait(10'000);
    }

    TenantAnswer admin(const QByteArray &verb, const QString &path, const QByteArray &body = {},
        const canary::net::QueryItems &query = {})
    {
        return m_tenant->send(verb, path, query, body, u"*"_s);
    }

private Q_SLOTS:
    void init()
    {
        m_tenant = std::make_unique<SimTenant>();
        m_tenant->clock.advanceMs(10 * 60'000);
        m_client = std::make_unique<RestClient>(m_tenant->environment->baseUrl());
        m_client->setAuthorization("Api-Token " + m_tenant->environment->token().toUtf8());
        m_client->setTimeoutMs(10'000);
        singleAttempt(*m_client);
    }

    void cleanup()
    {
        m_client.reset();
        m_tenant.reset();
    }

    void latency_answersNormallyAfterAtLeastTheDelay()
    {
        const auto normal = call("GET", QueryPath, Query);
        QVERIFY(normal);
        QCOMPARE(normal->status, 200);
        faults().resetRequestCounts();

        inject(u"GET /api/v2/metrics/query"_s, Kind::Latency, 400);
        QElapsedTimer elapsed;
        elapsed.start();
        RestCall *pending = m_client->get(QueryPath, Query);
        std::optional<HttpResponse> delayed;
        connect(
            pending, &RestCall::finished, this, [&](const HttpResponse &response) { delayed = response; });
        QTRY_COMPARE(faults().deferredRequestCount(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(delayed.has_value(), 10'000);
        QVERIFY2(elapsed.elapsed() >= 400, qPrintable(QString::number(elapsed.elapsed())));
        QCOMPARE(delayed->failure, HttpResponse::Failure::None);
        QCOMPARE(delayed->status, 200);
        QCOMPARE(delayed->body, normal->body); // the virtual clock stood still: the same answer
        QCOMPARE(faults().deferredRequestCount(), 0);
        QCOMPARE(faults().requestCount(QueryKey), 1);
    }

    void latency_liftingAnswersAtOnce()
    {
        inject(u"*"_s, Kind::Latency, Fault::MaxLatencyMs);
        std::optional<HttpResponse> answer;
        RestCall *pending = m_client->get(QueryPath, Query);
        connect(pending, &RestCall::finished, this, [&](const HttpResponse &response) { answer = response; });
        QTRY_COMPARE(faults().deferredRequestCount(), 1);
        QCOMPARE(admin("DELETE", FaultsPath).json().value(u"lifted"_s).toInt(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 5'000);
        QCOMPARE(answer->status, 200);
    }

    void tooManyRequests_retryAfterInSeconds()
    {
        inject(u"/api/v2/problems*"_s, Kind::TooManyRequestsRetryAfter, 2);
        const auto list = call("GET", u"/api/v2/problems"_s);
        QVERIFY(list);
        QCOMPARE(list->failure, HttpResponse::Failure::None);
        QCOMPARE(list->status, 429);
        QCOMPARE(list->header("Retry-After"), QByteArray("2"));
        QVERIFY(list->header("X-RateLimit-Reset").isEmpty());
        QCOMPARE(list->body, QByteArray("{\"error\":{\"code\":429,\"message\":\"Too many requests\"}}"));
        // A prefix: the problem's detail too, and nothing else.
        QCOMPARE(call("GET", u"/api/v2/problems/P-1"_s)->status, 429);
        QCOMPARE(call("GET", QueryPath, Query)->status, 200);
        // One request each: the 429 did not make anyone ask again behind the test's back.
        QCOMPARE(faults().requestCount(u"GET /api/v2/problems"_s), 1);
        QCOMPARE(faults().requestCount(u"GET /api/v2/problems/P-1"_s), 1);
        QCOMPARE(faults().requestCount(QueryKey), 1);
    }

    void tooManyRequests_rateLimitResetInMicrosecondsOnTheSimulatorClock()
    {
        inject(QueryPath, Kind::TooManyRequestsRateLimitReset, 1500);
        const qint64 now = m_tenant->clock.nowMs();
        auto answer = call("GET", QueryPath, Query);
        QVERIFY(answer);
        QCOMPARE(answer->status, 429);
        QCOMPARE(answer->header("X-RateLimit-Reset"), QByteArray::number((now + 1500) * 1000));
        QVERIFY(answer->header("Retry-After").isEmpty());
        QCOMPARE(QJsonDocument::fromJson(answer->body).object().value(u"error"_s).toObject().value(u"code"_s),
            QJsonValue(429));

        m_tenant->clock.advanceMs(60'000); // the simulator's clock, not the wall clock
        answer = call("GET", QueryPath, Query);
        QCOMPARE(answer->header("X-RateLimit-Reset"), QByteArray::number((now + 60'000 + 1500) * 1000));
    }

    void serverErrors_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("500") << 500 << QByteArray("application/json;charset=utf-8")
                             << QByteArray(
                                    "{\"error\":{\"code\":500,\"message\":\"Internal Server Error\"}}");
        QTest::newRow("503") << 503 << QByteArray("application/json;charset=utf-8")
                             << QByteArray("{\"error\":{\"code\":503,\"message\":\"Service Unavailable\"}}");
        QTest::newRow("502") << 502 << QByteArray("text/html") << QByteArray();
    }

    void serverErrors()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, contentType);
        QFETCH(QByteArray, body);
        inject(u"POST /api/v2/events*"_s, Kind::ServerError, status);
        const auto answer = call("POST", IngestPath, {}, ingestBody({ { u"outboxId"_s, u"e-1"_s } }));
        QVERIFY(answer);
        QCOMPARE(answer->failure, HttpResponse::Failure::None);
        QCOMPARE(answer->status, status);
        QCOMPARE(answer->header("Content-Type"), contentType);
        if (body.isEmpty()) {
            // A proxy's page, not Dynatrace's envelope.
            QVERIFY(answer->body.contains("<title>502 Bad Gateway</title>"));
            QVERIFY(QJsonDocument::fromJson(answer->body).isNull());
        } else {
            QCOMPARE(answer->body, body);
        }
        // In front of the tenant: nothing was stored.
        QVERIFY(m_tenant->environment->ingestedPropertyCounts(u"outboxId"_s).isEmpty());
        QCOMPARE(faults().requestCount(u"POST /api/v2/events/ingest"_s), 1);
    }

    void malformedJson_isASuccessfulAnswerThatDoesNotParse()
    {
        inject(QueryPath, Kind::MalformedJson);
        const auto answer = call("GET", QueryPath, Query);
        QVERIFY(answer);
        QVERIFY(answer->isSuccess());
        QCOMPARE(answer->status, 200);
        QVERIFY(answer->header("Content-Type").startsWith("application/json"));
        QVERIFY(!answer->body.isEmpty());
        QJsonParseError error;
        QJsonDocument::fromJson(answer->body, &error);
        QVERIFY(error.error != QJsonParseError::NoError);
        QCOMPARE(faults().requestCount(QueryKey), 1);
    }

    void truncatedJson_theRouteRanButTheAnswerBreaksOff()
    {
        inject(u"POST "_s + IngestPath, Kind::TruncatedJson);
        const auto answer = call("POST", IngestPath, {}, ingestBody({ { u"outboxId"_s, u"e-7"_s } }));
        QVERIFY(answer);
        // Qt reads the status line and the half of the body that came, then the connection closes short of
        // Content-Length: RestClient reports a broken transfer, with the status and the partial body.
        QCOMPARE(answer->failure, HttpResponse::Failure::Transport);
        QCOMPARE(answer->status, 201);
        QVERIFY(!answer->isSuccess());
        QVERIFY(!answer->body.isEmpty());
        QVERIFY(QJsonDocument::fromJson(answer->body).isNull());
        // The event was stored all the same: a client that sends it again makes a duplicate.
        QCOMPARE(m_tenant->environment->ingestedPropertyCounts(u"outboxId"_s),
            (QMap<QString, int> { { u"e-7"_s, 1 } }));
        QCOMPARE(faults().requestCount(u"POST /api/v2/events/ingest"_s), 1);
    }

    void truncatedJson_halfOfTheRealBody()
    {
        const auto whole = call("GET", QueryPath, Query);
        QVERIFY(whole);
        QCOMPARE(whole->status, 200);
        faults().resetRequestCounts();

        inject(QueryPath, Kind::TruncatedJson);
        const auto cut = call("GET", QueryPath, Query);
        QVERIFY(cut);
        QCOMPARE(cut->failure, HttpResponse::Failure::Transport);
        QCOMPARE(cut->status, 200);
        QCOMPARE(cut->body, whole->body.left(whole->body.size() / 2));
        QCOMPARE(faults().requestCount(QueryKey), 1); // Qt does not repeat a GET cut short
    }

    void connectionResetAfterHandling_keepsWhatTheRouteDid()
    {
        inject(IngestPath, Kind::ConnectionResetAfterHandling);
        const auto post = call("POST", IngestPath, {}, ingestBody({ { u"outboxId"_s, u"e-9"_s } }));
        QVERIFY(post);
        QCOMPARE(post->failure, HttpResponse::Failure::Transport);
        QCOMPARE(post->status, 0);
        // The route ran for every request that came, Qt's own second sending included: stored, unanswered.
        const int posts = faults().requestCount(u"POST /api/v2/events/ingest"_s);
        QVERIFY2(posts >= 1 && posts <= 4, qPrintable(QString::number(posts)));
        QVERIFY(m_tenant->environment->ingestedPropertyCounts(u"outboxId"_s).value(u"e-9"_s) >= 1);
    }

    void connectionReset_isATransportFailure()
    {
        inject(u"*"_s, Kind::ConnectionReset);
        const auto post = call("POST", IngestPath, {}, ingestBody({ { u"outboxId"_s, u"e-3"_s } }));
        QVERIFY(post);
        QCOMPARE(post->failure, HttpResponse::Failure::Transport);
        QCOMPARE(post->status, 0);
        QVERIFY(post->body.isEmpty());
        // Reset before the route ran: nothing stored, however often the request came.
        QVERIFY(m_tenant->environment->ingestedPropertyCounts(u"outboxId"_s).isEmpty());
        // Qt's HTTP layer itself sends a request again on a fresh connection when one is reset before any
        // answer, a POST too (twice in total for this first call of the client), whatever RestClient's own
        // policy says: the counters see it, the caller does not.
        const int posts = faults().requestCount(u"POST /api/v2/events/ingest"_s);
        QVERIFY2(posts >= 1 && posts <= 3, qPrintable(QString::number(posts)));

        const auto get = call("GET", u"/api/v2/problems"_s);
        QVERIFY(get);
        QCOMPARE(get->failure, HttpResponse::Failure::Transport);
        QCOMPARE(get->status, 0);
        const int gets = faults().requestCount(u"GET /api/v2/problems"_s);
        QVERIFY2(gets >= 1 && gets <= 3, qPrintable(QString::number(gets)));
    }

    void neverCompletes_theClientTimesOut()
    {
        m_client->setTimeoutMs(300);
        inject(QueryPath, Kind::NeverCompletes);
        const auto answer = call("GET", QueryPath, Query);
        QVERIFY(answer);
        QCOMPARE(answer->failure, HttpResponse::Failure::Timeout);
        QCOMPARE(faults().requestCount(QueryKey), 1);
        // The client gave up and closed its connection; the server lets go of the socket.
        QTRY_COMPARE(faults().heldRequestCount(), 0);
    }

    void neverCompletes_liftingClosesTheHeldSocket()
    {
        inject(u"*"_s, Kind::NeverCompletes);
        QSignalSpy handled(&m_tenant->environment->server(), &canary::sim::SimServer::requestHandled);
        QTcpSocket raw;
        raw.connectToHost(QHostAddress::LocalHost, m_tenant->environment->baseUrl().port());
        QVERIFY(raw.waitForConnected(5'000));
        raw.write(QByteArray("GET /api/v2/problems HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Api-Token "
            + m_tenant->environment->token().toUtf8() + "\r\n\r\n"));
        QTRY_COMPARE(handled.size(), 1);
        QCOMPARE(handled.at(0).at(2).toInt(), 0); // no answer
        QCOMPARE(faults().heldRequestCount(), 1);
        QCOMPARE(raw.state(), QAbstractSocket::ConnectedState);
        QCOMPARE(raw.bytesAvailable(), 0);

        QSignalSpy disconnected(&raw, &QTcpSocket::disconnected);
        // Over HTTP, so the admin route is shown to be beyond the "*" fault.
        QCOMPARE(admin("DELETE", FaultsPath).status, 200);
        QTRY_COMPARE(disconnected.size(), 1);
        QVERIFY(raw.readAll().isEmpty()); // closed, never answered
        QCOMPARE(faults().heldRequestCount(), 0);
    }

    void neverCompletes_stoppingTheServerClosesTheHeldSocket()
    {
        inject(QueryPath, Kind::NeverCompletes);
        QTcpSocket raw;
        raw.connectToHost(QHostAddress::LocalHost, m_tenant->environment->baseUrl().port());
        QVERIFY(raw.waitForConnected(5'000));
        raw.write("GET /api/v2/metrics/query HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QTRY_COMPARE(faults().heldRequestCount(), 1);
        QSignalSpy disconnected(&raw, &QTcpSocket::disconnected);
        m_tenant->environment->stop();
        QTRY_COMPARE(disconnected.size(), 1);
        QCOMPARE(faults().heldRequestCount(), 0);
    }

    void countLimited_liftsItselfAfterN()
    {
        inject(u"GET /api/v2/problems"_s, Kind::ServerError, 503, 2);
        QCOMPARE(call("GET", u"/api/v2/problems"_s)->status, 503);
        QCOMPARE(faults().faults().constFirst().remaining, 1);
        QCOMPARE(call("GET", u"/api/v2/problems"_s)->status, 503);
        QVERIFY(faults().faults().isEmpty());
        QCOMPARE(call("GET", u"/api/v2/problems"_s)->status, 200);
        QCOMPARE(faults().requestCount(u"GET /api/v2/problems"_s), 3);
    }

    void firstMatchingFaultWins()
    {
        inject(u"GET /api/v2/problems"_s, Kind::ServerError, 500, 1);
        inject(u"*"_s, Kind::TooManyRequestsRetryAfter, 1);
        QCOMPARE(call("GET", u"/api/v2/problems"_s)->status, 500);
        QCOMPARE(call("GET", u"/api/v2/problems"_s)->status, 429);
        QCOMPARE(call("GET", QueryPath, Query)->status, 429);
    }

    void requestCounters_everyRequestByMethodAndPath_overHttp()
    {
        QCOMPARE(call("GET", QueryPath, Query)->status, 200);
        QVERIFY(call("GET", QueryPath, { { u"metricSelector"_s, u"builtin:nothing"_s } })->status >= 400);
        m_client->setAuthorization("Api-Token wrong");
        QCOMPARE(call("GET", u"/api/v2/problems"_s)->status, 401);

        const TenantAnswer counts = admin("GET", u"/api/sim/v1/requests"_s);
        QCOMPARE(counts.status, 200);
        // The query is not part of the key, refused requests count too, the admin API does not.
        QCOMPARE(counts.json(),
            (QJsonObject { { u"GET /api/v2/metrics/query"_s, 2 }, { u"GET /api/v2/problems"_s, 1 } }));

        const TenantAnswer reset = admin("DELETE", u"/api/sim/v1/requests"_s);
        QCOMPARE(reset.status, 200);
        QCOMPARE(reset.json(), QJsonObject());
        QVERIFY(faults().requestCounts().isEmpty());
    }

    void adminApi_roundTrip()
    {
        const QJsonArray list {
            QJsonObject { { u"endpoint"_s, u"GET /api/v2/metrics/query"_s }, { u"kind"_s, u"latency"_s },
                { u"value"_s, 3000 }, { u"remaining"_s, -1 } },
            QJsonObject { { u"endpoint"_s, u"/api/v2/problems*"_s }, { u"kind"_s, u"429-retry-after"_s },
                { u"value"_s, 2 }, { u"remaining"_s, 5 } },
        };
        const TenantAnswer put = admin("PUT", FaultsPath, compact(list));
        QCOMPARE(put.status, 200);
        QCOMPARE(QJsonDocument::fromJson(put.body).array(), list);
        QCOMPARE(QJsonDocument::fromJson(admin("GET", FaultsPath).body).array(), list);
        QCOMPARE(faults().faults(),
            (QList<Fault> { { u"GET /api/v2/metrics/query"_s, Kind::Latency, 3000, -1 },
                { u"/api/v2/problems*"_s, Kind::TooManyRequestsRetryAfter, 2, 5 } }));

        // "503" is server-error with that status; value and remaining may be left out.
        const TenantAnswer post = admin(
            "POST", FaultsPath, compact(QJsonObject { { u"endpoint"_s, u"*"_s }, { u"kind"_s, u"503"_s } }));
        QCOMPARE(post.status, 201);
        QCOMPARE(QJsonDocument::fromJson(post.body).array().last().toObject(),
            (QJsonObject { { u"endpoint"_s, u"*"_s }, { u"kind"_s, u"server-error"_s }, { u"value"_s, 503 },
                { u"remaining"_s, -1 } }));
        QCOMPARE(faults().faults().size(), 3);

        // The admin API is never faulted, even by "*".
        const TenantAnswer lift = admin("DELETE", FaultsPath);
        QCOMPARE(lift.status, 200);
        QCOMPARE(lift.json().value(u"lifted"_s).toInt(), 3);
        QCOMPARE(QJsonDocument::fromJson(admin("GET", FaultsPath).body).array(), QJsonArray());
        QVERIFY(faults().faults().isEmpty());
        QVERIFY(faults().requestCounts().isEmpty());
    }

    void adminApi_refusesWhatDoesNotFit_data()
    {
        QTest::addColumn<QByteArray>("verb");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("field");
        const auto one = [](const QJsonObject &fault) { return compact(QJsonArray { fault }); };
        const QJsonObject good { { u"endpoint"_s, u"*"_s }, { u"kind"_s, u"reset"_s } };
        const auto with = [&good](const QString &key, const QJsonValue &value) {
            QJsonObject fault = good;
            fault.insert(key, value);
            return fault;
        };
        QTest::newRow("not JSON") << QByteArray("PUT") << QByteArray("[{") << u"body"_s;
        QTest::newRow("PUT needs an array") << QByteArray("PUT") << compact(good) << u"body"_s;
        QTest::newRow("unknown kind")
            << QByteArray("PUT") << one(with(u"kind"_s, u"teapot"_s)) << u"[0].kind"_s;
        QTest::newRow("kind missing")
            << QByteArray("PUT") << one({ { u"endpoint"_s, u"*"_s } }) << u"[0].kind"_s;
        QTest::newRow("endpoint not a path")
            << QByteArray("PUT") << one(with(u"endpoint"_s, u"api/v2/problems"_s)) << u"[0].endpoint"_s;
        QTest::newRow("star inside the path")
            << QByteArray("PUT") << one(with(u"endpoint"_s, u"/api/*/problems"_s)) << u"[0].endpoint"_s;
        QTest::newRow("lower-case method")
            << QByteArray("PUT") << one(with(u"endpoint"_s, u"get /api/v2/problems"_s)) << u"[0].endpoint"_s;
        QTest::newRow("negative latency") << QByteArray("PUT")
                                          << compact(QJsonArray { good,
                                                 QJsonObject { { u"endpoint"_s, u"*"_s },
                                                     { u"kind"_s, u"latency"_s }, { u"value"_s, -5 } } })
                                          << u"[1].value"_s;
        QTest::newRow("value not a number")
            << QByteArray("PUT")
            << one({ { u"endpoint"_s, u"*"_s }, { u"kind"_s, u"latency"_s }, { u"value"_s, u"3s"_s } })
            << u"[0].value"_s;
        QTest::newRow("status not 5xx") << QByteArray("POST")
                                        << compact(QJsonObject { { u"endpoint"_s, u"*"_s },
                                               { u"kind"_s, u"server-error"_s }, { u"value"_s, 404 } })
                                        << u"value"_s;
        QTest::newRow("value beside a status kind") << QByteArray("POST")
                                                    << compact(QJsonObject { { u"endpoint"_s, u"*"_s },
                                                           { u"kind"_s, u"502"_s }, { u"value"_s, 503 } })
                                                    << u"value"_s;
        QTest::newRow("value for a kind without one")
            << QByteArray("POST") << compact(with(u"value"_s, 1)) << u"value"_s;
        QTest::newRow("remaining zero")
            << QByteArray("POST") << compact(with(u"remaining"_s, 0)) << u"remaining"_s;
        QTest::newRow("unknown field") << QByteArray("POST") << compact(with(u"count"_s, 2)) << u"count"_s;
    }

    void adminApi_refusesWhatDoesNotFit()
    {
        QFETCH(QByteArray, verb);
        QFETCH(QByteArray, body);
        QFETCH(QString, field);
        inject(u"/api/v2/problems"_s, Kind::MalformedJson);
        const QList<Fault> before = faults().faults();

        const TenantAnswer answer = admin(verb, FaultsPath, body);
        QCOMPARE(answer.status, 400);
        const QString message = answer.envelope().value(u"message"_s).toString();
        QVERIFY2(message.startsWith(QString(field + u": "_s)), qPrintable(message));
        QCOMPARE(answer.violation().value(u"path"_s).toString(), field);
        QCOMPARE(faults().faults(), before); // nothing changed
    }

    void ingested_countsEachPropertyValue()
    {
        const auto ingest = [this](const QJsonObject &properties) {
            return call("POST", IngestPath, {}, ingestBody(properties))->status;
        };
        QCOMPARE(ingest({ { u"outboxId"_s, u"a"_s } }), 201);
        QCOMPARE(ingest({ { u"outboxId"_s, u"b"_s }, { u"other"_s, u"x"_s } }), 201);
        QCOMPARE(ingest({ { u"outboxId"_s, u"a"_s } }), 201); // a duplicate
        QCOMPARE(ingest({ { u"other"_s, u"y"_s } }), 201);
        // Refused bodies store nothing and count for nothing.
        QCOMPARE(call("POST", IngestPath, {}, "{\"title\":\"no type\",\"properties\":{\"outboxId\":\"c\"}}")
                     ->status,
            400);

        const QMap<QString, int> expected { { u"a"_s, 2 }, { u"b"_s, 1 } };
        QCOMPARE(m_tenant->environment->ingestedPropertyCounts(u"outboxId"_s), expected);
        const TenantAnswer answer
            = admin("GET", u"/api/sim/v1/ingested"_s, {}, { { u"property"_s, u"outboxId"_s } });
        QCOMPARE(answer.status, 200);
        QCOMPARE(answer.json(), (QJsonObject { { u"a"_s, 2 }, { u"b"_s, 1 } }));
        QCOMPARE(admin("GET", u"/api/sim/v1/ingested"_s, {}, { { u"property"_s, u"missing"_s } }).json(),
            QJsonObject());

        const TenantAnswer refused = admin("GET", u"/api/sim/v1/ingested"_s);
        QCOMPARE(refused.status, 400);
        QCOMPARE(refused.violation().value(u"path"_s).toString(), u"property"_s);
        QVERIFY(refused.envelope().value(u"message"_s).toString().startsWith(u"property: "_s));
    }

    void faultSpec_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("endpoint");
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("value");
        QTest::addColumn<int>("remaining");
        QTest::newRow("latency") << u"GET /api/v2/metrics/query=latency:3000"_s
                                 << u"GET /api/v2/metrics/query"_s << int(Kind::Latency) << 3000 << -1;
        QTest::newRow("429 with count")
            << u"/api/v2/problems*=429-retry-after:2x5"_s << u"/api/v2/problems*"_s
            << int(Kind::TooManyRequestsRetryAfter) << 2 << 5;
        QTest::newRow("rate limit reset") << u"*=429-ratelimit-reset:1500"_s << u"*"_s
                                          << int(Kind::TooManyRequestsRateLimitReset) << 1500 << -1;
        QTest::newRow("502 twice") << u"POST /api/v2/events/ingest=502x2"_s << u"POST /api/v2/events/ingest"_s
                                   << int(Kind::ServerError) << 502 << 2;
        QTest::newRow("reset") << u"*=reset"_s << u"*"_s << int(Kind::ConnectionReset) << 0 << -1;
        QTest::newRow("reset after handling")
            << u"POST /api/v2/job_templates/7/launch/=reset-after-handlingx1"_s
            << u"POST /api/v2/job_templates/7/launch/"_s << int(Kind::ConnectionResetAfterHandling) << 0 << 1;
        QTest::newRow("hang") << u"/api/sim/v1/split=hang"_s << u"/api/sim/v1/split"_s
                              << int(Kind::NeverCompletes) << 0 << -1;
        QTest::newRow("malformed") << u"*=malformed-json"_s << u"*"_s << int(Kind::MalformedJson) << 0 << -1;
        QTest::newRow("truncated once")
            << u"*=truncated-jsonx1"_s << u"*"_s << int(Kind::TruncatedJson) << 0 << 1;
    }

    void faultSpec()
    {
        QFETCH(QString, spec);
        QFETCH(QString, endpoint);
        QFETCH(int, kind);
        QFETCH(int, value);
        QFETCH(int, remaining);
        QString error;
        const auto fault = Fault::fromSpec(spec, &error);
        QVERIFY2(fault, qPrintable(error));
        QCOMPARE(*fault, (Fault { endpoint, Kind(kind), value, remaining }));
        QCOMPARE(Fault::fromSpec(fault->toSpec()), fault);
    }

    void faultSpec_refused_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("named");
        QTest::newRow("no kind") << u"/api/v2/problems"_s << u"ENDPOINT=KIND"_s;
        QTest::newRow("unknown kind") << u"*=slow"_s << u"not a fault kind"_s;
        QTest::newRow("latency without value") << u"*=latency"_s << u"needs a value"_s;
        QTest::newRow("value for reset") << u"*=reset:5"_s << u"value"_s;
        QTest::newRow("value for a status") << u"*=503:2"_s << u"takes no value"_s;
        QTest::newRow("zero count") << u"*=503x0"_s << u"remaining"_s;
        QTest::newRow("bad endpoint") << u"problems=503"_s << u"endpoint"_s;
        QTest::newRow("garbage after kind") << u"*=latency:10ms"_s << u"KIND[:VALUE][xCOUNT]"_s;
        QTest::newRow("huge latency") << u"*=latency:99999999"_s << u"value"_s;
    }

    void faultSpec_refused()
    {
        QFETCH(QString, spec);
        QFETCH(QString, named);
        QString error;
        QVERIFY(!Fault::fromSpec(spec, &error));
        QVERIFY2(error.contains(named), qPrintable(error));
    }

    void canarySim_faultFlag()
    {
        QProcess sim;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(u"CANARY_SIM_TOKEN"_s);
        sim.setProcessEnvironment(environment);
        sim.start(QStringLiteral(CANARY_SIM_PATH),
            { u"--history"_s, u"none"_s, u"--fault"_s, u"GET /api/v2/problems=503x1"_s, u"--fault"_s,
                u"/api/v2/events*=429-retry-after:7"_s });
        QVERIFY(sim.waitForStarted(10'000));
        QByteArray output;
        QVERIFY(QTest::qWaitFor(
            [&] {
                output += sim.readAllStandardOutput();
                return output.count('\n') >= 3 || sim.state() == QProcess::NotRunning;
            },
            10'000));
        static const QRegularExpression banner(
            u"^canary-sim listening on (\\S+)\nexport DT_ENV_URL=\\S+\nexport DT_API_TOKEN=(\\S+)\n$"_s);
        const auto match = banner.match(QString::fromUtf8(output));
        QVERIFY2(match.hasMatch(), output.constData());

        m_client = std::make_unique<RestClient>(QUrl(match.captured(1)));
        m_client->setAuthorization("Api-Token " + match.captured(2).toUtf8());
        singleAttempt(*m_client);
        QCOMPARE(call("GET", u"/api/v2/problems"_s)->status, 503);
        QCOMPARE(call("GET", u"/api/v2/problems"_s)->status, 200); // x1: lifted after one request
        const auto events = call("GET", u"/api/v2/events"_s);
        QCOMPARE(events->status, 429);
        QCOMPARE(events->header("Retry-After"), QByteArray("7"));
        const auto counts = call("GET", u"/api/sim/v1/requests"_s);
        QCOMPARE(QJsonDocument::fromJson(counts->body).object(),
            (QJsonObject { { u"GET /api/v2/problems"_s, 2 }, { u"GET /api/v2/events"_s, 1 } }));
        QVERIFY(sim.readAllStandardError().contains(
            "canary-sim: injecting GET /api/v2/problems=server-error:503x1"));

        sim.terminate();
        QVERIFY(finishes(sim));
        QCOMPARE(sim.exitCode(), 0);
    }

    void canarySim_badFaultFlag_exitsTwo()
    {
        QProcess sim;
        sim.start(QStringLiteral(CANARY_SIM_PATH), { u"--fault"_s, u"*=latency"_s });
        QVERIFY(sim.waitForStarted(10'000));
        QVERIFY(finishes(sim));
        QCOMPARE(sim.exitCode(), 2);
        QVERIFY(sim.readAllStandardOutput().isEmpty());
        const QByteArray error = sim.readAllStandardError();
        QVERIFY2(error.startsWith("canary-sim: --fault '*=latency'"), error.constData());
        QVERIFY2(error.contains("needs a value"), error.constData());
    }
};

QTEST_GUILESS_MAIN(TestSimFaults)
#include "tst_simfaults.moc"
