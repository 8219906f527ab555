#include "statusreport.h"

#include <algorithm>

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace Qt::Literals::StringLiterals;

namespace canary::session {

namespace {

QJsonArray pointsOf(const BuildSeries &build, const std::vector<std::optional<double>> &values)
{
    QJsonArray points;
    for (std::size_t i = 0; i < build.timestamps.size() && i < values.size(); ++i)
        points.append(QJsonArray { build.timestamps[i], values[i] ? QJsonValue(*values[i]) : QJsonValue() });
    return points;
}

double failuresOf(const BuildSeries &build)
{
    double failures = 0;
    for (std::size_t i = 0; i < build.failures.size() && i < build.values.size(); ++i) {
        if (build.values[i] && build.failures[i])
            failures += *build.failures[i];
    }
    return failures;
}

} // namespace

std::optional<double> failureRateOf(const BuildSeries &build)
{
    const double requests = build.total();
    if (build.failures.empty() || requests <= 0)
        return std::nullopt;
    return failuresOf(build) / requests;
}

std::optional<double> meanResponseTimeOf(const BuildSeries &build)
{
    double weighted = 0;
    double requests = 0;
    for (std::size_t i = 0; i < build.responseTimeMs.size() && i < build.values.size(); ++i) {
        if (build.values[i] && build.responseTimeMs[i]) {
            weighted += *build.responseTimeMs[i] * *build.values[i];
            requests += *build.values[i];
        }
    }
    if (requests <= 0)
        return std::nullopt;
    return weighted / requests;
}

QByteArray statusJson(const Snapshot &snapshot, const QString &entitySelector, const QJsonObject &extra)
{
    QJsonArray builds;
    for (const auto &build : snapshot.builds) {
        QJsonObject object {
            { u"build"_s, build.build },
            { u"remainder"_s, build.isRemainder },
            { u"total"_s, build.total() },
            { u"points"_s, pointsOf(build, build.values) },
        };
        if (snapshot.hasFailures) {
            object.insert(u"failures"_s, failuresOf(build));
            if (const auto rate = failureRateOf(build))
                object.insert(u"failureRate"_s, *rate);
            object.insert(u"failurePoints"_s, pointsOf(build, build.failures));
        }
        if (snapshot.hasResponseTime) {
            if (const auto mean = meanResponseTimeOf(build))
                object.insert(u"responseTimeMs"_s, *mean);
            object.insert(u"responseTimePoints"_s, pointsOf(build, build.responseTimeMs));
        }
        builds.append(object);
    }
    QJsonObject root {
        { u"fetchedAt"_s, snapshot.fetchedAtMs },
        { u"entitySelector"_s, entitySelector },
        { u"metricSelector"_s, snapshot.metricSelector },
        { u"buildDimension"_s, snapshot.buildDimension },
        { u"resolution"_s, snapshot.resolution },
        { u"builds"_s, builds },
    };
    if (!snapshot.healthNote.isEmpty())
        root.insert(u"healthNote"_s, snapshot.healthNote);
    for (auto it = extra.constBegin(); it != extra.constEnd(); ++it)
        root.insert(it.key(), it.value());
    return QJsonDocument(root).toJson(QJsonDocument::Compact) + '\n';
}

QString statusText(const Snapshot &snapshot, qint64 nowMs)
{
    double grandTotal = 0;
    int width = 5;
    for (const auto &build : snapshot.builds) {
        grandTotal += build.total();
        width = std::max(width, int(build.build.size()));
    }

    // Health columns only when the snapshot has them: a tenant without the metrics shows what it has.
    const auto healthHeader = [&snapshot] {
        QString header;
        if (snapshot.hasFailures)
            header += u"  "_s + u"FAILED"_s.rightJustified(7);
        if (snapshot.hasResponseTime)
            header += u"  "_s + u"RESP MS"_s.rightJustified(8);
        return header;
    };
    const auto healthColumns = [&snapshot](const BuildSeries &build) {
        QString columns;
        if (snapshot.hasFailures) {
            const auto rate = failureRateOf(build);
            columns += u"  "_s
                + (rate ? QString(QString::number(100.0 * *rate, 'f', 1) + u'%') : u"-"_s).rightJustified(7);
        }
        if (snapshot.hasResponseTime) {
            const auto mean = meanResponseTimeOf(build);
            columns += u"  "_s + (mean ? QString::number(*mean, 'f', 0) : u"-"_s).rightJustified(8);
        }
        return columns;
    };
    QString text
        = u"%1  %2  %3  %4%5\n"_s.arg(u"BUILD"_s.leftJustified(width), u"REQUESTS"_s.rightJustified(9),
            u"SHARE"_s.rightJustified(6), u"LATEST"_s.rightJustified(8), healthHeader());
    for (const auto &build : snapshot.builds) {
        const double share = grandTotal > 0 ? 100.0 * build.total() / grandTotal : 0.0;
        const auto latest = build.latestComplete(nowMs);
        text += u"%1  %2  %3  %4%5\n"_s.arg(build.build.leftJustified(width),
            QString::number(build.total(), 'f', 0).rightJustified(9),
            QString(QString::number(share, 'f', 1) + u'%').rightJustified(6),
            (latest ? QString::number(*latest, 'f', 0) : u"-"_s).rightJustified(8), healthColumns(build));
    }
    if (snapshot.builds.empty())
        text += u"(no requests for this target in the window)\n"_s;
    text += u"resolution %1 per point, build dimension '%2', fetched %3\n"_s.arg(snapshot.resolution,
        snapshot.buildDimension,
        QDateTime::fromMSecsSinceEpoch(snapshot.fetchedAtMs).toString(u"yyyy-MM-dd HH:mm:ss"_s));
    if (!snapshot.healthNote.isEmpty())
        text += snapshot.healthNote + u'\n';
    return text;
}

} // namespace canary::session
