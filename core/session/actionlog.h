#pragma once

#include <deque>

#include <QObject>

#include "timelineentry.h"

namespace canary {
class Clock;
}

namespace canary::session {

// What the operator did in this app (traffic changes, failures, ramps), for the timeline beside Dynatrace's
// own records. In memory and bounded; the durable, tamper-evident audit log is a separate store.
class ActionLog final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ActionLog)

public:
    static constexpr std::size_t DefaultCapacity = 1000;

    explicit ActionLog(const Clock &clock, QObject *parent = nullptr);

    // Adds one local action now; returns it as it will show in the timeline.
    TimelineEntry add(const QString &kind, const QString &title, bool succeeded,
        const QMap<QString, QString> &properties = {});
    const std::deque<TimelineEntry> &entries() const { return m_entries; }

Q_SIGNALS:
    void actionAdded(const canary::session::TimelineEntry &entry);

private:
    const Clock &m_clock;
    std::deque<TimelineEntry> m_entries; // oldest first
    quint64 m_next = 1;
};

} // namespace canary::session
