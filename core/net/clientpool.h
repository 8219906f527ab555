#pragma once

#include <memory>
#include <vector>

#include <QByteArray>
#include <QUrl>

#include "restclient.h"

namespace canary::net {

// The clients of one environment, one per base URL and credential: the AWX the traffic back-end launches on
// and the AWX the rollback runs on are one connection pool when they are the same server and the same
// token, and never share one when either differs — a credential goes only to the origin it was saved for.
class ClientPool final
{
    Q_DISABLE_COPY_MOVE(ClientPool)

public:
    ClientPool() = default;
    ~ClientPool();

    // The client for `baseUrl` with `authorization` (the whole header value) and the per-request timeout,
    // made on first use. Owned by the pool; lives as long as it.
    RestClient *client(const QUrl &baseUrl, const QByteArray &authorization, int timeoutMs);
    std::size_t size() const { return m_clients.size(); }

private:
    struct Entry
    {
        QUrl baseUrl;
        QByteArray authorization;
        int timeoutMs = 0;
        std::unique_ptr<RestClient> client;
    };
    std::vector<Entry> m_clients;
};

} // namespace canary::net
