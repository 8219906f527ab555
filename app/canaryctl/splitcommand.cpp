#include <algorithm>

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>
#include <QTimer>

#include "commands.h"
#include "dynatrace/eventsclient.h"
#include "dynatrace/problemsclient.h"
#include "dynatrace/tenantclient.h"
#include "net/restclient.h"
#include "session/canarysession.h"
#include "store/auditlog.h"
#include "store/outbox.h"
#include "store/outboxsender.h"
#include "traffic/changerecorder.h"
#include "traffic/guardrails.h"
#include "traffic/trafficactions.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"
#include "verdict/snapshotjudge.h"

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

// Reads what the guard-rails freeze on, each only when the policy asks for it: the target's open problems,
// whether its metrics can be read, and the canary verdict on them. Whatever cannot be read counts as stale
// data: an increase must not go ahead on numbers nobody saw.
class ConditionReader
{
public:
    using Callback = std::function<void(const traffic::GuardConditions &)>;

    ConditionReader(
        const Dynatrace &dynatrace, const traffic::GuardRailPolicy &policy, const traffic::BuildRoles &roles)
        : m_dynatrace(dynatrace)
        , m_policy(policy)
        , m_roles(roles)
    { }

    void read(Callback onDone)
    {
        m_onDone = std::move(onDone);
        if (!m_dynatrace.target || m_dynatrace.token.isEmpty()) {
            if (m_policy.freezeOnOpenProblem || m_policy.freezeOnStale)
                addStale(
                    u"no Dynatrace environment to read the target's problems and metrics from (%1)"_s.arg(
                        m_dynatrace.problem));
            return finish();
        }
        m_rest = dynatrace::makeTenantClient(
            m_dynatrace.target->dynatraceUrl, m_dynatrace.token, m_dynatrace.target->requestTimeoutMs);
        if (m_policy.freezeOnOpenProblem)
            readProblems();
        if (m_policy.freezeOnStale || m_policy.freezeOnFail)
            readMetrics();
        if (m_pending == 0)
            finish();
    }

private:
    void readProblems()
    {
        ++m_pending;
        m_problems = std::make_unique<dynatrace::ProblemsClient>(m_rest.get());
        dynatrace::ProblemQuery query;
        query.entitySelector = m_dynatrace.target->entitySelector;
        query.from = u"now-24h"_s; // an open problem overlaps any window up to now
        query.problemSelector = u"status(\"open\")"_s;
        m_problems->list(query, m_problems.get(), [this](const dynatrace::ProblemListResult &result) {
            if (result.error) {
                addStale(u"the open problems could not be read: %1"_s.arg(result.error->summary()));
            } else {
                traffic::noteOpenProblems(m_conditions, result.problems);
            }
            done();
        });
    }

    void readMetrics()
    {
        ++m_pending;
        m_session = std::make_unique<session::CanarySession>(
            *m_dynatrace.target, m_dynatrace.token, Clock::system());
        m_session->setTimelineEnabled(false); // problems are read above, events are not needed
        QObject::connect(m_session.get(), &session::CanarySession::snapshotChanged, m_session.get(),
            [this](const session::Snapshot &snapshot) {
                if (m_policy.freezeOnFail)
                    judge(snapshot);
                done();
            });
        QObject::connect(m_session.get(), &session::CanarySession::refreshFailed, m_session.get(),
            [this](const dynatrace::ApiError &error) {
                addStale(u"the metrics query failed: %1"_s.arg(error.summary()));
                done();
            });
        m_session->refresh();
    }

    // The same verdict `canaryctl status` and the window give, on the same query.
    void judge(const session::Snapshot &snapshot)
    {
        const auto roles = traffic::resolveBuildRoles(snapshot.builds, m_roles);
        const auto verdict = verdict::judgeSnapshot(snapshot, roles, snapshot.fetchedAtMs);
        if (verdict.overall != verdict::Outcome::Fail)
            return;
        m_conditions.verdictFail = true;
        m_conditions.verdictSentence = verdict::failingSentence(verdict);
    }

    void addStale(const QString &detail)
    {
        m_conditions.dataStale = true;
        m_conditions.staleDetail
            = m_conditions.staleDetail.isEmpty() ? detail : m_conditions.staleDetail + u"; "_s + detail;
    }

    void done()
    {
        if (--m_pending == 0)
            finish();
    }

    void finish()
    {
        // Later, not from inside a client's callback: the caller may go on to apply the change.
        QTimer::singleShot(0, [onDone = m_onDone, conditions = m_conditions] { onDone(conditions); });
    }

    const Dynatrace &m_dynatrace;
    traffic::GuardRailPolicy m_policy;
    traffic::BuildRoles m_roles;
    Callback m_onDone;
    traffic::GuardConditions m_conditions;
    int m_pending = 0;
    std::unique_ptr<net::RestClient> m_rest;
    std::unique_ptr<dynatrace::ProblemsClient> m_problems;
    std::unique_ptr<session::CanarySession> m_session;
};

