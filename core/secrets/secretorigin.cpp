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

QString originOf(const QUrl &url)
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
    // Managed and ActiveGate URLs name the environment by path: /e/<environment id>.
    static const QRegularExpression environmentPath(u"^/e/([^/]+)"_s);
    const QRegularExpressionMatch match = environmentPath.match(url.path());
    if (match.hasMatch())
        origin += u"/e/"_s + match.captured(1);
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
    if (stored.startsWith(u'{')) {
        const QJsonDocument document = QJsonDocument::fromJson(stored.toUtf8());
        const QJsonObject entry = document.object();
        if (entry.value(SealKey).toInt() == SealVersion && entry.value(u"value"_s).isString())
            return { entry.value(u"value"_s).toString(), entry.value(u"origin"_s).toString() };
    }
    return { stored, {} };
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
