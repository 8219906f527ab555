#include "rollbackactions.h"

#include <QJsonObject>

#include "autoremediation.h"
#include "rollbackrunner.h"
#include "session/actionlog.h"
#include "store/auditlog.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::rollback {

namespace {

QMap<QString, QString> propertiesOf(const RollbackState &state)
{
    QMap<QString, QString> properties { { u"rollback.id"_s, state.id },
        { u"rollback.message"_s, state.message } };
    if (!state.reason.isEmpty())
        properties.insert(u"rollback.reason"_s, state.reason);
    if (!state.jobUrl.isEmpty())
        properties.insert(u"rollback.job.url"_s, state.jobUrl);
    if (!state.fallback && !state.plan.source.eventId.isEmpty())
        properties.insert(u"rollback.source.eventId"_s, state.plan.source.eventId);
    properties.insert(u"rollback.verified"_s, state.verified ? u"true"_s : u"false"_s);
    return properties;
}

} // namespace

QString auditTarget(const RollbackState &state)
{
    if (state.fallback)
        return QObject::tr("fallback: canary to 0 % through the traffic back-end");
    return state.plan.shortText();
}

QJsonObject auditDetail(const RollbackState &state)
{
    QJsonObject detail { { u"rollbackId"_s, state.id }, { u"stage"_s, stageName(state.stage) },
        { u"fallback"_s, state.fallback } };
    // Who started it; the row's operator is whoever acts now (another one may resume it).
    if (!state.operatorName.isEmpty())
        detail.insert(u"startedBy"_s, state.operatorName);
    if (!state.reason.isEmpty())
        detail.insert(u"reason"_s, state.reason);
    if (!state.fallback && !state.plan.source.eventId.isEmpty())
        detail.insert(u"sourceEventId"_s, state.plan.source.eventId);
    if (state.jobId != 0)
        detail.insert(u"jobId"_s, state.jobId);
    if (!state.jobUrl.isEmpty())
        detail.insert(u"jobUrl"_s, state.jobUrl);
    if (state.stage == Stage::Finished) {
        detail.insert(u"failure"_s, failureName(state.failure));
        detail.insert(u"verified"_s, state.verified);
    }
    return detail;
}

void auditRollbackActions(RollbackRunner *runner, store::AuditLog *audit, const QString &operatorName,
    std::function<void(const QString &error)> onError)
{
    const auto append = [audit, operatorName, onError](const QString &action, const RollbackState &state,
                            store::AuditResult result, const QString &message) {
        // Whoever acts in this process (--operator on a resume): who started the rollback is in its rows.
        const auto written = audit->append({ operatorName.isEmpty() ? state.operatorName : operatorName,
            action, auditTarget(state), auditDetail(state), result, message });
        if (!written && onError)
            onError(written.error());
    };
    QObject::connect(runner, &RollbackRunner::runningChanged, runner, [runner, append](bool running) {
        if (!running)
            return;
        const RollbackState &state = runner->state();
        // A fresh start is at the pre-flight; anything later came out of the journal.
        const bool resumed = state.stage != Stage::Preflight;
        append(resumed ? u"rollback.resume"_s : u"rollback.start"_s, state, store::AuditResult::Requested,
            resumed ? QObject::tr("resume the rollback (%1 when the app stopped)").arg(stageName(state.stage))
                    : QObject::tr("roll back: %1").arg(auditTarget(state)));
    });
    // A lost launch answer is on record as what it is, then what looking for the job found.
    QObject::connect(runner, &RollbackRunner::launchLost, runner,
        [append](const RollbackState &state, const QString &why) {
            append(u"rollback.launch"_s, state, store::AuditResult::Unknown,
                QObject::tr("%1: launched, details unknown; looking for the job in AWX").arg(why));
        });
    QObject::connect(runner, &RollbackRunner::launchFound, runner, [append](const RollbackState &state) {
        append(u"rollback.launch"_s, state, store::AuditResult::Succeeded,
            QObject::tr("found AWX job %1, created since the launch: following it").arg(state.jobId));
    });
    QObject::connect(
        runner, &RollbackRunner::rollbackSucceeded, runner, [append](const RollbackState &state) {
            append(u"rollback.finish"_s, state, store::AuditResult::Succeeded, state.message);
        });
    QObject::connect(runner, &RollbackRunner::rollbackFailed, runner, [append](const RollbackState &state) {
        // Refusals never began: no id, no start row to close.
        // A launch whose answer was lost and whose job could not be found: neither failed nor succeeded.
        append(state.id.isEmpty() ? u"rollback.start"_s : u"rollback.finish"_s, state,
            state.failure == Failure::Unknown ? store::AuditResult::Unknown : store::AuditResult::Failed,
            state.message);
    });
}

void logRollbackActions(RollbackRunner *runner, AutoRemediation *guard, session::ActionLog *log)
{
    QObject::connect(runner, &RollbackRunner::stageChanged, log, [runner, log](Stage stage) {
        if (stage != Stage::Launching)
            return;
        const auto &state = runner->state();
        log->add(u"ROLLBACK_STARTED"_s,
            QObject::tr("Rollback started: %1")
                .arg(state.fallback ? state.actionText() : state.plan.shortText()),
            true, propertiesOf(state));
    });
    QObject::connect(runner, &RollbackRunner::rollbackSucceeded, log, [log](const RollbackState &state) {
        log->add(u"ROLLBACK"_s, QObject::tr("Rollback succeeded: %1").arg(state.actionText()), true,
            propertiesOf(state));
    });
    QObject::connect(runner, &RollbackRunner::rollbackFailed, log, [log](const RollbackState &state) {
        log->add(
            u"ROLLBACK"_s, QObject::tr("Rollback failed: %1").arg(state.message), false, propertiesOf(state));
    });
    if (guard) {
        QObject::connect(guard, &AutoRemediation::stepRecorded, log,
            [log](const QString &text) { log->add(u"AUTO_REMEDIATION"_s, text, true); });
    }
}

} // namespace canary::rollback
