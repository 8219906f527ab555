// A failed Dynatrace call: the error envelope, the status, Retry-After (seconds or an HTTP date, measured
// against the server's Date) and the redaction of what the server echoes.
//
// Input: the body; its first line doubles as Retry-After and its second as Date, so the JSON seeds still
// parse as bodies while the mutator reaches the date parser.

#include "dynatrace/apierror.h"
#include "fuzzsupport.h"
#include "net/httpresponse.h"

using namespace canary::dynatrace;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
    canary::net::HttpResponse response;
    response.url = QUrl(QStringLiteral("https://abc12345.live.dynatrace.com/api/v2/metrics/query?x=1"));
    response.body = canary::fuzz::bytesOf(data, size);
    const QList<QByteArray> lines = response.body.split('\n');
    response.headers.append({ "Retry-After", lines.value(0) });
    response.headers.append({ "Date", lines.value(1) });
    for (const int status : { 400, 429, 503 }) {
        response.status = status;
        const ApiError error = errorFromResponse(response);
        CANARY_FUZZ_CHECK(!error.message.isEmpty());
        if (error.retryAfterSeconds)
            CANARY_FUZZ_CHECK(*error.retryAfterSeconds >= 0 && *error.retryAfterSeconds <= 24 * 3600);
        (void)error.summary();
    }
    return 0;
}
