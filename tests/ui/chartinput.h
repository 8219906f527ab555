#pragma once

#include <optional>

#include <QTest>

#include "chart/requestchart.h"

namespace canary::testing {

// Mouse presses go to the widget under the point (the chart view's viewport), as a real click would.
inline void clickAt(QWidget &widget, QPoint pos)
{
    QWidget *target = widget.childAt(pos);
    QVERIFY(target);
    QTest::mouseClick(target, Qt::LeftButton, {}, target->mapFrom(&widget, pos));
}

// The chart lays itself out in steps (plot first, then axis labels and the legend): a marker is where a
// user would see it once it stops moving between two passes of the event loop.
inline bool markerSettles(ui::RequestChart &chart, const QString &id)
{
    std::optional<QPoint> previous;
    return QTest::qWaitFor([&] {
        const auto now = chart.markerPosition(id);
        const bool settled = now && now == previous;
        previous = now;
        return settled;
    });
}

} // namespace canary::testing
