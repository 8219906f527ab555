#pragma once

#include <QObject>
#include <QPointer>
#include <QTimer>

namespace canary::traffic {

class TrafficController;

// Reads the back-end's split on a cadence, so that a change someone else made (the pipeline's AWX ramp,
// another console, kubectl on the Ingress) shows within one interval: the controller compares each read with
// what it knew (TrafficController::splitChangedOutside). One read per cadence, skipped while the controller
// is busy with an apply or a read of its own. A back-end that can watch (Kubernetes) is asked to: while its
// watch holds, the cadence rests and each change it reports is read at once; when the watch ends, polling
// takes over again.
class SplitWatch final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SplitWatch)

public:
    SplitWatch(TrafficController *controller, int intervalMs, QObject *parent = nullptr);
    ~SplitWatch() override;

    int intervalMs() const { return m_timer.interval(); }
    void start();
    void stop();
    bool isActive() const { return m_timer.isActive(); }
    // One cadence: the timer calls it; tests call it directly.
    void tick();

private:
    void readNow();

    QPointer<TrafficController> m_controller;
    QTimer m_timer;
    bool m_readPending = false; // a change was noticed while the controller was busy
};

} // namespace canary::traffic
