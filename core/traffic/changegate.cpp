#include "changegate.h"

#include <algorithm>

#include "ramp.h"
#include "trafficcontroller.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

ChangeGate::ChangeGate(TrafficController *controller, QObject *parent)
    : QObject(parent)
    , m_controller(controller)
{
    // Whoever moved traffic (slider, ramp, canaryctl in this process): an increase starts the cool-down. A
    // change whose starting split was not known (the controller then reports from == to) counts as an
    // increase when it leaves traffic on the canary: an override made blind must not skip the cool-down.
    connect(controller, &TrafficController::applyStarted, this,
        [this] { m_fromKnownAtStart = m_controller->applied().has_value(); });
    connect(controller, &TrafficController::splitApplied, this, [this](const Split &from, const Split &to) {
        if (!m_rails)
            return;
        if (!m_fromKnownAtStart && to.canary > 0)
            m_rails->recordApplied(0, to.canary);
        else
            m_rails->recordApplied(from.canary, to.canary);
    });
    // An increase someone else made (a pipeline, another console) starts the cool-down as well: the rules
    // are about what the canary's users went through, not about who clicked.
    connect(controller, &TrafficController::splitChangedOutside, this,
        [this](const Split &from, const Split &to) {
            if (m_rails)
                m_rails->recordApplied(from.canary, to.canary);
        });
    connect(controller, &TrafficController::splitRead, this, [this] {
        m_splitReadFailed = false;
        m_splitReadError.clear();
        m_readError.reset();
        onSplitKnown();
    });
    connect(controller, &TrafficController::readFailed, this, [this](const TrafficError &error) {
        m_splitReadFailed = true;
        m_splitReadError = error.summary();
        m_readError = error;
        // What waited for the read is decided without it: anything but 0 % is held.
        onSplitKnown();
    });
}

void ChangeGate::setGuardRails(GuardRails *rails)
{
    m_rails = rails;
    Q_EMIT guardRailsChanged();
}

void ChangeGate::setConditions(const GuardConditions &conditions)
{
    m_conditions = conditions;
    // A running ramp would go on increasing on its own: it stops where it is until nothing freezes.
    if (isGuarding() && m_ramp && m_ramp->isRunning()) {
        if (const QStringList frozen = freezes(); !frozen.isEmpty()) {
            m_ramp->pause();
            Q_EMIT rampFrozen(frozen);
        }
    }
}

void ChangeGate::attachRamp(Ramp *ramp)
{
    m_ramp = ramp;
    ramp->setStepGuard([this](std::optional<int> from, int to) {
        QStringList reasons;
        if (const QString missing = missingBackout(from, to); !missing.isEmpty())
            reasons.append(missing);
        if (!isGuarding())
            return reasons;
        if (!from)
            return reasons << tr("the current split is not known, so the step cannot be checked");
        return reasons + m_rails->check(*from, to, m_conditions).reasons();
    });
}

bool ChangeGate::isUnchanged(int percent) const
{
    const auto applied = m_controller->applied();
    return applied && applied->canary == percent && !m_controller->inFlight();
}

bool ChangeGate::mayHold(int percent) const
{
    if (!isGuarding() || percent <= 0)
        return false;
    // Measured from where holdFor() measures: the change on its way, else the applied split.
    const auto from = m_controller->inFlight() ? m_controller->inFlight() : m_controller->applied();
    return !from || percent > from->canary;
}

QString ChangeGate::missingBackout(std::optional<int> from, int to) const
{
    if (!m_backoutCheck || to <= 0 || (from && to <= *from))
        return {};
    return m_backoutCheck();
}

GateHold ChangeGate::holdFor(int percent) const
{
    return holdFor(percent, false);
}

GateHold ChangeGate::holdFor(int percent, bool fromApplied) const
{
    GateHold hold = guardRailsHoldFor(percent, fromApplied);
    const auto flying = fromApplied ? std::optional<Split>() : m_controller->inFlight();
    const auto applied = m_controller->applied();
    const std::optional<int> from = flying ? std::optional(flying->canary)
        : applied                          ? std::optional(applied->canary)
                                           : std::nullopt;
    if (const QString missing = missingBackout(from, percent); !missing.isEmpty()) {
        hold.reasons.append(missing);
        hold.kinds.push_back(GuardDecision::Block::Kind::NoBackoutPlan);
        hold.fromPercent = from;
        hold.maxAllowedPercent = std::min(hold.maxAllowedPercent, from.value_or(0));
    }
    return hold;
}

