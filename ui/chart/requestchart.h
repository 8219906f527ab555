#pragma once

#include <limits>
#include <vector>

#include <QColor>
#include <QList>
#include <QPointF>
#include <QStringList>
#include <QWidget>

#include "session/buildseries.h"

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QDateTimeAxis;
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

    explicit RequestChart(QWidget *parent = nullptr);
    ~RequestChart() override;

    // Replaces every series in one go (one repaint per refresh). Slots ending after `completeUntilMs` are
    // still filling up and are left out: drawn, they would look like a sudden drop in traffic.
    void setSeries(const std::vector<session::BuildSeries> &builds, const std::vector<BuildLine> &lines,
        qint64 completeUntilMs = std::numeric_limits<qint64>::max());
    void setStale(bool stale);

    // What the chart currently draws, for tests and accessibility.
    QStringList buildNames() const;
    QColor colorOf(const QString &build) const;
    // The plotted points of a build (x = epoch ms, y = value), segments concatenated; gaps are not points.
    QList<QPointF> pointsOf(const QString &build) const;
    int segmentCount(const QString &build) const;
    QStringList legendLabels() const;
    QPair<qint64, qint64> timeRangeMs() const;

private:
    void setTimeRange(qint64 minMs, qint64 maxMs);

    QChart *m_chart;
    QChartView *m_view;
    QDateTimeAxis *m_timeAxis;
    QValueAxis *m_valueAxis;
    std::vector<BuildLine> m_lines;
};

} // namespace canary::ui
