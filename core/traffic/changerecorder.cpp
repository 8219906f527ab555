#include "changerecorder.h"

#include <QDateTime>
#include <QDir>
#include <QStandardPaths>
#include <QTimer>
#include <QUuid>

#include "dynatrace/eventsclient.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

namespace {

// The workshop's reset posts "NA": going back to 0 % is itself the backout, so there is nothing to undo.
const QString NoRemediation = u"NA"_s;

void deliverLater(const QObject *context, ChangeRecorder::Callback onDone, dynatrace::IngestResult result)
{
    QTimer::singleShot(
        0, context, [onDone = std::move(onDone), result = std::move(result)] { onDone(result); });
}

} // namespace

QString RecorderConfig::systemUserName()
{
    for (const char *variable : { "USER", "USERNAME" }) {
        const QString name = qEnvironmentVariable(variable).trimmed();
        if (!name.isEmpty())
            return name;
    }
    const QString home = QStandardPaths::writableLocation(QStandardPaths::HomeLocation);
    return home.isEmpty() ? QString() : QDir(home).dirName();
}

ChangeRecorder::ChangeRecorder(dynatrace::EventsClient *events, RecorderConfig config, QObject *parent)
    : QObject(parent)
    , m_events(events)
    , m_config(std::move(config))
{ }

dynatrace::EventIngest ChangeRecorder::eventFor(
    const std::optional<Split> &from, const Split &to, const QString &reason, const QString &changeId) const
{
    return eventWith(m_config, ownBackout(), from, to, reason, changeId);
}

dynatrace::EventIngest ChangeRecorder::eventWith(const RecorderConfig &config,
    const std::optional<BackoutAction> &own, const std::optional<Split> &from, const Split &to,
    const QString &reason, const QString &changeId)
{
    using Keys = ChangeEventKeys;
    dynatrace::EventIngest event;
    event.eventType = u"CUSTOM_CONFIGURATION"_s;
    // Exactly the workshop's title, without "%", so both kinds of events read alike on one timeline.
    event.title = u"Canary weight set to %1"_s.arg(to.canary);
    event.entitySelector = config.entitySelector;

    auto &properties = event.properties;
    auto setIfAny = [&properties](QStringView key, const QString &value) {
        if (!value.isEmpty())
            properties.insert(key.toString(), value);
    };
    // A change without a backout the workflow and Roll back can run is never recorded when the back-end
    // has one of its own; the gate holds increases that would have none (ChangeGate::setBackoutCheck).
    const auto backout = to.canary == 0 ? std::nullopt : backoutFrom(config, own);
    const bool ownBackout = backout && !backout->description.isEmpty(); // only the back-end's says what it is
    setIfAny(Keys::RemediationType, ownBackout ? backout->remediationType : config.remediationType);
    setIfAny(Keys::RemediationAction,
        to.canary == 0 ? NoRemediation : (backout ? backout->remediationAction : QString()));
    if (ownBackout)
        setIfAny(Keys::RemediationSource, backout->description);
    if (from && from->isValid())
        setIfAny(Keys::SplitOld, from->toString());
    setIfAny(Keys::SplitNew, to.toString());
    setIfAny(Keys::Operator, config.operatorName);
    setIfAny(Keys::Reason, reason.trimmed());
    setIfAny(Keys::AppVersion, config.appVersion);
    setIfAny(Keys::Backend, config.backendDescription);
    setIfAny(Keys::ChangeId, changeId);
    properties.insert(Keys::RootCauseRelevant.toString(), u"true"_s);
    return event;
}

std::optional<BackoutAction> ChangeRecorder::ownBackout() const
{
    return m_backoutSource ? m_backoutSource() : std::nullopt;
}

std::optional<BackoutAction> ChangeRecorder::backoutForIncrease() const
{
    return backoutFrom(m_config, ownBackout());
}

