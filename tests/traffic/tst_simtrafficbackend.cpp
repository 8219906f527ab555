#include <QSignalSpy>
#include <QTest>

#include "sim/simserver.h"
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
