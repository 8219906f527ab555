#pragma once

#include <limits>
#include <optional>
#include <vector>

#include <QColor>
#include <QList>
#include <QPoint>
#include <QPointF>
#include <QStringList>
#include <QWidget>

#include "session/buildseries.h"

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QDateTimeAxis;
class QTimer;
class QValueAxis;
QT_END_NAMESPACE

namespace canary::ui {

// The one place that knows Qt Charts: swapping the chart library touches this file only.
// Shows one line per build over local time; a slot with no data is a gap, not a zero.
class RequestChart final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestChart)

public:
    struct BuildLine
    {
        QString build;
        QColor color;
        bool isRemainder = false;
    };

    // A vertical line at one moment, e.g. a configuration change from the event timeline.
    struct Marker
    {
        QString id;
        qint64 timeMs = 0;
        QString title;
        QColor color;
    };

    explicit RequestChart(QWidget *parent = nullptr);
    ~RequestChart() override;

    // Replaces every series in one go (one repaint per refresh). Slots ending after `completeUntilMs` are
    // still filling up and are left out: drawn, they would look like a sudden drop in traffic.
    void setSeries(const std::vector<session::BuildSeries> &builds, const std::vector<BuildLine> &lines,
        qint64 completeUntilMs = std::numeric_limits<qint64>::max());
    void setStale(bool stale);
    bool isStale() const { return m_stale; }
    // What the lines measure (the request chart's default: "Requests per interval", whole numbers); the
    // failure-rate and response-time charts are the same chart with another value axis.
    void setValueAxis(const QString &title, const QString &labelFormat);
    QString valueTitle() const;

    // Replaces the markers. They outlive setSeries() and follow the time axis; markers outside its range
    // are hidden. Hovering one shows its title, clicking one emits markerClicked().
    void setMarkers(const std::vector<Marker> &markers);
    // Draws one marker thicker and in the highlight colour (e.g. the entry selected in the timeline);
    // an empty or unknown id highlights none.
    void setHighlightedMarker(const QString &id);

    // What the chart currently draws, for tests and accessibility.
    QStringList buildNames() const;
    QColor colorOf(const QString &build) const;
    // The plotted points of a build (x = epoch ms, y = value), segments concatenated; gaps are not points.
    QList<QPointF> pointsOf(const QString &build) const;
    int segmentCount(const QString &build) const;
    QStringList legendLabels() const;
    QPair<qint64, qint64> timeRangeMs() const;
    QStringList markerIds() const;
    QString highlightedMarker() const { return m_highlightedMarker; }
    bool isMarkerHighlighted(const QString &id) const;
    QString hoveredMarker() const { return m_hoveredMarker; }
    // Where a marker is drawn, in this widget's coordinates (half-way down the plot); nullopt when the
    // marker is unknown or hidden (outside the time range, or before the first layout).
    std::optional<QPoint> markerPosition(const QString &id) const;
    // How many time columns a line is thinned to (its lowest and highest point per column; see thinLine),
    // and whether anything drawn now is thinned (fewer points, or a gap narrower than a column bridged).
    int columnCount() const { return m_columns; }
    bool isThinned() const { return m_thinned; }

    // The most points the whole chart plots: Qt Charts strokes every point of every line on each update,
    // about 1 µs each, and an update and its paint (~5 ms) must fit in a frame (16 ms) whatever the builds
    // and the time range. Two builds still get a column per pixel; ten get 300 columns.
    static constexpr int MaxPlottedPoints = 6'000;
    // Never fewer columns than this, however many builds share the budget.
    static constexpr int MinColumns = 200;

Q_SIGNALS:
    void markerClicked(const QString &id);

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    class MarkerItem;

    // One unbroken run of a build's points; gaps split a build into several.
    struct Segment
    {
        std::size_t line; // index into m_lines
        QList<QPointF> points; // every complete point, before thinning
        bool first; // the build's first segment: the only one with a legend entry
    };

    int columnBudget() const;
    void plotSegments();

    void setTimeRange(qint64 minMs, qint64 maxMs);
    void layoutMarkers();
    void onMarkerHovered(const MarkerItem *item, const QPoint &screenPos);
    void onMarkerLeft(const MarkerItem *item);
    MarkerItem *markerItem(const QString &id) const;

    QChart *m_chart;
    QChartView *m_view;
    QDateTimeAxis *m_timeAxis;
    QValueAxis *m_valueAxis;
    std::vector<BuildLine> m_lines;
    std::vector<Segment> m_segments;
    qint64 m_minX = 0;
    qint64 m_maxX = 0;
    int m_columns = 0;
    bool m_thinned = false;
    QTimer *m_replot; // a resize re-cuts the lines once it settles, not on every pixel
    std::vector<MarkerItem *> m_markers; // owned by m_chart (their parent item)
    QString m_highlightedMarker;
    QString m_hoveredMarker;
    bool m_stale = false;
};

} // namespace canary::ui
