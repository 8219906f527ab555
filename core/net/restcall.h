#pragma once

#include <functional>

#include <QList>
#include <QObject>
#include <QPointer>
#include <QSslError>
#include <QTimer>

#include "httpresponse.h"
#include "retrypolicy.h"

class QNetworkReply;

namespace canary::net {

// One REST call: owns its reply, enforces the timeout on each attempt, repeats a transient failure as its
// RetryPolicy allows (idempotent reads only), emits finished() exactly once with the last answer, then
// deletes itself. Every errorString it delivers has gone through redactSecrets().
class RestCall final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RestCall)

public:
    // Makes the request again for each attempt (the reply of one attempt cannot be reused).
    using ReplyFactory = std::function<QNetworkReply *()>;

    // `verb` decides whether `policy` may repeat the call at all (RetryPolicy::isIdempotent).
    RestCall(ReplyFactory start, const QByteArray &verb, int timeoutMs, const RetryPolicy &policy,
        QObject *parent = nullptr);
    // A call refused before any network activity (the client's security policy): delivers a Transport
    // failure with `errorString` from the event loop, like any other result, so callers connect first.
    RestCall(const QUrl &url, const QString &errorString, QObject *parent = nullptr);
    ~RestCall() override;

    QUrl url() const { return m_url; }
    bool isFinished() const { return m_finished; }
    int attempts() const { return m_attempt; }
    void cancel();

Q_SIGNALS:
    void finished(const canary::net::HttpResponse &response);
    // Attempt `nextAttempt` starts in `delayMs` because the last one failed for `reason`.
    void retrying(int nextAttempt, int delayMs, const QString &reason);

private:
    void attach(QNetworkReply *reply);
    void onReplyFinished();
    void onTimeout();
    void startNextAttempt();
    void finish(HttpResponse response);

    QPointer<QNetworkReply> m_reply;
    ReplyFactory m_start;
    RetryPolicy m_policy = RetryPolicy::none();
    int m_attempt = 1;
    int m_timeoutMs = 0;
    QTimer m_timeout;
    QTimer m_retryWait;
    QUrl m_url;
    QList<QSslError> m_sslErrors; // the last handshake's problems, named when they end the call
    QUrl m_refusedRedirect; // a redirect out of the client's base path, not followed
    QUrl m_redirectScope; // that base
    HttpResponse::Failure m_abortReason = HttpResponse::Failure::None;
    bool m_finished = false;
};

} // namespace canary::net
