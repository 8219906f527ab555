#pragma once

#include <vector>

#include <QAbstractTableModel>
#include <QColor>

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

    std::vector<Row> m_rows;
    double m_grandTotal = 0;
};

} // namespace canary::ui
