#pragma once

#include <vector>

#include <QString>
#include <QStringList>

#include "criteriaparser.h"
#include "simerror.h"
#include "util/expected.h"

namespace canary::sim {

struct ServiceInfo;

// The entitySelector of a metrics query, as far as the simulator needs it: type(), entityId(), tag() (quoted
// or in the workshop's unquoted form) and entityName.equals/startsWith/contains. Values inside one criterion
// are ORed, criteria are ANDed.
struct EntitySelector
{
    using Criterion = SelectorCriterion; // type, entityId, tag, entityName.equals, …

    std::vector<Criterion> criteria;

    bool matches(const ServiceInfo &service) const;

    static canary::Expected<EntitySelector, SimError> parse(const QString &text);
};

} // namespace canary::sim
