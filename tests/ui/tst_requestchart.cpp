#include <QTest>

#include "chart/buildpalette.h"
#include "chart/requestchart.h"

using namespace Qt::Literals::StringLiterals;
using canary::session::BuildSeries;
using canary::ui::BuildPalette;
using canary::ui::RequestChart;

namespace {

BuildSeries series(const QString &build, std::vector<std::optional<double>> values, bool remainder = false)
{
    BuildSeries s;
    s.build = build;
    s.isRemainder = remainder;
    for (std::size_t i = 0; i < values.size(); ++i)
        s.timestamps.push_back(1'700'000'000'000 + qint64(i) * 10'000);
    s.values = std::move(values);
    return s;
}

} // namespace

class TestRequestChart : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void nullSlots_areGaps_notZeros()
    {
        RequestChart chart;
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        const std::vector<BuildSeries> builds { series(
                                                    u"1.0.0"_s, { 5, 6, std::nullopt, std::nullopt, 7, 8 }),
            series(u"4.0.0"_s, { std::nullopt, 3, std::nullopt, 4 }) };
        chart.setSeries(builds, { { u"1.0.0"_s, Qt::blue, false }, { u"4.0.0"_s, Qt::yellow, false } });

        QCOMPARE(chart.buildNames(), (QStringList { u"1.0.0"_s, u"4.0.0"_s }));
        QCOMPARE(chart.segmentCount(u"1.0.0"_s), 2);
        QCOMPARE(chart.segmentCount(u"4.0.0"_s), 2); // two lone points
        const auto points = chart.pointsOf(u"1.0.0"_s);
        QCOMPARE(points.size(), 4);
        QCOMPARE(points[0], QPointF(1'700'000'000'000.0, 5));
        QCOMPARE(points[2], QPointF(1'700'000'040'000.0, 7));
        for (const auto &point : points)
            QVERIFY(point.y() != 0);
        // One legend entry per build, however many segments it was drawn with.
        QTRY_COMPARE(chart.legendLabels(), (QStringList { u"1.0.0"_s, u"4.0.0"_s }));
        QCOMPARE(chart.colorOf(u"4.0.0"_s), QColor(Qt::yellow));
        // 50 s of data: the axis snaps to 10-second ticks around it.
        QCOMPARE(chart.timeRangeMs().first, 1'700'000'000'000);
        QCOMPARE(chart.timeRangeMs().second, 1'700'000'050'000);
    }

    void stillFillingSlots_areNotDrawn()
    {
        RequestChart chart;
        // Slots end at +0 s .. +30 s; "now" is +25 s, so the slot ending at +30 s is still filling up.
        chart.setSeries({ series(u"a"_s, { 20, 21, 19, 2 }) }, { { u"a"_s, Qt::blue } }, 1'700'000'025'000);
        const auto points = chart.pointsOf(u"a"_s);
        QCOMPARE(points.size(), 3);
        QCOMPARE(points.back(), QPointF(1'700'000'020'000.0, 19));
        QCOMPARE(chart.timeRangeMs().second, 1'700'000'020'000);
    }

    void timeAxis_snapsToRoundSteps()
    {
        RequestChart chart;
        BuildSeries s;
        s.build = u"a"_s;
        // 10:00:07 .. 10:29:53 UTC (30-minute window at odd seconds) -> 10:00 .. 10:30, 5-minute ticks.
        const qint64 start = 1'795'687'200'000 + 7'000;
        s.timestamps = { start, start + 1'786'000 };
        s.values = { 1.0, 2.0 };
        chart.setSeries({ s }, { { u"a"_s, Qt::blue } });
        QCOMPARE(chart.timeRangeMs().first, 1'795'687'200'000);
        QCOMPARE(chart.timeRangeMs().second, 1'795'687'200'000 + 1'800'000);
    }

    void setSeries_replacesEverything()
    {
        RequestChart chart;
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.setSeries({ series(u"a"_s, { 1, 2 }), series(u"b"_s, { 1, 2 }) },
            { { u"a"_s, Qt::blue }, { u"b"_s, Qt::red } });
        chart.setSeries({ series(u"c"_s, { 3 }) }, { { u"c"_s, Qt::green } });
        QCOMPARE(chart.buildNames(), QStringList { u"c"_s });
        QVERIFY(chart.pointsOf(u"a"_s).isEmpty());
        QTRY_COMPARE(chart.legendLabels(), QStringList { u"c"_s });
    }

    void palette_keepsColoursPerBuild()
    {
        BuildPalette palette;
        const QColor stable = palette.colorFor(u"1.0.0"_s);
        const QColor canary = palette.colorFor(u"4.0.0"_s);
        QVERIFY(stable != canary);
        QCOMPARE(palette.colorFor(u"1.0.0"_s), stable);
        palette.colorFor(u"5.0.0"_s);
        QCOMPARE(palette.colorFor(u"4.0.0"_s), canary);
        QCOMPARE(palette.colorFor(u"other builds"_s, true), QColor(0x9e9e9e));
    }
};

QTEST_MAIN(TestRequestChart)
#include "tst_requestchart.moc"
