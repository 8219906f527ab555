#include "timelinemodel.h"

#include <algorithm>
#include <iterator>
#include <numeric>

#include <QDateTime>
#include <QFont>
#include <QHash>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>
#include <QPixmapCache>
#include <QSet>

#include "net/redaction.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using canary::session::TimelineEntry;

namespace canary::ui {

namespace {

// Past this many separate insert/remove runs, one reset is cheaper for the views than the row signals;
// TimelinePanel restores the selection by id after a reset.
constexpr int MaxIncrementalRuns = 64;

bool newerFirst(const TimelineEntry &a, const TimelineEntry &b)
{
    if (a.startMs != b.startMs)
        return a.startMs > b.startMs;
    return a.id < b.id;
}

bool sameEntry(const TimelineEntry &a, const TimelineEntry &b)
{
    return a.origin == b.origin && a.id == b.id && a.type == b.type && a.title == b.title
        && a.source == b.source && a.status == b.status && a.startMs == b.startMs && a.endMs == b.endMs
        && a.displayId == b.displayId && a.severity == b.severity && a.properties == b.properties;
}

// A row stays (and keeps its selection) when its id is still there with the same start, i.e. the same place
// in the order; a moved start is a remove plus an insert.
bool isKept(const TimelineEntry &entry, const QHash<QString, qint64> &startById)
{
    const auto it = startById.constFind(entry.id);
    return it != startById.cend() && it.value() == entry.startMs;
}

QPixmap drawKindPixmap(TimelineModel::Kind kind, int size)
{
    using Kind = TimelineModel::Kind;
    QPixmap pixmap(size, size);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    const qreal s = size;
    const QColor color = TimelineModel::kindColor(kind);
    const QPen white(Qt::white, std::max(1.5, s / 9), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    const QRectF disc(0.5, 0.5, s - 1, s - 1);
    p.setPen(Qt::NoPen);
    p.setBrush(color);

    switch (kind) {
    case Kind::ConfigurationChange: // two sliders: something was set
        p.drawRoundedRect(disc, s / 5, s / 5);
        p.setPen(white);
        p.drawLine(QPointF(s * 0.22, s * 0.35), QPointF(s * 0.78, s * 0.35));
        p.drawLine(QPointF(s * 0.22, s * 0.67), QPointF(s * 0.78, s * 0.67));
        p.setPen(Qt::NoPen);
        p.setBrush(Qt::white);
        p.drawEllipse(QPointF(s * 0.38, s * 0.35), s * 0.12, s * 0.12);
        p.drawEllipse(QPointF(s * 0.62, s * 0.67), s * 0.12, s * 0.12);
        break;
    case Kind::Deployment: // an arrow going up: something was released
        p.drawEllipse(disc);
        p.setPen(white);
        p.drawLine(QPointF(s * 0.5, s * 0.76), QPointF(s * 0.5, s * 0.26));
        p.drawPolyline(
            QList<QPointF> { { s * 0.3, s * 0.45 }, { s * 0.5, s * 0.25 }, { s * 0.7, s * 0.45 } });
        break;
    case Kind::Problem: { // a warning sign
        QPainterPath triangle;
        triangle.moveTo(s * 0.5, s * 0.04);
        triangle.lineTo(s * 0.97, s * 0.93);
        triangle.lineTo(s * 0.03, s * 0.93);
        triangle.closeSubpath();
        p.drawPath(triangle);
        p.setPen(white);
        p.drawLine(QPointF(s * 0.5, s * 0.38), QPointF(s * 0.5, s * 0.6));
        p.drawPoint(QPointF(s * 0.5, s * 0.78));
        break;
    }
    case Kind::Other: // "i": information
        p.drawEllipse(disc);
        p.setPen(white);
        p.drawPoint(QPointF(s * 0.5, s * 0.28));
        p.drawLine(QPointF(s * 0.5, s * 0.46), QPointF(s * 0.5, s * 0.76));
        break;
    case Kind::LocalAction: // a person: done by the operator, here
        p.drawEllipse(disc);
        p.setBrush(Qt::white);
        p.drawEllipse(QPointF(s * 0.5, s * 0.37), s * 0.15, s * 0.15);
        p.drawPie(QRectF(s * 0.24, s * 0.6, s * 0.52, s * 0.5), 0, 180 * 16);
        break;
    }
    return pixmap;
}

} // namespace

TimelineModel::Kinds TimelineModel::allKinds()
{
    Kinds kinds;
    for (const Kind kind : AllKindsInOrder)
        kinds |= kind;
    return kinds;
}

TimelineModel::Kind TimelineModel::kindOf(const TimelineEntry &entry)
{
    switch (entry.origin) {
    case TimelineEntry::Origin::LocalAction:
        return Kind::LocalAction;
    case TimelineEntry::Origin::Problem:
        return Kind::Problem;
    case TimelineEntry::Origin::Event:
        break;
    }
    if (entry.type == u"CUSTOM_DEPLOYMENT"_s)
        return Kind::Deployment;
    if (entry.isConfigurationChange())
        return Kind::ConfigurationChange;
    // Events Davis raises on its own (and custom alerts) are what an operator hunts for beside problems.
    static const QSet<QString> ProblemLike { u"ERROR_EVENT"_s, u"AVAILABILITY_EVENT"_s,
        u"PERFORMANCE_EVENT"_s, u"RESOURCE_CONTENTION_EVENT"_s, u"CUSTOM_ALERT"_s };
    return ProblemLike.contains(entry.type) ? Kind::Problem : Kind::Other;
}

QString TimelineModel::kindName(Kind kind)
{
    switch (kind) {
    case Kind::ConfigurationChange:
        return tr("Configuration change");
    case Kind::Deployment:
        return tr("Deployment");
    case Kind::Problem:
        return tr("Problem or error");
    case Kind::Other:
        return tr("Event");
    case Kind::LocalAction:
        return tr("Your action in Canary Console");
    }
    return {};
}

QColor TimelineModel::kindColor(Kind kind)
{
    switch (kind) {
    case Kind::ConfigurationChange:
        return QColor(0x1864ab);
    case Kind::Deployment:
        return QColor(0x2b8a3e);
    case Kind::Problem:
        return QColor(0xc92a2a);
    case Kind::Other:
        return QColor(0x868e96);
    case Kind::LocalAction:
        return QColor(0x0c8599);
    }
    return {};
}

QIcon TimelineModel::kindIcon(Kind kind)
{
    QIcon icon;
    for (const int size : { 16, 32 }) {
        // QPixmapCache dies with the application, unlike a static cache that would outlive it.
        const QString key = u"canary-timeline-kind-%1-%2"_s.arg(int(kind)).arg(size);
        QPixmap pixmap;
        if (!QPixmapCache::find(key, &pixmap)) {
            pixmap = drawKindPixmap(kind, size);
            QPixmapCache::insert(key, pixmap);
        }
        icon.addPixmap(pixmap);
    }
    return icon;
}

bool TimelineModel::isOpenProblem(const TimelineEntry &entry)
{
    return entry.origin == TimelineEntry::Origin::Problem && entry.status == u"OPEN"_s;
}

TimelineModel::TimelineModel(const Clock &clock, QObject *parent)
    : QAbstractTableModel(parent)
    , m_clock(clock)
{ }

void TimelineModel::setCapacity(int capacity)
{
    m_capacity = std::max(1, capacity);
    if (int(m_entries.size()) > m_capacity)
        eraseRows(m_capacity, int(m_entries.size()) - 1);
}

void TimelineModel::setEntries(std::vector<TimelineEntry> entries)
{
    // Sorts and picks indices, not entries: moving 10,000 entries around costs more than comparing them.
    std::vector<std::size_t> order(entries.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::sort(order.begin(), order.end(), [&entries](std::size_t a, std::size_t b) {
        if (newerFirst(entries[a], entries[b]))
            return true;
        return !newerFirst(entries[b], entries[a]) && a < b;
    });
    // Duplicate ids keep their newest start; beyond the capacity, the oldest drop out.
    QHash<QString, qint64> incomingStarts;
    incomingStarts.reserve(qsizetype(std::min(order.size(), std::size_t(m_capacity))));
    std::vector<std::size_t> incoming;
    incoming.reserve(std::min(order.size(), std::size_t(m_capacity)));
    for (const std::size_t i : order) {
        if (incoming.size() == std::size_t(m_capacity))
            break;
        if (incomingStarts.contains(entries[i].id))
            continue;
        incomingStarts.insert(entries[i].id, entries[i].startMs);
        incoming.push_back(i);
    }
    const auto take = [&entries, &incoming](std::size_t first, std::size_t last) {
        std::vector<TimelineEntry> taken;
        taken.reserve(last - first);
        for (std::size_t k = first; k < last; ++k)
            taken.push_back(std::move(entries[incoming[k]]));
        return taken;
    };

    // Kept rows form a subsequence of `incoming` in the same order; count the runs of rows to remove and
    // of entries to insert around them, to know whether row signals are still the cheaper way.
    std::vector<bool> keep(m_entries.size());
    int runs = 0;
    bool inRun = false;
    for (std::size_t row = 0; row < m_entries.size(); ++row) {
        keep[row] = isKept(m_entries[row], incomingStarts);
        if (!keep[row] && !inRun)
            ++runs;
        inRun = !keep[row];
    }
    inRun = false;
    for (std::size_t k = 0, row = 0; k < incoming.size(); ++k) {
        while (row < m_entries.size() && !keep[row])
            ++row;
        const bool isNew = row == m_entries.size() || m_entries[row].id != entries[incoming[k]].id;
        if (!isNew)
            ++row;
        if (isNew && !inRun)
            ++runs;
        inRun = isNew;
    }
    if (!m_entries.empty() && runs > MaxIncrementalRuns) {
        resetTo(take(0, incoming.size()));
        return;
    }

    // Vanished (or moved, or evicted) rows go first, bottom-up so the rows above keep their numbers, and
    // before any insert so the model never holds more than its capacity.
    for (int row = int(m_entries.size()) - 1; row >= 0; --row) {
        if (keep[std::size_t(row)])
            continue;
        const int last = row;
        while (row > 0 && !keep[std::size_t(row - 1)])
            --row;
        eraseRows(row, last);
    }

    // Walk both in order: kept rows are updated in place, each run of new entries is one insert.
    int changedFirst = -1;
    int changedLast = -1;
    const auto flushChanged = [&] {
        if (changedFirst >= 0)
            Q_EMIT dataChanged(index(changedFirst, 0), index(changedLast, ColumnCount - 1));
        changedFirst = -1;
    };
    const auto isRowOf = [&](std::size_t row, std::size_t k) {
        return row < m_entries.size() && m_entries[row].id == entries[incoming[k]].id;
    };
    std::size_t row = 0;
    for (std::size_t k = 0; k < incoming.size();) {
        if (isRowOf(row, k)) {
            TimelineEntry &entry = entries[incoming[k]];
            if (!sameEntry(m_entries[row], entry)) {
                m_entries[row] = std::move(entry);
                if (changedFirst < 0)
                    changedFirst = int(row);
                changedLast = int(row);
            } else {
                flushChanged();
            }
            ++row;
            ++k;
            continue;
        }
        flushChanged();
        std::size_t end = k + 1;
        while (end < incoming.size() && !isRowOf(row, end))
            ++end;
        auto run = take(k, end);
        beginInsertRows({}, int(row), int(row + run.size()) - 1);
        m_entries.insert(m_entries.begin() + std::ptrdiff_t(row), std::make_move_iterator(run.begin()),
            std::make_move_iterator(run.end()));
        endInsertRows();
        row += run.size();
        k = end;
    }
    flushChanged();
}

void TimelineModel::addEntry(const TimelineEntry &entry)
{
    const int existing = rowOf(entry.id);
    if (existing >= 0) {
        auto &current = m_entries[std::size_t(existing)];
        if (current.startMs == entry.startMs) {
            if (!sameEntry(current, entry)) {
                current = entry;
                Q_EMIT dataChanged(index(existing, 0), index(existing, ColumnCount - 1));
            }
            return;
        }
        eraseRows(existing, existing);
    }
    const auto at = std::lower_bound(m_entries.begin(), m_entries.end(), entry, newerFirst);
    const int row = int(at - m_entries.begin());
    if (int(m_entries.size()) >= m_capacity) {
        if (row >= m_capacity)
            return; // older than everything kept
        // Evict first, in its own remove: views never see a row that is about to go.
        eraseRows(int(m_entries.size()) - 1, int(m_entries.size()) - 1);
    }
    beginInsertRows({}, row, row);
    m_entries.insert(m_entries.begin() + row, entry);
    endInsertRows();
}

void TimelineModel::clear()
{
    if (!m_entries.empty())
        eraseRows(0, int(m_entries.size()) - 1);
}

void TimelineModel::eraseRows(int first, int last)
{
    beginRemoveRows({}, first, last);
    m_entries.erase(m_entries.begin() + first, m_entries.begin() + last + 1);
    endRemoveRows();
}

void TimelineModel::resetTo(std::vector<TimelineEntry> entries)
{
    beginResetModel();
    m_entries = std::move(entries);
    endResetModel();
}

const TimelineEntry *TimelineModel::entryAt(int row) const
{
    return row >= 0 && row < int(m_entries.size()) ? &m_entries[std::size_t(row)] : nullptr;
}

int TimelineModel::rowOf(const QString &id) const
{
    const auto it = std::find_if(
        m_entries.cbegin(), m_entries.cend(), [&id](const TimelineEntry &entry) { return entry.id == id; });
    return it == m_entries.cend() ? -1 : int(it - m_entries.cbegin());
}

int TimelineModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int TimelineModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString TimelineModel::timeText(qint64 ms) const
{
    const QDateTime when = QDateTime::fromMSecsSinceEpoch(ms);
    const QDate today = QDateTime::fromMSecsSinceEpoch(m_clock.nowMs()).date();
    return when.toString(when.date() == today ? u"HH:mm:ss"_s : u"yyyy-MM-dd HH:mm:ss"_s);
}

QVariant TimelineModel::displayData(const TimelineEntry &entry, int column) const
{
    switch (Column(column)) {
    case TimeColumn:
        return timeText(entry.startMs);
    case TypeColumn:
        if (entry.origin == TimelineEntry::Origin::Problem && !entry.severity.isEmpty())
            return QString(entry.type + u" ("_s + entry.severity + u')');
        return entry.type;
    case TitleColumn:
        if (!entry.displayId.isEmpty() && !entry.title.contains(entry.displayId))
            return QString(entry.displayId + u' ' + entry.title);
        return entry.title;
    case SourceColumn:
        if (entry.source.isEmpty() && entry.origin == TimelineEntry::Origin::LocalAction)
            return tr("you (Canary Console)");
        return entry.source;
    case StatusColumn:
        return entry.status;
    case ColumnCount:
        break;
    }
    return {};
}

QString TimelineModel::toolTip(const TimelineEntry &entry) const
{
    // Rich text on purpose, so a title that looks like markup is shown, never rendered.
    QString text = u"<b>"_s + entry.title.toHtmlEscaped() + u"</b><br>"_s
        + kindName(kindOf(entry)).toHtmlEscaped() + u" · "_s + entry.type.toHtmlEscaped() + u"<br>"_s
        + tr("Started %1").arg(QDateTime::fromMSecsSinceEpoch(entry.startMs).toString(Qt::ISODate));
    if (entry.endMs && *entry.endMs != entry.startMs)
        text += u"<br>"_s
            + tr("Ended %1").arg(QDateTime::fromMSecsSinceEpoch(*entry.endMs).toString(Qt::ISODate));
    return text;
}

QVariant TimelineModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TimelineEntry &entry = m_entries[std::size_t(index.row())];
    const bool local = entry.origin == TimelineEntry::Origin::LocalAction;

    switch (role) {
    // What is shown is masked (titles and properties are written by whoever may ingest events); the
    // entry and its RemediationActionRole stay as they are, since a backout plan needs its URL to run.
    case Qt::DisplayRole: {
        const QVariant shown = displayData(entry, index.column());
        return shown.typeId() == QMetaType::QString ? QVariant(net::redactSecrets(shown.toString())) : shown;
    }
    case EntryRole:
        return QVariant::fromValue(entry);
    case IdRole:
        return entry.id;
    case OriginRole:
        return int(entry.origin);
    case TypeRole:
        return entry.type;
    case StartRole:
        return entry.startMs;
    case IsConfigurationChangeRole:
        return entry.isConfigurationChange();
    case RemediationActionRole:
        return entry.remediationAction();
    case KindRole:
        return int(kindOf(entry));
    case IsOpenProblemRole:
        return isOpenProblem(entry);
    case Qt::DecorationRole:
        return index.column() == TypeColumn ? QVariant(kindIcon(kindOf(entry))) : QVariant();
    case Qt::ToolTipRole:
        return net::redactSecrets(toolTip(entry));
    case Qt::FontRole:
        // Local actions never pass for Dynatrace's own records; an open problem is what needs eyes now.
        if (local || isOpenProblem(entry)) {
            QFont font;
            font.setItalic(local);
            font.setBold(isOpenProblem(entry));
            return font;
        }
        return {};
    case Qt::ForegroundRole:
        if (isOpenProblem(entry) || (local && entry.status == u"FAILED"_s && index.column() == StatusColumn))
            return QColor(0xb02a37);
        return {};
    case Qt::BackgroundRole:
        return local ? QVariant(QColor(0xe3f4f6)) : QVariant();
    default:
        return {};
    }
}

QVariant TimelineModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case TimeColumn:
        return tr("Time");
    case TypeColumn:
        return tr("Type");
    case TitleColumn:
        return tr("Title");
    case SourceColumn:
        return tr("Source");
    case StatusColumn:
        return tr("Status");
    case ColumnCount:
        break;
    }
    return {};
}

QHash<int, QByteArray> TimelineModel::roleNames() const
{
    auto names = QAbstractTableModel::roleNames();
    names.insert(EntryRole, "entry");
    names.insert(IdRole, "id");
    names.insert(OriginRole, "origin");
    names.insert(TypeRole, "type");
    names.insert(StartRole, "start");
    names.insert(IsConfigurationChangeRole, "isConfigurationChange");
    names.insert(RemediationActionRole, "remediationAction");
    names.insert(KindRole, "kind");
    names.insert(IsOpenProblemRole, "isOpenProblem");
    return names;
}

} // namespace canary::ui
