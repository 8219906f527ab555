#pragma once

#include <optional>

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include "buildseries.h"

namespace canary::session {

// `canaryctl status --json`: {"builds":[{"build":…,"total":N,"points":[[epochMs, value|null],…]}], …};
// with health data each build also has "failures", "failureRate", "responseTimeMs" (request-weighted mean)
// and their per-slot "failurePoints" / "responseTimePoints"; "healthNote" says why health data is missing.
// `extra` members (the verdict, the build roles) are added at the top level.
QByteArray statusJson(const Snapshot &snapshot, const QString &entitySelector, const QJsonObject &extra = {});

// `canaryctl status`: a small table, one line per build, for people; failure rate and response time
// columns when the snapshot has them.
QString statusText(const Snapshot &snapshot, qint64 nowMs);

// A build's failure rate over the window (0..1) and its request-weighted mean response time (ms); nullopt
// without health data or requests.
std::optional<double> failureRateOf(const BuildSeries &build);
std::optional<double> meanResponseTimeOf(const BuildSeries &build);

} // namespace canary::session
