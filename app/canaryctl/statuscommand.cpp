#include <QCoreApplication>
#include <QTextStream>

#include "commands.h"
#include "session/canarysession.h"
#include "session/statusreport.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

int usageError(const QString &message)
{
    QTextStream(stderr) << "canaryctl: " << message << "\nTry 'canaryctl --help'.\n";
    return Usage;
}

int status(const Context &context)
{
    auto target = context.target.read(context.parser, context.environment, true, {}, context.profile);
    if (!target)
        return usageError(target.error());
    const QString token = profile::TargetOptions::tokenFrom(context.environment);
    if (token.isEmpty())
        return usageError(u"DT_API_TOKEN is not set (the token is never taken from a flag)"_s);

    session::CanarySession session(target.value(), token, Clock::system());
    int exitCode = ApiOrData;
    QObject::connect(
        &session, &session::CanarySession::snapshotChanged, &session, [&](const session::Snapshot &snapshot) {
            QTextStream out(stdout);
            if (context.json)
                out << statusJson(snapshot, session.target().entitySelector);
            else
                out << statusText(snapshot, Clock::system().nowMs());
            exitCode = Ok;
            QCoreApplication::exit(exitCode);
        });
    QObject::connect(
        &session, &session::CanarySession::refreshFailed, &session, [&](const dynatrace::ApiError &error) {
            QTextStream(stderr) << "canaryctl: " << error.summary() << '\n';
            exitCode = error.isConnectionOrAuth() ? ConnectionOrAuth : ApiOrData;
            QCoreApplication::exit(exitCode);
        });
    session.refresh();
    QCoreApplication::exec();
    return exitCode;
}

} // namespace canaryctl
