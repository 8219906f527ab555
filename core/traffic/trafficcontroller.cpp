#include "trafficcontroller.h"

#include <utility>

#include "changerecorder.h"
#include "store/lease.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

TrafficController::TrafficController(TrafficBackend *backend, ChangeRecorder *recorder, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
    , m_recorder(recorder)
{ }

TrafficController::~TrafficController() = default;

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

void TrafficController::requestSplit(
    const Split &split, const QString &reason, Repeat repeat, ApplyCheck check)
{
    if (!split.isValid()) {
        Q_EMIT applyFailed(split,
            TrafficError {
                TrafficError::Kind::InvalidInput, 0, {}, u"invalid split %1"_s.arg(split.toString()), {} });
        return;
    }
    if (m_inFlight) {
        m_queued = Request { split, reason, repeat, std::move(check) }; // only the newest wish matters
        return;
    }
    start(Request { split, reason, repeat, std::move(check) }, !isBusy());
}

void TrafficController::start(Request request, bool announceBusy)
{
    if (!m_backend)
        return;
    m_inFlight = request.split;
    ++m_applies;
    if (announceBusy)
        Q_EMIT busyChanged(true);
    if (!m_leaseMaker)
        return onLeaseTaken(request);
    m_lease = m_leaseMaker();
    store::Lease *lease = m_lease.get();
    connect(
        lease, &store::Lease::waiting, this, [this, split = request.split](const store::LeaseHolder &holder) {
            Q_EMIT applyWaiting(split, holder.describe());
        });
    connect(lease, &store::Lease::acquired, this, [this, request] { onLeaseTaken(request); });
    connect(lease, &store::Lease::refused, this, [this, request](const store::LeaseRefusal &refusal) {
        const bool held = refusal.kind == store::LeaseRefusal::Kind::Held;
        fail(request,
            TrafficError { held ? TrafficError::Kind::Busy : TrafficError::Kind::StoreUnusable, 0, {},
                held ? tr("nothing was changed: %1 (still after %2 s)")
                           .arg(refusal.message)
                           .arg(double(m_leaseWaitMs) / 1000.0)
                     : tr("nothing was changed: the audit log could not be written: %1").arg(refusal.message),
                {} });
    });
    lease->acquire(m_leaseWaitMs);
}

void TrafficController::onLeaseTaken(const Request &request)
{
    if (!m_lease || !m_backend)
        return send(request);
    // Another process may have moved the split while this one waited or since it last read: the change's
    // `from` (its event, its audit rows, the guard-rails' step) is what the back-end holds now.
    m_backend->readSplit(this, [this, request](const SplitResult &result) {
        // A change judged against a split nobody read would go on record with a `from` that may be stale;
        // only the rollback's 0 % (Always) goes ahead regardless: it must not wait for a readable back-end.
        // A back-end that answered but holds no split yet (an AWX template that never ran) is different:
        // the change goes ahead with its `from` unknown, as it says.
        const bool nothingToRead = !result
            && (result.error().kind == TrafficError::Kind::Configuration
                || result.error().kind == TrafficError::Kind::NotFound);
        if (nothingToRead)
            m_applied.reset();
        if (!result && !nothingToRead && request.repeat != Repeat::Always) {
            TrafficError error = result.error();
            error.message = tr("nothing was changed: the current split could not be read under the target's "
                               "lease: %1")
                                .arg(result.error().summary());
            return fail(request, error);
        }
        // Shown when it is news (another process moved it); the apply's outcome follows either way.
        if (result && m_applied != result.value()) {
            m_applied = result.value();
            Q_EMIT splitRead(result.value());
        }
        send(request);
    });
}

void TrafficController::send(const Request &request)
{
    if (!m_backend)
        return;
    const std::optional<Split> from = m_applied;
    if (request.check) {
        if (const auto refusal = request.check(from, request.split))
            return fail(request, *refusal);
    }
    // Still ours? A process stopped past the lease's expiry learns it here, before it writes or sends.
    if (m_lease) {
        if (const auto confirmed = m_lease->confirm(); !confirmed) {
            return fail(request,
                TrafficError { TrafficError::Kind::Busy, 0, {},
                    tr("nothing was changed: %1 while this process waited (it was stopped or too slow); "
                       "read the split and try again")
                        .arg(confirmed.error()),
                    {} });
        }
    }
    // No move without its record: a "requested" row that cannot be written stops the change here.
    if (m_journal) {
        if (const auto written = m_journal(from, request.split, request.reason); !written) {
            return fail(request,
                TrafficError { TrafficError::Kind::StoreUnusable, 0, {},
                    tr("nothing was changed: the audit log could not be written: %1").arg(written.error()),
                    {} });
        }
    }
    Q_EMIT applyStarted(request.split, request.reason);
    m_backend->applySplit(request.split, this, [this, request, from](const SplitResult &result) {
        if (result)
            return succeed(request, from, result.value());
        TrafficError error = result.error();
        // No answer in time is no answer: the back-end may have acted on the request all the same.
        if (error.kind == TrafficError::Kind::Timeout)
            error.outcomeUnknown = true;
        if (!error.outcomeUnknown)
            return fail(request, error);
        readBack(request, from, error);
    });
}

void TrafficController::readBack(
    const Request &request, const std::optional<Split> &from, const TrafficError &lost)
{
    Q_EMIT applyOutcomeUnknown(request.split, lost);
    if (!m_backend)
        return fail(request, lost);
    m_backend->readSplit(this, [this, request, from, lost](const SplitResult &result) {
        if (result && result.value() == request.split)
            return succeed(request, from, result.value());
        TrafficError error = lost;
        if (result && lost.kind == TrafficError::Kind::Timeout) {
            // A request that timed out may still be queued or running at the back-end: finding the old
            // split now does not mean it will not move (a PUT answered after 29 s, 61 % four seconds later).
            m_applied = result.value();
            error.message
                = tr("%1; read back, traffic is still %2 (stable/canary), but the request may still "
                     "be applied late: check the split before trying again")
                      .arg(lost.message, result.value().toString());
        } else if (result) {
            m_applied = result.value();
            error.outcomeUnknown = false;
            error.message = tr("%1; read back, traffic is %2 (stable/canary): the change did not happen")
                                .arg(lost.message, result.value().toString());
        } else {
            error.message = tr("%1; whether traffic moved is unknown (reading it back failed too: %2): check "
                               "the split before trying again")
                                .arg(lost.message, result.error().summary());
        }
        fail(request, error);
    });
}

void TrafficController::succeed(const Request &request, const std::optional<Split> &from, const Split &to)
{
    m_inFlight.reset();
    m_applied = to;
    Q_EMIT splitApplied(from.value_or(to), to);
    // Enqueues the change's event in the outbox at once: it is written before the lease is given back.
    record(from, to, request.reason);
    finish();
}

void TrafficController::fail(const Request &request, const TrafficError &error)
{
    m_inFlight.reset();
    Q_EMIT applyFailed(request.split, error);
    finish();
}

void TrafficController::finish()
{
    dropLease();
    startNextQueued();
    if (!isBusy())
        Q_EMIT busyChanged(false);
}

void TrafficController::dropLease()
{
    if (!m_lease)
        return;
    m_lease->release();
    disconnect(m_lease.get(), nullptr, this, nullptr);
    // Perhaps inside one of its own signals (refused): it goes once that returned.
    m_lease.release()->deleteLater();
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
