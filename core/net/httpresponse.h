#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QPair>
#include <QString>
#include <QUrl>

namespace canary::net {

// What came back from one HTTP call, before any API-specific interpretation.
struct HttpResponse
{
    enum class Failure {
        None, // an HTTP answer arrived (any status)
        Transport, // no answer: refused, reset, DNS, TLS, ..., or not sent (the client's security policy)
        Timeout, // no complete answer within the request timeout
        Canceled, // the caller gave up
    };

    QUrl url;
    int status = 0;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    Failure failure = Failure::None;
    QString errorString; // transport-level text, empty for Failure::None; secrets masked (redactSecrets)

    bool isSuccess() const { return failure == Failure::None && status >= 200 && status < 300; }
    QByteArray header(const QByteArray &name) const;
};

// An HTTP date (IMF-fixdate, "Wed, 21 Oct 2015 07:28:00 GMT"; also asctime) as UTC; invalid when it is
// none. Used for Date, Retry-After and the like.
QDateTime parseHttpDate(const QByteArray &value);

} // namespace canary::net

Q_DECLARE_METATYPE(canary::net::HttpResponse)
