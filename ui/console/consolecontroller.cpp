#include "consolecontroller.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QMessageBox>

#include "console.h"
#include "consoleoptions.h"
#include "environment/trafficbackendfactory.h"
#include "mainwindow.h"
#include "profile/profilestore.h"
#include "profile/secretdestinations.h"
#include "secrets/credentials.h"
#include "secrets/secretstore.h"
#include "settings/profilesdialog.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

namespace {

// Why a profile cannot open: a keychain secret that would go to another origin than it was saved for.
QString refusalFor(const QList<secrets::OriginMismatch> &mismatches)
{
    QStringList lines;
    for (const secrets::OriginMismatch &mismatch : mismatches) {
        lines.append(mismatch.describe()
            + QObject::tr(
                ". Open Profiles to save the secret for %1 (or move the saved one there, after checking "
                "that %1 is where it belongs).")
                  .arg(mismatch.wouldGoTo));
    }
    return lines.join(u'\n');
}

} // namespace

ConsoleController::ConsoleController(const ConsoleOptions &options, profile::ProfileStore *profiles,
    secrets::SecretStore *secrets, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_profiles(profiles)
    , m_secrets(secrets)
{ }

ConsoleController::~ConsoleController()
{
    delete m_dialog; // a top-level window of its own
}

QWidget *ConsoleController::profilesDialog() const
{
    return qobject_cast<QWidget *>(m_dialog);
}

void ConsoleController::openInitial(const QCommandLineParser &parser, const QProcessEnvironment &environment,
    const std::optional<profile::Profile> &profile)
{
    m_baseEnvironment = secrets::withoutOverrides(environment);
    const int generation = ++m_generation;
    if (!profile || profile->isDemo() || !secrets::isValidProfileName(profile->name)) {
        // Flags and the environment only (or the demo): nothing to read from the keychain. Still opened
        // from the event loop, like the keychain case, so the caller sees one order of events.
        QMetaObject::invokeMethod(
            this,
            [this, &parser, environment, profile, generation] {
                if (generation == m_generation)
                    openInitialNow(parser, environment, profile);
            },
            Qt::QueuedConnection);
        return;
    }
    // The stored profile of that name, not a --config file that borrows it, decides what an old keychain
    // entry belongs to.
    const std::optional<profile::Profile> stored
        = m_profiles->contains(profile->name) ? m_profiles->load(profile->name) : std::nullopt;
    const auto destinations = profile::secretDestinations(
        parser, environment, m_options.target, m_options.traffic, &*profile, stored ? &*stored : nullptr);
    // `parser` is the application's: it lives until the event loop ends.
    secrets::loadCredentials(m_secrets, profile->name, environment, destinations, this,
        [this, &parser, environment, profile, generation](const secrets::Credentials &credentials) {
            if (generation != m_generation)
                return;
            if (const auto mismatches = credentials.mismatches(); !mismatches.isEmpty()) {
                Q_EMIT openFailed(refusalFor(mismatches));
                return;
            }
            if (credentials.dynatraceToken.value.isEmpty() && !credentials.problems().isEmpty()) {
                Q_EMIT openFailed(
                    u"no Dynatrace API token for the profile \"%1\": %2 Set DT_API_TOKEN to "
                    "start without the keychain."_s.arg(profile->name, credentials.problems().join(u' ')));
                return;
            }
            openInitialNow(parser, credentials.applyTo(environment), profile);
        });
}

void ConsoleController::switchTo(const QString &name)
{
    auto profile = m_profiles->read(name);
    if (!profile) {
        Q_EMIT switchFailed(name, profile.error().join(u'\n'));
        refreshSwitcher();
        return;
    }
    const int generation = ++m_generation;
    auto openSwitched = [this, name, generation](const QProcessEnvironment &environment,
                            const profile::Profile &chosen, const QStringList &keychainProblems) {
        if (generation != m_generation)
            return;
        // A switched-to profile is the profile alone: no flag of the start-up command line applies.
        QCommandLineParser parser;
        ConsoleOptions options;
        options.addTo(parser);
        parser.parse({ QCoreApplication::applicationFilePath() });
        options.startLocalTenant = m_options.startLocalTenant; // the Demo profile is the same demo
        auto console = Console::open(options, parser, environment, chosen);
        if (!console) {
            QString message = console.error();
            if (!keychainProblems.isEmpty())
                message += u"\n"_s + keychainProblems.join(u'\n');
            Q_EMIT switchFailed(name, message);
            refreshSwitcher();
            return;
        }
        adopt(std::move(console).value());
    };
    if (profile->isDemo()) {
        QMetaObject::invokeMethod(
            this,
            [openSwitched, chosen = profile.value(), this] { openSwitched(m_baseEnvironment, chosen, {}); },
            Qt::QueuedConnection);
        return;
    }
    // A switched-to profile is the profile alone: no flag of the start-up command line applies.
    QCommandLineParser parser;
    ConsoleOptions options;
    options.addTo(parser);
    parser.parse({ QCoreApplication::applicationFilePath() });
    const auto destinations = profile::secretDestinations(
        parser, m_baseEnvironment, options.target, options.traffic, &profile.value(), &profile.value());
    secrets::loadCredentials(m_secrets, name, m_baseEnvironment, destinations, this,
        [this, name, generation, openSwitched, chosen = profile.value()](
            const secrets::Credentials &credentials) {
            if (generation != m_generation)
                return;
            if (const auto mismatches = credentials.mismatches(); !mismatches.isEmpty()) {
                Q_EMIT switchFailed(name, refusalFor(mismatches));
                refreshSwitcher();
                return;
            }
            openSwitched(credentials.applyTo(m_baseEnvironment), chosen, credentials.problems());
        });
}

void ConsoleController::openInitialNow(const QCommandLineParser &parser,
    const QProcessEnvironment &environment, const std::optional<profile::Profile> &profile)
{
    auto console = Console::open(m_options, parser, environment, profile);
    if (!console) {
        Q_EMIT openFailed(console.error());
        return;
    }
    adopt(std::move(console).value());
}

void ConsoleController::adopt(std::unique_ptr<Console> console)
{
    std::unique_ptr<Console> previous = std::move(m_console);
    m_console = std::move(console);
    MainWindow *window = m_console->window();
    if (previous && previous->window())
        window->setGeometry(previous->window()->geometry());
    refreshSwitcher();
    connect(window, &MainWindow::profileSwitchRequested, this, &ConsoleController::switchTo);
    connect(window, &MainWindow::profilesDialogRequested, this, &ConsoleController::showProfilesDialog);
    m_console->start();
    // Only now, with the new window up, does the old environment go (its clients, its simulator).
    previous.reset();
    Q_EMIT consoleOpened(m_console->profileName());
}

void ConsoleController::refreshSwitcher()
{
    if (m_console && m_console->window())
        m_console->window()->setProfiles(m_profiles->names(), m_console->profileName());
}

void ConsoleController::showProfilesDialog()
{
    if (QWidget *open = profilesDialog()) {
        open->raise();
        open->activateWindow();
        return;
    }
    // A window of its own: switching profiles replaces the main window, and the dialog (with any unsaved
    // edits) must survive that.
    auto *dialog = new ProfilesDialog(m_profiles, m_secrets);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    // The dialog tests what the form says with the secrets it was given, never the start-up overrides.
    dialog->setEnvironment(m_baseEnvironment);
    dialog->setBackendFactory(&environment::backendForProfile);
    if (m_console)
        dialog->selectProfile(
            m_console->profileName().isEmpty() ? profile::Profile::demoName() : m_console->profileName());
    connect(dialog, &ProfilesDialog::profileSaved, this, &ConsoleController::refreshSwitcher);
    connect(dialog, &ProfilesDialog::profileRemoved, this, &ConsoleController::refreshSwitcher);
    connect(dialog, &ProfilesDialog::profileActivated, this, [this](const QString &name) {
        if (!m_console || name != m_console->profileName())
            switchTo(name);
    });
    m_dialog = dialog;
    connect(dialog, &QObject::destroyed, this, [this] { m_dialog = nullptr; });
    dialog->show();
}

} // namespace canary::ui
