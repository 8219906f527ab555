#include "clock.h"

namespace canary {

Clock &Clock::system()
{
    static SystemClock clock;
    return clock;
}

qint64 SystemClock::nowMs() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

VirtualClock::VirtualClock(qint64 startMs, QObject *parent)
    : QObject(parent)
    , m_nowMs(startMs)
{ }

void VirtualClock::setNowMs(qint64 ms)
{
    if (ms == m_nowMs)
        return;
    m_nowMs = ms;
    Q_EMIT advanced(m_nowMs);
}

} // namespace canary
