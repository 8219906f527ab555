#pragma once

#include <QList>
#include <QPointF>

namespace canary::ui {

// Thins a polyline for drawing: the x range [minX, maxX] is cut into `buckets` equal columns and each column
// keeps only its lowest and its highest point, in their original order, plus the line's first and last
// point. Drawn at one column per pixel this is indistinguishable from the full line (every peak and dip
// stays, and so does where a line starts and ends), and it bounds what Qt Charts has to stroke: its cost
// is per point, about 1 µs, whatever the width of the plot.
// `points` must be sorted by x and may cover only part of the range (a segment between two gaps): columns
// are cut from the whole range so that every line of a chart shares them. A line that thinning would not
// shorten is returned unchanged.
QList<QPointF> thinLine(const QList<QPointF> &points, double minX, double maxX, int buckets);

} // namespace canary::ui
