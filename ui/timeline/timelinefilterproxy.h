#pragma once

#include <QSortFilterProxyModel>

#include "timelinemodel.h"

namespace canary::ui {

// Narrows the timeline by kind and by a case-insensitive search over title, type, source and every property
// value. It never sorts: the source is already newest first, and sorting 10,000 rows per refresh would cost.
class TimelineFilterProxy final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimelineFilterProxy)

public:
    explicit TimelineFilterProxy(QObject *parent = nullptr);

    void setKinds(TimelineModel::Kinds kinds);
    TimelineModel::Kinds kinds() const { return m_kinds; }
    void setSearchText(const QString &text);
    QString searchText() const { return m_search; }
    // Shows everything again; one re-filter, whatever was set.
    void clearFilters();
    bool isFiltering() const;

    // Whether an entry passes the current filters, without a model (for tests and the panel).
    bool accepts(const session::TimelineEntry &entry) const;

Q_SIGNALS:
    void filtersChanged();

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    bool matchesSearch(const session::TimelineEntry &entry) const;

    TimelineModel::Kinds m_kinds = TimelineModel::allKinds();
    QString m_search; // trimmed; empty: no search
};

} // namespace canary::ui
