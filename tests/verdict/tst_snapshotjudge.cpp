#include <QTest>

#include "verdict/snapshotjudge.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using session::BuildSeries;
using session::Snapshot;

namespace {

constexpr qint64 T0 = 1'795'687'200'000;
constexpr qint64 Slot = 60'000;
const traffic::BuildRoles Roles { u"1.0.0"_s, u"4.0.0"_s };

using Values = std::vector<std::optional<double>>;

BuildSeries build(const QString &name, Values requests, Values failures, Values responseMs)
{
    BuildSeries b;
    b.build = name;
    for (std::size_t i = 0; i < requests.size(); ++i)
        b.timestamps.push_back(T0 + qint64(i + 1) * Slot);
    b.values = std::move(requests);
    b.failures = std::move(failures);
    b.responseTimeMs = std::move(responseMs);
    return b;
}

Values repeat(std::optional<double> value, int n)
{
    return Values(std::size_t(n), value);
}

Values concat(Values a, const Values &b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// 10 slots: the canary gets traffic from slot 5 on (slots 0–4 are before the shift).
Snapshot workshop(double canaryFailuresPerSlot, double canaryMs)
{
    Snapshot s;
    s.fetchedAtMs = T0 + 10 * Slot;
    s.hasFailures = true;
    s.hasResponseTime = true;
    s.builds = { build(u"1.0.0"_s, concat(repeat(100, 5), repeat(70, 5)),
                     // Stable fails once per slot before the shift, and 2 of its 350 requests after it.
                     concat(repeat(1, 5), { 0, 1, std::nullopt, 1, 0 }), repeat(120, 10)),
        build(u"4.0.0"_s, concat(repeat(std::nullopt, 5), repeat(30, 5)),
            concat(repeat(std::nullopt, 5), repeat(canaryFailuresPerSlot, 5)),
            concat(repeat(std::nullopt, 5), repeat(canaryMs, 5))) };
    return s;
}

} // namespace

class TestSnapshotJudge : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void faultyCanary_failsOnFailureRate_overTheSlotsItWasLive()
    {
        const auto verdict = verdict::judgeSnapshot(workshop(12, 124), Roles, T0 + 10 * Slot);
        QCOMPARE(verdict.overall, verdict::Outcome::Fail);
        QCOMPARE(verdict.metrics.size(), std::size_t(2));
        const auto &failure = verdict.metrics[0];
        QCOMPARE(failure.outcome, verdict::Outcome::Fail);
        // Only the 5 slots with canary traffic: 150 canary requests against stable's 350 (not 850), and
        // stable's missing failure point counts as none.
        QCOMPARE(failure.canaryCount, 150);
        QCOMPARE(failure.canaryFailures, 60);
        QCOMPARE(failure.stableCount, 350);
        QCOMPARE(failure.stableFailures, 2);
        QVERIFY(failure.sentence.contains(u"60 of 150 requests"_s));
        // Response time 124 vs 120 ms: a 4 ms shift is below the 5 ms floor, so not a FAIL.
        QCOMPARE(verdict.metrics[1].canaryCount, 5);
        QVERIFY(verdict.metrics[1].outcome != verdict::Outcome::Fail);
    }

    void healthyCanary_passes()
    {
        const auto verdict = verdict::judgeSnapshot(workshop(0, 121), Roles, T0 + 10 * Slot);
        QCOMPARE(verdict.overall, verdict::Outcome::Pass);
    }

    void slowCanary_failsOnResponseTime()
    {
        const auto verdict = verdict::judgeSnapshot(workshop(0, 400), Roles, T0 + 10 * Slot);
        QCOMPARE(verdict.metrics[1].outcome, verdict::Outcome::Fail);
        QCOMPARE(verdict.overall, verdict::Outcome::Fail);
    }

    void incompleteSlots_areLeftOut()
    {
        // Complete only up to slot 7: 3 canary slots, 90 requests.
        const auto verdict = verdict::judgeSnapshot(workshop(12, 124), Roles, T0 + 8 * Slot);
        QCOMPARE(verdict.metrics[0].canaryCount, 90);
        QCOMPARE(verdict.metrics[0].outcome, verdict::Outcome::NotEnoughData);
        QCOMPARE(verdict.metrics[1].canaryCount, 3);
    }

