#pragma once

#include <QNetworkAccessManager>
#include <QObject>
#include <QSslConfiguration>

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
    ~RestClient() override;

    QUrl baseUrl() const { return m_baseUrl; }
    // The full Authorization header value (e.g. "Api-Token dt0c01..."); never logged.
    void setAuthorization(const QByteArray &headerValue) { m_authorization = headerValue; }
    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    int timeoutMs() const { return m_timeoutMs; }
    void setUserAgent(const QByteArray &agent) { m_userAgent = agent; }
    // TLS for every call (CA, client certificate, verify mode); a null configuration keeps Qt's default.
    void setSslConfiguration(const QSslConfiguration &ssl) { m_ssl = ssl; }
    // The name the server's certificate must carry, when it is not the base URL's host (kubeconfig's
    // tls-server-name); empty: the host.
    void setPeerVerifyName(const QString &name) { m_peerVerifyName = name; }

    RestCall *get(const QString &path, const QueryItems &query = {});
    RestCall *send(const QByteArray &verb, const QString &path, const QueryItems &query,
        const QByteArray &body, const QByteArray &contentType = "application/json");

private:
    QNetworkRequest makeRequest(const QUrl &url) const;

    QNetworkAccessManager m_nam;
    QUrl m_baseUrl;
    QByteArray m_authorization;
    QByteArray m_userAgent;
    QSslConfiguration m_ssl;
    QString m_peerVerifyName;
    int m_timeoutMs = DefaultTimeoutMs;
};

} // namespace canary::net
