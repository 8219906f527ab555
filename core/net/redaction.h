#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>
#include <QtGlobal>

namespace canary::net {

// What a masked secret reads as.
inline constexpr QStringView RedactedMask = u"***";

// `text` with every credential masked, for log lines, error messages and crash output:
// - Dynatrace tokens (dt0c01, dt0s01, dt0s02, ...: "<prefix>.<public id>.<secret>") keep their public part,
//   "dt0c01.ABC….***", wherever they appear (bare, in a header, in a URL);
// - the value after "Api-Token", "Bearer" and "Basic", and of Authorization / Proxy-Authorization / Cookie
//   header lines;
// - values of keys ending in token, password, passwd, secret or api_key, as `key=value` (URL queries,
//   environment lines) and as quoted JSON members: token, access_token, private_token, password, secret, ...;
// - the password of a URL's `user:password@`;
// - credentials recognised by their shape alone, wherever they appear, masked whole: JSON Web Tokens
//   (Kubernetes service-account and OAuth bearer tokens), GitLab (glpat-, glptt-, gldt-) and GitHub (ghp_,
//   github_pat_, ...) tokens, and AWX / Automation Platform OAuth2 tokens (a standalone word of exactly 30
//   letters and digits mixing upper case, lower case and digits);
// - every secret registered with registerSecret(), wherever it appears (also percent-encoded).
// Masking twice changes nothing.
QString redactSecrets(QStringView text);
// The same for UTF-8 bytes; bytes without a secret come back unchanged, even if they are not UTF-8.
QByteArray redactSecrets(QByteArrayView text);

// What kind of credential `text` contains, e.g. "a Dynatrace token", "a JSON Web Token", "an AWX token";
// empty when none. Never repeats the value. For refusing a token typed into a field that is not a token
// field, so it is matched more eagerly than redactSecrets() masks: a truncated Dynatrace token
// ("dt0c01.ABCDEF") counts, as does "Bearer x…" and a credential-named key with a value ("api-token=…",
// "password=…": "a credential named api-token"). Registered secrets do not count: a short password registered
// for masking may well equal an ordinary value.
QString tokenShapeIn(QStringView text);

// Registers a secret (a token read from the keychain or the environment, a password) so that
// redactSecrets() masks it whatever its shape. Process-wide and thread-safe; a secret stays registered until
// the process ends. Secrets shorter than MinimumRegisteredSecretLength are ignored: masking every "abc" would
// make logs unreadable without protecting anything worth a name.
void registerSecret(const QString &secret);
inline constexpr qsizetype MinimumRegisteredSecretLength = 4;

// Installs a Qt message handler that passes every message, of every type and category, through
// redactSecrets() before handing it to the handler installed before (Qt's default one if none). Call it
// first thing in main(). Installing it again keeps the one wrapper. Returns the handler now wrapped, which a
// caller (a test) may reinstall with qInstallMessageHandler() to undo this.
QtMessageHandler installRedactingMessageHandler();

} // namespace canary::net
