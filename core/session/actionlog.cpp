#include "actionlog.h"

#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::session {

ActionLog::ActionLog(const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
{ }

TimelineEntry ActionLog::add(
    const QString &kind, const QString &title, bool succeeded, const QMap<QString, QString> &properties)
{
    TimelineEntry entry;
    entry.origin = TimelineEntry::Origin::LocalAction;
    entry.id = u"local-%1"_s.arg(m_next++);
    entry.type = kind;
    entry.title = title.isEmpty() ? kind : title;
    entry.source = u"you (Canary Console)"_s;
    entry.status = succeeded ? u"OK"_s : u"FAILED"_s;
    entry.startMs = m_clock.nowMs();
    entry.endMs = entry.startMs;
    entry.properties = properties;
    m_entries.push_back(entry);
    if (m_entries.size() > DefaultCapacity)
        m_entries.pop_front();
    Q_EMIT actionAdded(entry);
    return entry;
}

} // namespace canary::session
