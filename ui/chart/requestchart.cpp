#include "requestchart.h"

#include <algorithm>
#include <array>
#include <limits>

#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QGraphicsItem>
#include <QGraphicsSceneHoverEvent>
#include <QGraphicsSceneMouseEvent>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPainter>
#include <QResizeEvent>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>

#include "linethinning.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

namespace {

constexpr const char *BuildProperty = "canaryBuild";

// Markers sit above the series (Qt Charts keeps its own z-values in single digits).
constexpr qreal MarkerZ = 50;
constexpr qreal MarkerHalfHitWidth = 5; // a 2-pixel line is too thin to hit with a mouse
constexpr qreal MarkerFlagSize = 7;
const QColor HighlightColor(0xe8590c);
const QColor DefaultMarkerColor(0x1864ab);

} // namespace

// One marker: a vertical line over the plot with a small flag on top, in chart coordinates. The chart owns
// it as a child item, so removing series never touches it.
class RequestChart::MarkerItem final : public QGraphicsItem
{
public:
    MarkerItem(RequestChart *owner, Marker marker, QGraphicsItem *parent)
        : QGraphicsItem(parent)
        , m_owner(owner)
        , m_marker(std::move(marker))
    {
        if (!m_marker.color.isValid())
            m_marker.color = DefaultMarkerColor;
        setAcceptHoverEvents(true);
        setAcceptedMouseButtons(Qt::LeftButton);
        setCursor(Qt::PointingHandCursor);
        setZValue(MarkerZ);
    }

    const Marker &marker() const { return m_marker; }
    bool isHighlighted() const { return m_highlighted; }
    qreal top() const { return m_top; }
    qreal bottom() const { return m_bottom; }

    void setSpan(qreal top, qreal bottom)
    {
        if (top == m_top && bottom == m_bottom)
            return;
        prepareGeometryChange();
        m_top = top;
        m_bottom = bottom;
    }

    void setHighlighted(bool highlighted)
    {
        if (highlighted == m_highlighted)
            return;
        m_highlighted = highlighted;
        setZValue(highlighted ? MarkerZ + 1 : MarkerZ);
        update();
    }

    QRectF boundingRect() const override
    {
        return QRectF(-MarkerHalfHitWidth - 2, m_top - 2, 2 * MarkerHalfHitWidth + 4, m_bottom - m_top + 4);
    }

    QPainterPath shape() const override
    {
        QPainterPath path;
        path.addRect(QRectF(-MarkerHalfHitWidth, m_top, 2 * MarkerHalfHitWidth, m_bottom - m_top));
        return path;
    }

    void paint(QPainter *painter, const QStyleOptionGraphicsItem *, QWidget *) override
    {
        const QColor color = m_highlighted ? HighlightColor : m_marker.color;
        QPen pen(color, m_highlighted ? 4.0 : 1.5);
        if (!m_highlighted)
            pen.setStyle(Qt::DashLine);
        painter->setRenderHint(QPainter::Antialiasing);
        painter->setPen(pen);
        painter->drawLine(QPointF(0, m_top), QPointF(0, m_bottom));
        const qreal flag = m_highlighted ? MarkerFlagSize + 2 : MarkerFlagSize;
        painter->setPen(Qt::NoPen);
        painter->setBrush(color);
        painter->drawPolygon(
            QPolygonF { QPointF(-flag, m_top), QPointF(flag, m_top), QPointF(0, m_top + flag) });
    }

protected:
    void hoverEnterEvent(QGraphicsSceneHoverEvent *event) override
    {
        m_owner->onMarkerHovered(this, event->screenPos());
    }

    void hoverLeaveEvent(QGraphicsSceneHoverEvent *) override { m_owner->onMarkerLeft(this); }

    void mousePressEvent(QGraphicsSceneMouseEvent *event) override
    {
        // Accepting the press makes this item the grabber, so the release comes back here.
        event->setAccepted(event->button() == Qt::LeftButton);
    }

    void mouseReleaseEvent(QGraphicsSceneMouseEvent *event) override
    {
        if (event->button() == Qt::LeftButton && shape().contains(event->pos()))
            Q_EMIT m_owner->markerClicked(m_marker.id);
    }

private:
    RequestChart *m_owner;
    Marker m_marker;
    qreal m_top = 0;
    qreal m_bottom = 0;
    bool m_highlighted = false;
};

