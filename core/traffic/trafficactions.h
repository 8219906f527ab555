#pragma once

#include <functional>
#include <optional>

#include <QString>
#include <QStringList>

namespace canary::session {
class ActionLog;
}
namespace canary::store {
class AuditLog;
}

namespace canary::traffic {

class ChangeGate;
class ChangeRecorder;
class TrafficController;

// Writes what the operator does to the traffic into the local action log: each applied split, each
// failed one, and each change Dynatrace did not record (so the timeline shows it even without an event);
// and each change someone else made, found by a read ("Traffic changed to 50/50 outside Canary Console").
// The connections last as long as both objects.
void logTrafficActions(TrafficController *controller, session::ActionLog *log);

// Appends every traffic change to the durable audit log as action "split.set": "requested" before the
// back-end is asked (it is the controller's journal: a row that cannot be written stops the change with
// nothing sent), "succeeded" once the back-end confirmed it, "failed" when it did not, "unknown" when its
// answer was lost (then again with the read-back's outcome). Call it before connecting anything that tells
// the operator a change is done: slots run in the order they were connected, so the "succeeded" row is
// committed before anyone says so. An outcome row that cannot be written is reported to `onError` (the
// change itself is not undone). `audit` must outlive `controller`'s signals. The "requested" row carries
// what the change event needs (SplitIntent, with the remediation plan of `recorder` when there is one) and
// the outcome names it ("intent"; 0 for "unknown", which leaves it open): a process killed in between
// leaves an open request that IntentReconciler answers at the next start.
void auditTrafficActions(TrafficController *controller, store::AuditLog *audit, const QString &operatorName,
    std::function<void(const QString &error)> onError = {}, const ChangeRecorder *recorder = nullptr);

// The same decision in the local action log, for the timeline and the incident report: "GUARD_BLOCKED"
// (failed) or "GUARD_OVERRIDE" (succeeded), with the reasons and the override's reason as properties.
void logGuardDecision(session::ActionLog *log, std::optional<int> from, int to, const QStringList &reasons,
    const std::optional<QString> &overrideReason);

// A guard-rail decision on record, the same from canaryctl and the window: "split.blocked" (result failed)
// for an increase the guard-rails held, "split.guard-override" (succeeded) for one that went ahead on
// `overrideReason`. `from` is the canary's share before (nullopt: unknown), `to` the one asked for.
// Returns why the row could not be written, or an empty string.
QString auditGuardDecision(store::AuditLog *audit, const QString &operatorName, const QString &target,
    std::optional<int> from, int to, const QStringList &reasons,
    const std::optional<QString> &overrideReason);

// Puts every decision of `gate` on record: the audit log (auditGuardDecision; an override that cannot be
// written does not go ahead) and, when `log` is set, the window's action log. `audit` and `log` must outlive
// `gate`.
void recordGuardDecisions(ChangeGate *gate, store::AuditLog *audit, const QString &operatorName,
    const QString &target, session::ActionLog *log = nullptr);

} // namespace canary::traffic
