#include "targetoptions.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::profile {

void TargetOptions::addTo(QCommandLineParser &parser)
{
    parser.addOptions({ m_url, m_entitySelector, m_metricSelector, m_buildDimension, m_from, m_resolution,
        m_refresh, m_timeout });
}

bool TargetOptions::isDynatraceUrlSet(const QCommandLineParser &parser)
{
    return parser.isSet(u"dynatrace-url"_s);
}

QString TargetOptions::tokenFrom(const QProcessEnvironment &environment)
{
    const QString token = environment.value(u"DT_API_TOKEN"_s);
    return token.isEmpty() ? environment.value(u"DYNATRACE_API_TOKEN"_s) : token;
}

Expected<QUrl, QString> normaliseDynatraceUrl(const QString &text)
{
    QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return u"the Dynatrace URL is empty"_s;
    if (!trimmed.contains(u"://"_s))
        trimmed.prepend(u"https://"_s);
    QUrl url(trimmed, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty())
        return u"'%1' is not a valid URL"_s.arg(text);
    if (url.scheme() != u"https"_s && url.scheme() != u"http"_s)
        return u"'%1': only http and https URLs are supported"_s.arg(text);
    if (!url.query().isEmpty() || !url.fragment().isEmpty())
        return u"'%1': the environment URL must not carry a query or fragment"_s.arg(text);

    QString path = url.path();
    const qsizetype api = path.indexOf(u"/api/"_s);
    if (api >= 0)
        path.truncate(api);
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path);

    // The new platform's UI host does not serve the classic API.
    QString host = url.host();
    host.replace(u".sprint.apps.dynatracelabs."_s, u".sprint.dynatracelabs."_s);
    host.replace(u".apps.dynatrace."_s, u".live.dynatrace."_s);
    url.setHost(host);
    return url;
}

namespace {

Expected<int, QString> positiveSeconds(const QCommandLineParser &parser, const QString &name)
{
    bool ok = false;
    const double seconds = parser.value(name).toDouble(&ok);
    if (!ok || seconds <= 0 || seconds > 24 * 3600)
        return u"--%1 takes a number of seconds greater than 0, not '%2'"_s.arg(name, parser.value(name));
    return int(seconds * 1000);
}

} // namespace

Expected<session::Target, QString> TargetOptions::read(const QCommandLineParser &parser,
    const QProcessEnvironment &environment, bool urlFromEnvironment, const QUrl &fallbackUrl) const
{
    session::Target target;
    QString urlText = parser.value(m_url);
    if (urlText.isEmpty() && urlFromEnvironment) {
        urlText = environment.value(u"DT_ENV_URL"_s);
        if (urlText.isEmpty())
            urlText = environment.value(u"DYNATRACE_ENV_URL"_s);
    }
    if (urlText.isEmpty() && fallbackUrl.isValid())
        urlText = fallbackUrl.toString();
    if (urlText.isEmpty())
        return u"no Dynatrace environment: pass --dynatrace-url or set DT_ENV_URL"_s;
    auto url = normaliseDynatraceUrl(urlText);
    if (!url)
        return url.error();
    target.dynatraceUrl = url.value();

    if (parser.isSet(m_entitySelector))
        target.entitySelector = parser.value(m_entitySelector).trimmed();
    if (parser.isSet(m_metricSelector))
        target.metricSelector = parser.value(m_metricSelector).trimmed();
    if (target.metricSelector.isEmpty())
        return u"--metric-selector must not be empty"_s;
    target.buildDimension = parser.value(m_buildDimension).trimmed();
    target.from = parser.value(m_from).trimmed();
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

} // namespace canary::profile
