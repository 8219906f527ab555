#pragma once

#include <optional>
#include <vector>

#include <QMetaType>
#include <QString>

#include "dynatrace/apierror.h"
#include "dynatrace/metricdata.h"
#include "util/expected.h"

namespace canary::session {

// One build's request counts over the chart window, and its health where the tenant has the metrics. Gaps
// (no data in a slot) stay gaps.
struct BuildSeries
{
    QString build; // the build dimension's value; "other builds" for the remainder tuple
    bool isRemainder = false; // Dynatrace merged builds beyond its top-X into this tuple
    std::vector<qint64> timestamps; // epoch ms, end of each slot
    std::vector<std::optional<double>> values; // nullopt: no data in that slot
    // Failed requests per slot, aligned with `timestamps`; empty when the failure metric is not fetched
    // (Snapshot::hasFailures).
    std::vector<std::optional<double>> failures {};
    // Mean response time per slot in milliseconds, aligned with `timestamps`; empty when the response-time
    // metric is not fetched (Snapshot::hasResponseTime).
    std::vector<std::optional<double>> responseTimeMs {};

    double total() const;
    // The newest complete slot (one that ended by `nowMs`); nullopt when the build had no requests in it.
    std::optional<double> latestComplete(qint64 nowMs) const;
};

// The latest picture of the target, as the GUI and the CLI show it.
struct Snapshot
{
    qint64 fetchedAtMs = 0; // 0: nothing fetched yet
    QString resolution;
    QString buildDimension;
    QString metricSelector; // the selector actually sent
    std::vector<BuildSeries> builds;
    bool hasFailures = false; // every build's `failures` is filled
    bool hasResponseTime = false; // every build's `responseTimeMs` is filled
    // Why health data is missing, for the operator: "calc:service.failures_by_build does not exist on this
    // tenant: …". Empty when both are there.
    QString healthNote {};

    bool isEmpty() const { return fetchedAtMs == 0; }
};

QString remainderLabel();

// Turns the per-build request-count result into one series per build, ordered by build name with the
// remainder last. Fails when the first result has series that do not carry the build dimension at all.
Expected<std::vector<BuildSeries>, dynatrace::ApiError> buildSeriesFrom(
    const dynatrace::MetricData &data, const QString &buildDimension);

// The values of another per-build metric in `build`'s slots: for each of its timestamps, the value of the
// series in `collection` holding the same build under `buildDimension` (the remainder matches the remainder),
// times `scale`; nullopt where that series has no value or there is no such series.
std::vector<std::optional<double>> alignedValues(const BuildSeries &build,
    const dynatrace::MetricSeriesCollection &collection, const QString &buildDimension, double scale = 1.0);

} // namespace canary::session

Q_DECLARE_METATYPE(canary::session::Snapshot)
