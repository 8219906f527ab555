#include <QCoreApplication>
#include <QJsonObject>

#include "commands.h"
#include "environment/environment.h"
#include "session/canarysession.h"
#include "session/statusreport.h"
#include "terminal.h"
#include "traffic/observedsplit.h"
#include "util/clock.h"
#include "util/terminaltext.h"
#include "verdict/snapshotjudge.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

namespace {

// Errors quote what servers, files and flags said (AWX's launcher names, Dynatrace's messages, a profile's
// values): line by line, nothing a terminal would obey and no credential. The line breaks kept are the
// message's own (a profile's problems, one a line); a field quoted inside a line is escaped where it is
// inserted, newlines too.
QString errorLines(const QString &message)
{
    QStringList lines = message.split(u'\n');
    for (QString &line : lines)
        line = terminalSafe(line);
    return lines.join(u'\n');
}

} // namespace

int usageError(const QString &message)
{
    terminal::err() << "canaryctl: " << errorLines(message) << "\nTry 'canaryctl --help'.\n";
    return Usage;
}

int fail(const QString &message, int code)
{
    terminal::err() << "canaryctl: " << errorLines(message) << '\n';
    return code;
}

Expected<DynatraceTarget, QString> dynatraceTarget(const Context &context)
{
    auto target = context.target.read(context.parser, context.environment, true, {}, context.profile);
    if (!target)
        return target.error();
    const QString token = profile::TargetOptions::tokenFrom(context.environment);
    if (token.isEmpty())
        return u"DT_API_TOKEN is not set (the token is never taken from a flag)"_s;
    return DynatraceTarget { target.value(), token };
}

int status(const Context &context)
{
    const auto dynatrace = dynatraceTarget(context);
    if (!dynatrace)
        return usageError(dynatrace.error());
    const auto &target = dynatrace->target;
    const QString &token = dynatrace->token;

    // Which build is which: the flags, then the profile, else the newer version is the canary.
    traffic::BuildRoles configured = context.traffic.buildRoles(context.parser);
    if (!configured.isComplete() && context.profile)
        configured = context.profile->buildRoles();

    environment::EnvironmentSpec spec;
    spec.target = target;
    spec.token = token;
    environment::Environment env(std::move(spec), Clock::system());
    session::CanarySession &session = *env.session();
    int exitCode = ApiOrData;
    QObject::connect(
        &session, &session::CanarySession::snapshotChanged, &session, [&](const session::Snapshot &snapshot) {
            const auto roles = traffic::resolveBuildRoles(snapshot.builds, configured);
            const auto verdict = verdict::judgeSnapshot(snapshot, roles, snapshot.fetchedAtMs);
            terminal::Stream out(stdout);
            if (context.json) {
                // Parsed again so that build names from Dynatrace are escaped as JSON (terminal::jsonLine).
                out << terminal::jsonLine(QJsonDocument::fromJson(statusJson(snapshot,
                    session.target().entitySelector,
                    QJsonObject {
                        { u"roles"_s,
                            QJsonObject { { u"stable"_s, roles.stable }, { u"canary"_s, roles.canary } } },
                        { u"verdict"_s, verdict::toJson(verdict) } })));
            } else {
                out << statusText(snapshot, Clock::system().nowMs());
                out << u"\nVERDICT: %1\n"_s.arg(verdict.summary);
                for (const auto &metric : verdict.metrics)
                    out << u"  "_s << metric.sentence << u'\n';
            }
            exitCode = Ok;
            QCoreApplication::exit(exitCode);
        });
    QObject::connect(
        &session, &session::CanarySession::refreshFailed, &session, [&](const dynatrace::ApiError &error) {
            terminal::err() << "canaryctl: " << terminalSafe(error.summary()) << '\n';
            exitCode = error.isConnectionOrAuth() ? ConnectionOrAuth : ApiOrData;
            QCoreApplication::exit(exitCode);
        });
    session.refresh();
    QCoreApplication::exec();
    return exitCode;
}

} // namespace canaryctl
