#pragma once

#include <functional>
#include <optional>

#include <QList>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>

#include "split.h"
#include "trafficerror.h"
#include "util/expected.h"

namespace canary {
class Clock;
}

namespace canary::traffic {

class TrafficController;

// The workshop playbook's "Start canary deployment": canary weight 30 -> 70 -> 100 with a pause after each
// step. Steps and pause are editable.
struct RampPlan
{
    QList<int> steps { 30, 70, 100 };
    int pauseSeconds = 120;

    // "30, 70, 100": increasing whole percents in 1..100; otherwise says why not.
    static Expected<QList<int>, QString> parseSteps(const QString &text);
};

// Walks a RampPlan through the TrafficController. Holds by itself when a step fails (nothing is retried
// behind the operator's back); resume() retries the step, abort() stops where traffic is.
class Ramp final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Ramp)

public:
    enum class State {
        Idle, // never started
        Applying, // a step is being applied
        Waiting, // a step is in force; the next one is due at nextStepAtMs()
        Paused, // the operator paused; resume() continues the wait or the step
        Held, // a step failed; resume() retries it
        Finished, // the last step is in force
        Aborted,
    };
    Q_ENUM(State)

    Ramp(TrafficController *controller, const Clock &clock, QObject *parent = nullptr);

    State state() const { return m_state; }
    bool isRunning() const { return m_state == State::Applying || m_state == State::Waiting; }
    const RampPlan &plan() const { return m_plan; }
    int currentStep() const { return m_step; } // index into plan().steps; -1 before the first
    qint64 nextStepAtMs() const { return m_nextAtMs; }
    const TrafficError &lastError() const { return m_lastError; }

    // Asked before every step that would raise the canary's share, with the share in force (nullopt when
    // not known) and the step's: reasons to hold it (empty: go). A held step pauses the ramp just before it
    // and emits guarded(); resume() asks again. The guard-rails use it, so a ramp cannot jump past them
    // when traffic moved meanwhile (e.g. the operator stepped back during a pause).
    using StepGuard = std::function<QStringList(std::optional<int> fromPercent, int toPercent)>;
    void setStepGuard(StepGuard guard) { m_guard = std::move(guard); }

    void start(const RampPlan &plan);
    void pause();
    void resume();
    void abort();
    // Checks the clock: the timer calls it every second; tests call it after moving a virtual clock.
    void tick();

Q_SIGNALS:
    void stateChanged(canary::traffic::Ramp::State state);
    void stepApplied(int index, const canary::traffic::Split &split);
    void held(const canary::traffic::TrafficError &error);
    // The step guard held step `index` (0-based); the ramp is paused before it.
    void guarded(int index, const QStringList &reasons);
    // The split moved to `to` without the ramp or this console asking; the ramp is paused until resumed.
    void pausedByOutsideChange(const canary::traffic::Split &to);

private:
    void setState(State state);
    void applyStep(int index);
    void onApplied(const Split &to);
    void onApplyFailed(const Split &requested, const TrafficError &error);

    QPointer<TrafficController> m_controller;
    const Clock &m_clock;
    QTimer m_timer;
    RampPlan m_plan;
    State m_state = State::Idle;
    State m_stateBeforePause = State::Idle;
    int m_step = -1;
    qint64 m_nextAtMs = 0;
    qint64 m_remainingMs = 0; // of the wait, while paused
    TrafficError m_lastError;
    StepGuard m_guard;
};

} // namespace canary::traffic
