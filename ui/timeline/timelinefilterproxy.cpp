#include "timelinefilterproxy.h"

using canary::session::TimelineEntry;

namespace canary::ui {

TimelineFilterProxy::TimelineFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    // A status that changes (OPEN -> CLOSED) may change whether a row matches the search.
    setDynamicSortFilter(true);
}

void TimelineFilterProxy::setKinds(TimelineModel::Kinds kinds)
{
    if (kinds == m_kinds)
        return;
    m_kinds = kinds;
    invalidateFilter();
    Q_EMIT filtersChanged();
}

void TimelineFilterProxy::setSearchText(const QString &text)
{
    const QString search = text.trimmed();
    if (search == m_search)
        return;
    m_search = search;
    invalidateFilter();
    Q_EMIT filtersChanged();
}

void TimelineFilterProxy::clearFilters()
{
    if (!isFiltering())
        return;
    m_kinds = TimelineModel::allKinds();
    m_search.clear();
    invalidateFilter();
    Q_EMIT filtersChanged();
}

bool TimelineFilterProxy::isFiltering() const
{
    return m_kinds != TimelineModel::allKinds() || !m_search.isEmpty();
}

bool TimelineFilterProxy::accepts(const TimelineEntry &entry) const
{
    return m_kinds.testFlag(TimelineModel::kindOf(entry)) && matchesSearch(entry);
}

bool TimelineFilterProxy::matchesSearch(const TimelineEntry &entry) const
{
    if (m_search.isEmpty())
        return true;
    const auto has = [this](const QString &text) { return text.contains(m_search, Qt::CaseInsensitive); };
    if (has(entry.title) || has(entry.type) || has(entry.source) || has(entry.displayId))
        return true;
    for (auto it = entry.properties.cbegin(); it != entry.properties.cend(); ++it) {
        if (has(it.value()))
            return true;
    }
    return false;
}

bool TimelineFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    // The common case (no filter) must not copy 10,000 entries out of the model on every insert.
    if (!isFiltering())
        return true;
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    const auto kind = TimelineModel::Kind(index.data(TimelineModel::KindRole).toInt());
    if (!m_kinds.testFlag(kind))
        return false;
    if (m_search.isEmpty())
        return true;
    return matchesSearch(index.data(TimelineModel::EntryRole).value<TimelineEntry>());
}

} // namespace canary::ui
