#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>

#include "simerror.h"

namespace canary::sim {

// What a route answers: status, headers and body, written to the socket by SimServer.
struct HttpReply
{
    int status = 200;
    QList<QPair<QByteArray, QByteArray>> headers; // Content-Type and Content-Length are added by the server
    QByteArray body;
    QByteArray contentType = "application/json;charset=utf-8";

    static HttpReply json(QByteArray body, int status = 200);
    // Dynatrace's ErrorEnvelope: {"error":{"code":…,"message":…[,"constraintViolations":[…]]}}
    static HttpReply error(const SimError &error);
    static HttpReply error(int code, const QString &message);
};

} // namespace canary::sim
