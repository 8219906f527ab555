#pragma once

#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QSslCertificate>
#include <QSslConfiguration>

#include "restcall.h"
#include "reststream.h"
#include "retrypolicy.h"
#include "urlbuilder.h"

namespace canary::net {

// 127.0.0.0/8, ::1 and "localhost": where plain HTTP never leaves the machine.
bool isLoopbackHost(const QString &host);
// Why the security policy refuses to send a request to `url`, empty when it does not: only https://, and
// http:// to a loopback host. Profiles can check a URL with it before any client is made.
QString transportPolicyError(const QUrl &url);

// The one HTTP entry point of an API client: base URL, credentials bound to the base URL's origin,
// timeouts, and no redirects to other origins. Each call returns a RestCall the caller connects to.
//
// Security policy, for every call of every client:
// - HTTPS only, except to a loopback host: a refused call fails (Transport, transportPolicyError()) without
//   touching the network, delivered through RestCall::finished like any other failure;
// - TLS errors end the call, with an errorString naming the problem, unless setAllowInsecureTls(true);
// - credentials never go to another origin: redirects are followed within the origin only;
// - error strings are passed through redactSecrets().
class RestClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RestClient)

public:
    static constexpr int DefaultTimeoutMs = 30'000;

    explicit RestClient(const QUrl &baseUrl, QObject *parent = nullptr);
    ~RestClient() override;

    QUrl baseUrl() const { return m_baseUrl; }
    // The full Authorization header value (for a tenant: dynatrace::authorizeWithApiToken); never logged.
    void setAuthorization(const QByteArray &headerValue) { m_authorization = headerValue; }
    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    int timeoutMs() const { return m_timeoutMs; }
    // How GET and HEAD calls repeat transient failures (retrypolicy.h); writes never repeat. Default:
    // RetryPolicy's defaults.
    void setRetryPolicy(const RetryPolicy &policy) { m_retryPolicy = policy; }
    RetryPolicy retryPolicy() const { return m_retryPolicy; }
    void setUserAgent(const QByteArray &agent) { m_userAgent = agent; }
    // TLS for every call (CA, client certificate, verify mode); a null configuration keeps Qt's default.
    // A verify mode that does not check the server (VerifyNone, QueryPeer: kubeconfig's
    // insecure-skip-tls-verify) counts as setAllowInsecureTls(true): the certificate is still checked, so
    // what was accepted is reported through insecureTlsAccepted().
    void setSslConfiguration(const QSslConfiguration &ssl) { m_ssl = ssl; }
    // The profile's CA bundle: the PEM certificates in `pemPath` are trusted for every call, beside the
    // system's CAs (or the SSL configuration's own). Returns why nothing was added (unreadable file, no PEM
    // certificate in it), empty on success; a second bundle replaces the first.
    // Every client starts with the process's TlsPolicy (tlspolicy.h); these override it for one client.
    QString setCaBundle(const QString &pemPath);
    QList<QSslCertificate> caBundle() const { return m_caBundle; }
    // Off by default: any TLS error (unknown CA, wrong host name, expired) ends the call. On: the errors are
    // ignored, insecureTlsUsed() turns true and insecureTlsAccepted() is emitted for each connection that
    // needed it, so the GUI can show a red banner.
    void setAllowInsecureTls(bool allow) { m_allowInsecureTls = allow; }
    bool allowInsecureTls() const;
    bool insecureTlsUsed() const { return m_insecureTlsUsed; }
    // The name the server's certificate must carry, when it is not the base URL's host (kubeconfig's
    // tls-server-name); empty: the host.
    void setPeerVerifyName(const QString &name) { m_peerVerifyName = name; }

    RestCall *get(const QString &path, const QueryItems &query = {});
    RestCall *send(const QByteArray &verb, const QString &path, const QueryItems &query,
        const QByteArray &body, const QByteArray &contentType = "application/json");
    // send() for a request that must reach the server at most once (an AWX launch starts a job each time it
    // arrives). Qt's HTTP/1.1 layer sends a request again on its own when a kept-alive connection closes
    // before the answer, POST included (qhttpnetworkconnectionchannel.cpp, _q_error → resendCurrentRequest);
    // it cannot when the body cannot be rewound, and ends the call with an error instead. The caller then
    // finds out what happened (e.g. by the change id it sent) rather than doing it twice.
    RestCall *sendOnce(const QByteArray &verb, const QString &path, const QueryItems &query,
        const QByteArray &body, const QByteArray &contentType = "application/json");
    // A long-lived GET read as it arrives (a watch), with every setting of the client's other calls (the
    // credentials, TLS, the security policy); its head must come within timeoutMs(), its body may then take
    // as long as it keeps sending something at least every `idleTimeoutMs` (0: no limit).
    RestStream *stream(const QString &path, const QueryItems &query, int idleTimeoutMs);

Q_SIGNALS:
    // A TLS connection to `host` went on despite `errors` (describeSslErrors): allowed by the profile, but
    // not secure. Queued, never emitted from inside a call.
    void insecureTlsAccepted(const QString &host, const QString &errors);

private:
    enum class Resend { AsQtDoes, Never };
    RestCall *sendBody(const QByteArray &verb, const QString &path, const QueryItems &query,
        const QByteArray &body, const QByteArray &contentType, Resend resend);
    QNetworkRequest makeRequest(const QUrl &url) const;
    QString refusalFor(const QUrl &url) const;
    QNetworkReply *watchTls(QNetworkReply *reply);
    RestCall *start(const QByteArray &verb, RestCall::ReplyFactory makeReply);

    QNetworkAccessManager m_nam;
    QUrl m_baseUrl;
    QByteArray m_authorization;
    QByteArray m_userAgent;
    QSslConfiguration m_ssl;
    QList<QSslCertificate> m_caBundle;
    QList<QSslCertificate> m_systemCaCertificates; // read once, when a bundle is set
    QString m_peerVerifyName;
    QString m_caBundleError; // the process policy's bundle could not be read
    int m_timeoutMs = DefaultTimeoutMs;
    RetryPolicy m_retryPolicy;
    bool m_allowInsecureTls = false;
    bool m_insecureTlsUsed = false;
};

} // namespace canary::net
