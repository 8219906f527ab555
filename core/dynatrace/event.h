#pragma once

#include <optional>
#include <vector>

#include <QMap>
#include <QMetaType>
#include <QString>

namespace canary::dynatrace {

// One event of GET /api/v2/events, whichever pipeline generation wrote it (v2 ingest, v1 ingest read back
// through v2, the workshop's resets with remediationAction "NA").
struct Event
{
    QString eventId; // "<long>_<startMs>"
    QString eventType; // CUSTOM_CONFIGURATION, CUSTOM_DEPLOYMENT, ERROR_EVENT, … (unknown types kept as text)
    QString title; // may be empty in odd payloads: the UI falls back to the type
    qint64 startMs = 0;
    std::optional<qint64> endMs; // nullopt while open (Dynatrace sends -1 or null)
    QString status; // OPEN | CLOSED (as sent)
    QString entityId; // e.g. SERVICE-…; empty when absent
    QString entityName;
    QString correlationId;
    QMap<QString, QString> properties; // every property as text, whatever shape it came in

    bool isOpen() const { return status == QStringLiteral("OPEN") || !endMs; }
    bool isConfigurationChange() const
    {
        return eventType == QStringLiteral("CUSTOM_CONFIGURATION")
            || eventType == QStringLiteral("CUSTOM_DEPLOYMENT");
    }
    // The backout plan the workshop records on a change: remediationAction / remediationType (empty when
    // the event carries none).
    QString remediationAction() const { return properties.value(QStringLiteral("remediationAction")); }
    QString remediationType() const { return properties.value(QStringLiteral("remediationType")); }
};

// One page of GET /api/v2/events.
struct EventPage
{
    qint64 totalCount = 0;
    QString nextPageKey; // empty: the last page
    std::vector<Event> events;
};

struct EntityStub
{
    QString id;
    QString type;
    QString name;
};

// One problem of GET /api/v2/problems.
struct Problem
{
    QString problemId; // the long id: paths and deep links use it
    QString displayId; // P-230726, for people
    QString title;
    QString status; // OPEN | CLOSED
    QString severityLevel; // AVAILABILITY | ERROR | PERFORMANCE | …
    QString impactLevel; // APPLICATION | SERVICES | INFRASTRUCTURE | ENVIRONMENT
    std::optional<EntityStub> rootCause;
    std::vector<EntityStub> affectedEntities;
    std::vector<EntityStub> impactedEntities;
    qint64 startMs = 0;
    std::optional<qint64> endMs; // nullopt while open (-1 on the wire)

    bool isOpen() const { return status == QStringLiteral("OPEN"); }
};

struct ProblemPage
{
    qint64 totalCount = 0;
    QString nextPageKey;
    std::vector<Problem> problems;
};

} // namespace canary::dynatrace

Q_DECLARE_METATYPE(canary::dynatrace::Event)
Q_DECLARE_METATYPE(canary::dynatrace::Problem)
