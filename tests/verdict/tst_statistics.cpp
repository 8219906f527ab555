#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <QTest>

#include "verdict/statistics.h"

using namespace canary::verdict;
using namespace Qt::Literals::StringLiterals;
using Values = std::vector<double>;

Q_DECLARE_METATYPE(Values)

namespace {

constexpr double noValue = std::numeric_limits<double>::quiet_NaN();

// U of the canary by definition: every (canary, stable) pair, 1 when canary is greater, 1/2 when tied.
double pairwiseU(const Values &canary, const Values &stable)
{
    double u = 0;
    for (double c : canary) {
        for (double s : stable)
            u += c > s ? 1.0 : (c == s ? 0.5 : 0.0);
    }
    return u;
}

// The exact permutation distribution of U under H0, conditional on the observed values (ties included):
// every way of choosing which n1 of the pooled values are the canary's, equally likely.
struct ExactU
{
    double mean = 0;
    double variance = 0;
    double pGreater = 0; // P(U >= observed)
};

ExactU exactU(const Values &canary, const Values &stable)
{
    Values pooled = canary;
    pooled.insert(pooled.end(), stable.begin(), stable.end());
    const std::size_t n1 = canary.size();
    const double observed = pairwiseU(canary, stable);
    std::vector<bool> chosen(pooled.size(), false);
    std::fill(chosen.begin(), chosen.begin() + long(n1), true);
    std::vector<double> us;
    do {
        Values c;
        Values s;
        for (std::size_t i = 0; i < pooled.size(); ++i)
            (chosen[i] ? c : s).push_back(pooled[i]);
        us.push_back(pairwiseU(c, s));
    } while (std::prev_permutation(chosen.begin(), chosen.end()));
    ExactU exact;
    const double count = double(us.size());
    exact.mean = std::accumulate(us.begin(), us.end(), 0.0) / count;
    for (double u : us) {
        exact.variance += (u - exact.mean) * (u - exact.mean) / count;
        if (u >= observed - 1e-9)
            exact.pGreater += 1 / count;
    }
    return exact;
}

double bruteForceHodgesLehmann(const Values &canary, const Values &stable)
{
    Values differences;
    for (double c : canary) {
        for (double s : stable)
            differences.push_back(c - s);
    }
    std::sort(differences.begin(), differences.end());
    const std::size_t n = differences.size();
    return n % 2 ? differences[n / 2] : (differences[n / 2 - 1] + differences[n / 2]) / 2;
}

// Deterministic pseudo-random integers (a small LCG), so that the data sets have ties but no test depends
// on the machine or on a seed.
Values lcgValues(std::size_t count, unsigned seed, int modulo, double offset)
{
    Values values;
    unsigned state = seed;
    for (std::size_t i = 0; i < count; ++i) {
        state = state * 1103515245u + 12345u;
        values.push_back(offset + double((state >> 16) % unsigned(modulo)));
    }
    return values;
}

bool closeRelative(double actual, double expected, double tolerance)
{
    return std::abs(actual - expected) <= tolerance * std::abs(expected);
}

} // namespace