GateHold ChangeGate::guardRailsHoldFor(int percent, bool fromApplied) const
{
    GateHold hold;
    hold.toPercent = percent;
    if (!isGuarding())
        return hold;
    // A request made while another is on its way starts from that one's target (the controller queues it),
    // so that is what the step is measured from.
    const auto flying = fromApplied ? std::optional<Split>() : m_controller->inFlight();
    const auto applied = m_controller->applied();
    if (flying)
        hold.fromPercent = flying->canary;
    else if (applied)
        hold.fromPercent = applied->canary;
    if (!hold.fromPercent) {
        // Without the current split the step cannot be measured: anything but 0 % is held, and the freezes
        // and the cool-down, which hold whatever the step, are said too.
        if (percent > 0) {
            hold.reasons.append(tr("the current split is not known (%1), so the step cannot be checked")
                                    .arg(m_splitReadFailed ? m_splitReadError : tr("not read yet")));
            hold.kinds.push_back(GuardDecision::Block::Kind::StaleData);
            const GuardDecision rest = m_rails->check(0, 1, m_conditions);
            hold.reasons += rest.reasons();
            for (const auto &block : rest.blocks)
                hold.kinds.push_back(block.kind);
            hold.maxAllowedPercent = 0;
        }
        return hold;
    }
    const GuardDecision decision = m_rails->check(*hold.fromPercent, percent, m_conditions);
    hold.reasons = decision.reasons();
    hold.maxAllowedPercent = decision.maxAllowedPercent;
    for (const auto &block : decision.blocks)
        hold.kinds.push_back(block.kind);
    // An increase still being applied starts its cool-down only once it lands: the next one waits for it.
    if (flying && applied && flying->canary > applied->canary && percent > *hold.fromPercent) {
        hold.reasons.append(tr("an increase to %1 % is still being applied").arg(flying->canary));
        hold.kinds.push_back(GuardDecision::Block::Kind::CoolDown);
        hold.maxAllowedPercent = *hold.fromPercent;
    }
    return hold;
}

void ChangeGate::request(int percent, const QString &reason)
{
    decide(percent, reason, std::nullopt, true);
}

void ChangeGate::requestRollback(const QString &reason)
{
    m_waiting.reset();
    if (m_ramp)
        m_ramp->abort(); // nothing when none runs
    goAhead(0, reason, TrafficController::Repeat::Always);
}

void ChangeGate::rollbackStarted()
{
    m_waiting.reset();
    if (m_ramp)
        m_ramp->abort();
    m_controller->beginOwnChange();
}

void ChangeGate::rollbackEnded()
{
    m_controller->endOwnChange();
}

void ChangeGate::requestOverriding(int percent, const QString &overrideReason, const QString &reason)
{
    decide(percent, reason, overrideReason, true);
}

void ChangeGate::decide(
    int percent, const QString &reason, const std::optional<QString> &overrideReason, bool mayRead)
{
    // Unchanged requests are not dropped here: canaryctl sets a split idempotently; the panel asks
    // isUnchanged() itself.
    if (!Split::fromCanaryPercent(percent))
        return;
    m_waiting.reset();
    if (checksBeforeChange() && percent > 0 && !m_controller->applied() && !m_controller->inFlight()
        && mayRead) {
        // The step is measured from the current split, and this may as well be a decrease: read it first
        // (at start-up the read may still be on its way, or an earlier one failed) and decide then.
        m_waiting = Waiting { percent, reason, overrideReason };
        if (!m_controller->isReading())
            m_controller->refresh();
        return;
    }
    const GateHold hold = holdFor(percent);
    if (!hold.isHeld())
        return goAhead(percent, reason, TrafficController::Repeat::IfChanged, true);
    if (overrideReason) // given before any hold was shown: it stands for whatever holds the change now
        return overrideNow(hold, *overrideReason, reason);
    if (m_recorder) {
        if (const QString notWritten = m_recorder(hold, std::nullopt); !notWritten.isEmpty())
            Q_EMIT recordFailed(tr("the refusal could not be written to the audit log: %1").arg(notWritten));
    }
    Q_EMIT increaseHeld(hold);
}

void ChangeGate::override(const GateHold &shown, const QString &typedReason, const QString &reason)
{
    // The operator overrides what they were shown: if the split or the conditions moved since, say what
    // holds it now and ask again.
    const GateHold now = holdFor(shown.toPercent);
    if (!now.isHeld())
        return goAhead(shown.toPercent, reason, TrafficController::Repeat::IfChanged, true);
    if (!now.sameSituationAs(shown)) {
        Q_EMIT holdChanged(now);
        return;
    }
    overrideNow(now, typedReason, reason);
}

