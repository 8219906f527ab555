#pragma once

namespace canary::session {
class ActionLog;
}

namespace canary::traffic {

class TrafficController;

// Writes what the operator does to the traffic into the local action log: each applied split, each
// failed one, and each change Dynatrace did not record (so the timeline shows it even without an event).
// The connections last as long as both objects.
void logTrafficActions(TrafficController *controller, session::ActionLog *log);

} // namespace canary::traffic
