// POST /api/v2/apiTokens/lookup: the token's name, scopes and expiry.

#include "dynatrace/tokenlookup.h"
#include "fuzzsupport.h"

using namespace canary::dynatrace;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
    if (const auto info = parseTokenInfo(canary::fuzz::viewOf(data, size)); !info)
        (void)info.error().summary();
    return 0;
}
