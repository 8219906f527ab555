#include <cmath>

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include "verdict/statistics.h"
#include "verdict/verdict.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary::verdict;
using Values = std::vector<double>;
using Outcomes = QList<Outcome>;

Q_DECLARE_METATYPE(Values)
Q_DECLARE_METATYPE(canary::verdict::Outcome)
Q_DECLARE_METATYPE(canary::verdict::MetricVerdict)

namespace {

constexpr double noValue = std::numeric_limits<double>::quiet_NaN();

Values shifted(Values values, double by)
{
    for (double &value : values)
        value += by;
    return values;
}

Values repeated(const Values &values, int times)
{
    Values out;
    for (int i = 0; i < times; ++i)
        out.insert(out.end(), values.begin(), values.end());
    return out;
}

// Median 120 (an even count, (119 + 121) / 2) and symmetric enough that a copy shifted by c has a
// Hodges-Lehmann shift of exactly c.
const Values stable12 { 110, 112, 114, 116, 118, 119, 121, 122, 124, 126, 128, 130 };
// Median 100, 11 intervals: 10 % of the median is exactly 10 ms.
const Values stable11 { 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105 };
// Median 20: 10 % would be 2 ms, so the 5 ms floor decides.
const Values stable20 = repeated({ 18, 19, 20, 21, 22 }, 4);

MetricVerdict withOutcome(const QString &metric, Outcome outcome)
{
    MetricVerdict verdict;
    verdict.metric = metric;
    verdict.outcome = outcome;
    return verdict;
}

} // namespace

