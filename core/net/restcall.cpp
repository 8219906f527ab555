#include "restcall.h"

#include <QDateTime>
#include <QNetworkReply>
#include <QRandomGenerator>

#include "httpdiagnostics.h"
#include "redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::net {

namespace {

// Failures of the connection that a moment later may not happen again. A TLS error, a host name that does
// not resolve or a refusal by our own policy are answers that asking again cannot change.
bool isTransientTransportError(QNetworkReply::NetworkError error)
{
    switch (error) {
    case QNetworkReply::ConnectionRefusedError:
    case QNetworkReply::RemoteHostClosedError:
    case QNetworkReply::TimeoutError:
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::ProxyConnectionClosedError:
    case QNetworkReply::ProxyTimeoutError:
    case QNetworkReply::UnknownNetworkError:
        return true;
    default:
        return false;
    }
}

} // namespace

RestCall::RestCall(
    ReplyFactory start, const QByteArray &verb, int timeoutMs, const RetryPolicy &policy, QObject *parent)
    : QObject(parent)
    , m_start(std::move(start))
    , m_policy(RetryPolicy::isIdempotent(verb) ? policy : RetryPolicy::none())
    , m_timeoutMs(timeoutMs)
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, &RestCall::onTimeout);
    m_retryWait.setSingleShot(true);
    connect(&m_retryWait, &QTimer::timeout, this, &RestCall::startNextAttempt);
    QNetworkReply *reply = m_start();
    m_url = reply->url();
    attach(reply);
}

void RestCall::attach(QNetworkReply *reply)
{
    m_reply = reply;
    m_sslErrors.clear();
    m_refusedRedirect.clear();
    reply->setParent(this);
    connect(reply, &QNetworkReply::finished, this, &RestCall::onReplyFinished);
    // Only recorded: whether they are ignored is the client's policy (RestClient::setAllowInsecureTls).
    connect(reply, &QNetworkReply::sslErrors, this,
        [this](const QList<QSslError> &errors) { m_sslErrors = errors; });
    // Only requests with a redirect scope (RestClient::makeRequest) wait for this verdict.
    connect(reply, &QNetworkReply::redirected, this, [this, reply](const QUrl &to) {
        const QUrl scope = reply->request().attribute(RedirectScopeAttribute).toUrl();
        if (scope.isEmpty())
            return;
        const QUrl target = reply->url().resolved(to);
        if (withinRedirectScope(scope, target)) {
            Q_EMIT reply->redirectAllowed();
            return;
        }
        m_refusedRedirect = target;
        m_redirectScope = scope;
        reply->abort();
    });
    if (m_timeoutMs > 0)
        m_timeout.start(m_timeoutMs);
}

void RestCall::startNextAttempt()
{
    if (m_finished)
        return;
    ++m_attempt;
    attach(m_start());
}

RestCall::RestCall(const QUrl &url, const QString &errorString, QObject *parent)
    : QObject(parent)
    , m_url(url)
{
    HttpResponse response;
    response.url = url;
    response.failure = HttpResponse::Failure::Transport;
    response.errorString = errorString;
    // Queued, never from the constructor: the caller has not connected yet. Dropped with the call if it is
    // deleted (its client goes) before the event loop runs.
    QMetaObject::invokeMethod(
        this, [this, response] { finish(response); }, Qt::QueuedConnection);
}

RestCall::~RestCall()
{
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
    }
}

void RestCall::cancel()
{
    if (m_finished)
        return;
    m_abortReason = HttpResponse::Failure::Canceled;
    m_retryWait.stop();
    if (m_reply) {
        m_reply->abort(); // emits QNetworkReply::finished synchronously -> onReplyFinished
        return;
    }
    // A refused call not yet delivered: canceled instead, synchronously like any cancel.
    HttpResponse response;
    response.url = m_url;
    response.failure = HttpResponse::Failure::Canceled;
    response.errorString = u"canceled"_s;
    finish(std::move(response));
}

void RestCall::onTimeout()
{
    if (m_finished || !m_reply)
        return;
    m_abortReason = HttpResponse::Failure::Timeout;
    m_reply->abort();
}

void RestCall::onReplyFinished()
{
    m_timeout.stop();
    HttpResponse response;
    response.url = m_url;
    const QVariant status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    response.status = status.isValid() ? status.toInt() : 0;
    response.headers = m_reply->rawHeaderPairs();
    // abort() closes the reply, and reading a closed device only logs a warning.
    if (m_reply->isOpen())
        response.body = m_reply->readAll();

    if (m_abortReason == HttpResponse::Failure::Timeout) {
        response.failure = HttpResponse::Failure::Timeout;
        response.errorString = u"no answer from %1 within %2 s"_s.arg(m_url.host())
                                   .arg(m_timeout.interval() / 1000.0, 0, 'g', 3);
    } else if (m_abortReason == HttpResponse::Failure::Canceled) {
        response.failure = HttpResponse::Failure::Canceled;
        response.errorString = u"canceled"_s;
    } else if (!m_refusedRedirect.isEmpty()) {
        response.failure = HttpResponse::Failure::Transport;
        response.errorString = refusedRedirect(m_url, m_refusedRedirect, m_redirectScope);
    } else if (response.status == 0) {
        // No HTTP status at all: the request never got an answer.
        response.failure = HttpResponse::Failure::Transport;
        // Qt says only "SSL handshake failed" or "Insecure redirect": the user needs to know with which host
        // and why, and where a redirect pointed.
        response.errorString = transportFailure(m_url, *m_reply, m_sslErrors);
        if (response.errorString.isEmpty())
            response.errorString = m_reply->errorString();
    } else if (m_reply->error() != QNetworkReply::NoError
        && m_reply->error() < QNetworkReply::ContentAccessDenied
        && m_reply->error() != QNetworkReply::UnknownNetworkError) {
        // A status line arrived but the transfer broke off (reset mid-body, truncated chunking), or it was a
        // redirect to another origin, refused.
        response.failure = HttpResponse::Failure::Transport;
        response.errorString = transportFailure(m_url, *m_reply, m_sslErrors);
        if (response.errorString.isEmpty())
            response.errorString = m_reply->errorString();
    }

    // Also after a status line: a transfer that broke off left no answer. A refused redirect does not count.
    const bool transportRetryable = isTransientTransportError(m_reply->error());
    if (m_start && m_abortReason != HttpResponse::Failure::Canceled
        && RetryPolicy::isTransient(response, transportRetryable)) {
        const auto delay = m_policy.delayMs(response, m_attempt + 1, QDateTime::currentMSecsSinceEpoch(),
            QRandomGenerator::global()->generateDouble());
        if (delay) {
            // This attempt's reply is done with; the next one is a new request.
            m_reply->disconnect(this);
            m_reply->deleteLater();
            m_reply = nullptr;
            m_abortReason = HttpResponse::Failure::None;
            Q_EMIT retrying(m_attempt + 1, *delay, redactSecrets(RetryPolicy::reason(response)));
            m_retryWait.start(*delay);
            return;
        }
    }
    finish(std::move(response));
}

void RestCall::finish(HttpResponse response)
{
    if (m_finished)
        return;
    m_finished = true;
    // Qt's texts quote URLs, which may carry a token in their query or user info.
    response.errorString = redactSecrets(response.errorString);
    Q_EMIT finished(response);
    deleteLater();
}

} // namespace canary::net
