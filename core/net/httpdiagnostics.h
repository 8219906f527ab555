#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

class QSslError;

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

// `text` cut to at most `maxLength` characters, ending in '…' when something was cut.
QString elided(const QString &text, qsizetype maxLength);

} // namespace canary::net
