#include "timelineentry.h"

#include <cstdlib>

#include <QObject>

using namespace Qt::Literals::StringLiterals;

namespace canary::session {

TimelineEntry TimelineEntry::fromEvent(const dynatrace::Event &event)
{
    TimelineEntry entry;
    entry.origin = Origin::Event;
    entry.id = event.eventId;
    entry.type = event.eventType.isEmpty() ? u"UNKNOWN"_s : event.eventType;
    entry.title = event.title.trimmed().isEmpty() ? entry.type : event.title;
    // v1 ingests keep their "source" as dt.event.source; v2 ingests from this app name themselves.
    entry.source = event.properties.value(u"dt.event.source"_s);
    if (entry.source.isEmpty() && event.properties.contains(u"canary.change.id"_s))
        entry.source = u"Canary Console"_s;
    entry.status = event.status;
    entry.startMs = event.startMs;
    entry.endMs = event.endMs;
    entry.properties = event.properties;
    if (!event.entityName.isEmpty() || !event.entityId.isEmpty())
        entry.properties.insert(u"entity"_s,
            event.entityName.isEmpty() ? event.entityId : event.entityName + u" ("_s + event.entityId + u')');
    return entry;
}

TimelineEntry TimelineEntry::fromProblem(const dynatrace::Problem &problem)
{
    TimelineEntry entry;
    entry.origin = Origin::Problem;
    entry.id = problem.problemId;
    entry.type = u"PROBLEM"_s;
    entry.title = problem.title.trimmed().isEmpty() ? problem.displayId : problem.title;
    entry.source = u"Davis"_s;
    entry.status = problem.status;
    entry.startMs = problem.startMs;
    entry.endMs = problem.endMs;
    entry.displayId = problem.displayId;
    entry.severity = problem.severityLevel;
    entry.properties.insert(u"displayId"_s, problem.displayId);
    entry.properties.insert(u"severityLevel"_s, problem.severityLevel);
    entry.properties.insert(u"impactLevel"_s, problem.impactLevel);
    if (problem.rootCause)
        entry.properties.insert(u"rootCause"_s,
            problem.rootCause->name.isEmpty()
                ? problem.rootCause->id
                : problem.rootCause->name + u" ("_s + problem.rootCause->id + u')');
    return entry;
}

std::vector<TimelineEntry> combineTimeline(const std::vector<dynatrace::Event> &events,
    const std::vector<dynatrace::Problem> &problems, const std::deque<TimelineEntry> &actions,
    qint64 matchWindowMs)
{
    std::vector<TimelineEntry> entries;
    entries.reserve(events.size() + problems.size() + actions.size());
    for (const auto &event : events)
        entries.push_back(TimelineEntry::fromEvent(event));
    for (const auto &problem : problems)
        entries.push_back(TimelineEntry::fromProblem(problem));
    entries.insert(entries.end(), actions.begin(), actions.end());
    matchOutsideChanges(entries, matchWindowMs);
    return entries;
}

void matchOutsideChanges(std::vector<TimelineEntry> &entries, qint64 matchWindowMs)
{
    const QString external = u"TRAFFIC_CHANGE_EXTERNAL"_s;
    std::vector<bool> taken(entries.size(), false);
    for (TimelineEntry &change : entries) {
        if (change.origin != TimelineEntry::Origin::LocalAction || change.type != external)
            continue;
        // "70/30": the canary's share is what the event's title names.
        const QString split = change.properties.value(u"split.new"_s);
        const QString canary = split.section(u'/', 1, 1);
        if (canary.isEmpty())
            continue;
        const QString title = u"Canary weight set to %1"_s.arg(canary);
        std::optional<std::size_t> best;
        qint64 bestDistance = 0;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const TimelineEntry &event = entries[i];
            if (taken[i] || !event.isConfigurationChange())
                continue;
            const QString recordedSplit = event.properties.value(u"canary.split.new"_s);
            if (event.title.trimmed() != title && recordedSplit != split)
                continue;
            const qint64 distance = std::abs(event.startMs - change.startMs);
            if (distance > matchWindowMs || (best && distance >= bestDistance))
                continue;
            best = i;
            bestDistance = distance;
        }
        if (!best)
            continue;
        taken[*best] = true;
        const TimelineEntry &event = entries[*best];
        QString by = event.properties.value(u"canary.operator"_s);
        if (by.isEmpty())
            by = event.source;
        change.properties.insert(u"split.recordedAs"_s, event.title);
        change.properties.insert(u"split.recordedEventId"_s, event.id);
        if (!by.isEmpty()) {
            change.properties.insert(u"split.recordedBy"_s, by);
            change.title += QObject::tr(" — recorded in Dynatrace by %1").arg(by);
        } else {
            change.title += QObject::tr(" — recorded in Dynatrace as \"%1\"").arg(event.title);
        }
    }
}

} // namespace canary::session
