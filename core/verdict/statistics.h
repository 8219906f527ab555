#pragma once

#include <optional>
#include <vector>

#include <QtGlobal>

// The two tests behind the canary verdict. Pure functions: no I/O, no Qt beyond its integer types, so the
// verdict can be recomputed anywhere (GUI, canaryctl, tests) and always gives the same answer.
namespace canary::verdict {

// Standard normal cumulative distribution function, Φ(z). Uses std::erfc so that both tails keep their
// relative precision: Φ(-8) ≈ 6.2e-16 does not collapse to 0 as 1 - Φ(8) would.
double normalCdf(double z);

// Median of the values (average of the two middle ones for an even count); NaN when empty. Takes a copy
// because it reorders.
double median(std::vector<double> values);

// Two-proportion z-test on failure counts: is the canary's failure rate higher than the stable build's?
struct ProportionTest
{
    qint64 canaryFailures = 0;
    qint64 canaryRequests = 0;
    qint64 stableFailures = 0;
    qint64 stableRequests = 0;
    double canaryRate = 0; // 0..1
    double stableRate = 0; // 0..1
    double difference = 0; // canaryRate - stableRate
    // canaryRate / stableRate. +inf when only the stable build had no failures (any failure on the canary
    // is "infinitely" worse, which the verdict's absolute-difference floor keeps from meaning FAIL on its
    // own); 1 when neither had any (the rates are equal, not undefined).
    double ratio = 1;
    double pooledRate = 0;
    double z = 0; // pooled z; positive when the canary fails more often
    double pGreater = 1; // one-sided: H1 "canary failure rate > stable failure rate"
    double pTwoSided = 1;
};

// Empty when a build has no requests, or when the counts are impossible (negative, failures > requests):
// there is no rate to compare. A pooled rate of 0 (no failures at all) or 1 (everything failed) gives z = 0
// and p = 1 for both alternatives: identical extremes are no evidence of a difference.
std::optional<ProportionTest> twoProportionZTest(
    qint64 canaryFailures, qint64 canaryRequests, qint64 stableFailures, qint64 stableRequests);

// Mann-Whitney U (Wilcoxon rank-sum) test of per-interval values, canary against stable, with the
// Hodges-Lehmann shift that Kayenta's Mann-Whitney judge reports beside it.
struct RankSumTest
{
    qsizetype canaryCount = 0; // values used, after dropping non-finite ones
    qsizetype stableCount = 0;
    // Pairs (canary, stable) with canary > stable, ties counting one half; uCanary + uStable = n1 n2.
    double uCanary = 0;
    double uStable = 0;
    double uMean = 0; // n1 n2 / 2 under H0
    double uStdDev = 0; // under H0, with the tie correction; 0 when every value is equal
    double z = 0; // (uCanary - uMean) / uStdDev without continuity correction, for display; 0 if no spread
    // Normal approximation with tie and continuity correction (as scipy.stats.mannwhitneyu's "asymptotic"
    // method with use_continuity=True). Both are 1 when there is no spread at all.
    double pGreater = 1; // one-sided: H1 "canary values are stochastically greater"
    double pTwoSided = 1;
    // Effect sizes. commonLanguageEffect = uCanary / (n1 n2): the probability that a random canary value
    // exceeds a random stable one (ties half). rankBiserial = 2 * commonLanguageEffect - 1, in [-1, 1].
    double commonLanguageEffect = 0.5;
    double rankBiserial = 0;
    // Median of all n1 n2 differences canary - stable: the shift in the values' own unit, robust to outliers.
    double hodgesLehmann = 0;
    double canaryMedian = 0;
    double stableMedian = 0;
};

// NaN and infinite values are dropped before ranking: an interval without a measurement says nothing
// about either build, and an infinite one would make every shift undefined. Empty when either sample has
// no finite value left. Whether a sample is large enough to judge is the verdict's decision, not this
// function's. Memory and time are O(n1 n2) for the Hodges-Lehmann estimate, fine for per-interval series
// (hundreds of values), not for raw per-request samples.
std::optional<RankSumTest> mannWhitneyU(const std::vector<double> &canary, const std::vector<double> &stable);

} // namespace canary::verdict
