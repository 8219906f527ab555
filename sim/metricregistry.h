#pragma once

#include <deque>
#include <vector>

#include <QString>

#include "metricdefinition.h"

namespace canary::sim {

// Every metric the simulated tenant knows: the built-in service metrics, the workshop's calculated ones
// (which a fresh tenant does not have yet, see setWorkshopMetrics()) and those created through
// POST /api/config/v1/calculatedMetrics/service. The metrics API and the config API read the same registry,
// so a created metric is queryable at once.
class MetricRegistry
{
public:
    // Dynatrace's limits on calculated service metrics.
    static constexpr int MaxPerEnvironment = 500;
    static constexpr int MaxPerService = 100;

    // Off: the tenant starts without calc:service.requests_by_build and its siblings, as a tenant where
    // nobody created them yet.
    void setWorkshopMetrics(bool present) { m_workshopMetrics = present; }
    bool hasWorkshopMetrics() const { return m_workshopMetrics; }

    const MetricDefinition *find(const QString &key) const;
    // Every metric find() would answer: the built-in ones, then calculated() in its order.
    std::vector<const MetricDefinition *> all() const;
    // The calculated metrics, workshop ones first, then the created ones in creation order.
    std::vector<const MetricDefinition *> calculated() const;
    // How many calculated metrics count `serviceId`'s requests (those without an entityId count every one).
    int calculatedFor(const QString &serviceId) const;
    // Stores a created metric; the caller checked the key is new. Pointers from find() stay valid.
    const MetricDefinition &add(MetricDefinition metric);

private:
    static bool isCalculated(const MetricDefinition &metric);

    bool m_workshopMetrics = true;
    std::deque<MetricDefinition> m_created;
};

} // namespace canary::sim
