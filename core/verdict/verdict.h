#pragma once

#include <limits>
#include <vector>

#include <QJsonObject>
#include <QString>

// The canary health verdict: each metric of canary and stable over the same window is judged PASS,
// MARGINAL, FAIL or NOT ENOUGH DATA, with one plain sentence that names the numbers behind it.
namespace canary::verdict {

// Ordered by severity among judged metrics: combine() takes the worst.
enum class Outcome { NotEnoughData, Pass, Marginal, Fail };

// "NOT ENOUGH DATA", "PASS", "MARGINAL", "FAIL"; fixed English, also used as JSON values.
QString outcomeName(Outcome outcome);

// When a difference is a FAIL. Both a p-value and a minimum effect are required: with a busy service
// every tiny difference becomes "significant", and an operator must not roll back for 0.01 percentage
// points or 1 ms. Thresholds compare strictly for p (p < alpha) and inclusively for effects (>= minimum).
struct VerdictPolicy
{
    // FAIL needs p < 0.01, not the textbook 0.05: the verdict is recomputed on every refresh, so over a
    // 30-minute canary it is looked at dozens of times, and a false FAIL leads to a needless rollback.
    double failAlpha = 0.01;
    // 0.01 <= p < 0.10 with a large enough effect is MARGINAL: worth watching, not worth rolling back.
    double marginalAlpha = 0.10;

    // Failure rate: the canary must fail at least 1.5 times as often AND at least one percentage point
    // more. The ratio alone would FAIL 0.02 % against 0.01 % (noise at any real traffic); the difference
    // alone would FAIL 31 % against 30 % (a service that is already failing, not a worse build).
    double minFailureRateRatio = 1.5;
    double minFailureRateDifference = 0.01; // as a fraction: 0.01 is one percentage point

    // Response time: the Hodges-Lehmann shift must be at least 10 % of the stable median AND at least
    // 5 ms. 10 % is about where users and latency SLOs start to notice; the 5 ms floor keeps a 2 ms service
    // going to 2.5 ms (timer resolution, one garbage collection) from failing a build.
    double minResponseTimeShiftFraction = 0.10;
    double minResponseTimeShiftMs = 5.0;

    // Below 100 requests a single failed request moves the rate by more than one percentage point, i.e.
    // by more than the minimum effect itself: the rate is too coarse to judge.
    qint64 minRequests = 100;
    // 5 intervals per build is the smallest sample for which Mann-Whitney can reach p < 0.01 at all: with
    // 5 against 5 the most extreme ordering has p = 1/252 ≈ 0.004 (normal approximation 0.006); with 4
    // against 4 it is 1/70 ≈ 0.014 (approximation 0.015), so a FAIL would be impossible however bad the
    // canary is.
    qint64 minIntervals = 5;

    // How far back a verdict on live data looks (judgeSnapshot): the newest 10 minutes. Long enough for a
    // canary at a modest share to reach the minimum of requests; short enough that a canary rolled back a
    // quarter of an hour ago is not still judged on what it did then (Kayenta judges each step's interval,
    // not the whole chart).
    qint64 lookbackMs = 10 * 60 * 1000;
};

struct MetricVerdict
{
    static constexpr double nan = std::numeric_limits<double>::quiet_NaN();

    QString metric; // "Failure rate", "Response time"
    Outcome outcome = Outcome::NotEnoughData;
    qint64 canaryCount = 0; // requests (failure rate) or intervals with a value (response time)
    qint64 stableCount = 0;
    qint64 minimumCount = 0; // what the policy requires of each build
    qint64 canaryFailures = 0; // failure rate only
    qint64 stableFailures = 0;
    double canaryValue = nan; // failure rate (0..1) or median response time (ms)
    double stableValue = nan;
    double difference = nan; // canary - stable: rate difference, or Hodges-Lehmann shift in ms
    double ratio = nan; // failure rate: canary / stable (+inf when stable had none); NaN for response time
    double relativeDifference = nan; // response time: shift / stable median; NaN for failure rate
    double effectSize = nan; // response time: P(canary > stable), ties half; NaN for failure rate
    double pValue = nan; // one-sided, "canary is worse"; NaN when not judged
    QString sentence;
};

MetricVerdict judgeFailureRate(qint64 canaryFailures, qint64 canaryRequests, qint64 stableFailures,
    qint64 stableRequests, const VerdictPolicy &policy = {});
// Per-interval response times in ms (e.g. each interval's mean or median); NaN intervals are dropped.
MetricVerdict judgeResponseTime(const std::vector<double> &canaryMs, const std::vector<double> &stableMs,
    const VerdictPolicy &policy = {});

struct Verdict
{
    Outcome overall = Outcome::NotEnoughData;
    std::vector<MetricVerdict> metrics;
    QString summary;
};

// The worst outcome among the metrics that have enough data (FAIL > MARGINAL > PASS); NOT ENOUGH DATA only
// when none has. The summary names every metric's outcome and which ones lack data.
Verdict combine(std::vector<MetricVerdict> metrics);

// What explains a FAIL in one sentence: the first failing metric's sentence, else the summary.
QString failingSentence(const Verdict &verdict);

// {"outcome", "summary", "metrics": [{"metric", "outcome", counts, values, "pValue", "sentence"}]}; numbers
// that are not finite (not judged, an infinite ratio) are left out rather than written as null.
QJsonObject toJson(const Verdict &verdict);

// "p < 0.001", or p rounded down to two significant digits ("p = 0.042"), so the text never shows a p
// above a threshold that it is actually below.
QString pValueText(double p);

} // namespace canary::verdict
