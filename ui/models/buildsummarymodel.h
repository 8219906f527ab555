#pragma once

#include <vector>

#include <QAbstractTableModel>
#include <QColor>
#include <QHash>
#include <QIcon>

#include "session/buildseries.h"

namespace canary::ui {

// One row per build: its colour, requests in the window, share of all requests, newest complete slot.
class BuildSummaryModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BuildSummaryModel)

public:
    enum Column { BuildColumn, RequestsColumn, ShareColumn, LatestColumn, ColumnCount };
    enum Role {
        BuildRole = Qt::UserRole + 1,
        TotalRole,
        SharePercentRole,
        IsRemainderRole,
        ColorRole,
    };

    struct Row
    {
        session::BuildSeries series;
        QColor color;
        std::optional<double> latest;
    };

    explicit BuildSummaryModel(QObject *parent = nullptr);

    // Replaces the rows; rows for builds that stay are updated in place so selections survive a refresh.
    void setRows(std::vector<Row> rows);
    const Row *rowFor(const QString &build) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    double sharePercent(const Row &row) const;
    QIcon swatch(const QColor &color) const;

    std::vector<Row> m_rows;
    double m_grandTotal = 0;
    // One icon per colour, kept: a view asking for the decoration on every repaint must get the same icon,
    // or each repaint leaves a new pixmap in QPixmapCache (a QColor decoration does exactly that: +0.6 MiB
    // an hour at a 10 s refresh, up to the cache's 10 MiB).
    mutable QHash<QRgb, QIcon> m_swatches;
};

} // namespace canary::ui
