// Metrics API v2: the query answer, a metric's descriptor and the error envelope, all from one input
// (a body that one of them rejects is still a body the others must survive).

#include "dynatrace/metricsparser.h"
#include "fuzzsupport.h"

using namespace canary::dynatrace;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
    const QByteArrayView json = canary::fuzz::viewOf(data, size);
    if (const auto parsed = parseMetricData(json))
        (void)parsed->result.size();
    else
        (void)parsed.error().summary();
    if (const auto descriptor = parseMetricDescriptor(json); !descriptor)
        (void)descriptor.error().summary();
    if (const auto envelope = parseErrorEnvelope(json))
        (void)envelope->summary();
    return 0;
}
