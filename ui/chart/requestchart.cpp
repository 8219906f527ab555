#include "requestchart.h"

#include <algorithm>
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

void RequestChart::setSeries(
    const std::vector<session::BuildSeries> &builds, const std::vector<BuildLine> &lines)
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

    if (minX <= maxX) {
        m_timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(minX), QDateTime::fromMSecsSinceEpoch(maxX));
        m_timeAxis->setFormat(maxX - minX <= 2 * 3600 * 1000 ? u"HH:mm:ss"_s : u"dd.MM HH:mm"_s);
    }
    m_valueAxis->setRange(0, std::max(1.0, maxY * 1.1));
    m_valueAxis->applyNiceNumbers();
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
