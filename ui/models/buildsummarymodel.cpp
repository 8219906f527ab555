#include "buildsummarymodel.h"

#include <QLocale>
#include <QPainter>
#include <QPixmap>

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

QIcon BuildSummaryModel::swatch(const QColor &color) const
{
    auto it = m_swatches.find(color.rgba());
    if (it == m_swatches.end()) {
        QPixmap pixmap(16, 16);
        pixmap.fill(Qt::transparent);
        QPainter painter(&pixmap);
        painter.setPen(color.darker(140));
        painter.setBrush(color);
        painter.drawRect(QRect(2, 2, 11, 11));
        painter.end();
        it = m_swatches.insert(color.rgba(), QIcon(pixmap));
    }
    return *it;
}

BuildSummaryModel::BuildSummaryModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

void BuildSummaryModel::setRows(std::vector<Row> rows)
{
    const bool sameBuilds = rows.size() == m_rows.size()
        && std::equal(rows.cbegin(), rows.cend(), m_rows.cbegin(), [](const Row &a, const Row &b) {
               return a.series.build == b.series.build && a.series.isRemainder == b.series.isRemainder;
           });

    if (!sameBuilds) {
        beginResetModel();
        m_rows = std::move(rows);
        m_grandTotal = 0;
        for (const auto &row : m_rows)
            m_grandTotal += row.series.total();
        endResetModel();
        return;
    }

    m_rows = std::move(rows);
    m_grandTotal = 0;
    for (const auto &row : m_rows)
        m_grandTotal += row.series.total();
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

const BuildSummaryModel::Row *BuildSummaryModel::rowFor(const QString &build) const
{
    for (const auto &row : m_rows) {
        if (row.series.build == build)
            return &row;
    }
    return nullptr;
}

int BuildSummaryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int BuildSummaryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

double BuildSummaryModel::sharePercent(const Row &row) const
{
    return m_grandTotal > 0 ? 100.0 * row.series.total() / m_grandTotal : 0.0;
}

QVariant BuildSummaryModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows[std::size_t(index.row())];

    switch (role) {
    case BuildRole:
        return row.series.build;
    case TotalRole:
        return row.series.total();
    case SharePercentRole:
        return sharePercent(row);
    case IsRemainderRole:
        return row.series.isRemainder;
    case ColorRole:
        return row.color;
    case Qt::DecorationRole:
        return index.column() == BuildColumn ? QVariant(swatch(row.color)) : QVariant();
    case Qt::TextAlignmentRole:
        return index.column() == BuildColumn ? QVariant() : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    case Qt::ToolTipRole:
        if (row.series.isRemainder)
            return tr("Builds beyond the metric's top-X limit, merged by Dynatrace");
        return {};
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }

    const QLocale locale;
    switch (Column(index.column())) {
    case BuildColumn:
        return row.series.build;
    case RequestsColumn:
        return locale.toString(row.series.total(), 'f', 0);
    case ShareColumn:
        return QString(locale.toString(sharePercent(row), 'f', 1) + u" %"_s);
    case LatestColumn:
        return row.latest ? locale.toString(*row.latest, 'f', 0) : u"–"_s;
    case ColumnCount:
        break;
    }
    return {};
}

QVariant BuildSummaryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case BuildColumn:
        return tr("Build");
    case RequestsColumn:
        return tr("Requests");
    case ShareColumn:
        return tr("Share");
    case LatestColumn:
        return tr("Latest interval");
    case ColumnCount:
        break;
    }
    return {};
}

QHash<int, QByteArray> BuildSummaryModel::roleNames() const
{
    auto names = QAbstractTableModel::roleNames();
    names.insert(BuildRole, "build");
    names.insert(TotalRole, "total");
    names.insert(SharePercentRole, "sharePercent");
    names.insert(IsRemainderRole, "isRemainder");
    names.insert(ColorRole, "color");
    return names;
}

} // namespace canary::ui
