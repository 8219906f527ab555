#pragma once

#include <QString>

namespace canary::sim {

// One tag as Dynatrace lists it with an event or a problem (TagInfo), read from the text form the simulator
// keeps: "[Environment]DT_RELEASE_STAGE:canary-jenkins". "\:" is a literal colon; a tag without a [context]
// is CONTEXTLESS.
struct TagInfo
{
    QString context; // upper case: ENVIRONMENT, KUBERNETES, CONTEXTLESS, …
    QString key;
    QString value;
    bool hasValue = false;
    QString stringRepresentation; // the text it was read from

    static TagInfo parse(const QString &text);

    // Whether this tag satisfies `wanted` (a tag rule of a v1 event): same context (case-insensitive), same
    // key, and the same value when `wanted` names one.
    bool satisfies(const TagInfo &wanted) const;
};

} // namespace canary::sim
