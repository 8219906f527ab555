#pragma once

#include <QString>
#include <QUrl>

namespace canary::session {

// What to watch and where: one Dynatrace environment, one service, one per-build metric.
struct Target
{
    // The workshop's service and the calculated per-build metric (see docs/architecture.md).
    static QString defaultEntitySelector();
    static QString defaultMetricSelector();

    QUrl dynatraceUrl;
    QString entitySelector = defaultEntitySelector();
    QString metricSelector = defaultMetricSelector(); // a bare key gets splitBy(<build>):sum
    QString buildDimension; // empty: discovered from the metric's descriptor
    QString from = QStringLiteral("now-30m");
    QString resolution; // empty: Dynatrace's default (120 points)
    int refreshIntervalMs = 60'000;
    int requestTimeoutMs = 30'000;
};

} // namespace canary::session
