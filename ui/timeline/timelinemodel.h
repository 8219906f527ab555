#pragma once

#include <array>
#include <vector>

#include <QAbstractTableModel>
#include <QColor>
#include <QIcon>

#include "session/timelineentry.h"

namespace canary {
class Clock;
}

namespace canary::ui {

// The event timeline, newest first: Dynatrace events and problems beside what the operator did here.
// Bounded like a log (the oldest entries drop out), and refreshed row by row so a selection survives.
class TimelineModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimelineModel)

public:
    static constexpr int DefaultCapacity = 10'000;

    enum Column { TimeColumn, TypeColumn, TitleColumn, SourceColumn, StatusColumn, ColumnCount };
    enum Role {
        EntryRole = Qt::UserRole + 1, // the whole session::TimelineEntry
        IdRole,
        OriginRole, // int(session::TimelineEntry::Origin)
        TypeRole,
        StartRole, // epoch ms
        IsConfigurationChangeRole,
        RemediationActionRole,
        KindRole, // int(Kind)
        IsOpenProblemRole,
    };

    // What the timeline tells apart by icon and filter; one flag each so filters combine.
    enum class Kind {
        ConfigurationChange = 0x01,
        Deployment = 0x02,
        Problem = 0x04, // Davis problems and error-like events
        Other = 0x08,
        LocalAction = 0x10,
    };
    Q_DECLARE_FLAGS(Kinds, Kind)
    static constexpr std::array<Kind, 5> AllKindsInOrder { Kind::ConfigurationChange, Kind::Deployment,
        Kind::Problem, Kind::Other, Kind::LocalAction };
    static Kinds allKinds();

    static Kind kindOf(const session::TimelineEntry &entry);
    static QString kindName(Kind kind);
    static QColor kindColor(Kind kind);
    static QIcon kindIcon(Kind kind);
    static bool isOpenProblem(const session::TimelineEntry &entry);

    explicit TimelineModel(const Clock &clock, QObject *parent = nullptr);

    // The number of entries kept; older ones drop out. Shrinking evicts at once.
    void setCapacity(int capacity);
    int capacity() const { return m_capacity; }

    // Replaces the timeline with `entries` (any order, duplicate ids keep the newest start): rows that stay
    // are updated in place, new ones inserted and vanished ones removed, so views keep their selection.
    void setEntries(std::vector<session::TimelineEntry> entries);
    // Adds or updates one entry between two refreshes (e.g. a local action just done). A later
    // setEntries() is the whole truth again, so it must include the entry to keep it.
    void addEntry(const session::TimelineEntry &entry);
    void clear();

    const std::vector<session::TimelineEntry> &entries() const { return m_entries; }
    const session::TimelineEntry *entryAt(int row) const;
    int rowOf(const QString &id) const; // -1 when absent

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    QString timeText(qint64 ms) const;
    QVariant displayData(const session::TimelineEntry &entry, int column) const;
    QString toolTip(const session::TimelineEntry &entry) const;
    void eraseRows(int first, int last);
    void resetTo(std::vector<session::TimelineEntry> entries);

    const Clock &m_clock;
    std::vector<session::TimelineEntry> m_entries; // newest first, ids unique, at most m_capacity
    int m_capacity = DefaultCapacity;
};

} // namespace canary::ui

Q_DECLARE_OPERATORS_FOR_FLAGS(canary::ui::TimelineModel::Kinds)
