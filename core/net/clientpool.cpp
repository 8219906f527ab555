#include "clientpool.h"

namespace canary::net {

ClientPool::~ClientPool() = default;

RestClient *ClientPool::client(const QUrl &baseUrl, const QByteArray &authorization, int timeoutMs)
{
    // Compared whole, path included: two tenants behind one host (Managed's /e/<id>) are two clients.
    const QUrl base = baseUrl.adjusted(QUrl::StripTrailingSlash | QUrl::NormalizePathSegments);
    for (const Entry &entry : m_clients) {
        if (entry.baseUrl == base && entry.authorization == authorization && entry.timeoutMs == timeoutMs)
            return entry.client.get();
    }
    auto client = std::make_unique<RestClient>(baseUrl);
    client->setAuthorization(authorization);
    client->setTimeoutMs(timeoutMs);
    RestClient *made = client.get();
    m_clients.push_back(Entry { base, authorization, timeoutMs, std::move(client) });
    return made;
}

} // namespace canary::net
