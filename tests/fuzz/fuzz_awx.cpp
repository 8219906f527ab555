// AWX API v2: job templates (one and a page), launch pre-flight and result, jobs (one and a page), job
// stdout, DRF error bodies as errorFromResponse reads them, and extra_vars text.

#include "awx/awxparser.h"
#include "fuzzsupport.h"
#include "net/httpresponse.h"

using namespace canary::awx;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, std::size_t size)
{
    const QByteArrayView json = canary::fuzz::viewOf(data, size);
    (void)parseJobTemplate(json);
    (void)parseJobTemplatePage(json);
    (void)parseLaunchInfo(json);
    (void)parseLaunchResult(json);
    (void)parseJob(json);
    (void)parseJobPage(json);
    (void)parseStdoutContent(json);
    if (const auto body = parseErrorBody(json))
        (void)body->summary();
    (void)parseExtraVars(QString::fromUtf8(json));

    canary::net::HttpResponse response;
    response.url = QUrl(QStringLiteral("https://awx.example.com/api/v2/job_templates/9/launch/"));
    response.body = canary::fuzz::bytesOf(data, size);
    for (const int status : { 400, 403, 405 }) {
        response.status = status;
        const AwxError error = errorFromResponse(response);
        CANARY_FUZZ_CHECK(!error.message.isEmpty());
        (void)error.summary();
    }
    return 0;
}
