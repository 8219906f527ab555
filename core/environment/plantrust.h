#pragma once

#include <QProcessEnvironment>
#include <QStringList>

namespace canary::profile {
struct Profile;
}

namespace canary::environment {

// The origins a recorded backout plan may point at besides the configured AWX: the --allow-origin flags, the
// profile's list and CANARY_ALLOWED_ORIGINS (comma-separated), in that order. The window and canaryctl trust
// exactly the same ones.
QStringList allowedOrigins(
    const QStringList &fromFlags, const profile::Profile *profile, const QProcessEnvironment &environment);

} // namespace canary::environment
