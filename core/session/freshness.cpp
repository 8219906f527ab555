#include "freshness.h"

#include <algorithm>

#include <QObject>

namespace canary::session {

qint64 Freshness::staleAfterFor(qint64 refreshIntervalMs)
{
    return std::max<qint64>(10'000, 2 * refreshIntervalMs);
}

bool Freshness::isStale(qint64 nowMs) const
{
    return hasData() && (lastReadFailed || (staleAfterMs > 0 && ageMs(nowMs) > staleAfterMs));
}

QString ageText(qint64 ageMs)
{
    const qint64 seconds = std::max<qint64>(0, ageMs) / 1000;
    if (seconds < 2)
        return QObject::tr("just now");
    if (seconds < 60)
        return QObject::tr("%1 s").arg(seconds);
    const qint64 minutes = seconds / 60;
    if (minutes < 60)
        return QObject::tr("%1 min").arg(minutes);
    const qint64 hours = minutes / 60;
    if (hours < 24)
        return minutes % 60 ? QObject::tr("%1 h %2 min").arg(hours).arg(minutes % 60)
                            : QObject::tr("%1 h").arg(hours);
    const qint64 days = hours / 24;
    return hours % 24 ? QObject::tr("%1 d %2 h").arg(days).arg(hours % 24) : QObject::tr("%1 d").arg(days);
}

} // namespace canary::session
