#pragma once

#include <QString>

namespace canary::secrets {

// Keeps the tokens in this process's memory out of crash output: on Linux the process is made
// non-dumpable (no core file, no ptrace attach by another unprivileged process), so a crash cannot leave a
// core dump holding a token in the working directory or in systemd-coredump's store. Set
// CANARY_ALLOW_CORE_DUMPS=1 to keep core dumps for debugging. Sanitizer builds keep the process dumpable:
// LeakSanitizer needs to ptrace it.
//
// Returns what was done, for the log: "core dumps disabled", "core dumps allowed by
// CANARY_ALLOW_CORE_DUMPS", ...
QString protectCrashOutput();

// Whether a crash could write this process's memory to a core file.
bool isDumpable();

} // namespace canary::secrets
