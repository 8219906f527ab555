#include "changerecorder.h"

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
    using Keys = ChangeEventKeys;
    dynatrace::EventIngest event;
    event.eventType = u"CUSTOM_CONFIGURATION"_s;
    // Exactly the workshop's title, without "%", so both kinds of events read alike on one timeline.
    event.title = u"Canary weight set to %1"_s.arg(to.canary);
    event.entitySelector = m_config.entitySelector;

    auto &properties = event.properties;
    auto setIfAny = [&properties](QStringView key, const QString &value) {
        if (!value.isEmpty())
            properties.insert(key.toString(), value);
    };
    // A change without a backout the workflow and Roll back can run is never recorded when the back-end
    // has one of its own; the gate holds increases that would have none (ChangeGate::setBackoutCheck).
    const auto backout = to.canary == 0 ? std::nullopt : backoutForIncrease();
    const bool ownBackout = backout && !backout->description.isEmpty(); // only the back-end's says what it is
    setIfAny(Keys::RemediationType, ownBackout ? backout->remediationType : m_config.remediationType);
    setIfAny(Keys::RemediationAction,
        to.canary == 0 ? NoRemediation : (backout ? backout->remediationAction : QString()));
    if (ownBackout)
        setIfAny(Keys::RemediationSource, backout->description);
    if (from && from->isValid())
        setIfAny(Keys::SplitOld, from->toString());
    setIfAny(Keys::SplitNew, to.toString());
    setIfAny(Keys::Operator, m_config.operatorName);
    setIfAny(Keys::Reason, reason.trimmed());
    setIfAny(Keys::AppVersion, m_config.appVersion);
    setIfAny(Keys::Backend, m_config.backendDescription);
    setIfAny(Keys::ChangeId, changeId);
    properties.insert(Keys::RootCauseRelevant.toString(), u"true"_s);
    return event;
}

std::optional<BackoutAction> ChangeRecorder::backoutForIncrease() const
{
    // "NA" says there is nothing to undo: true of a change to 0 %, never of an increase.
    const QString configured = m_config.remediationAction.trimmed();
    if (!configured.isEmpty() && configured.compare(NoRemediation, Qt::CaseInsensitive) != 0)
        return BackoutAction { m_config.remediationType, configured, {} };
    if (m_backoutSource) {
        if (auto own = m_backoutSource(); own && own->isValid()) {
            if (own->description.isEmpty())
                own->description = tr("the traffic back-end's own reset");
            return own;
        }
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
