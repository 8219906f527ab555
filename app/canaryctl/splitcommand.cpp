#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include "commands.h"
#include "dynatrace/eventsclient.h"
#include "dynatrace/tenantclient.h"
#include "environment/trafficbackendfactory.h"
#include "net/restclient.h"
#include "store/auditlog.h"
#include "store/outbox.h"
#include "store/outboxsender.h"
#include "traffic/changegate.h"
#include "traffic/changerecorder.h"
#include "traffic/guardrails.h"
#include "traffic/trafficactions.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"
#include "verdict/guardconditions.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

namespace {

int exitCodeFor(const traffic::TrafficError &error)
{
    using Kind = traffic::TrafficError::Kind;
    switch (error.kind) {
    case Kind::Transport:
    case Kind::Timeout:
    case Kind::Unauthorized:
    case Kind::Forbidden:
        return ConnectionOrAuth;
    case Kind::InvalidInput:
    case Kind::Configuration:
        return Usage;
    default:
        return ApiOrData;
    }
}

QJsonObject splitJson(const traffic::Split &split, const traffic::TrafficBackend &backend)
{
    return { { u"stable"_s, split.stable }, { u"canary"_s, split.canary },
        { u"backend"_s, backend.description() } };
}

// The Dynatrace environment, when one is configured: the simulator back-end and event recording need it.
struct Dynatrace
{
    std::optional<session::Target> target;
    QString token;
    QString problem;
};

Dynatrace dynatraceFrom(const Context &context)
{
    Dynatrace dynatrace;
    auto target = context.target.read(context.parser, context.environment, true, {}, context.profile);
    if (!target)
        dynatrace.problem = target.error();
    else
        dynatrace.target = target.value();
    dynatrace.token = profile::TargetOptions::tokenFrom(context.environment);
    if (dynatrace.target && dynatrace.token.isEmpty())
        dynatrace.problem = u"DT_API_TOKEN is not set (the token is never taken from a flag)"_s;
    return dynatrace;
}

Expected<std::unique_ptr<traffic::TrafficBackend>, QString> backendFor(
    const Context &context, const Dynatrace &dynatrace)
{
    const QUrl simulatorUrl = dynatrace.target ? dynatrace.target->dynatraceUrl : QUrl();
    // Scripts against canary-sim need no extra flag: the simulator is the default back-end here.
    auto spec = context.traffic.backendSpec(context.parser, context.environment, simulatorUrl,
        dynatrace.token, profile::TrafficOptions::Backend::Simulator);
    if (!spec)
        return spec.error();
    return environment::makeTrafficBackend(std::move(spec).value());
}

QJsonObject percentJson(int canary)
{
    return { { u"stable"_s, 100 - canary }, { u"canary"_s, canary } };
}

} // namespace

int splitGet(const Context &context)
{
    const Dynatrace dynatrace = dynatraceFrom(context);
    auto backend = backendFor(context, dynatrace);
    if (!backend)
        return usageError(backend.error());

    traffic::TrafficController controller(backend->get(), nullptr);
    int exitCode = ApiOrData;
    QObject::connect(
        &controller, &traffic::TrafficController::splitRead, &controller, [&](const traffic::Split &split) {
            QTextStream out(stdout);
            if (context.json)
                out << QJsonDocument(splitJson(split, **backend)).toJson(QJsonDocument::Compact) << '\n';
            else
                out << "canary " << split.canary << " %, stable " << split.stable << " % ("
                    << (*backend)->description() << ")\n";
            exitCode = Ok;
            QCoreApplication::exit(exitCode);
        });
    QObject::connect(&controller, &traffic::TrafficController::readFailed, &controller,
        [&](const traffic::TrafficError &error) {
            exitCode = fail(error.summary(), exitCodeFor(error));
            QCoreApplication::exit(exitCode);
        });
    controller.refresh();
    QCoreApplication::exec();
    return exitCode;
}

