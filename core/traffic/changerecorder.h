#pragma once

#include <functional>
#include <optional>

#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringView>

#include "backoutaction.h"
#include "dynatrace/eventingest.h"
#include "split.h"
#include "store/outbox.h"
#include "store/outboxsender.h"

namespace canary::dynatrace {
class EventsClient;
}

namespace canary::traffic {

// A value: the event is stored (or, with `skipped`, deliberately not sent). An error: no event exists.
using RecordResult = dynatrace::IngestResult;

struct RecorderConfig
{
    // The logged-in OS user: USER, USERNAME, else the name of the home folder; empty when none is known.
    static QString systemUserName();

    // Off for set-ups whose back-end (an AWX playbook, a pipeline) already posts the event: two events per
    // change would read as two changes.
    bool enabled = true;
    QString entitySelector; // the watched service; empty attaches the event to the environment
    QString remediationType = QStringLiteral("ansible");
    QString remediationAction; // e.g. "9", the AWX id of "Reset canary weighting"; empty: left out
    QString operatorName = systemUserName();
    QString appVersion; // this program's version
    QString backendDescription; // TrafficBackend::description()
    // How long record() waits, through the outbox, for its event to be delivered (by this process's sender
    // or another's) before it answers "not in Dynatrace yet: kept in the outbox"; 0: the outbox sender's
    // request timeout (--timeout).
    qint64 deliveryTimeoutMs = 0;
};

// The properties of a recorded change, for whoever reads the events back (the timeline). remediationType
// and remediationAction are the workshop's own names, which its remediation workflow reads; everything
// the workshop did not send lives under canary.*. Splits are "<stable>/<canary>" in percent, e.g. "70/30".
struct ChangeEventKeys
{
    static constexpr QStringView RemediationType = u"remediationType";
    static constexpr QStringView RemediationAction = u"remediationAction"; // "NA" for a change to 0 %
    static constexpr QStringView SplitOld = u"canary.split.old";
    static constexpr QStringView SplitNew = u"canary.split.new";
    static constexpr QStringView Operator = u"canary.operator";
    static constexpr QStringView Reason = u"canary.reason"; // only when one was given
    static constexpr QStringView AppVersion = u"canary.app.version";
    static constexpr QStringView Backend = u"canary.backend";
    static constexpr QStringView ChangeId = u"canary.change.id"; // a UUID: one change, however many copies
    // Set when the backout is the traffic back-end's own (none was configured): what it is, for people.
    static constexpr QStringView RemediationSource = u"canary.remediation.source";
    static constexpr QStringView RootCauseRelevant = u"dt.event.is_rootcause_relevant"; // always "true"
    // A change found applied at start-up that the process which made it never recorded (IntentReconciler):
    // "true", with the audit entry that asked for it.
    static constexpr QStringView RecordedLate = u"canary.recorded.late";
    static constexpr QStringView Intent = u"canary.audit.intent"; // the "requested" entry's hash
    static constexpr QStringView Description = u"dt.event.description";
};

// A change an earlier process made without recording it (killed between the back-end's answer and the
// outbox), as its "requested" audit entry tells it.
struct LateChange
{
    std::optional<Split> from;
    Split to;
    QString reason;
    QString operatorName; // who asked, not who found it
    std::optional<QString> remediationAction; // as configured when it was asked; nullopt: today's
    QString intentHash; // the "requested" entry: one late event per entry, whoever finds it
    qint64 requestedAtMs = 0;
};

// Records each traffic change in Dynatrace as the workshop's pipeline does, so Davis can name the change as
// a problem's root cause and the remediation workflow finds its backout action on it.
class ChangeRecorder final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChangeRecorder)

public:
    using Callback = std::function<void(const RecordResult &)>;

    ChangeRecorder(dynatrace::EventsClient *events, RecorderConfig config, QObject *parent = nullptr);

    // From now on each change goes through `outbox`: committed there (with its canary.outbox.id) before
    // anything is sent, then delivered by `sender`, which retries until Dynatrace takes it. record()'s
    // result is then the first delivery attempt's: a failure means "not in Dynatrace yet", never "lost".
    // Another process sharing the outbox may deliver the entry instead (its sender got to it first): the
    // store says so, and record() answers then. Past RecorderConfig::deliveryTimeoutMs (on the sender's
    // clock) it answers "not in Dynatrace yet" without waiting any longer.
    // Both null: straight to Dynatrace, as without a store.
    void setOutbox(store::Outbox *outbox, store::OutboxSender *sender);
    store::Outbox *outbox() const { return m_outbox; }

    const RecorderConfig &config() const { return m_config; }
    void setConfig(RecorderConfig config) { m_config = std::move(config); }

    // Where a backout comes from when the config names no remediation action: the traffic back-end's own
    // reset (TrafficBackend::ownBackout), asked at each change.
    using BackoutSource = std::function<std::optional<BackoutAction>()>;
    void setBackoutSource(BackoutSource source) { m_backoutSource = std::move(source); }
    // The backout an increase recorded now would carry: the configured one, else the back-end's own; nullopt
    // when it would go on record without one. Disabled, the back-end records its own events: nothing to say.
    std::optional<BackoutAction> backoutForIncrease() const;

    // Posts one CUSTOM_CONFIGURATION event for the change from `from` (nullopt: not known, e.g. the first
    // apply after start-up) to `to` and delivers exactly one result to `onDone` (never synchronously) unless
    // `context` died first. Disabled, it sends nothing and reports an IngestReport with `skipped` set.
    // Returns the change id put on the event; empty when nothing is sent.
    QString record(const std::optional<Split> &from, const Split &to, const QString &reason,
        const QObject *context, Callback onDone);

    // The event record() posts, for a given change id.
    dynatrace::EventIngest eventFor(const std::optional<Split> &from, const Split &to, const QString &reason,
        const QString &changeId) const;

    // Stores the event of `change` in the outbox (set with setOutbox()), marked as recorded late: the same
    // event as record()'s with canary.recorded.late, the title and description saying so. Keyed on the
    // intent, so two processes that both find the change store one event (`alreadyThere` for the second).
    // Disabled, nothing is stored and the result is empty.
    Expected<std::optional<store::Enqueued>, QString> recordLate(const LateChange &change);

private:
    // `own`: the back-end's own reset, the plan when `config` names none.
    static dynatrace::EventIngest eventWith(const RecorderConfig &config,
        const std::optional<BackoutAction> &own, const std::optional<Split> &from, const Split &to,
        const QString &reason, const QString &changeId);
    static std::optional<BackoutAction> backoutFrom(
        const RecorderConfig &config, const std::optional<BackoutAction> &own);
    std::optional<BackoutAction> ownBackout() const;
    void awaitDelivery(const QString &outboxId, const QObject *context, Callback onDone);
    qint64 deliveryTimeoutMs() const;

    QPointer<dynatrace::EventsClient> m_events;
    QPointer<store::Outbox> m_outbox;
    QPointer<store::OutboxSender> m_sender;
    RecorderConfig m_config;
    BackoutSource m_backoutSource;
};

} // namespace canary::traffic