std::optional<BackoutAction> ChangeRecorder::backoutFrom(
    const RecorderConfig &config, const std::optional<BackoutAction> &own)
{
    // "NA" says there is nothing to undo: true of a change to 0 %, never of an increase.
    const QString configured = config.remediationAction.trimmed();
    if (!configured.isEmpty() && configured.compare(NoRemediation, Qt::CaseInsensitive) != 0)
        return BackoutAction { config.remediationType, configured, {} };
    if (own && own->isValid()) {
        BackoutAction action = *own;
        if (action.description.isEmpty())
            action.description = tr("the traffic back-end's own reset");
        return action;
    }
    return std::nullopt;
}

void ChangeRecorder::setOutbox(store::Outbox *outbox, store::OutboxSender *sender)
{
    m_outbox = outbox;
    m_sender = sender;
}

qint64 ChangeRecorder::deliveryTimeoutMs() const
{
    if (m_config.deliveryTimeoutMs > 0)
        return m_config.deliveryTimeoutMs;
    return m_sender ? m_sender->requestTimeoutMs() : net::RestClient::DefaultTimeoutMs;
}

void ChangeRecorder::awaitDelivery(const QString &outboxId, const QObject *context, Callback onDone)
{
    // One result, whichever comes first: this sender's answer, the store showing the entry delivered (by
    // any process sharing it: another sender may have got to it first, and this one then never sends it),
    // or the deadline. Everything dies with `context` as the callback would.
    struct Wait
    {
        Callback onDone;
        QMetaObject::Connection delivered;
        QMetaObject::Connection failed;
        QPointer<QTimer> poll;
        void finish(const RecordResult &result)
        {
            QObject::disconnect(delivered);
            QObject::disconnect(failed);
            if (poll) {
                poll->stop();
                poll->deleteLater();
            }
            auto callback = std::move(onDone);
            onDone = nullptr;
            if (callback)
                callback(result);
        }
    };
    const auto deliveredReport = [](const std::optional<store::OutboxEntry> &entry) {
        dynatrace::IngestReport report;
        const QStringList correlationIds = entry ? entry->correlationIds : QStringList();
        for (const QString &correlationId : correlationIds)
            report.results.append({ correlationId, u"OK"_s });
        if (report.results.isEmpty())
            report.results.append({ {}, u"OK"_s });
        report.reportCount = int(report.results.size());
        return report;
    };
    // 202 rather than an HTTP failure: the change is taken locally and only its delivery is pending.
    const auto pendingError = [](const QString &message) {
        dynatrace::ApiError error;
        error.kind = dynatrace::ApiError::Kind::HttpError;
        error.httpStatus = 202;
        error.url = QUrl(u"/api/v2/events/ingest"_s);
        error.message = message;
        return error;
    };

    auto wait = std::make_shared<Wait>();
    wait->onDone = std::move(onDone);
    wait->delivered = connect(m_sender, &store::OutboxSender::delivered, context,
        [wait, outboxId, outbox = m_outbox, deliveredReport](const QString &id) {
            if (id != outboxId)
                return;
            wait->finish(deliveredReport(outbox ? outbox->entry(id) : std::nullopt));
        });
    wait->failed = connect(m_sender, &store::OutboxSender::deliveryFailed, context,
        [wait, outboxId, pendingError](const QString &id, const QString &message) {
            wait->finish(pendingError(id == outboxId
                    ? u"not in Dynatrace yet (%1); kept in the outbox and sent again"_s.arg(message)
                    : u"not in Dynatrace yet: kept in the outbox behind an earlier event Dynatrace has not "
                      "taken (%1)"_s.arg(message)));
        });

    // The store is read on a timer, the deadline judged by the sender's clock.
    const Clock &clock = m_sender->clock();
    const qint64 timeoutMs = deliveryTimeoutMs();
    const qint64 deadlineMs = clock.nowMs() + timeoutMs;
    auto *poll = new QTimer(this);
    wait->poll = poll;
    poll->setInterval(store::OutboxSender::LookAgainMs);
    connect(context, &QObject::destroyed, poll, &QObject::deleteLater);
    connect(poll, &QTimer::timeout, context,
        [wait, outboxId, outbox = m_outbox, sender = m_sender, &clock, deadlineMs, timeoutMs, deliveredReport,
            pendingError] {
            const auto entry = outbox ? outbox->entry(outboxId) : std::nullopt;
            if (entry && entry->isDelivered())
                return wait->finish(deliveredReport(entry));
            if (clock.nowMs() < deadlineMs)
                return;
            QString where;
            if (sender && sender->sendingId() == outboxId)
                where = u"its send is still out"_s;
            else if (sender && sender->isWaitingBehind())
                where = u"it waits behind an event another process is sending"_s;
            else if (entry && !entry->lastError.isEmpty())
                where = entry->lastError;
            else
                where = u"it waits its turn"_s;
            wait->finish(pendingError(u"not in Dynatrace yet: not delivered within %1 s (%2); kept in the "
                                      "outbox and sent again"_s.arg(double(timeoutMs) / 1000.0)
                                          .arg(where)));
        });
    poll->start();
}

