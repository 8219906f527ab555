#pragma once

#include <QString>

namespace canary::dynatrace {

// The metric key a selector starts with, for the descriptor lookup:
//   calc:service.requests_by_build:splitBy("Build"):sum -> calc:service.requests_by_build
//   builtin:service.response.time                       -> builtin:service.response.time
//   my.ingested.metric:splitBy()                        -> my.ingested.metric
//   "calc:weird key~"x":sum                             -> calc:weird key"x   (quoted, ~ escapes)
QString metricKeyOf(const QString &selector);

// True when the selector is a bare key with no transformation chain.
bool isBareMetricKey(const QString &selector);

// key:splitBy("<buildDimension>"):sum, the per-build count for a bare key. A selector that already
// carries transformations is the operator's choice and is used as it is.
QString perBuildSelector(const QString &selector, const QString &buildDimension);
// The same with another aggregation than sum: key:splitBy("<buildDimension>"):<aggregation>, e.g. avg for
// response time.
QString perBuildSelector(const QString &selector, const QString &buildDimension, const QString &aggregation);

// Quotes a dimension key or value for use inside a selector ("..." with ~ escaping).
QString quoteSelectorString(const QString &text);

} // namespace canary::dynatrace
