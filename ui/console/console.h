#pragma once

#include <memory>
#include <optional>

#include <QCommandLineParser>
#include <QObject>
#include <QProcessEnvironment>
#include <QStringList>

#include "profile/profile.h"
#include "util/expected.h"

namespace canary::environment {
class Environment;
class LocalTenant;
} // namespace canary::environment
namespace canary::rollback {
class AutoRemediation;
}
namespace canary::session {
class CanarySession;
}
namespace canary::store {
class AuditLog;
}

namespace canary::ui {

class MainWindow;
struct ConsoleOptions;

// One open environment: its session, traffic control, rollback and the window showing them, built the way
// `canary-console <flags>` opens it. Without a Dynatrace URL (no flag, no profile URL) it is the embedded
// demo: the local tenant that ConsoleOptions::startLocalTenant starts (canary-console's: the simulator) runs
// in-process on 127.0.0.1 and everything talks to it over real HTTP.
//
// Switching profiles opens a new Console and drops the old one: nothing of one environment (its clients,
// tokens, TLS choices, journal) can leak into the next.
class Console final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Console)

public:
    // `environment` carries the secrets (Credentials::applyTo: the keychain's under DT_API_TOKEN, ...);
    // `profile` is the one chosen (nullopt: flags only). Sets the process's TLS policy from the profile
    // first. Errors are one line, for a dialog and stderr.
    static Expected<std::unique_ptr<Console>, QString> open(const ConsoleOptions &options,
        const QCommandLineParser &parser, const QProcessEnvironment &environment,
        const std::optional<profile::Profile> &profile);
    ~Console() override;

    MainWindow *window() const { return m_window.get(); }
    // Problems that leave the console usable but smaller (no traffic control, no AWX for backout plans).
    QStringList warnings() const { return m_warnings; }
    bool isDemo() const { return m_localTenant != nullptr; }
    QString profileName() const { return m_profileName; }
    session::CanarySession *session() const;
    // The embedded demo (null for a real environment), what the window shows and the audit log, for tests
    // and tools.
    environment::LocalTenant *localTenant() const { return m_localTenant.get(); }
    environment::Environment *environment() const { return m_environment.get(); }
    store::AuditLog *auditLog() const;

    // Shows the window and starts refreshing; resumes a rollback the last run left in flight.
    void start();

private:
    Console();

    QString m_profileName;
    QStringList m_warnings;
    // Declared in construction order: destroyed in reverse, the window first, the demo's tenant last.
    std::unique_ptr<environment::LocalTenant> m_localTenant;
    std::unique_ptr<environment::Environment> m_environment;
    std::unique_ptr<rollback::AutoRemediation> m_guard;
    std::unique_ptr<MainWindow> m_window;
};

} // namespace canary::ui
