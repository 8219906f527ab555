#pragma once

#include <memory>
#include <optional>

#include <QObject>
#include <QProcessEnvironment>

#include "profile/profile.h"

class QCommandLineParser;
class QWidget;

namespace canary::profile {
class ProfileStore;
}
namespace canary::secrets {
class SecretStore;
struct Credentials;
} // namespace canary::secrets

namespace canary::ui {

class Console;
struct ConsoleOptions;

// Which environment the app shows, and switching it: reads the profile's secrets from the keychain
// (asynchronously: the window never waits on it), opens a Console, and on a switch replaces the window with
// the new profile's only once that one opened, so a failed switch leaves the operator where they were.
//
// The command line and the environment's URL and token variables apply to the profile chosen at start-up
// only: a profile switched to later gets its own secrets from the keychain, never a token meant for
// another environment.
class ConsoleController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConsoleController)

public:
    ConsoleController(const ConsoleOptions &options, profile::ProfileStore *profiles,
        secrets::SecretStore *secrets, QObject *parent = nullptr);
    ~ConsoleController() override;

    // Opens what the command line chose; consoleOpened() or openFailed() follows.
    void openInitial(const QCommandLineParser &parser, const QProcessEnvironment &environment,
        const std::optional<profile::Profile> &profile);
    // Opens the stored profile `name` in place of the current one; consoleOpened() or switchFailed().
    void switchTo(const QString &name);
    // Shows the profiles dialog over the current window (non-modal, one at a time).
    void showProfilesDialog();

    Console *console() const { return m_console.get(); }
    QWidget *profilesDialog() const;

Q_SIGNALS:
    void consoleOpened(const QString &profile);
    // At start-up: nothing is open, the app should say why and exit.
    void openFailed(const QString &message);
    // A switch failed: the previous profile is still open and showing.
    void switchFailed(const QString &name, const QString &message);

private:
    void openInitialNow(const QCommandLineParser &parser, const QProcessEnvironment &environment,
        const std::optional<profile::Profile> &profile);
    void adopt(std::unique_ptr<Console> console);
    void refreshSwitcher();

    const ConsoleOptions &m_options;
    profile::ProfileStore *m_profiles;
    secrets::SecretStore *m_secrets;
    QProcessEnvironment m_baseEnvironment; // the start-up environment without its overrides
    std::unique_ptr<Console> m_console;
    QObject *m_dialog = nullptr;
    int m_generation = 0; // a later switch makes an earlier one's late answer moot
};

} // namespace canary::ui
