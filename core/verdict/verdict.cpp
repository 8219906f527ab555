#include "verdict.h"

#include <algorithm>
#include <cmath>

#include <QJsonArray>
#include <QLocale>
#include <QStringList>

#include "statistics.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::verdict {

namespace {

// The C locale with group separators: "5,000" on every machine, so sentences and tests agree.
QLocale numberLocale()
{
    QLocale locale = QLocale::c();
    locale.setNumberOptions(QLocale::DefaultNumberOptions);
    return locale;
}

QString count(qint64 value)
{
    return numberLocale().toString(value);
}

// Three significant digits without trailing zeros: "12.4", "0.8", "412", "1,235".
QString number(double value)
{
    if (!std::isfinite(value))
        return u"?"_s;
    if (value == 0)
        return u"0"_s;
    const int magnitude = int(std::floor(std::log10(std::abs(value))));
    const int decimals = std::clamp(2 - magnitude, 0, 6);
    QString text = numberLocale().toString(value, 'f', decimals);
    if (text.contains(u'.')) {
        while (text.endsWith(u'0'))
            text.chop(1);
        if (text.endsWith(u'.'))
            text.chop(1);
    }
    return text;
}

QString percent(double rate)
{
    return number(rate * 100) + u" %"_s;
}

QString signedMs(double ms)
{
    return (ms < 0 ? u"−"_s : u"+"_s) + number(std::abs(ms)) + u" ms"_s;
}

// FAIL and MARGINAL need the effect to be large enough; a tiny significant difference is a PASS.
Outcome decide(double p, bool largeEnough, const VerdictPolicy &policy)
{
    if (!largeEnough)
        return Outcome::Pass;
    if (p < policy.failAlpha)
        return Outcome::Fail;
    if (p < policy.marginalAlpha)
        return Outcome::Marginal;
    return Outcome::Pass;
}

QString notEnoughText(
    const QString &metric, qint64 canary, qint64 stable, qint64 minimum, const QString &unit)
{
    const bool canaryShort = canary < minimum;
    const bool stableShort = stable < minimum;
    QString detail;
    if (canaryShort && stableShort)
        detail = u"canary %1 and stable %2 %3, at least %4 each needed"_s.arg(
            count(canary), count(stable), unit, count(minimum));
    else
        detail = u"%1 %2 %3, at least %4 needed"_s.arg(canaryShort ? u"canary"_s : u"stable"_s,
            count(canaryShort ? canary : stable), unit, count(minimum));
    return u"%1: not enough data (%2)."_s.arg(metric, detail);
}

qint64 finiteCount(const std::vector<double> &values)
{
    return std::count_if(values.begin(), values.end(), [](double value) { return std::isfinite(value); });
}

void putNumber(QJsonObject &object, const QString &key, double value)
{
    if (std::isfinite(value))
        object.insert(key, value);
}

} // namespace

QString outcomeName(Outcome outcome)
{
    switch (outcome) {
    case Outcome::NotEnoughData:
        return u"NOT ENOUGH DATA"_s;
    case Outcome::Pass:
        return u"PASS"_s;
    case Outcome::Marginal:
        return u"MARGINAL"_s;
    case Outcome::Fail:
        return u"FAIL"_s;
    }
    return u"NOT ENOUGH DATA"_s;
}

QString pValueText(double p)
{
    if (!std::isfinite(p))
        return u"p unknown"_s;
    if (p < 0.001)
        return u"p < 0.001"_s;
    // Two significant digits, rounded down; the tiny factor keeps 0.042 (stored as 0.04199999…) from
    // becoming 0.041.
    const int magnitude = int(std::floor(std::log10(p)));
    const int decimals = std::max(0, 1 - magnitude);
    const double scale = std::pow(10.0, decimals);
    const double truncated = std::floor(p * scale * (1 + 1e-9)) / scale;
    return u"p = "_s + number(truncated);
}

MetricVerdict judgeFailureRate(qint64 canaryFailures, qint64 canaryRequests, qint64 stableFailures,
    qint64 stableRequests, const VerdictPolicy &policy)
{
    MetricVerdict verdict;
    verdict.metric = u"Failure rate"_s;
    verdict.canaryCount = canaryRequests;
    verdict.stableCount = stableRequests;
    verdict.minimumCount = policy.minRequests;
    verdict.canaryFailures = canaryFailures;
    verdict.stableFailures = stableFailures;
    if (canaryRequests < policy.minRequests || stableRequests < policy.minRequests) {
        verdict.sentence = notEnoughText(
            verdict.metric, canaryRequests, stableRequests, policy.minRequests, u"requests"_s);
        return verdict;
    }
    const auto test = twoProportionZTest(canaryFailures, canaryRequests, stableFailures, stableRequests);
    if (!test) {
        verdict.sentence
            = u"Failure rate: not enough data (impossible counts: canary %1 of %2, stable %3 of %4)."_s.arg(
                count(canaryFailures), count(canaryRequests), count(stableFailures), count(stableRequests));
        return verdict;
    }
    verdict.canaryValue = test->canaryRate;
    verdict.stableValue = test->stableRate;
    verdict.difference = test->difference;
    verdict.ratio = test->ratio;
    verdict.pValue = test->pGreater;
    const bool largeEnough = test->difference > 0 && test->ratio >= policy.minFailureRateRatio
        && test->difference >= policy.minFailureRateDifference;
    verdict.outcome = decide(test->pGreater, largeEnough, policy);

    QString comparison;
    if (std::isinf(test->ratio))
        comparison = u"+%1 percentage points"_s.arg(number(test->difference * 100));
    else if (test->ratio > 1)
        comparison = u"%1× higher"_s.arg(number(test->ratio));
    else if (test->ratio < 1)
        comparison = test->ratio > 0 ? u"%1× lower"_s.arg(number(1 / test->ratio)) : u"none on the canary"_s;
    else
        comparison = u"the same rate"_s;
    verdict.sentence
        = u"Failure rate: canary %1 (%2 of %3 requests) vs stable %4 (%5 of %6), %7, %8 — %9."_s.arg(
            percent(test->canaryRate), count(canaryFailures), count(canaryRequests),
            percent(test->stableRate), count(stableFailures), count(stableRequests), comparison,
            pValueText(test->pGreater), outcomeName(verdict.outcome));
    return verdict;
}

