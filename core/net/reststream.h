#pragma once

#include <QObject>
#include <QPointer>
#include <QSslError>
#include <QTimer>

#include "httpresponse.h"

class QNetworkReply;

namespace canary::net {

// One long-lived GET whose body arrives over time (a Kubernetes watch): owns its reply, hands each piece of
// a successful answer on as it comes, and ends with finished() exactly once, then deletes itself. Never
// repeated: what to do after an end is the caller's choice (re-open from where it got to).
//
// Two limits instead of RestCall's one: the answer's head must come within `openTimeoutMs`, and after that
// some bytes within `idleTimeoutMs` (0: no limit), so a connection that died without a word is noticed.
class RestStream final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RestStream)

public:
    RestStream(QNetworkReply *reply, int openTimeoutMs, int idleTimeoutMs, QObject *parent = nullptr);
    // A stream refused before any network activity (the client's security policy): finished() comes from
    // the event loop with a Transport failure, so callers connect first.
    RestStream(const QUrl &url, const QString &errorString, QObject *parent = nullptr);
    ~RestStream() override;

    QUrl url() const { return m_url; }
    int status() const { return m_status; }
    // Ends the stream: finished() with Failure::Canceled, synchronously.
    void cancel();

Q_SIGNALS:
    // The answer's head arrived: `status` is its HTTP status. Only a 2xx answer's body comes as data().
    void opened(int status);
    void data(const QByteArray &bytes);
    // The end: the server closed a 2xx stream (failure None, no body), answered something else (its status
    // and whole body), or the connection failed, timed out or was canceled.
    void finished(const canary::net::HttpResponse &response);

private:
    void onMetaData();
    void onReadyRead();
    void onFinished();
    void onTimeout();
    void finish(HttpResponse response);

    QPointer<QNetworkReply> m_reply;
    QUrl m_url;
    QTimer m_timeout;
    QByteArray m_errorBody; // a non-2xx answer's body, delivered whole with finished()
    QList<QSslError> m_sslErrors;
    // Of an error's body, what is kept: enough for any API's message, bounded against one that never ends.
    static constexpr qsizetype MaxErrorBodyBytes = 64 * 1024;
    bool isStreaming() const { return m_status >= 200 && m_status < 300; }
    void finishWithErrorBody();

    int m_openTimeoutMs = 0;
    int m_idleTimeoutMs = 0;
    int m_status = 0;
    HttpResponse::Failure m_abortReason = HttpResponse::Failure::None;
    bool m_opened = false;
    bool m_finished = false;
};

} // namespace canary::net
