#pragma once

#include <QProcessEnvironment>
#include <QStringList>

namespace canary::profile {
struct Profile;
}

namespace canary::environment {

// What a recorded backout plan may do, from the operator's own settings (never from the events): the window
// and canaryctl trust exactly the same.

// The origins a plan may point at besides the configured AWX: the --allow-origin flags, the profile's list
// and CANARY_ALLOWED_ORIGINS (comma-separated), in that order.
QStringList allowedOrigins(
    const QStringList &fromFlags, const profile::Profile *profile, const QProcessEnvironment &environment);

// The job templates a plan may launch: the --allow-template flags and the profile's rollback.allow-template
// entries (ids or names). Not from the environment: a variable set by a wrapper script would widen the list
// unseen.
QStringList allowedTemplates(const QStringList &fromFlags, const profile::Profile *profile);

// The dt.event.source plans are taken from: the --plan-source flag, else the profile's rollback.plan-source;
// empty: any source.
QString planEventSource(const QString &fromFlag, const profile::Profile *profile);

} // namespace canary::environment
