#include "statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace canary::verdict {

namespace {

// Upper tail 1 - Φ(z), computed directly so that small p-values keep their precision.
double upperTail(double z)
{
    return 0.5 * std::erfc(z / std::numbers::sqrt2);
}

std::vector<double> finiteValues(const std::vector<double> &values)
{
    std::vector<double> kept;
    kept.reserve(values.size());
    std::copy_if(values.begin(), values.end(), std::back_inserter(kept),
        [](double value) { return std::isfinite(value); });
    return kept;
}

} // namespace

double normalCdf(double z)
{
    return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}

double median(std::vector<double> values)
{
    if (values.empty())
        return std::numeric_limits<double>::quiet_NaN();
    const auto middle = values.begin() + values.size() / 2;
    std::nth_element(values.begin(), middle, values.end());
    if (values.size() % 2)
        return *middle;
    const double upper = *middle;
    const double lower = *std::max_element(values.begin(), middle);
    return lower + (upper - lower) / 2;
}

std::optional<ProportionTest> twoProportionZTest(
    qint64 canaryFailures, qint64 canaryRequests, qint64 stableFailures, qint64 stableRequests)
{
    if (canaryRequests <= 0 || stableRequests <= 0 || canaryFailures < 0 || stableFailures < 0
        || canaryFailures > canaryRequests || stableFailures > stableRequests)
        return std::nullopt;

    ProportionTest test;
    test.canaryFailures = canaryFailures;
    test.canaryRequests = canaryRequests;
    test.stableFailures = stableFailures;
    test.stableRequests = stableRequests;
    test.canaryRate = double(canaryFailures) / double(canaryRequests);
    test.stableRate = double(stableFailures) / double(stableRequests);
    // Cross-multiplied in long double so that the policy's boundaries (a ratio of exactly 1.5, a difference
    // of exactly one percentage point) are met exactly and not missed by a rounding of the two rates.
    const long double canaryCross = static_cast<long double>(canaryFailures) * stableRequests;
    const long double stableCross = static_cast<long double>(stableFailures) * canaryRequests;
    const long double requestProduct = static_cast<long double>(canaryRequests) * stableRequests;
    test.difference = double((canaryCross - stableCross) / requestProduct);
    if (stableFailures == 0)
        test.ratio = canaryFailures == 0 ? 1.0 : std::numeric_limits<double>::infinity();
    else
        test.ratio = double(canaryCross / stableCross);

    const double totalRequests = double(canaryRequests) + double(stableRequests);
    test.pooledRate = (double(canaryFailures) + double(stableFailures)) / totalRequests;
    const double variance
        = test.pooledRate * (1 - test.pooledRate) * (1 / double(canaryRequests) + 1 / double(stableRequests));
    if (!(variance > 0))
        return test; // z = 0, p = 1: all or nothing failed on both sides
    test.z = test.difference / std::sqrt(variance);
    test.pGreater = upperTail(test.z);
    test.pTwoSided = std::min(1.0, 2 * upperTail(std::abs(test.z)));
    return test;
}

std::optional<RankSumTest> mannWhitneyU(
    const std::vector<double> &canaryValues, const std::vector<double> &stableValues)
{
    const std::vector<double> canary = finiteValues(canaryValues);
    const std::vector<double> stable = finiteValues(stableValues);
    if (canary.empty() || stable.empty())
        return std::nullopt;

    struct Ranked
    {
        double value;
        bool isCanary;
    };
    std::vector<Ranked> all;
    all.reserve(canary.size() + stable.size());
    for (double value : canary)
        all.push_back({ value, true });
    for (double value : stable)
        all.push_back({ value, false });
    std::sort(all.begin(), all.end(), [](const Ranked &a, const Ranked &b) { return a.value < b.value; });

    // Average ranks for ties; the tie term sum(t^3 - t) shrinks the variance of U under H0.
    double canaryRankSum = 0;
    double tieTerm = 0;
    for (std::size_t first = 0; first < all.size();) {
        std::size_t last = first;
        while (last + 1 < all.size() && all[last + 1].value == all[first].value)
            ++last;
        const double averageRank = (double(first + 1) + double(last + 1)) / 2;
        const double tied = double(last - first + 1);
        tieTerm += tied * tied * tied - tied;
        for (std::size_t i = first; i <= last; ++i) {
            if (all[i].isCanary)
                canaryRankSum += averageRank;
        }
        first = last + 1;
    }

    const double n1 = double(canary.size());
    const double n2 = double(stable.size());
    const double n = n1 + n2;
    RankSumTest test;
    test.canaryCount = qsizetype(canary.size());
    test.stableCount = qsizetype(stable.size());
    test.uCanary = canaryRankSum - n1 * (n1 + 1) / 2;
    test.uStable = n1 * n2 - test.uCanary;
    test.uMean = n1 * n2 / 2;
    const double variance = n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)));
    test.uStdDev = variance > 0 ? std::sqrt(variance) : 0;
    if (test.uStdDev > 0) {
        test.z = (test.uCanary - test.uMean) / test.uStdDev;
        test.pGreater = upperTail((test.uCanary - test.uMean - 0.5) / test.uStdDev);
        const double larger = std::max(test.uCanary, test.uStable);
        test.pTwoSided = std::min(1.0, 2 * upperTail((larger - test.uMean - 0.5) / test.uStdDev));
    }
    test.commonLanguageEffect = test.uCanary / (n1 * n2);
    test.rankBiserial = 2 * test.commonLanguageEffect - 1;

    std::vector<double> differences;
    differences.reserve(canary.size() * stable.size());
    for (double c : canary) {
        for (double s : stable)
            differences.push_back(c - s);
    }
    test.hodgesLehmann = median(std::move(differences));
    test.canaryMedian = median(canary);
    test.stableMedian = median(stable);
    return test;
}

} // namespace canary::verdict
