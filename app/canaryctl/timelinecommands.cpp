#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "commands.h"
#include "dynatrace/eventsclient.h"
#include "dynatrace/problemsclient.h"
#include "environment/environment.h"
#include "net/redaction.h"
#include "terminal.h"
#include "util/clock.h"
#include "util/terminaltext.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

namespace {

// The target's environment: its one tenant client serves the read.
Expected<std::unique_ptr<environment::Environment>, QString> connect(const Context &context)
{
    const Setting setting = settingFor(context);
    if (!setting.hasDynatrace())
        return setting.dynatraceProblem;
    return std::make_unique<environment::Environment>(setting.spec, Clock::system());
}

QString time(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(u"yyyy-MM-dd HH:mm:ss"_s);
}

QJsonValue endValue(const std::optional<qint64> &end)
{
    return end ? QJsonValue(*end) : QJsonValue();
}

// A list that stopped on a failed page is still printed; the error then decides the exit code.
int finishWith(const std::optional<dynatrace::ApiError> &error)
{
    if (!error)
        return Ok;
    terminal::err() << "canaryctl: " << terminalSafe(error->summary()) << '\n';
    return error->isConnectionOrAuth() ? ConnectionOrAuth : ApiOrData;
}

QString fromOrDefault(const Context &context, const QString &fallback)
{
    return context.parser.isSet(u"from"_s) ? context.parser.value(u"from"_s) : fallback;
}

} // namespace

int events(const Context &context, const QString &type)
{
    auto connection = connect(context);
    if (!connection)
        return usageError(connection.error());
    dynatrace::EventsClient client(connection.value()->tenant());
    dynatrace::EventQuery query;
    query.entitySelector = connection.value()->spec().target.entitySelector;
    query.from = fromOrDefault(context, u"now-2h"_s);
    if (!type.isEmpty())
        query.eventSelector = u"eventType(\"%1\")"_s.arg(type);

    int exitCode = ApiOrData;
    client.list(query, &client, [&](const dynatrace::EventListResult &result) {
        terminal::Stream out(stdout);
        if (context.json) {
            QJsonArray array;
            for (const auto &event : result.events) {
                QJsonObject properties;
                for (auto it = event.properties.cbegin(); it != event.properties.cend(); ++it)
                    properties.insert(it.key(), net::redactSecrets(it.value()));
                array.append(
                    QJsonObject { { u"eventId"_s, event.eventId }, { u"eventType"_s, event.eventType },
                        { u"title"_s, net::redactSecrets(event.title) }, { u"startTime"_s, event.startMs },
                        { u"endTime"_s, endValue(event.endMs) }, { u"status"_s, event.status },
                        { u"entityId"_s, event.entityId }, { u"properties"_s, properties } });
            }
            out << terminal::jsonLine(QJsonDocument(
                QJsonObject { { u"events"_s, array }, { u"complete"_s, result.isComplete() } }));
        } else {
            for (const auto &event : result.events) {
                // Every field is the tenant's, written by whoever may ingest events: escaped one by one, so a
                // newline or CR in one cannot start or rewrite a line.
                out << time(event.startMs) << "  " << terminalSafe(event.eventType).leftJustified(22) << "  "
                    << (event.title.isEmpty() ? u"(no title)"_s : terminalSafe(event.title));
                // Written by whoever may ingest events: masked and escaped (a trigger URL keeps its token
                // for the rollback that runs it, not for the terminal).
                if (!event.remediationAction().isEmpty())
                    out << "  [backout: " << terminalSafe(event.remediationType()) << ' '
                        << terminalSafe(event.remediationAction()) << ']';
                out << "  " << terminalSafe(event.status) << '\n';
            }
            if (result.events.empty())
                out << "(no events for this target in the window)\n";
            if (result.truncated)
                out << "(only the newest " << result.events.size() << " of " << result.totalCount
                    << " events)\n";
        }
        out.flush();
        exitCode = finishWith(result.error);
        QCoreApplication::exit(exitCode);
    });
    QCoreApplication::exec();
    return exitCode;
}

int problems(const Context &context)
{
    auto connection = connect(context);
    if (!connection)
        return usageError(connection.error());
    dynatrace::ProblemsClient client(connection.value()->tenant());
    dynatrace::ProblemQuery query;
    query.entitySelector = connection.value()->spec().target.entitySelector;
    query.from = fromOrDefault(context, u"now-2h"_s);

    int exitCode = ApiOrData;
    client.list(query, &client, [&](const dynatrace::ProblemListResult &result) {
        terminal::Stream out(stdout);
        if (context.json) {
            QJsonArray array;
            for (const auto &problem : result.problems)
                array.append(QJsonObject { { u"problemId"_s, problem.problemId },
                    { u"displayId"_s, problem.displayId }, { u"title"_s, net::redactSecrets(problem.title) },
                    { u"status"_s, problem.status }, { u"severityLevel"_s, problem.severityLevel },
                    { u"impactLevel"_s, problem.impactLevel },
                    { u"rootCause"_s, problem.rootCause ? problem.rootCause->id : QString() },
                    { u"startTime"_s, problem.startMs }, { u"endTime"_s, endValue(problem.endMs) } });
            out << terminal::jsonLine(QJsonDocument(
                QJsonObject { { u"problems"_s, array }, { u"complete"_s, result.isComplete() } }));
        } else {
            for (const auto &problem : result.problems)
                out << time(problem.startMs) << "  " << terminalSafe(problem.displayId).leftJustified(9)
                    << "  " << terminalSafe(problem.status).leftJustified(6) << "  "
                    << terminalSafe(problem.severityLevel).leftJustified(12) << "  "
                    << terminalSafe(problem.title) << '\n';
            if (result.problems.empty())
                out << "(no problems for this target in the window)\n";
        }
        out.flush();
        exitCode = finishWith(result.error);
        QCoreApplication::exit(exitCode);
    });
    QCoreApplication::exec();
    return exitCode;
}

} // namespace canaryctl
