// canaryctl: Canary Console for scripts and CI pipelines. Same core, same session, no window.
#include <cstdio>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

#include "dynatrace/apierror.h"
#include "profile/targetoptions.h"
#include "session/canarysession.h"
#include "session/statusreport.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace {

enum ExitCode { Ok = 0, Usage = 2, ConnectionOrAuth = 3, ApiOrData = 4 };

int usageError(const QString &message)
{
    QTextStream(stderr) << "canaryctl: " << message << "\nTry 'canaryctl --help'.\n";
    return Usage;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"canaryctl"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(CANARY_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Canary Console command line.\n\nCommands:\n  status   per-build request counts for the target\n\n"
        "The Dynatrace API token is read from DT_API_TOKEN (never from a flag).\n"
        "Exit codes: 0 ok, 2 usage, 3 connection/auth, 4 API/data error."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(u"command"_s, u"status"_s);
    const QCommandLineOption json(u"json"_s, u"Print machine-readable JSON."_s);
    parser.addOption(json);
    profile::TargetOptions targetOptions;
    targetOptions.addTo(parser);

    if (!parser.parse(QCoreApplication::arguments()))
        return usageError(parser.errorText());
    if (parser.isSet(u"help"_s)) {
        QTextStream(stdout) << parser.helpText();
        return Ok;
    }
    if (parser.isSet(u"version"_s)) {
        QTextStream(stdout) << "canaryctl " << QCoreApplication::applicationVersion() << '\n';
        return Ok;
    }
    const QStringList args = parser.positionalArguments();
    if (args.isEmpty())
        return usageError(u"missing command (status)"_s);
    if (args.front() != u"status"_s || args.size() > 1)
        return usageError(u"unknown command '%1'"_s.arg(args.join(u' ')));

    const auto environment = QProcessEnvironment::systemEnvironment();
    auto target = targetOptions.read(parser, environment, true);
    if (!target)
        return usageError(target.error());
    const QString token = profile::TargetOptions::tokenFrom(environment);
    if (token.isEmpty())
        return usageError(u"DT_API_TOKEN is not set (the token is never taken from a flag)"_s);

    session::CanarySession session(target.value(), token, Clock::system());
    int exitCode = ApiOrData;
    QObject::connect(
        &session, &session::CanarySession::snapshotChanged, &app, [&](const session::Snapshot &snapshot) {
            QTextStream out(stdout);
            if (parser.isSet(json))
                out << statusJson(snapshot, session.target().entitySelector);
            else
                out << statusText(snapshot, Clock::system().nowMs());
            exitCode = Ok;
            QCoreApplication::exit(exitCode);
        });
    QObject::connect(
        &session, &session::CanarySession::refreshFailed, &app, [&](const dynatrace::ApiError &error) {
            QTextStream(stderr) << "canaryctl: " << error.summary() << '\n';
            exitCode = error.isConnectionOrAuth() ? ConnectionOrAuth : ApiOrData;
            QCoreApplication::exit(exitCode);
        });
    session.refresh();
    app.exec();
    return exitCode;
}
