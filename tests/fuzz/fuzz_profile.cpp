// A profile file written by hand (`key = value` lines). What it accepts must survive writing and reading
// back unchanged: profile export and import rely on it.

#include "fuzzsupport.h"
#include "profile/profilefile.h"

using namespace canary::profile;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
    const auto profile = readProfileText(canary::fuzz::viewOf(data, size), QStringLiteral("fuzz.profile"));
    if (!profile) {
        CANARY_FUZZ_CHECK(!profile.error().isEmpty());
        return 0;
    }
    const QByteArray written = writeProfileText(*profile);
    const auto reread = readProfileText(written, QStringLiteral("fuzz.profile"));
    CANARY_FUZZ_CHECK(reread);
    CANARY_FUZZ_CHECK(*reread == *profile);
    return 0;
}
