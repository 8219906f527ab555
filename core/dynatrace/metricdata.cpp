#include "metricdata.h"

namespace canary::dynatrace {

bool MetricDescriptor::hasDimension(const QString &key) const
{
    for (const auto &definition : dimensionDefinitions) {
        if (definition.key == key)
            return true;
    }
    return false;
}

} // namespace canary::dynatrace
