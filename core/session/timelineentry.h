#pragma once

#include <deque>
#include <optional>
#include <vector>

#include <QMap>
#include <QMetaType>
#include <QString>

#include "dynatrace/event.h"

namespace canary::session {

// One line of the timeline, whatever it came from: a Dynatrace event, a Dynatrace problem, or something the
// operator did in this app (kept apart so they never pass for Dynatrace's own records).
struct TimelineEntry
{
    enum class Origin { Event, Problem, LocalAction };

    Origin origin = Origin::Event;
    QString id; // eventId, problemId, or a local id ("local-<n>")
    QString type; // eventType; "PROBLEM"; or the local action kind ("TRAFFIC_CHANGE", …)
    QString title; // never empty: falls back to the type
    QString source; // "Jenkins", "Canary Console", dt.event.source, … (empty when unknown)
    QString status; // OPEN | CLOSED, or for local actions "OK" / "FAILED"
    qint64 startMs = 0;
    std::optional<qint64> endMs;
    QString displayId; // problems: P-230726
    QString severity; // problems: ERROR, …
    QMap<QString, QString> properties;

    bool isConfigurationChange() const
    {
        return origin == Origin::Event
            && (type == QStringLiteral("CUSTOM_CONFIGURATION")
                || type == QStringLiteral("CUSTOM_DEPLOYMENT"));
    }
    QString remediationAction() const { return properties.value(QStringLiteral("remediationAction")); }
    QString remediationType() const { return properties.value(QStringLiteral("remediationType")); }

    static TimelineEntry fromEvent(const dynatrace::Event &event);
    static TimelineEntry fromProblem(const dynatrace::Problem &problem);
};

// The timeline's rows: Dynatrace's events and problems and this console's own actions. A traffic change seen
// made outside ("TRAFFIC_CHANGE_EXTERNAL") is matched with the event its maker recorded — "Canary weight set
// to N" from a pipeline or another console, started within `matchWindowMs` of when it was seen — and says so
// (properties split.recordedAs, split.recordedBy, split.recordedEventId): one change, told from both sides.
std::vector<TimelineEntry> combineTimeline(const std::vector<dynatrace::Event> &events,
    const std::vector<dynatrace::Problem> &problems, const std::deque<TimelineEntry> &actions,
    qint64 matchWindowMs);

// The matching alone, on rows already combined; each event matches at most one change, the nearest in time.
void matchOutsideChanges(std::vector<TimelineEntry> &entries, qint64 matchWindowMs);

} // namespace canary::session

Q_DECLARE_METATYPE(canary::session::TimelineEntry)