MetricVerdict judgeResponseTime(
    const std::vector<double> &canaryMs, const std::vector<double> &stableMs, const VerdictPolicy &policy)
{
    MetricVerdict verdict;
    verdict.metric = u"Response time"_s;
    verdict.canaryCount = finiteCount(canaryMs);
    verdict.stableCount = finiteCount(stableMs);
    verdict.minimumCount = policy.minIntervals;
    const auto test = mannWhitneyU(canaryMs, stableMs);
    if (verdict.canaryCount < policy.minIntervals || verdict.stableCount < policy.minIntervals || !test) {
        verdict.sentence = notEnoughText(
            verdict.metric, verdict.canaryCount, verdict.stableCount, policy.minIntervals, u"intervals"_s);
        return verdict;
    }
    verdict.canaryValue = test->canaryMedian;
    verdict.stableValue = test->stableMedian;
    verdict.difference = test->hodgesLehmann;
    verdict.relativeDifference
        = test->stableMedian != 0 ? test->hodgesLehmann / test->stableMedian : verdict.nan;
    verdict.effectSize = test->commonLanguageEffect;
    verdict.pValue = test->pGreater;
    const double minimumShift
        = std::max(policy.minResponseTimeShiftMs, policy.minResponseTimeShiftFraction * test->stableMedian);
    verdict.outcome = decide(test->pGreater, test->hodgesLehmann >= minimumShift, policy);
    verdict.sentence
        = u"Response time: canary median %1 ms vs stable %2 ms over %3 and %4 intervals, %5 (Hodges–Lehmann), %6 — %7."_s
              .arg(number(test->canaryMedian), number(test->stableMedian), count(test->canaryCount),
                  count(test->stableCount), signedMs(test->hodgesLehmann), pValueText(test->pGreater),
                  outcomeName(verdict.outcome));
    return verdict;
}

Verdict combine(std::vector<MetricVerdict> metrics)
{
    Verdict verdict;
    verdict.metrics = std::move(metrics);
    QStringList judged;
    QStringList lacking;
    bool any = false;
    for (const MetricVerdict &metric : verdict.metrics) {
        if (metric.outcome == Outcome::NotEnoughData) {
            lacking << metric.metric.toLower();
            continue;
        }
        judged << u"%1 %2"_s.arg(metric.metric.toLower(), outcomeName(metric.outcome));
        verdict.overall = any ? std::max(verdict.overall, metric.outcome) : metric.outcome;
        any = true;
    }
    if (verdict.metrics.empty())
        verdict.summary = u"NOT ENOUGH DATA: no metric to judge."_s;
    else if (!any)
        verdict.summary = u"NOT ENOUGH DATA: not enough data for %1."_s.arg(lacking.join(u", "_s));
    else
        verdict.summary = u"%1: %2."_s.arg(outcomeName(verdict.overall), judged.join(u", "_s))
            + (lacking.isEmpty() ? QString() : u" Not enough data for %1."_s.arg(lacking.join(u", "_s)));
    return verdict;
}

QString failingSentence(const Verdict &verdict)
{
    const auto failing = std::find_if(verdict.metrics.cbegin(), verdict.metrics.cend(),
        [](const MetricVerdict &metric) { return metric.outcome == Outcome::Fail; });
    return failing != verdict.metrics.cend() ? failing->sentence : verdict.summary;
}

QJsonObject toJson(const Verdict &verdict)
{
    QJsonArray metrics;
    for (const MetricVerdict &metric : verdict.metrics) {
        QJsonObject object {
            { u"metric"_s, metric.metric },
            { u"outcome"_s, outcomeName(metric.outcome) },
            { u"canaryCount"_s, metric.canaryCount },
            { u"stableCount"_s, metric.stableCount },
            { u"minimumCount"_s, metric.minimumCount },
            { u"sentence"_s, metric.sentence },
        };
        if (metric.metric == u"Failure rate"_s) {
            object.insert(u"canaryFailures"_s, metric.canaryFailures);
            object.insert(u"stableFailures"_s, metric.stableFailures);
        }
        putNumber(object, u"canaryValue"_s, metric.canaryValue);
        putNumber(object, u"stableValue"_s, metric.stableValue);
        putNumber(object, u"difference"_s, metric.difference);
        putNumber(object, u"ratio"_s, metric.ratio);
        putNumber(object, u"relativeDifference"_s, metric.relativeDifference);
        putNumber(object, u"effectSize"_s, metric.effectSize);
        putNumber(object, u"pValue"_s, metric.pValue);
        metrics.append(object);
    }
    return QJsonObject {
        { u"outcome"_s, outcomeName(verdict.overall) },
        { u"summary"_s, verdict.summary },
        { u"metrics"_s, metrics },
    };
}

} // namespace canary::verdict
