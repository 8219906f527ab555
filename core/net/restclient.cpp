#include "restclient.h"

#include <QBuffer>
#include <QCoreApplication>
#include <QNetworkReply>

using namespace Qt::Literals::StringLiterals;

namespace canary::net {

RestClient::RestClient(const QUrl &baseUrl, QObject *parent)
    : QObject(parent)
    , m_baseUrl(baseUrl)
    , m_userAgent("CanaryConsole/" + QCoreApplication::applicationVersion().toLatin1())
{
    // Credentials must never follow a redirect to another origin.
    m_nam.setRedirectPolicy(QNetworkRequest::SameOriginRedirectPolicy);
}

RestClient::~RestClient()
{
    // Calls still under way abort their replies as they go, and aborting needs the access manager, a
    // member that would otherwise be gone before QObject deletes the children.
    qDeleteAll(findChildren<RestCall *>(Qt::FindDirectChildrenOnly));
}

QNetworkRequest RestClient::makeRequest(const QUrl &url) const
{
    QNetworkRequest request(url);
    request.setRawHeader("Accept", "application/json");
    if (!m_userAgent.isEmpty())
        request.setHeader(QNetworkRequest::UserAgentHeader, m_userAgent);
    if (!m_ssl.isNull())
        request.setSslConfiguration(m_ssl);
    if (!m_peerVerifyName.isEmpty())
        request.setPeerVerifyName(m_peerVerifyName);
    if (!m_authorization.isEmpty() && originOf(url) == originOf(m_baseUrl))
        request.setRawHeader("Authorization", m_authorization);
    return request;
}

RestCall *RestClient::get(const QString &path, const QueryItems &query)
{
    const QUrl url = buildUrl(m_baseUrl, path, query);
    return new RestCall(m_nam.get(makeRequest(url)), m_timeoutMs, this);
}

RestCall *RestClient::send(const QByteArray &verb, const QString &path, const QueryItems &query,
    const QByteArray &body, const QByteArray &contentType)
{
    const QUrl url = buildUrl(m_baseUrl, path, query);
    QNetworkRequest request = makeRequest(url);
    if (!contentType.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    return new RestCall(m_nam.sendCustomRequest(request, verb, body), m_timeoutMs, this);
}

} // namespace canary::net
