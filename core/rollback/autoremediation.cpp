#include "autoremediation.h"

#include <algorithm>

#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::rollback {

using dynatrace::Problem;

namespace {

// What the operator reads ("backout in 30 s"): rounded up, so "0 s" only ever shows when it is due.
qint64 wholeSecondsShown(qint64 ms)
{
    return ms <= 0 ? 0 : (ms + 999) / 1000;
}

} // namespace

AutoRemediation::AutoRemediation(const canary::Clock &clock, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
{
    m_ticker.setInterval(250);
    connect(&m_ticker, &QTimer::timeout, this, &AutoRemediation::tick);
}

void AutoRemediation::setEnabled(bool enabled)
{
    if (enabled == m_enabled)
        return;
    m_enabled = enabled;
    if (enabled) {
        Q_EMIT stepRecorded(
            u"Auto-remediation on: a new ERROR problem starts a %1 s countdown to the backout plan"_s.arg(
                wholeSecondsShown(m_countdownMs)));
        return;
    }
    Q_EMIT stepRecorded(u"Auto-remediation off"_s);
    stop(u"auto-remediation turned off"_s);
}

void AutoRemediation::setCountdownMs(qint64 ms)
{
    m_countdownMs = std::max<qint64>(0, ms);
}

void AutoRemediation::setTickIntervalMs(int ms)
{
    m_ticker.setInterval(std::max(1, ms));
}

qint64 AutoRemediation::remainingMs() const
{
    return m_counting ? std::max<qint64>(0, m_deadlineMs - m_clock.nowMs()) : 0;
}

QString AutoRemediation::currentProblemId() const
{
    return m_counting ? keyOf(m_problem) : QString();
}

void AutoRemediation::onProblems(const std::vector<Problem> &problems)
{
    m_latest = problems;
    if (!m_enabled)
        return;

    if (m_counting) {
        const QString current = keyOf(m_problem);
        const auto it = std::find_if(
            problems.begin(), problems.end(), [&](const Problem &p) { return keyOf(p) == current; });
        // The list is the whole set of the target's problems, so one missing from it has gone away.
        if (it == problems.end() || !it->isOpen())
            stop(u"problem closed before the countdown ended"_s);
        else
            m_problem = *it; // the newest title and status for the remediationDue the owner acts on
    }

    // A slot on countdownCanceled may have turned the guard off.
    if (!m_counting && m_enabled) {
        // Oldest first: the earliest failure is the likeliest cause of the rest.
        const Problem *next = nullptr;
        for (const Problem &problem : problems) {
            if (isTrigger(problem) && !m_done.contains(keyOf(problem))
                && (!next || problem.startMs < next->startMs))
                next = &problem;
        }
        if (next)
            arm(*next);
    }

    if (!m_counting)
        return;
    const QString current = keyOf(m_problem);
    for (const Problem &problem : problems) {
        if (!m_counting)
            break;
        const QString key = keyOf(problem);
        if (!isTrigger(problem) || key == current || m_done.contains(key) || m_waitingNoted.contains(key))
            continue;
        m_waitingNoted.insert(key);
        Q_EMIT stepRecorded(
            u"Auto-remediation: %1 waits, one countdown at a time (%2 is counting down)"_s.arg(
                describe(problem), describe(m_problem)));
    }
}

void AutoRemediation::cancel()
{
    stop(u"canceled by the operator"_s);
}

QString AutoRemediation::keyOf(const Problem &problem)
{
    // The long id is what Dynatrace keys on; the display id only stands in for odd payloads without one.
    return problem.problemId.isEmpty() ? problem.displayId : problem.problemId;
}

bool AutoRemediation::isTrigger(const Problem &problem)
{
    return problem.isOpen() && problem.severityLevel.compare(u"ERROR"_s, Qt::CaseInsensitive) == 0;
}

QString AutoRemediation::describe(const Problem &problem)
{
    const QString id = problem.displayId.isEmpty() ? problem.problemId : problem.displayId;
    return problem.title.isEmpty() ? id : u"%1 '%2'"_s.arg(id, problem.title);
}

void AutoRemediation::arm(const Problem &problem)
{
    m_counting = true;
    m_problem = problem;
    m_deadlineMs = m_clock.nowMs() + m_countdownMs;
    m_shownSeconds = wholeSecondsShown(m_countdownMs);
    m_waitingNoted.clear();
    const quint64 generation = ++m_generation;
    m_ticker.start();

    Q_EMIT stepRecorded(u"Auto-remediation armed for %1: backout in %2 s"_s.arg(
        describe(problem), QString::number(wholeSecondsShown(m_countdownMs))));
    if (generation == m_generation)
        Q_EMIT countdownStarted(m_problem, m_deadlineMs);
}

void AutoRemediation::stop(const QString &why)
{
    if (!m_counting)
        return;
    // State first: a slot may call back into this object (re-enable, cancel again, new problems).
    const Problem problem = m_problem;
    m_counting = false;
    m_ticker.stop();
    m_done.insert(keyOf(problem));
    m_waitingNoted.clear();
    ++m_generation;

    Q_EMIT stepRecorded(u"Auto-remediation for %1 stopped: %2"_s.arg(describe(problem), why));
    Q_EMIT countdownCanceled(keyOf(problem), why);
}

void AutoRemediation::tick()
{
    if (!m_counting) {
        m_ticker.stop();
        return;
    }
    const qint64 remaining = m_deadlineMs - m_clock.nowMs();
    if (remaining <= 0) {
        fire();
        return;
    }
    const qint64 shown = wholeSecondsShown(remaining);
    if (shown != m_shownSeconds) {
        m_shownSeconds = shown;
        Q_EMIT countdownChanged(remaining);
    }
}

void AutoRemediation::fire()
{
    const Problem problem = m_problem;
    m_counting = false;
    m_ticker.stop();
    m_done.insert(keyOf(problem));
    m_waitingNoted.clear();
    ++m_generation;

    // The plan backs out the target, so it answers every ERROR problem open now; counting down for those
    // afterwards would only run the same plan a second time.
    std::vector<Problem> covered;
    for (const Problem &other : m_latest) {
        const QString key = keyOf(other);
        if (isTrigger(other) && !m_done.contains(key)) {
            m_done.insert(key);
            covered.push_back(other);
        }
    }

    Q_EMIT stepRecorded(
        u"Auto-remediation for %1: countdown ended: running the backout plan"_s.arg(describe(problem)));
    for (const Problem &other : covered)
        Q_EMIT stepRecorded(
            u"Auto-remediation: %1 is covered by the same backout and will not count down"_s.arg(
                describe(other)));
    Q_EMIT remediationDue(problem);
}

} // namespace canary::rollback
