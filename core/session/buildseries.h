#pragma once

#include <optional>
#include <vector>

#include <QMetaType>
#include <QString>

#include "dynatrace/apierror.h"
#include "dynatrace/metricdata.h"
#include "util/expected.h"

namespace canary::session {

// One build's request counts over the chart window. Gaps (no data in a slot) stay gaps.
struct BuildSeries
{
    QString build; // the build dimension's value; "other builds" for the remainder tuple
    bool isRemainder = false; // Dynatrace merged builds beyond its top-X into this tuple
    std::vector<qint64> timestamps; // epoch ms, end of each slot
    std::vector<std::optional<double>> values; // nullopt: no data in that slot

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

    bool isEmpty() const { return fetchedAtMs == 0; }
};

QString remainderLabel();

// Turns the per-build request-count result into one series per build, ordered by build name with the
// remainder last. Fails when the first result has series that do not carry the build dimension at all.
Expected<std::vector<BuildSeries>, dynatrace::ApiError> buildSeriesFrom(
    const dynatrace::MetricData &data, const QString &buildDimension);

} // namespace canary::session

Q_DECLARE_METATYPE(canary::session::Snapshot)
