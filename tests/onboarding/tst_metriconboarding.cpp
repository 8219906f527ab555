#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

#include "dynatrace/metricsclient.h"
#include "net/restclient.h"
#include "onboarding/metriconboarding.h"
#include "session/target.h"
#include "sim/dynatraceapi.h"
#include "sim/metricregistry.h"
#include "sim/simserver.h"
#include "sim/simulatedenvironment.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::onboarding::MetricOnboarding;
using canary::onboarding::MetricOnboardingError;
using canary::onboarding::MetricOnboardingResult;
using canary::onboarding::MetricOnboardingSetup;

namespace {

constexpr qint64 MinuteMs = 60'000;
const QString DefaultKey = u"calc:service.requests_by_build"_s;
const QString ConfigPath = u"/api/config/v1/calculatedMetrics/service"_s;

// A simulated tenant on a virtual clock; `fresh`: without the workshop's calculated metrics, as a tenant
// where nobody created them yet.
struct Tenant
{
    // 2026-11-26 10:00:00 UTC, a whole minute.
    static constexpr qint64 StartMs = 1'795'687'200'000;

    explicit Tenant(bool fresh = true, sim::WorldConfig world = {})
        : clock(StartMs)
    {
        sim::SimulatedEnvironment::Options options;
        options.clock = &clock;
        options.seed = 11;
        options.world = std::move(world);
        options.workshopCalculatedMetrics = !fresh;
        environment = std::make_unique<sim::SimulatedEnvironment>(std::move(options));
        QString error;
        if (!environment->start(&error))
            qFatal("cannot start the simulator: %s", qPrintable(error));
        environment->world().setCanaryWeight(30);
        clock.advanceMs(10 * MinuteMs);
    }

    MetricOnboardingSetup setup(const QString &token = {}) const
    {
        MetricOnboardingSetup setup;
        setup.dynatraceUrl = environment->baseUrl();
        setup.token = token.isEmpty() ? environment->token() : token;
        setup.entitySelector = session::Target::defaultEntitySelector();
        setup.metricKey = session::Target::defaultMetricSelector();
        setup.timeoutMs = 10'000;
        return setup;
    }

    bool hasMetric(const QString &key)
    {
        return environment->dynatrace().metricRegistry().find(key) != nullptr;
    }

    VirtualClock clock;
    std::unique_ptr<sim::SimulatedEnvironment> environment;
};

// A tenant (or a proxy in front of one) whose create answers `createReply`; the lookup and the service are
// fine.
struct FakeTenant
{
    explicit FakeTenant(sim::HttpReply createReply)
    {
        server.addFullAccessToken(u"dt0c01.FAKE.SECRET"_s);
        server.addRoute("POST", u"/api/v2/apiTokens/lookup"_s, {}, [](const sim::SimRequest &) {
            return sim::HttpReply::json(
                "{\"id\":\"dt0c01.FAKE\",\"scopes\":[\"WriteConfig\",\"entities.read\"]}");
        });
        server.addRoute("GET", u"/api/v2/entities"_s, u"entities.read"_s, [](const sim::SimRequest &) {
            return sim::HttpReply::json("{\"totalCount\":1,\"pageSize\":50,\"entities\":[{\"entityId\":"
                                        "\"SERVICE-1\",\"type\":\"SERVICE\","
                                        "\"displayName\":\"svc\"}]}");
        });
        server.addRoute("POST", ConfigPath, u"WriteConfig"_s,
            [createReply](const sim::SimRequest &) { return createReply; });
        if (!server.start(QHostAddress::LocalHost, 0))
            qFatal("cannot start the fake tenant");
    }

    MetricOnboardingSetup setup() const
    {
        MetricOnboardingSetup setup;
        QUrl url(u"http://127.0.0.1"_s);
        url.setPort(server.port());
        setup.dynatraceUrl = url;
        setup.token = u"dt0c01.FAKE.SECRET"_s;
        setup.entitySelector = u"type(SERVICE)"_s;
        setup.metricKey = DefaultKey;
        return setup;
    }

