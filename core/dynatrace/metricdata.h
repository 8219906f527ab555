#pragma once

#include <optional>
#include <vector>

#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace canary::dynatrace {

// One dimension tuple of one metric: the documented MetricSeries.
struct MetricSeries
{
    QMap<QString, QString> dimensionMap; // keys whose value is a string
    QStringList nullDimensions; // keys present with JSON null: the top-X remainder tuple
    std::vector<qint64> timestamps; // epoch ms, end of each slot
    std::vector<std::optional<double>> values; // nullopt where the slot had no data

    bool isRemainderFor(const QString &dimensionKey) const { return nullDimensions.contains(dimensionKey); }
};

// One entry of MetricData.result: one metric expression of the selector.
struct MetricSeriesCollection
{
    QString metricId; // echoes the selector part, transformations included
    double dataPointCountRatio = 0;
    double dimensionCountRatio = 0;
    QStringList warnings;
    std::vector<MetricSeries> data;
};

// GET /api/v2/metrics/query
struct MetricData
{
    qint64 totalCount = 0; // primary entities, not series
    QString resolution;
    QStringList warnings;
    std::vector<MetricSeriesCollection> result;
};

struct DimensionDefinition
{
    QString key;
    QString name;
    QString displayName;
    QString type; // ENTITY | STRING | NUMBER | OTHER
    int index = 0;
};

// GET /api/v2/metrics/{metricKey}
struct MetricDescriptor
{
    QString metricId;
    QString displayName;
    QString description;
    QString unit;
    QStringList entityType;
    QStringList aggregationTypes;
    QString defaultAggregation;
    std::vector<DimensionDefinition> dimensionDefinitions;
    bool resolutionInfSupported = false;

    bool hasDimension(const QString &key) const;
};

} // namespace canary::dynatrace

Q_DECLARE_METATYPE(canary::dynatrace::MetricData)
Q_DECLARE_METATYPE(canary::dynatrace::MetricDescriptor)
