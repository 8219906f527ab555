#pragma once

#include <functional>
#include <optional>
#include <vector>

#include <QObject>
#include <QPointer>
#include <QStringList>

#include "guardrails.h"
#include "ramp.h"
#include "split.h"
#include "trafficcontroller.h"
#include "trafficerror.h"
#include "util/expected.h"

namespace canary::traffic {

// An increase the guard-rails hold: where it is measured from (nullopt: the split is not known), where it
// would go, why it is held, and what holds it without the numbers that change by the second ("50 s ago"), so
// an override stands only for the situation the operator was shown.
struct GateHold
{
    std::optional<int> fromPercent;
    int toPercent = 0;
    QStringList reasons;
    std::vector<GuardDecision::Block::Kind> kinds;
    int maxAllowedPercent = 100;

    bool isHeld() const { return !reasons.isEmpty(); }
    // The same situation as `other`: the same split and the same kinds of hold.
    bool sameSituationAs(const GateHold &other) const
    {
        return fromPercent == other.fromPercent && kinds == other.kinds;
    }
};

// Every traffic change an operator asks for — the slider, a quick step, a ramp's step, canaryctl — passes
// here before it reaches the TrafficController, and the profile's guard-rails answer it: applied (handed to
// the controller), held (with reasons, offering an override), or overridden with a typed reason that goes on
// record. Decreases and rollbacks are never held. The conditions the rules read (open problems, stale data,
// the verdict) come from setConditions(); the cool-down from the GuardRails, fed every applied change.
//
// Widgets and the CLI only present the answers: the rules are reached, and tested, without them.
class ChangeGate final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChangeGate)

public:
    explicit ChangeGate(TrafficController *controller, QObject *parent = nullptr);

    TrafficController *controller() const { return m_controller; }

    // The profile's guard-rails (not owned; null: every change passes). Applied changes start their
    // cool-down whoever made them.
    void setGuardRails(GuardRails *rails);
    GuardRails *guardRails() const { return m_rails; }
    bool isGuarding() const { return m_rails && m_rails->policy().enabled; }

    // What the guard-rails read about the target now. A running ramp that the new conditions freeze is
    // paused (rampFrozen()).
    void setConditions(const GuardConditions &conditions);
    const GuardConditions &conditions() const { return m_conditions; }

    // What an increase recorded now would lack: empty when it would carry a backout plan (the configured
    // remediation action, or the back-end's own reset), else the message naming the setting. While it says
    // something, every increase is held, guard-rails on or off: a change goes on record with a way back.
    using BackoutCheck = std::function<QString()>;
    void setBackoutCheck(BackoutCheck check) { m_backoutCheck = std::move(check); }
    // Every increasing step of `ramp` is checked against where traffic is when the step is due.
    void attachRamp(Ramp *ramp);

    // Puts a decision on record (the audit log: traffic::auditGuardDecision) and says why it could not
    // (empty: recorded). A held increase that cannot be recorded stays held (recordFailed()); an override
    // that cannot be recorded does not go ahead: no guard-rail is passed off the record.
    using DecisionRecorder
        = std::function<QString(const GateHold &hold, const std::optional<QString> &overrideReason)>;
    void setDecisionRecorder(DecisionRecorder recorder) { m_recorder = std::move(recorder); }

    // The newest increase on record for this target, whoever made it (the audit log every process writes:
    // traffic::lastIncreaseInAudit). With it, an increase is judged again just before it is applied, under
    // the target's lease and from the split read there: another process's increase committed meanwhile
    // starts the cool-down, and the increase is held (increaseHeld(), the controller's applyFailed with
    // Kind::Held) like any other. An error reading it stops the increase (StoreUnusable).
    using AuditedIncrease = std::function<Expected<std::optional<qint64>, QString>()>;
    void setAuditedIncrease(AuditedIncrease source) { m_auditedIncrease = std::move(source); }

    // Nothing to do: `percent` is the applied split and nothing else is on its way.
    bool isUnchanged(int percent) const;

    // Asks for the canary at `percent` with the operator's `reason` (for the event). Exactly one of
    // changeRequested() and increaseHeld() follows, at once or, when the step cannot be measured before the
    // split is read, once the read answered. An unchanged split is set again (idempotent for a script).
    void request(int percent, const QString &reason = {});
    // Goes ahead with the increase held as `shown`, on `typedReason`. If the split or what holds it changed
    // since, holdChanged() says what holds it now and nothing moves; a reason too thin is overrideRefused().
    // Otherwise guardOverridden() (to be put on record before anything moves), then changeRequested().
    void override(const GateHold &shown, const QString &typedReason, const QString &reason = {});
    // canaryctl's form: the override reason comes with the request, before any hold is known. A change the
    // guard-rails allow goes ahead and the reason is not used.
    void requestOverriding(int percent, const QString &overrideReason, const QString &reason = {});

    // The rollback's 0 % (the fallback without a plan): never held, and a ramp under way is aborted first so
    // that no later step of it undoes the rollback. changeRequested(0) follows.
    void requestRollback(const QString &reason);

    // A rollback runs around the gate (its AWX job or pipeline moves traffic): a ramp under way is aborted so
    // that no later step undoes it, and the split it moves is its own change, not someone else's; when it
    // ends, the split is read back so that what it left is what is shown.
    void rollbackStarted();
    void rollbackEnded();

    // What would hold a move to `percent` now (empty reasons: nothing).
    GateHold holdFor(int percent) const;
    // Whether the conditions matter for a move to `percent`: the guard-rails are on and it is, or may be, an
    // increase. canaryctl reads the target's problems and metrics only then.
    bool mayHold(int percent) const;
    // A ramp from where traffic is, checked before it starts (refused as a whole).
    GuardDecision checkRamp(const QList<int> &steps, qint64 pauseMs) const;
    // Why the newest read of the split failed; nullopt once one succeeded. A hold while it is set may be
    // only a symptom of it (the back-end's own backout is known from a read).
    std::optional<TrafficError> lastReadError() const { return m_readError; }
    // What freezes every increase now (a paused ramp stays paused while this is not empty).
    QStringList freezes() const;