    sim::SimServer server;
};

MetricOnboardingResult run(const MetricOnboardingSetup &setup)
{
    MetricOnboarding onboarding(setup);
    QSignalSpy finished(&onboarding, &MetricOnboarding::finished);
    onboarding.start();
    [&] { QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20'000); }();
    return finished.isEmpty() ? MetricOnboardingResult()
                              : finished.constFirst().at(0).value<MetricOnboardingResult>();
}

dynatrace::MetricDataResult query(Tenant &tenant, const QString &selector)
{
    net::RestClient rest(tenant.environment->baseUrl());
    rest.setAuthorization("Api-Token " + tenant.environment->token().toUtf8());
    dynatrace::MetricsClient metrics(&rest);
    std::optional<dynatrace::MetricDataResult> result;
    metrics.query({ selector, {}, u"now-15m"_s, {}, u"1m"_s }, &metrics,
        [&](const dynatrace::MetricDataResult &data) { result = data; });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10'000); }();
    if (!result)
        return dynatrace::ApiError::unexpectedShape(u"no answer"_s);
    return *result;
}

QString describe(const MetricOnboardingResult &result)
{
    return result ? u"ok"_s : result.error().text();
}

} // namespace

class TestMetricOnboarding : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void create_onAFreshTenant_confirmsTheDimension_andDataStartsAtCreation()
    {
        Tenant tenant;
        QVERIFY(!tenant.hasMetric(DefaultKey));
        const qint64 createdAt = tenant.clock.nowMs();
        const MetricOnboardingResult result = run(tenant.setup());
        QVERIFY2(result, qPrintable(describe(result)));
        QVERIFY(!result->dryRun);
        QCOMPARE(result->configId, DefaultKey);
        QCOMPARE(result->metric.entityId, tenant.environment->serviceId());
        QCOMPARE(result->serviceName, tenant.environment->serviceName());
        QCOMPARE(result->metric.dimensionName, u"Build"_s); // the profile names none
        QVERIFY(result->descriptor.hasDimension(u"Build"_s));
        QCOMPARE(result->descriptor.metricId, DefaultKey);
        QVERIFY(tenant.hasMetric(DefaultKey));

        tenant.clock.advanceMs(5 * MinuteMs);
        const auto data = query(tenant, DefaultKey + u":splitBy(\"Build\"):sum"_s);
        QVERIFY2(data, qPrintable(data ? QString() : data.error().summary()));
        const auto &series = data->result.at(0).data;
        QCOMPARE(series.size(), std::size_t(2));
        int after = 0;
        for (const auto &tuple : series) {
            for (std::size_t i = 0; i < tuple.timestamps.size(); ++i) {
                if (tuple.timestamps[i] <= createdAt)
                    QVERIFY2(!tuple.values[i], qPrintable(tuple.dimensionMap.value(u"Build"_s)));
                else
                    after += tuple.values[i] ? 1 : 0;
            }
        }
        QVERIFY(after > 0);
    }

    void dimensionAndReleaseAttribute_comeFromTheSetup()
    {
        Tenant tenant;
        session::Target target;
        target.dynatraceUrl = tenant.environment->baseUrl();
        target.metricSelector = u"calc:service.requests_by_release:splitBy(\"Release\"):sum"_s;
        target.buildDimension = u"Release"_s;
        MetricOnboardingSetup setup = MetricOnboardingSetup::fromTarget(target, tenant.environment->token());
        setup.attribute = MetricOnboardingSetup::BuildAttribute::ReleaseVersion;
        QCOMPARE(setup.metricKey, u"calc:service.requests_by_release"_s);
        const MetricOnboardingResult result = run(setup);
        QVERIFY2(result, qPrintable(describe(result)));
        QVERIFY(result->descriptor.hasDimension(u"Release"_s));
        QCOMPARE(result->metric.attributeName(), u"APPLICATION_RELEASE_VERSION"_s);
        QCOMPARE(result->metric.name, u"Requests by release"_s);
    }

