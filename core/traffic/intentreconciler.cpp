#include "intentreconciler.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QSysInfo>

#include "changerecorder.h"
#include "trafficbackend.h"
#include "trafficcontroller.h"
#include "util/processliveness.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

namespace {

QJsonObject splitJson(const Split &split)
{
    return { { u"stable"_s, split.stable }, { u"canary"_s, split.canary } };
}

std::optional<Split> splitFrom(const QJsonValue &value)
{
    const QJsonObject json = value.toObject();
    const QJsonValue canary = json.value(u"canary"_s);
    if (!canary.isDouble() || canary.toDouble() != double(canary.toInt()))
        return std::nullopt;
    auto split = Split::fromCanaryPercent(canary.toInt());
    if (split && json.contains(u"stable"_s) && json.value(u"stable"_s).toInt(-1) != split->stable)
        return std::nullopt;
    return split;
}

} // namespace

QJsonObject SplitIntent::toDetail() const
{
    QJsonObject detail { { u"to"_s, splitJson(to) }, { u"event"_s, recorded } };
    if (from)
        detail.insert(u"from"_s, splitJson(*from));
    else
        detail.insert(u"fromUnknown"_s, true);
    if (!reason.isEmpty())
        detail.insert(u"reason"_s, reason);
    if (remediationAction)
        detail.insert(u"remediationAction"_s, *remediationAction);
    if (pid > 0)
        detail.insert(u"pid"_s, pid);
    if (!host.isEmpty())
        detail.insert(u"host"_s, host);
    return detail;
}

std::optional<SplitIntent> SplitIntent::fromDetail(const QJsonObject &detail)
{
    const auto to = splitFrom(detail.value(u"to"_s));
    if (!to)
        return std::nullopt;
    SplitIntent intent;
    intent.to = *to;
    intent.from = splitFrom(detail.value(u"from"_s));
    intent.reason = detail.value(u"reason"_s).toString();
    // An entry of a build that did not say recorded its events: recording is the default.
    intent.recorded = detail.value(u"event"_s).toBool(true);
    if (detail.value(u"remediationAction"_s).isString())
        intent.remediationAction = detail.value(u"remediationAction"_s).toString();
    intent.pid = detail.value(u"pid"_s).toInteger();
    intent.host = detail.value(u"host"_s).toString();
    return intent;
}

bool SplitIntent::isAlive() const
{
    if (host != QSysInfo::machineHostName())
        return false;
    // This process started after the entry was written: a pid of its own is a reused one.
    if (pid == QCoreApplication::applicationPid())
        return false;
    return processRunsHere(pid);
}

IntentReconciler::IntentReconciler(TrafficController *controller, store::AuditLog *audit,
    ChangeRecorder *recorder, const QString &operatorName, QObject *parent)
    : QObject(parent)
    , m_controller(controller)
    , m_audit(audit)
    , m_recorder(recorder)
    , m_operatorName(operatorName)
{
    if (const auto entries = m_audit->entries(1); entries)
        m_rowsAtStart = entries->isEmpty() ? 0 : entries->back().id;
    connect(controller, &TrafficController::splitRead, this, [this](const Split &held) {
        if (!m_done)
            reconcile(held);
    });
}

