#pragma once

#include <QtGlobal>

namespace canary {

// Whether a process with `pid` runs on this machine now (a process of another user counts). A pid that
// cannot be one (0, negative, past pid_t) runs nowhere. Elsewhere than Unix it cannot tell and says true,
// so only expiries free what such a process holds.
bool processRunsHere(qint64 pid);

} // namespace canary
