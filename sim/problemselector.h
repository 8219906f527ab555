#pragma once

#include <vector>

#include <QString>

#include "criteriaparser.h"
#include "simerror.h"
#include "util/expected.h"

namespace canary::sim {

struct StoredProblem;

// The problemSelector of GET /api/v2/problems: status("open"|"closed"), severityLevel(…), impactLevel(…),
// displayId(…), problemId(…), rootCauseEntity(…), affectedEntities(…), impactedEntities(…),
// entityTags("k:v"), text("…") (case-insensitive, in the title), managementZones(…) (the simulated tenant has
// none) and underMaintenance(true|false).
struct ProblemSelector
{
    std::vector<SelectorCriterion> criteria;

    bool matches(const StoredProblem &problem) const;

    static canary::Expected<ProblemSelector, SimError> parse(const QString &text);
};

} // namespace canary::sim
