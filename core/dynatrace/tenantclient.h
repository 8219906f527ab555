#pragma once

#include <memory>

#include <QString>
#include <QUrl>

#include "net/restclient.h"

namespace canary::dynatrace {

// The one place a Dynatrace API token becomes a request header. Every client of a tenant's Environment API
// (metrics, events, problems, settings, the simulator's router that shares its token) gets its credentials
// here, so the header's form, and the rule that it goes to the tenant's origin only (RestClient follows no
// redirect elsewhere), are written once.
void authorizeWithApiToken(net::RestClient &rest, const QString &apiToken);

// A client for the tenant at `tenantUrl` with the token and the per-request timeout: what a composition root
// makes once per tenant and hands to every Dynatrace client it builds.
std::unique_ptr<net::RestClient> makeTenantClient(const QUrl &tenantUrl, const QString &apiToken,
    int timeoutMs = net::RestClient::DefaultTimeoutMs, QObject *parent = nullptr);

} // namespace canary::dynatrace
