#include "trafficactions.h"

#include <memory>

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>
#include <QPointer>
#include <QSysInfo>

#include "changegate.h"
#include "changerecorder.h"
#include "intentreconciler.h"
#include "session/actionlog.h"
#include "store/auditlog.h"
#include "trafficbackend.h"
#include "trafficcontroller.h"
#include "util/expected.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

void logTrafficActions(TrafficController *controller, session::ActionLog *log)
{
    QObject::connect(
        controller, &TrafficController::splitApplied, log, [log](const Split &from, const Split &to) {
            QMap<QString, QString> properties { { u"split.new"_s, to.toString() } };
            // `from` equals `to` when the old split could not be read first: then there is nothing to say.
            if (from != to)
                properties.insert(u"split.old"_s, from.toString());
            log->add(u"TRAFFIC_CHANGE"_s, QObject::tr("Traffic set to %1 (stable/canary)").arg(to.toString()),
                true, properties);
        });
    // Not an action of this operator, but what they must see: the split they steer moved under them.
    QObject::connect(controller, &TrafficController::splitChangedOutside, log,
        [log, controller](const Split &from, const Split &to, const ChangeOrigin &origin) {
            QMap<QString, QString> properties { { u"split.old"_s, from.toString() },
                { u"split.new"_s, to.toString() }, { u"split.source"_s, u"outside Canary Console"_s } };
            if (controller->backend())
                properties.insert(u"backend"_s, controller->backend()->description());
            properties.insert(origin.properties());
            // The origin is the back-end's text (an AWX job name, a field manager): the timeline escapes it.
            const QString title = origin.isKnown()
                ? QObject::tr("Traffic changed to %1 (stable/canary) outside Canary Console: %2")
                      .arg(to.toString(), origin.toString())
                : QObject::tr("Traffic changed to %1 (stable/canary) outside Canary Console")
                      .arg(to.toString());
            log->add(u"TRAFFIC_CHANGE_EXTERNAL"_s, title, true, properties);
        });
    QObject::connect(controller, &TrafficController::applyFailed, log,
        [log](const Split &requested, const TrafficError &error) {
            log->add(u"TRAFFIC_CHANGE"_s,
                QObject::tr("Traffic change to %1 failed").arg(requested.toString()), false,
                { { u"split.requested"_s, requested.toString() }, { u"error"_s, error.summary() } });
        });
    QObject::connect(controller, &TrafficController::recordFailed, log, [log](const QString &message) {
        log->add(u"EVENT_NOT_RECORDED"_s, QObject::tr("Traffic change not recorded in Dynatrace"), false,
            { { u"error"_s, message } });
    });
}

void auditTrafficActions(TrafficController *controller, store::AuditLog *audit, const QString &operatorName,
    std::function<void(const QString &error)> onError, const ChangeRecorder *recorder)
{
    // The request under way: its outcome names it, so a reconciler in another process knows it answered.
    auto request = std::make_shared<qint64>(0);
    // `answers`: whether the row closes the request; an "unknown" outcome leaves it open (intent 0), for
    // this process's read-back or, should it die now, the next start's IntentReconciler.
    const auto append
        = [controller, audit, operatorName, request](store::AuditResult result, QJsonObject detail,
              const QString &message, bool answers = true) -> Expected<void, QString> {
        const QString target = controller->backend() ? controller->backend()->description() : QString();
        if (controller->backend())
            detail.insert(u"targetId"_s, controller->backend()->targetId());
        if (result != store::AuditResult::Requested) {
            // A failure while an apply is still under way (an invalid split, refused before it started)
            // answers no request: 0 says so, where no key would read as an old build's answer.
            const bool answersTheApply = answers && !controller->inFlight().has_value();
            detail.insert(u"intent"_s, answersTheApply ? *request : 0);
            if (answersTheApply)
                *request = 0;
        }
        const auto written
            = audit->append({ operatorName, u"split.set"_s, target, std::move(detail), result, message });
        if (result == store::AuditResult::Requested)
            *request = written ? written->id : 0;
        if (!written)
            return written.error();
        return {};
    };
    const auto reported = [onError](const Expected<void, QString> &written) {
        if (!written && onError)
            onError(written.error());
    };
    const auto splitJson = [](const Split &split) {
        return QJsonObject { { u"stable"_s, split.stable }, { u"canary"_s, split.canary } };
    };
    // Whether the split was known when the apply started: the controller reports from == to otherwise.
    auto fromKnown = std::make_shared<bool>(true);
    // The "requested" row is written before anything is sent, and nothing is sent without it: the
    // controller fails the apply with the error instead.
    controller->setJournal([append, fromKnown, recorder = QPointer<const ChangeRecorder>(recorder)](
                               const std::optional<Split> &from, const Split &to, const QString &reason) {
        *fromKnown = from.has_value();
        // Everything the change event needs, should this process die before it records it.
        SplitIntent intent;
        intent.to = to;
        intent.reason = reason;
        intent.from = from;
        intent.recorded = recorder && recorder->config().enabled;
        // The plan the event would carry: the configured one, else the back-end's own reset.
        if (intent.recorded) {
            if (const auto backout = recorder->backoutForIncrease())
                intent.remediationAction = backout->remediationAction;
        }
        intent.pid = QCoreApplication::applicationPid();
        intent.host = QSysInfo::machineHostName();
        return append(store::AuditResult::Requested, intent.toDetail(),
            QObject::tr("set traffic to %1 (stable/canary)").arg(to.toString()));
    });
    QObject::connect(controller, &TrafficController::splitApplied, controller,
        [append, reported, splitJson, fromKnown](const Split &from, const Split &to) {
            QJsonObject detail { { u"to"_s, splitJson(to) } };
            if (!*fromKnown)
                detail.insert(u"fromUnknown"_s, true);
            else if (from != to)
                detail.insert(u"from"_s, splitJson(from));
            reported(append(store::AuditResult::Succeeded, detail,
                QObject::tr("traffic is %1 (stable/canary)").arg(to.toString())));
        });
    // A lost answer is on record before the split is read back: if this process dies meanwhile, the row
    // says the change may have happened.
    QObject::connect(controller, &TrafficController::applyOutcomeUnknown, controller,
        [append, reported, splitJson](const Split &requested, const TrafficError &error) {
            reported(append(store::AuditResult::Unknown, { { u"to"_s, splitJson(requested) } },
                QObject::tr("no usable answer, reading the split back: %1").arg(error.summary()), false));
        });
    QObject::connect(controller, &TrafficController::applyFailed, controller,
        [append, reported, splitJson](const Split &requested, const TrafficError &error) {
            // The guard-rails' hold under the lease is on record as their "split.blocked" row; a store that
            // could not take the "requested" row will not take this one either (and nothing was sent).
            if (error.kind == TrafficError::Kind::Held || error.kind == TrafficError::Kind::StoreUnusable)
                return;
            const bool unknown = error.outcomeUnknown;
            reported(append(unknown ? store::AuditResult::Unknown : store::AuditResult::Failed,
                { { u"to"_s, splitJson(requested) } }, error.summary(), !unknown));
        });
    // What someone else did is on record too, under their name where the back-end gives one: the next
    // process measures its cool-down from it (lastIncreaseInAudit).
    QObject::connect(controller, &TrafficController::splitChangedOutside, controller,
        [controller, audit, splitJson, onError](
            const Split &from, const Split &to, const ChangeOrigin &origin) {
            QJsonObject detail { { u"from"_s, splitJson(from) }, { u"to"_s, splitJson(to) } };
            QString target;
            if (TrafficBackend *backend = controller->backend()) {
                target = backend->description();
                detail.insert(u"targetId"_s, backend->targetId());
            }
            if (origin.isKnown())
                detail.insert(u"origin"_s, origin.toString());
            const QString who = origin.actor.isEmpty() ? u"(outside Canary Console)"_s : origin.actor;
            const auto written = audit->append(
                { who, u"split.changed-outside"_s, target, detail, store::AuditResult::Succeeded,
                    QObject::tr("traffic changed from %1 to %2 (stable/canary) outside Canary Console")
                        .arg(from.toString(), to.toString()) });
            if (!written && onError)
                onError(written.error());
        });
}

