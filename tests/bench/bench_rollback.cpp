// Issue 5's budget: a rollback from the operator's click to the launch request arriving at the simulator's
// AWX (app overhead under 50 ms), and the demo's rollback end to end (click → verified), which must be
// bounded by the simulated job and the metric interval, not by the app. Everything runs against the
// in-process simulator on a virtual clock, wired as tests/rollback/tst_rollbackrunner.cpp does; each
// benchmark spins the Qt event loop itself and times the iterations by hand (UseManualTime).
#include <chrono>
#include <ctime>
#include <functional>
#include <memory>

#include <QCoreApplication>
#include <QEventLoop>
#include <QTimer>

#include <benchmark/benchmark.h>

#include "awx/awxclient.h"
#include "dynatrace/event.h"
#include "dynatrace/eventsclient.h"
#include "dynatrace/problemsclient.h"
#include "net/restclient.h"
#include "rollback/backoutplan.h"
#include "rollback/rollbackjournal.h"
#include "rollback/rollbackrunner.h"
#include "rollback/rollbackstate.h"
#include "session/canarysession.h"
#include "session/target.h"
#include "sim/awxapi.h"
#include "sim/simulatedenvironment.h"
#include "sim/world.h"
#include "traffic/simtrafficbackend.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::rollback::RollbackRunner;
using canary::rollback::RollbackState;
using canary::rollback::Stage;
using canary::sim::AwxApi;
using SteadyClock = std::chrono::steady_clock;

