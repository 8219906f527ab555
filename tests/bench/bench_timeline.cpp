// The timeline at its retention limit: 10,000 events parsed from Dynatrace's largest pages, turned into
// timeline entries, and put into the model while the panel shows it.
#include <QFile>
#include <QTreeView>

#include <benchmark/benchmark.h>

#include "dynatrace/feedparser.h"
#include "session/timelineentry.h"
#include "timeline/timelinemodel.h"
#include "timeline/timelinepanel.h"
#include "util/clock.h"

using canary::session::TimelineEntry;

namespace {

constexpr int EventCount = 10'000;
constexpr int PageSize = 1'000; // Dynatrace's maximum for GET /api/v2/events
constexpr qint64 NowMs = 1'795'687'200'000;

// One page as the tenant sends it, with the workshop's properties on every event and, every 50th event,
// a property value of 64 KiB (a pasted build log): the size real pages reach.
QByteArray eventPage(int first, int count, bool last, bool hugeValues)
{
    QByteArray json = "{\"totalCount\":" + QByteArray::number(EventCount)
        + ",\"pageSize\":" + QByteArray::number(PageSize) + ",\"nextPageKey\":"
        + (last ? QByteArray("null") : "\"AQAAABQBAAAAB" + QByteArray::number(first) + "==\"")
        + ",\"events\":[";
    const QByteArray huge(64 * 1024, 'x');
    for (int i = first; i < first + count; ++i) {
        const qint64 start = NowMs - qint64(i) * 6'000;
        const QByteArray id
            = QByteArray::number(-3907561424713862123LL + i) + '_' + QByteArray::number(start);
        if (i > first)
            json += ',';
        json += "{\"eventId\":\"" + id + "\",\"startTime\":" + QByteArray::number(start)
            + ",\"endTime\":" + (i % 10 == 0 ? QByteArray("-1") : QByteArray::number(start + 900'000))
            + ",\"eventType\":\"" + (i % 7 == 0 ? "ERROR_EVENT" : "CUSTOM_CONFIGURATION")
            + "\",\"title\":\"Canary weight set to " + QByteArray::number(i % 101)
            + "\",\"entityId\":{\"entityId\":{\"id\":\"SERVICE-F91837027736B19E\",\"type\":\"SERVICE\"},"
              "\"name\":\"simplenodeservice\"},\"properties\":["
              "{\"key\":\"remediationType\",\"value\":\"ansible\"},"
              "{\"key\":\"remediationAction\",\"value\":\"9\"},"
              "{\"key\":\"dt.event.source\",\"value\":\"Jenkins\"},"
              "{\"key\":\"canary.split.old\",\"value\":\"70/30\"},"
              "{\"key\":\"canary.split.new\",\"value\":\"0/100\"},"
              "{\"key\":\"dt.event.description\",\"value\":\""
            + (hugeValues && i % 50 == 0 ? huge : QByteArray("Traffic shifted by the pipeline"))
            + "\"}],\"status\":\"" + (i % 10 == 0 ? "OPEN" : "CLOSED")
            + "\",\"correlationId\":\"9f3c1a2b7d4e5f60\",\"entityTags\":[{\"context\":\"CONTEXTLESS\","
              "\"key\":\"app\",\"value\":\"simplenode\",\"stringRepresentation\":\"app:simplenode\"}],"
              "\"managementZones\":[],\"underMaintenance\":false,\"suppressAlert\":false,"
              "\"suppressProblem\":false,\"frequentEvent\":false}";
    }
    json += "]}";
    return json;
}

std::vector<QByteArray> makePages(bool hugeValues)
{
    std::vector<QByteArray> result;
    for (int first = 0; first < EventCount; first += PageSize)
        result.push_back(eventPage(first, PageSize, first + PageSize >= EventCount, hugeValues));
    return result;
}

// Events as the workshop's pipeline writes them.
const std::vector<QByteArray> &pages()
{
    static const std::vector<QByteArray> all = makePages(false);
    return all;
}

// The same, with a pasted build log of 64 KiB in every 50th event's description.
const std::vector<QByteArray> &pagesWithHugeValues()
{
    static const std::vector<QByteArray> all = makePages(true);
    return all;
}

std::vector<TimelineEntry> entries()
{
    std::vector<TimelineEntry> result;
    result.reserve(EventCount);
    for (const auto &page : pages()) {
        auto parsed = canary::dynatrace::parseEventPage(QByteArrayView(page));
        for (const auto &event : parsed->events)
            result.push_back(TimelineEntry::fromEvent(event));
    }
    return result;
}

// Resident set size in MiB, from /proc (Linux only; 0 elsewhere).
double residentMiB()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.size() > 1 ? fields.at(1).toDouble() * 4096.0 / (1024.0 * 1024.0) : 0;
}

// Ten pages of 1,000 events: what the events client does with the bytes of a full walk. Argument 1: with
// huge property values.
void BM_ParseEvents_10k(benchmark::State &state)
{
    const auto &input = state.range(0) ? pagesWithHugeValues() : pages();
    qint64 bytes = 0;
    for (const auto &page : input)
        bytes += page.size();
    for (auto _ : state) {
        std::size_t parsed = 0;
        for (const auto &page : input) {
            auto result = canary::dynatrace::parseEventPage(QByteArrayView(page));
            if (!result) {
                state.SkipWithError("parse failed");
                return;
            }
            parsed += result->events.size();
            benchmark::DoNotOptimize(result);
        }
        if (parsed != EventCount)
            state.SkipWithError("wrong event count");
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * bytes);
    state.counters["payload_MiB"] = double(bytes) / (1024.0 * 1024.0);
}
BENCHMARK(BM_ParseEvents_10k)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The refresh's second step: events (already parsed) into timeline entries.
void BM_EventsToEntries_10k(benchmark::State &state)
{
    std::vector<canary::dynatrace::Event> events;
    for (const auto &page : pages()) {
        auto parsed = canary::dynatrace::parseEventPage(QByteArrayView(page));
        events.insert(events.end(), parsed->events.begin(), parsed->events.end());
    }
    for (auto _ : state) {
        std::vector<TimelineEntry> result;
        result.reserve(events.size());
        for (const auto &event : events)
            result.push_back(TimelineEntry::fromEvent(event));
        benchmark::DoNotOptimize(result);
    }
}
BENCHMARK(BM_EventsToEntries_10k)->Unit(benchmark::kMillisecond);

// 10,000 entries into an empty timeline while the panel is on screen (view, proxy and details attached).
void BM_TimelineInsert_10k_ViewOpen(benchmark::State &state)
{
    const auto all = entries();
    canary::VirtualClock clock(NowMs);
    canary::ui::TimelinePanel panel(clock);
    panel.resize(1200, 600);
    panel.show();
    const double before = residentMiB();
    for (auto _ : state) {
        state.PauseTiming();
        panel.setEntries({});
        auto copy = all;
        state.ResumeTiming();
        panel.setEntries(std::move(copy));
        if (panel.model()->rowCount() != EventCount)
            state.SkipWithError("wrong row count");
    }
    state.counters["rows"] = panel.model()->rowCount();
    state.counters["rss_delta_MiB"] = residentMiB() - before;
}
BENCHMARK(BM_TimelineInsert_10k_ViewOpen)->Unit(benchmark::kMillisecond);

// A periodic refresh at the limit: the same 10,000 entries plus one new, with an entry selected.
void BM_TimelineRefresh_10k_ViewOpen(benchmark::State &state)
{
    auto all = entries();
    canary::VirtualClock clock(NowMs);
    canary::ui::TimelinePanel panel(clock);
    panel.resize(1200, 600);
    panel.show();
    panel.setEntries(all);
    panel.selectEntry(all.at(42).id);
    TimelineEntry fresh = all.front();
    fresh.id = QStringLiteral("fresh_1");
    fresh.startMs = NowMs + 1'000;
    all.insert(all.begin(), fresh);
    for (auto _ : state) {
        state.PauseTiming();
        auto copy = all;
        state.ResumeTiming();
        panel.setEntries(std::move(copy));
    }
    if (panel.selectedId() != all.at(43).id)
        state.SkipWithError("selection lost");
}
BENCHMARK(BM_TimelineRefresh_10k_ViewOpen)->Unit(benchmark::kMillisecond);

} // namespace
