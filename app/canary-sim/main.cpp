// canary-sim: the simulated canary environment as a standalone process, for scripts, demos and end-to-end
// tests. Option parsing and wiring only; everything else lives in sim/.

#include <csignal>
#include <optional>
#include <sys/socket.h>
#include <unistd.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTextStream>

#include "net/redaction.h"
#include "sim/faultinjector.h"
#include "sim/simulatedenvironment.h"
#include "sim/worldconfig.h"

using namespace Qt::Literals::StringLiterals;

namespace {

constexpr int ExitBadUsage = 2;
constexpr int ExitCannotListen = 3;

int signalPipe[2] = { -1, -1 };

// Only async-signal-safe work here: the event loop reads the pipe and quits.
void onTerminationSignal(int signalNumber)
{
    const char byte = char(signalNumber);
    [[maybe_unused]] const auto written = ::write(signalPipe[1], &byte, 1);
}

bool installSignalHandlers()
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0)
        return false;
    struct sigaction action = {};
    action.sa_handler = onTerminationSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return ::sigaction(SIGINT, &action, nullptr) == 0 && ::sigaction(SIGTERM, &action, nullptr) == 0;
}

int usageError(const QString &message)
{
    QTextStream(stderr) << "canary-sim: " << message << "\nTry 'canary-sim --help'.\n";
    return ExitBadUsage;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    // Every log line, of every category, loses its secrets before it is written anywhere.
    canary::net::installRedactingMessageHandler();
    QCoreApplication::setApplicationName(u"canary-sim"_s);
#ifdef CANARY_VERSION
    QCoreApplication::setApplicationVersion(QStringLiteral(CANARY_VERSION));
#endif

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Serves a simulated Dynatrace tenant for the workshop's canary deployment of simplenodeservice."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption portOption(
        u"port"_s, u"TCP port to listen on; 0 lets the OS choose."_s, u"N"_s, u"0"_s);
    const QCommandLineOption addressOption(
        u"address"_s, u"Address to listen on."_s, u"ADDRESS"_s, u"127.0.0.1"_s);
    const QCommandLineOption tokenOption(u"token"_s,
        u"API token clients must send (default: $CANARY_SIM_TOKEN, else a random one)."_s, u"T"_s);
    const QCommandLineOption seedOption(u"seed"_s, u"Seed of the simulated traffic."_s, u"N"_s, u"1"_s);
    const QCommandLineOption rateOption(u"rate"_s, u"Load generator requests per second."_s, u"R"_s, u"2"_s);
    const QCommandLineOption weightOption(
        u"canary-weight"_s, u"Initial canary traffic share in percent."_s, u"N"_s);
    const QCommandLineOption historyOption(u"history"_s,
        u"none, or workshop: 30 minutes replaying the 30/70/100 ramp and its reset."_s, u"none|workshop"_s,
        u"workshop"_s);
    const QCommandLineOption freshOption(u"no-calculated-metrics"_s,
        u"A tenant where nobody created the per-build calculated metric yet (try canaryctl metric create, or "
        "Create metric in the profiles dialog)."_s);
    const QCommandLineOption faultOption(u"fault"_s,
        u"Injects a fault, repeatable; the first fault matching a request applies. ENDPOINT: \"GET /path\", "
        "\"/path\" (any method), \"/prefix*\" or \"*\" (every request). KIND: latency:MS (then the normal "
        "answer), 429-retry-after:SECONDS, 429-ratelimit-reset:MS (X-RateLimit-Reset = now + MS, in "
        "microseconds), 500, 502 (a proxy's HTML page), 503, malformed-json, truncated-json, reset, hang (no "
        "answer until lifted). xCOUNT: only the next COUNT matching requests. Examples: "
        "--fault \"GET /api/v2/metrics/query=latency:3000\" --fault "
        "\"/api/v2/problems*=429-retry-after:2x5\" "
        "--fault \"*=reset\". At run time: GET/PUT/POST/DELETE /api/sim/v1/faults, request counters at "
        "GET/DELETE /api/sim/v1/requests."_s,
        u"ENDPOINT=KIND[:VALUE][xCOUNT]"_s);
    parser.addOptions({ portOption, addressOption, tokenOption, seedOption, rateOption, weightOption,
        historyOption, freshOption, faultOption });

    if (!parser.parse(QCoreApplication::arguments()))
        return usageError(parser.errorText());
    if (parser.isSet(u"help"_s) || parser.isSet(u"help-all"_s))
        parser.showHelp(0);
    if (parser.isSet(u"version"_s))
        parser.showVersion();
    if (!parser.positionalArguments().isEmpty())
        return usageError(u"unexpected argument '%1'"_s.arg(parser.positionalArguments().constFirst()));

    bool ok = false;
    const uint port = parser.value(portOption).toUInt(&ok);
    if (!ok || port > 65535)
        return usageError(
            u"--port must be a number from 0 to 65535, not '%1'"_s.arg(parser.value(portOption)));
    const QHostAddress address(parser.value(addressOption));
    if (address.isNull())
        return usageError(u"--address must be an IP address, not '%1'"_s.arg(parser.value(addressOption)));
    const quint64 seed = parser.value(seedOption).toULongLong(&ok);
    if (!ok)
        return usageError(u"--seed must be a non-negative number, not '%1'"_s.arg(parser.value(seedOption)));
    const double rate = parser.value(rateOption).toDouble(&ok);
    if (!ok || rate <= 0 || rate > 1000)
        return usageError(u"--rate must be a number of requests per second in (0, 1000], not '%1'"_s.arg(
            parser.value(rateOption)));
    std::optional<int> canaryWeight;
    if (parser.isSet(weightOption)) {
        const int weight = parser.value(weightOption).toInt(&ok);
        if (!ok || weight < 0 || weight > 100)
            return usageError(u"--canary-weight must be a percentage from 0 to 100, not '%1'"_s.arg(
                parser.value(weightOption)));
        canaryWeight = weight;
    }
    const QString history = parser.value(historyOption);
    if (history != u"none" && history != u"workshop")
        return usageError(u"--history must be 'none' or 'workshop', not '%1'"_s.arg(history));
    QList<canary::sim::Fault> faults;
    for (const QString &spec : parser.values(faultOption)) {
        QString problem;
        const auto fault = canary::sim::Fault::fromSpec(spec, &problem);
        if (!fault)
            return usageError(u"--fault "_s + problem);
        faults.append(*fault);
    }

    canary::sim::SimulatedEnvironment::Options options;
    options.address = address;
    options.port = quint16(port);
    options.token
        = parser.isSet(tokenOption) ? parser.value(tokenOption) : qEnvironmentVariable("CANARY_SIM_TOKEN");
    options.seed = seed;
    options.workshopCalculatedMetrics = !parser.isSet(freshOption);
    if (history == u"workshop") {
        options.world = canary::sim::WorldConfig::workshopDemo(rate);
    } else {
        options.world.requestsPerSecond = rate;
        options.world.initialCanaryWeight = canaryWeight.value_or(0);
    }

    canary::sim::SimulatedEnvironment environment(options);
    environment.faults().setFaults(faults); // validated above
    QString error;
    if (!environment.start(&error)) {
        QTextStream(stderr) << "canary-sim: " << error << '\n';
        return ExitCannotListen;
    }
    // With history the replayed ramp decides the past; the flag decides the split from now on.
    if (canaryWeight && history == u"workshop")
        environment.world().setCanaryWeight(*canaryWeight);

    if (!installSignalHandlers()) {
        QTextStream(stderr) << "canary-sim: cannot install signal handlers\n";
        return 1;
    }
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &app, [] {
        char byte = 0;
        [[maybe_unused]] const auto bytesRead = ::read(signalPipe[0], &byte, 1);
        QCoreApplication::quit();
    });

    const QString url = environment.baseUrl().toString();
    QTextStream out(stdout);
    out << "canary-sim listening on " << url << '\n'
        << "export DT_ENV_URL=" << url << '\n'
        << "export DT_API_TOKEN=" << environment.token() << '\n';
    out.flush();
    // stderr: scripts parse the three lines above.
    for (const canary::sim::Fault &fault : std::as_const(faults))
        QTextStream(stderr) << "canary-sim: injecting " << fault.toSpec() << '\n';

    const int status = QCoreApplication::exec();
    environment.stop();
    return status;
}
