#pragma once

#include <QDateTime>
#include <QObject>

namespace canary {

// Every piece of core that needs "now" asks a Clock, so tests and the simulator can run a day in a second.
class Clock
{
public:
    virtual ~Clock() = default;
    virtual qint64 nowMs() const = 0;
    QDateTime now() const { return QDateTime::fromMSecsSinceEpoch(nowMs(), Qt::UTC); }

    // The process-wide wall clock.
    static Clock &system();
};

class SystemClock final : public Clock
{
public:
    qint64 nowMs() const override;
};

// A clock that only moves when told to. advanced() lets a simulated world catch up.
class VirtualClock final : public QObject, public Clock
{
    Q_OBJECT

public:
    explicit VirtualClock(qint64 startMs = 0, QObject *parent = nullptr);

    qint64 nowMs() const override { return m_nowMs; }
    void setNowMs(qint64 ms);
    void advanceMs(qint64 ms) { setNowMs(m_nowMs + ms); }

Q_SIGNALS:
    void advanced(qint64 nowMs);

private:
    qint64 m_nowMs;
};

} // namespace canary
