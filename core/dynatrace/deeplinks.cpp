#include "deeplinks.h"

#include <algorithm>
#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace canary::dynatrace {

namespace {

constexpr qint64 EventMarginMs = 5 * 60'000;

// Everything but unreserved characters, so an id can never end a fragment parameter early.
QString encodedId(const QString &id)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(id));
}

// `environment` without query, fragment or trailing slashes, with `appPath` appended and `fragment` set
// verbatim (TolerantMode keeps the %XX of the ids and the ';' and '=' between them).
QUrl uiUrl(const QUrl &environment, const QString &appPath, const QString &fragment)
{
    QUrl url = environment.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo);
    QString path = url.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path + appPath + u'/');
    url.setFragment(fragment, QUrl::TolerantMode);
    return url;
}

bool usable(const QUrl &environment)
{
    return environment.isValid() && !environment.host().isEmpty();
}

} // namespace

bool isNewPlatformUrl(const QUrl &environment)
{
    // The suffix, not a substring: apps.dynatrace.com.example.net is somebody else's host.
    const QString host = environment.host().toLower();
    return host.endsWith(u".apps.dynatrace.com"_s) || host.endsWith(u".apps.dynatracelabs.com"_s);
}

QUrl servicePageUrl(const QUrl &environment, const QString &serviceId, qint64 fromMs, qint64 toMs)
{
    if (!usable(environment) || serviceId.isEmpty())
        return {};
    if (toMs < fromMs)
        std::swap(fromMs, toMs);
    const QString id = encodedId(serviceId);
    const QString timeframe = u"c_%1_%2"_s.arg(fromMs).arg(toMs);
    if (isNewPlatformUrl(environment)) {
        return uiUrl(environment, u"/ui/apps/dynatrace.classic.services"_s,
            u"serviceOverview;id=%1;gf=all;gtf=%2"_s.arg(id, timeframe));
    }
    return uiUrl(
        environment, QString(), u"newservices/serviceOverview;id=%1;gtf=%2;gf=all"_s.arg(id, timeframe));
}

QUrl problemPageUrl(const QUrl &environment, const QString &problemId)
{
    if (!usable(environment) || problemId.isEmpty())
        return {};
    const QString fragment = u"problems/problemdetails;pid="_s + encodedId(problemId);
    return uiUrl(environment,
        isNewPlatformUrl(environment) ? u"/ui/apps/dynatrace.classic.problems"_s : QString(), fragment);
}

QUrl eventContextUrl(const QUrl &environment, const Event &event, qint64 nowMs)
{
    if (!event.entityId.startsWith(u"SERVICE-"_s))
        return {};
    const qint64 endMs = event.endMs.value_or(std::max(nowMs, event.startMs));
    return servicePageUrl(environment, event.entityId, event.startMs - EventMarginMs, endMs + EventMarginMs);
}

} // namespace canary::dynatrace