Q_SIGNALS:
    // The change went to the controller; `percent` is what the operator will see requested.
    void changeRequested(int percent);
    void increaseHeld(const canary::traffic::GateHold &hold);
    // The operator overrode `hold` with `reason`: committed to the audit log by whoever listens first.
    void guardOverridden(const canary::traffic::GateHold &hold, const QString &reason);
    void holdChanged(const canary::traffic::GateHold &hold);
    void overrideRefused(const QString &why);
    // A running ramp was paused because `freezes` hold every increase.
    void rampFrozen(const QStringList &freezes);
    void guardRailsChanged();
    void recordFailed(const QString &why);

private:
    void decide(
        int percent, const QString &reason, const std::optional<QString> &overrideReason, bool mayRead);
    void overrideNow(const GateHold &now, const QString &typedReason, const QString &reason);
    // `judgeAgain`: the request is held if the guard-rails hold it under the lease (not an override, nor the
    // rollback's 0 %).
    void goAhead(int percent, const QString &eventReason,
        TrafficController::Repeat repeat = TrafficController::Repeat::IfChanged, bool judgeAgain = false);
    std::optional<TrafficError> judgeAgain(int percent);
    void onSplitKnown();
    // `fromApplied`: measured from the applied split, not from a request in flight (judging that request).
    GateHold holdFor(int percent, bool fromApplied) const;
    GateHold guardRailsHoldFor(int percent, bool fromApplied) const;
    // The backout check's answer for a move from `from` (nullopt: not known) to `to`; empty for a decrease.
    QString missingBackout(std::optional<int> from, int to) const;
    bool checksBeforeChange() const { return isGuarding() || m_backoutCheck; }

    QPointer<TrafficController> m_controller;
    QPointer<Ramp> m_ramp;
    GuardRails *m_rails = nullptr;
    GuardConditions m_conditions;
    DecisionRecorder m_recorder;
    BackoutCheck m_backoutCheck;
    AuditedIncrease m_auditedIncrease;
    std::optional<TrafficError> m_readError; // the newest read of the split failed so
    bool m_splitReadFailed = false;
    bool m_fromKnownAtStart = true;
    QString m_splitReadError;
    // A request made before the split was known: decided once the read answers.
    struct Waiting
    {
        int percent;
        QString reason;
        std::optional<QString> overrideReason;
    };
    std::optional<Waiting> m_waiting;
};

} // namespace canary::traffic

Q_DECLARE_METATYPE(canary::traffic::GateHold)
