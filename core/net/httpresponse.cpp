#include "httpresponse.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::net {

QDateTime parseHttpDate(const QByteArray &value)
{
    // HTTP dates are always GMT, and Qt's RFC 2822 parser takes numeric zones only. The obsolete RFC 850 form
    // is not accepted.
    QString text = QString::fromLatin1(value).simplified();
    if (text.endsWith(u" GMT"_s, Qt::CaseInsensitive))
        text.chop(4);
    return QDateTime::fromString(text + u" +0000"_s, Qt::RFC2822Date);
}

QByteArray HttpResponse::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

} // namespace canary::net
