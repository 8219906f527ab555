#pragma once

#include <QLabel>
#include <QTimer>

#include "session/freshness.h"

namespace canary {
class Clock;
}

namespace canary::ui {

// How old one panel's data is: "Chart data: from 12 s ago", ticking once a second, and in red "STALE" once
// the data is older than the panel's limit or the newest read failed. Old data is never shown as current.
class FreshnessLabel final : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FreshnessLabel)

public:
    // `what` names the data: "Chart data", "Timeline", "Split", "Plan".
    FreshnessLabel(const QString &what, const Clock &clock, QWidget *parent = nullptr);

    void setStaleAfterMs(qint64 ms);
    // A read succeeded at `atMs`.
    void markFetched(qint64 atMs);
    // The newest read failed: the data shown is older than it looks until the next success.
    void markFailed(const QString &reason);

    const session::Freshness &freshness() const { return m_freshness; }
    bool isStale() const { return m_stale; }
    // Recomputes the text now (the timer calls it every second).
    void tick();

Q_SIGNALS:
    void staleChanged(bool stale);

private:
    QString m_what;
    const Clock &m_clock;
    session::Freshness m_freshness;
    QString m_failure;
    QTimer m_timer;
    bool m_stale = false;
};

} // namespace canary::ui