    void tokenWithoutWriteConfig_getsTheManualSteps_andNothingIsPosted()
    {
        Tenant tenant;
        tenant.environment->server().addToken(
            u"dt0c01.READER.SECRET"_s, { u"metrics.read"_s, u"entities.read"_s });
        QSignalSpy requests(&tenant.environment->server(), &sim::SimServer::requestHandled);
        const MetricOnboardingResult result = run(tenant.setup(u"dt0c01.READER.SECRET"_s));
        QVERIFY(!result);
        const MetricOnboardingError &error = result.error();
        QCOMPARE(error.kind, MetricOnboardingError::Kind::MissingScope);
        QVERIFY(error.isConnectionOrAuth());
        QVERIFY2(error.message.contains(u"WriteConfig"_s), qPrintable(error.message));
        QVERIFY(!error.message.contains(u'\n'));
        // The steps name the path in Dynatrace, the key, the dimension and the service the selector found.
        for (const QString &expected : { u"1. In Dynatrace, open Settings → Server-side service monitoring"_s,
                 DefaultKey, u"name Build"_s, u"{Request:ApplicationBuildVersion}"_s,
                 tenant.environment->serviceId(), tenant.environment->serviceName() })
            QVERIFY2(error.manualSteps.contains(expected),
                qPrintable(expected + u" not in:\n"_s + error.manualSteps));
        QVERIFY(error.text().contains(error.manualSteps));
        QVERIFY(!tenant.hasMetric(DefaultKey));
        for (const QList<QVariant> &request : requests)
            QVERIFY(request.at(1).toString() != ConfigPath);

        // Without entities.read either, the steps name the service by its selector.
        tenant.environment->server().addToken(u"dt0c01.METRICS.ONLY"_s, { u"metrics.read"_s });
        const MetricOnboardingResult bare = run(tenant.setup(u"dt0c01.METRICS.ONLY"_s));
        QVERIFY(!bare);
        QCOMPARE(bare.error().kind, MetricOnboardingError::Kind::MissingScope);
        QVERIFY(bare.error().message.contains(u"WriteConfig"_s));
        QVERIFY2(bare.error().manualSteps.contains(session::Target::defaultEntitySelector()),
            qPrintable(bare.error().manualSteps));
    }

    void tokenWithWriteConfigButNoEntitiesRead_namesEntitiesRead()
    {
        Tenant tenant;
        tenant.environment->server().addToken(
            u"dt0c01.WRITER.SECRET"_s, { u"metrics.read"_s, u"WriteConfig"_s });
        const MetricOnboardingResult result = run(tenant.setup(u"dt0c01.WRITER.SECRET"_s));
        QVERIFY(!result);
        QCOMPARE(result.error().kind, MetricOnboardingError::Kind::MissingScope);
        QVERIFY2(result.error().message.contains(u"entities.read"_s), qPrintable(result.error().message));
    }

    void existingKey_surfacesDynatracesText()
    {
        Tenant tenant(false); // the workshop's calc:service.requests_by_build exists
        const MetricOnboardingResult result = run(tenant.setup());
        QVERIFY(!result);
        QCOMPARE(result.error().kind, MetricOnboardingError::Kind::AlreadyExists);
        QVERIFY2(result.error().message.contains(u"HTTP 400"_s)
                && result.error().message.contains(
                    u"a calculated metric with the key '%1' already exists"_s.arg(DefaultKey)),
            qPrintable(result.error().message));
        QVERIFY(result.error().apiError.has_value());
    }

    void rejectedBody_surfacesDynatracesViolation()
    {
        FakeTenant fake(sim::HttpReply::error(sim::SimError::constraint(
            u"dimensionDefinition.topX"_s, u"must be less than or equal to 100"_s)));
        const MetricOnboardingResult result = run(fake.setup());
        QVERIFY(!result);
        QCOMPARE(result.error().kind, MetricOnboardingError::Kind::Rejected);
        QVERIFY2(result.error().message.contains(
                     u"Dynatrace refused to create calc:service.requests_by_build: HTTP 400"_s)
                && result.error().message.contains(
                    u"dimensionDefinition.topX: must be less than or equal to 100"_s),
            qPrintable(result.error().message));
    }

