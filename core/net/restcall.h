#pragma once

#include <QList>
#include <QObject>
#include <QPointer>
#include <QSslError>
#include <QTimer>

#include "httpresponse.h"

class QNetworkReply;

namespace canary::net {

// One REST call: owns its reply, enforces the timeout, emits finished() exactly once, then deletes itself.
// Every errorString it delivers has gone through redactSecrets().
class RestCall final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RestCall)

public:
    RestCall(QNetworkReply *reply, int timeoutMs, QObject *parent = nullptr);
    // A call refused before any network activity (the client's security policy): delivers a Transport
    // failure with `errorString` from the event loop, like any other result, so callers connect first.
    RestCall(const QUrl &url, const QString &errorString, QObject *parent = nullptr);
    ~RestCall() override;

    QUrl url() const { return m_url; }
    bool isFinished() const { return m_finished; }
    void cancel();

Q_SIGNALS:
    void finished(const canary::net::HttpResponse &response);

private:
    void onReplyFinished();
    void onTimeout();
    void finish(HttpResponse response);

    QPointer<QNetworkReply> m_reply;
    QTimer m_timeout;
    QUrl m_url;
    QList<QSslError> m_sslErrors; // the last handshake's problems, named when they end the call
    HttpResponse::Failure m_abortReason = HttpResponse::Failure::None;
    bool m_finished = false;
};

} // namespace canary::net
