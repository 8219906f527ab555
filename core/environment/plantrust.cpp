#include "plantrust.h"

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

QStringList allowedTemplates(const QStringList &fromFlags, const profile::Profile *profile)
{
    QStringList templates;
    for (const QString &entry : fromFlags + (profile ? profile->allowedTemplates : QStringList())) {
        if (!entry.trimmed().isEmpty() && !templates.contains(entry.trimmed()))
            templates.append(entry.trimmed());
    }
    return templates;
}

QString planEventSource(const QString &fromFlag, const profile::Profile *profile)
{
    if (!fromFlag.trimmed().isEmpty())
        return fromFlag.trimmed();
    return profile ? profile->planEventSource.trimmed() : QString();
}

} // namespace canary::environment
