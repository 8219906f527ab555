#include "restclient.h"

#include <algorithm>
#include <cstring>

#include <QBuffer>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QNetworkReply>
#include <QSslError>
#include <QSslSocket>

#include "httpdiagnostics.h"
#include "tlspolicy.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::net {

bool isLoopbackHost(const QString &host)
{
    QString name = host;
    if (name.endsWith(u'.'))
        name.chop(1); // the fully qualified "localhost."
    if (name.compare(u"localhost"_s, Qt::CaseInsensitive) == 0)
        return true;
    QHostAddress address;
    return address.setAddress(name) && address.isLoopback();
}

QString transportPolicyError(const QUrl &url)
{
    const QString scheme = url.scheme().toLower();
    if (scheme == u"https"_s)
        return {};
    if (scheme == u"http"_s) {
        if (isLoopbackHost(url.host()))
            return {};
        return u"refusing plain HTTP to %1: credentials would travel unencrypted; use https://"_s.arg(
            url.host());
    }
    if (scheme.isEmpty())
        return u"refusing a request without a scheme (%1): use https://"_s.arg(url.toDisplayString());
    return u"refusing %1:// to %2: only https:// is allowed (and http:// to this machine)"_s.arg(
        scheme, url.host());
}

RestClient::RestClient(const QUrl &baseUrl, QObject *parent)
    : QObject(parent)
    , m_baseUrl(baseUrl)
    , m_userAgent("CanaryConsole/" + QCoreApplication::applicationVersion().toLatin1())
{
    // Credentials must never follow a redirect to another origin.
    m_nam.setRedirectPolicy(QNetworkRequest::SameOriginRedirectPolicy);
    // The profile's TLS choices hold for every client without each caller having to remember them.
    const TlsPolicy policy = TlsPolicy::processDefault();
    m_allowInsecureTls = policy.allowInsecure;
    if (!policy.caBundle.isEmpty())
        m_caBundleError = setCaBundle(policy.caBundle);
}

RestClient::~RestClient()
{
    // Calls still under way abort their replies as they go, and aborting needs the access manager, a
    // member that would otherwise be gone before QObject deletes the children.
    qDeleteAll(findChildren<RestCall *>(Qt::FindDirectChildrenOnly));
    qDeleteAll(findChildren<RestStream *>(Qt::FindDirectChildrenOnly));
}

QNetworkRequest RestClient::makeRequest(const QUrl &url) const
{
    QNetworkRequest request(url);
    request.setRawHeader("Accept", "application/json");
    if (!m_userAgent.isEmpty())
        request.setHeader(QNetworkRequest::UserAgentHeader, m_userAgent);
    if (!m_ssl.isNull() || !m_caBundle.isEmpty()) {
        QSslConfiguration ssl = m_ssl.isNull() ? QSslConfiguration::defaultConfiguration() : m_ssl;
        if (!m_caBundle.isEmpty()) {
            // Beside, not instead of, what was trusted before: setting CAs stops Qt's on-demand loading of
            // the system's, so they are added explicitly when the configuration names none of its own.
            const QList<QSslCertificate> own
                = m_ssl.isNull() ? QList<QSslCertificate>() : m_ssl.caCertificates();
            ssl.setCaCertificates((own.isEmpty() ? m_systemCaCertificates : own) + m_caBundle);
        }
        // Never skip the check: with errors allowed they are still found, ignored and reported.
        if (ssl.peerVerifyMode() == QSslSocket::VerifyNone || ssl.peerVerifyMode() == QSslSocket::QueryPeer)
            ssl.setPeerVerifyMode(QSslSocket::VerifyPeer);
        request.setSslConfiguration(ssl);
    }
    if (!m_peerVerifyName.isEmpty())
        request.setPeerVerifyName(m_peerVerifyName);
    if (!m_authorization.isEmpty() && originOf(url) == originOf(m_baseUrl)) {
        request.setRawHeader("Authorization", m_authorization);
        // Same origin is not enough under a base path: /e/abc and /e/xyz on one host are two tenants.
        if (const QString path = m_baseUrl.path(); !path.isEmpty() && path != u"/"_s) {
            request.setAttribute(
                QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::UserVerifiedRedirectPolicy);
            request.setAttribute(RedirectScopeAttribute, m_baseUrl);
        }
    }
    return request;
}

QString RestClient::setCaBundle(const QString &pemPath)
{
    QFile file(pemPath);
    if (!file.open(QIODevice::ReadOnly))
        return u"cannot read the CA bundle %1: %2"_s.arg(
            QDir::toNativeSeparators(pemPath), file.errorString());
    QList<QSslCertificate> certificates = QSslCertificate::fromDevice(&file, QSsl::Pem);
    certificates.removeIf([](const QSslCertificate &certificate) { return certificate.isNull(); });
    if (certificates.isEmpty())
        return u"no PEM certificate in the CA bundle %1"_s.arg(QDir::toNativeSeparators(pemPath));
    if (m_systemCaCertificates.isEmpty())
        m_systemCaCertificates = QSslConfiguration::systemCaCertificates();
    m_caBundle = certificates;
    m_caBundleError.clear();
    return {};
}

