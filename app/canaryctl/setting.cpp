#include "commands.h"
#include "environment/environment.h"
#include "environment/plantrust.h"
#include "profile/profile.h"
#include "rollback/rollbackjournal.h"
#include "store/database.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

// Out of line: the environment's type is complete only here.
Store::Store() = default;
Store::Store(Store &&) noexcept = default;
Store &Store::operator=(Store &&) noexcept = default;
Store::~Store() = default;

Expected<Store, QString> openStore()
{
    environment::EnvironmentSpec spec;
    spec.databasePath = store::Database::defaultPath();
    Store opened;
    opened.environment = std::make_unique<environment::Environment>(std::move(spec), Clock::system());
    if (auto audit = opened.environment->openStore(); !audit)
        return audit.error();
    opened.database = opened.environment->database();
    opened.audit = opened.environment->audit();
    opened.outbox = opened.environment->outbox();
    return opened;
}

Setting settingFor(const Context &context)
{
    Setting setting;
    environment::EnvironmentSpec &spec = setting.spec;
    if (auto target = context.target.read(context.parser, context.environment, true, {}, context.profile))
        spec.target = target.value();
    else
        setting.dynatraceProblem = target.error();
    spec.token = profile::TargetOptions::tokenFrom(context.environment);
    if (setting.dynatraceProblem.isEmpty() && spec.token.isEmpty())
        setting.dynatraceProblem = u"DT_API_TOKEN is not set (the token is never taken from a flag)"_s;
    spec.databasePath = store::Database::defaultPath();
    spec.journalPath = rollback::RollbackJournal::defaultPath();
    spec.operatorName = operatorName(context);
    spec.roles = context.traffic.buildRoles(context.parser);
    if (!spec.roles.isComplete() && context.profile)
        spec.roles = context.profile->buildRoles();
    spec.allowedOrigins = environment::allowedOrigins(
        context.parser.values(u"allow-origin"_s), context.profile, context.environment);
    spec.allowedTemplates
        = environment::allowedTemplates(context.parser.values(u"allow-template"_s), context.profile);
    spec.planEventSource
        = environment::planEventSource(context.parser.value(u"plan-source"_s), context.profile);
    // Without a profile a script moves traffic as before; the guard-rails are a profile's.
    spec.guardRails = context.profile ? context.profile->guardRailPolicy() : traffic::GuardRailPolicy();
    if (!context.profile)
        spec.guardRails.enabled = false;
    return setting;
}

QString operatorName(const Context &context)
{
    if (context.parser.isSet(u"operator"_s) && !context.parser.value(u"operator"_s).trimmed().isEmpty())
        return context.parser.value(u"operator"_s).trimmed();
    const QString user = context.environment.value(u"USER"_s);
    return user.isEmpty() ? u"canaryctl"_s : user;
}

} // namespace canaryctl
