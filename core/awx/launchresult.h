#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include "job.h"

namespace canary::awx {

// The 201 answer of POST job_templates/{id}/launch/: the whole new job plus "job" and "ignored_fields".
struct LaunchResult
{
    int jobId = 0;
    QString jobUrl; // server-relative: "/api/v2/jobs/1190/"
    // What AWX accepted the launch without: {"extra_vars":{"canary_weight":25}, "limit":"web"}. A 201 with a
    // non-empty value still starts the job, just without these.
    QJsonObject ignoredFields;
    Job job; // as created, usually "pending"

    bool hasIgnoredFields() const { return !ignoredFields.isEmpty(); }
    // The extra variables AWX dropped, sorted: ["canary_weight", "old_weight"].
    QStringList ignoredExtraVars() const;
    // Every dropped field, extra variables spelled "extra_vars.<name>": ["extra_vars.canary_weight",
    // "limit"].
    QStringList ignoredFieldNames() const;
};

} // namespace canary::awx

Q_DECLARE_METATYPE(canary::awx::LaunchResult)
