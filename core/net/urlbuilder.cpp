#include "urlbuilder.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::net {

QUrl buildUrl(const QUrl &base, const QString &path, const QueryItems &query)
{
    QUrl url = base;
    QString basePath = base.path();
    while (basePath.endsWith(u'/'))
        basePath.chop(1);
    url.setPath(basePath + (path.startsWith(u'/') ? path : u'/' + path));

    QByteArray encoded;
    for (const auto &[key, value] : query) {
        if (!encoded.isEmpty())
            encoded += '&';
        encoded += QUrl::toPercentEncoding(key) + '=' + QUrl::toPercentEncoding(value);
    }
    url.setQuery(encoded.isEmpty() ? QString() : QString::fromLatin1(encoded), QUrl::StrictMode);
    url.setFragment({});
    return url;
}

QString originOf(const QUrl &url)
{
    const int defaultPort = url.scheme() == u"https"_s ? 443 : 80;
    return url.scheme() + u"://"_s + url.host() + u':' + QString::number(url.port(defaultPort));
}

} // namespace canary::net
