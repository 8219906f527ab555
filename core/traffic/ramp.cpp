#include "ramp.h"

#include "trafficcontroller.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

Expected<QList<int>, QString> RampPlan::parseSteps(const QString &text)
{
    QList<int> steps;
    const auto parts = text.split(u',', Qt::SkipEmptyParts);
    for (const auto &part : parts) {
        QString trimmed = part.trimmed();
        if (trimmed.endsWith(u'%'))
            trimmed.chop(1);
        bool ok = false;
        const int value = trimmed.toInt(&ok);
        if (!ok || value < 1 || value > 100)
            return u"'%1' is not a canary weight from 1 to 100"_s.arg(part.trimmed());
        if (!steps.isEmpty() && value <= steps.back())
            return u"steps must increase: %1 after %2"_s.arg(value).arg(steps.back());
        steps.append(value);
    }
    if (steps.isEmpty())
        return u"no steps given"_s;
    return steps;
}

Ramp::Ramp(TrafficController *controller, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_controller(controller)
    , m_clock(clock)
{
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &Ramp::tick);
    connect(controller, &TrafficController::splitApplied, this,
        [this](const Split &, const Split &to) { onApplied(to); });
    connect(controller, &TrafficController::applyFailed, this, &Ramp::onApplyFailed);
    // Someone else moved traffic while the ramp waited: its next step was planned from a split that no longer
    // holds. It waits for the operator rather than jumping from wherever traffic is now.
    connect(
        controller, &TrafficController::splitChangedOutside, this, [this](const Split &, const Split &to) {
            if (!isRunning())
                return;
            pause();
            Q_EMIT pausedByOutsideChange(to);
        });
}

void Ramp::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    if (isRunning())
        m_timer.start();
    else
        m_timer.stop();
    Q_EMIT stateChanged(state);
}

void Ramp::start(const RampPlan &plan)
{
    if (isRunning() || plan.steps.isEmpty())
        return;
    m_plan = plan;
    m_lastError = {};
    applyStep(0);
}

void Ramp::applyStep(int index)
{
    const int to = m_plan.steps.at(index);
    if (m_guard) {
        const auto applied = m_controller->applied();
        const std::optional<int> from = applied ? std::optional(applied->canary) : std::nullopt;
        if (!from || to > *from) {
            if (const QStringList reasons = m_guard(from, to); !reasons.isEmpty()) {
                // Paused as if waiting before the step, so resume() comes back here and asks again.
                m_step = index - 1;
                m_stateBeforePause = State::Waiting;
                m_remainingMs = 0;
                setState(State::Paused);
                Q_EMIT guarded(index, reasons);
                return;
            }
        }
    }
    m_step = index;
    setState(State::Applying);
    m_controller->requestSplit(*Split::fromCanaryPercent(m_plan.steps.at(index)),
        tr("ramp step %1 of %2").arg(index + 1).arg(m_plan.steps.size()));
}

void Ramp::onApplied(const Split &to)
{
    if (m_state != State::Applying || to.canary != m_plan.steps.value(m_step, -1))
        return; // someone else's change (the slider), or not our step
    Q_EMIT stepApplied(m_step, to);
    if (m_step + 1 >= m_plan.steps.size()) {
        setState(State::Finished);
        return;
    }
    m_nextAtMs = m_clock.nowMs() + qint64(m_plan.pauseSeconds) * 1000;
    setState(State::Waiting);
}

void Ramp::onApplyFailed(const Split &requested, const TrafficError &error)
{
    if (m_state != State::Applying || requested.canary != m_plan.steps.value(m_step, -1))
        return;
    m_lastError = error;
    setState(State::Held);
    Q_EMIT held(error);
}

void Ramp::tick()
{
    if (m_state == State::Waiting && m_clock.nowMs() >= m_nextAtMs)
        applyStep(m_step + 1);
}

void Ramp::pause()
{
    if (!isRunning())
        return;
    m_stateBeforePause = m_state;
    m_remainingMs = std::max<qint64>(0, m_nextAtMs - m_clock.nowMs());
    setState(State::Paused);
}

void Ramp::resume()
{
    if (m_state == State::Held) {
        applyStep(m_step);
        return;
    }
    if (m_state != State::Paused)
        return;
    if (m_stateBeforePause == State::Waiting) {
        m_nextAtMs = m_clock.nowMs() + m_remainingMs;
        setState(State::Waiting);
        tick();
    } else if (const auto applied = m_controller->applied();
               applied && applied->canary == m_plan.steps.at(m_step) && !m_controller->inFlight()) {
        // Paused while the step was being applied, and it went through meanwhile.
        setState(State::Applying);
        onApplied(*applied);
    } else {
        applyStep(m_step);
    }
}

void Ramp::abort()
{
    if (m_state == State::Idle || m_state == State::Finished || m_state == State::Aborted)
        return;
    setState(State::Aborted);
}

} // namespace canary::traffic
