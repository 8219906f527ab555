#pragma once

#include <QByteArray>
#include <QList>
#include <QNetworkRequest>
#include <QString>
#include <QUrl>

class QNetworkReply;
class QSslError;
class QUrl;

namespace canary::net {

// The standard reason phrase of the statuses servers and proxies answer errors with in practice; empty for
// any other. HttpResponse does not carry the phrase the server sent, and HTTP/2 has none.
QString reasonPhrase(int status);

// The words of an error body that is not the API's own error shape, on one line and at most `maxLength`
// characters: proxies and load balancers answer with HTML pages, and a status bar needs their text, not
// their markup, scripts or comments. Credentials an error page echoes are masked (redactSecrets).
QString bodyExcerpt(const QByteArray &body, qsizetype maxLength = 200);

// What went wrong in a TLS handshake, one clause per distinct problem ("The certificate is self-signed, and
// untrusted; The host name did not match ...").
QString describeSslErrors(const QList<QSslError> &errors);

// Why a call ended with a transport error, naming the host: a refused redirect says where it pointed, a TLS
// handshake that failed says with whom and Qt's reason. Empty when the reply's error is neither (the caller
// keeps Qt's text). `url` is the call's URL; `sslErrors` the certificate problems the handshake reported.
QString transportFailure(const QUrl &url, const QNetworkReply &reply, const QList<QSslError> &sslErrors);

// "https://a.example redirected to https://b.example/x?…: not followed, ...": the refusal of a redirect to
// another origin (SameOriginRedirectPolicy), naming both ends. The target is shown without its user info
// and query, which may carry a token.
QString refusedRedirect(const QUrl &from, const QUrl &to, const QUrl &scope = {});

// The request attribute a RestClient whose base URL has a path (a Managed environment's /e/<id>) puts the
// base on: a redirect is only followed under it, since another environment on the same host is another
// tenant.
inline constexpr QNetworkRequest::Attribute RedirectScopeAttribute
    = QNetworkRequest::Attribute(QNetworkRequest::User + 19);
// Whether `target` is `scope`'s origin and under its path.
bool withinRedirectScope(const QUrl &scope, const QUrl &target);

// `text` cut to at most `maxLength` characters, ending in '…' when something was cut.
QString elided(const QString &text, qsizetype maxLength);

} // namespace canary::net
