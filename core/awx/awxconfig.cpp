#include "awxconfig.h"

#include <QProcessEnvironment>

#include "net/redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::awx {

namespace {

// The first non-empty value among `names`: the awx CLI and the ansible collection read CONTROLLER_*, and
// still honour the TOWER_* names older setups export.
QString firstValue(const QProcessEnvironment &environment, std::initializer_list<QString> names)
{
    for (const QString &name : names) {
        const QString value = environment.value(name).trimmed();
        if (!value.isEmpty())
            return value;
    }
    return {};
}

} // namespace

QString AwxConfig::normaliseApiPath(const QString &path)
{
    QString normalised = path.trimmed();
    if (!normalised.startsWith(u'/'))
        normalised.prepend(u'/');
    if (!normalised.endsWith(u'/'))
        normalised.append(u'/');
    return normalised;
}

QString AwxConfig::alternativeApiPath(const QString &apiPath)
{
    const QString normalised = normaliseApiPath(apiPath);
    if (normalised == AwxApiPath)
        return GatewayApiPath.toString();
    if (normalised == GatewayApiPath)
        return AwxApiPath.toString();
    return {};
}

Expected<QUrl, QString> AwxConfig::resolveUrl(const QProcessEnvironment &environment, QUrl url)
{
    if (url.isEmpty()) {
        QString host = firstValue(environment, { u"CONTROLLER_HOST"_s, u"TOWER_HOST"_s });
        if (host.isEmpty())
            return u"no AWX URL: pass --awx-url or set CONTROLLER_HOST"_s;
        // The awx CLI accepts a bare host name and assumes https.
        if (!host.contains(u"://"_s))
            host.prepend(u"https://"_s);
        url = QUrl(host, QUrl::StrictMode);
    }
    if (url.scheme().isEmpty()) // a bare host given as a flag
        url = QUrl(u"https://"_s + url.toString(), QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() || (url.scheme() != u"https"_s && url.scheme() != u"http"_s)) {
        return u"the AWX URL '%1' is not an http(s) URL with a host"_s.arg(
            url.toDisplayString(QUrl::RemoveUserInfo));
    }
    if (!url.userInfo().isEmpty())
        return u"the AWX URL must not carry credentials: set CONTROLLER_USERNAME and CONTROLLER_PASSWORD"_s;
    url.setQuery(QString());
    url.setFragment(QString());
    return url;
}

Expected<AwxConfig, QString> AwxConfig::fromEnvironment(
    const QProcessEnvironment &environment, AwxConfig base)
{
    AwxConfig config = std::move(base);
    auto url = resolveUrl(environment, config.url);
    if (!url)
        return url.error();
    config.url = url.value();

    // People paste the API URL they see in the browser; it names the API path, which then needs no flag.
    QString urlPath = config.url.path();
    if (!urlPath.endsWith(u'/'))
        urlPath.append(u'/');
    for (const QStringView candidate : { GatewayApiPath, AwxApiPath }) {
        if (urlPath.endsWith(candidate)) {
            config.apiPath = candidate.toString();
            urlPath.chop(candidate.size());
            config.url.setPath(urlPath);
            break;
        }
    }
    config.apiPath = normaliseApiPath(config.apiPath.isEmpty() ? AwxApiPath.toString() : config.apiPath);

    if (config.token.isEmpty())
        config.token = firstValue(environment, { u"CONTROLLER_OAUTH_TOKEN"_s, u"TOWER_OAUTH_TOKEN"_s });
    net::registerSecret(config.token);
    if (config.username.isEmpty())
        config.username = firstValue(environment, { u"CONTROLLER_USERNAME"_s, u"TOWER_USERNAME"_s });
    if (config.password.isEmpty()) {
        // A password may legitimately start or end with spaces: do not trim it.
        for (const QString &name : { u"CONTROLLER_PASSWORD"_s, u"TOWER_PASSWORD"_s }) {
            config.password = environment.value(name);
            net::registerSecret(config.password);
            if (!config.password.isEmpty())
                break;
        }
    }
    if (config.token.isEmpty()) {
        if (config.username.isEmpty()) {
            return u"no AWX credentials: set CONTROLLER_OAUTH_TOKEN (a token with write scope), or "
                   u"CONTROLLER_USERNAME and CONTROLLER_PASSWORD"_s;
        }
        if (config.password.isEmpty())
            return u"AWX user '%1' has no password: set CONTROLLER_PASSWORD"_s.arg(config.username);
    }

    if (config.pollIntervalMs <= 0)
        return u"the AWX poll interval must be positive, not %1 ms"_s.arg(config.pollIntervalMs);
    if (config.jobTimeoutMs <= 0)
        return u"the AWX job timeout must be positive, not %1 ms"_s.arg(config.jobTimeoutMs);
    if (config.canaryVariable.trimmed().isEmpty())
        return u"the AWX canary variable name must not be empty"_s;
    return config;
}

QByteArray AwxConfig::authorizationHeader() const
{
    if (!token.isEmpty())
        return "Bearer " + token.toUtf8();
    if (!username.isEmpty())
        return "Basic " + (username + u':' + password).toUtf8().toBase64();
    return {};
}

QString AwxConfig::hostDisplay() const
{
    return url.port() < 0 ? url.host() : url.host() + u':' + QString::number(url.port());
}

} // namespace canary::awx
