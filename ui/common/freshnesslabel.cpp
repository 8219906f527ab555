#include "freshnesslabel.h"

#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

FreshnessLabel::FreshnessLabel(const QString &what, const Clock &clock, QWidget *parent)
    : QLabel(parent)
    , m_what(what)
    , m_clock(clock)
{
    setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_timer.setInterval(1'000);
    connect(&m_timer, &QTimer::timeout, this, &FreshnessLabel::tick);
    m_timer.start();
    tick();
}

void FreshnessLabel::setStaleAfterMs(qint64 ms)
{
    m_freshness.staleAfterMs = ms;
    tick();
}

void FreshnessLabel::markFetched(qint64 atMs)
{
    m_freshness.fetchedAtMs = atMs;
    m_freshness.lastReadFailed = false;
    m_failure.clear();
    tick();
}

void FreshnessLabel::markFailed(const QString &reason)
{
    m_freshness.lastReadFailed = true;
    m_failure = reason;
    tick();
}

void FreshnessLabel::tick()
{
    const qint64 now = m_clock.nowMs();
    const bool stale = m_freshness.isStale(now);
    if (!m_freshness.hasData()) {
        setText(
            m_freshness.lastReadFailed ? tr("%1: not loaded").arg(m_what) : tr("%1: waiting…").arg(m_what));
    } else {
        const qint64 ageMs = m_freshness.ageMs(now);
        const QString when = ageMs < 2'000 ? tr("just now") : tr("%1 ago").arg(session::ageText(ageMs));
        setText(stale ? tr("%1: STALE, from %2").arg(m_what, when) : tr("%1: from %2").arg(m_what, when));
    }
    setToolTip(m_failure.isEmpty() ? QString() : tr("The newest read failed: %1").arg(m_failure));
    setStyleSheet(stale || (!m_freshness.hasData() && m_freshness.lastReadFailed)
            ? u"QLabel { color: white; background: #b02a37; padding: 0 4px; }"_s
            : u"QLabel { color: palette(mid); }"_s);
    if (stale != m_stale) {
        m_stale = stale;
        Q_EMIT staleChanged(stale);
    }
}

} // namespace canary::ui
