#pragma once

#include <QCommandLineParser>
#include <QProcessEnvironment>
#include <QString>

#include "session/target.h"
#include "util/expected.h"

namespace canary::profile {

// The target/connection flags shared by canary-console and canaryctl (later issues reuse the names):
// --dynatrace-url, --entity-selector, --metric-selector, --build-dimension, --from, --resolution,
// --refresh, --timeout. The API token is never a flag: it comes from the environment (or the keychain).
class TargetOptions
{
public:
    void addTo(QCommandLineParser &parser);

    // Reads the parsed flags. The URL comes from --dynatrace-url, else (when `urlFromEnvironment`) from
    // DT_ENV_URL / DYNATRACE_ENV_URL, else from `fallbackUrl` (the embedded simulator).
    // Errors are one-line usage messages.
    Expected<session::Target, QString> read(const QCommandLineParser &parser,
        const QProcessEnvironment &environment, bool urlFromEnvironment, const QUrl &fallbackUrl = {}) const;

    static QString tokenFrom(const QProcessEnvironment &environment);
    static bool isDynatraceUrlSet(const QCommandLineParser &parser);

private:
    QCommandLineOption m_url { QStringLiteral("dynatrace-url"),
        QStringLiteral("Dynatrace environment URL (SaaS, Managed /e/<id>, ActiveGate)."),
        QStringLiteral("url") };
    QCommandLineOption m_entitySelector { QStringLiteral("entity-selector"),
        QStringLiteral("Entity selector of the service to watch."), QStringLiteral("selector") };
    QCommandLineOption m_metricSelector { QStringLiteral("metric-selector"),
        QStringLiteral(
            "Per-build request-count metric: a key (split by the build dimension) or a full selector."),
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
Expected<QUrl, QString> normaliseDynatraceUrl(const QString &text);

} // namespace canary::profile
