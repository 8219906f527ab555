#pragma once

#include <optional>

#include <QCommandLineOption>
#include <QCommandLineParser>

#include "environment/localtenant.h"
#include "profile/targetoptions.h"
#include "profile/trafficoptions.h"

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
        parser.addOptions({ allowOrigin, allowTemplate, planSource, autoRemediate, noConfirm });
    }

    profile::TargetOptions target;
    profile::TrafficOptions traffic;
    QCommandLineOption allowOrigin { QStringLiteral("allow-origin"),
        QStringLiteral("Trust this origin in recorded backout plans (another name of the AWX, a GitLab); "
                       "repeatable, or CANARY_ALLOWED_ORIGINS=a,b."),
        QStringLiteral("origin") };
    QCommandLineOption allowTemplate { QStringLiteral("allow-template"),
        QStringLiteral("A job template a backout plan may launch, by id or exact name; repeatable (and "
                       "rollback.allow-template in the profile). None: any template an event names."),
        QStringLiteral("template") };
    QCommandLineOption planSource { QStringLiteral("plan-source"),
        QStringLiteral(
            "Take backout plans only from change events with this dt.event.source (e.g. Jenkins)."),
        QStringLiteral("source") };
    QCommandLineOption autoRemediate { QStringLiteral("auto-remediate"),
        QStringLiteral("Run the backout plan after a countdown (30 s unless the profile says otherwise) "
                       "when an ERROR problem opens on the target.") };
    QCommandLineOption noConfirm { QStringLiteral("no-confirm"),
        QStringLiteral("Roll back on one click, without the confirmation.") };

    // Not flags. What starts the embedded demo when no URL is given: canary-console hands over the
    // simulator's (sim::embeddedDemoStarter), which this library never links; empty: no demo in this build.
    environment::LocalTenantStarter startLocalTenant;
    // The clock everything runs on (nullptr: the system clock), so that a benchmark runs the very same
    // console on its own terms (tests/bench/bench_day.cpp runs a day of the demo in a minute).
    Clock *clock = nullptr;
};

} // namespace canary::ui
