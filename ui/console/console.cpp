#include "console.h"

#include <QCoreApplication>

#include "consoleoptions.h"
#include "dynatrace/eventsclient.h"
#include "dynatrace/tenantclient.h"
#include "environment/allowedorigins.h"
#include "environment/localtenant.h"
#include "environment/trafficbackendfactory.h"
#include "mainwindow.h"
#include "net/restclient.h"
#include "net/tlspolicy.h"
#include "rollback/autoremediation.h"
#include "rollback/rollbackactions.h"
#include "rollback/rollbackpanel.h"
#include "rollback/rollbackservice.h"
#include "session/actionlog.h"
#include "session/canarysession.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "store/outbox.h"
#include "store/outboxsender.h"
#include "store/outboxstatus.h"
#include "traffic/changegate.h"
#include "traffic/changerecorder.h"
#include "traffic/guardrails.h"
#include "traffic/ramp.h"
#include "traffic/trafficactions.h"
#include "traffic/trafficcontroller.h"
#include "traffic/trafficpanel.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

Console::Console() = default;

// The members go in reverse order of declaration: the window before what it shows, the demo's tenant last.
Console::~Console() = default;

Expected<std::unique_ptr<Console>, QString> Console::open(const ConsoleOptions &options,
    const QCommandLineParser &parser, const QProcessEnvironment &environment,
    const std::optional<profile::Profile> &chosen)
{
    const profile::Profile *profile = chosen ? &*chosen : nullptr;
    std::unique_ptr<Console> console(new Console);
    console->m_profileName = profile ? profile->name : QString();

    // Every client made from here on starts with the profile's TLS choices.
    net::TlsPolicy tls;
    if (profile) {
        tls.caBundle = profile->caBundle;
        tls.allowInsecure = profile->allowInsecureTls;
    }
    if (const QString problem = tls.problem(); !problem.isEmpty())
        return QString(problem);
    net::TlsPolicy::setProcessDefault(tls);

    // The demo unless a URL comes from a flag, the environment or a profile (the built-in Demo has none).
    const bool demo = !profile::TargetOptions::isDynatraceUrlSet(parser)
        && (!profile || profile->dynatraceUrl.isEmpty())
        && (profile
            || (environment.value(u"DT_ENV_URL"_s).isEmpty()
                && environment.value(u"DYNATRACE_ENV_URL"_s).isEmpty()));

    QString token;
    QUrl fallbackUrl;
    if (demo) {
        if (!options.startLocalTenant)
            return QString(
                u"no Dynatrace URL (--dynatrace-url, DT_ENV_URL or a profile), and this build has no "
                "embedded demo"_s);
        auto started = options.startLocalTenant(options.clock);
        if (!started)
            return started.error();
        console->m_localTenant = std::move(started).value();
        token = console->m_localTenant->token();
        fallbackUrl = console->m_localTenant->baseUrl();
    } else {
        token = profile::TargetOptions::tokenFrom(environment);
        if (token.isEmpty()) {
            return QString(profile && !profile->isDemo()
                    ? u"no Dynatrace API token for the profile \"%1\": store one in Profiles… (it goes to "
                      u"the "
                      "keychain) or set DT_API_TOKEN"_s.arg(profile->name)
                    : u"DT_API_TOKEN is not set: the API token comes from the environment or the keychain, "
                      "never from a flag"_s);
        }
    }

    auto target = options.target.read(parser, environment, !profile, fallbackUrl, demo ? nullptr : profile);
    if (!target)
        return QString(target.error());
    if (demo) {
        // The simulator moves every second: refresh often and at a fine resolution.
        if (!parser.isSet(u"refresh"_s))
            target.value().refreshIntervalMs = 5'000;
        if (!parser.isSet(u"resolution"_s))
            target.value().resolution = u"10s"_s;
    }

    const Clock &clock = options.clock ? *options.clock : Clock::system();
    // Every operator action is audited and every event goes through the outbox: opened before anything can
    // move, so a store that cannot be opened stops the profile rather than acting unrecorded.
    auto database = store::Database::open(
        demo ? QString::fromLatin1(store::Database::InMemory) : store::Database::defaultPath());
    if (!database)
        return database.error();
    console->m_database = std::move(database).value();
    console->m_audit = std::make_unique<store::AuditLog>(*console->m_database, clock);
    console->m_outbox = std::make_unique<store::Outbox>(*console->m_database, clock);
    const QString operatorName = environment.value(u"USER"_s, u"operator"_s);

    console->m_tenantRest
        = dynatrace::makeTenantClient(target->dynatraceUrl, token, target->requestTimeoutMs);
    console->m_session
        = std::make_unique<session::CanarySession>(target.value(), console->m_tenantRest.get(), clock);
    console->m_actions = std::make_unique<session::ActionLog>(clock);
    MainWindow::Options windowOptions;
    windowOptions.demo = demo;
    windowOptions.environmentText = demo
        ? QObject::tr("simulated environment at %1").arg(fallbackUrl.toString())
        : target->dynatraceUrl.host();
    windowOptions.profileName = console->m_profileName;
    windowOptions.clock = &clock;
    console->m_window = std::make_unique<MainWindow>(console->m_session.get(), windowOptions);
    MainWindow *window = console->m_window.get();
    window->attachTimeline(clock, console->m_actions.get());
    QObject::connect(net::TlsMonitor::instance(), &net::TlsMonitor::insecureConnectionAccepted, window,
        &MainWindow::showInsecureTls);

    // Build roles: flags, then the profile, then (demo) the local tenant's own builds.
    traffic::BuildRoles roles = options.traffic.buildRoles(parser);
    if (!roles.isComplete() && profile)
        roles = profile->buildRoles();
    if (demo && !roles.isComplete())
        roles = console->m_localTenant->builds();

    // Traffic: the simulator's router in the demo, or the back-end the flags or the profile name. Without a
    // usable back-end the window still watches; it just has no slider.
    std::optional<profile::TrafficOptions::Backend> fallbackBackend;
    if (demo)
        fallbackBackend = profile::TrafficOptions::Backend::Simulator;
    else if (const auto named = profile ? profile::TrafficOptions::backendFrom(profile->trafficBackend)
                                        : Expected<profile::TrafficOptions::Backend, QString>(QString()))
        fallbackBackend = named.value();
    auto backend = options.traffic.backendSpec(
        parser, environment, target->dynatraceUrl, token, fallbackBackend, demo ? nullptr : profile);
    const auto recording = options.traffic.recording(parser);
    if (backend && recording) {
        console->m_backend = environment::makeTrafficBackend(std::move(backend).value());
        if (recording->enabled) {
            console->m_events = std::make_unique<dynatrace::EventsClient>(console->m_tenantRest.get());
            traffic::RecorderConfig config;
            config.entitySelector = target->entitySelector;
            config.remediationType = recording->remediationType;
            // The demo's backout is its AWX's "Reset canary weighting" template, as in the workshop.
            config.remediationAction = recording->remediationAction.isEmpty() && demo
                ? console->m_localTenant->backoutTemplate()
                : recording->remediationAction;
            config.appVersion = QCoreApplication::applicationVersion();
            config.backendDescription = console->m_backend->description();
            console->m_recorder = std::make_unique<traffic::ChangeRecorder>(console->m_events.get(), config);
            // Events earlier runs left in the outbox go first; each change is committed there before it is
            // sent.
            console->m_sender = std::make_unique<store::OutboxSender>(console->m_outbox.get(),
                console->m_events.get(), store::Outbox::tenantOf(target->dynatraceUrl), clock);
            console->m_recorder->setOutbox(console->m_outbox.get(), console->m_sender.get());
        }
        console->m_controller = std::make_unique<traffic::TrafficController>(
            console->m_backend.get(), console->m_recorder.get());
        console->m_ramp = std::make_unique<traffic::Ramp>(console->m_controller.get(), clock);
        // Before anything that shows a change as done: its audit row is committed first.
        traffic::auditTrafficActions(console->m_controller.get(), console->m_audit.get(), operatorName,
            [window](const QString &why) { window->showStoreError(why); });
        traffic::logTrafficActions(console->m_controller.get(), console->m_actions.get());

        // Guard-rails: the profile's (the demo's and a flags-only window's are the defaults). The window is
        // for a person at the slider, so unlike canaryctl it always has them; the cool-down carries over
        // from the newest increase in the audit log, whoever made it. Every change the window asks for goes
        // through the gate, which answers with them.
        console->m_rails = std::make_unique<traffic::GuardRails>(
            clock, profile ? profile->guardRailPolicy() : traffic::GuardRailPolicy {});
        if (const auto entries = console->m_audit->entries())
            console->m_rails->setLastIncreaseAtMs(traffic::lastIncreaseInAudit(entries.value()));
        console->m_gate = std::make_unique<traffic::ChangeGate>(console->m_controller.get());
        console->m_gate->attachRamp(console->m_ramp.get());
        console->m_gate->setGuardRails(console->m_rails.get());
        traffic::recordGuardDecisions(console->m_gate.get(), console->m_audit.get(), operatorName,
            console->m_backend->description(), console->m_actions.get());
        QObject::connect(
            console->m_gate.get(), &traffic::ChangeGate::recordFailed, window, &MainWindow::showStoreError);
        window->attachTraffic(console->m_gate.get(), console->m_ramp.get(), clock, roles);
    } else {
        console->m_warnings.append(
            u"no traffic control: %1"_s.arg(backend ? recording.error() : backend.error()));
    }

    // Rollback: the plan recorded on the newest change, run on the configured AWX (in the demo the
    // local tenant's, whose "Reset canary weighting" is template 9, as in the workshop).
    rollback::ServiceConfig rollbackConfig;
    rollbackConfig.target = target.value();
    rollbackConfig.dynatraceToken = token;
    rollbackConfig.dynatraceClient = console->m_tenantRest.get();
    if (demo) {
        awx::AwxConfig awx;
        awx.url = fallbackUrl;
        awx.token = token;
        rollbackConfig.awx = awx;
        rollbackConfig.pollIntervalMs = 1'000;
    } else if (auto awx = options.traffic.awxConnection(parser, environment, profile)) {
        if (*awx)
            rollbackConfig.awx = awx->value();
        else
            console->m_warnings.append(u"no AWX for backout plans: %1"_s.arg(awx->error()));
    }
    rollbackConfig.allowedOrigins
        = environment::allowedOrigins(parser.values(options.allowOrigin), profile, environment);
    rollbackConfig.backend = console->m_backend.get();
    rollbackConfig.session = console->m_session.get();
    rollbackConfig.roles = roles;
    // The demo's tenant dies with the console, so there is nothing to resume there: its journal stays
    // in memory.
    rollbackConfig.journalPath = demo ? QString() : rollback::RollbackJournal::defaultPath();
    console->m_rollback = std::make_unique<rollback::RollbackService>(rollbackConfig, clock);
    console->m_rollback->runner()->setOutbox(
        console->m_outbox.get(), store::Outbox::tenantOf(target->dynatraceUrl));
    // The rollback's event and comments wait in the outbox; without traffic control nothing made a sender.
    if (!console->m_sender) {
        console->m_events = std::make_unique<dynatrace::EventsClient>(console->m_tenantRest.get());
        console->m_sender = std::make_unique<store::OutboxSender>(console->m_outbox.get(),
            console->m_events.get(), store::Outbox::tenantOf(target->dynatraceUrl), clock);
    }
    rollback::auditRollbackActions(console->m_rollback->runner(), console->m_audit.get(), operatorName,
        [window](const QString &why) { window->showStoreError(why); });
    console->m_guard = std::make_unique<rollback::AutoRemediation>(clock);
    console->m_guard->setEnabled(parser.isSet(options.autoRemediate) || (profile && profile->autoRemediate));
    if (profile)
        console->m_guard->setCountdownMs(qint64(profile->countdownSeconds) * 1000);
    rollback::logRollbackActions(
        console->m_rollback->runner(), console->m_guard.get(), console->m_actions.get());
    window->attachRollback(console->m_rollback.get(), console->m_guard.get(), clock);
    window->rollbackPanel()->setConfirmationRequired(
        !parser.isSet(options.noConfirm) && (!profile || profile->confirmRollback));
    if (const QString loadError = console->m_rollback->journal().loadError(); !loadError.isEmpty())
        console->m_warnings.append(loadError);
    return console;
}

void Console::start()
{
    if (m_sender) {
        m_window->outboxStatus()->setSender(m_sender.get());
        m_sender->start();
    }
    if (m_controller)
        m_controller->refresh();
    m_rollback->runner()->resume(); // a rollback the last run left in flight
    m_window->show();
    m_session->start();
}

} // namespace canary::ui
