#include <QSignalSpy>
#include <QTest>

#include "sim/simserver.h"
#include "sim/world.h"
#include "simfixture.h"
#include "traffic/simtrafficbackend.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::SimFixture;
using traffic::Split;
using traffic::SplitResult;

class TestSimTrafficBackend : public QObject
{
    Q_OBJECT

    static SplitResult run(const std::function<void(traffic::SplitCallback)> &call)
    {
        std::optional<SplitResult> result;
        call([&result](const SplitResult &r) { result = r; });
        [&] { QTRY_VERIFY(result.has_value()); }();
        return result.value_or(SplitResult(traffic::TrafficError {}));
    }

private Q_SLOTS:
    void apply_movesTheSimulatedRouter_andReadsBack()
    {
        SimFixture fixture(0, 1);
        traffic::SimTrafficBackend backend(fixture.environment->baseUrl(), fixture.environment->token());
        auto result = run([&](auto done) { backend.applySplit(*Split::fromCanaryPercent(30), this, done); });
        QVERIFY2(result, qPrintable(result ? QString() : result.error().summary()));
        QCOMPARE(result->canary, 30);
        QCOMPARE(fixture.world().canaryWeight(), 30);

        fixture.world().setCanaryWeight(45);
        result = run([&](auto done) { backend.readSplit(this, done); });
        QVERIFY(result);
        QCOMPARE(result.value(), *Split::fromCanaryPercent(45));
        QVERIFY(backend.description().contains(u"127.0.0.1"_s));
    }

    // The router says who moved it last and what its own backout is; the back-end passes both on.
    void read_tellsWhoMovedTheRouter_andItsOwnBackout()
    {
        SimFixture fixture(0, 1);
        traffic::SimTrafficBackend backend(fixture.environment->baseUrl(), fixture.environment->token());
        QVERIFY(!backend.ownBackout());
        fixture.world().setCanaryWeight(45,
            sim::WeightOrigin {
                u"AWX job #12 of 'Start canary deployment'"_s, u"jenkins"_s, u"/api/v2/jobs/12/"_s, -1 });
        const auto result = run([&](auto done) { backend.readSplit(this, done); });
        QVERIFY(result);
        const auto origin = backend.lastReadOrigin();
        QVERIFY(origin);
        QCOMPARE(origin->source, u"AWX job #12 of 'Start canary deployment'"_s);
        QCOMPARE(origin->actor, u"jenkins"_s);
        QCOMPARE(origin->at.toMSecsSinceEpoch(), fixture.clock.nowMs());
        QCOMPARE(origin->link, fixture.environment->baseUrl().resolved(QUrl(u"/api/v2/jobs/12/"_s)));
        const auto backout = backend.ownBackout();
        QVERIFY(backout);
        QCOMPARE(backout->remediationType, u"ansible"_s);
        QCOMPARE(backout->remediationAction, u"9"_s);

        // A change through the control API names its client.
        const auto applied
            = run([&](auto done) { backend.applySplit(*Split::fromCanaryPercent(10), this, done); });
        QVERIFY(applied);
        QVERIFY(fixture.world().lastWeightChange().source.contains(u"control API"_s));
        QVERIFY(fixture.world().lastWeightChange().actor.startsWith(u"CanaryConsole/"_s));
    }

    void wrongToken_andStoppedSimulator_areTypedErrors()
    {
        SimFixture fixture(0, 1);
        traffic::SimTrafficBackend wrong(fixture.environment->baseUrl(), u"dt0c01.WRONG"_s);
        auto result = run([&](auto done) { wrong.applySplit(*Split::fromCanaryPercent(30), this, done); });
        QVERIFY(!result);
        QCOMPARE(result.error().kind, traffic::TrafficError::Kind::Unauthorized);
        QCOMPARE(fixture.world().canaryWeight(), 0);

        fixture.environment->stop();
        traffic::SimTrafficBackend backend(fixture.environment->baseUrl(), fixture.environment->token());
        result = run([&](auto done) { backend.readSplit(this, done); });
        QVERIFY(!result);
        QCOMPARE(result.error().kind, traffic::TrafficError::Kind::Transport);
        QVERIFY(result.error().summary().startsWith(u"simulator: "_s));
    }
};

QTEST_GUILESS_MAIN(TestSimTrafficBackend)
#include "tst_simtrafficbackend.moc"
