#include <QSignalSpy>
#include <QTest>

#include "onboarding/connectioncheck.h"
#include "sim/simserver.h"
#include "simfixture.h"
#include "traffic/simtrafficbackend.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::onboarding::CheckItem;
using canary::onboarding::CheckReport;
using canary::onboarding::ConnectionCheck;
using canary::testing::SimFixture;

namespace {

CheckReport run(onboarding::CheckSetup setup)
{
    ConnectionCheck check(std::move(setup));
    QSignalSpy finished(&check, &ConnectionCheck::finished);
    check.start();
    [&] { QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20'000); }();
    return finished.isEmpty() ? CheckReport {} : finished.constFirst().at(0).value<CheckReport>();
}

onboarding::CheckSetup setupFor(SimFixture &fixture, const QString &token)
{
    onboarding::CheckSetup setup;
    setup.dynatraceUrl = fixture.environment->baseUrl();
    setup.token = token;
    setup.metricSelector = session::Target::defaultMetricSelector();
    return setup;
}

const CheckItem *find(const CheckReport &report, const QString &featureStart)
{
    for (const auto &item : report.items) {
        if (item.feature.startsWith(featureStart))
            return &item;
    }
    return nullptr;
}

} // namespace

class TestConnectionCheck : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fullSetUp_everyFeatureOk()
    {
        SimFixture fixture(30, 2);
        auto setup = setupFor(fixture, fixture.environment->token());
        setup.buildDimension = u"Build"_s;
        awx::AwxConfig awx;
        awx.url = fixture.environment->baseUrl();
        awx.token = fixture.environment->token();
        setup.awx = awx;
        setup.awxTemplates = { u"9"_s, u"Reset canary weighting"_s };
        traffic::SimTrafficBackend backend(fixture.environment->baseUrl(), fixture.environment->token());
        setup.backend = &backend;

        const CheckReport report = run(setup);
        QVERIFY2(report.allOk(), qPrintable(report.text()));
        QCOMPARE(report.items.size(), std::size_t(1 + 5 + 1 + 2 + 1));
        QVERIFY(find(report, u"Dynatrace access token"_s)->detail.startsWith(u"dt0c01."_s));
        QVERIFY(find(report, u"Rollback comments"_s)->detail.contains(u"problems.write"_s));
        QVERIFY2(find(report, u"AWX job template 9"_s)
                     ->detail.contains(u"'Reset canary weighting' (#9), may launch"_s),
            qPrintable(report.text()));
        QVERIFY(find(report, u"Traffic back-end"_s)->detail.contains(u"70/30"_s));
        // The secret never shows in the report.
        QVERIFY(!report.text().contains(fixture.environment->token().section(u'.', 2)));
    }

    void missingScopes_areNamedPerFeature()
    {
        SimFixture fixture(30, 2);
        fixture.environment->server().addToken(
            u"dt0c01.READONLY.SECRETSECRET"_s, { u"metrics.read"_s, u"events.read"_s });
        const CheckReport report = run(setupFor(fixture, u"dt0c01.READONLY.SECRETSECRET"_s));
        QVERIFY(!report.allOk());
        QCOMPARE(find(report, u"Dynatrace access token"_s)->status, CheckItem::Status::Ok);
        QCOMPARE(find(report, u"Chart"_s)->status, CheckItem::Status::Ok);
        QCOMPARE(find(report, u"Timeline"_s)->status, CheckItem::Status::Ok);
        for (const auto &[feature, scope] : { std::pair { u"Recording"_s, u"events.ingest"_s },
                 std::pair { u"Problems"_s, u"problems.read"_s },
                 std::pair { u"Rollback comments"_s, u"problems.write"_s } }) {
            const CheckItem *item = find(report, feature);
            QVERIFY(item);
            QCOMPARE(item->status, CheckItem::Status::Missing);
            QVERIFY2(item->detail.contains(scope), qPrintable(item->detail));
        }
        QVERIFY(report.text().contains(u"[missing]"_s));
    }

    void wrongTokens_getSpecificMessages()
    {
        SimFixture fixture(30, 2);
        // A platform token is refused before anything is sent.
        QSignalSpy requests(&fixture.environment->server(), &sim::SimServer::requestHandled);
        CheckReport report = run(setupFor(fixture, u"dt0s01.ABCDEFGH.IJKLMNOP"_s));
        QCOMPARE(find(report, u"Dynatrace access token"_s)->status, CheckItem::Status::Failed);
        QVERIFY(find(report, u"Dynatrace access token"_s)->detail.contains(u"platform token"_s));
        QCOMPARE(requests.count(), 0);

        report = run(setupFor(fixture, u"dt0c01.REVOKED.0000"_s));
        QCOMPARE(find(report, u"Dynatrace access token"_s)->status, CheckItem::Status::Failed);
        QVERIFY2(find(report, u"Dynatrace access token"_s)->detail.contains(u"does not accept this token"_s),
            qPrintable(report.text()));

        report = run(setupFor(fixture, QString()));
        QCOMPARE(find(report, u"Dynatrace access token"_s)->status, CheckItem::Status::Missing);
        QVERIFY(find(report, u"Dynatrace access token"_s)->detail.contains(u"DT_API_TOKEN"_s));
    }

