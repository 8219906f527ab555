#include "simrequest.h"

#include <QUrl>

namespace canary::sim {

bool SimRequest::hasQueryItem(const QString &key) const
{
    return optionalQueryItem(key).has_value();
}

QString SimRequest::queryItem(const QString &key) const
{
    return optionalQueryItem(key).value_or(QString());
}

std::optional<QString> SimRequest::optionalQueryItem(const QString &key) const
{
    for (const auto &[k, v] : query) {
        if (k == key)
            return v;
    }
    return std::nullopt;
}

QByteArray SimRequest::header(const QByteArray &name) const
{
    for (const auto &[k, v] : headers) {
        if (k.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    }
    return {};
}

QList<QPair<QString, QString>> SimRequest::decodeQuery(const QByteArray &rawQuery)
{
    QList<QPair<QString, QString>> items;
    const auto decode = [](QByteArray part) { return QUrl::fromPercentEncoding(part.replace('+', ' ')); };
    for (const QByteArray &pair : rawQuery.split('&')) {
        if (pair.isEmpty())
            continue;
        const qsizetype equals = pair.indexOf('=');
        if (equals < 0)
            items.append({ decode(pair), QString() });
        else
            items.append({ decode(pair.left(equals)), decode(pair.mid(equals + 1)) });
    }
    return items;
}

} // namespace canary::sim
