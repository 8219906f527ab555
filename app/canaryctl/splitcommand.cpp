#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "commands.h"
#include "environment/environment.h"
#include "terminal.h"
#include "traffic/changegate.h"
#include "traffic/changerecorder.h"
#include "traffic/guardrails.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"
#include "util/terminaltext.h"
#include "verdict/guardconditions.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

namespace {

int exitCodeFor(const traffic::TrafficError &error)
{
    using Kind = traffic::TrafficError::Kind;
    if (error.outcomeUnknown)
        return Unknown;
    switch (error.kind) {
    case Kind::Busy:
        return Busy;
    case Kind::StoreUnusable:
        return StoreUnusable;
    case Kind::Held:
        return Blocked;
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

// The back-end the flags or the profile name; scripts against canary-sim need no extra flag: the simulator
// (at the Dynatrace URL, with its token) is the default back-end here.
QString addBackend(const Context &context, Setting &setting)
{
    const QUrl simulatorUrl = setting.hasDynatrace() ? setting.spec.target.dynatraceUrl : QUrl();
    auto spec = context.traffic.backendSpec(context.parser, context.environment, simulatorUrl,
        setting.spec.token, profile::TrafficOptions::Backend::Simulator);
    // The simulator back-end lives at the Dynatrace URL: when that was refused, say why, not only that it
    // is missing.
    if (!spec && !setting.hasDynatrace() && !setting.dynatraceProblem.isEmpty())
        return u"%1; %2"_s.arg(spec.error(), setting.dynatraceProblem);
    if (!spec)
        return spec.error();
    setting.spec.backend = std::move(spec).value();
    return {};
}

QJsonObject percentJson(int canary)
{
    return { { u"stable"_s, 100 - canary }, { u"canary"_s, canary } };
}

} // namespace

int splitGet(const Context &context)
{
    Setting setting = settingFor(context);
    if (const QString problem = addBackend(context, setting); !problem.isEmpty())
        return usageError(problem);
    environment::Environment env(setting.spec, Clock::system());
    auto opened = env.openBackend();
    if (!opened)
        return usageError(opened.error());
    traffic::TrafficController &controller = *opened.value();
    traffic::TrafficBackend *backend = env.backend();
    int exitCode = ApiOrData;
    QObject::connect(
        &controller, &traffic::TrafficController::splitRead, &controller, [&](const traffic::Split &split) {
            terminal::Stream out(stdout);
            if (context.json)
                out << terminal::jsonLine(QJsonDocument(splitJson(split, *backend)));
            else
                out << "canary " << split.canary << " %, stable " << split.stable << " % ("
                    << backend->description() << ")\n";
            exitCode = Ok;
            QCoreApplication::exit(exitCode);
        });
    QObject::connect(&controller, &traffic::TrafficController::readFailed, &controller,
        [&](const traffic::TrafficError &error) {
            exitCode = fail(terminalSafe(error.summary()), exitCodeFor(error));
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
    Setting setting = settingFor(context);
    const traffic::GuardRailPolicy policy = setting.spec.guardRails;
    const bool overriding = context.parser.isSet(u"override-reason"_s);
    const QString overrideReason
        = traffic::GuardRails::normalisedOverrideReason(context.parser.value(u"override-reason"_s));
    if (overriding && !traffic::GuardRails::overrideAllowed(overrideReason))
        return usageError(traffic::GuardRails::overrideRefusal(overrideReason));
    const auto recording = context.traffic.recording(context.parser);
    if (!recording)
        return usageError(recording.error());
    if (recording->enabled && !setting.hasDynatrace())
        return usageError(u"recording the change in Dynatrace needs its environment: %1 (or pass --no-event "
                          "when the back-end records changes itself)"_s.arg(setting.dynatraceProblem));
    if (const QString problem = addBackend(context, setting); !problem.isEmpty())
        return usageError(problem);
    if (recording->enabled) {
        traffic::RecorderConfig config;
        config.remediationType = recording->remediationType;
        config.remediationAction = recording->remediationAction;
        setting.spec.recording = config;
    }

    environment::Environment env(setting.spec, Clock::system());
    // No change without its audit: the store is opened before anything moves. Connected before the
    // handlers below, which print: "succeeded" is committed before anything says so.
    if (auto opened = env.openStore(); !opened)
        return fail(opened.error(), StoreUnusable);
    bool auditFailed = false;
    QObject::connect(&env, &environment::Environment::auditFailed, &env, [&auditFailed](const QString &why) {
        auditFailed = true;
        fail(u"the audit log could not be written: %1"_s.arg(why), 0);
    });
    auto opened = env.openTraffic();
    if (!opened)
        return fail(opened.error(), ApiOrData);
    // The same gate the window's slider goes through: the guard-rails answer, this command only prints.
    traffic::ChangeGate &gate = *opened.value();
    traffic::TrafficController &controller = *gate.controller();
    traffic::TrafficBackend *backend = env.backend();
    traffic::ChangeRecorder *recorder = env.recorder();
    verdict::ConditionReader conditionReader(setting.hasDynatrace() ? env.tenant() : nullptr,
        setting.hasDynatrace() ? &env.spec().target : nullptr, policy, setting.spec.roles,
        setting.dynatraceProblem);

    int exitCode = ApiOrData;
    std::optional<traffic::Split> applied;
    auto report = [&](const QString &recordedAs) {
        terminal::Stream out(stdout);
        if (context.json) {
            QJsonObject object = splitJson(*applied, *backend);
            object.insert(u"recordedEvent"_s, recordedAs.isEmpty() ? QJsonValue() : QJsonValue(recordedAs));
            out << terminal::jsonLine(QJsonDocument(object));
        } else {
            out << "canary weight set to " << applied->canary << " % (stable/canary " << applied->toString()
                << ") through " << backend->description() << '\n';
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
            // Held again under the lease: the gate's increaseHeld has said why and set the exit code.
            if (failure.kind == traffic::TrafficError::Kind::Held)
                return;
            exitCode = fail(failure.summary(), exitCodeFor(failure));
            QCoreApplication::exit(exitCode);
        });
    // Another process is changing this target: say whom this one waits for (up to --timeout).
    QObject::connect(&controller, &traffic::TrafficController::applyWaiting, &controller,
        [](const traffic::Split &, const QString &holder) {
            terminal::err() << "canaryctl: waiting for " << terminalSafe(holder) << "…\n";
        });
    QObject::connect(&controller, &traffic::TrafficController::applyOutcomeUnknown, &controller,
        [](const traffic::Split &, const traffic::TrafficError &error) {
            terminal::err() << "canaryctl: no usable answer (" << terminalSafe(error.summary())
                            << "); reading the split back\n";
        });
    // Blocked: say why, one reason a line, and stop.
    QObject::connect(&gate, &traffic::ChangeGate::increaseHeld, &gate, [&](const traffic::GateHold &hold) {
        // A back-end that cannot be read holds the increase; its error is the news, with its own exit code.
        if (const auto readError = gate.lastReadError()) {
            exitCode
                = fail(u"cannot read the current split: %1 (nothing was changed)"_s.arg(readError->summary()),
                    exitCodeFor(*readError));
            return QCoreApplication::exit(exitCode);
        }
        if (context.json) {
            QJsonObject object { { u"blocked"_s, true }, { u"requested"_s, percentJson(split->canary) },
                { u"reasons"_s, QJsonArray::fromStringList(hold.reasons) },
                { u"maxAllowedPercent"_s, hold.maxAllowedPercent } };
            if (hold.fromPercent)
                object.insert(u"current"_s, percentJson(*hold.fromPercent));
            terminal::out() << terminal::jsonLine(QJsonDocument(object));
        }
        terminal::Stream err(stderr);
        for (const QString &line : hold.reasons)
            err << "canaryctl: blocked: " << line << '\n';
        if (context.profile && gate.isGuarding())
            err << "canaryctl: the guard-rails of profile \"" << context.profile->name << "\" refuse canary "
                << split->canary << " %";
        else
            err << "canaryctl: canary " << split->canary << " % is refused";
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
        terminal::Stream err(stderr);
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