    void onlyTheLookback_isJudged()
    {
        // A 3-minute lookback at slot 10: slots 8, 9 and 10 only (90 canary requests: not enough).
        verdict::VerdictPolicy policy;
        policy.lookbackMs = 3 * Slot;
        auto verdict = verdict::judgeSnapshot(workshop(12, 124), Roles, T0 + 10 * Slot, policy);
        QCOMPARE(verdict.metrics[0].canaryCount, 90);
        QCOMPARE(verdict.metrics[0].stableCount, 210);
        // Ten minutes after the canary lost its traffic, it is not judged on what it did then.
        auto later = workshop(12, 124);
        for (auto &build : later.builds) {
            const bool stable = build.build == Roles.stable;
            for (int i = 11; i <= 20; ++i) {
                build.timestamps.push_back(T0 + i * Slot);
                build.values.push_back(stable ? std::optional(70.0) : std::nullopt);
                build.failures.push_back(stable ? std::optional(0.0) : std::nullopt);
                build.responseTimeMs.push_back(stable ? std::optional(120.0) : std::nullopt);
            }
        }
        policy.lookbackMs = 10 * Slot;
        verdict = verdict::judgeSnapshot(later, Roles, T0 + 20 * Slot, policy);
        QCOMPARE(verdict.overall, verdict::Outcome::NotEnoughData);
        QCOMPARE(verdict.metrics[0].canaryCount, 0);

        // The lookback ends at the tenant's newest interval, not at this machine's clock: a day of skew
        // still judges the newest ten minutes.
        verdict = verdict::judgeSnapshot(workshop(12, 124), Roles, T0 + 24 * 60 * Slot);
        QCOMPARE(verdict.overall, verdict::Outcome::Fail);
        QCOMPARE(verdict.metrics[0].canaryCount, 150);
        // The tenant's clock ahead of this one: nothing is complete yet, said rather than computed.
        verdict = verdict::judgeSnapshot(workshop(12, 124), Roles, T0);
        QCOMPARE(verdict.overall, verdict::Outcome::NotEnoughData);
        QCOMPARE(verdict.summary, u"Not enough data: no complete interval yet"_s);
    }

    void missingHealthData_orRoles_sayWhy()
    {
        auto snapshot = workshop(12, 124);
        snapshot.hasFailures = false;
        snapshot.hasResponseTime = false;
        snapshot.healthNote = u"calc:service.failures_by_build does not exist on this tenant"_s;
        auto verdict = verdict::judgeSnapshot(snapshot, Roles, T0 + 10 * Slot);
        QCOMPARE(verdict.overall, verdict::Outcome::NotEnoughData);
        QVERIFY(verdict.metrics.empty());
        QCOMPARE(verdict.summary, snapshot.healthNote);

        verdict = verdict::judgeSnapshot(workshop(12, 124), {}, T0 + 10 * Slot);
        QCOMPARE(verdict.overall, verdict::Outcome::NotEnoughData);
        QVERIFY(verdict.summary.contains(u"stable"_s));

        verdict = verdict::judgeSnapshot(workshop(12, 124), { u"1.0.0"_s, u"5.0.0"_s }, T0 + 10 * Slot);
        QCOMPARE(verdict.summary, u"Not enough data: the canary (5.0.0) has no requests in the window"_s);

        // Failure data only: the response-time metric is left out, not judged as empty.
        snapshot = workshop(12, 124);
        snapshot.hasResponseTime = false;
        verdict = verdict::judgeSnapshot(snapshot, Roles, T0 + 10 * Slot);
        QCOMPARE(verdict.metrics.size(), std::size_t(1));
        QCOMPARE(verdict.overall, verdict::Outcome::Fail);
    }

    void currentRates_perMinute_fromTheNewestIntervals()
    {
        // The newest 3 minutes: slots 8, 9, 10 — stable 70 and canary 30 each.
        const auto rates = verdict::currentRates(workshop(12, 124), Roles, T0 + 10 * Slot, 3);
        QCOMPARE(rates.minutes, 3.0);
        QCOMPARE(rates.totalRequestsPerMin, 100.0);
        QVERIFY(rates.canaryFailureRate);
        QCOMPARE(*rates.canaryFailureRate, 0.4);
        QVERIFY(rates.stableFailureRate);
        QCOMPARE(*rates.stableFailureRate, 1.0 / 210);

        // Before the shift the canary had no requests: its rate is unknown, not 0.
        const auto before = verdict::currentRates(workshop(12, 124), Roles, T0 + 5 * Slot, 3);
        QCOMPARE(before.totalRequestsPerMin, 100.0);
        QVERIFY(!before.canaryFailureRate);

        QCOMPARE(verdict::currentRates(Snapshot {}, Roles, T0, 5).minutes, 0.0);

        // One interval at the snapshot's 10-second resolution is 10 s of traffic, not a minute.
        Snapshot single;
        single.resolution = u"10s"_s;
        single.builds = { build(u"1.0.0"_s, { 20 }, {}, {}) };
        const auto one = verdict::currentRates(single, Roles, T0 + 10 * Slot, 5);
        QCOMPARE(one.minutes, 10.0 / 60);
        QCOMPARE(one.totalRequestsPerMin, 120.0);
        // Anchored at the tenant's newest interval: a day of local clock skew changes nothing.
        QCOMPARE(verdict::currentRates(workshop(12, 124), Roles, T0 + 24 * 60 * Slot, 3).totalRequestsPerMin,
            100.0);
    }
};

QTEST_GUILESS_MAIN(TestSnapshotJudge)
#include "tst_snapshotjudge.moc"