    void selectorProblems_areSpecific()
    {
        sim::WorldConfig world;
        world.otherServices.append({ u"SERVICE-00000000000000AA"_s, u"simplenodeservice.production"_s,
            { u"[Environment]DT_RELEASE_PRODUCT:simplenodeservice"_s } });
        Tenant tenant(true, world);

        auto setup = tenant.setup();
        setup.entitySelector = u"type(SERVICE),tag(\"[Environment]DT_RELEASE_PRODUCT:simplenodeservice\")"_s;
        MetricOnboardingResult result = run(setup);
        QVERIFY(!result);
        QCOMPARE(result.error().kind, MetricOnboardingError::Kind::AmbiguousService);
        for (const QString &expected : { u"matches 2 services"_s, tenant.environment->serviceId(),
                 u"simplenodeservice.production (SERVICE-00000000000000AA)"_s, u"entityId("_s })
            QVERIFY2(result.error().message.contains(expected), qPrintable(result.error().message));

        setup.entitySelector = u"type(SERVICE),tag(nobody)"_s;
        result = run(setup);
        QVERIFY(!result);
        QCOMPARE(result.error().kind, MetricOnboardingError::Kind::ServiceNotFound);
        QVERIFY(result.error().message.contains(
            u"no service matches the entity selector type(SERVICE),tag(nobody)"_s));

        setup.entitySelector = u"type(SERVICE),tag(unclosed"_s;
        result = run(setup);
        QVERIFY(!result);
        QCOMPARE(result.error().kind, MetricOnboardingError::Kind::ServiceNotFound);
        QVERIFY2(result.error().message.contains(u"HTTP 400"_s), qPrintable(result.error().message));
        QVERIFY(!tenant.hasMetric(DefaultKey));
    }

    void dryRun_resolvesTheServiceButCreatesNothing()
    {
        Tenant tenant;
        auto setup = tenant.setup();
        setup.dryRun = true;
        const MetricOnboardingResult result = run(setup);
        QVERIFY2(result, qPrintable(describe(result)));
        QVERIFY(result->dryRun);
        QCOMPARE(result->metric.entityId, tenant.environment->serviceId());
        QVERIFY(result->configId.isEmpty());
        QVERIFY(result->metric.toJson().contains(tenant.environment->serviceId().toUtf8()));
        QVERIFY(!tenant.hasMetric(DefaultKey));
    }

    void setupProblems_areRefusedBeforeSending()
    {
        Tenant tenant;
        QSignalSpy requests(&tenant.environment->server(), &sim::SimServer::requestHandled);
        auto setup = tenant.setup();
        setup.metricKey = u"builtin:service.requestCount.total"_s;
        MetricOnboardingResult result = run(setup);
        QVERIFY(!result);
        QCOMPARE(result.error().kind, MetricOnboardingError::Kind::Setup);
        QVERIFY(result.error().message.contains(u"calc:service."_s));

        setup = tenant.setup(u"dt0s16.PLATFORM.TOKEN"_s);
        result = run(setup);
        QCOMPARE(result.error().kind, MetricOnboardingError::Kind::Setup);
        QVERIFY(result.error().message.contains(u"platform token"_s));
        QCOMPARE(requests.count(), 0);
    }

    void malformedCreateAnswer_isAnApiError()
    {
        FakeTenant fake(sim::HttpReply::json("<html>Created</html>", 201));
        const MetricOnboardingResult result = run(fake.setup());
        QVERIFY(!result);
        QCOMPARE(result.error().kind, MetricOnboardingError::Kind::Api);
        QVERIFY2(result.error().message.contains(u"malformed JSON"_s), qPrintable(result.error().message));
        QCOMPARE(result.error().apiError->kind, dynatrace::ApiError::Kind::MalformedJson);
    }

    void silentServer_timesOutWithTheRequestTimeout()
    {
        QTcpServer silent; // accepts, never answers
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        MetricOnboardingSetup setup;
        QUrl url(u"http://127.0.0.1"_s);
        url.setPort(silent.serverPort());
        setup.dynatraceUrl = url;
        setup.token = u"dt0c01.FAKE.SECRET"_s;
        setup.entitySelector = u"type(SERVICE)"_s;
        setup.metricKey = DefaultKey;
        setup.timeoutMs = 300;
        const MetricOnboardingResult result = run(setup);
        QVERIFY(!result);
        QCOMPARE(result.error().kind, MetricOnboardingError::Kind::Connection);
        QCOMPARE(result.error().apiError->kind, dynatrace::ApiError::Kind::Timeout);
    }
};

QTEST_GUILESS_MAIN(TestMetricOnboarding)
#include "tst_metriconboarding.moc"
