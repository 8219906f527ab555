#pragma once

#include <QDateTime>
#include <QMap>
#include <QString>

#include "session/timelineentry.h"

// Builders for timeline entries shaped like what the events and problems clients and the action log give.
namespace canary::testing {

using session::TimelineEntry;

// A Tuesday noon in local time, so "today" and "not today" do not depend on the machine's time zone.
inline qint64 localNoonMs()
{
    return QDateTime(QDate(2024, 5, 14), QTime(12, 0)).toMSecsSinceEpoch();
}

inline TimelineEntry eventEntry(const QString &id, qint64 startMs,
    const QString &type = QStringLiteral("CUSTOM_INFO"), const QString &title = {},
    const QMap<QString, QString> &properties = {})
{
    TimelineEntry entry;
    entry.origin = TimelineEntry::Origin::Event;
    entry.id = id;
    entry.type = type;
    entry.title = title.isEmpty() ? type : title;
    entry.source = QStringLiteral("Jenkins");
    entry.status = QStringLiteral("CLOSED");
    entry.startMs = startMs;
    entry.endMs = startMs + 60'000;
    entry.properties = properties;
    return entry;
}

inline TimelineEntry configurationChange(const QString &id, qint64 startMs, const QString &title,
    const QString &remediationAction = QStringLiteral("9"),
    const QString &remediationType = QStringLiteral("ansible"))
{
    QMap<QString, QString> properties;
    if (!remediationAction.isEmpty())
        properties.insert(QStringLiteral("remediationAction"), remediationAction);
    if (!remediationType.isEmpty())
        properties.insert(QStringLiteral("remediationType"), remediationType);
    return eventEntry(id, startMs, QStringLiteral("CUSTOM_CONFIGURATION"), title, properties);
}

inline TimelineEntry problemEntry(
    const QString &id, qint64 startMs, const QString &status = QStringLiteral("OPEN"))
{
    TimelineEntry entry;
    entry.origin = TimelineEntry::Origin::Problem;
    entry.id = id;
    entry.type = QStringLiteral("PROBLEM");
    entry.title = QStringLiteral("Failure rate increase");
    entry.source = QStringLiteral("Davis");
    entry.status = status;
    entry.startMs = startMs;
    if (status != QStringLiteral("OPEN"))
        entry.endMs = startMs + 300'000;
    entry.displayId = QStringLiteral("P-230726");
    entry.severity = QStringLiteral("ERROR");
    entry.properties = { { QStringLiteral("displayId"), entry.displayId },
        { QStringLiteral("severityLevel"), entry.severity } };
    return entry;
}

inline TimelineEntry localAction(
    const QString &id, qint64 startMs, const QString &title, const QString &status = QStringLiteral("OK"))
{
    TimelineEntry entry;
    entry.origin = TimelineEntry::Origin::LocalAction;
    entry.id = id;
    entry.type = QStringLiteral("TRAFFIC_CHANGE");
    entry.title = title;
    entry.source = QStringLiteral("you (Canary Console)");
    entry.status = status;
    entry.startMs = startMs;
    entry.endMs = startMs;
    return entry;
}

} // namespace canary::testing