int splitSet(const Context &context, const QString &percent, const QString &reason)
{
    const auto split = traffic::Split::parseCanaryPercent(percent);
    if (!split)
        return usageError(split.error());
    // The guard-rails are a profile's: without --profile or --config a script moves traffic as before.
    traffic::GuardRailPolicy policy
        = context.profile ? context.profile->guardRailPolicy() : traffic::GuardRailPolicy();
    if (!context.profile)
        policy.enabled = false;
    const bool overriding = context.parser.isSet(u"override-reason"_s);
    const QString overrideReason
        = traffic::GuardRails::normalisedOverrideReason(context.parser.value(u"override-reason"_s));
    if (overriding && !traffic::GuardRails::overrideAllowed(overrideReason))
        return usageError(traffic::GuardRails::overrideRefusal(overrideReason));
    const auto recording = context.traffic.recording(context.parser);
    if (!recording)
        return usageError(recording.error());

    const Dynatrace dynatrace = dynatraceFrom(context);
    if (recording->enabled && !dynatrace.problem.isEmpty())
        return usageError(u"recording the change in Dynatrace needs its environment: %1 (or pass --no-event "
                          "when the back-end records changes itself)"_s.arg(dynatrace.problem));
    auto backend = backendFor(context, dynatrace);
    if (!backend)
        return usageError(backend.error());

    // No change without its audit: the store is opened before anything moves.
    auto opened = openStore();
    if (!opened)
        return fail(opened.error(), ApiOrData);

    // One client of the tenant for the change's event and the guard-rails' conditions.
    std::unique_ptr<net::RestClient> tenant;
    if (dynatrace.target && !dynatrace.token.isEmpty()) {
        tenant = dynatrace::makeTenantClient(
            dynatrace.target->dynatraceUrl, dynatrace.token, dynatrace.target->requestTimeoutMs);
    }
    std::unique_ptr<dynatrace::EventsClient> events;
    std::unique_ptr<store::OutboxSender> sender;
    std::unique_ptr<traffic::ChangeRecorder> recorder;
    if (recording->enabled) {
        events = std::make_unique<dynatrace::EventsClient>(tenant.get());
        traffic::RecorderConfig config;
        config.entitySelector = dynatrace.target->entitySelector;
        config.remediationType = recording->remediationType;
        config.remediationAction = recording->remediationAction;
        config.appVersion = QCoreApplication::applicationVersion();
        config.backendDescription = (*backend)->description();
        recorder = std::make_unique<traffic::ChangeRecorder>(events.get(), config);
        // The event is committed to the outbox before it is sent; events earlier runs left there go first.
        sender = std::make_unique<store::OutboxSender>(opened->outbox.get(), events.get(),
            store::Outbox::tenantOf(dynatrace.target->dynatraceUrl), Clock::system());
        recorder->setOutbox(opened->outbox.get(), sender.get());
    }

    traffic::TrafficController controller(backend->get(), recorder.get());
    int exitCode = ApiOrData;
    // Connected before the handlers below, which print: "succeeded" is committed before anything says so.
    bool auditFailed = false;
    traffic::auditTrafficActions(
        &controller, opened->audit.get(), operatorName(context), [&auditFailed](const QString &why) {
            auditFailed = true;
            fail(u"the audit log could not be written: %1"_s.arg(why), 0);
        });
    std::optional<traffic::Split> applied;
    auto report = [&](const QString &recordedAs) {
        QTextStream out(stdout);
        if (context.json) {
            QJsonObject object = splitJson(*applied, **backend);
            object.insert(u"recordedEvent"_s, recordedAs.isEmpty() ? QJsonValue() : QJsonValue(recordedAs));
            out << QJsonDocument(object).toJson(QJsonDocument::Compact) << '\n';
        } else {
            out << "canary weight set to " << applied->canary << " % (stable/canary " << applied->toString()
                << ") through " << (*backend)->description() << '\n';
            if (!recordedAs.isEmpty())
                out << "recorded in Dynatrace as \"" << recordedAs << "\"\n";
        }
    };
    QObject::connect(&controller, &traffic::TrafficController::splitApplied, &controller,
        [&](const traffic::Split &, const traffic::Split &to) {
            applied = to;
            if (auditFailed) {
                exitCode = fail(u"traffic is now %1 (stable/canary), but the change is not in the audit "
                                "log"_s.arg(to.toString()),
                    ApiOrData);
                return QCoreApplication::exit(exitCode);
            }
            if (!recorder) {
                report({});
                exitCode = Ok;
                QCoreApplication::exit(exitCode);
            }
        });
    QObject::connect(
        &controller, &traffic::TrafficController::changeRecorded, &controller, [&](const QString &title) {
            if (auditFailed)
                return;
            report(title);
            exitCode = Ok;
            QCoreApplication::exit(exitCode);
        });
    QObject::connect(
        &controller, &traffic::TrafficController::recordFailed, &controller, [&](const QString &message) {
            exitCode = fail(
                u"traffic is now %1 (stable/canary), but the change was NOT recorded in "
                "Dynatrace: %2%3"_s.arg(applied ? applied->toString() : QString(), message,
                    recorder && recorder->outbox() ? u" ('canaryctl outbox flush' sends what is pending)"_s
                                                   : QString()),
                ApiOrData);
            QCoreApplication::exit(exitCode);
        });
    QObject::connect(&controller, &traffic::TrafficController::applyFailed, &controller,
        [&](const traffic::Split &, const traffic::TrafficError &failure) {
            exitCode = fail(failure.summary(), exitCodeFor(failure));
            QCoreApplication::exit(exitCode);
        });
    // The cool-down outlives the process: it starts at the newest increase in the audit log, whoever made it.
    traffic::GuardRails rails(Clock::system(), policy);
    if (policy.enabled) {
        const auto entries = opened->audit->entries();
        if (!entries)
            return fail(
                u"the audit log could not be read for the guard-rails' cool-down: %1"_s.arg(entries.error()),
                ApiOrData);
        rails.setLastIncreaseAtMs(traffic::lastIncreaseInAudit(entries.value()));
    }
    traffic::BuildRoles roles = context.traffic.buildRoles(context.parser);
    if (!roles.isComplete() && context.profile)
        roles = context.profile->buildRoles();
    // The same gate the window's slider goes through: the guard-rails answer, this command only prints.
    traffic::ChangeGate gate(&controller);
    gate.setGuardRails(&rails);
    traffic::recordGuardDecisions(
        &gate, opened->audit.get(), operatorName(context), (*backend)->description());
    verdict::ConditionReader conditionReader(
        tenant.get(), dynatrace.target ? &*dynatrace.target : nullptr, policy, roles, dynatrace.problem);

    // Blocked: say why, one reason a line, and stop.
    QObject::connect(&gate, &traffic::ChangeGate::increaseHeld, &gate, [&](const traffic::GateHold &hold) {
        if (context.json) {
            QJsonObject object { { u"blocked"_s, true }, { u"requested"_s, percentJson(split->canary) },
                { u"reasons"_s, QJsonArray::fromStringList(hold.reasons) },
                { u"maxAllowedPercent"_s, hold.maxAllowedPercent } };
            if (hold.fromPercent)
                object.insert(u"current"_s, percentJson(*hold.fromPercent));
            QTextStream(stdout) << QJsonDocument(object).toJson(QJsonDocument::Compact) << '\n';
        }
        QTextStream err(stderr);
        for (const QString &line : hold.reasons)
            err << "canaryctl: blocked: " << line << '\n';
        err << "canaryctl: the guard-rails of profile \"" << context.profile->name << "\" refuse canary "
            << split->canary << " %";
        if (hold.fromPercent)
            err << (hold.maxAllowedPercent > *hold.fromPercent
                    ? u"; at most %1 % now"_s.arg(hold.maxAllowedPercent)
                    : u"; no increase now"_s);
        err << " (decreases are always allowed). --override-reason \"why\" goes ahead anyway, "
               "recorded in Dynatrace and the audit log.\n";
        exitCode = Blocked;
        QCoreApplication::exit(exitCode);
    });
    QObject::connect(&gate, &traffic::ChangeGate::guardOverridden, &gate, [](const traffic::GateHold &hold) {
        QTextStream err(stderr);
        for (const QString &line : hold.reasons)
            err << "canaryctl: overridden: " << line << '\n';
    });
    QObject::connect(&gate, &traffic::ChangeGate::recordFailed, &gate, [&](const QString &why) {
        if (!overriding)
            return void(fail(why, 0)); // the refusal stands; the exit says blocked
        exitCode = fail(why, ApiOrData);
        QCoreApplication::exit(exitCode);
    });
    auto request = [&] {
        if (overriding)
            gate.requestOverriding(split->canary, overrideReason, reason);
        else
            gate.request(split->canary, reason);
    };
    // Know where traffic was first, so the event says what changed (a back-end that cannot tell is fine
    // without guard-rails) and whether this is an increase; the target's problems and metrics are read only
    // for a change the guard-rails may hold.
    bool readDone = false;
    auto decide = [&] {
        if (readDone)
            return;
        readDone = true;
        if (!gate.mayHold(split->canary)) {
            if (overriding)
                fail(policy.enabled
                        ? u"nothing to override: decreases are always allowed; the override reason "
                          "is not recorded"_s
                        : u"nothing to override: no guard-rails (they come with a profile's guard.* "
                          "keys); the override reason is not recorded"_s,
                    0);
            return gate.request(split->canary, reason);
        }
        conditionReader.read([&](const traffic::GuardConditions &conditions) {
            gate.setConditions(conditions);
            if (overriding && !gate.holdFor(split->canary).isHeld()) {
                fail(u"the guard-rails allow this change: the override reason is not recorded"_s, 0);
                return gate.request(split->canary, reason);
            }
            request();
        });
    };
    QObject::connect(&controller, &traffic::TrafficController::splitRead, &controller, [&] { decide(); });
    QObject::connect(&controller, &traffic::TrafficController::readFailed, &controller, [&] { decide(); });
    controller.refresh();
    QCoreApplication::exec();
    return exitCode;
}

} // namespace canaryctl
