#include <QElapsedTimer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include "sim/world.h"
#include "sim/worldconfig.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using canary::VirtualClock;
using canary::sim::SecondSample;
using canary::sim::SecondStats;
using canary::sim::World;
using canary::sim::WorldConfig;

namespace {

constexpr qint64 StartMs = 1'795'687'200'000; // 2026-11-26 10:00:00 UTC
constexpr qint64 MinuteMs = 60'000;
constexpr auto Stable = World::BuildRole::Stable;
constexpr auto Canary = World::BuildRole::Canary;

WorldConfig withWeight(int canaryWeight)
{
    WorldConfig config;
    config.initialCanaryWeight = canaryWeight;
    return config;
}

bool sameSamples(const std::vector<SecondSample> &a, const std::vector<SecondSample> &b)
{
    return std::equal(
        a.cbegin(), a.cend(), b.cbegin(), b.cend(), [](const SecondSample &x, const SecondSample &y) {
            return x.second == y.second && x.stats.requests == y.stats.requests
                && x.stats.failed == y.stats.failed && x.stats.sumUs == y.stats.sumUs
                && x.stats.minUs == y.stats.minUs && x.stats.maxUs == y.stats.maxUs;
        });
}

} // namespace

class TestSimWorld : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void workshopConstants()
    {
        VirtualClock clock(StartMs);
        World world(WorldConfig {}, 1, clock);
        QVERIFY(QRegularExpression(u"^SERVICE-[0-9A-F]{16}$"_s).match(world.service().id).hasMatch());
        QCOMPARE(world.service().name, u"simplenodeservice.canary-jenkins"_s);
        QVERIFY(world.service().tags.contains(u"[Environment]DT_RELEASE_PRODUCT:simplenodeservice"_s));
        QVERIFY(world.service().tags.contains(u"[Environment]DT_RELEASE_STAGE:canary-jenkins"_s));
        QCOMPARE(world.build(Stable).version, u"1.0.0-034c71"_s);
        QCOMPARE(world.build(Canary).version, u"4.0.0-034c71"_s);
        QCOMPARE(world.canaryWeight(), 0); // 100/0 unless configured
    }

    void simulatesLazily_onlyWhenAsked()
    {
        VirtualClock clock(StartMs);
        World world(WorldConfig {}, 1, clock);
        clock.advanceMs(10 * MinuteMs);
        QCOMPARE(world.simulatedUntilMs(), StartMs);
        QCOMPARE(world.lastRequestMs(), -1);
        world.catchUp();
        QCOMPARE(world.simulatedUntilMs(), StartMs + 10 * MinuteMs);
        QVERIFY(world.lastRequestMs() > StartMs + 9 * MinuteMs);
    }

    void split30_tenMinutes_matchesTheWorkshop()
    {
        VirtualClock clock(StartMs);
        World world(withWeight(30), 42, clock);
        clock.advanceMs(10 * MinuteMs);
        const SecondStats stable = world.totals(Stable, StartMs, clock.nowMs());
        const SecondStats canary = world.totals(Canary, StartMs, clock.nowMs());
        const qint64 total = stable.requests + canary.requests;

        // About 2 requests/s: 1200 in ten minutes.
        QVERIFY2(total > 1140 && total < 1260, qPrintable(QString::number(total)));
        const double canaryShare = 100.0 * double(canary.requests) / double(total);
        QVERIFY2(canaryShare > 25 && canaryShare < 35, qPrintable(QString::number(canaryShare)));
        // Build 4 fails every second /api/invoke: exactly half, by a counter rather than chance.
        QCOMPARE(canary.failed, canary.requests / 2);
        QCOMPARE(stable.failed, 0);
        // ~100 ms and ~200 ms, in microseconds.
        const double stableAvgMs = double(stable.sumUs) / double(stable.requests) / 1000.0;
        const double canaryAvgMs = double(canary.sumUs) / double(canary.requests) / 1000.0;
        QVERIFY2(stableAvgMs > 98 && stableAvgMs < 102, qPrintable(QString::number(stableAvgMs)));
        QVERIFY2(canaryAvgMs > 196 && canaryAvgMs < 204, qPrintable(QString::number(canaryAvgMs)));
        QVERIFY(stable.minUs >= 95'000 && stable.maxUs <= 105'000);
        QVERIFY(stable.minUs < stable.maxUs); // jitter is there
    }

    void rateIsConfigurable()
    {
        VirtualClock clock(StartMs);
        WorldConfig config;
        config.requestsPerSecond = 5;
        World world(config, 1, clock);
        clock.advanceMs(10 * MinuteMs);
        const qint64 total = world.totals(Stable, StartMs, clock.nowMs()).requests;
        QVERIFY2(total > 2850 && total < 3150, qPrintable(QString::number(total)));
    }

    void sameSeed_sameNumbers_whateverTheCatchUpSteps()
    {
        VirtualClock clockA(StartMs);
        VirtualClock clockB(StartMs);
        World a(withWeight(30), 7, clockA);
        World b(withWeight(30), 7, clockB);
        clockA.advanceMs(10 * MinuteMs);
        // b is asked for data every 7.3 s on the way: laziness must not change a single number.
        for (int i = 0; i < 90; ++i) {
            clockB.advanceMs(6'667);
            b.catchUp();
        }
        clockB.setNowMs(clockA.nowMs());
        for (const auto role : World::Roles)
            QVERIFY(sameSamples(
                a.samples(role, StartMs, clockA.nowMs()), b.samples(role, StartMs, clockB.nowMs())));
    }

    void differentSeed_differentNumbers()
    {
        VirtualClock clock(StartMs);
        World a(withWeight(30), 1, clock);
        World b(withWeight(30), 2, clock);
        clock.advanceMs(10 * MinuteMs);
        QVERIFY(!sameSamples(
            a.samples(Canary, StartMs, clock.nowMs()), b.samples(Canary, StartMs, clock.nowMs())));
        QVERIFY(
            a.totals(Stable, StartMs, clock.nowMs()).sumUs != b.totals(Stable, StartMs, clock.nowMs()).sumUs);
    }

    void weightChange_takesEffectFromThatInstant()
    {
        VirtualClock clock(StartMs);
        World world(withWeight(0), 3, clock);
        QSignalSpy changed(&world, &World::canaryWeightChanged);
        clock.advanceMs(5 * MinuteMs);
        const qint64 switchMs = clock.nowMs();
        world.setCanaryWeight(100);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.first().first().toInt(), 100);
        QCOMPARE(world.canaryWeight(), 100);
        clock.advanceMs(5 * MinuteMs);

        QCOMPARE(world.totals(Canary, StartMs, switchMs).requests, 0);
        QVERIFY(world.totals(Stable, StartMs, switchMs).requests > 500);
        QCOMPARE(world.totals(Stable, switchMs + 1, clock.nowMs()).requests, 0);
        QVERIFY(world.totals(Canary, switchMs + 1, clock.nowMs()).requests > 500);

        // The router decides where requests go, never when they arrive.
        VirtualClock otherClock(StartMs);
        World unchanged(withWeight(0), 3, otherClock);
        otherClock.setNowMs(clock.nowMs());
        const qint64 all = world.totals(Stable, StartMs, clock.nowMs()).requests
            + world.totals(Canary, StartMs, clock.nowMs()).requests;
        QCOMPARE(all, unchanged.totals(Stable, StartMs, clock.nowMs()).requests);
    }

    void weightIsClamped()
    {
        VirtualClock clock(StartMs);
        World world(WorldConfig {}, 1, clock);
        world.setCanaryWeight(150);
        QCOMPARE(world.canaryWeight(), 100);
        world.setCanaryWeight(-5);
        QCOMPARE(world.canaryWeight(), 0);
    }

    void workshopDemo_replaysTheRampInHistory()
    {
        VirtualClock clock(StartMs);
        World world(WorldConfig::workshopDemo(), 5, clock);
        QCOMPARE(world.startMs(), StartMs - 30 * MinuteMs);
        QCOMPARE(world.canaryWeight(), 0); // reset 12 minutes ago: "now" is 100/0
        const auto ago = [&](int minutes) { return StartMs - qint64(minutes) * MinuteMs; };

        QVERIFY(world.totals(Stable, ago(30), ago(20)).requests > 1000);
        QCOMPARE(world.totals(Canary, ago(30), ago(20)).requests, 0);
        const SecondStats ramp30 = world.totals(Canary, ago(20), ago(18));
        const SecondStats ramp70 = world.totals(Canary, ago(18), ago(16));
        QVERIFY(ramp30.requests > 0 && ramp30.requests < ramp70.requests);
        QCOMPARE(world.totals(Stable, ago(16) + 1000, ago(12)).requests, 0); // 100 % canary
        QVERIFY(world.totals(Canary, ago(16), ago(12)).requests > 400);
        QCOMPARE(world.totals(Canary, ago(12) + 1000, StartMs).requests, 0);
        QVERIFY(world.totals(Stable, ago(12), StartMs).requests > 1300);
    }

    void schedule_appliesInOffsetOrder_andSignalsTheNewWeight()
    {
        VirtualClock clock(StartMs);
        WorldConfig config;
        config.schedule = { { 2 * MinuteMs, 50 }, { 1 * MinuteMs, 10 } };
        World world(config, 1, clock);
        QSignalSpy changed(&world, &World::canaryWeightChanged);
        clock.advanceMs(90'000);
        QCOMPARE(world.canaryWeight(), 10);
        clock.advanceMs(60'000);
        QCOMPARE(world.canaryWeight(), 50);
        QCOMPARE(changed.count(), 2);
        QCOMPARE(world.totals(Canary, StartMs, StartMs + MinuteMs).requests, 0);
    }

    void retentionIsBounded()
    {
        VirtualClock clock(StartMs);
        WorldConfig config;
        config.retentionMs = 60 * MinuteMs;
        World world(config, 1, clock);
        clock.advanceMs(3 * 60 * MinuteMs);
        const qint64 now = clock.nowMs();
        QVERIFY(world.oldestRetainedMs() >= now - 60 * MinuteMs - 1000);
        const auto kept = world.samples(Stable, StartMs, now);
        QVERIFY(!kept.empty());
        QVERIFY(kept.front().second * 1000 >= now - 60 * MinuteMs - 1000);
        QCOMPARE(world.totals(Stable, StartMs, now - 61 * MinuteMs).requests, 0);
        // Per-second aggregates, not requests: an hour of data is at most 3600 samples.
        QVERIFY(kept.size() <= 3601);
    }

    void aDayInASecond()
    {
        VirtualClock clock(StartMs);
        World world(withWeight(50), 1, clock);
        QElapsedTimer timer;
        timer.start();
        clock.advanceMs(24 * 60 * MinuteMs);
        const qint64 total = world.totals(Stable, StartMs, clock.nowMs()).requests
            + world.totals(Canary, StartMs, clock.nowMs()).requests;
        QVERIFY2(total > 170'000 && total < 176'000, qPrintable(QString::number(total)));
        QVERIFY2(timer.elapsed() < 3000, qPrintable(QString::number(timer.elapsed())));
    }
};

QTEST_GUILESS_MAIN(TestSimWorld)
#include "tst_simworld.moc"
