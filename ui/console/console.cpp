#include "console.h"

#include "consoleoptions.h"
#include "environment/environment.h"
#include "environment/localtenant.h"
#include "environment/plantrust.h"
#include "mainwindow.h"
#include "net/tlspolicy.h"
#include "rollback/autoremediation.h"
#include "rollback/rollbackactions.h"
#include "rollback/rollbackjournal.h"
#include "rollback/rollbackpanel.h"
#include "rollback/rollbackservice.h"
#include "session/canarysession.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "store/outboxsender.h"
#include "store/outboxstatus.h"
#include "traffic/changegate.h"
#include "traffic/ramp.h"
#include "traffic/splitwatch.h"
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
    if (auto tls = environment::applyTlsPolicy(profile); !tls)
        return tls.error();

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

    // What this window is made of; environment::Environment builds it as it builds canaryctl's.
    environment::EnvironmentSpec spec;
    spec.target = target.value();
    spec.token = token;
    // The demo's tenant dies with the console: its store and journal stay in memory.
    spec.databasePath
        = demo ? QString::fromLatin1(store::Database::InMemory) : store::Database::defaultPath();
    spec.journalPath = demo ? QString() : rollback::RollbackJournal::defaultPath();
    spec.operatorName = environment.value(u"USER"_s, u"operator"_s);

    // Build roles: flags, then the profile, then (demo) the local tenant's own builds.
    spec.roles = options.traffic.buildRoles(parser);
    if (!spec.roles.isComplete() && profile)
        spec.roles = profile->buildRoles();
    if (demo && !spec.roles.isComplete())
        spec.roles = console->m_localTenant->builds();

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
        spec.backend = std::move(backend).value();
        if (recording->enabled) {
            traffic::RecorderConfig config;
            config.remediationType = recording->remediationType;
            // The demo's backout is its AWX's "Reset canary weighting" template, as in the workshop.
            config.remediationAction = recording->remediationAction.isEmpty() && demo
                ? console->m_localTenant->backoutTemplate()
                : recording->remediationAction;
            spec.recording = config;
        }
    } else {
        spec.noBackendReason = backend ? recording.error() : backend.error();
    }
    // The window is for a person at the slider, so unlike canaryctl it always has guard-rails: the
    // profile's (the demo's and a flags-only window's are the defaults).
    spec.guardRails = profile ? profile->guardRailPolicy() : traffic::GuardRailPolicy {};

    // Rollback: the plan recorded on the newest change, run on the configured AWX (in the demo the
    // local tenant's, whose "Reset canary weighting" is template 9, as in the workshop).
    if (demo) {
        awx::AwxConfig awx;
        awx.url = fallbackUrl;
        awx.token = token;
        spec.awx = awx;
        spec.rollbackPollIntervalMs = 1'000;
    } else if (auto awx = options.traffic.awxConnection(parser, environment, profile)) {
        if (*awx)
            spec.awx = awx->value();
        else
            console->m_warnings.append(u"no AWX for backout plans: %1"_s.arg(awx->error()));
    }
    spec.allowedOrigins
        = environment::allowedOrigins(parser.values(options.allowOrigin), profile, environment);
    spec.allowedTemplates = environment::allowedTemplates(parser.values(options.allowTemplate), profile);
    spec.planEventSource = environment::planEventSource(parser.value(options.planSource), profile);

    const Clock &clock = options.clock ? *options.clock : Clock::system();
    console->m_environment = std::make_unique<environment::Environment>(std::move(spec), clock);
    environment::Environment *env = console->m_environment.get();
    // Every operator action is audited and every event goes through the outbox: opened before anything can
    // move, so a store that cannot be opened stops the profile rather than acting unrecorded.
    if (auto opened = env->openStore(); !opened)
        return opened.error();

    MainWindow::Options windowOptions;
    windowOptions.demo = demo;
    windowOptions.environmentText = demo
        ? QObject::tr("simulated environment at %1").arg(fallbackUrl.toString())
        : target->dynatraceUrl.host();
    windowOptions.profileName = console->m_profileName;
    windowOptions.clock = &clock;
    console->m_window = std::make_unique<MainWindow>(env->session(), windowOptions);
    MainWindow *window = console->m_window.get();
    window->attachTimeline(clock, env->actions());
    QObject::connect(net::TlsMonitor::instance(), &net::TlsMonitor::insecureConnectionAccepted, window,
        &MainWindow::showInsecureTls);
    QObject::connect(env, &environment::Environment::auditFailed, window, &MainWindow::showStoreError);

    if (auto gate = env->openTraffic()) {
        QObject::connect(
            gate.value(), &traffic::ChangeGate::recordFailed, window, &MainWindow::showStoreError);
        window->attachTraffic(gate.value(), env->ramp(), clock, env->spec().roles);
    } else {
        console->m_warnings.append(u"no traffic control: %1"_s.arg(gate.error()));
    }

    rollback::RollbackService *rollback = env->openRollback();
    console->m_guard = std::make_unique<rollback::AutoRemediation>(clock);
    console->m_guard->setEnabled(parser.isSet(options.autoRemediate) || (profile && profile->autoRemediate));
    if (profile)
        console->m_guard->setCountdownMs(qint64(profile->countdownSeconds) * 1000);
    rollback::logRollbackActions(rollback->runner(), console->m_guard.get(), env->actions());
    window->attachRollback(rollback, console->m_guard.get(), clock);
    window->rollbackPanel()->setConfirmationRequired(
        !parser.isSet(options.noConfirm) && (!profile || profile->confirmRollback));
    if (const QString loadError = rollback->journal().loadError(); !loadError.isEmpty()) {
        console->m_warnings.append(loadError);
        // Someone else's journal (a link, another owner, writable by others): with the store's errors too.
        if (rollback->journal().isUnsafe())
            window->showStoreRefusal(loadError);
    }
    return console;
}

session::CanarySession *Console::session() const
{
    return m_environment->session();
}

store::AuditLog *Console::auditLog() const
{
    return m_environment->audit();
}

void Console::start()
{
    environment::Environment *env = m_environment.get();
    if (store::OutboxSender *sender = env->sender()) {
        m_window->outboxStatus()->setSender(sender);
        sender->start();
    }
    // A rollback the last run left in flight first: the split its job moves is its own, not an outside
    // change.
    rollback::RollbackRunner *runner = env->rollback()->runner();
    runner->resume();
    // Only what the audit log shows this console wrote is resumed or sent: anything else in the journal was
    // refused, and the operator is told where and what to do.
    if (const QString refused = runner->journalRefusal(); !refused.isEmpty())
        m_window->showStoreRefusal(refused);
    if (env->controller()) {
        env->controller()->refresh();
        env->splitWatch()->start();
    }
    m_window->show();
    env->session()->start();
}

} // namespace canary::ui
