#include "requestchart.h"

#include <algorithm>
#include <array>
#include <limits>

#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QLegendMarker>
#include <QLineSeries>
#include <QVBoxLayout>
#include <QValueAxis>

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

namespace {

constexpr const char *BuildProperty = "canaryBuild";

} // namespace

RequestChart::RequestChart(QWidget *parent)
    : QWidget(parent)
    , m_chart(new QChart)
    , m_view(new QChartView(m_chart, this))
    , m_timeAxis(new QDateTimeAxis(m_chart))
    , m_valueAxis(new QValueAxis(m_chart))
{
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
}

RequestChart::~RequestChart() = default;

void RequestChart::setSeries(const std::vector<session::BuildSeries> &builds,
    const std::vector<BuildLine> &lines, qint64 completeUntilMs)
{
    m_chart->removeAllSeries();
    m_lines = lines;

    qint64 minX = std::numeric_limits<qint64>::max();
    qint64 maxX = std::numeric_limits<qint64>::min();
    double maxY = 0;

    for (std::size_t b = 0; b < builds.size() && b < lines.size(); ++b) {
        const auto &build = builds[b];
        const auto &line = lines[b];
        QList<QList<QPointF>> segments(1);
        for (std::size_t i = 0; i < build.timestamps.size(); ++i) {
            if (build.timestamps[i] > completeUntilMs)
                break;
            minX = std::min(minX, build.timestamps[i]);
            maxX = std::max(maxX, build.timestamps[i]);
            if (!build.values[i]) {
                if (!segments.back().isEmpty())
                    segments.append(QList<QPointF>());
                continue;
            }
            maxY = std::max(maxY, *build.values[i]);
            segments.back().append(QPointF(double(build.timestamps[i]), *build.values[i]));
        }
        if (segments.back().isEmpty())
            segments.removeLast();

        bool first = true;
        for (const auto &points : std::as_const(segments)) {
            auto *series = new QLineSeries;
            series->setName(line.build);
            series->setProperty(BuildProperty, line.build);
            QPen pen(line.color);
            pen.setWidthF(2.0);
            series->setPen(pen);
            series->setColor(line.color);
            // A lone point has no line to draw: show it as a dot.
            series->setPointsVisible(points.size() == 1);
            series->replace(points);
            m_chart->addSeries(series);
            series->attachAxis(m_timeAxis);
            series->attachAxis(m_valueAxis);
            const auto markers = m_chart->legend()->markers(series);
            for (auto *marker : markers)
                marker->setVisible(first);
            first = false;
        }
    }

    if (minX <= maxX)
        setTimeRange(minX, maxX);
    m_valueAxis->setRange(0, std::max(1.0, maxY * 1.1));
    m_valueAxis->applyNiceNumbers();
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

void RequestChart::setStale(bool stale)
{
    m_chart->setTitle(stale ? tr("Stale: the last refresh failed, showing older data") : QString());
    m_chart->setBackgroundBrush(stale ? QColor(0xfff3cd) : QColor(Qt::white));
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
