#pragma once

#include <vector>

#include <QString>
#include <QStringList>

#include "metricexpression.h"

namespace canary::sim {

// One metric the simulated tenant serves. The calc: metrics carry the Build dimension a calculated service
// metric adds; the builtin: ones have only dt.entity.service, which is why they cannot split by build.
struct MetricDefinition
{
    enum class Kind { Requests, Failures, ResponseTime };

    QString key;
    QString displayName;
    QString description;
    QString unit; // Count | MicroSecond
    Kind kind = Kind::Requests;
    bool perBuild = false;
    Aggregation defaultAggregation = Aggregation::Value;

    bool isCount() const { return kind != Kind::ResponseTime; }
    QStringList dimensionKeys() const;
    // What :auto and :value mean for this metric: sum for counts, avg for response time.
    Aggregation resolve(Aggregation aggregation) const;

    static const QString ServiceDimension; // dt.entity.service
    static const QString ServiceNameDimension; // dt.entity.service.name (added by :names)
    static const QString BuildDimension; // Build

    static const std::vector<MetricDefinition> &all();
    static const MetricDefinition *find(const QString &key);
};

} // namespace canary::sim
