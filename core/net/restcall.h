#pragma once

#include <QObject>
#include <QPointer>
#include <QTimer>

#include "httpresponse.h"

class QNetworkReply;

namespace canary::net {

// One REST call: owns its reply, enforces the timeout, emits finished() exactly once, then deletes itself.
class RestCall final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RestCall)

public:
    RestCall(QNetworkReply *reply, int timeoutMs, QObject *parent = nullptr);
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
    HttpResponse::Failure m_abortReason = HttpResponse::Failure::None;
    bool m_finished = false;
};

} // namespace canary::net
