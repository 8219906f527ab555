#include <cstdio>
#include <unistd.h>

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>
#include <QTimer>

#include "commands.h"
#include "environment/environment.h"
#include "net/redaction.h"
#include "net/urlbuilder.h"
#include "rollback/rollbackjournal.h"
#include "rollback/rollbackservice.h"
#include "session/canarysession.h"
#include "store/outboxsender.h"
#include "terminal.h"
#include "traffic/changegate.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"
#include "util/terminaltext.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

namespace {

int exitCodeFor(rollback::Failure failure)
{
    switch (failure) {
    case rollback::Failure::None:
        return Ok;
    case rollback::Failure::NoPlan:
        return NoPlan;
    case rollback::Failure::Refused:
        return Refused;
    case rollback::Failure::LaunchFailed:
        return LaunchFailed;
    case rollback::Failure::JobFailed:
        return JobFailed;
    case rollback::Failure::NotVerified:
        return NotVerified;
    case rollback::Failure::Busy:
        return Busy;
    case rollback::Failure::Unknown:
        return Unknown;
    case rollback::Failure::StoreUnusable:
        return StoreUnusable;
    }
    return ApiOrData;
}

QJsonObject planJson(const rollback::PlanResult &plan, const QStringList &openProblems)
{
    if (!plan) {
        QJsonObject json { { u"plan"_s, QJsonValue() },
            { u"refusal"_s, rollback::reasonName(plan.error().reason) },
            { u"message"_s, plan.error().message } };
        if (plan.error().source)
            json.insert(u"sourceEventId"_s, plan.error().source->eventId);
        return json;
    }
    const auto &p = plan.value();
    return {
        { u"plan"_s,
            QJsonObject { { u"kind"_s, rollback::kindName(p.kind) }, { u"summary"_s, p.shortText() },
                { u"templateId"_s, p.templateId }, { u"triggerUrl"_s, rollback::maskedUrl(p.triggerUrl) },
                { u"remediationType"_s, p.remediationType },
                { u"remediationAction"_s,
                    p.kind == rollback::BackoutPlan::Kind::GitlabPipeline
                        ? rollback::maskedUrl(p.triggerUrl)
                        : net::redactSecrets(p.remediationAction) },
                { u"trust"_s, p.trust },
                { u"source"_s,
                    QJsonObject { { u"eventId"_s, p.source.eventId },
                        { u"title"_s, net::redactSecrets(p.source.title) },
                        { u"eventType"_s, p.source.eventType }, { u"startTime"_s, p.source.startMs } } } } },
        { u"openProblems"_s, QJsonArray::fromStringList(openProblems) }
    };
}

// The environment a plan or a rollback is read and run in: the target, the AWX and the trusted origins from
// the flags, the profile and the environment; the back-end only where the operator named one (verification
// reads the split there, and the 0 % fallback sets it through the same gate as every change). A usage
// message when something is missing.
Expected<std::unique_ptr<environment::Environment>, QString> environmentFor(const Context &context)
{
    Setting setting = settingFor(context);
    if (!setting.hasDynatrace())
        return setting.dynatraceProblem;
    environment::EnvironmentSpec &spec = setting.spec;
    spec.guardRails.enabled = false; // a rollback only ever decreases
    // Build roles from the flags only: the plan's verification names the builds it was told about.
    spec.roles = context.traffic.buildRoles(context.parser);
    if (auto awx = context.traffic.awxConnection(context.parser, context.environment, context.profile)) {
        if (!*awx)
            return awx->error();
        spec.awx = awx->value();
    }
    if (context.parser.isSet(u"plan-from"_s))
        spec.planWindowFrom = context.parser.value(u"plan-from"_s);
    // A tenant is not a simulator: no back-end unless the operator names one.
    if (context.parser.isSet(u"traffic-backend"_s)) {
        auto backend = context.traffic.backendSpec(
            context.parser, context.environment, spec.target.dynatraceUrl, spec.token, std::nullopt);
        if (!backend)
            return backend.error();
        spec.backend = std::move(backend).value();
        const auto recording = context.traffic.recording(context.parser);
        if (!recording)
            return recording.error();
        if (recording->enabled) {
            traffic::RecorderConfig config;
            config.remediationType = recording->remediationType;
            config.remediationAction = recording->remediationAction;
            spec.recording = config;
        }
    }
    if (context.parser.isSet(u"poll-interval"_s))
        spec.rollbackPollIntervalMs = std::max(1, context.parser.value(u"poll-interval"_s).toInt());
    auto made = std::make_unique<environment::Environment>(std::move(spec), Clock::system());
    made->session()->setTimelineEnabled(false);
    return made;
}

// What will run, from trusted values only: the template id the plan resolved to, the name AWX itself gives
// that template (RollbackService looked it up) and the configured AWX's origin; for GitLab the allowlisted
// origin the trigger is POSTed to. Never built from the event's title: whoever may ingest events writes that,
// and it may claim any template (issue 20).
QString whatWillRun(const rollback::BackoutPlan &plan, const QString &awxOrigin)
{
    switch (plan.kind) {
    case rollback::BackoutPlan::Kind::AwxTemplate:
        return u"Will run: AWX job template #%1 %2 on %3, with no extra variables."_s.arg(
            QString::number(plan.templateId),
            plan.templateName.isEmpty() ? u"(AWX did not give its name)"_s
                                        : u"\"%1\" (its name in AWX)"_s.arg(terminalSafe(plan.templateName)),
            terminalSafe(awxOrigin.isEmpty() ? plan.awxHost : awxOrigin));
    case rollback::BackoutPlan::Kind::GitlabPipeline:
        return u"Will run: POST to the GitLab pipeline trigger %1 on %2."_s.arg(
            terminalSafe(rollback::maskedUrl(plan.triggerUrl)), terminalSafe(net::originOf(plan.triggerUrl)));
    case rollback::BackoutPlan::Kind::NothingToDo:
        break;
    }
    return u"Will run: nothing; the newest change recorded \"%1\" as its backout, so it was itself a reset."_s
        .arg(terminalSafe(plan.remediationAction));
}

// The plan for a person to check (the confirmation, 'canaryctl plan'): where it was recorded, as text from
// the tenant, escaped and labelled so; why it may run; and last, so that it is what a reader sees right above
// the prompt, what will run (whatWillRun()). Every line is composed here, none taken whole from the plan's
// own texts, which quote the event's title as it was written.
QString planText(const rollback::BackoutPlan &plan, const QString &awxOrigin)
{
    const dynatrace::Event &source = plan.source;
    const QString action = plan.kind == rollback::BackoutPlan::Kind::GitlabPipeline
        ? rollback::maskedUrl(QUrl(plan.remediationAction))
        : plan.remediationAction;
    QStringList lines;
    lines << u"Recorded on a Dynatrace event %1 at %2. Text from the tenant (anyone with events.ingest may "
             "write it), shown escaped:"_s.arg(terminalSafe(source.eventId),
                 QDateTime::fromMSecsSinceEpoch(source.startMs).toString(Qt::ISODate));
    lines << u"  title: \"%1\""_s.arg(terminalSafe(source.title));
    lines << u"  remediationType: \"%1\", remediationAction: \"%2\""_s.arg(
        terminalSafe(plan.remediationType), terminalSafe(action));
    lines << u"Why it may run: %1"_s.arg(terminalSafe(plan.trust));
    lines << whatWillRun(plan, awxOrigin);
    return lines.join(u'\n');
}

bool confirmed(const rollback::BackoutPlan *plan, bool fallback, const QString &awxOrigin)
{
    terminal::Stream err(stderr);
    err << (fallback
            ? QObject::tr("About to set the canary to 0 % through the traffic back-end (no plan is used).")
            : planText(*plan, awxOrigin))
        << '\n';
    if (!isatty(fileno(stdin))) {
        err << "canaryctl: not confirmed: stdin is not a terminal; pass --yes to run without a prompt\n";
        return false;
    }
    err << "Run it? [y/N] ";
    err.flush();
    QTextStream in(stdin);
    const QString answer = in.readLine().trimmed().toLower();
    return answer == u"y"_s || answer == u"yes"_s;
}

// The configured AWX as the confirmation names it: scheme, host and port.
QString awxOriginOf(const environment::Environment &env)
{
    return env.spec().awx ? net::originOf(env.spec().awx->url) : QString();
}

} // namespace

