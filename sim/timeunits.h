#pragma once

#include <optional>

#include <QChar>

namespace canary::sim {

// The time units Dynatrace's from/to and resolution syntax share (the simulator also accepts seconds).
inline constexpr qint64 SecondMs = 1000;
inline constexpr qint64 MinuteMs = 60 * SecondMs;
inline constexpr qint64 HourMs = 60 * MinuteMs;
inline constexpr qint64 DayMs = 24 * HourMs;
inline constexpr qint64 WeekMs = 7 * DayMs;

inline std::optional<qint64> unitMs(QChar unit)
{
    switch (unit.unicode()) {
    case 's':
        return SecondMs;
    case 'm':
        return MinuteMs;
    case 'h':
        return HourMs;
    case 'd':
        return DayMs;
    case 'w':
        return WeekMs;
    default:
        return std::nullopt;
    }
}

// Rounds towards negative infinity: slots and seconds before the epoch must not fold onto slot 0.
constexpr qint64 floorDiv(qint64 value, qint64 divisor)
{
    const qint64 quotient = value / divisor;
    return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

} // namespace canary::sim
