#include "splitwatch.h"

#include <algorithm>

#include "trafficcontroller.h"

namespace canary::traffic {

SplitWatch::SplitWatch(TrafficController *controller, int intervalMs, QObject *parent)
    : QObject(parent)
    , m_controller(controller)
{
    // Never faster than once a second: the cadence is for people, and each tick is a request to the back-end.
    m_timer.setInterval(std::max(1'000, intervalMs));
    connect(&m_timer, &QTimer::timeout, this, &SplitWatch::tick);
}

void SplitWatch::start()
{
    m_timer.start();
}

void SplitWatch::stop()
{
    m_timer.stop();
}

void SplitWatch::tick()
{
    // An apply answers for the split itself; a read under way is this cadence's already.
    if (m_controller && !m_controller->isBusy())
        m_controller->refresh();
}

} // namespace canary::traffic