void IntentReconciler::reconcile(const Split &held)
{
    m_done = true;
    if (!m_controller || !m_controller->backend())
        return;
    const QString target = m_controller->backend()->description();
    if (m_rowsAtStart < 0) {
        Q_EMIT failed(tr("the audit log could not be read, so requests left open by an earlier run of "
                         "Canary Console are not reconciled"));
        return;
    }
    const auto open = m_audit->openRequests(Action.toString(), target);
    if (!open) {
        Q_EMIT failed(open.error());
        return;
    }
    QList<store::AuditEntry> requests;
    for (const auto &request : *open) {
        const auto intent = SplitIntent::fromDetail(request.detail);
        if (request.id <= m_rowsAtStart && !(intent && intent->isAlive()))
            requests.append(request);
    }
    if (requests.isEmpty()) {
        Q_EMIT reconciled(0, 0);
        return;
    }
    // Only the newest word on this back-end can be what it holds: a later success moved it on, and an older
    // request found there may have been overtaken and come back.
    const auto all = m_audit->entries();
    if (!all) {
        Q_EMIT failed(all.error());
        return;
    }
    qint64 lastSuccess = 0;
    for (const auto &entry : *all) {
        if (entry.action == Action && entry.target == target && entry.result == store::AuditResult::Succeeded)
            lastSuccess = entry.id;
    }

    int late = 0;
    int unapplied = 0;
    for (qsizetype i = 0; i < requests.size(); ++i) {
        const store::AuditEntry &request = requests[i];
        const auto intent = SplitIntent::fromDetail(request.detail);
        const bool newest = i == requests.size() - 1 && request.id > lastSuccess;
        QJsonObject detail { { u"late"_s, true }, { u"held"_s, splitJson(held) } };
        if (intent)
            detail.insert(u"to"_s, splitJson(intent->to));

        if (intent && newest && intent->to == held) {
            QString outboxId;
            if (intent->recorded && m_recorder) {
                const auto stored = m_recorder->recordLate({ intent->from, intent->to, intent->reason,
                    request.operatorName, intent->remediationAction, request.hash, request.atMs });
                if (!stored) {
                    // Left open: the next start tries again rather than answering without the event.
                    Q_EMIT failed(stored.error());
                    continue;
                }
                if (stored->has_value())
                    outboxId = (*stored)->id;
            }
            if (!outboxId.isEmpty())
                detail.insert(u"outboxId"_s, outboxId);
            if (intent->from)
                detail.insert(u"from"_s, splitJson(*intent->from));
            const QString message = !intent->recorded
                ? tr("traffic is %1 (stable/canary): applied, confirmed late (the run that asked ended "
                     "before it heard the back-end's answer)")
                : outboxId.isEmpty()
                ? tr(
                    "traffic is %1 (stable/canary): applied, confirmed late; its event is not recorded (this "
                    "run records none)")
                : tr("traffic is %1 (stable/canary): applied, recorded late (the run that asked ended before "
                     "it could record it)");
            const auto written = m_audit->appendAnswer(request,
                { m_operatorName, request.action, request.target, detail, store::AuditResult::Succeeded,
                    message.arg(intent->to.toString()) });
            if (!written) {
                Q_EMIT failed(written.error());
            } else if (written->has_value()) {
                ++late;
                Q_EMIT recordedLate(request, outboxId);
            }
            continue;
        }

        const QString why = !intent ? tr("not confirmed: the request names no split the back-end could hold")
            : intent->to == held
            ? tr("not confirmed: the back-end holds %1 now, but changes followed the request")
                  .arg(held.toString())
            : tr("not applied: the back-end holds %1, not %2").arg(held.toString(), intent->to.toString());
        // Its process died with the request out, moments ago: the back-end may still apply it (a PUT
        // queued behind a slow router). Not a failure anyone may build on; the split watch sees it land.
        const bool mayStillLand = intent && intent->to != held
            && QDateTime::currentMSecsSinceEpoch() - request.atMs < m_inFlightWindowMs;
        const auto written = m_audit->appendAnswer(request,
            { m_operatorName, request.action, request.target, detail,
                mayStillLand ? store::AuditResult::Unknown : store::AuditResult::Failed,
                mayStillLand ? tr("%1 yet: the run that asked ended with its request out, which may still be "
                                  "applied; check the split")
                                   .arg(why)
                             : why });
        if (!written) {
            Q_EMIT failed(written.error());
        } else if (written->has_value()) {
            ++unapplied;
            Q_EMIT closedUnapplied(request, why);
        }
    }
    Q_EMIT reconciled(late, unapplied);
}

} // namespace canary::traffic
