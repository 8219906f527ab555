#pragma once

#include <optional>

#include <QByteArray>
#include <QString>

#include "simerror.h"
#include "util/expected.h"

namespace canary::sim {

class MetricRegistry;
class World;

// The query parameters of GET /api/v2/metrics/query, already decoded; absent ones are nullopt.
struct MetricsQuery
{
    std::optional<QString> metricSelector;
    std::optional<QString> entitySelector;
    std::optional<QString> from;
    std::optional<QString> to;
    std::optional<QString> resolution;
};

// The query parameters of GET /api/v2/metrics (the metric list), already decoded.
struct MetricListQuery
{
    std::optional<QString> metricSelector; // absent: every metric
    std::optional<QString> fields;
    std::optional<QString> pageSize;
};

// Answers the metrics API from the world's per-second aggregates: MetricData and MetricDescriptor bodies in
// exactly the shape a Dynatrace tenant sends, or the error a tenant would give for the same request. The
// metrics come from `registry`, so calculated metrics created later are served as soon as they exist.
class MetricsEngine
{
public:
    MetricsEngine(World &world, const MetricRegistry &registry);

    canary::Expected<QByteArray, SimError> query(const MetricsQuery &query);
    canary::Expected<QByteArray, SimError> descriptor(const QString &metricKey);
    // MetricDescriptorCollection: the descriptors of the keys a selector names (comma-separated, quoted or
    // not, or a trailing-* wildcard such as calc:service.*) with the properties `fields` asks for.
    canary::Expected<QByteArray, SimError> list(const MetricListQuery &query);

private:
    World &m_world;
    const MetricRegistry &m_registry;
};

} // namespace canary::sim
