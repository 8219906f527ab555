#include "metricregistry.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

bool MetricRegistry::isCalculated(const MetricDefinition &metric)
{
    return metric.key.startsWith(u"calc:"_s);
}

const MetricDefinition *MetricRegistry::find(const QString &key) const
{
    for (const MetricDefinition &metric : MetricDefinition::all()) {
        // Without the workshop's metrics, a created one may carry one of their keys.
        if (metric.key == key && (!isCalculated(metric) || m_workshopMetrics))
            return &metric;
    }
    for (const MetricDefinition &metric : m_created) {
        if (metric.key == key)
            return &metric;
    }
    return nullptr;
}

std::vector<const MetricDefinition *> MetricRegistry::calculated() const
{
    std::vector<const MetricDefinition *> metrics;
    if (m_workshopMetrics) {
        for (const MetricDefinition &metric : MetricDefinition::all()) {
            if (isCalculated(metric))
                metrics.push_back(&metric);
        }
    }
    for (const MetricDefinition &metric : m_created)
        metrics.push_back(&metric);
    return metrics;
}

std::vector<const MetricDefinition *> MetricRegistry::all() const
{
    std::vector<const MetricDefinition *> metrics;
    for (const MetricDefinition &metric : MetricDefinition::all()) {
        if (!isCalculated(metric))
            metrics.push_back(&metric);
    }
    for (const MetricDefinition *metric : calculated())
        metrics.push_back(metric);
    return metrics;
}

int MetricRegistry::calculatedFor(const QString &serviceId) const
{
    int count = 0;
    for (const MetricDefinition *metric : calculated())
        count += metric->entityId.isEmpty() || metric->entityId == serviceId ? 1 : 0;
    return count;
}

const MetricDefinition &MetricRegistry::add(MetricDefinition metric)
{
    return m_created.emplace_back(std::move(metric));
}

} // namespace canary::sim
