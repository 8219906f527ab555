#pragma once

namespace canary::session {
class ActionLog;
}

namespace canary::rollback {

class AutoRemediation;
class RollbackRunner;

// Writes the operator's rollbacks (and the guard's steps, when `guard` is given) into the local action log,
// so the timeline shows them at once, before Dynatrace lists the recorded event.
void logRollbackActions(RollbackRunner *runner, AutoRemediation *guard, session::ActionLog *log);

} // namespace canary::rollback
