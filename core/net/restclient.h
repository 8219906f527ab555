#pragma once

#include <QNetworkAccessManager>
#include <QObject>

#include "restcall.h"
#include "urlbuilder.h"

namespace canary::net {

// The one HTTP entry point of an API client: base URL, credentials bound to the base URL's origin,
// timeouts, and no redirects to other origins. Each call returns a RestCall the caller connects to.
class RestClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RestClient)

public:
    static constexpr int DefaultTimeoutMs = 30'000;

    explicit RestClient(const QUrl &baseUrl, QObject *parent = nullptr);

    QUrl baseUrl() const { return m_baseUrl; }
    // The full Authorization header value (e.g. "Api-Token dt0c01..."); never logged.
    void setAuthorization(const QByteArray &headerValue) { m_authorization = headerValue; }
    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    int timeoutMs() const { return m_timeoutMs; }
    void setUserAgent(const QByteArray &agent) { m_userAgent = agent; }

    RestCall *get(const QString &path, const QueryItems &query = {});
    RestCall *send(const QByteArray &verb, const QString &path, const QueryItems &query,
        const QByteArray &body, const QByteArray &contentType = "application/json");

private:
    QNetworkRequest makeRequest(const QUrl &url) const;

    QNetworkAccessManager m_nam;
    QUrl m_baseUrl;
    QByteArray m_authorization;
    QByteArray m_userAgent;
    int m_timeoutMs = DefaultTimeoutMs;
};

} // namespace canary::net
