#include "secretorigin.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

using namespace Qt::Literals::StringLiterals;

namespace canary::secrets {

namespace {

// The envelope's marker and version: a value that is not such an object was written before origins were
// recorded. A token is never a JSON object, so the two cannot be confused.
constexpr auto SealKey = "canary-secret"_L1;
constexpr int SealVersion = 1;

int defaultPort(const QString &scheme)
{
    return scheme == u"https"_s ? 443 : 80;
}

} // namespace

QString bindingOrigin(const QUrl &url)
{
    const QString scheme = url.scheme().toLower();
    const QString host = url.host(QUrl::FullyEncoded).toLower();
    if ((scheme != u"https"_s && scheme != u"http"_s) || host.isEmpty() || !url.isValid())
        return {};
    QString origin = scheme + u"://"_s;
    // An IPv6 literal keeps its brackets, as in the URL.
    origin += host.contains(u':') ? u'[' + host + u']' : host;
    const int port = url.port(defaultPort(scheme));
    if (port != defaultPort(scheme))
        origin += u':' + QString::number(port);
    // Managed and ActiveGate URLs name the environment by path, /e/<environment id>, also behind a proxy's
    // prefix. The path as it goes on the wire: "/e/abc/../../e/xyz" is /e/xyz, and an escape stays escaped.
    static const QRegularExpression environmentPath(u"^(.*?/e/[^/]+)"_s);
    const QString path = url.adjusted(QUrl::NormalizePathSegments).path(QUrl::FullyEncoded);
    const QRegularExpressionMatch match = environmentPath.match(path);
    if (match.hasMatch())
        origin += match.captured(1);
    // Shown in messages and stored: printable ASCII only, or no origin at all.
    for (const QChar c : std::as_const(origin)) {
        if (c.unicode() < 0x21 || c.unicode() > 0x7e)
            return {};
    }
    return origin;
}

QString sealSecret(const QString &value, const QString &origin)
{
    QJsonObject entry;
    entry.insert(SealKey, SealVersion);
    entry.insert(u"origin"_s, origin);
    entry.insert(u"value"_s, value);
    return QString::fromUtf8(QJsonDocument(entry).toJson(QJsonDocument::Compact));
}

BoundSecret unsealSecret(const QString &stored)
{
    if (!stored.startsWith(u'{'))
        return { stored, {}, BoundSecret::State::Old };
    const QJsonObject entry = QJsonDocument::fromJson(stored.toUtf8()).object();
    if (!entry.contains(SealKey))
        return { stored, {}, BoundSecret::State::Old };
    // Claims to be sealed: either it is, exactly, or nothing of it is used. Never "old", which would bind
    // the whole text (secret included) to whatever origin the profile names now.
    const QJsonValue value = entry.value(u"value"_s);
    const QJsonValue origin = entry.value(u"origin"_s);
    const bool sealed = entry.value(SealKey) == QJsonValue(SealVersion) && value.isString()
        && !value.toString().isEmpty() && origin.isString()
        && bindingOrigin(QUrl(origin.toString())) == origin.toString() && !origin.toString().isEmpty();
    if (!sealed)
        return { {}, {}, BoundSecret::State::Unreadable };
    return { value.toString(), origin.toString(), BoundSecret::State::Sealed };
}

const SecretDestination &SecretDestinations::get(SecretName name) const
{
    switch (name) {
    case SecretName::DynatraceToken:
        return dynatrace;
    case SecretName::AwxToken:
    case SecretName::AwxPassword:
        return awx;
    case SecretName::KubeToken:
        break;
    }
    return kube;
}

SecretDestination &SecretDestinations::get(SecretName name)
{
    return const_cast<SecretDestination &>(std::as_const(*this).get(name));
}

QString OriginMismatch::describe() const
{
    return u"the %1 in the keychain was saved for %2, and this run would send it to %3: it stays with %2 "
           "and is not sent"_s.arg(secretNameText(name), savedFor, wouldGoTo);
}

} // namespace canary::secrets
