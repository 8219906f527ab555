#pragma once

#include <QByteArray>

#include "metricdefinition.h"
#include "simerror.h"
#include "util/expected.h"

namespace canary::sim {

// The body of POST /api/config/v1/calculatedMetrics/service (CalculatedServiceMetric), read the way the
// config API reads it: tsmMetricKey (calc:service.…), name and metricDefinition.metric are required; an
// optional dimensionDefinition adds one dimension whose key is its name, filled from a placeholder
// ({Build} naming a placeholder with attribute APPLICATION_BUILD_VERSION or APPLICATION_RELEASE_VERSION) or
// from the built-in {Request:ApplicationBuildVersion} / {Request:ApplicationReleaseVersion}.
// Whether the key is new and the entity exists is the tenant's to check, not the body's.
struct CalculatedMetricBody
{
    MetricDefinition metric; // recordsFromMs unset
    QString metricSource; // REQUEST_COUNT, as sent

    // The metric, or a 400 listing every constraint the body violates. Metric sources and placeholder
    // attributes the simulator cannot compute are violations too, named as such.
    static canary::Expected<CalculatedMetricBody, SimError> parse(const QByteArray &json);
};

} // namespace canary::sim
