#pragma once

#include <optional>

#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QString>

#include "split.h"
#include "store/auditlog.h"

namespace canary::traffic {

class ChangeRecorder;
class TrafficController;

// What a "requested" split.set audit entry says about the change it asks for: enough to record the change's
// event later, from another process, should the one that asked die before it could (IntentReconciler).
struct SplitIntent
{
    Split to;
    std::optional<Split> from; // nullopt: not known when it was asked
    QString reason;
    bool recorded = true; // false: no event was to be recorded (--no-event, the back-end posts its own)
    std::optional<QString> remediationAction; // the recorder's plan then; nullopt: unknown
    qint64 pid = 0; // the process that asked, on `host`: while it lives the intent is its own business
    QString host;

    QJsonObject toDetail() const;
    // nullopt when the entry names no split to go to (an old build's entry keeps what it has). The detail
    // comes from the state folder: anything unexpected in it is read as absent.
    static std::optional<SplitIntent> fromDetail(const QJsonObject &detail);
    // Whether the process that asked is still running on this machine.
    bool isAlive() const;
};

// Closes what a process killed mid-change left open. The "requested" split.set entry is committed before the
// back-end is asked and its outcome after the back-end answered, and the change event is committed to the
// outbox only after that: a kill in between leaves the request unanswered and the change unrecorded, though
// the router may well hold it. After the controller's first successful read, every request of an earlier
// process on this back-end that is still open is answered in the audit log: the newest one, when the read
// holds its split and nothing was applied after it, as applied and recorded late (its event, marked late,
// through the recorder's outbox); any other as not applied. Two processes starting at once answer each
// request once and store its event once (AuditLog::appendAnswer, ChangeRecorder::recordLate).
class IntentReconciler final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IntentReconciler)

public:
    static constexpr QStringView Action = u"split.set";

    // Requests written from now on are this process's and are left alone. `recorder` may be null (nothing
    // is recorded); `audit` and `recorder` must outlive this.
    IntentReconciler(TrafficController *controller, store::AuditLog *audit, ChangeRecorder *recorder,
        const QString &operatorName, QObject *parent = nullptr);

    // Answers the open requests against `held`, what the back-end holds now (done on the first read).
    void reconcile(const Split &held);
    bool isDone() const { return m_done; }
    // How long a request may still land after its process died with it out (the request timeout): a
    // request younger than this, not found applied, is answered "unknown", never "failed".
    void setInFlightWindowMs(qint64 ms) { m_inFlightWindowMs = ms; }

Q_SIGNALS:
    // `request` was found applied and is now answered; its event waits in the outbox (`outboxId`; empty
    // when no event was to be recorded).
    void recordedLate(const canary::store::AuditEntry &request, const QString &outboxId);
    // `request` was not what the back-end holds: answered as not applied.
    void closedUnapplied(const canary::store::AuditEntry &request, const QString &why);
    void reconciled(int recordedLate, int closedUnapplied);
    void failed(const QString &why);

private:
    QPointer<TrafficController> m_controller;
    store::AuditLog *m_audit;
    QPointer<ChangeRecorder> m_recorder;
    QString m_operatorName;
    qint64 m_inFlightWindowMs = 40'000;
    qint64 m_rowsAtStart = -1; // requests after this entry are this process's; -1: the log was unreadable
    bool m_done = false;
};

} // namespace canary::traffic
