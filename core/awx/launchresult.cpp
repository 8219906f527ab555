#include "launchresult.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::awx {

QStringList LaunchResult::ignoredExtraVars() const
{
    const QJsonValue extraVars = ignoredFields.value(u"extra_vars"_s);
    if (extraVars.isObject())
        return extraVars.toObject().keys(); // QJsonObject keeps its keys sorted
    return {};
}

QStringList LaunchResult::ignoredFieldNames() const
{
    QStringList names;
    for (auto it = ignoredFields.constBegin(); it != ignoredFields.constEnd(); ++it) {
        if (it.key() == u"extra_vars"_s && it.value().isObject()) {
            const QStringList keys = it.value().toObject().keys();
            for (const QString &key : keys)
                names.append(u"extra_vars."_s + key);
            if (keys.isEmpty())
                names.append(it.key());
        } else {
            names.append(it.key());
        }
    }
    return names;
}

} // namespace canary::awx