class TestVerdict : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void outcomeName_data()
    {
        QTest::addColumn<Outcome>("outcome");
        QTest::addColumn<QString>("name");
        QTest::newRow("not enough data") << Outcome::NotEnoughData << u"NOT ENOUGH DATA"_s;
        QTest::newRow("pass") << Outcome::Pass << u"PASS"_s;
        QTest::newRow("marginal") << Outcome::Marginal << u"MARGINAL"_s;
        QTest::newRow("fail") << Outcome::Fail << u"FAIL"_s;
    }

    void outcomeName()
    {
        QFETCH(Outcome, outcome);
        QFETCH(QString, name);
        QCOMPARE(canary::verdict::outcomeName(outcome), name);
    }

    // The documented defaults; changing one must be a deliberate decision that also updates its comment.
    void policyDefaults()
    {
        const VerdictPolicy policy;
        QCOMPARE(policy.failAlpha, 0.01);
        QCOMPARE(policy.marginalAlpha, 0.10);
        QCOMPARE(policy.minFailureRateRatio, 1.5);
        QCOMPARE(policy.minFailureRateDifference, 0.01);
        QCOMPARE(policy.minResponseTimeShiftFraction, 0.10);
        QCOMPARE(policy.minResponseTimeShiftMs, 5.0);
        QCOMPARE(policy.minRequests, 100);
        QCOMPARE(policy.minIntervals, 5);
    }

    void failureRate_data()
    {
        QTest::addColumn<qint64>("canaryFailures");
        QTest::addColumn<qint64>("canaryRequests");
        QTest::addColumn<qint64>("stableFailures");
        QTest::addColumn<qint64>("stableRequests");
        QTest::addColumn<Outcome>("outcome");
        QTest::newRow("much worse canary")
            << qint64(62) << qint64(500) << qint64(40) << qint64(5000) << Outcome::Fail;
        QTest::newRow("canary exactly at the minimum")
            << qint64(20) << qint64(100) << qint64(10) << qint64(1000) << Outcome::Fail;
        QTest::newRow("canary one below the minimum")
            << qint64(20) << qint64(99) << qint64(10) << qint64(1000) << Outcome::NotEnoughData;
        QTest::newRow("stable exactly at the minimum")
            << qint64(300) << qint64(1000) << qint64(10) << qint64(100) << Outcome::Fail;
        QTest::newRow("stable one below the minimum")
            << qint64(300) << qint64(1000) << qint64(10) << qint64(99) << Outcome::NotEnoughData;
        QTest::newRow("no requests") << qint64(0) << qint64(0) << qint64(0) << qint64(0)
                                     << Outcome::NotEnoughData;
        QTest::newRow("impossible counts")
            << qint64(150) << qint64(100) << qint64(0) << qint64(100) << Outcome::NotEnoughData;
        QTest::newRow("no failures anywhere")
            << qint64(0) << qint64(1000) << qint64(0) << qint64(5000) << Outcome::Pass;
        QTest::newRow("canary better")
            << qint64(1) << qint64(1000) << qint64(50) << qint64(1000) << Outcome::Pass;
        QTest::newRow("stable had none")
            << qint64(30) << qint64(1000) << qint64(0) << qint64(1000) << Outcome::Fail;
        QTest::newRow("everything failed on the canary")
            << qint64(100) << qint64(100) << qint64(0) << qint64(100) << Outcome::Fail;
        // Effect boundaries: 3 % vs 2 % is a ratio of exactly 1.5 and exactly one point; p is tiny in all
        // four.
        QTest::newRow("ratio exactly 1.5")
            << qint64(300) << qint64(10'000) << qint64(200) << qint64(10'000) << Outcome::Fail;
        QTest::newRow("ratio just below 1.5")
            << qint64(299) << qint64(10'000) << qint64(200) << qint64(10'000) << Outcome::Pass;
        QTest::newRow("difference exactly one point")
            << qint64(200) << qint64(10'000) << qint64(100) << qint64(10'000) << Outcome::Fail;
        QTest::newRow("difference just below one point")
            << qint64(199) << qint64(10'000) << qint64(100) << qint64(10'000) << Outcome::Pass;
        // Significant (p < 0.001) but negligible: 0.12 % vs 0.10 % over a million requests each.
        QTest::newRow("significant but negligible")
            << qint64(1200) << qint64(1'000'000) << qint64(1000) << qint64(1'000'000) << Outcome::Pass;
        QTest::newRow("twice as many, but tiny rates")
            << qint64(20) << qint64(100'000) << qint64(10) << qint64(100'000) << Outcome::Pass;
        // 3 % vs 1 %: a large effect on little traffic, z = 1.65, p = 0.0497.
        QTest::newRow("large effect, weak evidence")
            << qint64(6) << qint64(200) << qint64(3) << qint64(300) << Outcome::Marginal;
    }

    void failureRate()
    {
        QFETCH(qint64, canaryFailures);
        QFETCH(qint64, canaryRequests);
        QFETCH(qint64, stableFailures);
        QFETCH(qint64, stableRequests);
        QFETCH(Outcome, outcome);
        const MetricVerdict verdict
            = judgeFailureRate(canaryFailures, canaryRequests, stableFailures, stableRequests);
        QCOMPARE(verdict.outcome, outcome);
        QCOMPARE(verdict.metric, u"Failure rate"_s);
        QCOMPARE(verdict.canaryCount, canaryRequests);
        QCOMPARE(verdict.stableCount, stableRequests);
        QCOMPARE(verdict.minimumCount, 100);
        QVERIFY2(verdict.sentence.endsWith(canary::verdict::outcomeName(outcome) + u"."_s)
                || (outcome == Outcome::NotEnoughData && verdict.sentence.contains(u"not enough data"_s)),
            qPrintable(verdict.sentence));
        if (outcome == Outcome::NotEnoughData) {
            QVERIFY(std::isnan(verdict.pValue));
            return;
        }
        const auto test = twoProportionZTest(canaryFailures, canaryRequests, stableFailures, stableRequests);
        QVERIFY(test);
        QCOMPARE(verdict.pValue, test->pGreater);
        QCOMPARE(verdict.canaryValue, test->canaryRate);
        QCOMPARE(verdict.stableValue, test->stableRate);
        QCOMPARE(verdict.difference, test->difference);
        QCOMPARE(verdict.ratio, test->ratio);
    }

    // p exactly at alpha is not below it; the next representable number above makes it so.
    void failureRate_pBoundaries()
    {
        const auto test = twoProportionZTest(6, 200, 3, 300);
        QVERIFY(test);
        const double p = test->pGreater;
        VerdictPolicy policy;
        policy.failAlpha = p;
        QCOMPARE(judgeFailureRate(6, 200, 3, 300, policy).outcome, Outcome::Marginal);
        policy.failAlpha = std::nextafter(p, 1.0);
        QCOMPARE(judgeFailureRate(6, 200, 3, 300, policy).outcome, Outcome::Fail);
        policy.failAlpha = 0.001;
        policy.marginalAlpha = p;
        QCOMPARE(judgeFailureRate(6, 200, 3, 300, policy).outcome, Outcome::Pass);
        policy.marginalAlpha = std::nextafter(p, 1.0);
        QCOMPARE(judgeFailureRate(6, 200, 3, 300, policy).outcome, Outcome::Marginal);
    }

    void failureRate_policyMinimumIsUsed()
    {
        VerdictPolicy policy;
        policy.minRequests = 1000;
        QCOMPARE(judgeFailureRate(62, 500, 40, 5000, policy).outcome, Outcome::NotEnoughData);
        policy.minRequests = 500;
        QCOMPARE(judgeFailureRate(62, 500, 40, 5000, policy).outcome, Outcome::Fail);
    }

    void responseTime_data()
    {
        QTest::addColumn<Values>("canary");
        QTest::addColumn<Values>("stable");
        QTest::addColumn<Outcome>("outcome");
        QTest::newRow("much slower canary") << shifted(stable12, 292) << stable12 << Outcome::Fail;
        // 5 against 5, completely separated: p = 0.006 with the approximation, so FAIL is reachable.
        QTest::newRow("exactly the minimum intervals")
            << Values { 200, 201, 202, 203, 204 } << Values { 100, 101, 102, 103, 104 } << Outcome::Fail;
        QTest::newRow("canary one interval short")
            << Values { 200, 201, 202, 203 } << Values { 100, 101, 102, 103, 104 } << Outcome::NotEnoughData;
        QTest::newRow("stable one interval short")
            << Values { 200, 201, 202, 203, 204 } << Values { 100, 101, 102, 103 } << Outcome::NotEnoughData;
        QTest::newRow("a NaN interval does not count") << Values { 200, 201, noValue, 203,
            204 } << Values { 100, 101, 102, 103, 104 } << Outcome::NotEnoughData;
        QTest::newRow("NaN dropped, enough left") << Values { 200, 201, noValue, 203, 204, 205 }
                                                  << Values { 100, 101, 102, 103, 104 } << Outcome::Fail;
        QTest::newRow("no data") << Values {} << Values {} << Outcome::NotEnoughData;
        QTest::newRow("same intervals") << stable12 << stable12 << Outcome::Pass;
        QTest::newRow("all equal") << Values(6, 100.0) << Values(6, 100.0) << Outcome::Pass;
        QTest::newRow("canary faster") << shifted(stable12, -50) << stable12 << Outcome::Pass;
        // Relative boundary: the shift must be at least 10 % of the stable median (100 ms).
        QTest::newRow("shift exactly 10 %") << shifted(stable11, 10) << stable11 << Outcome::Fail;
        QTest::newRow("shift just below 10 %") << shifted(stable11, 9) << stable11 << Outcome::Pass;
        // Absolute floor: 10 % of 20 ms is 2 ms, but at least 5 ms is needed. p < 0.001 in both.
        QTest::newRow("shift exactly 5 ms") << shifted(stable20, 5) << stable20 << Outcome::Fail;
        QTest::newRow("shift 4 ms, significant but negligible")
            << shifted(stable20, 4) << stable20 << Outcome::Pass;
        // A large shift, but the canary's intervals are spread out: p = 0.027.
        QTest::newRow("large shift, weak evidence")
            << Values { 98, 150, 160, 105, 170, 140 } << Values { 100, 104, 98, 110, 95, 102 }
            << Outcome::Marginal;
    }

    void responseTime()
    {
        QFETCH(Values, canary);
        QFETCH(Values, stable);
        QFETCH(Outcome, outcome);
        const MetricVerdict verdict = judgeResponseTime(canary, stable);
        QVERIFY2(verdict.outcome == outcome,
            qPrintable(
                u"%1 (p %2)"_s.arg(canary::verdict::outcomeName(verdict.outcome)).arg(verdict.pValue)));
        QCOMPARE(verdict.metric, u"Response time"_s);
        QCOMPARE(verdict.minimumCount, 5);
        if (outcome == Outcome::NotEnoughData) {
            QVERIFY(std::isnan(verdict.pValue));
            QVERIFY(verdict.sentence.contains(u"not enough data"_s));
            return;
        }
        const auto test = mannWhitneyU(canary, stable);
        QVERIFY(test);
        QCOMPARE(verdict.canaryCount, test->canaryCount);
        QCOMPARE(verdict.stableCount, test->stableCount);
        QCOMPARE(verdict.pValue, test->pGreater);
        QCOMPARE(verdict.difference, test->hodgesLehmann);
        QCOMPARE(verdict.canaryValue, test->canaryMedian);
        QCOMPARE(verdict.stableValue, test->stableMedian);
        QCOMPARE(verdict.effectSize, test->commonLanguageEffect);
        QVERIFY(verdict.sentence.endsWith(u"— "_s + canary::verdict::outcomeName(outcome) + u"."_s));
    }

    void responseTime_pBoundaries()
    {
        const Values canary { 98, 150, 160, 105, 170, 140 };
        const Values stable { 100, 104, 98, 110, 95, 102 };
        const auto test = mannWhitneyU(canary, stable);
        QVERIFY(test);
        const double p = test->pGreater;
        VerdictPolicy policy;
        policy.failAlpha = p;
        QCOMPARE(judgeResponseTime(canary, stable, policy).outcome, Outcome::Marginal);
        policy.failAlpha = std::nextafter(p, 1.0);
        QCOMPARE(judgeResponseTime(canary, stable, policy).outcome, Outcome::Fail);
        policy.failAlpha = 0.001;
        policy.marginalAlpha = p;
        QCOMPARE(judgeResponseTime(canary, stable, policy).outcome, Outcome::Pass);
        policy.marginalAlpha = std::nextafter(p, 1.0);
        QCOMPARE(judgeResponseTime(canary, stable, policy).outcome, Outcome::Marginal);
    }

    void sentence_data()
    {
        QTest::addColumn<MetricVerdict>("verdict");
        QTest::addColumn<QString>("sentence");
        QTest::newRow("failure rate FAIL") << judgeFailureRate(62, 500, 40, 5000)
                                           << u"Failure rate: canary 12.4 % (62 of 500 requests) vs stable "
                                              u"0.8 % (40 of 5,000), 15.5× higher, "
                                              "p < 0.001 — FAIL."_s;
        QTest::newRow("failure rate MARGINAL") << judgeFailureRate(6, 200, 3, 300)
                                               << u"Failure rate: canary 3 % (6 of 200 requests) vs stable 1 "
                                                  u"% (3 of 300), 3× higher, p = 0.049 — "
                                                  "MARGINAL."_s;
        QTest::newRow("failure rate lower, thousands") << judgeFailureRate(1234, 1'234'567, 5000, 2'000'000)
                                                       << u"Failure rate: canary 0.1 % (1,234 of 1,234,567 "
                                                          u"requests) vs stable 0.25 % (5,000 of 2,000,000), "
                                                          "2.5× lower, p = 1 — PASS."_s;
        QTest::newRow("failure rate, stable had none")
            << judgeFailureRate(30, 1000, 0, 1000)
            << u"Failure rate: canary 3 % (30 of 1,000 requests) vs stable 0 % (0 of 1,000), +3 percentage "
               u"points, "
               "p < 0.001 — FAIL."_s;
        QTest::newRow("failure rate, none anywhere") << judgeFailureRate(0, 1000, 0, 1000)
                                                     << u"Failure rate: canary 0 % (0 of 1,000 requests) vs "
                                                        u"stable 0 % (0 of 1,000), the same rate, p = 1 — "
                                                        "PASS."_s;
        QTest::newRow("failure rate, canary short") << judgeFailureRate(
            1, 12, 40, 5000) << u"Failure rate: not enough data (canary 12 requests, at least 100 needed)."_s;
        QTest::newRow("failure rate, stable short") << judgeFailureRate(
            1, 1200, 4, 99) << u"Failure rate: not enough data (stable 99 requests, at least 100 needed)."_s;
        QTest::newRow("failure rate, both short")
            << judgeFailureRate(0, 0, 4, 40)
            << u"Failure rate: not enough data (canary 0 and stable 40 requests, at least 100 each needed)."_s;
        QTest::newRow("response time FAIL")
            << judgeResponseTime(shifted(stable12, 292), stable12)
            << u"Response time: canary median 412 ms vs stable 120 ms over 12 and 12 intervals, +292 ms "
               "(Hodges–Lehmann), p < 0.001 — FAIL."_s;
        QTest::newRow("response time faster")
            << judgeResponseTime(shifted(stable12, -50), stable12)
            << u"Response time: canary median 70 ms vs stable 120 ms over 12 and 12 intervals, −50 ms "
               "(Hodges–Lehmann), p = 0.99 — PASS."_s;
        QTest::newRow("response time short") << judgeResponseTime({ 1, 2, 3, noValue, 5 },
            stable12) << u"Response time: not enough data (canary 4 intervals, at least 5 needed)."_s;
    }

    void sentence()
    {
        QFETCH(MetricVerdict, verdict);
        QFETCH(QString, sentence);
        QCOMPARE(verdict.sentence, sentence);
    }

    void pValueText_data()
    {
        QTest::addColumn<double>("p");
        QTest::addColumn<QString>("text");
        QTest::newRow("tiny") << 0.0004 << u"p < 0.001"_s;
        QTest::newRow("zero") << 0.0 << u"p < 0.001"_s;
        QTest::newRow("0.001") << 0.001 << u"p = 0.001"_s;
        QTest::newRow("0.042") << 0.042 << u"p = 0.042"_s;
        QTest::newRow("rounded down, not up to 0.01") << 0.00999 << u"p = 0.0099"_s;
        QTest::newRow("rounded down, not up to 0.1") << 0.0999 << u"p = 0.099"_s;
        QTest::newRow("two digits") << 0.01234 << u"p = 0.012"_s;
        QTest::newRow("half") << 0.5 << u"p = 0.5"_s;
        QTest::newRow("one") << 1.0 << u"p = 1"_s;
    }

    void pValueText()
    {
        QFETCH(double, p);
        QFETCH(QString, text);
        QCOMPARE(canary::verdict::pValueText(p), text);
    }

    void combine_data()
    {
        QTest::addColumn<Outcomes>("outcomes");
        QTest::addColumn<Outcome>("overall");
        QTest::newRow("nothing to judge") << Outcomes {} << Outcome::NotEnoughData;
        QTest::newRow("all pass") << Outcomes { Outcome::Pass, Outcome::Pass } << Outcome::Pass;
        QTest::newRow("fail beats pass") << Outcomes { Outcome::Pass, Outcome::Fail } << Outcome::Fail;
        QTest::newRow("fail beats marginal")
            << Outcomes { Outcome::Fail, Outcome::Marginal } << Outcome::Fail;
        QTest::newRow("marginal beats pass")
            << Outcomes { Outcome::Marginal, Outcome::Pass } << Outcome::Marginal;
        QTest::newRow("judged on what has data")
            << Outcomes { Outcome::NotEnoughData, Outcome::Pass } << Outcome::Pass;
        QTest::newRow("missing data does not hide a fail")
            << Outcomes { Outcome::Fail, Outcome::NotEnoughData } << Outcome::Fail;
        QTest::newRow("no metric has data")
            << Outcomes { Outcome::NotEnoughData, Outcome::NotEnoughData } << Outcome::NotEnoughData;
    }

    void combine()
    {
        QFETCH(Outcomes, outcomes);
        QFETCH(Outcome, overall);
        std::vector<MetricVerdict> metrics;
        for (qsizetype i = 0; i < outcomes.size(); ++i)
            metrics.push_back(withOutcome(u"Metric %1"_s.arg(i), outcomes[i]));
        const Verdict verdict = canary::verdict::combine(metrics);
        QCOMPARE(verdict.overall, overall);
        QCOMPARE(verdict.metrics.size(), metrics.size());
        QVERIFY2(verdict.summary.startsWith(canary::verdict::outcomeName(overall) + u":"_s),
            qPrintable(verdict.summary));
        for (qsizetype i = 0; i < outcomes.size(); ++i)
            QVERIFY2(verdict.summary.contains(u"metric %1"_s.arg(i)), qPrintable(verdict.summary));
    }

    void combine_summaryNamesWhatLacksData()
    {
        const Verdict verdict = canary::verdict::combine(
            { judgeFailureRate(62, 500, 40, 5000), judgeResponseTime({ 100, 101 }, stable12) });
        QCOMPARE(verdict.overall, Outcome::Fail);
        QCOMPARE(verdict.summary, u"FAIL: failure rate FAIL. Not enough data for response time."_s);
        const Verdict both = canary::verdict::combine(
            { judgeFailureRate(62, 500, 40, 5000), judgeResponseTime(stable12, stable12) });
        QCOMPARE(both.summary, u"FAIL: failure rate FAIL, response time PASS."_s);
        const Verdict none
            = canary::verdict::combine({ judgeFailureRate(1, 10, 0, 10), judgeResponseTime({}, stable12) });
        QCOMPARE(none.overall, Outcome::NotEnoughData);
        QCOMPARE(none.summary, u"NOT ENOUGH DATA: not enough data for failure rate, response time."_s);
    }

    void toJson()
    {
        const Verdict verdict = canary::verdict::combine({ judgeFailureRate(30, 1000, 0, 1000),
            judgeResponseTime(shifted(stable12, 292), stable12), judgeResponseTime({ 1 }, stable12) });
        const QJsonObject json = canary::verdict::toJson(verdict);
        QCOMPARE(json.value(u"outcome"_s).toString(), u"FAIL"_s);
        QCOMPARE(json.value(u"summary"_s).toString(), verdict.summary);
        const QJsonArray metrics = json.value(u"metrics"_s).toArray();
        QCOMPARE(metrics.size(), 3);

        const QJsonObject failure = metrics.at(0).toObject();
        QCOMPARE(failure.value(u"metric"_s).toString(), u"Failure rate"_s);
        QCOMPARE(failure.value(u"outcome"_s).toString(), u"FAIL"_s);
        QCOMPARE(failure.value(u"canaryCount"_s).toInteger(), 1000);
        QCOMPARE(failure.value(u"canaryFailures"_s).toInteger(), 30);
        QCOMPARE(failure.value(u"stableFailures"_s).toInteger(), 0);
        QCOMPARE(failure.value(u"canaryValue"_s).toDouble(), 0.03);
        QCOMPARE(failure.value(u"difference"_s).toDouble(), 0.03);
        QVERIFY(!failure.contains(u"ratio"_s)); // infinite: left out, not written as null
        QVERIFY(failure.value(u"pValue"_s).toDouble() < 0.001);
        QCOMPARE(failure.value(u"sentence"_s).toString(), verdict.metrics[0].sentence);

        const QJsonObject response = metrics.at(1).toObject();
        QCOMPARE(response.value(u"outcome"_s).toString(), u"FAIL"_s);
        QCOMPARE(response.value(u"difference"_s).toDouble(), 292.0);
        QCOMPARE(response.value(u"canaryValue"_s).toDouble(), 412.0);
        QCOMPARE(response.value(u"effectSize"_s).toDouble(), 1.0);
        QVERIFY(!response.contains(u"canaryFailures"_s));
        QVERIFY(!response.contains(u"ratio"_s));

        const QJsonObject lacking = metrics.at(2).toObject();
        QCOMPARE(lacking.value(u"outcome"_s).toString(), u"NOT ENOUGH DATA"_s);
        QCOMPARE(lacking.value(u"canaryCount"_s).toInteger(), 1);
        QCOMPARE(lacking.value(u"minimumCount"_s).toInteger(), 5);
        QVERIFY(!lacking.contains(u"pValue"_s));
        QVERIFY(lacking.value(u"sentence"_s).toString().contains(u"not enough data"_s));
    }
};

QTEST_GUILESS_MAIN(TestVerdict)
#include "tst_verdict.moc"
