#pragma once

#include <QCommandLineParser>
#include <QProcessEnvironment>
#include <QString>

#include "profile.h"
#include "session/target.h"
#include "util/expected.h"

namespace canary::profile {

// The target/connection flags shared by canary-console and canaryctl (later issues reuse the names):
// --dynatrace-url, --entity-selector, --metric-selector, --failure-metric, --response-time-metric,
// --build-dimension, --from, --resolution, --refresh, --timeout. The API token is never a flag: it comes from
// the environment (or the keychain).
class TargetOptions
{
public:
    void addTo(QCommandLineParser &parser);

    // Reads the parsed flags. The URL comes from --dynatrace-url, else (when `urlFromEnvironment`) from
    // DT_ENV_URL / DYNATRACE_ENV_URL, else from `fallbackUrl` (the embedded simulator).
    // Errors are one-line usage messages.
    // With `profile`, its target is the starting point: flags that are set override it, and the environment's
    // DT_ENV_URL overrides its URL.
    Expected<session::Target, QString> read(const QCommandLineParser &parser,
        const QProcessEnvironment &environment, bool urlFromEnvironment, const QUrl &fallbackUrl = {},
        const Profile *profile = nullptr) const;

    // The profile chosen with --config FILE (a hand-written profile file) or --profile NAME (the store in the
    // platform's config location); nullopt when neither is given. Errors are one line each.
    Expected<std::optional<Profile>, QStringList> profile(const QCommandLineParser &parser) const;
    bool isProfileSet(const QCommandLineParser &parser) const;

    // The Dynatrace URL read() resolves, by the same rules, without the rest of the target: where this run
    // sends the Dynatrace token.
    Expected<QUrl, QString> dynatraceUrl(const QCommandLineParser &parser,
        const QProcessEnvironment &environment, bool urlFromEnvironment, const QUrl &fallbackUrl = {},
        const Profile *profile = nullptr) const;

    static QString tokenFrom(const QProcessEnvironment &environment);
    static bool isDynatraceUrlSet(const QCommandLineParser &parser);

private:
    QCommandLineOption m_profile { QStringLiteral("profile"),
        QStringLiteral("Use this saved profile (see docs/profiles.md)."), QStringLiteral("name") };
    QCommandLineOption m_config { QStringLiteral("config"),
        QStringLiteral("Use the profile in this file (see docs/profiles.md)."), QStringLiteral("file") };
    QCommandLineOption m_url { QStringLiteral("dynatrace-url"),
        QStringLiteral("Dynatrace environment URL (SaaS, Managed /e/<id>, ActiveGate)."),
        QStringLiteral("url") };
    QCommandLineOption m_entitySelector { QStringLiteral("entity-selector"),
        QStringLiteral("Entity selector of the service to watch."), QStringLiteral("selector") };
    QCommandLineOption m_metricSelector { QStringLiteral("metric-selector"),
        QStringLiteral(
            "Per-build request-count metric: a key (split by the build dimension) or a full selector."),
        QStringLiteral("selector") };
    QCommandLineOption m_failureMetric { QStringLiteral("failure-metric"),
        QStringLiteral(
            "Per-build failed-request metric, fetched in the same query (a key or a full selector; "
            "empty: none). Default: calc:service.failures_by_build."),
        QStringLiteral("selector") };
    QCommandLineOption m_responseTimeMetric { QStringLiteral("response-time-metric"),
        QStringLiteral("Per-build response-time metric, fetched in the same query (a key or a full selector; "
                       "empty: none). Default: calc:service.responsetime_by_build."),
        QStringLiteral("selector") };
    QCommandLineOption m_buildDimension { QStringLiteral("build-dimension"),
        QStringLiteral("Dimension key holding the build (default: from the "
                       "metric's descriptor)."),
        QStringLiteral("key") };
    QCommandLineOption m_from { QStringLiteral("from"),
        QStringLiteral("Start of the window: now-30m, ISO 8601 or epoch ms."), QStringLiteral("time"),
        QStringLiteral("now-30m") };
    QCommandLineOption m_resolution { QStringLiteral("resolution"),
        QStringLiteral("Resolution: 10s, 1m, 1h, Inf or a point count."), QStringLiteral("resolution") };
    QCommandLineOption m_refresh { QStringLiteral("refresh"), QStringLiteral("Refresh interval in seconds."),
        QStringLiteral("seconds") };
    QCommandLineOption m_timeout { QStringLiteral("timeout"),
        QStringLiteral("Timeout of each request in seconds (default 30)."), QStringLiteral("seconds") };
};

// Normalises what an operator pastes as the environment URL: adds https:// when the scheme is missing,
// strips a trailing /api/... or '/', and rewrites the new platform's .apps. host to the classic .live. one.
// Refuses user:password@, a query and a fragment.
Expected<QUrl, QString> normaliseDynatraceUrl(const QString &text);

// The host that serves the classic API for `host`: "abc12345.apps.dynatrace.com" becomes
// "abc12345.live.dynatrace.com" (and the dynatracelabs sprint/dev equivalents); any other host, including
// one that merely contains ".apps.dynatrace.", is returned unchanged.
QString classicApiHost(const QString &host);

} // namespace canary::profile
