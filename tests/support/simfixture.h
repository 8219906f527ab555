#pragma once

#include <memory>
#include <optional>

#include <QTest>

#include "session/target.h"
#include "sim/simulatedenvironment.h"
#include "sim/world.h"
#include "util/clock.h"

namespace canary::testing {

// A simulator on loopback with a virtual clock, already started, with `minutes` of traffic at the given
// split: the common starting point of session, GUI and CLI tests.
struct SimFixture
{
    // 2026-11-26 10:00:00 UTC, a whole minute, so slot boundaries are predictable.
    static constexpr qint64 StartMs = 1'795'687'200'000;

    explicit SimFixture(int canaryWeight = 30, int minutes = 10, quint64 seed = 7)
        : clock(StartMs)
    {
        start({}, seed);
        environment->world().setCanaryWeight(canaryWeight);
        clock.advanceMs(qint64(minutes) * 60'000);
    }

    // The demo's world (the workshop's history already in its past) with small list pages, so that
    // clients have to follow nextPageKey.
    static constexpr int SmallPageSize = 2;
    struct WorkshopDemo
    {
    };
    explicit SimFixture(WorkshopDemo)
        : clock(StartMs)
    {
        sim::SimulatedEnvironment::Options options;
        options.world = sim::WorldConfig::workshopDemo();
        options.defaultEventPageSize = SmallPageSize;
        options.defaultProblemPageSize = SmallPageSize;
        start(std::move(options), 7);
    }

    sim::World &world() { return environment->world(); }

    // The simulator's service over the last 10 minutes at 1-minute slots; refreshes are left to the test.
    session::Target target() const
    {
        session::Target target;
        target.dynatraceUrl = environment->baseUrl();
        target.from = QStringLiteral("now-10m");
        target.resolution = QStringLiteral("1m");
        target.refreshIntervalMs = 3'600'000;
        return target;
    }

    // What a correct client must show for one slot ending at `slotEndMs`: null when the build had no
    // requests.
    std::optional<double> expectedRequests(sim::World::BuildRole role, qint64 slotEndMs, qint64 resolutionMs)
    {
        const auto totals = world().totals(role, slotEndMs - resolutionMs, slotEndMs);
        return totals.requests == 0 ? std::nullopt : std::optional<double>(double(totals.requests));
    }

    VirtualClock clock;
    std::unique_ptr<sim::SimulatedEnvironment> environment;

private:
    void start(sim::SimulatedEnvironment::Options options, quint64 seed)
    {
        options.clock = &clock;
        options.seed = seed;
        environment = std::make_unique<sim::SimulatedEnvironment>(std::move(options));
        QString error;
        if (!environment->start(&error))
            qFatal("cannot start the simulator: %s", qPrintable(error));
    }
};

} // namespace canary::testing
