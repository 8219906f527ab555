#include "impactpreview.h"

#include <algorithm>
#include <cmath>

#include <QLocale>

using namespace Qt::Literals::StringLiterals;

namespace canary::verdict {

namespace {

// Rates the operator reads at a glance: whole numbers from 10 up, one decimal below.
QString perMinute(double value)
{
    QLocale locale = QLocale::c();
    locale.setNumberOptions(QLocale::DefaultNumberOptions);
    return locale.toString(value, 'f', value >= 10 || value == 0 ? 0 : 1);
}

QString percentText(double fraction)
{
    const double percent = 100.0 * fraction;
    return QString::number(percent, 'f', percent >= 10 || percent == 0 ? 0 : 1);
}

} // namespace

ImpactPreview previewImpact(const CurrentRates &rates, int percent)
{
    ImpactPreview preview;
    preview.percent = std::clamp(percent, 0, 100);
    const double share = preview.percent / 100.0;
    preview.canaryRequestsPerMin = rates.totalRequestsPerMin * share;
    if (rates.canaryFailureRate)
        preview.canaryFailedPerMin = preview.canaryRequestsPerMin * *rates.canaryFailureRate;
    if (rates.canaryFailureRate && rates.stableFailureRate)
        preview.totalFailedPerMin = *preview.canaryFailedPerMin
            + rates.totalRequestsPerMin * (1.0 - share) * *rates.stableFailureRate;

    if (rates.minutes <= 0) {
        preview.text = u"At %1 %: no traffic data yet to project from"_s.arg(preview.percent);
        return preview;
    }
    preview.text
        = u"At %1 %: ≈ %2 requests/min to the canary (of %3/min)"_s.arg(QString::number(preview.percent),
            perMinute(preview.canaryRequestsPerMin), perMinute(rates.totalRequestsPerMin));
    if (preview.canaryFailedPerMin) {
        preview.text += u", ≈ %1 failing/min at its current %2 % failure rate"_s.arg(
            perMinute(*preview.canaryFailedPerMin), percentText(*rates.canaryFailureRate));
        if (rates.stableFailureRate)
            preview.text += u" (stable %1 %)"_s.arg(percentText(*rates.stableFailureRate));
    } else if (preview.percent > 0) {
        preview.text += u"; its failure rate is unknown: the canary had no requests in the last %1 min"_s.arg(
            QString::number(rates.minutes, 'g', 3));
    }
    return preview;
}

} // namespace canary::verdict