Expected<std::optional<store::Enqueued>, QString> ChangeRecorder::recordLate(const LateChange &change)
{
    if (!m_config.enabled)
        return std::optional<store::Enqueued>();
    if (!change.to.isValid())
        return u"change not recorded: %1 is not a split"_s.arg(change.to.toString());
    if (!m_outbox || !m_sender)
        return u"change not recorded: no outbox to keep it in"_s;

    using Keys = ChangeEventKeys;
    RecorderConfig asked = m_config;
    if (!change.operatorName.isEmpty())
        asked.operatorName = change.operatorName;
    if (change.remediationAction)
        asked.remediationAction = *change.remediationAction;
    dynatrace::EventIngest event = eventWith(asked, ownBackout(), change.from, change.to, change.reason,
        QUuid::createUuid().toString(QUuid::WithoutBraces));
    event.title += u" (recorded late)"_s;
    const QString when = QDateTime::fromMSecsSinceEpoch(change.requestedAtMs, Qt::UTC).toString(Qt::ISODate);
    event.properties.insert(Keys::RecordedLate.toString(), u"true"_s);
    event.properties.insert(Keys::Intent.toString(), change.intentHash);
    event.properties.insert(Keys::Description.toString(),
        u"Recorded late: asked for at %1 and found applied when Canary Console started again; the process "
        "that made the change ended before it could record it."_s.arg(when));
    const auto queued
        = m_outbox->enqueue(m_sender->tenant(), std::move(event), u"late/"_s + change.intentHash);
    if (!queued)
        return u"change not recorded: %1"_s.arg(queued.error());
    return std::optional<store::Enqueued>(*queued);
}

QString ChangeRecorder::record(const std::optional<Split> &from, const Split &to, const QString &reason,
    const QObject *context, Callback onDone)
{
    if (!m_config.enabled) {
        dynatrace::IngestReport skipped;
        skipped.skipped = true;
        deliverLater(context, std::move(onDone), skipped);
        return {};
    }
    if (!to.isValid() || !m_events) {
        dynatrace::ApiError error;
        error.kind = dynatrace::ApiError::Kind::BadRequest;
        error.message = !to.isValid() ? u"change not recorded: %1 is not a split"_s.arg(to.toString())
                                      : u"change not recorded: no Dynatrace connection"_s;
        deliverLater(context, std::move(onDone), error);
        return {};
    }

    const QString changeId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    if (m_outbox && m_sender) {
        const auto queued = m_outbox->enqueue(m_sender->tenant(), eventFor(from, to, reason, changeId));
        if (!queued) {
            dynatrace::ApiError error;
            error.kind = dynatrace::ApiError::Kind::BadRequest;
            error.message = u"change not recorded: %1"_s.arg(queued.error());
            deliverLater(context, std::move(onDone), error);
            return {};
        }
        awaitDelivery(queued->id, context, std::move(onDone));
        return changeId;
    }
    const auto *call = m_events->ingest(eventFor(from, to, reason, changeId), context, std::move(onDone));
    // A refused event was not sent: no change id exists anywhere.
    return call ? changeId : QString();
}

} // namespace canary::traffic
