#pragma once

#include <QByteArray>
#include <QString>

#include "buildseries.h"

namespace canary::session {

// `canaryctl status --json`: {"builds":[{"build":…,"total":N,"points":[[epochMs, value|null],…]}], …}
QByteArray statusJson(const Snapshot &snapshot, const QString &entitySelector);

// `canaryctl status`: a small table, one line per build, for people.
QString statusText(const Snapshot &snapshot, qint64 nowMs);

} // namespace canary::session
