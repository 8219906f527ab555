// Issue 8's memory budget: canary-console's demo through a simulated day. The very console the app opens
// (Console::open, window shown, in-process simulator over real HTTP) runs on a virtual clock: every refresh
// moves it 10 s, so a day is 8,640 refreshes in a minute or two of real time. Every simulated hour the
// operator clicks a quick step (0 % and 25 % in turn), so the timeline, the action log, the audit log and
// the outbox grow as in a working day. The resident set is read from /proc/self/status at every hour.
//
// The simulator keeps its per-second traffic for 1 hour here instead of 25: it is the tenant's data, not
// the app's, and would otherwise add ~7 MiB of growth of its own over the day.
//
//   canary_day [hours=24] [refresh-seconds=10] [quiet]   exit status 1 when over budget or not flat
// "quiet" leaves out the operator's clicks, to tell what the actions cost from what the refreshes cost.
#include <cstdio>
#include <fstream>
#include <malloc.h>
#include <string>

#include <QAbstractButton>
#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcessEnvironment>
#include <QTimer>

#include "console/console.h"
#include "console/consoleoptions.h"
#include "mainwindow.h"
#include "session/canarysession.h"
#include "sim/embeddeddemo.h"
#include "sim/worldconfig.h"
#include "traffic/trafficpanel.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace {

constexpr qint64 StartMs = 1'795'687'200'000; // 2026-11-26 10:00 UTC
constexpr double BudgetMiB = 150;
// "Flat": what a day may add after the first hour. Allocators keep some slack; a leak of one small object
// per refresh (8,640 of them) would already exceed it.
constexpr double FlatToleranceMiB = 4;

double residentMiB()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stod(line.substr(6)) / 1024.0;
    }
    return -1;
}

// What the allocator has handed out and not had back: the live heap, without the pages it keeps for reuse.
double heapInUseMiB()
{
    const struct mallinfo2 info = mallinfo2();
    return double(info.uordblks + info.hblkhd) / (1024.0 * 1024.0);
}

// Runs the event loop until `done` holds; false after 30 s of real time.
template<typename Done>
bool spinUntil(Done done)
{
    QElapsedTimer watchdog;
    watchdog.start();
    while (!done()) {
        if (watchdog.elapsed() > 30'000)
            return false;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
    }
    return true;
}

} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int hours = args.size() > 1 ? args[1].toInt() : 24;
    const int refreshSeconds = args.size() > 2 ? args[2].toInt() : 10;
    const bool quiet = args.size() > 3 && args[3] == u"quiet"_s;
    if (hours < 2 || refreshSeconds < 1) {
        std::fprintf(stderr, "usage: canary_day [hours>=2] [refresh-seconds>=1]\n");
        return 2;
    }

    VirtualClock clock(StartMs);
    ui::ConsoleOptions options;
    options.clock = &clock;
    sim::WorldConfig world = sim::WorldConfig::workshopDemo();
    world.retentionMs = 60LL * 60 * 1000;
    options.startLocalTenant = sim::embeddedDemoStarter(world);
    QCommandLineParser parser;
    options.addTo(parser);
    parser.process(QStringList { u"canary_day"_s, u"--refresh"_s, QString::number(refreshSeconds) });
    auto console = ui::Console::open(options, parser, QProcessEnvironment(), std::nullopt);
    if (!console) {
        std::fprintf(stderr, "canary_day: %s\n", qPrintable(console.error()));
        return 2;
    }
    session::CanarySession *session = console.value()->session();
    int snapshots = 0;
    int eventReads = 0;
    int problemReads = 0;
    int failures = 0;
    QObject::connect(session, &session::CanarySession::snapshotChanged, session, [&] { ++snapshots; });
    QObject::connect(
        session, &session::CanarySession::refreshFailed, session, [&] { ++snapshots, ++failures; });
    QObject::connect(session, &session::CanarySession::eventsChanged, session, [&] { ++eventReads; });
    QObject::connect(
        session, &session::CanarySession::eventsFailed, session, [&] { ++eventReads, ++failures; });
    QObject::connect(session, &session::CanarySession::problemsChanged, session, [&] { ++problemReads; });
    QObject::connect(
        session, &session::CanarySession::problemsFailed, session, [&] { ++problemReads, ++failures; });

    console.value()->start();
    if (!spinUntil([&] { return snapshots > 0 && eventReads > 0 && problemReads > 0; })) {
        std::fprintf(stderr, "canary_day: no first refresh\n");
        return 2;
    }
    // From here on the driver refreshes, on the virtual clock; the session's own timer would add refreshes
    // at real-time intervals.
    session->stop();

    const auto *panel = console.value()->window()->trafficPanel();
    const int refreshesPerHour = 3600 / refreshSeconds;
    std::printf("hour  resident MiB  heap in use MiB  refresh ms (mean over the hour)\n");
    std::printf("%4d  %12.1f  %15.1f\n", 0, residentMiB(), heapInUseMiB());
    double heapHourOne = 0;
    double hourOne = 0;
    double peak = 0;
    QElapsedTimer wall;
    wall.start();
    for (int hour = 1; hour <= hours; ++hour) {
        // The operator's hourly change, through the panel's own button.
        if (panel && !quiet) {
            const auto name = hour % 2 ? u"quickStep25"_s : u"quickStep0"_s;
            if (auto *button = panel->findChild<QAbstractButton *>(name))
                button->click();
        }
        QElapsedTimer hourTimer;
        hourTimer.start();
        for (int i = 0; i < refreshesPerHour; ++i) {
            clock.advanceMs(qint64(refreshSeconds) * 1000);
            const int s = snapshots, e = eventReads, p = problemReads;
            session->refresh();
            if (!spinUntil([&] { return snapshots > s && eventReads > e && problemReads > p; })) {
                std::fprintf(stderr, "canary_day: refresh %d of hour %d did not finish\n", i, hour);
                return 2;
            }
        }
        // Let the window paint what the last refresh brought, as it would between refreshes.
        QCoreApplication::processEvents();
        const double rss = residentMiB();
        peak = std::max(peak, rss);
        const double heap = heapInUseMiB();
        if (hour == 1) {
            hourOne = rss;
            heapHourOne = heap;
        }
        std::printf(
            "%4d  %12.1f  %15.1f  %10.2f\n", hour, rss, heap, double(hourTimer.elapsed()) / refreshesPerHour);
        std::fflush(stdout);
    }
    const double last = residentMiB();
    const double growth = last - hourOne;
    std::printf("\n%d refreshes (%d failed reads) in %.1f s of real time; resident: hour 1 %.1f MiB, hour %d "
                "%.1f MiB (growth %+.1f MiB), peak %.1f MiB; heap in use %+.2f MiB from hour 1; budget %.0f "
                "MiB, flat within %.0f MiB\n",
        hours * refreshesPerHour, failures, double(wall.elapsed()) / 1000.0, hourOne, hours, last, growth,
        peak, heapInUseMiB() - heapHourOne, BudgetMiB, FlatToleranceMiB);
    const bool ok = peak <= BudgetMiB && growth <= FlatToleranceMiB && failures == 0;
    std::printf("%s\n", ok ? "within budget" : "OVER BUDGET");
    return ok ? 0 : 1;
}
