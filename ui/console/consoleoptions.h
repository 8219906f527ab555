#pragma once

#include <optional>

#include <QCommandLineOption>
#include <QCommandLineParser>

#include "profile/targetoptions.h"
#include "profile/trafficoptions.h"
#include "sim/worldconfig.h"

namespace canary {
class Clock;
}

namespace canary::ui {

// canary-console's flags: the target and traffic ones it shares with canaryctl, plus its own.
struct ConsoleOptions
{
    void addTo(QCommandLineParser &parser)
    {
        target.addTo(parser);
        traffic.addTo(parser);
        parser.addOptions({ allowOrigin, autoRemediate, noConfirm });
    }

    profile::TargetOptions target;
    profile::TrafficOptions traffic;
    QCommandLineOption allowOrigin { QStringLiteral("allow-origin"),
        QStringLiteral("Trust this origin in recorded backout plans (another name of the AWX, a GitLab); "
                       "repeatable, or CANARY_ALLOWED_ORIGINS=a,b."),
        QStringLiteral("origin") };
    QCommandLineOption autoRemediate { QStringLiteral("auto-remediate"),
        QStringLiteral("Run the backout plan after a countdown (30 s unless the profile says otherwise) "
                       "when an ERROR problem opens on the target.") };
    QCommandLineOption noConfirm { QStringLiteral("no-confirm"),
        QStringLiteral("Roll back on one click, without the confirmation.") };

    // Not flags: what a benchmark needs to run the very same console on its own terms (tests/bench/
    // bench_day.cpp runs a day of the demo in a minute). The clock everything runs on (nullptr: the system
    // clock), and the demo's simulated world (nullopt: the workshop demo).
    Clock *clock = nullptr;
    std::optional<sim::WorldConfig> demoWorld;
};

} // namespace canary::ui
