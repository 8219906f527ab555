#include "rollbackactions.h"

#include "autoremediation.h"
#include "rollbackrunner.h"
#include "session/actionlog.h"

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
