#include "linethinning.h"

#include <algorithm>
#include <cmath>

namespace canary::ui {

QList<QPointF> thinLine(const QList<QPointF> &points, double minX, double maxX, int buckets)
{
    if (buckets < 1 || !(maxX > minX) || points.size() <= 2)
        return points;

    const double perBucket = double(buckets) / (maxX - minX);
    const auto bucketOf = [&](double x) {
        return std::clamp(
            qsizetype(std::floor((x - minX) * perBucket)), qsizetype(0), qsizetype(buckets - 1));
    };

    QList<QPointF> thinned;
    thinned.reserve(std::min(points.size(), 2 * qsizetype(buckets) + 2));
    const qsizetype last = points.size() - 1;
    thinned.append(points.front());

    // One column at a time: the indices of its lowest and highest point; the column's points between the
    // first and the last of the line only, as those two are always kept.
    qsizetype i = 1;
    while (i < last) {
        const qsizetype bucket = bucketOf(points[i].x());
        qsizetype low = i;
        qsizetype high = i;
        for (++i; i < last && bucketOf(points[i].x()) == bucket; ++i) {
            if (points[i].y() < points[low].y())
                low = i;
            if (points[i].y() > points[high].y())
                high = i;
        }
        const auto [first, second] = std::minmax(low, high);
        thinned.append(points[first]);
        if (second != first)
            thinned.append(points[second]);
    }
    thinned.append(points[last]);
    return thinned.size() < points.size() ? thinned : points;
}

} // namespace canary::ui
