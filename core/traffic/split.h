#pragma once

#include <optional>

#include <QMetaType>
#include <QString>

#include "util/expected.h"

namespace canary::traffic {

// How traffic is shared between the stable build and the canary, in whole percent; always adds up to 100.
struct Split
{
    int stable = 100;
    int canary = 0;

    // nullopt outside 0..100.
    static std::optional<Split> fromCanaryPercent(int canaryPercent);
    // Parses what an operator types ("30", "30%"); otherwise says why not.
    static Expected<Split, QString> parseCanaryPercent(const QString &text);

    bool isValid() const { return stable >= 0 && canary >= 0 && stable + canary == 100; }
    QString toString() const; // "70/30"
    bool operator==(const Split &) const = default;
};

} // namespace canary::traffic

Q_DECLARE_METATYPE(canary::traffic::Split)