void logGuardDecision(session::ActionLog *log, std::optional<int> from, int to, const QStringList &reasons,
    const std::optional<QString> &overrideReason)
{
    QMap<QString, QString> properties { { u"guard.blocks"_s, reasons.join(u"; "_s) } };
    const QString fromText = from ? u"%1 %"_s.arg(*from) : QObject::tr("unknown");
    if (overrideReason) {
        properties.insert(u"reason"_s, *overrideReason);
        log->add(u"GUARD_OVERRIDE"_s,
            QObject::tr("Guard-rails overridden: canary %1 → %2 %").arg(fromText).arg(to), true, properties);
    } else {
        log->add(u"GUARD_BLOCKED"_s,
            QObject::tr("Increase to %1 % held by the guard-rails (canary stays at %2)")
                .arg(to)
                .arg(fromText),
            false, properties);
    }
}

QString auditGuardDecision(store::AuditLog *audit, const QString &operatorName, const QString &target,
    std::optional<int> from, int to, const QStringList &reasons, const std::optional<QString> &overrideReason)
{
    const auto percent = [](int canary) {
        return QJsonObject { { u"stable"_s, 100 - canary }, { u"canary"_s, canary } };
    };
    QJsonObject detail { { u"to"_s, percent(to) }, { u"blocks"_s, QJsonArray::fromStringList(reasons) } };
    if (from)
        detail.insert(u"from"_s, percent(*from));
    store::AuditLog::Record record;
    if (overrideReason) {
        detail.insert(u"reason"_s, *overrideReason);
        record = { operatorName, u"split.guard-override"_s, target, detail, store::AuditResult::Succeeded,
            u"guard-rails overridden: %1"_s.arg(*overrideReason) };
    } else {
        record = { operatorName, u"split.blocked"_s, target, detail, store::AuditResult::Failed,
            u"blocked by the guard-rails: %1"_s.arg(reasons.join(u"; "_s)) };
    }
    const auto written = audit->append(record);
    return written ? QString() : written.error();
}

void recordGuardDecisions(ChangeGate *gate, store::AuditLog *audit, const QString &operatorName,
    const QString &target, session::ActionLog *log)
{
    gate->setDecisionRecorder([audit, operatorName, target, log](
                                  const GateHold &hold, const std::optional<QString> &overrideReason) {
        const QString notWritten = auditGuardDecision(
            audit, operatorName, target, hold.fromPercent, hold.toPercent, hold.reasons, overrideReason);
        // An override that is not on record does not happen, so the timeline does not show it either.
        if (log && (notWritten.isEmpty() || !overrideReason))
            logGuardDecision(log, hold.fromPercent, hold.toPercent, hold.reasons, overrideReason);
        return notWritten;
    });
}

} // namespace canary::traffic