    void missingMetric_pointsAtTheCalculatedMetric()
    {
        SimFixture fixture(30, 2);
        auto setup = setupFor(fixture, fixture.environment->token());
        setup.metricSelector = u"calc:service.nope:splitBy(\"Build\"):sum"_s;
        CheckReport report = run(setup);
        const CheckItem *metric = find(report, u"Per-build metric calc:service.nope"_s);
        QVERIFY2(metric, qPrintable(report.text()));
        QCOMPARE(metric->status, CheckItem::Status::Missing);
        QVERIFY(metric->detail.contains(u"calculated service metric"_s));

        setup.metricSelector = session::Target::defaultMetricSelector();
        setup.buildDimension = u"Version"_s;
        report = run(setup);
        QCOMPARE(find(report, u"Per-build metric"_s)->status, CheckItem::Status::Missing);
        QVERIFY(find(report, u"Per-build metric"_s)->detail.contains(u"'Version'"_s));
    }

    void missingMetric_saysHowToCreateIt_withOrWithoutWriteConfig()
    {
        SimFixture fixture(30, 2);
        auto setup = setupFor(fixture, fixture.environment->token());
        setup.metricSelector = u"calc:service.by_build:splitBy(\"Version\"):sum"_s;
        setup.buildDimension = u"Version"_s;
        setup.entitySelector = session::Target::defaultEntitySelector();

        // The simulator's own token holds every scope, WriteConfig included.
        CheckReport report = run(setup);
        const CheckItem *metric = find(report, u"Per-build metric calc:service.by_build"_s);
        QVERIFY2(metric, qPrintable(report.text()));
        QCOMPARE(metric->status, CheckItem::Status::Missing);
        QVERIFY2(metric->detail.contains(u"has WriteConfig, so it can be created: canaryctl metric create "
                                         "--metric-key calc:service.by_build --dimension Version"_s),
            qPrintable(metric->detail));
        QCOMPARE(report.metricKey, u"calc:service.by_build"_s);
        QVERIFY(report.metricMissing);
        QVERIFY(report.metricCreatable);
        // Still one line per item.
        QCOMPARE(report.text().count(u'\n'), qsizetype(report.items.size() - 1));

        fixture.environment->server().addToken(
            u"dt0c01.READER.SECRET"_s, { u"metrics.read"_s, u"entities.read"_s });
        setup.token = u"dt0c01.READER.SECRET"_s;
        report = run(setup);
        metric = find(report, u"Per-build metric calc:service.by_build"_s);
        QCOMPARE(metric->status, CheckItem::Status::Missing);
        QVERIFY(report.metricMissing);
        QVERIFY(!report.metricCreatable);
        for (const QString &expected :
            { u"lacks WriteConfig"_s, u"create it by hand"_s,
                u"1. In Dynatrace, open Settings → Server-side service monitoring → Calculated service metrics"_s,
                u"calc:service.by_build"_s, u"name Version"_s, u"{Request:ApplicationBuildVersion}"_s,
                u"6. Save the metric"_s, u"DT_RELEASE_STAGE:canary-jenkins"_s })
            QVERIFY2(
                metric->detail.contains(expected), qPrintable(expected + u" not in: "_s + metric->detail));
        QVERIFY(!metric->detail.contains(u'\n'));
    }

    void existingMetric_isNeitherMissingNorCreatable()
    {
        SimFixture fixture(30, 2);
        const CheckReport report = run(setupFor(fixture, fixture.environment->token()));
        QCOMPARE(find(report, u"Per-build metric"_s)->status, CheckItem::Status::Ok);
        QCOMPARE(report.metricKey, session::Target::defaultMetricSelector());
        QVERIFY(!report.metricMissing);
        QVERIFY(!report.metricCreatable);
    }

    void awxUserWhoMayNotLaunch_isMissingNotOk()
    {
        SimFixture fixture(30, 2);
        fixture.environment->server().addToken(u"reader"_s, { u"awx.read"_s });
        auto setup = setupFor(fixture, fixture.environment->token());
        awx::AwxConfig awx;
        awx.url = fixture.environment->baseUrl();
        awx.token = u"reader"_s;
        setup.awx = awx;
        setup.awxTemplates = { u"9"_s, u"404"_s };
        const CheckReport report = run(setup);
        const CheckItem *reset = find(report, u"AWX job template 9"_s);
        QCOMPARE(reset->status, CheckItem::Status::Missing);
        QVERIFY(reset->detail.contains(u"may not launch"_s));
        QCOMPARE(find(report, u"AWX job template 404"_s)->status, CheckItem::Status::Failed);
        QVERIFY(find(report, u"AWX job template 404"_s)->detail.contains(u"404"_s));
    }
};

QTEST_GUILESS_MAIN(TestConnectionCheck)
#include "tst_connectioncheck.moc"
