#include "trafficcontroller.h"

#include "changerecorder.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

TrafficController::TrafficController(TrafficBackend *backend, ChangeRecorder *recorder, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
    , m_recorder(recorder)
{ }

void TrafficController::refresh()
{
    if (m_reading || !m_backend)
        return;
    const bool wasBusy = isBusy();
    m_reading = true;
    if (!wasBusy)
        Q_EMIT busyChanged(true);
    m_backend->readSplit(this, [this, appliesBefore = m_applies](const SplitResult &result) {
        m_reading = false;
        if (!result) {
            Q_EMIT readFailed(result.error());
        } else if (m_inFlight) {
            // The apply under way answers for the split.
        } else if (m_applies != appliesBefore) {
            // An apply started and finished meanwhile: it is newer than what this read saw.
            if (m_applied)
                Q_EMIT splitRead(*m_applied);
        } else {
            const std::optional<Split> before = m_applied;
            m_applied = result.value();
            if (before && *before != result.value() && m_ownChange == OwnChange::None)
                Q_EMIT splitChangedOutside(*before, result.value());
            if (m_ownChange == OwnChange::Ending)
                m_ownChange = OwnChange::None;
            Q_EMIT splitRead(result.value());
        }
        if (!isBusy())
            Q_EMIT busyChanged(false);
    });
}

void TrafficController::endOwnChange()
{
    if (m_ownChange == OwnChange::None)
        return;
    m_ownChange = OwnChange::Ending;
    refresh();
}

void TrafficController::requestSplit(const Split &split, const QString &reason)
{
    if (!split.isValid()) {
        Q_EMIT applyFailed(split,
            TrafficError {
                TrafficError::Kind::InvalidInput, 0, {}, u"invalid split %1"_s.arg(split.toString()), {} });
        return;
    }
    if (m_inFlight) {
        m_queued = Request { split, reason }; // only the newest wish matters
        return;
    }
    start(Request { split, reason }, !isBusy());
}

void TrafficController::start(Request request, bool announceBusy)
{
    if (!m_backend)
        return;
    m_inFlight = request.split;
    ++m_applies;
    if (announceBusy)
        Q_EMIT busyChanged(true);
    Q_EMIT applyStarted(request.split);
    m_backend->applySplit(
        request.split, this, [this, request](const SplitResult &result) { onApplied(request, result); });
}

void TrafficController::onApplied(const Request &request, const SplitResult &result)
{
    m_inFlight.reset();
    if (result) {
        const std::optional<Split> from = m_applied;
        m_applied = result.value();
        Q_EMIT splitApplied(from.value_or(result.value()), result.value());
        record(from, result.value(), request.reason);
    } else {
        Q_EMIT applyFailed(request.split, result.error());
    }
    startNextQueued();
    if (!isBusy())
        Q_EMIT busyChanged(false);
}

void TrafficController::startNextQueued()
{
    if (!m_queued)
        return;
    Request next = std::move(*m_queued);
    m_queued.reset();
    if (m_applied && next.split == *m_applied)
        return; // the operator came back to where traffic already is
    start(std::move(next), false); // still busy: one busy period for the whole queue
}

void TrafficController::record(const std::optional<Split> &from, const Split &to, const QString &reason)
{
    if (!m_recorder)
        return;
    m_recorder->record(from, to, reason, this, [this, to](const RecordResult &result) {
        if (!result)
            Q_EMIT recordFailed(result.error().summary());
        else if (!result->skipped)
            Q_EMIT changeRecorded(u"Canary weight set to %1"_s.arg(to.canary));
    });
}

} // namespace canary::traffic
