#include <QTest>

#include "verdict/impactpreview.h"

using namespace Qt::Literals::StringLiterals;
using canary::verdict::CurrentRates;
using canary::verdict::previewImpact;

class TestImpactPreview : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void projectsCanaryRequestsAndFailures_data()
    {
        QTest::addColumn<double>("total");
        QTest::addColumn<double>("canaryRate");
        QTest::addColumn<double>("stableRate");
        QTest::addColumn<int>("percent");
        QTest::addColumn<double>("canaryPerMin");
        QTest::addColumn<double>("canaryFailedPerMin");
        QTest::addColumn<double>("totalFailedPerMin");
        // 120 requests/min in all; the workshop's build 4 fails ~40 % of its requests, build 1 ~0.5 %.
        QTest::newRow("40 %") << 120.0 << 0.4 << 0.005 << 40 << 48.0 << 19.2 << (19.2 + 72 * 0.005);
        QTest::newRow("0 %") << 120.0 << 0.4 << 0.005 << 0 << 0.0 << 0.0 << 0.6;
        QTest::newRow("100 %") << 120.0 << 0.4 << 0.005 << 100 << 120.0 << 48.0 << 48.0;
        QTest::newRow("clamped above") << 120.0 << 0.4 << 0.005 << 140 << 120.0 << 48.0 << 48.0;
        QTest::newRow("clamped below") << 120.0 << 0.4 << 0.005 << -5 << 0.0 << 0.0 << 0.6;
        QTest::newRow("healthy canary") << 600.0 << 0.0 << 0.0 << 25 << 150.0 << 0.0 << 0.0;
    }

    void projectsCanaryRequestsAndFailures()
    {
        QFETCH(double, total);
        QFETCH(double, canaryRate);
        QFETCH(double, stableRate);
        QFETCH(int, percent);
        QFETCH(double, canaryPerMin);
        QFETCH(double, canaryFailedPerMin);
        QFETCH(double, totalFailedPerMin);
        const auto preview = previewImpact({ total, canaryRate, stableRate, 5 }, percent);
        QCOMPARE(preview.percent, std::clamp(percent, 0, 100));
        QCOMPARE(preview.canaryRequestsPerMin, canaryPerMin);
        QVERIFY(preview.canaryFailedPerMin);
        QVERIFY(qAbs(*preview.canaryFailedPerMin - canaryFailedPerMin) < 1e-9);
        QVERIFY(preview.totalFailedPerMin);
        QVERIFY(qAbs(*preview.totalFailedPerMin - totalFailedPerMin) < 1e-9);
    }

    void text_namesTheNumbers()
    {
        const auto preview = previewImpact({ 120.0, 0.4, 0.005, 5 }, 40);
        QCOMPARE(preview.text,
            u"At 40 %: ≈ 48 requests/min to the canary (of 120/min), ≈ 19 failing/min at its current 40 % "
            "failure rate (stable 0.5 %)"_s);
        QCOMPARE(previewImpact({ 2'400.0, 0.031, std::nullopt, 5 }, 10).text,
            u"At 10 %: ≈ 240 requests/min to the canary (of 2,400/min), ≈ 7.4 failing/min at its current 3.1 "
            u"% "
            "failure rate"_s);
    }

    void unknownCanaryRate_isSaid_notGuessed()
    {
        const auto preview = previewImpact({ 120.0, std::nullopt, 0.005, 5 }, 30);
        QCOMPARE(preview.canaryRequestsPerMin, 36.0);
        QVERIFY(!preview.canaryFailedPerMin);
        QVERIFY(!preview.totalFailedPerMin);
        QCOMPARE(preview.text,
            u"At 30 %: ≈ 36 requests/min to the canary (of 120/min); its failure rate is unknown: the canary "
            u"had "
            "no requests in the last 5 min"_s);
        // Going back to 0 % needs no failure rate to make sense.
        QVERIFY(!previewImpact({ 120.0, std::nullopt, 0.005, 5 }, 0).text.contains(u"unknown"_s));
    }

    void noData_saysSo()
    {
        QCOMPARE(previewImpact({}, 50).text, u"At 50 %: no traffic data yet to project from"_s);
    }
};

QTEST_GUILESS_MAIN(TestImpactPreview)
#include "tst_impactpreview.moc"
