#include "targetoptions.h"

#include "net/redaction.h"
#include "profilefile.h"
#include "profilestore.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::profile {

void TargetOptions::addTo(QCommandLineParser &parser)
{
    parser.addOptions({ m_profile, m_config, m_url, m_entitySelector, m_metricSelector, m_failureMetric,
        m_responseTimeMetric, m_buildDimension, m_from, m_resolution, m_refresh, m_timeout });
}

bool TargetOptions::isDynatraceUrlSet(const QCommandLineParser &parser)
{
    return parser.isSet(u"dynatrace-url"_s);
}

QString TargetOptions::tokenFrom(const QProcessEnvironment &environment)
{
    QString token = environment.value(u"DT_API_TOKEN"_s);
    if (token.isEmpty())
        token = environment.value(u"DYNATRACE_API_TOKEN"_s);
    // Whatever its shape, it never appears in a log line or an error message.
    net::registerSecret(token);
    return token;
}

QString classicApiHost(const QString &host)
{
    // Only a SaaS tenant's own host, "<environment id>.<platform domain>", and only Dynatrace's own domains:
    // a substring rewrite turned activegate.apps.dynatrace.corp.example into activegate.live.dynatrace.corp.
    // example, another host, which then received the token.
    static const std::pair<QLatin1StringView, QLatin1StringView> domains[] = {
        { ".apps.dynatrace.com"_L1, ".live.dynatrace.com"_L1 },
        { ".sprint.apps.dynatracelabs.com"_L1, ".sprint.dynatracelabs.com"_L1 },
        { ".dev.apps.dynatracelabs.com"_L1, ".dev.dynatracelabs.com"_L1 },
    };
    const QString lower = host.toLower();
    for (const auto &[apps, live] : domains) {
        if (!lower.endsWith(apps))
            continue;
        const QStringView environmentId = QStringView(lower).chopped(apps.size());
        const bool oneLabel = !environmentId.isEmpty() && !environmentId.contains(u'.');
        return oneLabel ? environmentId + live : host;
    }
    return host;
}

Expected<QUrl, QString> normaliseDynatraceUrl(const QString &text)
{
    QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return u"the Dynatrace URL is empty"_s;
    if (!trimmed.contains(u"://"_s))
        trimmed.prepend(u"https://"_s);
    QUrl url(trimmed, QUrl::StrictMode);
    // Never quote the text itself once it parses: it may carry user:password@ (net::redactSecrets masks
    // that in logs, but a refusal is printed as is).
    if (!url.isValid() || url.host().isEmpty())
        return u"'%1' is not a valid URL"_s.arg(net::redactSecrets(text));
    const QString shown = url.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemoveQuery);
    // The profile file refuses them too (Profile::problems): a password in a URL travels to every log,
    // proxy and shell history that sees the URL, and Dynatrace takes no Basic credentials anyway.
    if (!url.userInfo().isEmpty())
        return u"'%1': the Dynatrace URL must not carry a user name or password; the token goes in "
               "DT_API_TOKEN or the keychain"_s.arg(shown);
    if (url.scheme() != u"https"_s && url.scheme() != u"http"_s)
        return u"'%1': only http and https URLs are supported"_s.arg(shown);
    if (!url.query().isEmpty() || !url.fragment().isEmpty())
        return u"'%1': the environment URL must not carry a query or fragment"_s.arg(shown);

    QString path = url.path();
    const qsizetype api = path.indexOf(u"/api/"_s);
    if (api >= 0)
        path.truncate(api);
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path);

    // The new platform's UI host does not serve the classic API.
    url.setHost(classicApiHost(url.host()));
    return url;
}

namespace {

Expected<int, QString> positiveSeconds(const QCommandLineParser &parser, const QString &name)
{
    bool ok = false;
    const double seconds = parser.value(name).toDouble(&ok);
    if (!ok || seconds <= 0 || seconds > 24 * 3600)
        return u"--%1 takes a number of seconds greater than 0 and at most 86400 (a day), not '%2'"_s.arg(
            name, parser.value(name));
    // Under a millisecond would read as 0, which turns a timeout off.
    return std::max(1, int(seconds * 1000));
}

} // namespace

