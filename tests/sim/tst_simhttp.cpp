#include <memory>
#include <optional>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include "sim/simulatedenvironment.h"
#include "sim/world.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using canary::VirtualClock;
using canary::sim::SimulatedEnvironment;
using canary::sim::World;

namespace {

constexpr qint64 StartMs = 1'795'687'200'000; // 2026-11-26 10:00:00 UTC, a whole hour
constexpr qint64 MinuteMs = 60'000;
constexpr auto Stable = World::BuildRole::Stable;
constexpr auto Canary = World::BuildRole::Canary;
const QByteArray JsonContentType = "application/json;charset=utf-8";

// A started simulator on loopback whose clock only moves when the test says so.
struct Simulator
{
    explicit Simulator(int canaryWeight = 30, quint64 seed = 11)
        : clock(StartMs)
    {
        SimulatedEnvironment::Options options;
        options.clock = &clock;
        options.seed = seed;
        options.world.initialCanaryWeight = canaryWeight;
        environment = std::make_unique<SimulatedEnvironment>(options);
        QString error;
        started = environment->start(&error);
        if (!started)
            qWarning("cannot start the simulator: %s", qPrintable(error));
    }

    World &world() { return environment->world(); }
    QByteArray token() const { return environment->token().toUtf8(); }

    VirtualClock clock;
    std::unique_ptr<SimulatedEnvironment> environment;
    bool started = false;
};

struct Answer
{
    bool finished = false;
    int status = 0;
    QNetworkReply::NetworkError networkError = QNetworkReply::NoError;
    QByteArray contentType;
    QByteArray body;

    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QJsonObject envelope() const { return json().value(u"error"_s).toObject(); }
    QJsonObject violation() const
    {
        return envelope().value(u"constraintViolations"_s).toArray().at(0).toObject();
    }
};

QString selectorQuery(const QString &selector, const QString &rest = {})
{
    return u"metricSelector="_s + selector + (rest.isEmpty() ? QString() : u'&' + rest);
}

std::optional<double> valueAt(const QJsonArray &values, qsizetype i)
{
    const QJsonValue value = values.at(i);
    return value.isNull() ? std::nullopt : std::optional<double>(value.toDouble());
}

std::optional<double> requestsOrNull(World &world, World::BuildRole role, qint64 fromMs, qint64 toMs)
{
    const qint64 requests = world.totals(role, fromMs, toMs).requests;
    return requests == 0 ? std::nullopt : std::optional<double>(double(requests));
}

QJsonObject seriesFor(const QJsonArray &data, const QString &build)
{
    for (const QJsonValue &series : data) {
        if (series[u"dimensionMap"_s][u"Build"_s].toString() == build)
            return series.toObject();
    }
    return {};
}

} // namespace

