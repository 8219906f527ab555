#include "restcall.h"

#include <QNetworkReply>

using namespace Qt::Literals::StringLiterals;

namespace canary::net {

RestCall::RestCall(QNetworkReply *reply, int timeoutMs, QObject *parent)
    : QObject(parent)
    , m_reply(reply)
    , m_url(reply->url())
{
    reply->setParent(this);
    connect(reply, &QNetworkReply::finished, this, &RestCall::onReplyFinished);
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, &RestCall::onTimeout);
    if (timeoutMs > 0)
        m_timeout.start(timeoutMs);
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
    if (m_finished || !m_reply)
        return;
    m_abortReason = HttpResponse::Failure::Canceled;
    m_reply->abort(); // emits QNetworkReply::finished synchronously -> onReplyFinished
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
    } else if (response.status == 0) {
        // No HTTP status at all: the request never got an answer.
        response.failure = HttpResponse::Failure::Transport;
        response.errorString = m_reply->errorString();
    } else if (m_reply->error() != QNetworkReply::NoError
        && m_reply->error() < QNetworkReply::ContentAccessDenied
        && m_reply->error() != QNetworkReply::UnknownNetworkError) {
        // A status line arrived but the transfer broke off (reset mid-body, truncated chunking).
        response.failure = HttpResponse::Failure::Transport;
        response.errorString = m_reply->errorString();
    }
    finish(std::move(response));
}

void RestCall::finish(HttpResponse response)
{
    if (m_finished)
        return;
    m_finished = true;
    Q_EMIT finished(response);
    deleteLater();
}

} // namespace canary::net
