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
// the latest request queued behind it, and a recorded Dynatrace event after each confirmed change.
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

    // Reads the back-end's current split (e.g. at start-up).
    void refresh();
    // Applies `split` now, or after the apply under way (replacing any request already waiting).
    void requestSplit(const Split &split, const QString &reason = {});

Q_SIGNALS:
    void splitRead(const canary::traffic::Split &split);
    void readFailed(const canary::traffic::TrafficError &error);
    void applyStarted(const canary::traffic::Split &split);
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
    };

    void start(Request request, bool announceBusy);
    void onApplied(const Request &request, const SplitResult &result);
    void record(const std::optional<Split> &from, const Split &to, const QString &reason);
    void startNextQueued();

    QPointer<TrafficBackend> m_backend;
    QPointer<ChangeRecorder> m_recorder;
    std::optional<Split> m_applied;
    std::optional<Split> m_inFlight;
    std::optional<Request> m_queued;
    bool m_reading = false;
};

} // namespace canary::traffic
