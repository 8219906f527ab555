#pragma once

#include <optional>
#include <vector>

#include <QString>
#include <QStringList>

#include "metricexpression.h"

namespace canary::sim {

// One metric the simulated tenant serves. The calc: metrics carry the Build dimension a calculated service
// metric adds; the builtin: ones have only dt.entity.service, which is why they cannot split by build.
struct MetricDefinition
{
    enum class Kind { Requests, Failures, Successes, ResponseTime };

    QString key;
    QString displayName;
    QString description;
    QString unit; // Count | MicroSecond
    Kind kind = Kind::Requests;
    bool perBuild = false;
    Aggregation defaultAggregation = Aggregation::Value;
    // What a calculated metric created through the config API chose; the workshop's have the defaults.
    QString buildDimension = BuildDimension; // the dimension key: the dimension's name
    bool byRelease
        = false; // APPLICATION_RELEASE_VERSION (1.0.0) rather than the build version (1.0.0-034c71)
    std::optional<qint64> recordsFromMs {}; // no backfill: nothing before this instant
    QString entityId {}; // the one service it counts; empty: the world's service
    bool enabled = true;

    bool isCount() const { return kind != Kind::ResponseTime; }
    QStringList dimensionKeys() const;
    // Whether the metric records the requests of `serviceId` at all.
    bool counts(const QString &serviceId) const
    {
        return enabled && (entityId.isEmpty() || entityId == serviceId);
    }
    // What :auto and :value mean for this metric: sum for counts, avg for response time.
    Aggregation resolve(Aggregation aggregation) const;

    static const QString ServiceDimension; // dt.entity.service
    static const QString ServiceNameDimension; // dt.entity.service.name (added by :names)
    static const QString BuildDimension; // Build

    static const std::vector<MetricDefinition> &all();
    static const MetricDefinition *find(const QString &key);
};

} // namespace canary::sim
