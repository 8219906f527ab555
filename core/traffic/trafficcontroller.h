#pragma once

#include <functional>
#include <memory>
#include <optional>

#include <QObject>
#include <QPointer>

#include "split.h"
#include "trafficbackend.h"
#include "trafficerror.h"
#include "util/expected.h"

namespace canary::store {
class Lease;
}

namespace canary::traffic {

class ChangeRecorder;

// Every traffic change goes through here, whoever asked (slider, ramp, CLI): one apply at a time, at most
// the latest request queued behind it, and a recorded Dynatrace event after each confirmed change. The split
// is shared with pipelines, other consoles and kubectl: a read that finds it moved without this controller
// asking says so (splitChangedOutside), and a read that an apply overtook is not taken for the truth.
class TrafficController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrafficController)

public:
    // `recorder` may be null: nothing is recorded (the back-end posts its own events).
    TrafficController(TrafficBackend *backend, ChangeRecorder *recorder, QObject *parent = nullptr);
    ~TrafficController() override;

    // Puts a change on record before anything is sent (the audit log's "requested" row): an error and
    // nothing is sent, the apply fails with StoreUnusable. `from` is the split read under the lease.
    using Journal = std::function<Expected<void, QString>(
        const std::optional<Split> &from, const Split &to, const QString &reason)>;
    void setJournal(Journal journal) { m_journal = std::move(journal); }
    // One writer of intent per target across processes: each apply first takes the lease this makes (the
    // store's Lease::trafficName of the target), waiting up to `waitMs` for another holder, reads the split
    // afresh under it and gives it back once the outcome and the change's outbox entry are written.
    // Without one (reading only, tests) applies go ahead at once.
    using LeaseMaker = std::function<std::unique_ptr<store::Lease>()>;
    void setLease(LeaseMaker maker, qint64 waitMs)
    {
        m_leaseMaker = std::move(maker);
        m_leaseWaitMs = waitMs;
    }
    // Judges a request again just before its "requested" row, under the lease, from the split read there
    // (another process may have moved it meanwhile): an error stops it with nothing sent.
    using ApplyCheck
        = std::function<std::optional<TrafficError>(const std::optional<Split> &from, const Split &to)>;

    TrafficBackend *backend() const { return m_backend; }
    std::optional<Split> applied() const { return m_applied; } // the last split the back-end confirmed
    std::optional<Split> inFlight() const { return m_inFlight; }
    std::optional<Split> queued() const
    {
        return m_queued ? std::optional<Split>(m_queued->split) : std::nullopt;
    }
    bool isBusy() const { return m_inFlight.has_value() || m_reading; }
    bool isReading() const { return m_reading; }

    // Reads the back-end's current split (at start-up, and on SplitWatch's cadence).
    void refresh();
    // Whether a request queued behind an apply is still made when that apply left traffic where it asks for:
    // a wish of the slider is dropped then; the rollback's 0 % is applied and confirmed regardless, so that
    // whoever waits for it hears an answer.
    enum class Repeat { IfChanged, Always };
    // Applies `split` now, or after the apply under way (replacing any request already waiting).
    void requestSplit(const Split &split, const QString &reason = {}, Repeat repeat = Repeat::IfChanged,
        ApplyCheck check = {});
    // A change this console makes around the controller (a rollback's AWX job) begins, and ends: reads
    // meanwhile, and the read-back that ends it, take a moved split as its outcome, not as someone else's
    // change. The read-back is started by endOwnChange().
    void beginOwnChange() { m_ownChange = OwnChange::UnderWay; }
    void endOwnChange();

Q_SIGNALS:
    // A read answered: `split` is what the back-end holds now (or, when an apply overtook the read, what
    // that apply confirmed).
    void splitRead(const canary::traffic::Split &split);
    // The read found the split moved from `from`, the last one known, without a change from here: someone
    // else set it; `origin` says who when the back-end tells (else it is empty). Emitted before splitRead.
    void splitChangedOutside(const canary::traffic::Split &from, const canary::traffic::Split &to,
        const canary::traffic::ChangeOrigin &origin);
    void readFailed(const canary::traffic::TrafficError &error);
    // Another process holds the target: this apply waits for it (`holder` names it, LeaseHolder::describe).
    void applyWaiting(const canary::traffic::Split &split, const QString &holder);
    // `reason` is what the change event will say (empty: none given). Its "requested" record is written.
    void applyStarted(const canary::traffic::Split &split, const QString &reason);
    // The back-end's answer was lost or unreadable (error.outcomeUnknown): the split is read back next, and
    // its outcome follows as splitApplied (it is at the requested split) or applyFailed: a definite failure
    // when it is elsewhere, outcomeUnknown still set when the read-back failed too, or when the request timed
    // out (it may still be applied late, so the old split proves nothing).
    void applyOutcomeUnknown(
        const canary::traffic::Split &requested, const canary::traffic::TrafficError &error);
    void splitApplied(const canary::traffic::Split &from, const canary::traffic::Split &to);
    void applyFailed(const canary::traffic::Split &requested, const canary::traffic::TrafficError &error);
    void changeRecorded(const QString &title);
    void recordFailed(const QString &message);
    void busyChanged(bool busy);

private:
    struct Request
    {
        Split split;
        QString reason;
        Repeat repeat = Repeat::IfChanged;
        ApplyCheck check;
    };

    void start(Request request, bool announceBusy);
    void onLeaseTaken(const Request &request);
    void send(const Request &request);
    void readBack(const Request &request, const std::optional<Split> &from, const TrafficError &lost);
    void succeed(const Request &request, const std::optional<Split> &from, const Split &to);
    void fail(const Request &request, const TrafficError &error);
    void finish();
    void dropLease();
    void onRead(const Split &split, quint64 readNumber);
    void record(const std::optional<Split> &from, const Split &to, const QString &reason);
    void startNextQueued();

    QPointer<TrafficBackend> m_backend;
    QPointer<ChangeRecorder> m_recorder;
    Journal m_journal;
    LeaseMaker m_leaseMaker;
    qint64 m_leaseWaitMs = 0;
    std::unique_ptr<store::Lease> m_lease;
    std::optional<Split> m_applied;
    std::optional<Split> m_inFlight;
    std::optional<Request> m_queued;
    bool m_reading = false;
    enum class OwnChange { None, UnderWay, Ending };
    OwnChange m_ownChange = OwnChange::None;
    quint64 m_applies = 0; // applies started: a read that saw fewer is older than the newest one
    quint64 m_readsStarted = 0;
    quint64 m_ownChangeEndedAfterRead = 0; // the reads out when the own change ended do not end it
    bool m_readAgain = false; // a read-back waits for the read under way
};

} // namespace canary::traffic
