// canaryctl: Canary Console for scripts and CI pipelines. Same core, same session, no window.
#include <QCoreApplication>

#include "commands.h"
#include "net/redaction.h"
#include "net/tlspolicy.h"
#include "profile/profilestore.h"
#include "profile/secretdestinations.h"
#include "secrets/processguard.h"
#include "store/statefolder.h"
#include "terminal.h"

using namespace Qt::Literals::StringLiterals;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    // Every log line, of every category, loses its secrets before it is written anywhere.
    canary::net::installRedactingMessageHandler();
    // ... and a crash leaves no core file holding the tokens in memory.
    canary::secrets::protectCrashOutput();
    QCoreApplication::setApplicationName(u"canaryctl"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(CANARY_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Canary Console command line.\n\nCommands:\n"
        "  status                     per-build requests, failure rate, response time and the canary "
        "verdict\n"
        "  report --out DIR           the incident report: verdict, timeline, audit log, rollback "
        "(Markdown)\n"
        "  split get                  the current traffic split\n"
        "  watch [--json]             what changes, one line each (JSON lines), until interrupted: the "
        "split\n"
        "                             (with --traffic-backend) and changes made elsewhere, the verdict,\n"
        "                             new events and problems\n"
        "  split set <canary-percent> shift traffic, confirmed by the back-end, recorded in Dynatrace;\n"
        "                             increases within the profile's guard-rails [--override-reason TEXT]\n"
        "  events [--type TYPE]       the target's Dynatrace events (default --from now-2h)\n"
        "  problems                   the target's Dynatrace problems (default --from now-2h)\n"
        "  check                      test the connection: token scopes per feature, metric, AWX, back-end\n"
        "  plan                       the backout plan recorded on the newest change, or why there is none\n"
        "  rollback [--yes] [--reason TEXT] [--no-wait] [--fallback] [--resume]\n"
        "                             run the backout plan, follow it, verify traffic left the canary\n"
        "  audit verify | audit list  check the hash chain of the local audit log, and that it still holds\n"
        "                             the heads its events recorded in Dynatrace (default --from now-30d)\n"
        "                             / list its entries\n"
        "  outbox list | outbox flush the events waiting for Dynatrace / send them now\n"
        "  metric create [--dry-run] [--metric-key KEY] [--dimension NAME]\n"
        "                             create the per-build calculated service metric (needs WriteConfig)\n"
        "  metric steps               how to create that metric by hand in Dynatrace\n"
        "  profile list | profile export NAME | profile import FILE [--yes]\n"
        "                             the saved profiles (never a secret in them)\n"
        "  secret set|forget dynatrace-token|awx-token|awx-password|kube-token --profile NAME\n"
        "                             the profile's secret in the OS keychain, for the origin the profile\n"
        "                             names (dynatrace.url, awx.url, kube.server); set reads it from "
        "stdin\n\n"
        "Secrets come from the environment or, with --profile, the keychain, never from flags:\n"
        "DT_API_TOKEN, CONTROLLER_OAUTH_TOKEN or CONTROLLER_USERNAME/CONTROLLER_PASSWORD, KUBE_TOKEN or\n"
        "KUBECONFIG override the keychain.\n"
        "Every split set and rollback is written to the audit log in <state dir>/canary.db "
        "($CANARY_STATE_DIR,\n"
        "else ~/.local/share/canary-console); their events reach Dynatrace through its outbox.\n"
        "Exit codes: 0 ok, 2 usage, 3 connection/auth, 4 API/data error (audit verify: chain broken, or "
        "cut\nor rewritten against Dynatrace; 11: intact, but Dynatrace could not be read to compare); "
        "plan/rollback: 5 no plan, 6 refused,\n7 launch failed, 8 job failed, 9 not verified; split set: 10 "
        "blocked by the guard-rails; 12 another\nprocess holds the target (named; split set waits up to "
        "--timeout first); 13 the local store is locked,\nread-only, full or damaged (nothing was done); "
        "14 an answer was lost and reading back could not tell\nwhether the change happened (recorded as "
        "unknown)."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(u"command"_s,
        u"status | report | split get | split set <canary-percent> | watch | events | problems | check | "
        u"plan | "
        u"rollback | "
        "audit verify|list | outbox list|flush | metric create | metric steps | profile list|export|import | "
        "secret set|forget"_s);
    const QCommandLineOption json(u"json"_s, u"Print machine-readable JSON."_s);
    const QCommandLineOption reason(u"reason"_s, u"Why (recorded with a traffic change)."_s, u"text"_s);
    const QCommandLineOption out(u"out"_s, u"report: the folder for the Markdown file."_s, u"dir"_s);
    const QCommandLineOption type(
        u"type"_s, u"events: only this eventType (e.g. CUSTOM_CONFIGURATION)."_s, u"type"_s);
    parser.addOptions({ json, reason, type, out });
    parser.addOptions({
        { u"yes"_s, u"rollback: run without asking."_s },
        { u"no-wait"_s, u"rollback: return once the job is launched (follow it later with --resume)."_s },
        { u"fallback"_s, u"rollback: set the canary to 0 % through --traffic-backend instead of a plan."_s },
        { u"resume"_s, u"rollback: carry on with the rollback a crash or --no-wait left in flight."_s },
        { u"override-reason"_s,
            u"split set: go ahead although the profile's guard-rails block the increase; at least 3 words, "
            "recorded in the Dynatrace event and the audit log."_s,
            u"text"_s },
        { u"operator"_s, u"split set/rollback: who acts, for the audit log (default: $USER)."_s, u"name"_s },
        { u"allow-origin"_s,
            u"plan/rollback: trust this origin in recorded plans (another name of the AWX, a GitLab); "
            "repeatable, or CANARY_ALLOWED_ORIGINS=a,b."_s,
            u"origin"_s },
        { u"allow-template"_s,
            u"plan/rollback: a job template a plan may launch, by id or exact name; repeatable (and "
            "rollback.allow-template in the profile). None: any template an event names."_s,
            u"template"_s },
        { u"plan-source"_s,
            u"plan/rollback: take plans only from change events with this dt.event.source (e.g. Jenkins)."_s,
            u"source"_s },
        { u"plan-from"_s, u"plan/rollback: how far back to look for the newest change (now-24h)."_s,
            u"time"_s },
        { u"poll-interval"_s, u"rollback: ms between job and traffic checks (2000)."_s, u"ms"_s },
        { u"dry-run"_s, u"metric create: print the JSON body it would send, create nothing."_s },
        { u"metric-key"_s, u"metric: the calculated metric's key (default: the key of --metric-selector)."_s,
            u"key"_s },
        { u"dimension"_s, u"metric: the build dimension's name (default: --build-dimension, else Build)."_s,
            u"name"_s },
    });
    canary::profile::TargetOptions targetOptions;
    targetOptions.addTo(parser);
    canary::profile::TrafficOptions trafficOptions;
    trafficOptions.addTo(parser);

    if (!parser.parse(QCoreApplication::arguments()))
        return canaryctl::usageError(parser.errorText());
    if (parser.isSet(u"help"_s)) {
        canaryctl::terminal::out() << parser.helpText();
        return canaryctl::Ok;
    }
    if (parser.isSet(u"version"_s)) {
        canaryctl::terminal::out() << "canaryctl " << QCoreApplication::applicationVersion() << '\n';
        return canaryctl::Ok;
    }

    const QStringList args = parser.positionalArguments();
    const auto profile = targetOptions.profile(parser);
    if (!profile)
        return canaryctl::usageError(profile.error().join(u'\n'));
    const canary::profile::Profile *chosen = profile.value() ? &*profile.value() : nullptr;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    const bool managesSecrets = !args.isEmpty() && (args[0] == u"secret"_s || args[0] == u"profile"_s);
    if (!managesSecrets) {
        // The profile's TLS choices hold for every client the command makes.
        const auto tls = canary::environment::applyTlsPolicy(chosen);
        if (!tls)
            return canaryctl::usageError(tls.error());
        if (tls->allowInsecure) {
            QObject::connect(canary::net::TlsMonitor::instance(),
                &canary::net::TlsMonitor::insecureConnectionAccepted, &app,
                [](const QString &host, const QString &errors) {
                    canaryctl::terminal::err() << "canaryctl: WARNING: insecure TLS to " << host
                                               << " accepted (the profile allows it): " << errors << '\n';
                });
        }
        // The stored profile of that name, not a --config file that borrows it, decides what an old keychain
        // entry belongs to.
        std::optional<canary::profile::Profile> stored;
        if (chosen && !chosen->isDemo()) {
            const canary::profile::ProfileStore profiles;
            if (profiles.contains(chosen->name)) {
                if (auto read = profiles.read(chosen->name))
                    stored = read.value();
            }
        }
        const auto destinations = canary::profile::secretDestinations(
            parser, environment, targetOptions, trafficOptions, chosen, stored ? &*stored : nullptr);
        auto withSecrets = canaryctl::withKeychainSecrets(environment, chosen, destinations);
        if (!withSecrets) {
            canaryctl::terminal::err() << "canaryctl: " << withSecrets.error() << '\n';
            return canaryctl::ConnectionOrAuth;
        }
        environment = withSecrets.value();
    }
    const canaryctl::Context context { parser, environment, targetOptions, trafficOptions, parser.isSet(json),
        chosen };
    const QString command = args.join(u' ');
    if (args.isEmpty())
        return canaryctl::usageError(u"missing command (status, split get, split set N)"_s);
    // What the state folder holds is acted on with this user's credentials: one others could write to stops
    // every command but the keychain's and audit verify/list, which read a kept copy as it is (any owner).
    if (!managesSecrets && args.value(0) != u"audit"_s) {
        using canary::store::StateFolder;
        if (const auto safe = StateFolder::checkExisting(StateFolder::path()); !safe)
            return canaryctl::fail(safe.error(), canaryctl::StoreUnusable);
    }
    if (args == QStringList { u"status"_s })
        return canaryctl::status(context);
    if (args == QStringList { u"report"_s })
        return canaryctl::reportCommand(context, parser.value(out));
    if (args == QStringList { u"events"_s })
        return canaryctl::events(context, parser.value(type).trimmed());
    if (args == QStringList { u"problems"_s })
        return canaryctl::problems(context);
    if (args == QStringList { u"check"_s })
        return canaryctl::check(context);
    if (args == QStringList { u"plan"_s })
        return canaryctl::plan(context);
    if (args == QStringList { u"rollback"_s })
        return canaryctl::rollbackCommand(context);
    if (args == QStringList { u"audit"_s, u"verify"_s })
        return canaryctl::auditVerify(context);
    if (args == QStringList { u"audit"_s, u"list"_s })
        return canaryctl::auditList(context);
    if (args == QStringList { u"outbox"_s, u"list"_s })
        return canaryctl::outboxList(context);
    if (args == QStringList { u"outbox"_s, u"flush"_s })
        return canaryctl::outboxFlush(context);
    if (args.value(0) == u"audit"_s)
        return canaryctl::usageError(u"audit needs a subcommand: 'audit verify' or 'audit list'"_s);
    if (args.value(0) == u"outbox"_s)
        return canaryctl::usageError(u"outbox needs a subcommand: 'outbox list' or 'outbox flush'"_s);
    if (args == QStringList { u"metric"_s, u"create"_s })
        return canaryctl::metricCreate(context);
    if (args == QStringList { u"metric"_s, u"steps"_s })
        return canaryctl::metricSteps(context);
    if (args.value(0) == u"secret"_s)
        return canaryctl::secretCommand(context, args);
    if (args.value(0) == u"profile"_s)
        return canaryctl::profileCommand(context, args);
    if (args == QStringList { u"metric"_s })
        return canaryctl::usageError(u"metric needs a subcommand: 'metric create' or 'metric steps'"_s);
    if (args == QStringList { u"watch"_s })
        return canaryctl::watchCommand(context);
    if (args == QStringList { u"split"_s, u"get"_s })
        return canaryctl::splitGet(context);
    if (args.size() == 3 && args[0] == u"split"_s && args[1] == u"set"_s)
        return canaryctl::splitSet(context, args[2], parser.value(reason));
    if (args.size() == 2 && args[0] == u"split"_s && args[1] == u"set"_s)
        return canaryctl::usageError(u"split set needs the canary weight in percent, e.g. 'split set 30'"_s);
    return canaryctl::usageError(u"unknown command '%1'"_s.arg(command));
}
