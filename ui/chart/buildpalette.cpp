#include "buildpalette.h"

#include <array>

namespace canary::ui {

namespace {

// Distinguishable on light and dark backgrounds; the first two echo the workshop's purple and yellow.
constexpr std::array<QRgb, 8> Palette { 0x6f42c1, 0xe0a800, 0x1f9e89, 0xd6336c, 0x0d6efd, 0xfd7e14, 0x20c997,
    0x6c757d };

} // namespace

QColor BuildPalette::colorFor(const QString &build, bool isRemainder)
{
    if (isRemainder)
        return QColor(0x9e9e9e);
    auto it = m_assigned.constFind(build);
    if (it != m_assigned.cend())
        return it.value();
    const QColor color(Palette[std::size_t(m_assigned.size()) % Palette.size()]);
    m_assigned.insert(build, color);
    return color;
}

} // namespace canary::ui
