#include "trafficcontroller.h"

#include <utility>

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
    ++m_readsStarted;
    if (!wasBusy)
        Q_EMIT busyChanged(true);
    // An apply under way when the read goes out, or started while it is out, may reach the router after the
    // read was served: then the read is older than the apply and says nothing new.
    const bool overtakeable = m_inFlight.has_value();
    m_backend->readSplit(this,
        [this, appliesBefore = m_applies, overtakeable, readNumber = m_readsStarted](
            const SplitResult &result) {
            m_reading = false;
            if (!result) {
                Q_EMIT readFailed(result.error());
            } else if (m_inFlight) {
                // The apply under way answers for the split.
            } else if (overtakeable || m_applies != appliesBefore) {
                if (m_applied)
                    Q_EMIT splitRead(*m_applied);
            } else {
                onRead(result.value(), readNumber);
            }
            if (std::exchange(m_readAgain, false)) {
                refresh();
                return;
            }
            if (!isBusy())
                Q_EMIT busyChanged(false);
        });
}

void TrafficController::onRead(const Split &split, quint64 readNumber)
{
    const std::optional<Split> before = m_applied;
    m_applied = split;
    if (before && *before != split) {
        // While a rollback of this console runs, the split going to 0 % is its doing; anything else is still
        // someone else's (a pipeline pushing the canary up meanwhile must not go unseen).
        const bool rollbacksOwn = m_ownChange != OwnChange::None && split.canary == 0;
        if (!rollbacksOwn)
            Q_EMIT splitChangedOutside(*before, split, m_backend->lastReadOrigin().value_or(ChangeOrigin {}));
    }
    // Only a read that went out after the rollback ended tells what it left.
    if (m_ownChange == OwnChange::Ending && readNumber > m_ownChangeEndedAfterRead)
        m_ownChange = OwnChange::None;
    Q_EMIT splitRead(split);
}

void TrafficController::endOwnChange()
{
    if (m_ownChange == OwnChange::None)
        return;
    m_ownChange = OwnChange::Ending;
    m_ownChangeEndedAfterRead = m_readsStarted;
    if (m_reading)
        m_readAgain = true; // the read out now may have been served before the rollback's last move
    else
        refresh();
}

void TrafficController::requestSplit(const Split &split, const QString &reason, Repeat repeat)
{
    if (!split.isValid()) {
        Q_EMIT applyFailed(split,
            TrafficError {
                TrafficError::Kind::InvalidInput, 0, {}, u"invalid split %1"_s.arg(split.toString()), {} });
        return;
    }
    if (m_inFlight) {
        m_queued = Request { split, reason, repeat }; // only the newest wish matters
        return;
    }
    start(Request { split, reason, repeat }, !isBusy());
}

void TrafficController::start(Request request, bool announceBusy)
{
    if (!m_backend)
        return;
    m_inFlight = request.split;
    ++m_applies;
    if (announceBusy)
        Q_EMIT busyChanged(true);
    Q_EMIT applyStarted(request.split, request.reason);
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
    if (m_applied && next.split == *m_applied && next.repeat == Repeat::IfChanged)
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
