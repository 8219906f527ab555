#pragma once

#include <vector>

#include <QObject>
#include <QSet>
#include <QString>
#include <QTimer>

#include "dynatrace/event.h"

namespace canary {
class Clock;
}

namespace canary::rollback {

// The opt-in guard of issue 5: when an ERROR problem opens on the target, count down visibly (cancellable)
// and then ask the owner to run the backout plan. It never runs anything itself, so the one rollback path
// (RollbackRunner) stays the only thing that moves traffic, and every step is announced for the action log.
//
// Rules, all chosen so that an unattended guard does less rather than more:
// - Off by default. Turning it on does not act on its own; the next onProblems() does.
// - A problem counts down at most once per run of the app, whatever ends its countdown (the deadline, the
//   operator, the problem closing, the guard being turned off). Turning it off and on again never re-arms
//   a problem that has already had its countdown.
// - One countdown at a time. An ERROR problem that opens meanwhile is only noted: if the countdown is
//   canceled or its problem closes, the waiting problem arms on the next onProblems() (fresh data, not the
//   possibly stale list seen earlier). If the countdown ends in a backout, that one backout covers every
//   ERROR problem open at that moment: the plan backs out the target, not a problem, so a second countdown
//   would only run the same plan again.
// - Deadlines are judged by the Clock, so a VirtualClock drives it in tests; a QTimer only says when to look.
class AutoRemediation : public QObject
{
    Q_OBJECT

public:
    explicit AutoRemediation(const canary::Clock &clock, QObject *parent = nullptr);

    bool isEnabled() const { return m_enabled; }
    // Turning it off during a countdown cancels that countdown (and that problem never re-arms).
    void setEnabled(bool enabled);

    qint64 countdownMs() const { return m_countdownMs; }
    // Applies to the next countdown; one under way keeps the deadline it announced.
    void setCountdownMs(qint64 ms);

    int tickIntervalMs() const { return m_ticker.interval(); }
    void setTickIntervalMs(int ms);

    bool isCounting() const { return m_counting; }
    qint64 remainingMs() const; // 0 when not counting
    qint64 deadlineMs() const { return m_counting ? m_deadlineMs : 0; }
    QString currentProblemId() const; // the problem's long id; empty when not counting

    // The target's problems after every successful refresh (the whole list, so a problem missing from it
    // is taken as closed). Do not call it with the leftovers of a failed refresh.
    void onProblems(const std::vector<canary::dynatrace::Problem> &problems);

    // The operator's cancel: stops the countdown, and that problem never arms again.
    void cancel();

Q_SIGNALS:
    void countdownStarted(const canary::dynatrace::Problem &problem, qint64 deadlineMs);
    // Emitted on a tick when the whole second shown ("backout in 12 s") changes.
    void countdownChanged(qint64 remainingMs);
    void countdownCanceled(const QString &problemId, const QString &why);
    // Exactly once per problem: the owner runs the backout plan now.
    void remediationDue(const canary::dynatrace::Problem &problem);
    // One line per step, for the action log.
    void stepRecorded(const QString &text);

private:
    static QString keyOf(const canary::dynatrace::Problem &problem);
    static bool isTrigger(const canary::dynatrace::Problem &problem);
    static QString describe(const canary::dynatrace::Problem &problem);

    void arm(const canary::dynatrace::Problem &problem);
    void stop(const QString &why);
    void tick();
    void fire();

    const canary::Clock &m_clock;
    QTimer m_ticker;
    bool m_enabled = false;
    qint64 m_countdownMs = 30'000;

    bool m_counting = false;
    canary::dynatrace::Problem m_problem; // the newest copy of the problem counting down
    qint64 m_deadlineMs = 0;
    qint64 m_shownSeconds = 0;
    quint64 m_generation = 0; // lets an emit notice that a slot ended or replaced the countdown

    QSet<QString> m_done; // problems that had their countdown, whatever ended it
    QSet<QString> m_waitingNoted; // waiting problems already logged during the current countdown
    std::vector<canary::dynatrace::Problem> m_latest; // the newest list, for what a backout covers
};

} // namespace canary::rollback
