#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>

#include "commands.h"
#include "environment/environment.h"
#include "report/incidentreport.h"
#include "rollback/rollbackjournal.h"
#include "session/canarysession.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "store/outbox.h"
#include "terminal.h"
#include "traffic/observedsplit.h"
#include "util/clock.h"
#include "verdict/snapshotjudge.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

// The incident report from the command line: the same story as the window's, with the audit log as the
// operator's actions (canaryctl keeps no other history) and without the chart image (no GUI here).
int reportCommand(const Context &context, const QString &directory)
{
    if (directory.isEmpty())
        return usageError(u"report needs --out DIR: the folder for the Markdown file"_s);
    const auto dynatrace = dynatraceTarget(context);
    if (!dynatrace)
        return usageError(dynatrace.error());
    const auto *target = &dynatrace->target;
    auto opened = openStore();
    if (!opened)
        return fail(opened.error(), StoreUnusable);
    const auto audit = opened->audit->entries();
    if (!audit)
        return fail(u"cannot read the audit log: %1"_s.arg(audit.error()), ApiOrData);

    traffic::BuildRoles configured = context.traffic.buildRoles(context.parser);
    if (!configured.isComplete() && context.profile)
        configured = context.profile->buildRoles();

    environment::EnvironmentSpec spec;
    spec.target = *target;
    spec.token = dynatrace->token;
    environment::Environment env(std::move(spec), Clock::system());
    session::CanarySession &session = *env.session();
    // A report needs all three reads: the metrics, the events and the problems.
    bool metrics = false, events = false, problems = false;
    std::optional<dynatrace::ApiError> error;
    const auto maybeDone = [&] {
        if (error || (metrics && events && problems))
            QCoreApplication::exit(0);
    };
    const auto arrived = [&](bool *flag) {
        return [&maybeDone, flag] {
            *flag = true;
            maybeDone();
        };
    };
    const auto failed = [&](const dynatrace::ApiError &e) {
        error = e;
        maybeDone();
    };
    using Session = session::CanarySession;
    QObject::connect(&session, &Session::snapshotChanged, &session, arrived(&metrics));
    QObject::connect(&session, &Session::eventsChanged, &session, arrived(&events));
    QObject::connect(&session, &Session::problemsChanged, &session, arrived(&problems));
    QObject::connect(&session, &Session::refreshFailed, &session, failed);
    QObject::connect(&session, &Session::eventsFailed, &session, failed);
    QObject::connect(&session, &Session::problemsFailed, &session, failed);
    session.refresh();
    QCoreApplication::exec();
    if (error) {
        return fail(u"the report needs the metrics, events and problems: %1"_s.arg(error->summary()),
            error->isConnectionOrAuth() ? ConnectionOrAuth : ApiOrData);
    }

    const auto &snapshot = session.snapshot();
    report::IncidentReport story = report::reportFromRead(snapshot, session.events(), session.problems(),
        traffic::resolveBuildRoles(snapshot.builds, configured), Clock::system().nowMs());
    story.service = target->entitySelector;
    story.environment = target->dynatraceUrl.host();
    story.tenantUrl = target->dynatraceUrl; // for the report's links to the problems' pages
    story.profile = context.profile ? context.profile->name : QString();
    story.verdict = verdict::judgeSnapshot(snapshot, story.roles, snapshot.fetchedAtMs);
    for (const auto &entry : audit.value()) {
        if (entry.atMs >= story.fromMs && entry.atMs <= story.toMs)
            story.timeline.push_back(report::timelineEntryFromAudit(entry));
    }
    rollback::RollbackJournal journal(rollback::RollbackJournal::defaultPath());
    for (const auto &state : { journal.last(), journal.inFlight() }) {
        if (state && state->startedAtMs >= story.fromMs)
            story.rollbacks.push_back(*state);
    }

    const auto written
        = report::writeReport(story, directory, report::suggestedBaseName(story), QByteArray());
    if (!written)
        return fail(u"incident report not written: %1"_s.arg(written.error()), ApiOrData);
    const QString &path = written.value();
    if (context.json) {
        terminal::out() << terminal::jsonLine(QJsonDocument(QJsonObject {
            { u"path"_s, path }, { u"verdict"_s, verdict::outcomeName(story.verdict->overall) } }));
    } else {
        terminal::out() << path << '\n';
    }
    return Ok;
}

} // namespace canaryctl
