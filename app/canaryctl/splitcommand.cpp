#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include "commands.h"
#include "dynatrace/eventsclient.h"
#include "net/restclient.h"
#include "store/auditlog.h"
#include "store/outbox.h"
#include "store/outboxsender.h"
#include "traffic/changerecorder.h"
#include "traffic/trafficactions.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"

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

int fail(const QString &message, int code)
{
    QTextStream(stderr) << "canaryctl: " << message << '\n';
    return code;
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
    return context.traffic.createBackend(context.parser, context.environment, simulatorUrl, dynatrace.token,
        profile::TrafficOptions::Backend::Simulator);
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
    QString error;
    const auto split = traffic::Split::parseCanaryPercent(percent, &error);
    if (!split)
        return usageError(error);
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

    std::unique_ptr<net::RestClient> rest;
    std::unique_ptr<dynatrace::EventsClient> events;
    std::unique_ptr<store::OutboxSender> sender;
    std::unique_ptr<traffic::ChangeRecorder> recorder;
    if (recording->enabled) {
        rest = std::make_unique<net::RestClient>(dynatrace.target->dynatraceUrl);
        rest->setAuthorization("Api-Token " + dynatrace.token.toUtf8());
        events = std::make_unique<dynatrace::EventsClient>(rest.get());
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
    // Know where traffic was first, so the event says what changed; a back-end that cannot tell is fine.
    bool readDone = false;
    auto apply = [&] {
        if (readDone)
            return;
        readDone = true;
        controller.requestSplit(*split, reason);
    };
    QObject::connect(&controller, &traffic::TrafficController::splitRead, &controller, apply);
    QObject::connect(&controller, &traffic::TrafficController::readFailed, &controller, apply);
    controller.refresh();
    QCoreApplication::exec();
    return exitCode;
}

} // namespace canaryctl
