#include "tenantclient.h"

namespace canary::dynatrace {

void authorizeWithApiToken(net::RestClient &rest, const QString &apiToken)
{
    // Dynatrace's documented scheme for API tokens; a platform token would be "Bearer".
    rest.setAuthorization(QByteArrayLiteral("Api-Token ") + apiToken.toUtf8());
}

std::unique_ptr<net::RestClient> makeTenantClient(
    const QUrl &tenantUrl, const QString &apiToken, int timeoutMs, QObject *parent)
{
    auto rest = std::make_unique<net::RestClient>(tenantUrl, parent);
    authorizeWithApiToken(*rest, apiToken);
    rest->setTimeoutMs(timeoutMs);
    return rest;
}

} // namespace canary::dynatrace
