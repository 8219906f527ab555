#include "changeorigin.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

QString ChangeOrigin::toString() const
{
    if (!isKnown())
        return {};
    QString text = source;
    if (!actor.isEmpty())
        text += u", by "_s + actor;
    if (at.isValid())
        text += u" at "_s + at.toUTC().toString(u"yyyy-MM-dd HH:mm:ss"_s) + u" UTC"_s;
    return text;
}

QMap<QString, QString> ChangeOrigin::properties() const
{
    QMap<QString, QString> result;
    if (!isKnown())
        return result;
    result.insert(u"split.origin"_s, source);
    if (!actor.isEmpty())
        result.insert(u"split.origin.actor"_s, actor);
    if (at.isValid())
        result.insert(u"split.origin.at"_s, at.toUTC().toString(Qt::ISODateWithMs));
    if (link.isValid())
        result.insert(u"split.origin.link"_s, link.toString());
    return result;
}

QJsonObject ChangeOrigin::toJson() const
{
    QJsonObject json { { u"source"_s, source } };
    if (!actor.isEmpty())
        json.insert(u"actor"_s, actor);
    if (at.isValid())
        json.insert(u"at"_s, at.toUTC().toString(Qt::ISODateWithMs));
    if (link.isValid())
        json.insert(u"link"_s, link.toString());
    return json;
}

} // namespace canary::traffic
