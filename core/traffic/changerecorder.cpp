#include "changerecorder.h"

#include <QDateTime>
#include <QDir>
#include <QStandardPaths>
#include <QTimer>
#include <QUuid>

#include "dynatrace/eventsclient.h"

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

void ChangeRecorder::awaitDelivery(const QString &outboxId, const QObject *context, Callback onDone)
{
    // One result, whichever signal comes first; the connections die with `context` as the callback would.
    struct Wait
    {
        Callback onDone;
        QMetaObject::Connection delivered;
        QMetaObject::Connection failed;
        void finish(const RecordResult &result)
        {
            QObject::disconnect(delivered);
            QObject::disconnect(failed);
            auto callback = std::move(onDone);
            onDone = nullptr;
            if (callback)
                callback(result);
        }
    };
    auto wait = std::make_shared<Wait>();
    wait->onDone = std::move(onDone);
    wait->delivered = connect(m_sender, &store::OutboxSender::delivered, context,
        [wait, outboxId, outbox = m_outbox](const QString &id) {
            if (id != outboxId)
                return;
            dynatrace::IngestReport report;
            const auto entry = outbox ? outbox->entry(id) : std::nullopt;
            const QStringList correlationIds = entry ? entry->correlationIds : QStringList();
            for (const QString &correlationId : correlationIds)
                report.results.append({ correlationId, u"OK"_s });
            if (report.results.isEmpty())
                report.results.append({ {}, u"OK"_s });
            report.reportCount = int(report.results.size());
            wait->finish(report);
        });
    wait->failed = connect(m_sender, &store::OutboxSender::deliveryFailed, context,
        [wait, outboxId](const QString &id, const QString &message) {
            // 202 rather than an HTTP failure: the change is taken locally and only its delivery is pending.
            dynatrace::ApiError error;
            error.kind = dynatrace::ApiError::Kind::HttpError;
            error.httpStatus = 202;
            error.url = QUrl(u"/api/v2/events/ingest"_s);
            error.message = id == outboxId
                ? u"not in Dynatrace yet (%1); kept in the outbox and sent again"_s.arg(message)
                : u"not in Dynatrace yet: kept in the outbox behind an earlier event Dynatrace has not taken "
                  "(%1)"_s.arg(message);
            wait->finish(error);
        });
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
