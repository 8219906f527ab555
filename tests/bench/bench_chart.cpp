// The request chart on a refresh: every build's series replaced with the chart on screen. A day at 1-minute
// resolution for 10 builds (14,400 points), and 100,000 points in total (10 builds × 10,000), each with the
// occasional empty slot a real tenant returns (a gap splits a line into segments).
#include <cmath>

#include <QColor>
#include <QCoreApplication>
#include <QPixmap>

#include <benchmark/benchmark.h>

#include "chart/requestchart.h"
#include "session/buildseries.h"

using canary::session::BuildSeries;
using canary::ui::RequestChart;
using namespace Qt::Literals::StringLiterals;

namespace {

constexpr qint64 NowMs = 1'795'687'200'000;
constexpr qint64 MinuteMs = 60'000;

// `builds` builds of `points` one-minute slots ending at `endMs`; `shift` varies the values so each refresh
// carries new data, as a real one does. Every 97th slot of every build is empty (a gap).
std::vector<BuildSeries> makeSeries(int builds, int points, qint64 endMs, int shift)
{
    std::vector<BuildSeries> result;
    result.reserve(std::size_t(builds));
    for (int b = 0; b < builds; ++b) {
        BuildSeries series;
        series.build = u"%1.0.0-034c71"_s.arg(b + 1);
        series.isRemainder = b == builds - 1 && builds > 2;
        series.timestamps.reserve(std::size_t(points));
        series.values.reserve(std::size_t(points));
        for (int i = 0; i < points; ++i) {
            series.timestamps.push_back(endMs - qint64(points - 1 - i) * MinuteMs);
            if ((i + b * 13) % 97 == 0) {
                series.values.push_back(std::nullopt);
                continue;
            }
            const double base = 120.0 + 40.0 * b;
            series.values.push_back(
                std::round(base + 30.0 * std::sin(double(i + shift) / 60.0) + ((i * 31 + b) % 17)));
        }
        result.push_back(std::move(series));
    }
    return result;
}

std::vector<RequestChart::BuildLine> makeLines(const std::vector<BuildSeries> &builds)
{
    std::vector<RequestChart::BuildLine> lines;
    for (std::size_t b = 0; b < builds.size(); ++b)
        lines.push_back(
            { builds[b].build, QColor::fromHsv(int(b * 36) % 360, 200, 200), builds[b].isRemainder });
    return lines;
}

// Two alternating data sets, so consecutive updates differ (new values, window moved by one slot).
struct Refreshes
{
    std::vector<BuildSeries> a;
    std::vector<BuildSeries> b;
    std::vector<RequestChart::BuildLine> lines;
};

Refreshes makeRefreshes(int builds, int points)
{
    Refreshes r { makeSeries(builds, points, NowMs, 0), makeSeries(builds, points, NowMs + MinuteMs, 1), {} };
    r.lines = makeLines(r.a);
    return r;
}

// setSeries() alone, chart shown, with the posted events (layout, geometry updates) processed, as they are
// before the next frame. Arguments: builds, points per build.
void BM_ChartUpdate(benchmark::State &state)
{
    const auto data = makeRefreshes(int(state.range(0)), int(state.range(1)));
    RequestChart chart;
    chart.resize(1200, 500);
    chart.show();
    chart.setSeries(data.a, data.lines);
    QCoreApplication::processEvents();
    bool flip = false;
    for (auto _ : state) {
        flip = !flip;
        chart.setSeries(flip ? data.b : data.a, data.lines);
        QCoreApplication::processEvents();
    }
    state.counters["points"] = double(state.range(0) * state.range(1));
    state.counters["segments_build1"] = chart.segmentCount(data.lines.front().build);
}
BENCHMARK(BM_ChartUpdate)
    ->Args({ 10, 1'440 })
    ->Args({ 10, 10'000 })
    ->Args({ 20, 5'000 })
    ->Unit(benchmark::kMillisecond);

// An update and the frame it causes: setSeries() then a full render of the chart widget (grab()), what the
// operator waits for.
void BM_ChartUpdateAndPaint(benchmark::State &state)
{
    const auto data = makeRefreshes(int(state.range(0)), int(state.range(1)));
    RequestChart chart;
    chart.resize(1200, 500);
    chart.show();
    chart.setSeries(data.a, data.lines);
    QCoreApplication::processEvents();
    bool flip = false;
    for (auto _ : state) {
        flip = !flip;
        chart.setSeries(flip ? data.b : data.a, data.lines);
        QCoreApplication::processEvents();
        const QPixmap frame = chart.grab();
        benchmark::DoNotOptimize(frame);
    }
}
BENCHMARK(BM_ChartUpdateAndPaint)
    ->Args({ 10, 1'440 })
    ->Args({ 10, 10'000 })
    ->Args({ 20, 5'000 })
    ->Unit(benchmark::kMillisecond);

// Painting alone: a repaint of unchanged data, to tell the cost of drawing from the cost of updating.
void BM_ChartPaint(benchmark::State &state)
{
    const auto data = makeRefreshes(int(state.range(0)), int(state.range(1)));
    RequestChart chart;
    chart.resize(1200, 500);
    chart.show();
    chart.setSeries(data.a, data.lines);
    QCoreApplication::processEvents();
    for (auto _ : state) {
        const QPixmap frame = chart.grab();
        benchmark::DoNotOptimize(frame);
    }
}
BENCHMARK(BM_ChartPaint)
    ->Args({ 10, 1'440 })
    ->Args({ 10, 10'000 })
    ->Args({ 20, 5'000 })
    ->Unit(benchmark::kMillisecond);

} // namespace
