#pragma once

#include <functional>

#include <QJsonObject>
#include <QString>

namespace canary::session {
class ActionLog;
}
namespace canary::store {
class AuditLog;
}

namespace canary::rollback {

class AutoRemediation;
class RollbackRunner;
struct RollbackState;

// What a rollback's audit rows say it acts on (the plan in words, or the fallback) and their detail: its id,
// stage, who started it and why, the plan's source, the job. The journal's records are held against the
// "rollback.start" row's (JournalProvenance).
QString auditTarget(const RollbackState &state);
QJsonObject auditDetail(const RollbackState &state);

// Writes the operator's rollbacks (and the guard's steps, when `guard` is given) into the local action log,
// so the timeline shows them at once, before Dynatrace lists the recorded event.
void logRollbackActions(RollbackRunner *runner, AutoRemediation *guard, session::ActionLog *log);

// Appends every rollback to the durable audit log: "rollback.start" requested as it begins (committed
// before anything runs; "rollback.resume" when a journal's rollback is carried on), then "rollback.finish"
// succeeded or failed with the outcome; a rollback refused before it began is "rollback.start" failed.
// Call it before connecting anything that announces the outcome (slots run in connection order), so a
// rollback is shown as done only once its row is committed. `operatorName` stands in where the state names
// nobody (a refusal). Rows that cannot be written go to `onError`.
void auditRollbackActions(RollbackRunner *runner, store::AuditLog *audit, const QString &operatorName,
    std::function<void(const QString &error)> onError = {});

} // namespace canary::rollback
