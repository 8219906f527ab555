#pragma once

#include <vector>

#include <QString>

#include "criteriaparser.h"
#include "simerror.h"
#include "util/expected.h"

namespace canary::sim {

struct StoredEvent;

// The eventSelector of GET /api/v2/events: eventType("…") (one type only, as Dynatrace insists),
// status("OPEN"), eventId(…), entityId(…), correlationId(…), property.<key>("v1","v2"), managementZoneId(…)
// and the flags underMaintenance/suppressAlert/suppressProblem/frequentEvent(true|false), which are false for
// every simulated event.
struct EventSelector
{
    std::vector<SelectorCriterion> criteria;

    bool matches(const StoredEvent &event, qint64 nowMs) const;

    // A 400 with a constraint violation on eventSelector for what the simulator (or Dynatrace) refuses.
    static canary::Expected<EventSelector, SimError> parse(const QString &text);
};

} // namespace canary::sim
