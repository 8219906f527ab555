#pragma once

#include <memory>

#include <QCommandLineParser>
#include <QProcessEnvironment>

#include "environment/environment.h"
#include "profile/targetoptions.h"
#include "profile/trafficoptions.h"
#include "secrets/secretorigin.h"
#include "util/expected.h"

namespace canary::environment {
class Environment;
}
namespace canary::store {
class AuditLog;
class Database;
class Outbox;
} // namespace canary::store

// canaryctl's commands: option wiring around core objects, and exit codes scripts can rely on.
namespace canaryctl {

enum ExitCode {
    Ok = 0,
    Usage = 2,
    ConnectionOrAuth = 3,
    ApiOrData = 4,
    // plan / rollback
    NoPlan = 5, // no backout plan recorded, or the newest change needs none
    Refused = 6, // the plan is not trusted, or a rollback is already in flight
    LaunchFailed = 7,
    JobFailed = 8,
    NotVerified = 9,
    Blocked = 10, // split set: the profile's guard-rails refuse the increase (docs/guardrails.md)
    Unanchored = 11, // audit verify: the chain is intact, but Dynatrace could not be read to compare heads
    // Another process holds the target (a traffic change or a rollback under way), named in the message;
    // split set waited up to --timeout first.
    Busy = 12,
    StoreUnusable = 13, // the local store is locked, read-only, full or damaged: nothing was judged or done
    // The back-end's answer was lost (a timeout, a cut connection, an unreadable body) and reading back
    // could not tell whether the change happened: recorded as unknown.
    Unknown = 14,
};

struct Context
{
    const QCommandLineParser &parser;
    const QProcessEnvironment &environment;
    const canary::profile::TargetOptions &target;
    const canary::profile::TrafficOptions &traffic;
    bool json = false;
    const canary::profile::Profile *profile = nullptr; // --profile / --config; flags and the environment win
};

// The local store (<state dir>/canary.db): the audit log every acting command writes to, and the outbox of
// events for Dynatrace, opened by an environment that has nothing else.
struct Store
{
    std::unique_ptr<canary::environment::Environment> environment;
    canary::store::Database *database = nullptr;
    canary::store::AuditLog *audit = nullptr;
    canary::store::Outbox *outbox = nullptr;

    Store();
    Store(Store &&) noexcept;
    Store &operator=(Store &&) noexcept;
    ~Store();
};
// The error names the file and what is wrong with it; acting commands refuse to act without their audit.
canary::Expected<Store, QString> openStore();
// Who acts: --operator, else $USER, else "canaryctl".
QString operatorName(const Context &context);

// The Dynatrace target from the flags and the profile, and the API token from the environment (or the
// keychain, through Context), or what is missing as a usage error's text.
struct DynatraceTarget
{
    canary::session::Target target;
    QString token;
};
canary::Expected<DynatraceTarget, QString> dynatraceTarget(const Context &context);

// What a command's environment is made of; environment::Environment builds it as it builds the window's.
// The Dynatrace target and token when they are configured (else `dynatraceProblem` says what is missing),
// the store and the rollback journal at their default places, who acts, the build roles (the flags, then
// the profile) and the trusted origins. The back-end, the recording, the guard-rails and the AWX are each
// command's to add.
struct Setting
{
    canary::environment::EnvironmentSpec spec;
    QString dynatraceProblem;
    bool hasDynatrace() const { return dynatraceProblem.isEmpty(); }
};
Setting settingFor(const Context &context);

int usageError(const QString &message);
// "canaryctl: <message>" on stderr; returns `code`.
int fail(const QString &message, int code);
int status(const Context &context);
int reportCommand(const Context &context, const QString &directory);
int splitGet(const Context &context);
int watchCommand(const Context &context);
int splitSet(const Context &context, const QString &percent, const QString &reason);
int events(const Context &context, const QString &type);
int problems(const Context &context);
int plan(const Context &context);
int check(const Context &context);
int rollbackCommand(const Context &context);
int metricCreate(const Context &context);
int metricSteps(const Context &context);
int auditVerify(const Context &context);
int auditList(const Context &context);
int outboxList(const Context &context);
int outboxFlush(const Context &context);
int secretCommand(const Context &context, const QStringList &args);
int profileCommand(const Context &context, const QStringList &args);

// `environment` plus the profile's secrets from the keychain for the variables it does not set, each only
// for the origin it was saved for: a secret this run would send elsewhere (`destinations`) is refused, with
// both origins and the command that saves one for the new origin.
canary::Expected<QProcessEnvironment, QString> withKeychainSecrets(const QProcessEnvironment &environment,
    const canary::profile::Profile *profile, const canary::secrets::SecretDestinations &destinations);

} // namespace canaryctl
