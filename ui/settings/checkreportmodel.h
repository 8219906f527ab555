#pragma once

#include <vector>

#include <QAbstractTableModel>

#include "onboarding/connectioncheck.h"

namespace canary::ui {

// "Test connection"'s report as a table: one row per feature, the status as an icon (and as text for
// screen readers and tooltips), the detail beside it.
class CheckReportModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CheckReportModel)

public:
    enum Column { FeatureColumn, DetailColumn, ColumnCount };
    enum Role {
        StatusRole = Qt::UserRole + 1, // CheckItem::Status as an int
    };

    explicit CheckReportModel(QObject *parent = nullptr);
    ~CheckReportModel() override;

    void setReport(const onboarding::CheckReport &report);
    void clear();
    const onboarding::CheckReport &report() const { return m_report; }

    // The first row whose feature starts with `featureStart`, -1 when there is none.
    int rowOf(const QString &featureStart) const;

    static QString statusText(onboarding::CheckItem::Status status);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    onboarding::CheckReport m_report;
};

} // namespace canary::ui