RequestChart::RequestChart(QWidget *parent)
    : QWidget(parent)
    , m_chart(new QChart)
    , m_view(new QChartView(m_chart, this))
    , m_timeAxis(new QDateTimeAxis(m_chart))
    , m_valueAxis(new QValueAxis(m_chart))
    , m_replot(new QTimer(this))
{
    m_replot->setSingleShot(true);
    m_replot->setInterval(50);
    connect(m_replot, &QTimer::timeout, this, [this] {
        if (!m_segments.empty() && columnBudget() != m_columns)
            plotSegments();
    });
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_timeAxis->setFormat(u"HH:mm"_s);
    m_timeAxis->setTitleText(tr("Local time"));
    m_valueAxis->setLabelFormat(u"%d"_s);
    m_valueAxis->setTitleText(tr("Requests per interval"));
    m_valueAxis->setRange(0, 10);
    m_chart->addAxis(m_timeAxis, Qt::AlignBottom);
    m_chart->addAxis(m_valueAxis, Qt::AlignLeft);
    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setAccessibleName(tr("Requests per build"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);

    // Markers live in chart coordinates: whatever moves the plot or the time axis moves them.
    connect(m_chart, &QChart::plotAreaChanged, this, &RequestChart::layoutMarkers);
    connect(m_timeAxis, &QDateTimeAxis::rangeChanged, this, &RequestChart::layoutMarkers);
}

RequestChart::~RequestChart() = default;

void RequestChart::setSeries(const std::vector<session::BuildSeries> &builds,
    const std::vector<BuildLine> &lines, qint64 completeUntilMs)
{
    m_lines = lines;
    m_segments.clear();

    qint64 minX = std::numeric_limits<qint64>::max();
    qint64 maxX = std::numeric_limits<qint64>::min();
    double maxY = 0;

    // Every segment of every build, in drawing order; gaps split a build into several segments.
    for (std::size_t b = 0; b < builds.size() && b < lines.size(); ++b) {
        const auto &build = builds[b];
        m_segments.push_back({ b, {}, true });
        for (std::size_t i = 0; i < build.timestamps.size(); ++i) {
            if (build.timestamps[i] > completeUntilMs)
                break;
            minX = std::min(minX, build.timestamps[i]);
            maxX = std::max(maxX, build.timestamps[i]);
            if (!build.values[i]) {
                if (!m_segments.back().points.isEmpty())
                    m_segments.push_back({ b, {}, false });
                continue;
            }
            maxY = std::max(maxY, *build.values[i]);
            m_segments.back().points.append(QPointF(double(build.timestamps[i]), *build.values[i]));
        }
        if (m_segments.back().points.isEmpty())
            m_segments.pop_back();
    }
    m_minX = minX;
    m_maxX = maxX;

    plotSegments();

    if (minX <= maxX)
        setTimeRange(minX, maxX);
    // Every range change makes every series recompute its geometry: work out the nice range on a scratch axis
    // and change the real one once, not twice (setRange, then applyNiceNumbers).
    QValueAxis nice;
    nice.setRange(0, std::max(1.0, maxY * 1.1));
    nice.applyNiceNumbers();
    m_valueAxis->setTickCount(nice.tickCount());
    m_valueAxis->setRange(nice.min(), nice.max());
}

int RequestChart::columnBudget() const
{
    std::size_t drawn = 0;
    for (std::size_t b = 0; b < m_lines.size(); ++b) {
        drawn += std::any_of(m_segments.cbegin(), m_segments.cend(),
            [b](const Segment &segment) { return segment.line == b; });
    }
    // One column per pixel of the widget (the plot is a little narrower; a few spare columns cost nothing),
    // shared out so the whole chart never plots more than MaxPlottedPoints.
    const int perBuild = int(MaxPlottedPoints / (2 * std::max<std::size_t>(drawn, 1)));
    return std::max(MinColumns, std::min(std::max(width(), MinColumns), perBuild));
}

void RequestChart::plotSegments()
{
    m_columns = columnBudget();
    m_thinned = false;

    // What is drawn: first a gap narrower than a column is bridged, as no screen can show it while every
    // segment costs Qt Charts a series of its own (about 30 µs per update whatever its length: 1,040 of them
    // took 44 ms for 10 builds × 10,000 points with a gap every 97); then each line is thinned to the
    // columns.
    const double columnWidth = m_maxX > m_minX ? double(m_maxX - m_minX) / m_columns : 0;
    std::vector<Segment> drawn;
    for (const auto &segment : m_segments) {
        if (!drawn.empty() && drawn.back().line == segment.line
            && segment.points.front().x() - drawn.back().points.back().x() < columnWidth) {
            drawn.back().points.append(segment.points);
            m_thinned = true;
            continue;
        }
        drawn.push_back(segment);
    }
    for (auto &segment : drawn) {
        const qsizetype before = segment.points.size();
        segment.points = thinLine(segment.points, double(m_minX), double(m_maxX), m_columns);
        m_thinned = m_thinned || segment.points.size() < before;
    }

    // Series already on the chart are refilled with replace() rather than removed and recreated: adding a
    // series and attaching it to both axes costs far more than its points, and a refresh with gaps has
    // hundreds of segments (a full redo took 78 ms for 10 builds × 1,440 points).
    const auto existing = m_chart->series();
    for (qsizetype i = qsizetype(drawn.size()); i < existing.size(); ++i) {
        m_chart->removeSeries(existing[i]);
        delete existing[i];
    }
    for (std::size_t s = 0; s < drawn.size(); ++s) {
        const auto &segment = drawn[s];
        const auto &line = m_lines[segment.line];
        const bool reused = qsizetype(s) < existing.size();
        auto *series = reused ? static_cast<QLineSeries *>(existing[qsizetype(s)]) : new QLineSeries;
        series->setName(line.build);
        series->setProperty(BuildProperty, line.build);
        QPen pen(line.color);
        pen.setWidthF(2.0);
        series->setPen(pen);
        series->setColor(line.color);
        // A lone point has no line to draw: show it as a dot.
        series->setPointsVisible(segment.points.size() == 1);
        series->replace(segment.points);
        if (!reused) {
            m_chart->addSeries(series);
            series->attachAxis(m_timeAxis);
            series->attachAxis(m_valueAxis);
        }
        const auto markers = m_chart->legend()->markers(series);
        for (auto *marker : markers)
            marker->setVisible(segment.first);
    }
}

void RequestChart::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    // Lines are cut into columns for the width: a wider chart has room for more of the detail. Dragging a
    // splitter resizes on every pixel: re-cut once it settles.
    if (!m_segments.empty() && columnBudget() != m_columns)
        m_replot->start();
}