Expected<std::optional<Profile>, QStringList> TargetOptions::profile(const QCommandLineParser &parser) const
{
    if (parser.isSet(m_config) && parser.isSet(m_profile))
        return QStringList { u"--config and --profile both name a profile: pass one"_s };
    if (parser.isSet(m_config)) {
        auto read = readProfileFile(parser.value(m_config));
        if (!read)
            return read.error();
        return std::optional<Profile>(read.value());
    }
    if (parser.isSet(m_profile)) {
        const ProfileStore store;
        auto read = store.read(parser.value(m_profile).trimmed());
        if (!read)
            return read.error();
        return std::optional<Profile>(read.value());
    }
    return std::optional<Profile>();
}

bool TargetOptions::isProfileSet(const QCommandLineParser &parser) const
{
    return parser.isSet(m_config) || parser.isSet(m_profile);
}

Expected<session::Target, QString> TargetOptions::read(const QCommandLineParser &parser,
    const QProcessEnvironment &environment, bool urlFromEnvironment, const QUrl &fallbackUrl,
    const Profile *profile) const
{
    // A token pasted as a flag's value is a usage error that does not repeat it (the flags' own errors do
    // quote their values). The profile's fields were checked when it was read.
    for (const QCommandLineOption *option : { &m_url, &m_entitySelector, &m_metricSelector, &m_failureMetric,
             &m_responseTimeMetric, &m_buildDimension, &m_from, &m_resolution, &m_refresh, &m_timeout }) {
        const QString flag = u"--"_s + option->names().constFirst();
        if (QString problem = tokenShapeProblem(flag, parser.value(*option)); !problem.isEmpty())
            return problem;
    }
    session::Target target = profile ? profile->toTarget() : session::Target();
    auto url = dynatraceUrl(parser, environment, urlFromEnvironment, fallbackUrl, profile);
    if (!url)
        return url.error();
    target.dynatraceUrl = url.value();

    if (parser.isSet(m_entitySelector))
        target.entitySelector = parser.value(m_entitySelector).trimmed();
    if (parser.isSet(m_metricSelector))
        target.metricSelector = parser.value(m_metricSelector).trimmed();
    if (target.metricSelector.isEmpty())
        return u"--metric-selector must not be empty"_s;
    // An empty value is a choice: that health metric is not fetched.
    if (parser.isSet(m_failureMetric))
        target.failureMetricSelector = parser.value(m_failureMetric).trimmed();
    if (parser.isSet(m_responseTimeMetric))
        target.responseTimeMetricSelector = parser.value(m_responseTimeMetric).trimmed();
    if (parser.isSet(m_buildDimension) || !profile)
        target.buildDimension = parser.value(m_buildDimension).trimmed();
    if (parser.isSet(m_from) || !profile)
        target.from = parser.value(m_from).trimmed();
    if (parser.isSet(m_resolution) || !profile)
        target.resolution = parser.value(m_resolution).trimmed();
    if (parser.isSet(m_refresh)) {
        auto ms = positiveSeconds(parser, m_refresh.names().front());
        if (!ms)
            return ms.error();
        target.refreshIntervalMs = ms.value();
    }
    if (parser.isSet(m_timeout)) {
        auto ms = positiveSeconds(parser, m_timeout.names().front());
        if (!ms)
            return ms.error();
        target.requestTimeoutMs = ms.value();
    }
    return target;
}

Expected<QUrl, QString> TargetOptions::dynatraceUrl(const QCommandLineParser &parser,
    const QProcessEnvironment &environment, bool urlFromEnvironment, const QUrl &fallbackUrl,
    const Profile *profile) const
{
    QString urlText = parser.value(m_url);
    if (urlText.isEmpty() && (urlFromEnvironment || profile)) {
        urlText = environment.value(u"DT_ENV_URL"_s);
        if (urlText.isEmpty())
            urlText = environment.value(u"DYNATRACE_ENV_URL"_s);
    }
    if (urlText.isEmpty() && profile && !profile->dynatraceUrl.isEmpty())
        urlText = profile->dynatraceUrl.toString();
    if (urlText.isEmpty() && fallbackUrl.isValid())
        urlText = fallbackUrl.toString();
    if (urlText.isEmpty())
        return u"no Dynatrace environment: pass --dynatrace-url or set DT_ENV_URL"_s;
    return normaliseDynatraceUrl(urlText);
}

} // namespace canary::profile
