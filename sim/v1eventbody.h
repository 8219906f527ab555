#pragma once

#include <optional>

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include "simerror.h"
#include "taginfo.h"
#include "util/expected.h"

namespace canary::sim {

struct ServiceInfo;

// The body of POST /api/v1/events (EventCreation), read the way the v1 API reads it, with the workshop's
// quirks (seed-workshop.md §3): attachRules.tagRule as one object instead of an array, tags as
// {context,key,value} objects or as "[Context]key:value" strings, and the Jenkins library's extra top-level
// "tags" (ignored). What v1 has as fields of its own ends up where the v2 API shows it: the title (the
// description where the type has no title) and dt.event.* properties beside customProperties.
struct V1EventBody
{
    // One tag rule of attachRules: entities of these types (none: any) carrying every one of these tags.
    struct TagRule
    {
        QStringList meTypes;
        QList<TagInfo> tags;

        bool matches(const ServiceInfo &service) const;
    };

    QString v1Type; // as sent: RESOURCE_CONTENTION
    QString eventType; // as v2 spells it: RESOURCE_CONTENTION_EVENT
    QString title;
    std::optional<qint64> start;
    std::optional<qint64> end;
    qint64 timeoutMinutes = 15;
    QStringList entityIds;
    QList<TagRule> tagRules;
    // customProperties, plus dt.event.description, dt.event.source, dt.event.configuration, … from the
    // body's own fields.
    QMap<QString, QString> properties;

    bool attachesTo(const ServiceInfo &service) const;

    // The body, or a 400 listing every constraint it violates (per-type required fields included).
    static canary::Expected<V1EventBody, SimError> parse(const QByteArray &json);
};

} // namespace canary::sim
