#pragma once

#include <QByteArrayView>

#include "apierror.h"
#include "metricdata.h"
#include "util/expected.h"

namespace canary::dynatrace {

// Strict about shape, lenient about the rest: unknown fields are ignored, numbers may be written
// as 2.88E-5, `values` may hold null, nextPageKey/ratios may be the docs' strings.
Expected<MetricData, ApiError> parseMetricData(QByteArrayView json);
Expected<MetricDescriptor, ApiError> parseMetricDescriptor(QByteArrayView json);
// GET /api/v2/metrics (MetricDescriptorCollection): the descriptors under "metrics", in the order sent.
Expected<std::vector<MetricDescriptor>, ApiError> parseMetricDescriptorCollection(QByteArrayView json);

// {"error":{code,message,constraintViolations}} or an array of such; nullopt when the body is not one.
std::optional<ApiError> parseErrorEnvelope(QByteArrayView json);

} // namespace canary::dynatrace
