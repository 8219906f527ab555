#include "splitwatch.h"

#include <algorithm>

#include "trafficbackend.h"
#include "trafficcontroller.h"

namespace canary::traffic {

SplitWatch::SplitWatch(TrafficController *controller, int intervalMs, QObject *parent)
    : QObject(parent)
    , m_controller(controller)
{
    // Never faster than once a second: the cadence is for people, and each tick is a request to the back-end.
    m_timer.setInterval(std::max(1'000, intervalMs));
    connect(&m_timer, &QTimer::timeout, this, &SplitWatch::tick);
    if (!controller)
        return;
    if (TrafficBackend *backend = controller->backend())
        connect(backend, &TrafficBackend::changeNoticed, this, &SplitWatch::readNow);
    // A change noticed during an apply or a read is read once that ends: the answer under way may predate it.
    connect(controller, &TrafficController::busyChanged, this, [this](bool busy) {
        if (!busy && m_readPending)
            readNow();
    });
}

SplitWatch::~SplitWatch()
{
    if (m_controller && m_controller->backend())
        m_controller->backend()->stopWatching();
}

void SplitWatch::start()
{
    m_timer.start();
    if (m_controller && m_controller->backend())
        m_controller->backend()->startWatching();
}

void SplitWatch::stop()
{
    m_timer.stop();
    if (m_controller && m_controller->backend())
        m_controller->backend()->stopWatching();
}

void SplitWatch::tick()
{
    if (!m_controller)
        return;
    // While the back-end's watch holds, it says when to read; the cadence costs nothing.
    if (const TrafficBackend *backend = m_controller->backend(); backend && backend->isWatching())
        return;
    // An apply answers for the split itself; a read under way is this cadence's already.
    if (!m_controller->isBusy())
        m_controller->refresh();
}

void SplitWatch::readNow()
{
    if (!m_controller)
        return;
    if (m_controller->isBusy()) {
        m_readPending = true;
        return;
    }
    m_readPending = false;
    m_controller->refresh();
}

} // namespace canary::traffic
