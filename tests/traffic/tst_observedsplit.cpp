#include <QTest>

#include "traffic/observedsplit.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using session::BuildSeries;
using session::Snapshot;
using traffic::BuildRoles;

namespace {

// Slots of 10 s ending at 10, 20, … s.
Snapshot snapshotOf(std::vector<std::optional<double>> stable, std::vector<std::optional<double>> canary)
{
    Snapshot snapshot;
    snapshot.fetchedAtMs = qint64(stable.size()) * 10'000;
    BuildSeries s { u"1.0.0-034c71"_s, false, {}, std::move(stable) };
    BuildSeries c { u"4.0.0-034c71"_s, false, {}, std::move(canary) };
    for (std::size_t i = 0; i < s.values.size(); ++i) {
        s.timestamps.push_back(qint64(i + 1) * 10'000);
        c.timestamps.push_back(qint64(i + 1) * 10'000);
    }
    snapshot.builds = { s, c };
    return snapshot;
}

} // namespace

class TestObservedSplit : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void compareVersions_data()
    {
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::addColumn<int>("expected");
        QTest::newRow("workshop") << u"4.0.0-034c71"_s << u"1.0.0-034c71"_s << 1;
        QTest::newRow("numeric not text") << u"1.10.0"_s << u"1.9.2"_s << 1;
        QTest::newRow("equal") << u"2.1"_s << u"2.1"_s << 0;
        QTest::newRow("shorter") << u"2.1"_s << u"2.1.1"_s << -1;
        QTest::newRow("text part") << u"1.0.0-rc2"_s << u"1.0.0-rc1"_s << 1;
    }

    void compareVersions()
    {
        QFETCH(QString, a);
        QFETCH(QString, b);
        QFETCH(int, expected);
        QCOMPARE(traffic::compareVersions(a, b), expected);
        QCOMPARE(traffic::compareVersions(b, a), -expected);
    }

    void roles_configuredWin_elseNewerIsCanary()
    {
        const auto snapshot = snapshotOf({ 1 }, { 1 });
        const auto guessed = traffic::resolveBuildRoles(snapshot.builds, {});
        QCOMPARE(guessed.stable, u"1.0.0-034c71"_s);
        QCOMPARE(guessed.canary, u"4.0.0-034c71"_s);
        const auto configured
            = traffic::resolveBuildRoles(snapshot.builds, { u"4.0.0-034c71"_s, u"1.0.0-034c71"_s });
        QCOMPARE(configured.stable, u"4.0.0-034c71"_s);
        const auto half = traffic::resolveBuildRoles(snapshot.builds, { u"4.0.0-034c71"_s, {} });
        QCOMPARE(half.canary, u"1.0.0-034c71"_s);
        QVERIFY(!traffic::resolveBuildRoles({}, {}).isComplete());
    }

    void observed_usesCompleteSlotsAfterTheChange()
    {
        const BuildRoles roles { u"1.0.0-034c71"_s, u"4.0.0-034c71"_s };
        auto snapshot = snapshotOf({ 20, 14, 14, 10 }, { std::nullopt, 6, 6, 10 });
        auto shares = traffic::observedShares(snapshot, roles, 40'000, 2);
        QCOMPARE(shares.size(), std::size_t(2));
        QCOMPARE(shares[0].slotEndMs, 40'000);
        QCOMPARE(shares[0].canaryPercent, 50.0);
        QCOMPARE(shares[1].canaryPercent, 30.0);
        QCOMPARE(shares[1].requests, 20.0);
        // "now" inside the last slot: it is still filling up and is skipped.
        shares = traffic::observedShares(snapshot, roles, 35'000, 1);
        QCOMPARE(shares.front().slotEndMs, 30'000);
        // A change at 25 s: the slot (20 s, 30 s] mixes before and after, so only 40 s counts.
        QCOMPARE(traffic::observedShares(snapshot, roles, 40'000, 5, 25'000).size(), std::size_t(1));
    }

    void drift_needsTwoIntervalsBeyondMarginAndChance()
    {
        const BuildRoles roles { u"1.0.0-034c71"_s, u"4.0.0-034c71"_s };
        const traffic::Split thirty = *traffic::Split::fromCanaryPercent(30);
        // 0 % observed with 200 requests per slot while 30 % is applied: drift.
        QVERIFY(traffic::isDrifting(
            snapshotOf({ 200, 200 }, { std::nullopt, std::nullopt }), roles, thirty, 0, 20'000, 10));
        // Only one interval off: no warning yet.
        QVERIFY(!traffic::isDrifting(
            snapshotOf({ 140, 200 }, { 60, std::nullopt }), roles, thirty, 0, 20'000, 10));
        // 45 % of 20 requests is within chance for a 30 % router (3 sd ~ 31 points): no warning.
        QVERIFY(!traffic::isDrifting(snapshotOf({ 11, 11 }, { 9, 9 }), roles, thirty, 0, 20'000, 10));
        // At 0 % applied, any canary traffic beyond the margin is real: the router is deterministic there.
        QVERIFY(traffic::isDrifting(
            snapshotOf({ 15, 15 }, { 5, 5 }), roles, *traffic::Split::fromCanaryPercent(0), 0, 20'000, 10));
        // Slots from before the change never count.
        QVERIFY(!traffic::isDrifting(
            snapshotOf({ 200, 200 }, { std::nullopt, std::nullopt }), roles, thirty, 15'000, 20'000, 10));
    }
};

QTEST_GUILESS_MAIN(TestObservedSplit)
#include "tst_observedsplit.moc"
