#include "timelineentry.h"

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

} // namespace canary::session
