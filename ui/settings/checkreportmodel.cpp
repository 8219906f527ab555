#include "checkreportmodel.h"

#include <QApplication>
#include <QIcon>
#include <QStyle>

#include "net/redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

using onboarding::CheckItem;

CheckReportModel::CheckReportModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

CheckReportModel::~CheckReportModel() = default;

void CheckReportModel::setReport(const onboarding::CheckReport &report)
{
    beginResetModel();
    m_report = report;
    // A detail may quote what the operator typed (a URL, a selector, a name): a token pasted into the wrong
    // field must not come back on screen, nor through report() into a copied text.
    for (CheckItem &item : m_report.items) {
        item.feature = net::redactSecrets(item.feature);
        item.detail = net::redactSecrets(item.detail);
    }
    endResetModel();
}

void CheckReportModel::clear()
{
    setReport({});
}

int CheckReportModel::rowOf(const QString &featureStart) const
{
    for (std::size_t row = 0; row < m_report.items.size(); ++row) {
        if (m_report.items[row].feature.startsWith(featureStart))
            return int(row);
    }
    return -1;
}

QString CheckReportModel::statusText(CheckItem::Status status)
{
    switch (status) {
    case CheckItem::Status::Ok:
        return tr("works");
    case CheckItem::Status::Missing:
        return tr("missing");
    case CheckItem::Status::Failed:
        break;
    }
    return tr("failed");
}

int CheckReportModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_report.items.size());
}

int CheckReportModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CheckReportModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const CheckItem &item = m_report.items[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return index.column() == FeatureColumn ? item.feature : item.detail;
    case Qt::ToolTipRole:
        return u"%1 — %2: %3"_s.arg(statusText(item.status), item.feature, item.detail);
    case Qt::AccessibleDescriptionRole:
        return statusText(item.status);
    case Qt::DecorationRole: {
        if (index.column() != FeatureColumn)
            return {};
        // The model may outlive or precede a QApplication in tools; icons need one.
        if (!qobject_cast<QApplication *>(QCoreApplication::instance()))
            return {};
        QStyle *style = QApplication::style();
        switch (item.status) {
        case CheckItem::Status::Ok:
            return style->standardIcon(QStyle::SP_DialogApplyButton);
        case CheckItem::Status::Missing:
            return style->standardIcon(QStyle::SP_MessageBoxWarning);
        case CheckItem::Status::Failed:
            break;
        }
        return style->standardIcon(QStyle::SP_MessageBoxCritical);
    }
    case StatusRole:
        return int(item.status);
    default:
        return {};
    }
}

QVariant CheckReportModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case FeatureColumn:
        return tr("Feature");
    case DetailColumn:
        return tr("What works, or what to do");
    default:
        return {};
    }
}

} // namespace canary::ui
