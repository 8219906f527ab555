#pragma once

#include <QColor>
#include <QHash>
#include <QString>

namespace canary::ui {

// Gives every build a colour the first time it is seen and keeps it for the life of the window, so a
// build does not change colour when another appears or disappears. The remainder tuple is always grey.
class BuildPalette
{
public:
    QColor colorFor(const QString &build, bool isRemainder = false);

private:
    QHash<QString, QColor> m_assigned;
};

} // namespace canary::ui