class TestSimHttp : public QObject
{
    Q_OBJECT

private:
    // rawQuery goes on the wire as written (QUrl only escapes what it must), so '+' and %2B stay distinct.
    Answer get(const QUrl &base, const QString &path, const QString &rawQuery = {},
        const std::optional<QByteArray> &token = std::nullopt, const QByteArray &verb = "GET")
    {
        QUrl url = base;
        url.setPath(path, QUrl::TolerantMode);
        if (!rawQuery.isEmpty())
            url.setQuery(rawQuery, QUrl::TolerantMode);
        QNetworkRequest request(url);
        if (token)
            request.setRawHeader("Authorization", "Api-Token " + *token);
        QNetworkReply *reply = m_nam.sendCustomRequest(request, verb);
        QSignalSpy finished(reply, &QNetworkReply::finished);

        Answer answer;
        answer.finished = finished.wait(10'000);
        answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        answer.networkError = reply->error();
        answer.contentType = reply->rawHeader("Content-Type");
        answer.body = reply->readAll();
        reply->deleteLater();
        return answer;
    }

    Answer query(Simulator &sim, const QString &rawQuery)
    {
        return get(sim.environment->baseUrl(), u"/api/v2/metrics/query"_s, rawQuery, sim.token());
    }

    QNetworkAccessManager m_nam;

private Q_SLOTS:
    void initTestCase() { m_nam.setProxy(QNetworkProxy::NoProxy); }

    void startsOnAnOsChosenPort()
    {
        Simulator sim;
        QVERIFY(sim.started);
        QVERIFY(sim.environment->isRunning());
        const QUrl base = sim.environment->baseUrl();
        QCOMPARE(base.scheme(), u"http"_s);
        QCOMPARE(base.host(), u"127.0.0.1"_s);
        QVERIFY(base.port() > 0);
        QVERIFY(QRegularExpression(u"^dt0c01\\.[A-Z0-9]{24}\\.[A-Z0-9]{64}$"_s)
                    .match(sim.environment->token())
                    .hasMatch());
        QCOMPARE(sim.environment->serviceName(), u"simplenodeservice.canary-jenkins"_s);
        QCOMPARE(sim.environment->stableBuild(), u"1.0.0-034c71"_s);
        QCOMPARE(sim.environment->canaryBuild(), u"4.0.0-034c71"_s);
    }

    void query_hasTheShapeOfDynatrace()
    {
        Simulator sim(30);
        QVERIFY(sim.started);
        sim.clock.advanceMs(10 * MinuteMs + 30'500);
        const qint64 now = sim.clock.nowMs();

        const QString selector
            = u"calc:service.requests_by_build:splitBy(\"dt.entity.service\",\"Build\"):sum:names"_s;
        const Answer answer = query(sim,
            selectorQuery(selector,
                u"from=now-10m&resolution=1m&entitySelector="
                "type(SERVICE),tag([Environment]DT_RELEASE_STAGE:canary-jenkins)"_s));
        QVERIFY(answer.finished);
        QCOMPARE(answer.status, 200);
        QCOMPARE(answer.contentType, JsonContentType);
        // Key order as the tenant writes it (QJsonObject would sort, so look at the bytes).
        QVERIFY(answer.body.startsWith(R"({"totalCount":1,"nextPageKey":null,"resolution":"1m","result":[)"));
        QVERIFY(answer.body.endsWith(R"("warnings":[]})"));
        QVERIFY(answer.body.indexOf(R"("dt.entity.service.name":)")
            < answer.body.indexOf(R"("dt.entity.service":)"));

        const QJsonObject json = answer.json();
        QCOMPARE(json.keys(),
            (QStringList { u"nextPageKey"_s, u"resolution"_s, u"result"_s, u"totalCount"_s, u"warnings"_s }));
        QVERIFY(json[u"nextPageKey"_s].isNull());
        const QJsonArray result = json[u"result"_s].toArray();
        QCOMPARE(result.size(), 1);
        const QJsonObject collection = result.at(0).toObject();
        QCOMPARE(collection[u"metricId"_s].toString(), selector);
        QVERIFY(collection[u"dataPointCountRatio"_s].toDouble() > 0);
        QCOMPARE(collection[u"dimensionCountRatio"_s].toDouble(), 2.0E-5);
        const QJsonArray data = collection[u"data"_s].toArray();
        QCOMPARE(data.size(), 2);

        const auto &service = sim.world().service();
        for (const auto role : World::Roles) {
            const QString build = sim.world().build(role).version;
            const QJsonObject series = seriesFor(data, build);
            QCOMPARE(series[u"dimensions"_s].toArray(), (QJsonArray { service.name, service.id, build }));
            QCOMPARE(series[u"dimensionMap"_s].toObject(),
                (QJsonObject { { u"dt.entity.service.name"_s, service.name },
                    { u"dt.entity.service"_s, service.id }, { u"Build"_s, build } }));
            // Every 1m slot overlapping [now-10m, now): ends from 10:01 to 10:11, the last one still running.
            const QJsonArray timestamps = series[u"timestamps"_s].toArray();
            const QJsonArray values = series[u"values"_s].toArray();
            QCOMPARE(timestamps.size(), 11);
            QCOMPARE(values.size(), 11);
            for (qsizetype i = 0; i < timestamps.size(); ++i) {
                const qint64 end = timestamps.at(i).toInteger();
                QCOMPARE(end, StartMs + (i + 1) * MinuteMs);
                QCOMPARE(valueAt(values, i), requestsOrNull(sim.world(), role, end - MinuteMs, end));
            }
            QVERIFY(timestamps.last().toInteger() > now);
        }
    }

    void buildWithoutTraffic_getsNulls_andNoTrafficAtAll_noSeries()
    {
        Simulator sim(0);
        QVERIFY(sim.started);
        sim.clock.advanceMs(5 * MinuteMs);
        sim.world().setCanaryWeight(100);
        sim.clock.advanceMs(5 * MinuteMs + 30'000);

        const Answer answer = query(sim,
            selectorQuery(
                u"calc:service.requests_by_build:splitBy(\"Build\"):sum"_s, u"from=now-10m&resolution=1m"_s));
        QCOMPARE(answer.status, 200);
        const QJsonArray data = answer.json()[u"result"_s][0][u"data"_s].toArray();
        QCOMPARE(data.size(), 2);
        const QJsonArray stable = seriesFor(data, sim.environment->stableBuild())[u"values"_s].toArray();
        const QJsonArray canary = seriesFor(data, sim.environment->canaryBuild())[u"values"_s].toArray();
        QCOMPARE(stable.size(), 11);
        for (qsizetype i = 0; i < 11; ++i) {
            QCOMPARE(stable.at(i).isNull(), i >= 5); // the canary took everything from 10:05 on
            QCOMPARE(canary.at(i).isNull(), i < 5);
        }

        Simulator quiet(0);
        quiet.clock.advanceMs(10 * MinuteMs);
        const Answer stableOnly
            = query(quiet, selectorQuery(u"calc:service.requests_by_build:splitBy(\"Build\")"_s));
        QCOMPARE(stableOnly.status, 200);
        const QJsonArray only = stableOnly.json()[u"result"_s][0][u"data"_s].toArray();
        QCOMPARE(only.size(), 1);
        QCOMPARE(only[0][u"dimensionMap"_s][u"Build"_s].toString(), quiet.environment->stableBuild());
    }

    void values_matchTheWorld_forEveryMetricAndAggregation()
    {
        Simulator sim(30);
        QVERIFY(sim.started);
        sim.clock.advanceMs(10 * MinuteMs + 12'345);
        World &world = sim.world();
        const qint64 now = sim.clock.nowMs();
        const auto stable = world.totals(Stable, StartMs, now);
        const auto canary = world.totals(Canary, StartMs, now);

        const QStringList selectors {
            u"calc:service.requests_by_build:splitBy(\"Build\"):fold(sum)"_s,
            u"calc:service.failures_by_build:splitBy(\"Build\"):fold"_s,
            u"calc:service.responsetime_by_build:splitBy(\"Build\"):fold(avg)"_s,
            u"calc:service.responsetime_by_build:splitBy(\"Build\"):max:fold"_s,
            u"calc:service.responsetime_by_build:splitBy(\"Build\"):count:fold"_s,
            u"builtin:service.requestCount.total:splitBy():fold(sum)"_s,
            u"builtin:service.errors.total.count:fold(sum)"_s,
            u"calc:service.requests_by_build:filter(eq(\"Build\",\"4.0.0-034c71\")):splitBy(\"Build\"):fold(sum)"_s,
        };
        const Answer answer
            = query(sim, selectorQuery(selectors.join(u','), u"from=now-10m&resolution=1m"_s));
        QCOMPARE(answer.status, 200);
        const QJsonArray result = answer.json()[u"result"_s].toArray();
        QCOMPARE(result.size(), selectors.size());
        const auto single = [&](int expression, const QString &build) {
            const QJsonArray data = result[expression][u"data"_s].toArray();
            const QJsonObject series = build.isEmpty() ? data[0].toObject() : seriesFor(data, build);
            const QJsonArray values = series[u"values"_s].toArray();
            return values.size() == 1 ? values[0].toDouble() : -1.0;
        };
        const QString s = sim.environment->stableBuild();
        const QString c = sim.environment->canaryBuild();

        QCOMPARE(single(0, s), double(stable.requests));
        QCOMPARE(single(0, c), double(canary.requests));
        QCOMPARE(single(1, s), 0.0);
        QCOMPARE(single(1, c), double(canary.failed));
        QCOMPARE(single(1, c), double(canary.requests / 2));
        QCOMPARE(single(2, s), double(stable.sumUs) / double(stable.requests));
        QCOMPARE(single(2, c), double(canary.sumUs) / double(canary.requests));
        QCOMPARE(single(3, c), double(canary.maxUs));
        QCOMPARE(single(4, s), double(stable.requests));
        QCOMPARE(single(5, {}), double(stable.requests + canary.requests));
        QCOMPARE(result[5][u"data"_s][0][u"dimensions"_s].toArray().size(), 0); // splitBy() merges all
        QCOMPARE(single(6, {}), double(canary.failed));
        QCOMPARE(result[6][u"data"_s][0][u"dimensionMap"_s].toObject().keys(),
            QStringList { u"dt.entity.service"_s });
        QCOMPARE(result[7][u"data"_s].toArray().size(), 1);
        QCOMPARE(single(7, c), double(canary.requests));
    }

    void countMetrics_avgAndCount_areOverPerSecondDataPoints()
    {
        Simulator sim(50);
        QVERIFY(sim.started);
        sim.clock.advanceMs(3 * MinuteMs);
        const qint64 now = sim.clock.nowMs();
        const Answer answer = query(sim,
            selectorQuery(u"calc:service.requests_by_build:splitBy(\"Build\"):count,"
                          "calc:service.requests_by_build:splitBy(\"Build\"):avg"_s,
                u"from=now-3m&resolution=Inf"_s));
        QCOMPARE(answer.status, 200);
        const QJsonObject json = answer.json();
        QCOMPARE(json[u"resolution"_s].toString(), u"Inf"_s);
        const QString build = sim.environment->canaryBuild();
        const auto samples = sim.world().samples(Canary, StartMs, now);
        const QJsonObject count = seriesFor(json[u"result"_s][0][u"data"_s].toArray(), build);
        QCOMPARE(count[u"timestamps"_s].toArray(), QJsonArray { now });
        QCOMPARE(count[u"values"_s][0].toDouble(), double(samples.size()));
        const QJsonObject avg = seriesFor(json[u"result"_s][1][u"data"_s].toArray(), build);
        QCOMPARE(avg[u"values"_s][0].toDouble(),
            double(sim.world().totals(Canary, StartMs, now).requests) / double(samples.size()));
    }

    void tenSecondResolution_andDefaultResolution()
    {
        Simulator sim(30);
        QVERIFY(sim.started);
        sim.clock.advanceMs(10 * MinuteMs + 5'000);
        const Answer tenSeconds = query(
            sim, selectorQuery(u"builtin:service.requestCount.total"_s, u"from=now-2m&resolution=10s"_s));
        QCOMPARE(tenSeconds.status, 200);
        QCOMPARE(tenSeconds.json()[u"resolution"_s].toString(), u"10s"_s);
        const QJsonArray timestamps
            = tenSeconds.json()[u"result"_s][0][u"data"_s][0][u"timestamps"_s].toArray();
        QCOMPARE(timestamps.size(), 13);
        for (const QJsonValue &t : timestamps)
            QCOMPARE(t.toInteger() % 10'000, 0);
        QCOMPARE(timestamps.last().toInteger(), sim.clock.nowMs() + 5'000);

        // No resolution: 120 points over the default two hours, rounded to a whole minute; the slots from
        // before the world began are null, and the unaligned window touches 121 slots.
        const Answer byDefault = query(sim, selectorQuery(u"builtin:service.response.time"_s));
        QCOMPARE(byDefault.status, 200);
        QCOMPARE(byDefault.json()[u"resolution"_s].toString(), u"1m"_s);
        const QJsonArray values = byDefault.json()[u"result"_s][0][u"data"_s][0][u"values"_s].toArray();
        QCOMPARE(values.size(), 121);
        QVERIFY(values.first().isNull());
        QVERIFY(!values.last().isNull());
    }

    void names_defaultAndEntitySelectors()
    {
        Simulator sim(30);
        QVERIFY(sim.started);
        sim.clock.advanceMs(2 * MinuteMs);
        const QString id = sim.environment->serviceId();

        const Answer named = query(sim,
            selectorQuery(u"builtin:service.response.time:splitBy(\"dt.entity.service\"):names"_s,
                u"entitySelector=entityId(\"%1\")"_s.arg(id)));
        QCOMPARE(named.status, 200);
        QCOMPARE(named.json()[u"result"_s][0][u"data"_s][0][u"dimensions"_s].toArray(),
            (QJsonArray { sim.environment->serviceName(), id }));

        const Answer nobody = query(sim,
            selectorQuery(u"calc:service.requests_by_build"_s,
                u"entitySelector=type(SERVICE),entityName.equals(\"BookingService\")"_s));
        QCOMPARE(nobody.status, 200);
        QCOMPARE(nobody.json()[u"totalCount"_s].toInt(), 0);
        QCOMPARE(nobody.json()[u"result"_s][0][u"data"_s].toArray().size(), 0);

        const Answer defaulted = query(sim,
            selectorQuery(u"calc:service.requests_by_build:splitBy(\"Build\"):sum:default(0)"_s,
                u"from=now-5m&resolution=1m"_s));
        QCOMPARE(defaulted.status, 200);
        const QJsonArray values = defaulted.json()[u"result"_s][0][u"data"_s][0][u"values"_s].toArray();
        QCOMPARE(values.size(), 5);
        QCOMPARE(values.at(0).toDouble(-1), 0.0); // 09:56 - 09:58 had no traffic: before the world began
        QVERIFY(!values.contains(QJsonValue(QJsonValue::Null)));
    }

    void authentication_andScopes()
    {
        Simulator sim;
        QVERIFY(sim.started);
        const QUrl base = sim.environment->baseUrl();
        const QString path = u"/api/v2/metrics/query"_s;
        const QString q = selectorQuery(u"builtin:service.response.time"_s);

        const Answer missing = get(base, path, q);
        QCOMPARE(missing.status, 401);
        QCOMPARE(missing.contentType, JsonContentType);
        QCOMPARE(missing.json(),
            QJsonDocument::fromJson(R"({"error":{"code":401,"message":"Missing authorization parameter."}})")
                .object());

        const Answer wrong = get(base, path, q, QByteArray("dt0c01.WRONG"));
        QCOMPARE(wrong.status, 401);
        QCOMPARE(wrong.envelope()[u"message"_s].toString(), u"Token Authentication failed"_s);

        sim.environment->server().addToken(u"scopeless"_s, {});
        const Answer scopeless = get(base, path, q, QByteArray("scopeless"));
        QCOMPARE(scopeless.status, 403);
        QCOMPARE(scopeless.json(),
            QJsonDocument::fromJson(
                R"json({"error":{"code":403,"message":"Token is missing required scope. Use one of: metrics.read (Read metrics)"}})json")
                .object());

        sim.environment->server().addToken(u"events-only"_s, { u"events.read"_s });
        QCOMPARE(get(base, path, q, QByteArray("events-only")).status, 403);
        QCOMPARE(get(base, u"/api/v2/metrics/builtin:service.response.time"_s, {}, QByteArray("events-only"))
                     .status,
            403);

        sim.environment->server().addToken(u"metrics-only"_s, { u"metrics.read"_s });
        QCOMPARE(get(base, path, q, QByteArray("metrics-only")).status, 200);
        QCOMPARE(get(base, path, q, sim.token()).status, 200);
    }

    void errors_useTheErrorEnvelope()
    {
        Simulator sim;
        QVERIFY(sim.started);

        const Answer unknown = query(sim, selectorQuery(u"calc:service.nope:sum"_s));
        QCOMPARE(unknown.status, 404);
        QCOMPARE(unknown.contentType, JsonContentType);
        QCOMPARE(unknown.json(),
            QJsonDocument::fromJson(
                R"({"error":{"code":404,"message":"Metric key 'calc:service.nope' not found"}})")
                .object());

        const Answer parse
            = query(sim, selectorQuery(u"calc:service.requests_by_build:splitBy(\"Build\":sum"_s));
        QCOMPARE(parse.status, 400);
        QCOMPARE(parse.envelope()[u"code"_s].toInt(), 400);
        QCOMPARE(parse.envelope()[u"message"_s].toString(), u"Metric selector parse error"_s);
        QCOMPARE(parse.violation()[u"path"_s].toString(), u"metricSelector"_s);
        QCOMPARE(parse.violation()[u"parameterLocation"_s].toString(), u"QUERY"_s);
        QVERIFY(parse.violation().contains(u"location"_s) && parse.violation()[u"location"_s].isNull());
        QVERIFY(parse.violation()[u"message"_s].toString().contains(u"position 46"_s));

        const Answer unsupported
            = query(sim, selectorQuery(u"builtin:service.response.time:percentile(95)"_s));
        QCOMPARE(unsupported.status, 400);
        QVERIFY(unsupported.envelope()[u"message"_s].toString().contains(u"not supported"_s));

        const Answer noSelector
            = get(sim.environment->baseUrl(), u"/api/v2/metrics/query"_s, u"from=now-1h"_s, sim.token());
        QCOMPARE(noSelector.status, 400);
        QCOMPARE(noSelector.violation()[u"path"_s].toString(), u"metricSelector"_s);
        QCOMPARE(noSelector.violation()[u"message"_s].toString(), u"must not be null"_s);

        // The built-in service metrics have no build dimension: that is the point of the calc: metrics.
        const Answer builtinByBuild
            = query(sim, selectorQuery(u"builtin:service.requestCount.total:splitBy(\"Build\")"_s));
        QCOMPARE(builtinByBuild.status, 400);
        QVERIFY(builtinByBuild.violation()[u"message"_s].toString().contains(u"Build"_s));

        const Answer badEntities
            = query(sim, selectorQuery(u"builtin:service.response.time"_s, u"entitySelector=tag(x)"_s));
        QCOMPARE(badEntities.status, 400);
        QCOMPARE(badEntities.violation()[u"path"_s].toString(), u"entitySelector"_s);

        const Answer reversed
            = query(sim, selectorQuery(u"builtin:service.response.time"_s, u"from=now&to=now-1h"_s));
        QCOMPARE(reversed.status, 400);
        QCOMPARE(reversed.violation()[u"path"_s].toString(), u"from"_s);

        const Answer tooFine
            = query(sim, selectorQuery(u"builtin:service.response.time"_s, u"from=now-1d&resolution=1s"_s));
        QCOMPARE(tooFine.status, 400);
        QCOMPARE(tooFine.violation()[u"path"_s].toString(), u"resolution"_s);
        QVERIFY(tooFine.violation()[u"message"_s].toString().contains(u"10080"_s));

        const Answer nowhere = get(sim.environment->baseUrl(), u"/api/v2/nowhere"_s, {}, sim.token());
        QCOMPARE(nowhere.status, 404);
        QCOMPARE(nowhere.envelope()[u"code"_s].toInt(), 404);
        QCOMPARE(nowhere.contentType, JsonContentType);

        const Answer post
            = get(sim.environment->baseUrl(), u"/api/v2/metrics/query"_s, {}, sim.token(), "POST");
        QCOMPARE(post.status, 405);
        QCOMPARE(post.envelope()[u"code"_s].toInt(), 405);
    }

    void plusIsASpace_percent2BIsAPlus()
    {
        Simulator sim;
        QVERIFY(sim.started);
        sim.clock.advanceMs(5 * MinuteMs);

        const Answer plus = query(sim,
            selectorQuery(u"calc:service.requests_by_build:splitBy(\"Build\",+\"dt.entity.service\")"_s));
        QCOMPARE(plus.status, 200);
        QCOMPARE(plus.json()[u"result"_s][0][u"metricId"_s].toString(),
            u"calc:service.requests_by_build:splitBy(\"Build\", \"dt.entity.service\")"_s);

        const Answer encoded = query(sim,
            selectorQuery(u"calc:service.requests_by_build:splitBy(\"Build\",%2B\"dt.entity.service\")"_s));
        QCOMPARE(encoded.status, 400);
        QVERIFY(encoded.violation()[u"message"_s].toString().contains(u"'+'"_s));

        // The classic trap: an ISO offset sent with a bare '+' arrives as a space.
        const Answer offset = query(sim,
            selectorQuery(u"builtin:service.requestCount.total:fold(sum)"_s,
                u"from=2026-11-26T11:00:00.000%2B01:00"_s));
        QCOMPARE(offset.status, 200);
        QCOMPARE(offset.json()[u"totalCount"_s].toInt(), 1);
        QCOMPARE(offset.json()[u"result"_s][0][u"data"_s][0][u"values"_s][0].toDouble(),
            double(sim.world().totals(Stable, StartMs, sim.clock.nowMs()).requests
                + sim.world().totals(Canary, StartMs, sim.clock.nowMs()).requests));
        const Answer bare = query(sim,
            selectorQuery(u"builtin:service.requestCount.total"_s, u"from=2026-11-26T11:00:00.000+01:00"_s));
        QCOMPARE(bare.status, 400);
        QCOMPARE(bare.violation()[u"path"_s].toString(), u"from"_s);
    }

    void descriptor_endpoint()
    {
        Simulator sim;
        QVERIFY(sim.started);
        sim.clock.advanceMs(MinuteMs);
        const QUrl base = sim.environment->baseUrl();

        const Answer calc = get(base, u"/api/v2/metrics/calc%3Aservice.requests_by_build"_s, {}, sim.token());
        QCOMPARE(calc.status, 200);
        QCOMPARE(calc.contentType, JsonContentType);
        const QJsonObject d = calc.json();
        QCOMPARE(d[u"metricId"_s].toString(), u"calc:service.requests_by_build"_s);
        QCOMPARE(d[u"unit"_s].toString(), u"Count"_s);
        QCOMPARE(d[u"entityType"_s].toArray(), QJsonArray { u"SERVICE"_s });
        QCOMPARE(d[u"defaultAggregation"_s][u"type"_s].toString(), u"value"_s);
        QCOMPARE(d[u"resolutionInfSupported"_s].toBool(), true);
        QCOMPARE(d[u"scalar"_s].toBool(true), false);
        QCOMPARE(d[u"metricValueType"_s][u"type"_s].toString(), u"unknown"_s);
        QVERIFY(d[u"aggregationTypes"_s].toArray().contains(u"sum"_s));
        QVERIFY(d[u"transformations"_s].toArray().contains(u"splitBy"_s));
        for (const QString &key : { u"displayName"_s, u"description"_s, u"dduBillable"_s, u"created"_s,
                 u"lastWritten"_s, u"tags"_s, u"warnings"_s })
            QVERIFY2(d.contains(key), qPrintable(key));
        const QJsonArray dimensions = d[u"dimensionDefinitions"_s].toArray();
        QCOMPARE(dimensions.size(), 2);
        QCOMPARE(dimensions[0].toObject(),
            (QJsonObject { { u"key"_s, u"dt.entity.service"_s }, { u"name"_s, u"Service"_s },
                { u"displayName"_s, u"Service"_s }, { u"index"_s, 0 }, { u"type"_s, u"ENTITY"_s } }));
        QCOMPARE(dimensions[1][u"key"_s].toString(), u"Build"_s);
        QCOMPARE(dimensions[1][u"type"_s].toString(), u"STRING"_s);

        const Answer time
            = get(base, u"/api/v2/metrics/calc:service.responsetime_by_build"_s, {}, sim.token());
        QCOMPARE(time.json()[u"unit"_s].toString(), u"MicroSecond"_s);
        QCOMPARE(time.json()[u"defaultAggregation"_s][u"type"_s].toString(), u"avg"_s);

        const Answer builtin
            = get(base, u"/api/v2/metrics/builtin%3Aservice.response.time"_s, {}, sim.token());
        QCOMPARE(builtin.status, 200);
        QCOMPARE(builtin.json()[u"dimensionDefinitions"_s].toArray().size(), 1);

        const Answer unknown = get(base, u"/api/v2/metrics/calc%3Aservice.nope"_s, {}, sim.token());
        QCOMPARE(unknown.status, 404);
        QCOMPARE(unknown.envelope()[u"message"_s].toString(), u"Metric key 'calc:service.nope' not found"_s);

        QCOMPARE(get(base, u"/api/v2/metrics/calc%3Aservice.requests_by_build"_s).status, 401);
    }

    void healthMetrics_perSlot_matchTheWorldsSamples()
    {
        // The workshop's failure and response-time metrics, slot by slot: failed requests summed, response
        // time averaged over every request of the slot (not over seconds), in MicroSecond.
        Simulator sim(50);
        QVERIFY(sim.started);
        sim.clock.advanceMs(10 * MinuteMs);
        World &world = sim.world();
        const Answer answer = query(sim,
            selectorQuery(u"calc:service.requests_by_build:splitBy(\"Build\"):sum,"
                          u"calc:service.failures_by_build:splitBy(\"Build\"):sum,"
                          u"calc:service.responsetime_by_build:splitBy(\"Build\"):avg"_s,
                u"from=now-10m&resolution=1m"_s));
        QCOMPARE(answer.status, 200);
        const QJsonArray result = answer.json()[u"result"_s].toArray();
        QCOMPARE(result.size(), 3);
        QCOMPARE(
            result[1][u"metricId"_s].toString(), u"calc:service.failures_by_build:splitBy(\"Build\"):sum"_s);

        qint64 canaryFailed = 0;
        qint64 canaryRequests = 0;
        for (const auto role : { Stable, Canary }) {
            const QString build = world.build(role).version;
            const QJsonObject requests = seriesFor(result[0][u"data"_s].toArray(), build);
            const QJsonObject failures = seriesFor(result[1][u"data"_s].toArray(), build);
            const QJsonObject time = seriesFor(result[2][u"data"_s].toArray(), build);
            QCOMPARE(failures[u"timestamps"_s], requests[u"timestamps"_s]);
            QCOMPARE(time[u"timestamps"_s], requests[u"timestamps"_s]);
            const QJsonArray timestamps = requests[u"timestamps"_s].toArray();
            QCOMPARE(timestamps.size(), 10);
            for (qsizetype i = 0; i < timestamps.size(); ++i) {
                const qint64 end = qint64(timestamps[i].toDouble());
                const auto totals = world.totals(role, end - MinuteMs, end);
                if (totals.requests == 0) {
                    QVERIFY(!valueAt(failures[u"values"_s].toArray(), i));
                    QVERIFY(!valueAt(time[u"values"_s].toArray(), i));
                    continue;
                }
                QCOMPARE(valueAt(failures[u"values"_s].toArray(), i), double(totals.failed));
                QCOMPARE(
                    valueAt(time[u"values"_s].toArray(), i), double(totals.sumUs) / double(totals.requests));
                if (role == Canary) {
                    canaryFailed += totals.failed;
                    canaryRequests += totals.requests;
                } else {
                    QCOMPARE(totals.failed, 0);
                    QVERIFY(totals.sumUs / totals.requests < 110'000); // ~100 ms
                }
            }
        }
        // Build 4 fails every second /api/invoke and takes ~200 ms.
        QVERIFY(canaryRequests > 100);
        QVERIFY(std::abs(double(canaryFailed) / double(canaryRequests) - 0.5) < 0.02);
        const auto canary = world.totals(Canary, StartMs, sim.clock.nowMs());
        QVERIFY(canary.sumUs / canary.requests > 190'000);
    }

    void metricList_describesTheNamedKeys_404sForAMissingOne()
    {
        Simulator sim;
        QVERIFY(sim.started);
        const QUrl base = sim.environment->baseUrl();
        const Answer three = get(base, u"/api/v2/metrics"_s,
            u"metricSelector=calc:service.requests_by_build,calc:service.failures_by_build,"
            u"calc:service.responsetime_by_build&fields=%2BdimensionDefinitions"_s,
            sim.token());
        QCOMPARE(three.status, 200);
        QCOMPARE(three.json()[u"totalCount"_s].toInt(), 3);
        QVERIFY(three.json()[u"nextPageKey"_s].isNull());
        const QJsonArray metrics = three.json()[u"metrics"_s].toArray();
        QCOMPARE(metrics.size(), 3);
        QCOMPARE(metrics[1][u"metricId"_s].toString(), u"calc:service.failures_by_build"_s);
        QCOMPARE(metrics[1][u"unit"_s].toString(), u"Count"_s);
        QCOMPARE(metrics[2][u"unit"_s].toString(), u"MicroSecond"_s);
        QCOMPARE(metrics[2][u"dimensionDefinitions"_s][1][u"key"_s].toString(), u"Build"_s);
        // The default properties plus the one asked for, nothing else.
        QCOMPARE(metrics[0].toObject().keys(),
            (QStringList {
                u"description"_s, u"dimensionDefinitions"_s, u"displayName"_s, u"metricId"_s, u"unit"_s }));

        const Answer only = get(base, u"/api/v2/metrics"_s,
            u"metricSelector=calc:service.failures_by_build&fields=unit"_s, sim.token());
        QCOMPARE(only.json()[u"metrics"_s][0].toObject().keys(), (QStringList { u"metricId"_s, u"unit"_s }));

        const Answer wildcard = get(
            base, u"/api/v2/metrics"_s, u"metricSelector=calc:service.*&fields=-description"_s, sim.token());
        QCOMPARE(wildcard.status, 200);
        QCOMPARE(wildcard.json()[u"totalCount"_s].toInt(), 3);
        QVERIFY(!wildcard.json()[u"metrics"_s][0].toObject().contains(u"description"_s));

        const Answer missing = get(base, u"/api/v2/metrics"_s,
            u"metricSelector=calc:service.requests_by_build,calc:service.nope"_s, sim.token());
        QCOMPARE(missing.status, 404);
        QCOMPARE(missing.envelope()[u"message"_s].toString(), u"Metric key 'calc:service.nope' not found"_s);

        const Answer badField = get(base, u"/api/v2/metrics"_s, u"fields=%2Bnope"_s, sim.token());
        QCOMPARE(badField.status, 400);
        QCOMPARE(badField.violation()[u"path"_s].toString(), u"fields"_s);
        QCOMPARE(get(base, u"/api/v2/metrics"_s).status, 401);
    }

    void freshTenant_hasNoHealthMetrics()
    {
        // canary-sim --no-calculated-metrics: none of the workshop's calculated metrics exist yet.
        VirtualClock clock(StartMs);
        SimulatedEnvironment::Options options;
        options.clock = &clock;
        options.workshopCalculatedMetrics = false;
        SimulatedEnvironment environment(options);
        QVERIFY(environment.start());
        const QByteArray token = environment.token().toUtf8();
        for (const QString &key :
            { u"calc:service.failures_by_build"_s, u"calc:service.responsetime_by_build"_s }) {
            QCOMPARE(get(environment.baseUrl(), u"/api/v2/metrics/"_s + key, {}, token).status, 404);
        }
        const Answer wildcard
            = get(environment.baseUrl(), u"/api/v2/metrics"_s, u"metricSelector=calc:*"_s, token);
        QCOMPARE(wildcard.status, 200);
        QCOMPARE(wildcard.json()[u"metrics"_s].toArray().size(), 0);
    }

    void stop_failsKeptAliveConnections_andStartServesAgain()
    {
        Simulator sim;
        QVERIFY(sim.started);
        const QUrl base = sim.environment->baseUrl();
        const QString q = selectorQuery(u"builtin:service.response.time"_s);
        const Answer before = get(base, u"/api/v2/metrics/query"_s, q, sim.token());
        QCOMPARE(before.status, 200);

        sim.environment->stop();
        QVERIFY(!sim.environment->isRunning());
        QCOMPARE(sim.environment->baseUrl(), base);
        // Same QNetworkAccessManager: its pooled connection to the server must not survive stop().
        const Answer after = get(base, u"/api/v2/metrics/query"_s, q, sim.token());
        QVERIFY(after.finished);
        QCOMPARE(after.status, 0);
        QVERIFY(after.networkError != QNetworkReply::NoError);

        QVERIFY(sim.environment->start());
        const Answer again = get(sim.environment->baseUrl(), u"/api/v2/metrics/query"_s, q, sim.token());
        QCOMPARE(again.status, 200);
    }
};

QTEST_GUILESS_MAIN(TestSimHttp)
#include "tst_simhttp.moc"
