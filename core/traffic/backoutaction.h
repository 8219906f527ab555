#pragma once

#include <QString>

namespace canary::traffic {

// A backout a traffic back-end offers of its own, for changes recorded without a configured remediation
// action: what goes on the event (the workshop's remediationType / remediationAction, which Dynatrace's
// workflow and Roll back execute) and, for people, what it is.
struct BackoutAction
{
    QString remediationType; // "ansible"
    QString remediationAction; // "9": the AWX template that resets the weighting
    QString description; // "AWX template 'Reset canary weighting' (#9) on the simulator"

    bool isValid() const { return !remediationType.isEmpty() && !remediationAction.isEmpty(); }
    bool operator==(const BackoutAction &) const = default;
};

} // namespace canary::traffic
