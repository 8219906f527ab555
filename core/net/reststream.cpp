#include "reststream.h"

#include <algorithm>

#include <QNetworkReply>

#include "httpdiagnostics.h"
#include "redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::net {

RestStream::RestStream(QNetworkReply *reply, int openTimeoutMs, int idleTimeoutMs, QObject *parent)
    : QObject(parent)
    , m_reply(reply)
    , m_url(reply->url())
    , m_openTimeoutMs(openTimeoutMs)
    , m_idleTimeoutMs(idleTimeoutMs)
{
    reply->setParent(this);
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, &RestStream::onTimeout);
    connect(reply, &QNetworkReply::metaDataChanged, this, &RestStream::onMetaData);
    connect(reply, &QNetworkReply::readyRead, this, &RestStream::onReadyRead);
    connect(reply, &QNetworkReply::finished, this, &RestStream::onFinished);
    connect(reply, &QNetworkReply::sslErrors, this,
        [this](const QList<QSslError> &errors) { m_sslErrors = errors; });
    if (m_openTimeoutMs > 0)
        m_timeout.start(m_openTimeoutMs);
}

RestStream::RestStream(const QUrl &url, const QString &errorString, QObject *parent)
    : QObject(parent)
    , m_url(url)
{
    HttpResponse response;
    response.url = url;
    response.failure = HttpResponse::Failure::Transport;
    response.errorString = errorString;
    QMetaObject::invokeMethod(
        this, [this, response] { finish(response); }, Qt::QueuedConnection);
}

RestStream::~RestStream()
{
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
    }
}

void RestStream::cancel()
{
    if (m_finished)
        return;
    m_abortReason = HttpResponse::Failure::Canceled;
    if (m_reply) {
        m_reply->abort(); // finished() synchronously -> onFinished
        return;
    }
    HttpResponse response;
    response.url = m_url;
    response.failure = HttpResponse::Failure::Canceled;
    response.errorString = u"canceled"_s;
    finish(std::move(response));
}

void RestStream::onMetaData()
{
    if (m_opened || !m_reply)
        return;
    const QVariant status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (!status.isValid())
        return; // a redirect's or an interim head
    m_opened = true;
    m_status = status.toInt();
    m_timeout.stop();
    if (!isStreaming()) {
        // An error's body is an answer, not a stream: it gets the open timeout as a whole, however it
        // trickles.
        m_timeout.start(std::max(1, m_openTimeoutMs));
    } else if (m_idleTimeoutMs > 0) {
        m_timeout.start(m_idleTimeoutMs);
    }
    Q_EMIT opened(m_status);
}

void RestStream::onReadyRead()
{
    if (!m_reply || m_finished)
        return;
    onMetaData();
    if (m_idleTimeoutMs > 0 && m_opened && isStreaming())
        m_timeout.start(m_idleTimeoutMs);
    const QByteArray bytes = m_reply->readAll();
    if (bytes.isEmpty())
        return;
    if (isStreaming()) {
        Q_EMIT data(bytes); // may delete this: nothing after it
        return;
    }
    m_errorBody += bytes.left(MaxErrorBodyBytes - m_errorBody.size());
    if (m_errorBody.size() >= MaxErrorBodyBytes)
        finishWithErrorBody(); // enough to say what went wrong; the rest is not waited for
}

void RestStream::finishWithErrorBody()
{
    HttpResponse response;
    response.url = m_url;
    response.status = m_status;
    response.headers = m_reply ? m_reply->rawHeaderPairs() : QList<QNetworkReply::RawHeaderPair>();
    response.body = m_errorBody;
    if (m_reply) {
        QObject::disconnect(m_reply, nullptr, this, nullptr);
        m_reply->abort();
    }
    finish(std::move(response));
}

void RestStream::onTimeout()
{
    if (m_finished || !m_reply)
        return;
    if (m_opened && !isStreaming())
        return finishWithErrorBody(); // the error as far as it came
    m_abortReason = HttpResponse::Failure::Timeout;
    m_reply->abort();
}

void RestStream::onFinished()
{
    m_timeout.stop();
    QPointer<RestStream> alive(this);
    // The last bytes may come with the end.
    if (m_reply && m_reply->isOpen() && m_reply->bytesAvailable() > 0)
        onReadyRead();
    if (!alive || m_finished)
        return;
    HttpResponse response;
    response.url = m_url;
    const QVariant status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    response.status = status.isValid() ? status.toInt() : 0;
    response.headers = m_reply->rawHeaderPairs();
    response.body = m_errorBody;
    if (m_abortReason == HttpResponse::Failure::Timeout) {
        response.failure = HttpResponse::Failure::Timeout;
        response.errorString = m_opened
            ? u"%1 went silent for %2 s"_s.arg(m_url.host()).arg(m_idleTimeoutMs / 1000.0)
            : u"no answer from %1 within %2 s"_s.arg(m_url.host()).arg(m_openTimeoutMs / 1000.0);
    } else if (m_abortReason == HttpResponse::Failure::Canceled) {
        response.failure = HttpResponse::Failure::Canceled;
        response.errorString = u"canceled"_s;
    } else if (response.status == 0) {
        response.failure = HttpResponse::Failure::Transport;
        // Which host, why, and where a refused redirect pointed: Qt's own text says none of it.
        response.errorString = transportFailure(m_url, *m_reply, m_sslErrors);
        if (response.errorString.isEmpty())
            response.errorString = m_reply->errorString();
    } else if (m_reply->error() != QNetworkReply::NoError
        && m_reply->error() < QNetworkReply::ContentAccessDenied
        && m_reply->error() != QNetworkReply::UnknownNetworkError) {
        // The stream broke off rather than ended (the caller must not take it for a complete answer), or a
        // redirect to another origin was refused.
        response.failure = HttpResponse::Failure::Transport;
        response.errorString = transportFailure(m_url, *m_reply, m_sslErrors);
        if (response.errorString.isEmpty())
            response.errorString = m_reply->errorString();
    }
    finish(std::move(response));
}

void RestStream::finish(HttpResponse response)
{
    if (m_finished)
        return;
    m_finished = true;
    m_timeout.stop();
    response.errorString = redactSecrets(response.errorString);
    Q_EMIT finished(response);
    deleteLater();
}

} // namespace canary::net
