#pragma once

#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include "split.h"
#include "trafficerror.h"

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

    // "30, 70, 100": increasing whole percents in 1..100; nullopt with `error` set otherwise.
    static std::optional<QList<int>> parseSteps(const QString &text, QString *error);
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
};

} // namespace canary::traffic