int plan(const Context &context)
{
    auto env = environmentFor(context);
    if (!env)
        return usageError(env.error());
    auto &service = *env.value()->openRollback();
    int exitCode = ApiOrData;
    QObject::connect(
        &service, &rollback::RollbackService::planFailed, &service, [&](const dynatrace::ApiError &error) {
            exitCode = fail(u"cannot read the target's events: %1"_s.arg(terminalSafe(error.summary())),
                error.isConnectionOrAuth() ? ConnectionOrAuth : ApiOrData);
            QCoreApplication::exit(exitCode);
        });
    QObject::connect(&service, &rollback::RollbackService::planResolved, &service, [&] {
        const auto &plan = *service.plan();
        terminal::Stream out(stdout);
        if (context.json) {
            out << terminal::jsonLine(QJsonDocument(planJson(plan, service.openProblemIds())));
        } else if (plan) {
            out << "plan: " << terminalSafe(plan->shortText()) << '\n'
                << planText(plan.value(), awxOriginOf(*env.value())) << '\n';
            if (!service.openProblemIds().isEmpty())
                out << "open problems on the target: " << service.openProblemIds().size() << '\n';
        }
        out.flush();
        if (!plan) {
            if (!context.json)
                terminal::err() << "canaryctl: " << terminalSafe(plan.error().message) << '\n';
            exitCode = plan.error().offersFallback() ? NoPlan : Refused;
            if (plan.error().offersFallback() && !context.json)
                terminal::err() << "canaryctl: 'canaryctl rollback --fallback --traffic-backend …' sets "
                                   "the canary to 0 % through the traffic back-end instead\n";
        } else {
            exitCode = Ok;
        }
        QCoreApplication::exit(exitCode);
    });
    service.refreshPlan();
    QCoreApplication::exec();
    return exitCode;
}

