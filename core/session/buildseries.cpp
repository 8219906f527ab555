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

std::vector<std::optional<double>> alignedValues(const BuildSeries &build,
    const dynatrace::MetricSeriesCollection &collection, const QString &buildDimension, double scale)
{
    std::vector<std::optional<double>> aligned(build.timestamps.size());
    for (const auto &series : collection.data) {
        const bool same = build.isRemainder ? series.isRemainderFor(buildDimension)
                                            : series.dimensionMap.value(buildDimension) == build.build
                && series.dimensionMap.contains(buildDimension);
        if (!same)
            continue;
        // Both come from one query, so the slots are the same; matching by timestamp keeps a shorter or
        // shifted series from landing in the wrong slot all the same.
        std::size_t j = 0;
        for (std::size_t i = 0; i < build.timestamps.size(); ++i) {
            while (j < series.timestamps.size() && series.timestamps[j] < build.timestamps[i])
                ++j;
            if (j < series.timestamps.size() && series.timestamps[j] == build.timestamps[i]
                && j < series.values.size() && series.values[j])
                aligned[i] = *series.values[j] * scale;
        }
        break;
    }
    return aligned;
}

} // namespace canary::session
