#include "buildseries.h"

#include <algorithm>

#include <QCoreApplication>

using namespace Qt::Literals::StringLiterals;

namespace canary::session {

double BuildSeries::total() const
{
    double sum = 0;
    for (const auto &value : values)
        sum += value.value_or(0.0);
    return sum;
}

std::optional<double> BuildSeries::latestComplete(qint64 nowMs) const
{
    for (std::size_t i = values.size(); i-- > 0;) {
        if (timestamps[i] <= nowMs)
            return values[i]; // a gap here means the build gets no requests now
    }
    return std::nullopt;
}

QString remainderLabel()
{
    return QCoreApplication::translate("canary::session", "other builds");
}

Expected<std::vector<BuildSeries>, dynatrace::ApiError> buildSeriesFrom(
    const dynatrace::MetricData &data, const QString &buildDimension)
{
    std::vector<BuildSeries> builds;
    if (data.result.empty())
        return builds;

    for (const auto &series : data.result.front().data) {
        BuildSeries build;
        if (series.dimensionMap.contains(buildDimension)) {
            build.build = series.dimensionMap.value(buildDimension);
        } else if (series.isRemainderFor(buildDimension)) {
            build.build = remainderLabel();
            build.isRemainder = true;
        } else {
            return dynatrace::ApiError::unexpectedShape(
                u"the metric's series have no dimension '%1' (they have: %2); check --build-dimension "
                "or the metric selector's splitBy"_s.arg(
                    buildDimension, series.dimensionMap.keys().join(u", "_s)));
        }
        build.timestamps = series.timestamps;
        build.values = series.values;
        builds.push_back(std::move(build));
    }
    std::sort(builds.begin(), builds.end(), [](const BuildSeries &a, const BuildSeries &b) {
        if (a.isRemainder != b.isRemainder)
            return b.isRemainder;
        return a.build < b.build;
    });
    return builds;
}

} // namespace canary::session