class TestStatistics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Reference values of Φ: the standard normal table (Abramowitz & Stegun, table 26.1), and for the far
    // tail the closed form Φ(-8) = erfc(8/√2)/2 = 6.22096057427178e-16.
    void normalCdf_data()
    {
        QTest::addColumn<double>("z");
        QTest::addColumn<double>("expected");
        QTest::newRow("0") << 0.0 << 0.5;
        QTest::newRow("1.96") << 1.96 << 0.9750021048517795;
        QTest::newRow("-1") << -1.0 << 0.15865525393145707;
        QTest::newRow("3") << 3.0 << 0.9986501019683699;
        QTest::newRow("-2.326") << -2.3263478740408408 << 0.01;
        QTest::newRow("far lower tail keeps precision") << -8.0 << 6.22096057427178e-16;
    }

    void normalCdf()
    {
        QFETCH(double, z);
        QFETCH(double, expected);
        QVERIFY2(closeRelative(canary::verdict::normalCdf(z), expected, 1e-9),
            qPrintable(QString::number(canary::verdict::normalCdf(z), 'g', 17)));
    }

    void median_data()
    {
        QTest::addColumn<Values>("values");
        QTest::addColumn<double>("expected");
        QTest::newRow("odd") << Values { 5, 1, 3 } << 3.0;
        QTest::newRow("even averages the middle two") << Values { 4, 1, 3, 2 } << 2.5;
        QTest::newRow("one") << Values { 7 } << 7.0;
        QTest::newRow("ties") << Values { 2, 2, 2, 9 } << 2.0;
    }

    void median()
    {
        QFETCH(Values, values);
        QFETCH(double, expected);
        QCOMPARE(canary::verdict::median(values), expected);
    }

    void medianOfNothingIsNan() { QVERIFY(std::isnan(canary::verdict::median({}))); }

    // z and p from the textbook formula, computed here independently of the implementation:
    // p̂ = (x1 + x2) / (n1 + n2), z = (x1/n1 - x2/n2) / sqrt(p̂ (1 - p̂) (1/n1 + 1/n2)).
    void twoProportion_data()
    {
        QTest::addColumn<qint64>("x1");
        QTest::addColumn<qint64>("n1");
        QTest::addColumn<qint64>("x2");
        QTest::addColumn<qint64>("n2");
        QTest::addColumn<double>("z");
        QTest::addColumn<double>("pGreater");
        QTest::addColumn<double>("pTwoSided");
        // Published worked examples, z as printed there; the p-values are the normal tails of that z.
        // homeworksource.com/p/1008622 ("Find the test statistic z"): 140 of 200 against 255 of 340 gives
        // p̂ = 0.7314815, SE = 0.03949401, z = -1.266015. (Its p = 0.1030278 comes from a t distribution with
        // 538 degrees of freedom, not from the normal one of a z-test, so it is not used.)
        const auto upper = [](double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); };
        QTest::newRow("published example, 140/200 vs 255/340")
            << qint64(140) << qint64(200) << qint64(255) << qint64(340) << -1.266015 << upper(-1.266015)
            << 2 * upper(1.266015);
        // unknowndada.blogspot.com/2021/05 ("significant difference between two sample proportions", an R
        // session): 200 of 400 men against 325 of 600 women, |z| = 1.292611.
        QTest::newRow("published example, 200/400 vs 325/600")
            << qint64(200) << qint64(400) << qint64(325) << qint64(600) << -1.292611 << upper(-1.292611)
            << 2 * upper(1.292611);
        // By hand: p̂ = 102/5500, SE = sqrt(p̂ (1 - p̂) (1/500 + 1/5000)) = 0.0063279, z = 0.116 / SE = 18.331.
        const auto formula = [](double x1, double n1, double x2, double n2) {
            const double pooled = (x1 + x2) / (n1 + n2);
            const double z = (x1 / n1 - x2 / n2) / std::sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
            return z;
        };
        const double zBrief = formula(62, 500, 40, 5000);
        QTest::newRow("canary much worse")
            << qint64(62) << qint64(500) << qint64(40) << qint64(5000) << zBrief
            << 0.5 * std::erfc(zBrief / std::sqrt(2.0)) << std::erfc(zBrief / std::sqrt(2.0));
        const double zSmall = formula(30, 1000, 20, 1000);
        QTest::newRow("small difference")
            << qint64(30) << qint64(1000) << qint64(20) << qint64(1000) << zSmall
            << 0.5 * std::erfc(zSmall / std::sqrt(2.0)) << std::erfc(zSmall / std::sqrt(2.0));
        QTest::newRow("equal rates") << qint64(10) << qint64(1000) << qint64(20) << qint64(2000) << 0.0 << 0.5
                                     << 1.0;
    }

    void twoProportion()
    {
        QFETCH(qint64, x1);
        QFETCH(qint64, n1);
        QFETCH(qint64, x2);
        QFETCH(qint64, n2);
        QFETCH(double, z);
        QFETCH(double, pGreater);
        QFETCH(double, pTwoSided);
        const auto test = twoProportionZTest(x1, n1, x2, n2);
        QVERIFY(test);
        QVERIFY2(std::abs(test->z - z) < 1e-5, qPrintable(QString::number(test->z, 'g', 10)));
        QVERIFY2(
            std::abs(test->pGreater - pGreater) < 1e-6, qPrintable(QString::number(test->pGreater, 'g', 10)));
        QVERIFY2(std::abs(test->pTwoSided - pTwoSided) < 1e-6,
            qPrintable(QString::number(test->pTwoSided, 'g', 10)));
        QCOMPARE(test->canaryRate, double(x1) / double(n1));
        QCOMPARE(test->stableRate, double(x2) / double(n2));
        QVERIFY(std::abs(test->difference - (double(x1) / double(n1) - double(x2) / double(n2))) < 1e-15);
        QVERIFY(std::abs(test->ratio - (double(x1) / double(n1)) / (double(x2) / double(n2))) < 1e-12);
        QCOMPARE(test->pooledRate, double(x1 + x2) / double(n1 + n2));
    }

    void twoProportion_swappingBuildsMirrorsTheResult()
    {
        const auto forward = twoProportionZTest(62, 500, 40, 5000);
        const auto backward = twoProportionZTest(40, 5000, 62, 500);
        QVERIFY(forward && backward);
        QCOMPARE(backward->z, -forward->z);
        QVERIFY(std::abs(backward->pGreater - (1 - forward->pGreater)) < 1e-12);
        QCOMPARE(backward->pTwoSided, forward->pTwoSided);
        QVERIFY(backward->pGreater > 0.99);
    }

    void twoProportion_noRate_data()
    {
        QTest::addColumn<qint64>("x1");
        QTest::addColumn<qint64>("n1");
        QTest::addColumn<qint64>("x2");
        QTest::addColumn<qint64>("n2");
        QTest::newRow("no canary requests") << qint64(0) << qint64(0) << qint64(3) << qint64(100);
        QTest::newRow("no stable requests") << qint64(3) << qint64(100) << qint64(0) << qint64(0);
        QTest::newRow("no requests at all") << qint64(0) << qint64(0) << qint64(0) << qint64(0);
        QTest::newRow("more failures than requests")
            << qint64(101) << qint64(100) << qint64(3) << qint64(100);
        QTest::newRow("negative failures") << qint64(-1) << qint64(100) << qint64(3) << qint64(100);
        QTest::newRow("negative requests") << qint64(0) << qint64(-100) << qint64(3) << qint64(100);
    }

    void twoProportion_noRate()
    {
        QFETCH(qint64, x1);
        QFETCH(qint64, n1);
        QFETCH(qint64, x2);
        QFETCH(qint64, n2);
        QVERIFY(!twoProportionZTest(x1, n1, x2, n2));
    }

    // Identical extremes are no evidence: z = 0 and p = 1 for both alternatives, not a division by zero.
    void twoProportion_pooledRateZeroOrOne_data()
    {
        QTest::addColumn<qint64>("x1");
        QTest::addColumn<qint64>("n1");
        QTest::addColumn<qint64>("x2");
        QTest::addColumn<qint64>("n2");
        QTest::addColumn<double>("ratio");
        QTest::newRow("no failures on either side")
            << qint64(0) << qint64(500) << qint64(0) << qint64(5000) << 1.0;
        QTest::newRow("everything failed on both")
            << qint64(500) << qint64(500) << qint64(70) << qint64(70) << 1.0;
    }

    void twoProportion_pooledRateZeroOrOne()
    {
        QFETCH(qint64, x1);
        QFETCH(qint64, n1);
        QFETCH(qint64, x2);
        QFETCH(qint64, n2);
        QFETCH(double, ratio);
        const auto test = twoProportionZTest(x1, n1, x2, n2);
        QVERIFY(test);
        QCOMPARE(test->z, 0.0);
        QCOMPARE(test->pGreater, 1.0);
        QCOMPARE(test->pTwoSided, 1.0);
        QCOMPARE(test->ratio, ratio);
        QCOMPARE(test->difference, 0.0);
    }

    void twoProportion_stableWithoutFailures()
    {
        const auto test = twoProportionZTest(12, 1000, 0, 5000);
        QVERIFY(test);
        QVERIFY(std::isinf(test->ratio) && test->ratio > 0);
        QVERIFY(test->z > 0);
        QVERIFY(test->pGreater < 0.001);
        const auto better = twoProportionZTest(0, 1000, 12, 5000);
        QVERIFY(better);
        QCOMPARE(better->ratio, 0.0);
        QVERIFY(better->pGreater > 0.5);
    }

    // Boundaries the verdict compares against must come out exact, not 1.4999999999999998.
    void twoProportion_effectsAreExactAtRoundNumbers()
    {
        const auto ratio = twoProportionZTest(300, 10'000, 200, 10'000);
        QVERIFY(ratio);
        QCOMPARE(ratio->ratio, 1.5);
        QCOMPARE(ratio->difference, 0.01);
        const auto difference = twoProportionZTest(200, 10'000, 100, 10'000);
        QVERIFY(difference);
        QCOMPARE(difference->difference, 0.01);
        QCOMPARE(difference->ratio, 2.0);
    }

    // Published examples of U.
    void mannWhitney_published_data()
    {
        QTest::addColumn<Values>("canary");
        QTest::addColumn<Values>("stable");
        QTest::addColumn<double>("uCanary");
        QTest::addColumn<double>("pTwoSided");
        // Wikipedia, "Mann–Whitney U test", illustration of calculation methods: six tortoises and six hares
        // finish in the order T H H H H H T T T T T H; U_T = 11 and U_H = 25. As finishing positions (a
        // smaller value is faster) the hares' "greater" U is 11: they beat only 25 of the 36 pairs. The
        // two-sided normal approximation with continuity correction is computed by hand:
        // z = (25 - 18 - 0.5) / sqrt(36 * 13 / 12) = 1.0408, p = erfc(1.0408 / √2) = 0.29795.
        QTest::newRow("Wikipedia tortoise and hare")
            << Values { 2, 3, 4, 5, 6, 12 } << Values { 1, 7, 8, 9, 10, 11 } << 11.0
            << std::erfc(6.5 / std::sqrt(39.0) / std::sqrt(2.0));
        // SciPy's documentation of scipy.stats.mannwhitneyu (example of males [19, 22, 16, 29, 24] against
        // females [20, 11, 17, 12]): U1 = 17, and with method="asymptotic" (continuity correction) the
        // two-sided p-value is 0.11134688653314041.
        QTest::newRow("SciPy documentation")
            << Values { 19, 22, 16, 29, 24 } << Values { 20, 11, 17, 12 } << 17.0 << 0.11134688653314041;
    }

    void mannWhitney_published()
    {
        QFETCH(Values, canary);
        QFETCH(Values, stable);
        QFETCH(double, uCanary);
        QFETCH(double, pTwoSided);
        const auto test = mannWhitneyU(canary, stable);
        QVERIFY(test);
        QCOMPARE(test->uCanary, uCanary);
        QCOMPARE(test->uStable, double(canary.size() * stable.size()) - uCanary);
        QVERIFY2(std::abs(test->pTwoSided - pTwoSided) < 1e-9,
            qPrintable(QString::number(test->pTwoSided, 'g', 17)));
    }

    // U, its null mean and its tie-corrected variance against the exact permutation distribution, computed
    // here by enumerating every split of the pooled values; the one-sided p of the normal approximation
    // must be close to the exact one.
    void mannWhitney_againstExactPermutation_data()
    {
        QTest::addColumn<Values>("canary");
        QTest::addColumn<Values>("stable");
        QTest::addColumn<double>("pTolerance");
        QTest::newRow("no ties, 6 vs 6")
            << Values { 2, 3, 4, 5, 6, 12 } << Values { 1, 7, 8, 9, 10, 11 } << 0.01;
        QTest::newRow("canary clearly higher, 7 vs 7")
            << Values { 31, 35, 40, 28, 45, 38, 33 } << Values { 20, 25, 29, 22, 30, 27, 24 } << 0.005;
        QTest::newRow("heavy ties, 7 vs 6")
            << Values { 1, 1, 2, 2, 2, 3, 4 } << Values { 1, 2, 3, 3, 3, 4 } << 0.03;
        QTest::newRow("unequal sizes with ties, 9 vs 4")
            << Values { 5, 6, 6, 7, 8, 8, 8, 9, 10 } << Values { 4, 5, 6, 8 } << 0.03;
        QTest::newRow("pseudo-random 8 vs 8") << lcgValues(8, 7, 12, 100) << lcgValues(8, 11, 12, 98) << 0.02;
    }

    void mannWhitney_againstExactPermutation()
    {
        QFETCH(Values, canary);
        QFETCH(Values, stable);
        QFETCH(double, pTolerance);
        const auto test = mannWhitneyU(canary, stable);
        QVERIFY(test);
        const ExactU exact = exactU(canary, stable);
        QCOMPARE(test->uCanary, pairwiseU(canary, stable));
        QVERIFY(std::abs(test->uMean - exact.mean) < 1e-9);
        QVERIFY2(std::abs(test->uStdDev * test->uStdDev - exact.variance) < 1e-9,
            qPrintable(u"variance %1, exact %2"_s.arg(test->uStdDev * test->uStdDev).arg(exact.variance)));
        QVERIFY2(std::abs(test->pGreater - exact.pGreater) < pTolerance,
            qPrintable(u"normal approximation %1, exact %2"_s.arg(test->pGreater).arg(exact.pGreater)));
    }

    // U by definition on larger pseudo-random samples with many ties, both directions.
    void mannWhitney_uIsThePairCount()
    {
        const Values canary = lcgValues(40, 3, 20, 50);
        const Values stable = lcgValues(33, 5, 20, 48);
        const auto test = mannWhitneyU(canary, stable);
        QVERIFY(test);
        QCOMPARE(test->uCanary, pairwiseU(canary, stable));
        QCOMPARE(test->uStable, pairwiseU(stable, canary));
        QCOMPARE(test->canaryCount, 40);
        QCOMPARE(test->stableCount, 33);
    }

    void mannWhitney_tiesGetAverageRanks()
    {
        // Pooled: 1 (stable), then 2, 2, 2 sharing ranks 2-4 (average 3): R_canary = 6, U = 6 - 2*3/2 = 3.
        const auto test = mannWhitneyU({ 2, 2 }, { 1, 2 });
        QVERIFY(test);
        QCOMPARE(test->uCanary, 3.0);
        QCOMPARE(test->uStable, 1.0);
        // Tie correction by hand: n = 4, one group of t = 3, var = 2*2/12 * (5 - 24/12) = 1.
        QCOMPARE(test->uStdDev, 1.0);
    }

    void mannWhitney_allEqual()
    {
        const auto test = mannWhitneyU({ 5, 5, 5 }, { 5, 5 });
        QVERIFY(test);
        QCOMPARE(test->uCanary, 3.0);
        QCOMPARE(test->uStdDev, 0.0);
        QCOMPARE(test->z, 0.0);
        QCOMPARE(test->pGreater, 1.0);
        QCOMPARE(test->pTwoSided, 1.0);
        QCOMPARE(test->commonLanguageEffect, 0.5);
        QCOMPARE(test->rankBiserial, 0.0);
        QCOMPARE(test->hodgesLehmann, 0.0);
    }

    void mannWhitney_empty_data()
    {
        QTest::addColumn<Values>("canary");
        QTest::addColumn<Values>("stable");
        QTest::newRow("no canary values") << Values {} << Values { 1, 2, 3 };
        QTest::newRow("no stable values") << Values { 1, 2, 3 } << Values {};
        QTest::newRow("both empty") << Values {} << Values {};
        QTest::newRow("canary only NaN") << Values { noValue, noValue } << Values { 1, 2, 3 };
        QTest::newRow("stable only infinite")
            << Values { 1, 2 } << Values { std::numeric_limits<double>::infinity() };
    }

    void mannWhitney_empty()
    {
        QFETCH(Values, canary);
        QFETCH(Values, stable);
        QVERIFY(!mannWhitneyU(canary, stable));
    }

    void mannWhitney_nanIsDropped()
    {
        const auto withNan = mannWhitneyU({ 10, noValue, 30, 20 }, { noValue, 5, 15 });
        const auto without = mannWhitneyU({ 10, 30, 20 }, { 5, 15 });
        QVERIFY(withNan && without);
        QCOMPARE(withNan->canaryCount, 3);
        QCOMPARE(withNan->stableCount, 2);
        QCOMPARE(withNan->uCanary, without->uCanary);
        QCOMPARE(withNan->pGreater, without->pGreater);
        QCOMPARE(withNan->hodgesLehmann, without->hodgesLehmann);
        QCOMPARE(withNan->canaryMedian, 20.0);
    }

    void mannWhitney_direction()
    {
        const Values high { 31, 35, 40, 28, 45, 38, 33 };
        const Values low { 20, 25, 29, 22, 30, 27, 24 };
        const auto worse = mannWhitneyU(high, low);
        const auto better = mannWhitneyU(low, high);
        QVERIFY(worse && better);
        QVERIFY(worse->pGreater < 0.01);
        QVERIFY(better->pGreater > 0.99);
        QVERIFY(worse->z > 0 && better->z < 0);
        QCOMPARE(worse->pTwoSided, better->pTwoSided);
        QCOMPARE(worse->uCanary, pairwiseU(high, low));
        QCOMPARE(worse->commonLanguageEffect, pairwiseU(high, low) / 49);
        QCOMPARE(worse->rankBiserial, 2 * pairwiseU(high, low) / 49 - 1);
    }

    void mannWhitney_effectSizeAtTheExtremes()
    {
        const auto above = mannWhitneyU({ 10, 11, 12 }, { 1, 2 });
        QVERIFY(above);
        QCOMPARE(above->commonLanguageEffect, 1.0);
        QCOMPARE(above->rankBiserial, 1.0);
        const auto below = mannWhitneyU({ 1, 2 }, { 10, 11, 12 });
        QVERIFY(below);
        QCOMPARE(below->commonLanguageEffect, 0.0);
        QCOMPARE(below->rankBiserial, -1.0);
    }

    // Hodges-Lehmann: hand-computed small cases and a brute-force sort of all pairwise differences.
    void hodgesLehmann_data()
    {
        QTest::addColumn<Values>("canary");
        QTest::addColumn<Values>("stable");
        QTest::addColumn<double>("expected");
        QTest::newRow("odd count of differences") << Values { 1, 2, 3 } << Values { 0 } << 2.0;
        QTest::newRow("even count averages") << Values { 1, 3 } << Values { 0 } << 2.0;
        // Differences 9, 8, 7, 19, 18, 17: sorted 7 8 9 | 17 18 19, median (9 + 17) / 2.
        QTest::newRow("by hand") << Values { 10, 20 } << Values { 1, 2, 3 } << 13.0;
        QTest::newRow("negative shift") << Values { 1, 2, 3 } << Values { 11, 12, 13 } << -10.0;
        // An outlier moves the mean shift a lot and Hodges-Lehmann not at all.
        QTest::newRow("robust to an outlier")
            << Values { 101, 102, 103, 5000 } << Values { 100, 101, 102 } << 1.5;
        const Values canary = lcgValues(23, 17, 50, 200);
        const Values stable = lcgValues(19, 19, 50, 180);
        QTest::newRow("pseudo-random, brute force")
            << canary << stable << bruteForceHodgesLehmann(canary, stable);
        const Values canaryEven = lcgValues(10, 23, 30, 10);
        const Values stableEven = lcgValues(6, 29, 30, 0);
        QTest::newRow("pseudo-random even, brute force")
            << canaryEven << stableEven << bruteForceHodgesLehmann(canaryEven, stableEven);
    }

    void hodgesLehmann()
    {
        QFETCH(Values, canary);
        QFETCH(Values, stable);
        QFETCH(double, expected);
        const auto test = mannWhitneyU(canary, stable);
        QVERIFY(test);
        QCOMPARE(test->hodgesLehmann, expected);
        QCOMPARE(bruteForceHodgesLehmann(canary, stable), expected);
    }

    void hodgesLehmann_followsAShift()
    {
        const Values stable = lcgValues(15, 31, 40, 100);
        Values canary = stable;
        for (double &value : canary)
            value += 37;
        const auto test = mannWhitneyU(canary, stable);
        QVERIFY(test);
        QCOMPARE(test->hodgesLehmann, 37.0);
        QCOMPARE(test->canaryMedian, test->stableMedian + 37);
    }
};

QTEST_GUILESS_MAIN(TestStatistics)
#include "tst_statistics.moc"
