#include "httpdiagnostics.h"

#include <QRegularExpression>
#include <QSslError>
#include <QStringList>

#include "redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::net {

QString reasonPhrase(int status)
{
    switch (status) {
    case 400:
        return u"Bad Request"_s;
    case 401:
        return u"Unauthorized"_s;
    case 403:
        return u"Forbidden"_s;
    case 404:
        return u"Not Found"_s;
    case 405:
        return u"Method Not Allowed"_s;
    case 406:
        return u"Not Acceptable"_s;
    case 408:
        return u"Request Timeout"_s;
    case 409:
        return u"Conflict"_s;
    case 413:
        return u"Payload Too Large"_s;
    case 429:
        return u"Too Many Requests"_s;
    case 500:
        return u"Internal Server Error"_s;
    case 502:
        return u"Bad Gateway"_s;
    case 503:
        return u"Service Unavailable"_s;
    case 504:
        return u"Gateway Timeout"_s;
    default:
        return {};
    }
}

QString bodyExcerpt(const QByteArray &body, qsizetype maxLength)
{
    // Only the start: an error page worth reading says what it has to say long before 64 KiB.
    QString text = QString::fromUtf8(body.left(64 * 1024));
    static const QRegularExpression invisibleBlocks(u"<(head|script|style)\\b[^>]*>.*?</\\1\\s*>"_s,
        QRegularExpression::CaseInsensitiveOption | QRegularExpression::DotMatchesEverythingOption);
    static const QRegularExpression comments(u"<!--.*?-->"_s, QRegularExpression::DotMatchesEverythingOption);
    static const QRegularExpression tags(u"<[^>]*>"_s);
    text.remove(invisibleBlocks);
    text.remove(comments);
    text.replace(tags, u" "_s);
    // &amp; last, so "&amp;lt;" stays the literal text "&lt;".
    text.replace(u"&nbsp;"_s, u" "_s)
        .replace(u"&lt;"_s, u"<"_s)
        .replace(u"&gt;"_s, u">"_s)
        .replace(u"&quot;"_s, u"\""_s)
        .replace(u"&#39;"_s, u"'"_s)
        .replace(u"&amp;"_s, u"&"_s);
    // Masked before cutting, so a cut cannot leave half a token unrecognised.
    return elided(redactSecrets(text.simplified()), maxLength);
}

QString describeSslErrors(const QList<QSslError> &errors)
{
    QStringList problems;
    for (const QSslError &error : errors) {
        const QString problem = error.errorString();
        if (!problems.contains(problem))
            problems.append(problem);
    }
    return problems.join(u"; "_s);
}

QString elided(const QString &text, qsizetype maxLength)
{
    if (text.size() <= maxLength)
        return text;
    if (maxLength < 1)
        return {}; // not even room for the '…'
    // Trimmed so a cut between two words does not leave "word …".
    return text.left(maxLength - 1).trimmed() + u'…';
}

} // namespace canary::net
