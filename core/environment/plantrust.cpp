#include "allowedorigins.h"

#include "profile/profile.h"

namespace canary::environment {

QStringList allowedOrigins(
    const QStringList &fromFlags, const profile::Profile *profile, const QProcessEnvironment &environment)
{
    QStringList origins = fromFlags;
    if (profile)
        origins += profile->allowedOrigins;
    for (const QString &origin :
        environment.value(QStringLiteral("CANARY_ALLOWED_ORIGINS")).split(u',', Qt::SkipEmptyParts))
        origins.append(origin.trimmed());
    return origins;
}

} // namespace canary::environment
