#pragma once

#include <optional>

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include "apierror.h"
#include "util/expected.h"

namespace canary::dynatrace {

// One event for POST /api/v2/events/ingest. Only eventType and title are required; everything left empty is
// left out of the body so Dynatrace applies its own defaults (start = now, timeout = 15 min, the environment
// entity when there is no selector).
struct EventIngest
{
    static constexpr qsizetype MaxProperties = 100;

    QString eventType; // CUSTOM_CONFIGURATION, CUSTOM_INFO, CUSTOM_DEPLOYMENT, ERROR_EVENT, …
    QString title;
    QString entitySelector; // empty: the environment entity; otherwise one event per matched entity
    std::optional<qint64> startTimeMs;
    std::optional<qint64> endTimeMs;
    std::optional<int> timeoutMinutes; // Dynatrace caps it at 360
    QMap<QString, QString> properties; // a flat string map; keys under dt.* only dt.event/davis/entity.*

    // What Dynatrace would refuse, checked before anything is sent: the violations, none when it is fine.
    QList<ConstraintViolation> violations() const;
    // The JSON body. Keys appear in the documented order; properties sorted by key.
    QByteArray toJson() const;
};

// One entry of eventIngestResults: one per entity the selector matched.
struct EventIngestResult
{
    QString correlationId;
    QString status; // OK | INVALID_ENTITY_TYPE | INVALID_METADATA | INVALID_TIMESTAMPS

    bool isOk() const;
};

// Dynatrace's answer to an ingest (201), or the note that nothing was sent because recording is off.
struct IngestReport
{
    int reportCount = 0; // entities the selector matched: 0 means no event exists anywhere
    QList<EventIngestResult> results;
    // Nothing was sent on purpose (ChangeRecorder disabled because the back-end posts the event itself).
    bool skipped = false;

    // At least one event and every one stored. False for a skipped report: check `skipped` first.
    bool allAccepted() const;
    QStringList correlationIds() const;
    // Why allAccepted() is false, in words for a status bar; empty when it is true.
    // "Dynatrace accepted the request but stored no event: INVALID_METADATA"
    QString failureText() const;
};

using IngestResult = Expected<IngestReport, ApiError>;

// {"reportCount":N,"eventIngestResults":[{"correlationId":…,"status":…}]}. Only the shape is checked here:
// statuses other than OK are data, which EventsClient turns into an error.
Expected<IngestReport, ApiError> parseIngestReport(QByteArrayView json);

} // namespace canary::dynatrace

Q_DECLARE_METATYPE(canary::dynatrace::IngestReport)
