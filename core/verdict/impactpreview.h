#pragma once

#include <optional>

#include <QString>

namespace canary::verdict {

// What the target does now, per minute, from the newest complete metric intervals.
struct CurrentRates
{
    double totalRequestsPerMin = 0; // every build together: what a weight change redistributes
    std::optional<double> canaryFailureRate; // 0..1; nullopt: the canary had no requests to judge by
    std::optional<double> stableFailureRate;
    double minutes = 0; // how much data the rates come from
};

// Where a weight would lead if traffic and failure rates stay as they are: shown while the operator drags
// the slider, before anything is applied.
struct ImpactPreview
{
    int percent = 0;
    double canaryRequestsPerMin = 0;
    std::optional<double> canaryFailedPerMin; // nullopt when the canary's failure rate is unknown
    std::optional<double> totalFailedPerMin; // canary and stable together, when both rates are known
    QString text; // one line for the slider's tooltip and the panel
};

ImpactPreview previewImpact(const CurrentRates &rates, int percent);

} // namespace canary::verdict