int rollbackCommand(const Context &context)
{
    auto opened = environmentFor(context);
    if (!opened)
        return usageError(opened.error());
    environment::Environment &env = *opened.value();
    // Like the window: a journal that cannot be read may hold a rollback in flight, so nothing is resumed
    // or launched over it (the runner refuses too; this says so before the plan is read or asked about).
    if (const rollback::RollbackJournal journal(env.spec().journalPath); !journal.loadError().isEmpty())
        return fail(
            u"the rollback journal is damaged (%1). It may hold a rollback in flight: read it and check "
            "AWX for the job it names, then move it aside (mv %2 %2.damaged) and run the command "
            "again; nothing was launched"_s.arg(journal.loadError(), journal.path()),
            StoreUnusable);
    // The audit comes first: no rollback starts without it, and its rows are connected before anything that
    // announces an outcome, so an outcome is printed only once its row is committed.
    if (auto audit = env.openStore(); !audit)
        return fail(audit.error(), StoreUnusable);
    bool auditFailed = false;
    QObject::connect(
        &env, &environment::Environment::auditFailed, &env, [&auditFailed](const QString &error) {
            auditFailed = true;
            fail(u"the audit log could not be written: %1"_s.arg(error), 0);
        });
    if (env.spec().backend) {
        if (auto traffic = env.openTraffic(); !traffic)
            return fail(traffic.error(), ApiOrData);
    }
    // The result event and the problem comments go through the outbox: committed before the outcome is
    // printed, then delivered.
    auto &service = *env.openRollback();
    auto *runner = service.runner();
    // Records in the journal the audit log does not vouch for were not moved to the outbox: nothing of them
    // is sent, and nothing runs until someone has looked at the file.
    if (const QString refused = runner->journalRefusal(); !refused.isEmpty())
        return fail(refused, StoreUnusable);
    store::OutboxSender &sender = *env.sender();

    const bool yes = context.parser.isSet(u"yes"_s);
    const bool noWait = context.parser.isSet(u"no-wait"_s);
    const bool fallback = context.parser.isSet(u"fallback"_s);
    const QString reason = context.parser.value(u"reason"_s);
    int exitCode = ApiOrData;

    terminal::Stream err(stderr);
    QObject::connect(runner, &rollback::RollbackRunner::notice, runner, [&](const QString &text) {
        err << "canaryctl: " << terminalSafe(text) << '\n';
        err.flush();
    });
    QObject::connect(runner, &rollback::RollbackRunner::stageChanged, runner, [&](rollback::Stage stage) {
        const auto &state = runner->state();
        if (stage == rollback::Stage::Following) {
            err << "launched AWX job " << state.jobId
                << (state.jobUrl.isEmpty() ? QString() : u" ("_s + terminalSafe(state.jobUrl) + u')') << '\n';
        } else if (stage != rollback::Stage::Finished) {
            err << rollback::stageName(stage) << "…\n";
        }
        err.flush();
        const bool launched = stage == rollback::Stage::Following || stage == rollback::Stage::Verifying;
        if (noWait && launched && state.failure == rollback::Failure::None) {
            terminal::out() << "started: " << terminalSafe(state.actionText())
                            << "; follow it with 'canaryctl rollback --resume'\n";
            exitCode = Ok;
            QCoreApplication::exit(exitCode);
        }
    });
    const auto finished = [&](const rollback::RollbackState &state) {
        terminal::Stream out(stdout);
        if (context.json)
            out << terminal::jsonLine(QJsonDocument(state.toJson()));
        else if (state.succeeded())
            out << "rollback succeeded: " << terminalSafe(state.message) << '\n';
        out.flush();
        if (!state.succeeded())
            fail(u"rollback %1: %2"_s.arg(rollback::failureName(state.failure), terminalSafe(state.message)),
                0);
        exitCode = auditFailed ? ApiOrData : exitCodeFor(state.failure);
        // The result event is safe in the outbox already; give it one go before leaving. Queued: a resume
        // can end before the event loop runs (it died before the launch), and exit() only ends a running
        // loop.
        if (sender.pendingCount() == 0 && !sender.isSending())
            return QTimer::singleShot(0, &sender, [&exitCode] { QCoreApplication::exit(exitCode); });
        QObject::connect(
            &sender, &store::OutboxSender::drained, &sender, [&] { QCoreApplication::exit(exitCode); });
        QObject::connect(&sender, &store::OutboxSender::deliveryFailed, &sender,
            [&](const QString &, const QString &message) {
                fail(u"a record of the rollback is not in Dynatrace yet (%1); it is kept in the outbox: "
                     "'canaryctl outbox flush' sends it"_s.arg(terminalSafe(message)),
                    0);
                QCoreApplication::exit(exitCode);
            });
        sender.flush();
    };
    QObject::connect(runner, &rollback::RollbackRunner::rollbackSucceeded, runner, finished);
    QObject::connect(runner, &rollback::RollbackRunner::rollbackFailed, runner, finished);

    if (context.parser.isSet(u"resume"_s)) {
        if (!runner->resume())
            return fail(
                u"no rollback in flight to resume (journal %1)"_s.arg(service.journal().path()), NoPlan);
        QCoreApplication::exec();
        return exitCode;
    }
    if (service.journal().inFlight())
        return fail(u"a rollback is already in flight (%1, %2): resume it with --resume"_s.arg(
                        service.journal().inFlight()->actionText(),
                        rollback::stageName(service.journal().inFlight()->stage)),
            Refused);

    QObject::connect(
        &service, &rollback::RollbackService::planFailed, &service, [&](const dynatrace::ApiError &error) {
            if (fallback) {
                // The way out during a Dynatrace outage: 0 % through the back-end needs no recorded plan.
                fail(u"cannot read the target's events (%1); the fallback needs no plan and goes ahead"_s.arg(
                         terminalSafe(error.summary())),
                    0);
                if (!yes && !confirmed(nullptr, true, {})) {
                    exitCode = Usage;
                    return QCoreApplication::exit(exitCode);
                }
                service.executeFallback(reason, operatorName(context));
                return;
            }
            exitCode = fail(u"cannot read the target's events: %1"_s.arg(terminalSafe(error.summary())),
                error.isConnectionOrAuth() ? ConnectionOrAuth : ApiOrData);
            QCoreApplication::exit(exitCode);
        });
    QObject::connect(&service, &rollback::RollbackService::planResolved, &service, [&] {
        const auto &plan = *service.plan();
        if (!fallback) {
            if (!plan) {
                exitCode = fail(
                    terminalSafe(plan.error().message), plan.error().offersFallback() ? NoPlan : Refused);
                if (plan.error().offersFallback())
                    err << "canaryctl: --fallback sets the canary to 0 % through the traffic back-end "
                           "instead\n";
                return QCoreApplication::exit(exitCode);
            }
            if (!plan->needsAction()) {
                exitCode = fail(
                    u"no backout needed: %1"_s.arg(terminalSafe(plan->detailText().section(u'\n', 0, 0))),
                    NoPlan);
                return QCoreApplication::exit(exitCode);
            }
        }
        if (!yes && !confirmed(plan ? &plan.value() : nullptr, fallback, awxOriginOf(env))) {
            exitCode = Usage;
            return QCoreApplication::exit(exitCode);
        }
        if (fallback)
            service.executeFallback(reason, operatorName(context));
        else
            service.execute(reason, operatorName(context));
    });
    if (fallback && !env.gate())
        return usageError(u"--fallback needs --traffic-backend: it sets 0 % through the traffic back-end"_s);
    // With a back-end, where traffic is comes first: the fallback's event says what it changed.
    if (traffic::TrafficController *controller = env.controller()) {
        QObject::connect(
            controller, &traffic::TrafficController::splitRead, &service,
            [&service] { service.refreshPlan(); }, Qt::SingleShotConnection);
        QObject::connect(
            controller, &traffic::TrafficController::readFailed, &service,
            [&service] { service.refreshPlan(); }, Qt::SingleShotConnection);
        controller->refresh();
    } else {
        service.refreshPlan();
    }
    QCoreApplication::exec();
    return exitCode;
}

} // namespace canaryctl