namespace {

// 2026-11-26 10:00:00 UTC, as the tests' SimFixture.
constexpr qint64 StartMs = 1'795'687'200'000;

double msBetween(SteadyClock::time_point from, SteadyClock::time_point to)
{
    return std::chrono::duration<double, std::milli>(to - from).count();
}

double secondsBetween(SteadyClock::time_point from, SteadyClock::time_point to)
{
    return std::chrono::duration<double>(to - from).count();
}

double cpuMsNow()
{
    return 1000.0 * double(std::clock()) / CLOCKS_PER_SEC;
}

// Runs the event loop until `done` holds or `timeoutMs` of real time passed; false on the timeout.
bool spinUntil(const std::function<bool()> &done, int timeoutMs = 30'000)
{
    bool timedOut = false;
    QTimer watchdog;
    watchdog.setSingleShot(true);
    QObject::connect(&watchdog, &QTimer::timeout, &watchdog, [&timedOut] { timedOut = true; });
    watchdog.start(timeoutMs);
    while (!done() && !timedOut)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    return done();
}

std::unique_ptr<sim::SimulatedEnvironment> startedEnvironment(VirtualClock &clock)
{
    sim::SimulatedEnvironment::Options options;
    options.clock = &clock;
    options.seed = 7;
    auto environment = std::make_unique<sim::SimulatedEnvironment>(std::move(options));
    QString error;
    if (!environment->start(&error))
        qFatal("cannot start the simulator: %s", qPrintable(error));
    return environment;
}

// The simulator with the canary at 100 % and a minute of traffic behind it, its AWX jobs taking no simulated
// time, and everything a rollback needs pointed at it: AWX (Bearer token), the traffic router, events,
// problems and the metrics of a session at 10 s slots over the last 5 minutes. The journal is in memory.
// `pump` moves the virtual clock `stepMs` every millisecond of real time while it runs, as the tests'
// AwxSimFixture does.
struct Rig
{
    explicit Rig(int pollIntervalMs)
        : clock(StartMs)
        , environment(startedEnvironment(clock))
        , awxRest(environment->baseUrl())
        , awx(&awxRest, u"/api/v2/"_s)
        , dynatrace(environment->baseUrl())
        , events(&dynatrace)
        , problems(&dynatrace)
        , backend(environment->baseUrl(), environment->token())
        , session(target(), environment->token(), clock)
        , journal(QString())
        , runner(setup(pollIntervalMs), &journal, clock)
    {
        environment->world().setCanaryWeight(100);
        clock.advanceMs(60'000);
        environment->awx().setPendingMs(0);
        environment->awx().setRunMs(0);
        awxRest.setAuthorization("Bearer " + environment->token().toUtf8());
        awxRest.setTimeoutMs(5000);
        dynatrace.setAuthorization("Api-Token " + environment->token().toUtf8());
        session.setTimelineEnabled(false);
        pump.setInterval(1);
        QObject::connect(&pump, &QTimer::timeout, &pump, [this] {
            clock.advanceMs(stepMs);
            ++ticks;
        });
        plan = makePlan();
    }

    session::Target target() const
    {
        session::Target target;
        target.dynatraceUrl = environment->baseUrl();
        target.from = u"now-5m"_s;
        target.resolution = u"10s"_s;
        target.refreshIntervalMs = 3'600'000; // the runner asks for refreshes itself
        return target;
    }

    rollback::RunnerSetup setup(int pollIntervalMs)
    {
        rollback::RunnerSetup setup;
        setup.awx = &awx;
        setup.awxUrl = environment->baseUrl();
        setup.backend = &backend;
        setup.events = &events;
        setup.entitySelector = session.target().entitySelector;
        setup.problems = &problems;
        setup.session = &session;
        setup.roles = { environment->stableBuild(), environment->canaryBuild() };
        setup.pollIntervalMs = pollIntervalMs;
        setup.jobTimeoutMs = 5 * 60'000;
        setup.verifyTimeoutMs = 3 * 60'000;
        return setup;
    }

    // "Reset canary weighting" from the newest change, as the confirmation dialog gets it.
    rollback::BackoutPlan makePlan()
    {
        dynatrace::Event change;
        change.eventId = u"change-1"_s;
        change.eventType = u"CUSTOM_CONFIGURATION"_s;
        change.title = u"Canary weight set to 100"_s;
        change.startMs = clock.nowMs() - 60'000;
        change.properties = { { u"remediationType"_s, u"ansible"_s },
            { u"remediationAction"_s, QString::number(AwxApi::ResetCanaryWeightingTemplateId) } };
        auto resolved = rollback::resolvePlan({ change }, { environment->baseUrl(), {} });
        if (!resolved)
            qFatal("%s", qPrintable(resolved.error().message));
        return *resolved;
    }

    // The next rollback starts from a canary at 100 % again.
    void rearm() { environment->world().setCanaryWeight(100); }

    VirtualClock clock;
    std::unique_ptr<sim::SimulatedEnvironment> environment;
    net::RestClient awxRest;
    awx::AwxClient awx;
    net::RestClient dynatrace;
    dynatrace::EventsClient events;
    dynatrace::ProblemsClient problems;
    traffic::SimTrafficBackend backend;
    session::CanarySession session;
    rollback::RollbackJournal journal;
    RollbackRunner runner;
    rollback::BackoutPlan plan;
    QTimer pump;
    qint64 stepMs = 250;
    int ticks = 0;
};

// Follows one rollback of the runner: when each stage began (real time) and how it ended.
struct Watch
{
    explicit Watch(RollbackRunner &runner)
    {
        connections[0] = QObject::connect(&runner, &RollbackRunner::stageChanged, &runner,
            [this](Stage stage) { stageAt[int(stage)] = SteadyClock::now(); });
        connections[1] = QObject::connect(
            &runner, &RollbackRunner::rollbackSucceeded, &runner, [this](const RollbackState &) {
                over = true;
                succeeded = true;
            });
        connections[2] = QObject::connect(
            &runner, &RollbackRunner::rollbackFailed, &runner, [this](const RollbackState &state) {
                over = true;
                message = state.message;
            });
    }
    ~Watch()
    {
        for (const auto &connection : connections)
            QObject::disconnect(connection);
    }
    Q_DISABLE_COPY_MOVE(Watch)

    SteadyClock::time_point at(Stage stage) const { return stageAt[int(stage)]; }

    QMetaObject::Connection connections[3];
    SteadyClock::time_point stageAt[int(Stage::Finished) + 1] {};
    bool over = false;
    bool succeeded = false;
    QString message;
};

// Click → the simulator's AWX has created the job: runner.start() with the plan, the launch pre-flight
// (GET launch/), the journal written, the launch (POST launch/) parsed by the simulator. The timed region
// ends inside AwxApi::jobLaunched. Adds the split to the sums; false (with the error reported) when it
// failed.
bool timeClickToLaunch(benchmark::State &state, Rig &rig, Watch &watch, double &preflightMs, double &launchMs)
{
    SteadyClock::time_point launchedAt {};
    bool launched = false;
    const auto connection = QObject::connect(
        &rig.environment->awx(), &AwxApi::jobLaunched, &rig.runner, [&launched, &launchedAt] {
            launchedAt = SteadyClock::now();
            launched = true;
        });
    const auto clickedAt = SteadyClock::now();
    if (!rig.runner.start(rig.plan, u"canary failing"_s, u"bench"_s, {})) {
        QObject::disconnect(connection);
        state.SkipWithError("the runner refused to start");
        return false;
    }
    const bool arrived = spinUntil([&launched] { return launched; });
    QObject::disconnect(connection);
    if (!arrived) {
        state.SkipWithError(qPrintable(u"no job was launched: "_s + rig.runner.state().message));
        return false;
    }
    state.SetIterationTime(secondsBetween(clickedAt, launchedAt));
    preflightMs += msBetween(clickedAt, watch.at(Stage::Launching));
    launchMs += msBetween(watch.at(Stage::Launching), launchedAt);
    return true;
}

// Warm: one runner and one set of clients for all iterations, as in the app after its first rollback (HTTP
// connections to the simulator kept alive). Outside the timed region each rollback is carried to its end
// (once the job is seen over, the virtual clock moves a minute on so that complete metric intervals after it
// exist) and the canary put back at 100 %, so every iteration is a new rollback on the same runner.
void BM_RollbackClickToLaunch(benchmark::State &state)
{
    Rig rig(5);
    double preflightMs = 0;
    double launchMs = 0;
    for (auto _ : state) {
        Watch watch(rig.runner);
        if (!timeClickToLaunch(state, rig, watch, preflightMs, launchMs))
            break;
        // The clock jumps only once the runner has seen the job over: the simulator moves the router when
        // it steps the job, at the clock's now, so a jump past a job still pending would leave the traffic
        // in between on the canary.
        if (!spinUntil([&rig] { return rig.runner.state().stage >= Stage::Verifying; })) {
            state.SkipWithError(qPrintable(u"the job was not seen over: "_s + rig.runner.state().message));
            break;
        }
        rig.clock.advanceMs(60'000);
        if (!spinUntil([&watch] { return watch.over; }) || !watch.succeeded) {
            state.SkipWithError(qPrintable(u"rollback did not succeed: "_s + watch.message));
            break;
        }
        rig.rearm();
    }
    state.counters["preflight_ms"] = benchmark::Counter(preflightMs, benchmark::Counter::kAvgIterations);
    state.counters["launch_ms"] = benchmark::Counter(launchMs, benchmark::Counter::kAvgIterations);
    state.counters["jobs"] = rig.environment->awx().jobCount();
}
BENCHMARK(BM_RollbackClickToLaunch)->UseManualTime()->Unit(benchmark::kMillisecond);

// Cold: the first rollback of a fresh set-up (new simulator, clients, network access managers and runner,
// built outside the timed region), so the pre-flight also opens the TCP connection to AWX: the operator's
// first click after the app started.
void BM_RollbackClickToLaunch_Cold(benchmark::State &state)
{
    double preflightMs = 0;
    double launchMs = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto rig = std::make_unique<Rig>(5);
        state.ResumeTiming();
        Watch watch(rig->runner);
        if (!timeClickToLaunch(state, *rig, watch, preflightMs, launchMs))
            break;
        state.PauseTiming();
        // Let the launch's answer arrive before everything goes away.
        if (!spinUntil([&rig] { return rig->runner.state().stage != Stage::Launching; })) {
            state.SkipWithError("the launch got no answer");
            break;
        }
        rig.reset();
        state.ResumeTiming();
    }
    state.counters["preflight_ms"] = benchmark::Counter(preflightMs, benchmark::Counter::kAvgIterations);
    state.counters["launch_ms"] = benchmark::Counter(launchMs, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_RollbackClickToLaunch_Cold)->UseManualTime()->Unit(benchmark::kMillisecond);

// Click → rollbackSucceeded (verified: the job successful, the router at 0 % and a complete 10 s metric
// interval after the job with no canary requests, the event recorded). AWX's jobs take no simulated time;
// the virtual clock runs at `step_ms` of simulated time per millisecond of real time, as in the tests. The
// counters split the real time by stage and say how much simulated time, process CPU time (simulator
// included) and clock ticks one rollback took; the runner polls every `poll_ms` of real time.
void BM_RollbackEndToEnd_Demo(benchmark::State &state)
{
    Rig rig(int(state.range(0)));
    rig.stepMs = state.range(1);
    int snapshots = 0;
    QObject::connect(
        &rig.session, &session::CanarySession::snapshotChanged, &rig.session, [&snapshots] { ++snapshots; });
    double launchMs = 0; // click → Following: pre-flight and launch
    double followMs = 0; // Following → Verifying: the job polled to its end
    double backendMs = 0; // Verifying → the router reads 0 %
    double requestsMs = 0; // → a complete interval after the job shows no canary requests
    double recordMs = 0; // Recording → Finished: the event on the target
    double cpuMs = 0;
    double simulatedS = 0;
    int ticks = 0;
    for (auto _ : state) {
        Watch watch(rig.runner);
        SteadyClock::time_point backendVerifiedAt {};
        const auto connection = QObject::connect(&rig.runner, &RollbackRunner::stateChanged, &rig.runner,
            [&backendVerifiedAt](const RollbackState &s) {
                if (s.backendVerified && backendVerifiedAt == SteadyClock::time_point {})
                    backendVerifiedAt = SteadyClock::now();
            });
        const qint64 simulatedFrom = rig.clock.nowMs();
        const double cpuFrom = cpuMsNow();
        rig.ticks = 0;
        const auto clickedAt = SteadyClock::now();
        rig.pump.start();
        if (!rig.runner.start(rig.plan, u"canary failing"_s, u"bench"_s, {})) {
            state.SkipWithError("the runner refused to start");
            break;
        }
        const bool over = spinUntil([&watch] { return watch.over; });
        const auto finishedAt = SteadyClock::now();
        rig.pump.stop();
        QObject::disconnect(connection);
        if (!over || !watch.succeeded) {
            state.SkipWithError(qPrintable(u"rollback did not succeed: "_s + watch.message));
            break;
        }
        state.SetIterationTime(secondsBetween(clickedAt, finishedAt));
        cpuMs += cpuMsNow() - cpuFrom;
        simulatedS += double(rig.clock.nowMs() - simulatedFrom) / 1000.0;
        ticks += rig.ticks;
        launchMs += msBetween(clickedAt, watch.at(Stage::Following));
        followMs += msBetween(watch.at(Stage::Following), watch.at(Stage::Verifying));
        backendMs += msBetween(watch.at(Stage::Verifying), backendVerifiedAt);
        requestsMs += msBetween(backendVerifiedAt, watch.at(Stage::Recording));
        recordMs += msBetween(watch.at(Stage::Recording), watch.at(Stage::Finished));
        rig.rearm();
    }
    using benchmark::Counter;
    state.counters["launch_ms"] = Counter(launchMs, Counter::kAvgIterations);
    state.counters["follow_ms"] = Counter(followMs, Counter::kAvgIterations);
    state.counters["backend_ms"] = Counter(backendMs, Counter::kAvgIterations);
    state.counters["requests_ms"] = Counter(requestsMs, Counter::kAvgIterations);
    state.counters["record_ms"] = Counter(recordMs, Counter::kAvgIterations);
    state.counters["cpu_ms"] = Counter(cpuMs, Counter::kAvgIterations);
    state.counters["sim_s"] = Counter(simulatedS, Counter::kAvgIterations);
    state.counters["ticks"] = Counter(ticks, Counter::kAvgIterations);
    state.counters["refreshes"] = Counter(snapshots, Counter::kAvgIterations);
}
BENCHMARK(BM_RollbackEndToEnd_Demo)
    ->ArgNames({ "poll_ms", "step_ms" })
    ->Args({ 1, 250 })
    ->Args({ 5, 250 })
    ->Args({ 20, 250 })
    ->Args({ 5, 1000 })
    ->Args({ 5, 5000 })
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

} // namespace
