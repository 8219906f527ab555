#pragma once

#include <optional>

#include <QObject>
#include <QPointer>

#include "split.h"
#include "trafficbackend.h"
#include "trafficerror.h"

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
    void requestSplit(const Split &split, const QString &reason = {}, Repeat repeat = Repeat::IfChanged);
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
    // `reason` is what the change event will say (empty: none given).
    void applyStarted(const canary::traffic::Split &split, const QString &reason);
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
    };

    void start(Request request, bool announceBusy);
    void onRead(const Split &split, quint64 readNumber);
    void onApplied(const Request &request, const SplitResult &result);
    void record(const std::optional<Split> &from, const Split &to, const QString &reason);
    void startNextQueued();

    QPointer<TrafficBackend> m_backend;
    QPointer<ChangeRecorder> m_recorder;
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
