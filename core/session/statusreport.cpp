#include "statusreport.h"

#include <algorithm>

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace Qt::Literals::StringLiterals;

namespace canary::session {

QByteArray statusJson(const Snapshot &snapshot, const QString &entitySelector)
{
    QJsonArray builds;
    for (const auto &build : snapshot.builds) {
        QJsonArray points;
        for (std::size_t i = 0; i < build.timestamps.size(); ++i) {
            const auto &value = build.values[i];
            points.append(QJsonArray { build.timestamps[i], value ? QJsonValue(*value) : QJsonValue() });
        }
        builds.append(QJsonObject {
            { u"build"_s, build.build },
            { u"remainder"_s, build.isRemainder },
            { u"total"_s, build.total() },
            { u"points"_s, points },
        });
    }
    const QJsonObject root {
        { u"fetchedAt"_s, snapshot.fetchedAtMs },
        { u"entitySelector"_s, entitySelector },
        { u"metricSelector"_s, snapshot.metricSelector },
        { u"buildDimension"_s, snapshot.buildDimension },
        { u"resolution"_s, snapshot.resolution },
        { u"builds"_s, builds },
    };
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

    QString text = u"%1  %2  %3  %4\n"_s.arg(u"BUILD"_s.leftJustified(width), u"REQUESTS"_s.rightJustified(9),
        u"SHARE"_s.rightJustified(6), u"LATEST"_s.rightJustified(8));
    for (const auto &build : snapshot.builds) {
        const double share = grandTotal > 0 ? 100.0 * build.total() / grandTotal : 0.0;
        const auto latest = build.latestComplete(nowMs);
        text += u"%1  %2  %3  %4\n"_s.arg(build.build.leftJustified(width),
            QString::number(build.total(), 'f', 0).rightJustified(9),
            QString(QString::number(share, 'f', 1) + u'%').rightJustified(6),
            (latest ? QString::number(*latest, 'f', 0) : u"-"_s).rightJustified(8));
    }
    if (snapshot.builds.empty())
        text += u"(no requests for this target in the window)\n"_s;
    text += u"resolution %1 per point, build dimension '%2', fetched %3\n"_s.arg(snapshot.resolution,
        snapshot.buildDimension,
        QDateTime::fromMSecsSinceEpoch(snapshot.fetchedAtMs).toString(u"yyyy-MM-dd HH:mm:ss"_s));
    return text;
}

} // namespace canary::session
