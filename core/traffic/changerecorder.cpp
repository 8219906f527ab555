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
    setIfAny(Keys::RemediationType, m_config.remediationType);
    setIfAny(Keys::RemediationAction, to.canary == 0 ? NoRemediation : m_config.remediationAction);
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
    const auto *call = m_events->ingest(eventFor(from, to, reason, changeId), context, std::move(onDone));
    // A refused event was not sent: no change id exists anywhere.
    return call ? changeId : QString();
}

} // namespace canary::traffic
