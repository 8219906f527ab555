#include "processguard.h"

#if defined(Q_OS_LINUX)
#include <sys/prctl.h>
#endif

using namespace Qt::Literals::StringLiterals;

namespace canary::secrets {

namespace {

constexpr bool sanitized =
#if defined(__SANITIZE_ADDRESS__)
    true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    true;
#else
    false;
#endif
#else
    false;
#endif

} // namespace

QString protectCrashOutput()
{
#if defined(Q_OS_LINUX)
    if (qEnvironmentVariableIntValue("CANARY_ALLOW_CORE_DUMPS") == 1)
        return u"core dumps allowed by CANARY_ALLOW_CORE_DUMPS"_s;
    if (sanitized)
        return u"core dumps left as they are: sanitizer build"_s;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return u"core dumps could not be disabled"_s;
    return u"core dumps disabled"_s;
#else
    return u"core dumps left to the platform"_s;
#endif
}

bool isDumpable()
{
#if defined(Q_OS_LINUX)
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0;
#else
    return true;
#endif
}

} // namespace canary::secrets
