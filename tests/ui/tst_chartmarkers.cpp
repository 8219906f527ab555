#include <QSignalSpy>
#include <QTest>
#include <QToolTip>

#include "chart/requestchart.h"
#include "chartinput.h"
#include "timeline/timelinepanel.h"
#include "timelinefixtures.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::session::BuildSeries;
using canary::testing::clickAt;
using canary::testing::markerSettles;
using canary::ui::RequestChart;

namespace {

constexpr qint64 T0 = 1'700'000'000'000;
const QColor Blue(0x1864ab);
const QColor Highlight(0xe8590c);

BuildSeries series(qint64 fromMs, qint64 toMs)
{
    BuildSeries s;
    s.build = u"1.0.0-034c71"_s;
    for (qint64 t = fromMs; t <= toMs; t += 10'000) {
        s.timestamps.push_back(t);
        s.values.push_back(20.0);
    }
    return s;
}

void setSeries(RequestChart &chart, qint64 fromMs, qint64 toMs)
{
    chart.setSeries({ series(fromMs, toMs) }, { { u"1.0.0-034c71"_s, QColor(0x6f42c1), false } });
}

std::vector<RequestChart::Marker> workshopMarkers()
{
    return { { u"m30"_s, T0 + 100'000, u"Canary weight set to 30"_s, Blue },
        { u"m70"_s, T0 + 300'000, u"Canary weight set to 70"_s, Blue },
        { u"m100"_s, T0 + 500'000, u"Canary weight set to 100"_s, Blue },
        { u"later"_s, T0 + 3'600'000, u"Canary weight set to 0"_s, Blue } };
}

bool near(const QColor &a, const QColor &b)
{
    return std::abs(a.red() - b.red()) < 40 && std::abs(a.green() - b.green()) < 40
        && std::abs(a.blue() - b.blue()) < 40;
}

struct ChartFixture
{
    ChartFixture()
    {
        chart.resize(900, 500);
        chart.show();
    }

    bool ready() { return QTest::qWaitForWindowExposed(&chart); }

    RequestChart chart;
};

} // namespace

class TestChartMarkers : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void markers_standAtTheirTime_andOnlyInsideTheRange()
    {
        ChartFixture f;
        QVERIFY(f.ready());
        setSeries(f.chart, T0, T0 + 600'000);
        f.chart.setMarkers(workshopMarkers());

        QCOMPARE(f.chart.markerIds(), (QStringList { u"m30"_s, u"m70"_s, u"m100"_s, u"later"_s }));
        QVERIFY(markerSettles(f.chart, u"m100"_s));
        const QPoint p30 = *f.chart.markerPosition(u"m30"_s);
        const QPoint p70 = *f.chart.markerPosition(u"m70"_s);
        const QPoint p100 = *f.chart.markerPosition(u"m100"_s);
        QVERIFY(!f.chart.markerPosition(u"later"_s)); // an hour past the axis
        QVERIFY(!f.chart.markerPosition(u"no such marker"_s));
        // Evenly spaced times, evenly spaced lines.
        QVERIFY(p30.x() < p70.x());
        QVERIFY(std::abs((p70.x() - p30.x()) - (p100.x() - p70.x())) <= 2);
        QVERIFY(f.chart.rect().contains(p30));
        // Markers are not series: the legend still lists builds only.
        QTRY_COMPARE(f.chart.legendLabels(), QStringList { u"1.0.0-034c71"_s });
        QCOMPARE(f.chart.buildNames(), QStringList { u"1.0.0-034c71"_s });
    }

    void hoveringAMarker_showsItsTitle()
    {
        ChartFixture f;
        QVERIFY(f.ready());
        setSeries(f.chart, T0, T0 + 600'000);
        f.chart.setMarkers(workshopMarkers());
        QVERIFY(markerSettles(f.chart, u"m70"_s));
        const QPoint p70 = *f.chart.markerPosition(u"m70"_s);

        QTest::mouseMove(&f.chart, QPoint(p70.x() + 60, p70.y()));
        QCOMPARE(f.chart.hoveredMarker(), QString());
        QTest::mouseMove(&f.chart, p70);
        QTRY_COMPARE(f.chart.hoveredMarker(), u"m70"_s);
        QTRY_VERIFY2(QToolTip::text().contains(u"Canary weight set to 70"_s), qPrintable(QToolTip::text()));

        QTest::mouseMove(&f.chart, QPoint(p70.x() - 60, p70.y() + 40));
        QTRY_COMPARE(f.chart.hoveredMarker(), QString());
    }

    void clickingAMarker_emitsItsId()
    {
        ChartFixture f;
        QVERIFY(f.ready());
        setSeries(f.chart, T0, T0 + 600'000);
        f.chart.setMarkers(workshopMarkers());
        QVERIFY(markerSettles(f.chart, u"m70"_s));
        QSignalSpy clicked(&f.chart, &RequestChart::markerClicked);

        clickAt(f.chart, *f.chart.markerPosition(u"m70"_s));
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.first().first().toString(), u"m70"_s);
        clickAt(f.chart, *f.chart.markerPosition(u"m30"_s) + QPoint(2, -30)); // a near miss still hits
        QCOMPARE(clicked.count(), 2);
        QCOMPARE(clicked.last().first().toString(), u"m30"_s);

        // Between two markers: nothing.
        const QPoint between = (*f.chart.markerPosition(u"m30"_s) + *f.chart.markerPosition(u"m70"_s)) / 2;
        clickAt(f.chart, between);
        QCOMPARE(clicked.count(), 2);
    }

    void highlight_followsSetHighlightedMarker()
    {
        ChartFixture f;
        QVERIFY(f.ready());
        setSeries(f.chart, T0, T0 + 600'000);
        // Asked before the markers exist: applied when they come.
        f.chart.setHighlightedMarker(u"m100"_s);
        f.chart.setMarkers(workshopMarkers());
        QVERIFY(markerSettles(f.chart, u"m100"_s));
        QVERIFY(f.chart.isMarkerHighlighted(u"m100"_s));

        f.chart.setHighlightedMarker(u"m70"_s);
        QCOMPARE(f.chart.highlightedMarker(), u"m70"_s);
        QVERIFY(f.chart.isMarkerHighlighted(u"m70"_s));
        QVERIFY(!f.chart.isMarkerHighlighted(u"m100"_s));
        QVERIFY(!f.chart.isMarkerHighlighted(u"m30"_s));
        // And it shows: the highlighted line is drawn in the highlight colour, the others are not.
        const QPoint p70 = *f.chart.markerPosition(u"m70"_s);
        const QPoint p30 = *f.chart.markerPosition(u"m30"_s);
        QTRY_VERIFY(near(f.chart.grab().toImage().pixelColor(p70), Highlight));
        QVERIFY(!near(f.chart.grab().toImage().pixelColor(p30), Highlight));

        f.chart.setHighlightedMarker(QString());
        for (const auto &id : f.chart.markerIds())
            QVERIFY(!f.chart.isMarkerHighlighted(id));
        QTRY_VERIFY(!near(f.chart.grab().toImage().pixelColor(p70), Highlight));
    }

    void markers_surviveSetSeries_andFollowTheAxis()
    {
        ChartFixture f;
        QVERIFY(f.ready());
        setSeries(f.chart, T0, T0 + 600'000);
        f.chart.setMarkers(workshopMarkers());
        f.chart.setHighlightedMarker(u"m30"_s);
        QVERIFY(markerSettles(f.chart, u"m30"_s));

        // The next refresh covers a later window: the ramp scrolls out, the later change comes in.
        setSeries(f.chart, T0 + 1'000'000, T0 + 4'000'000);
        QCOMPARE(f.chart.markerIds(), (QStringList { u"m30"_s, u"m70"_s, u"m100"_s, u"later"_s }));
        QVERIFY(markerSettles(f.chart, u"later"_s));
        QVERIFY(!f.chart.markerPosition(u"m30"_s));
        QVERIFY(!f.chart.markerPosition(u"m100"_s));
        QTRY_COMPARE(f.chart.legendLabels(), QStringList { u"1.0.0-034c71"_s });

        setSeries(f.chart, T0, T0 + 600'000);
        QVERIFY(markerSettles(f.chart, u"m30"_s));
        QVERIFY(f.chart.isMarkerHighlighted(u"m30"_s));

        // A wider plot moves the lines with it.
        QVERIFY(markerSettles(f.chart, u"m100"_s));
        const int before = f.chart.markerPosition(u"m100"_s)->x();
        f.chart.resize(1300, 500);
        QTRY_VERIFY(f.chart.markerPosition(u"m100"_s).value_or(QPoint()).x() > before + 100);

        f.chart.setMarkers({});
        QVERIFY(f.chart.markerIds().isEmpty());
    }

    // The wiring MainWindow uses: a marker click selects the entry, a selection highlights the marker.
    void markerAndTimeline_followEachOther()
    {
        VirtualClock clock(testing::localNoonMs());
        ui::TimelinePanel panel(clock);
        ChartFixture f;
        connect(&f.chart, &RequestChart::markerClicked, &panel, &ui::TimelinePanel::selectEntry);
        connect(&panel, &ui::TimelinePanel::entrySelected, &f.chart, &RequestChart::setHighlightedMarker);
        QVERIFY(f.ready());
        panel.resize(900, 400);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));

        const qint64 t = testing::localNoonMs();
        panel.setEntries({ testing::configurationChange(u"c30"_s, t - 300'000, u"Canary weight set to 30"_s),
            testing::configurationChange(u"c70"_s, t - 120'000, u"Canary weight set to 70"_s),
            testing::problemEntry(u"p1"_s, t - 60'000),
            testing::localAction(u"local-1"_s, t - 290'000, u"Canary set to 30 %"_s) });
        setSeries(f.chart, t - 600'000, t);
        f.chart.setMarkers(panel.chartMarkers());
        QCOMPARE(f.chart.markerIds(), (QStringList { u"c70"_s, u"c30"_s }));
        QVERIFY(markerSettles(f.chart, u"c70"_s));

        clickAt(f.chart, *f.chart.markerPosition(u"c70"_s));
        QCOMPARE(panel.selectedId(), u"c70"_s);
        QVERIFY(panel.detailsText().contains(u"Canary weight set to 70"_s));
        QVERIFY(f.chart.isMarkerHighlighted(u"c70"_s));

        QVERIFY(panel.selectEntry(u"p1"_s)); // not a marker: none highlighted
        QVERIFY(!f.chart.isMarkerHighlighted(u"c70"_s));
        QVERIFY(panel.selectEntry(u"c30"_s));
        QVERIFY(f.chart.isMarkerHighlighted(u"c30"_s));
    }
};

QTEST_MAIN(TestChartMarkers)
#include "tst_chartmarkers.moc"