QJsonObject percentJson(int canary)
{
    return { { u"stable"_s, 100 - canary }, { u"canary"_s, canary } };
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
    // The guard-rails are a profile's: without --profile or --config a script moves traffic as before.
    traffic::GuardRailPolicy policy
        = context.profile ? context.profile->guardRailPolicy() : traffic::GuardRailPolicy();
    if (!context.profile)
        policy.enabled = false;
    const bool overriding = context.parser.isSet(u"override-reason"_s);
    const QString overrideReason
        = traffic::GuardRails::normalisedOverrideReason(context.parser.value(u"override-reason"_s));
    if (overriding && !traffic::GuardRails::overrideAllowed(overrideReason))
        return usageError(traffic::GuardRails::overrideRefusal(overrideReason));
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
        rest = dynatrace::makeTenantClient(dynatrace.target->dynatraceUrl, dynatrace.token);
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
    // The cool-down outlives the process: it starts at the newest increase in the audit log, whoever made it.
    traffic::GuardRails rails(Clock::system(), policy);
    if (policy.enabled) {
        const auto entries = opened->audit->entries();
        if (!entries)
            return fail(
                u"the audit log could not be read for the guard-rails' cool-down: %1"_s.arg(entries.error()),
                ApiOrData);
        rails.setLastIncreaseAtMs(traffic::lastIncreaseInAudit(entries.value()));
    }
    traffic::BuildRoles roles = context.traffic.buildRoles(context.parser);
    if (!roles.isComplete() && context.profile)
        roles = context.profile->buildRoles();
    ConditionReader conditionReader(dynatrace, policy, roles);
    const QString actor = operatorName(context);

    auto apply = [&](const QString &eventReason) { controller.requestSplit(*split, eventReason); };
    // Blocked: say why, one reason a line, and stop; or, with an override, put it on record and go ahead.
    auto blocked = [&](std::optional<int> from, const QStringList &reasons, int maxAllowed) {
        const QString target = (*backend)->description();
        if (!overriding) {
            const QString notWritten = traffic::auditGuardDecision(
                opened->audit.get(), actor, target, from, split->canary, reasons, std::nullopt);
            if (!notWritten.isEmpty())
                fail(u"the refusal could not be written to the audit log: %1"_s.arg(notWritten), 0);
            if (context.json) {
                QJsonObject object { { u"blocked"_s, true }, { u"requested"_s, percentJson(split->canary) },
                    { u"reasons"_s, QJsonArray::fromStringList(reasons) },
                    { u"maxAllowedPercent"_s, maxAllowed } };
                if (from)
                    object.insert(u"current"_s, percentJson(*from));
                QTextStream(stdout) << QJsonDocument(object).toJson(QJsonDocument::Compact) << '\n';
            }
            QTextStream err(stderr);
            for (const QString &line : reasons)
                err << "canaryctl: blocked: " << line << '\n';
            err << "canaryctl: the guard-rails of profile \"" << context.profile->name << "\" refuse canary "
                << split->canary << " %";
            if (from)
                err << (maxAllowed > *from ? u"; at most %1 % now"_s.arg(maxAllowed)
                                           : u"; no increase now"_s);
            err << " (decreases are always allowed). --override-reason \"why\" goes ahead anyway, "
                   "recorded in Dynatrace and the audit log.\n";
            exitCode = Blocked;
            return QCoreApplication::exit(exitCode);
        }
        const QString notWritten = traffic::auditGuardDecision(
            opened->audit.get(), actor, target, from, split->canary, reasons, overrideReason);
        if (!notWritten.isEmpty()) {
            exitCode
                = fail(u"the override could not be written to the audit log, so nothing changed: %1"_s.arg(
                           notWritten),
                    ApiOrData);
            return QCoreApplication::exit(exitCode);
        }
        QTextStream err(stderr);
        for (const QString &line : reasons)
            err << "canaryctl: overridden: " << line << '\n';
        const QString overridden = u"guard-rails overridden: %1"_s.arg(overrideReason);
        apply(reason.trimmed().isEmpty() ? overridden : u"%1 (%2)"_s.arg(reason.trimmed(), overridden));
    };
    // Know where traffic was first, so the event says what changed (a back-end that cannot tell is fine
    // without guard-rails) and whether this is an increase.
    bool readDone = false;
    auto decide = [&](std::optional<traffic::Split> current, const QString &readError) {
        if (readDone)
            return;
        readDone = true;
        const bool decrease = split->canary == 0 || (current && split->canary <= current->canary);
        if (!policy.enabled || decrease) {
            if (overriding)
                fail(policy.enabled
                        ? u"nothing to override: decreases are always allowed; the override reason "
                          "is not recorded"_s
                        : u"nothing to override: no guard-rails (they come with a profile's guard.* "
                          "keys); the override reason is not recorded"_s,
                    0);
            return apply(reason);
        }
        conditionReader.read([&, current, readError](const traffic::GuardConditions &conditions) {
            if (current) {
                const traffic::GuardDecision decision
                    = rails.check(current->canary, split->canary, conditions);
                if (decision.allowed) {
                    if (overriding)
                        fail(u"the guard-rails allow this change: the override reason is not recorded"_s, 0);
                    return apply(reason);
                }
                return blocked(current->canary, decision.reasons(), decision.maxAllowedPercent);
            }
            // Without the current split the step cannot be checked; the freezes and the cool-down hold
            // whatever the step, so the smallest one asks for them.
            QStringList reasons {
                u"the current split could not be read (%1), so the step cannot be checked"_s.arg(readError)
            };
            reasons += rails.check(0, 1, conditions).reasons();
            blocked(std::nullopt, reasons, 0);
        });
    };
    QObject::connect(&controller, &traffic::TrafficController::splitRead, &controller,
        [&](const traffic::Split &current) { decide(current, {}); });
    QObject::connect(&controller, &traffic::TrafficController::readFailed, &controller,
        [&](const traffic::TrafficError &readError) { decide(std::nullopt, readError.summary()); });
    controller.refresh();
    QCoreApplication::exec();
    return exitCode;
}

} // namespace canaryctl