void ChangeGate::overrideNow(const GateHold &now, const QString &typedReason, const QString &reason)
{
    if (!GuardRails::overrideAllowed(typedReason)) {
        Q_EMIT overrideRefused(GuardRails::overrideRefusal(typedReason));
        return;
    }
    const QString normalised = GuardRails::normalisedOverrideReason(typedReason);
    // On record before anything moves, with the reasons as they read now.
    if (m_recorder) {
        if (const QString notWritten = m_recorder(now, normalised); !notWritten.isEmpty()) {
            Q_EMIT recordFailed(
                tr("the override could not be written to the audit log, so nothing changed: %1")
                    .arg(notWritten));
            return;
        }
    }
    Q_EMIT guardOverridden(now, normalised);
    const QString overridden = tr("guard-rails overridden: %1").arg(normalised);
    goAhead(now.toPercent,
        reason.trimmed().isEmpty() ? overridden : u"%1 (%2)"_s.arg(reason.trimmed(), overridden));
}

void ChangeGate::goAhead(
    int percent, const QString &eventReason, TrafficController::Repeat repeat, bool judgeAgain)
{
    Q_EMIT changeRequested(percent);
    TrafficController::ApplyCheck check;
    if (judgeAgain && (isGuarding() || m_backoutCheck)) {
        check = [gate = QPointer(this), percent](const std::optional<Split> &, const Split &) {
            return gate ? gate->judgeAgain(percent) : std::nullopt;
        };
    }
    m_controller->requestSplit(
        *Split::fromCanaryPercent(percent), eventReason.trimmed(), repeat, std::move(check));
}

std::optional<TrafficError> ChangeGate::judgeAgain(int percent)
{
    const auto applied = m_controller->applied();
    if (applied && percent <= applied->canary)
        return std::nullopt; // a decrease, or nothing: never held
    if (m_auditedIncrease && m_rails) {
        const auto audited = m_auditedIncrease();
        if (!audited) {
            return TrafficError { TrafficError::Kind::StoreUnusable, 0, {},
                tr("nothing was changed: the audit log could not be read for the guard-rails' cool-down: %1")
                    .arg(audited.error()),
                {} };
        }
        // Another process's increase, committed while this one decided or waited for the lease.
        const auto known = m_rails->lastIncreaseAtMs();
        if (*audited && (!known || **audited > *known))
            m_rails->setLastIncreaseAtMs(*audited);
    }
    // The request judged is the one in flight: its step is measured from the split read under the lease.
    const GateHold hold = holdFor(percent, true);
    if (!hold.isHeld())
        return std::nullopt;
    if (m_recorder) {
        if (const QString notWritten = m_recorder(hold, std::nullopt); !notWritten.isEmpty())
            Q_EMIT recordFailed(tr("the refusal could not be written to the audit log: %1").arg(notWritten));
    }
    Q_EMIT increaseHeld(hold);
    return TrafficError { TrafficError::Kind::Held, 0, {},
        tr("held by the guard-rails: %1").arg(hold.reasons.join(u"; "_s)), {} };
}

void ChangeGate::onSplitKnown()
{
    // Decided on what the read gave: if it failed, the step cannot be measured and the change is held.
    if (const auto waiting = std::exchange(m_waiting, std::nullopt))
        decide(waiting->percent, waiting->reason, waiting->overrideReason, false);
}

GuardDecision ChangeGate::checkRamp(const QList<int> &steps, qint64 pauseMs) const
{
    const auto applied = m_controller->applied();
    if (!steps.isEmpty()) {
        const std::optional<int> from = applied ? std::optional(applied->canary) : std::nullopt;
        if (const QString missing = missingBackout(from, *std::max_element(steps.cbegin(), steps.cend()));
            !missing.isEmpty()) {
            return GuardDecision { false, { { GuardDecision::Block::Kind::NoBackoutPlan, missing } },
                from.value_or(0), std::nullopt };
        }
    }
    if (!isGuarding())
        return {};
    if (!applied) {
        return GuardDecision { false,
            { { GuardDecision::Block::Kind::StaleData,
                tr("the current split is not known yet, so the steps cannot be checked") } },
            0, std::nullopt };
    }
    return m_rails->checkRamp(applied->canary, steps, pauseMs, m_conditions);
}

QStringList ChangeGate::freezes() const
{
    return isGuarding() ? m_rails->freezes(m_conditions) : QStringList();
}

} // namespace canary::traffic
