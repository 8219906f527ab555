#include "timeframe.h"

#include <QDate>
#include <QDateTime>
#include <QRegularExpression>
#include <QTime>

#include "timeunits.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

qint64 floorTo(qint64 value, qint64 step)
{
    const qint64 q = value / step;
    return (value % step != 0 && value < 0 ? q - 1 : q) * step;
}

const QString ExpectedForms
    = u"expected epoch milliseconds, an ISO 8601 date-time or now-<number><s|m|h|d|w>"_s;

} // namespace

canary::Expected<qint64, QString> Timeframe::parseTimestamp(const QString &text, qint64 nowMs)
{
    const QString value = text.trimmed();
    if (value.isEmpty())
        return QString(u"Empty timestamp: "_s + ExpectedForms);

    static const QRegularExpression epoch(u"^-?\\d{1,16}$"_s);
    if (epoch.match(value).hasMatch())
        return value.toLongLong();

    static const QRegularExpression relative(u"^now(?:-(\\d{1,9})([a-zA-Z]))?(?:/([a-zA-Z]))?$"_s);
    if (const auto m = relative.match(value); m.hasMatch()) {
        qint64 result = nowMs;
        if (m.hasCaptured(1)) {
            const QChar unit = m.captured(2).at(0);
            const auto step = unitMs(unit);
            if (!step)
                return u"Unsupported time unit '%1' in '%2' (the simulator knows s, m, h, d and w)"_s
                    .arg(unit)
                    .arg(value);
            result -= m.captured(1).toLongLong() * *step;
        }
        if (m.hasCaptured(3)) {
            const QChar unit = m.captured(3).at(0);
            const auto step = unitMs(unit);
            if (!step)
                return u"Unsupported alignment unit '%1' in '%2'"_s.arg(unit).arg(value);
            // Epoch day 0 was a Thursday: weeks align to Monday 00:00 UTC like ISO weeks.
            result = unit == u'w' ? floorTo(result - 4 * DayMs, WeekMs) + 4 * DayMs : floorTo(result, *step);
        }
        return result;
    }

    static const QRegularExpression iso(
        u"^(\\d{4})-(\\d{2})-(\\d{2})(?:[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d{1,9}))?)?)?"
        "(Z|[+-]\\d{2}(?::?\\d{2})?)?$"_s);
    if (const auto m = iso.match(value); m.hasMatch()) {
        const QDate date(m.captured(1).toInt(), m.captured(2).toInt(), m.captured(3).toInt());
        int millis = 0;
        if (m.hasCaptured(7))
            millis = QString(m.captured(7) + u"00"_s).left(3).toInt();
        const QTime time(m.captured(4).toInt(), m.captured(5).toInt(), m.captured(6).toInt(), millis);
        if (!date.isValid() || !time.isValid())
            return u"Invalid date or time in '%1'"_s.arg(value);
        qint64 ms = QDateTime(date, time, Qt::UTC).toMSecsSinceEpoch();
        const QString zone = m.captured(8);
        if (!zone.isEmpty() && zone != u"Z") {
            const QString digits = zone.mid(1).remove(u':');
            const int hours = digits.left(2).toInt();
            const int minutes = digits.size() > 2 ? digits.mid(2).toInt() : 0;
            if (hours > 18 || minutes > 59)
                return u"Invalid zone offset in '%1'"_s.arg(value);
            const qint64 offset = (hours * 60 + minutes) * MinuteMs;
            ms -= zone.startsWith(u'+') ? offset : -offset;
        }
        return ms;
    }

    return u"Invalid timestamp '%1': %2"_s.arg(value, ExpectedForms);
}

canary::Expected<Timeframe, SimError> Timeframe::parse(
    const std::optional<QString> &from, const std::optional<QString> &to, qint64 nowMs)
{
    Timeframe frame { nowMs - 2 * HourMs, nowMs };
    if (from) {
        const auto parsed = parseTimestamp(*from, nowMs);
        if (!parsed)
            return SimError::constraint(u"from"_s, parsed.error());
        frame.fromMs = parsed.value();
    }
    if (to) {
        const auto parsed = parseTimestamp(*to, nowMs);
        if (!parsed)
            return SimError::constraint(u"to"_s, parsed.error());
        frame.toMs = parsed.value();
    }
    if (frame.fromMs >= frame.toMs) {
        return SimError::constraint(u"from"_s,
            u"The start of the timeframe (%1) must be before its end (%2)"_s.arg(frame.fromMs)
                .arg(frame.toMs));
    }
    return frame;
}

} // namespace canary::sim
