#include <cmath>

#include <QTest>

#include "chart/buildpalette.h"
#include "chart/linethinning.h"
#include "chart/requestchart.h"

using namespace Qt::Literals::StringLiterals;
using canary::session::BuildSeries;
using canary::ui::BuildPalette;
using canary::ui::RequestChart;
using canary::ui::thinLine;

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

// A day of 1-minute slots with a sharp one-slot spike and dip, so thinning that loses an extreme shows.
BuildSeries noisyDay(const QString &build, int points, double base, int spikeAt, int dipAt)
{
    BuildSeries s;
    s.build = build;
    for (int i = 0; i < points; ++i) {
        s.timestamps.push_back(1'700'000'000'000 + qint64(i) * 60'000);
        // Every 97th slot is empty, as a real tenant has now and then: gaps split lines into segments.
        if (i % 97 == 50) {
            s.values.push_back(std::nullopt);
            continue;
        }
        double value = base + 20.0 * std::sin(i / 50.0) + (i * 37 % 11);
        if (i == spikeAt)
            value = base * 10;
        if (i == dipAt)
            value = 1;
        s.values.push_back(value);
    }
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

    void thinLine_keepsEachColumnsExtremesInOrder()
    {
        // 12 points over x 0..11, 3 columns of 4: each column keeps its lowest and highest, in x order.
        QList<QPointF> points;
        const double ys[] = { 5, 9, 1, 4, /**/ 3, 3, 8, 2, /**/ 6, 0, 7, 5 };
        for (int i = 0; i < 12; ++i)
            points.append(QPointF(i, ys[i]));
        const auto thinned = thinLine(points, 0, 12, 3);
        // First point, column 0 (x 1..3: max 9 at 1, min 1 at 2), column 1 (x 4..7: min 2 at 7, max 8 at 6),
        // column 2 (x 8..10: min 0 at 9, max 7 at 10), last point.
        const QList<QPointF> expected { { 0, 5 }, { 1, 9 }, { 2, 1 }, { 6, 8 }, { 7, 2 }, { 9, 0 }, { 10, 7 },
            { 11, 5 } };
        QCOMPARE(thinned, expected);
    }

    void thinLine_leavesShortLinesAlone()
    {
        QList<QPointF> points;
        for (int i = 0; i < 20; ++i)
            points.append(QPointF(i, i % 3));
        QCOMPARE(thinLine(points, 0, 20, 10), points); // 2 per column: nothing to gain
        QCOMPARE(thinLine(points, 0, 20, 0), points);
        QCOMPARE(thinLine(points, 5, 5, 10), points);
        QCOMPARE(thinLine({}, 0, 1, 10), QList<QPointF> {});
        points.insert(1, QPointF(0.5, 1));
        QVERIFY(thinLine(points, 0, 20, 10).size() < points.size());
        // A short segment of a long range: its few columns are what counts, not its length.
        QList<QPointF> segment;
        for (int i = 0; i < 90; ++i)
            segment.append(QPointF(1'000 + i, i % 7));
        QCOMPARE(thinLine(segment, 0, 10'000, 1'000).size(), 2 + 9 * 2);
    }

    void manyPoints_areThinnedWithinBudget_keepingPeaksAndEnds()
    {
        RequestChart chart;
        chart.resize(1200, 500);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        // 10 builds × 10,000 one-minute slots: 100,000 points.
        std::vector<BuildSeries> builds;
        std::vector<RequestChart::BuildLine> lines;
        for (int b = 0; b < 10; ++b) {
            builds.push_back(
                noisyDay(u"%1.0.0"_s.arg(b), 10'000, 100 + 10 * b, 1'000 + 731 * b, 9'000 - 517 * b));
            lines.push_back({ builds.back().build, QColor::fromHsv(b * 36, 200, 200) });
        }
        chart.setSeries(builds, lines);

        QVERIFY(chart.isThinned());
        QCOMPARE(chart.columnCount(), RequestChart::MaxPlottedPoints / 20);
        qsizetype plotted = 0;
        for (const auto &build : builds) {
            const auto points = chart.pointsOf(build.build);
            plotted += points.size();
            // One-slot gaps are a twentieth of a column here: bridged, one series per build, two points per
            // column and the ends.
            QCOMPARE(chart.segmentCount(build.build), 1);
            QVERIFY(points.size() <= 2 * chart.columnCount() + 2);
            // The spike, the dip and both ends are drawn exactly where they are.
            const auto spike = std::max_element(build.values.cbegin(), build.values.cend());
            const auto dip = std::min_element(build.values.cbegin(), build.values.cend(),
                [](const auto &a, const auto &b) { return a && (!b || *a < *b); });
            for (const auto it : { spike, dip, build.values.cbegin(), build.values.cend() - 1 }) {
                const auto i = std::size_t(it - build.values.cbegin());
                QVERIFY2(points.contains(QPointF(double(build.timestamps[i]), **it)),
                    qPrintable(u"%1: slot %2 missing"_s.arg(build.build).arg(i)));
            }
            // In time order, and every plotted point is a real one.
            for (qsizetype i = 1; i < points.size(); ++i)
                QVERIFY(points[i].x() > points[i - 1].x());
        }
        QVERIFY2(plotted <= RequestChart::MaxPlottedPoints + 2 * 10, qPrintable(QString::number(plotted)));
    }

    void fewBuilds_getAColumnPerPixel_andAWiderChartRethins()
    {
        RequestChart chart;
        chart.resize(600, 400);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        const std::vector<BuildSeries> builds { noisyDay(u"1.0.0"_s, 5'000, 100, 10, 4'000),
            noisyDay(u"4.0.0"_s, 5'000, 40, 2'500, 3'000) };
        chart.setSeries(builds, { { u"1.0.0"_s, Qt::blue }, { u"4.0.0"_s, Qt::red } });
        QCOMPARE(chart.columnCount(), 600);
        const auto narrow = chart.pointsOf(u"1.0.0"_s).size();
        QVERIFY(narrow <= 2 * 600 + 2);

        chart.resize(1000, 400);
        QTRY_COMPARE(chart.columnCount(), 1000);
        QVERIFY(chart.pointsOf(u"1.0.0"_s).size() > narrow);
        QVERIFY(chart.pointsOf(u"1.0.0"_s).contains(QPointF(1'700'000'000'000.0 + 10 * 60'000, 1000)));
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
