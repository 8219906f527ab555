#pragma once

#include <QString>
#include <QUrl>

namespace canary::session {

// What to watch and where: one Dynatrace environment, one service, one per-build request-count metric and
// the per-build health metrics fetched in the same query.
struct Target
{
    // The workshop's service and the calculated per-build metrics (see docs/architecture.md).
    static QString defaultEntitySelector();
    static QString defaultMetricSelector();
    static QString defaultFailureMetricSelector(); // calc:service.failures_by_build
    static QString defaultResponseTimeMetricSelector(); // calc:service.responsetime_by_build

    QUrl dynatraceUrl;
    QString entitySelector = defaultEntitySelector();
    QString metricSelector = defaultMetricSelector(); // a bare key gets splitBy(<build>):sum
    // Failed requests per build (a bare key gets splitBy(<build>):sum); empty: not fetched.
    QString failureMetricSelector = defaultFailureMetricSelector();
    // Response time per build in a time unit (a bare key gets splitBy(<build>):avg); empty: not fetched.
    QString responseTimeMetricSelector = defaultResponseTimeMetricSelector();
    QString buildDimension; // empty: discovered from the metric's descriptor
    QString from = QStringLiteral("now-30m");
    QString resolution; // empty: Dynatrace's default (120 points)
    int refreshIntervalMs = 60'000;
    int requestTimeoutMs = 30'000;
};

} // namespace canary::session