// Snaps the time axis to a round step (10 s … 1 day) so ticks read 10:05, 10:10, … instead of odd seconds.
void RequestChart::setTimeRange(qint64 minMs, qint64 maxMs)
{
    static constexpr std::array<qint64, 13> Steps { 10'000, 30'000, 60'000, 120'000, 300'000, 600'000,
        900'000, 1'800'000, 3'600'000, 7'200'000, 21'600'000, 43'200'000, 86'400'000 };
    constexpr qint64 MaxTicks = 8;
    qint64 step = Steps.back();
    for (const qint64 candidate : Steps) {
        if ((maxMs - minMs) / candidate + 2 <= MaxTicks) {
            step = candidate;
            break;
        }
    }
    // Steps divide whole days, so UTC-aligned ticks are also aligned in any whole-hour time zone.
    const qint64 first = minMs - ((minMs % step) + step) % step;
    const qint64 last = maxMs + (step - ((maxMs % step) + step) % step) % step;
    m_timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(first), QDateTime::fromMSecsSinceEpoch(last));
    m_timeAxis->setTickCount(int((last - first) / step) + 1);
    m_timeAxis->setFormat(step < 60'000 ? u"HH:mm:ss"_s : step < 86'400'000 ? u"HH:mm"_s : u"dd.MM HH:mm"_s);
}

void RequestChart::setValueAxis(const QString &title, const QString &labelFormat)
{
    m_valueAxis->setTitleText(title);
    m_valueAxis->setLabelFormat(labelFormat);
    m_view->setAccessibleName(title);
}

QString RequestChart::valueTitle() const
{
    return m_valueAxis->titleText();
}

void RequestChart::setStale(bool stale)
{
    m_stale = stale;
    m_chart->setTitle(stale ? tr("Stale: not current, showing older data") : QString());
    m_chart->setBackgroundBrush(stale ? QColor(0xfff3cd) : QColor(Qt::white));
}

void RequestChart::setMarkers(const std::vector<Marker> &markers)
{
    for (auto *item : m_markers)
        delete item;
    m_markers.clear();
    if (!m_hoveredMarker.isEmpty()) {
        m_hoveredMarker.clear();
        QToolTip::hideText();
    }
    for (const auto &marker : markers) {
        auto *item = new MarkerItem(this, marker, m_chart);
        item->setToolTip(u"<b>%1</b><br>%2"_s.arg(marker.title.toHtmlEscaped(),
            QDateTime::fromMSecsSinceEpoch(marker.timeMs).toString(u"yyyy-MM-dd HH:mm:ss"_s)));
        item->setHighlighted(!m_highlightedMarker.isEmpty() && marker.id == m_highlightedMarker);
        m_markers.push_back(item);
    }
    layoutMarkers();
}

void RequestChart::setHighlightedMarker(const QString &id)
{
    m_highlightedMarker = id;
    for (auto *item : m_markers)
        item->setHighlighted(!id.isEmpty() && item->marker().id == id);
}

void RequestChart::layoutMarkers()
{
    const QRectF plot = m_chart->plotArea();
    const qint64 minMs = m_timeAxis->min().toMSecsSinceEpoch();
    const qint64 maxMs = m_timeAxis->max().toMSecsSinceEpoch();
    const bool drawable = plot.width() > 0 && plot.height() > 0 && maxMs > minMs;
    for (auto *item : m_markers) {
        const qint64 t = item->marker().timeMs;
        const bool inRange = drawable && t >= minMs && t <= maxMs;
        item->setVisible(inRange);
        if (!inRange)
            continue;
        item->setSpan(plot.top(), plot.bottom());
        item->setPos(plot.left() + double(t - minMs) * plot.width() / double(maxMs - minMs), 0);
    }
}

void RequestChart::onMarkerHovered(const MarkerItem *item, const QPoint &screenPos)
{
    m_hoveredMarker = item->marker().id;
    // Shown at once rather than after the usual tooltip delay: the marker is small and hovered on purpose.
    const QRect area = m_view->mapFromScene(item->mapToScene(item->shape())).boundingRect().toAlignedRect();
    QToolTip::showText(screenPos, item->toolTip(), m_view->viewport(), area);
}

void RequestChart::onMarkerLeft(const MarkerItem *item)
{
    if (m_hoveredMarker != item->marker().id)
        return;
    m_hoveredMarker.clear();
    QToolTip::hideText();
}

RequestChart::MarkerItem *RequestChart::markerItem(const QString &id) const
{
    const auto it = std::find_if(m_markers.cbegin(), m_markers.cend(),
        [&id](const MarkerItem *item) { return item->marker().id == id; });
    return it == m_markers.cend() ? nullptr : *it;
}

QStringList RequestChart::markerIds() const
{
    QStringList ids;
    for (const auto *item : m_markers)
        ids.append(item->marker().id);
    return ids;
}

bool RequestChart::isMarkerHighlighted(const QString &id) const
{
    const auto *item = markerItem(id);
    return item && item->isHighlighted();
}

std::optional<QPoint> RequestChart::markerPosition(const QString &id) const
{
    const auto *item = markerItem(id);
    if (!item || !item->isVisible())
        return std::nullopt;
    const QPointF scenePoint = item->mapToScene(QPointF(0, (item->top() + item->bottom()) / 2));
    return m_view->viewport()->mapTo(this, m_view->mapFromScene(scenePoint));
}

QStringList RequestChart::buildNames() const
{
    QStringList names;
    for (const auto &line : m_lines)
        names.append(line.build);
    return names;
}

QColor RequestChart::colorOf(const QString &build) const
{
    for (const auto &line : m_lines) {
        if (line.build == build)
            return line.color;
    }
    return {};
}

QList<QPointF> RequestChart::pointsOf(const QString &build) const
{
    QList<QPointF> points;
    const auto series = m_chart->series();
    for (auto *abstract : series) {
        if (abstract->property(BuildProperty).toString() == build)
            points += static_cast<QLineSeries *>(abstract)->points();
    }
    return points;
}

int RequestChart::segmentCount(const QString &build) const
{
    const auto series = m_chart->series();
    return int(std::count_if(series.cbegin(), series.cend(),
        [&build](const QAbstractSeries *s) { return s->property(BuildProperty).toString() == build; }));
}

QStringList RequestChart::legendLabels() const
{
    QStringList labels;
    const auto markers = m_chart->legend()->markers();
    for (const auto *marker : markers) {
        if (marker->isVisible())
            labels.append(marker->label());
    }
    return labels;
}

QPair<qint64, qint64> RequestChart::timeRangeMs() const
{
    return { m_timeAxis->min().toMSecsSinceEpoch(), m_timeAxis->max().toMSecsSinceEpoch() };
}

} // namespace canary::ui