bool RestClient::allowInsecureTls() const
{
    const bool configurationSkipsCheck = !m_ssl.isNull()
        && (m_ssl.peerVerifyMode() == QSslSocket::VerifyNone
            || m_ssl.peerVerifyMode() == QSslSocket::QueryPeer);
    return m_allowInsecureTls || configurationSkipsCheck;
}

QNetworkReply *RestClient::watchTls(QNetworkReply *reply)
{
    connect(reply, &QNetworkReply::sslErrors, this, [this, reply](const QList<QSslError> &errors) {
        if (!allowInsecureTls())
            return; // fatal: the call ends with a TLS error naming them
        reply->ignoreSslErrors(errors);
        m_insecureTlsUsed = true;
        const QString host = reply->url().host();
        const QString problems = describeSslErrors(errors);
        QMetaObject::invokeMethod(
            this,
            [this, host, problems] {
                Q_EMIT insecureTlsAccepted(host, problems);
                Q_EMIT TlsMonitor::instance()->insecureConnectionAccepted(host, problems);
            },
            Qt::QueuedConnection);
    });
    return reply;
}

RestCall *RestClient::start(const QByteArray &verb, RestCall::ReplyFactory makeReply)
{
    return new RestCall(std::move(makeReply), verb, m_timeoutMs, m_retryPolicy, this);
}

QString RestClient::refusalFor(const QUrl &url) const
{
    if (QString refusal = transportPolicyError(url); !refusal.isEmpty())
        return refusal;
    // A bundle the profile names but that cannot be read must not quietly fall back to the system's CAs
    // alone (that only looks like a certificate error later): the call says what is wrong.
    if (!m_caBundleError.isEmpty() && url.scheme() == u"https"_s)
        return m_caBundleError;
    return {};
}

RestCall *RestClient::get(const QString &path, const QueryItems &query)
{
    const QUrl url = buildUrl(m_baseUrl, path, query);
    if (const QString refusal = refusalFor(url); !refusal.isEmpty())
        return new RestCall(url, refusal, this);
    const QNetworkRequest request = makeRequest(url);
    return start("GET", [this, request] { return watchTls(m_nam.get(request)); });
}

RestStream *RestClient::stream(const QString &path, const QueryItems &query, int idleTimeoutMs)
{
    const QUrl url = buildUrl(m_baseUrl, path, query);
    if (const QString refusal = refusalFor(url); !refusal.isEmpty())
        return new RestStream(url, refusal, this);
    return new RestStream(watchTls(m_nam.get(makeRequest(url))), m_timeoutMs, idleTimeoutMs, this);
}

namespace {

// A request body that can be read once: Qt rewinds the body to send a request again, and this one refuses.
class OnceBody final : public QIODevice
{
public:
    explicit OnceBody(QByteArray data)
        : m_data(std::move(data))
    {
        open(QIODevice::ReadOnly);
    }

    bool isSequential() const override { return true; }
    qint64 bytesAvailable() const override { return m_data.size() - m_read + QIODevice::bytesAvailable(); }
    qint64 size() const override { return m_data.size(); }
    bool atEnd() const override { return m_read >= m_data.size() && QIODevice::bytesAvailable() == 0; }
    bool reset() override
    {
        if (m_read > 0)
            return false; // once sent, never again
        return QIODevice::reset();
    }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        const qint64 count = std::min(maxSize, m_data.size() - m_read);
        if (count <= 0)
            return m_read >= m_data.size() ? -1 : 0;
        std::memcpy(data, m_data.constData() + m_read, std::size_t(count));
        m_read += count;
        return count;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QByteArray m_data;
    qint64 m_read = 0;
};

} // namespace

RestCall *RestClient::sendOnce(const QByteArray &verb, const QString &path, const QueryItems &query,
    const QByteArray &body, const QByteArray &contentType)
{
    return sendBody(verb, path, query, body, contentType, Resend::Never);
}

RestCall *RestClient::send(const QByteArray &verb, const QString &path, const QueryItems &query,
    const QByteArray &body, const QByteArray &contentType)
{
    return sendBody(verb, path, query, body, contentType, Resend::AsQtDoes);
}

RestCall *RestClient::sendBody(const QByteArray &verb, const QString &path, const QueryItems &query,
    const QByteArray &body, const QByteArray &contentType, Resend resend)
{
    const QUrl url = buildUrl(m_baseUrl, path, query);
    if (const QString refusal = refusalFor(url); !refusal.isEmpty())
        return new RestCall(url, refusal, this);
    QNetworkRequest request = makeRequest(url);
    if (!contentType.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    if (resend == Resend::AsQtDoes) {
        return start(verb,
            [this, request, verb, body] { return watchTls(m_nam.sendCustomRequest(request, verb, body)); });
    }
    request.setHeader(QNetworkRequest::ContentLengthHeader, body.size());
    // Streamed from the device rather than copied into a buffer Qt could rewind.
    request.setAttribute(QNetworkRequest::DoNotBufferUploadDataAttribute, true);
    return start(verb, [this, request, verb, body] {
        auto *device = new OnceBody(body);
        QNetworkReply *reply = m_nam.sendCustomRequest(request, verb, device);
        device->setParent(reply);
        return watchTls(reply);
    });
}

} // namespace canary::net
