#include "processliveness.h"

#ifdef Q_OS_UNIX
#include <cerrno>
#include <limits>
#include <signal.h>
#endif

namespace canary {

bool processRunsHere(qint64 pid)
{
#ifdef Q_OS_UNIX
    if (pid <= 0 || pid > std::numeric_limits<pid_t>::max())
        return false;
    // Signal 0 checks without sending; EPERM means it exists but belongs to someone else.
    return ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
#else
    return pid > 0;
#endif
}

} // namespace canary
