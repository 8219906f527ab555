#include "resolution.h"

#include <array>

#include <QHash>
#include <QRegularExpression>

#include "timeunits.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

qint64 niceResolution(qint64 rawMs)
{
    static constexpr std::array<qint64, 14> nice {
        MinuteMs,
        2 * MinuteMs,
        5 * MinuteMs,
        10 * MinuteMs,
        15 * MinuteMs,
        30 * MinuteMs,
        HourMs,
        2 * HourMs,
        3 * HourMs,
        6 * HourMs,
        12 * HourMs,
        DayMs,
        2 * DayMs,
        WeekMs,
    };
    for (const qint64 candidate : nice) {
        if (candidate >= rawMs)
            return candidate;
    }
    return (rawMs + DayMs - 1) / DayMs * DayMs;
}

} // namespace

qint64 Resolution::firstSlot(const Timeframe &frame) const
{
    return isInf() ? 0 : floorDiv(frame.fromMs, ms);
}

qint64 Resolution::slotCount(const Timeframe &frame) const
{
    if (isInf())
        return 1;
    // The last slot is the one containing to - 1 ms: every slot overlapping [from, to).
    return floorDiv(frame.toMs - 1, ms) - floorDiv(frame.fromMs, ms) + 1;
}

QString Resolution::format(qint64 ms)
{
    if (ms == 0)
        return u"Inf"_s;
    if (ms % WeekMs == 0)
        return QString::number(ms / WeekMs) + u'w';
    if (ms % DayMs == 0)
        return QString::number(ms / DayMs) + u'd';
    if (ms % HourMs == 0)
        return QString::number(ms / HourMs) + u'h';
    if (ms % MinuteMs == 0)
        return QString::number(ms / MinuteMs) + u'm';
    return QString::number(ms / SecondMs) + u's';
}

canary::Expected<Resolution, SimError> Resolution::parse(const QString &text, const Timeframe &frame)
{
    const QString value = text.trimmed();
    const auto invalid = [&](const QString &why) { return SimError::constraint(u"resolution"_s, why); };

    Resolution resolution;
    static const QRegularExpression count(u"^\\d{1,9}$"_s);
    static const QRegularExpression span(u"^(\\d{1,9})([a-zA-Z])$"_s);
    if (value.isEmpty() || count.match(value).hasMatch()) {
        const qint64 points = value.isEmpty() ? DefaultPointCount : value.toLongLong();
        if (points < 1)
            return invalid(u"The number of data points must be at least 1"_s);
        if (points > MaxPointsPerSeries) {
            return invalid(
                u"The requested %1 data points per series exceed the limit of %2"_s.arg(points).arg(
                    MaxPointsPerSeries));
        }
        resolution.ms = niceResolution((frame.durationMs() + points - 1) / points);
    } else if (value.compare(u"Inf"_s, Qt::CaseInsensitive) == 0) {
        resolution.label = u"Inf"_s;
        return resolution;
    } else if (const auto m = span.match(value); m.hasMatch()) {
        const QChar unit = m.captured(2).at(0);
        if (!unitMs(unit)) {
            return invalid(
                u"Unsupported resolution unit '%1' in '%2' (the simulator knows s, m, h, d and w)"_s.arg(unit)
                    .arg(value));
        }
        resolution.ms = m.captured(1).toLongLong() * *unitMs(unit);
        if (resolution.ms < SecondMs)
            return invalid(u"The resolution must be at least 1s"_s);
    } else {
        return invalid(u"Invalid resolution '%1': expected a timespan such as 1m, 10s, 1h, a number of data "
                       "points or Inf"_s.arg(value));
    }

    resolution.label = format(resolution.ms);
    const qint64 slots = resolution.slotCount(frame);
    if (slots > MaxPointsPerSeries) {
        return invalid(
            u"Resolution %1 over this timeframe yields %2 data points per series, more than the limit "
            "of %3; use a coarser resolution or a shorter timeframe"_s.arg(resolution.label)
                .arg(slots)
                .arg(MaxPointsPerSeries));
    }
    return resolution;
}

} // namespace canary::sim
