#include "httpdiagnostics.h"

#include <QNetworkReply>
#include <QRegularExpression>
#include <QSslError>
#include <QStringList>
#include <QUrl>

#include "redaction.h"
#include "urlbuilder.h"

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

namespace {

// scheme://host[:port], the port only when it is not the scheme's default: what an operator types.
QString shownOrigin(const QUrl &url)
{
    QUrl origin;
    origin.setScheme(url.scheme());
    origin.setHost(url.host());
    origin.setPort(url.port());
    const int defaultPort = url.scheme() == u"https"_s ? 443 : url.scheme() == u"http"_s ? 80 : -1;
    if (url.port() == defaultPort)
        origin.setPort(-1);
    return origin.toDisplayString();
}

} // namespace

QString refusedRedirect(const QUrl &from, const QUrl &to, const QUrl &scope)
{
    const QString origin = shownOrigin(from);
    QString target = u"another origin"_s;
    if (to.isValid() && !to.host().isEmpty()) {
        target = to.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment);
        if (to.hasQuery())
            target += u"?…"_s;
    }
    // What differs, so "same host, https" reads as an upgrade to make in the profile rather than an attack.
    QStringList differences;
    if (to.host().compare(from.host(), Qt::CaseInsensitive) != 0)
        differences.append(u"another host"_s);
    if (to.scheme() != from.scheme())
        differences.append(u"%1:// instead of %2://"_s.arg(to.scheme(), from.scheme()));
    else if (to.host().compare(from.host(), Qt::CaseInsensitive) == 0 && to.port(-1) != from.port(-1))
        differences.append(u"another port"_s);
    else if (to.host().compare(from.host(), Qt::CaseInsensitive) == 0)
        differences.append(u"outside %1"_s.arg(scope.path().isEmpty() ? u"/"_s : scope.path()));
    return redactSecrets(u"%1 redirected to %2 (%3): not followed, credentials stay with their origin (%1); "
                         "check the URL in the profile"_s.arg(origin, target, differences.join(u", "_s)));
}

bool withinRedirectScope(const QUrl &scope, const QUrl &target)
{
    if (originOf(scope) != originOf(target))
        return false;
    QString base = scope.adjusted(QUrl::NormalizePathSegments).path(QUrl::FullyEncoded);
    while (base.endsWith(u'/'))
        base.chop(1);
    const QString path = target.adjusted(QUrl::NormalizePathSegments).path(QUrl::FullyEncoded);
    return base.isEmpty() || path == base || path.startsWith(base + u'/');
}

QString transportFailure(const QUrl &url, const QNetworkReply &reply, const QList<QSslError> &sslErrors)
{
    switch (reply.error()) {
    case QNetworkReply::InsecureRedirectError: {
        // Qt refuses the hop after reading the redirect's head, so Location is there; relative to the hop.
        QUrl to = reply.attribute(QNetworkRequest::RedirectionTargetAttribute).toUrl();
        if (to.isEmpty())
            to = QUrl::fromEncoded(reply.rawHeader("Location"));
        return refusedRedirect(url, reply.url().resolved(to));
    }
    case QNetworkReply::SslHandshakeFailedError:
        if (!sslErrors.isEmpty())
            return u"TLS error from %1: %2 (trust its CA with a CA bundle, or allow insecure TLS in the profile)"_s
                .arg(url.host(), describeSslErrors(sslErrors));
        // No certificate problem: the handshake itself broke (a protocol or cipher mismatch, a plain-HTTP
        // server on the TLS port). Qt's text names the reason but not the host.
        return u"TLS handshake with %1 failed: %2 (is %3 serving HTTPS?)"_s.arg(
            url.host(), reply.errorString(), shownOrigin(url));
    default:
        return {};
    }
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
