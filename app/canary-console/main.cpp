// canary-console: the operator's window. With no --dynatrace-url it runs the simulated canary
// environment in-process on 127.0.0.1 and talks to it over real HTTP, exactly as to a tenant.
#include <memory>

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QTextStream>

#include "awx/awxconfig.h"
#include "dynatrace/eventsclient.h"
#include "mainwindow.h"
#include "net/redaction.h"
#include "net/restclient.h"
#include "profile/targetoptions.h"
#include "profile/trafficoptions.h"
#include "rollback/autoremediation.h"
#include "rollback/rollbackactions.h"
#include "rollback/rollbackpanel.h"
#include "rollback/rollbackservice.h"
#include "session/actionlog.h"
#include "session/canarysession.h"
#include "sim/simulatedenvironment.h"
#include "traffic/changerecorder.h"
#include "traffic/ramp.h"
#include "traffic/trafficactions.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace {

int fatal(const QString &message, int code)
{
    QTextStream(stderr) << "canary-console: " << message << '\n';
    QMessageBox::critical(nullptr, u"Canary Console"_s, message);
    return code;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    // Every log line, of every category, loses its secrets before it is written anywhere.
    canary::net::installRedactingMessageHandler();
    QApplication::setApplicationName(u"canary-console"_s);
    QApplication::setApplicationDisplayName(u"Canary Console"_s);
    QApplication::setApplicationVersion(QStringLiteral(CANARY_VERSION));
    QApplication::setDesktopFileName(u"canary-console"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Canary deployment dashboard. Without --dynatrace-url it opens the embedded demo; with it, the API "
        "token comes from DT_API_TOKEN."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    profile::TargetOptions targetOptions;
    targetOptions.addTo(parser);
    profile::TrafficOptions trafficOptions;
    trafficOptions.addTo(parser);
    const QCommandLineOption allowOrigin(u"allow-origin"_s,
        u"Trust this origin in recorded backout plans (another name of the AWX, a GitLab); repeatable, or "
        "CANARY_ALLOWED_ORIGINS=a,b."_s,
        u"origin"_s);
    const QCommandLineOption autoRemediate(u"auto-remediate"_s,
        u"Run the backout plan after a 30 s countdown when an ERROR problem opens on the target."_s);
    const QCommandLineOption noConfirm(
        u"no-confirm"_s, u"Roll back on one click, without the confirmation."_s);
    parser.addOptions({ allowOrigin, autoRemediate, noConfirm });
    parser.process(app);

    const auto environment = QProcessEnvironment::systemEnvironment();
    const auto chosen = targetOptions.profile(parser);
    if (!chosen)
        return fatal(chosen.error().join(u'\n'), 2);
    const std::optional<profile::Profile> &settings = chosen.value();
    const profile::Profile *profile = settings ? &*settings : nullptr;
    // The demo unless a URL comes from a flag or a profile (the built-in Demo profile has none).
    const bool demo
        = !profile::TargetOptions::isDynatraceUrlSet(parser) && (!profile || profile->dynatraceUrl.isEmpty());

    std::unique_ptr<sim::SimulatedEnvironment> simulator;
    QString token;
    QUrl fallbackUrl;
    if (demo) {
        sim::SimulatedEnvironment::Options options;
        options.world = sim::WorldConfig::workshopDemo();
        simulator = std::make_unique<sim::SimulatedEnvironment>(options);
        QString error;
        if (!simulator->start(&error))
            return fatal(u"cannot start the embedded demo: %1"_s.arg(error), 3);
        token = simulator->token();
        fallbackUrl = simulator->baseUrl();
    } else {
        token = profile::TargetOptions::tokenFrom(environment);
        if (token.isEmpty())
            return fatal(u"DT_API_TOKEN is not set: the API token is taken from the environment, never from "
                         "a flag"_s,
                2);
    }

    auto target = targetOptions.read(parser, environment, false, fallbackUrl, demo ? nullptr : profile);
    if (!target)
        return fatal(target.error(), 2);
    if (demo) {
        // The simulator moves every second: refresh often and at a fine resolution.
        if (!parser.isSet(u"refresh"_s))
            target.value().refreshIntervalMs = 5'000;
        if (!parser.isSet(u"resolution"_s))
            target.value().resolution = u"10s"_s;
    }

    session::CanarySession session(target.value(), token, Clock::system());
    ui::MainWindow::Options windowOptions;
    windowOptions.demo = demo;
    windowOptions.environmentText = demo
        ? QObject::tr("simulated environment at %1").arg(fallbackUrl.toString())
        : target->dynatraceUrl.host();
    ui::MainWindow window(&session, windowOptions);
    session::ActionLog actions(Clock::system());
    window.attachTimeline(Clock::system(), &actions);

    // Traffic: the simulator's router in the demo, or the back-end the flags name. Without a usable
    // back-end the window still watches; it just has no slider.
    auto backend = trafficOptions.createBackend(parser, environment, target->dynatraceUrl, token,
        demo ? std::optional(profile::TrafficOptions::Backend::Simulator) : std::nullopt);
    const auto recording = trafficOptions.recording(parser);
    std::unique_ptr<net::RestClient> eventsRest;
    std::unique_ptr<dynatrace::EventsClient> events;
    std::unique_ptr<traffic::ChangeRecorder> recorder;
    std::unique_ptr<traffic::TrafficController> controller;
    std::unique_ptr<traffic::Ramp> ramp;
    if (backend && recording) {
        if (recording->enabled) {
            eventsRest = std::make_unique<net::RestClient>(target->dynatraceUrl);
            eventsRest->setAuthorization("Api-Token " + token.toUtf8());
            events = std::make_unique<dynatrace::EventsClient>(eventsRest.get());
            traffic::RecorderConfig config;
            config.entitySelector = target->entitySelector;
            config.remediationType = recording->remediationType;
            // The demo's backout is the simulated AWX's "Reset canary weighting" template, as in the
            // workshop.
            config.remediationAction
                = recording->remediationAction.isEmpty() && demo ? u"9"_s : recording->remediationAction;
            config.appVersion = QApplication::applicationVersion();
            config.backendDescription = (*backend)->description();
            recorder = std::make_unique<traffic::ChangeRecorder>(events.get(), config);
        }
        controller = std::make_unique<traffic::TrafficController>(backend->get(), recorder.get());
        ramp = std::make_unique<traffic::Ramp>(controller.get(), Clock::system());
        traffic::BuildRoles roles = trafficOptions.buildRoles(parser);
        if (!roles.isComplete() && profile)
            roles = profile->buildRoles();
        if (demo && !roles.isComplete())
            roles = { simulator->stableBuild(), simulator->canaryBuild() };
        traffic::logTrafficActions(controller.get(), &actions);
        window.attachTraffic(controller.get(), ramp.get(), Clock::system(), roles);
        controller->refresh();
    } else {
        QTextStream(stderr) << "canary-console: no traffic control: "
                            << (backend ? recording.error() : backend.error()) << '\n';
    }

    // Rollback: the plan recorded on the newest change, run on the configured AWX (in the demo: the
    // simulator's, whose "Reset canary weighting" is template 9, as in the workshop).
    rollback::ServiceConfig rollbackConfig;
    rollbackConfig.target = target.value();
    rollbackConfig.dynatraceToken = token;
    if (demo) {
        awx::AwxConfig awx;
        awx.url = fallbackUrl;
        awx.token = token;
        rollbackConfig.awx = awx;
        rollbackConfig.pollIntervalMs = 1'000;
    } else if (auto awx = trafficOptions.awxConnection(parser, environment, profile)) {
        if (*awx)
            rollbackConfig.awx = awx->value();
        else
            QTextStream(stderr) << "canary-console: no AWX for backout plans: " << awx->error() << '\n';
    }
    rollbackConfig.allowedOrigins = parser.values(allowOrigin);
    if (profile)
        rollbackConfig.allowedOrigins += profile->allowedOrigins;
    for (const QString &origin :
        environment.value(u"CANARY_ALLOWED_ORIGINS"_s).split(u',', Qt::SkipEmptyParts))
        rollbackConfig.allowedOrigins.append(origin.trimmed());
    rollbackConfig.backend = backend ? backend->get() : nullptr;
    rollbackConfig.session = &session;
    rollbackConfig.roles = trafficOptions.buildRoles(parser);
    if (!rollbackConfig.roles.isComplete() && profile)
        rollbackConfig.roles = profile->buildRoles();
    if (demo && !rollbackConfig.roles.isComplete())
        rollbackConfig.roles = { simulator->stableBuild(), simulator->canaryBuild() };
    // The demo's simulator dies with the app, so there is nothing to resume there: its journal stays in
    // memory.
    rollbackConfig.journalPath = demo ? QString() : rollback::RollbackJournal::defaultPath();
    rollback::RollbackService rollbackService(rollbackConfig, Clock::system());
    rollback::AutoRemediation guard(Clock::system());
    guard.setEnabled(parser.isSet(autoRemediate) || (profile && profile->autoRemediate));
    if (profile)
        guard.setCountdownMs(qint64(profile->countdownSeconds) * 1000);
    rollback::logRollbackActions(rollbackService.runner(), &guard, &actions);
    window.attachRollback(&rollbackService, &guard, Clock::system());
    window.rollbackPanel()->setConfirmationRequired(
        !parser.isSet(noConfirm) && (!profile || profile->confirmRollback));
    if (!rollbackService.journal().loadError().isEmpty())
        QTextStream(stderr) << "canary-console: " << rollbackService.journal().loadError() << '\n';
    rollbackService.runner()->flushPending();
    rollbackService.runner()->resume(); // a rollback the last run left in flight

    window.show();
    session.start();
    return app.exec();
}
