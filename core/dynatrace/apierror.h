#pragma once

#include <optional>

#include <QList>
#include <QMetaType>
#include <QString>
#include <QUrl>

namespace canary::net {
struct HttpResponse;
}

namespace canary::dynatrace {

struct ConstraintViolation
{
    QString path;
    QString message;
    QString parameterLocation; // QUERY | PATH | HEADER | PAYLOAD_BODY
    QString location;
};

// Every way a Dynatrace call can fail, as one value. `message` is Dynatrace's own text when it sent one.
struct ApiError
{
    enum class Kind {
        Transport, // no HTTP answer: refused, reset, DNS, TLS
        Timeout, // no complete answer in time
        Canceled, // the caller gave up
        Unauthorized, // 401: missing or invalid token
        Forbidden, // 403: token lacks a scope
        NotFound, // 404: unknown metric, wrong base URL
        BadRequest, // 400: selector parse error, constraint violations
        RateLimited, // 429
        ServerError, // 5xx
        HttpError, // any other non-2xx status
        MalformedJson, // 2xx with a body that is not JSON
        UnexpectedShape, // 2xx JSON that is not the documented shape
    };

    Kind kind = Kind::Transport;
    int httpStatus = 0;
    QString message;
    QList<ConstraintViolation> constraintViolations;
    QUrl url; // the endpoint, without query
    std::optional<int> retryAfterSeconds; // from Retry-After on 429/503

    // One line for a status bar or stderr, e.g.
    // "HTTP 401 from /api/v2/metrics/query: Missing authorization parameter."
    QString summary() const;
    // True for failures an operator fixes in the connection settings (host, network, token).
    bool isConnectionOrAuth() const;

    // The kind a non-2xx HTTP status stands for (an envelope read on its own carries only its code).
    static Kind kindForStatus(int status);
    static ApiError unexpectedShape(const QString &what);
    static ApiError malformedJson(const QString &parserMessage);
};

// Interprets a non-2xx or failed HTTP answer: transport failures, timeouts, Dynatrace's ErrorEnvelope
// (object or array form), and bodies that are not an envelope at all (proxies, HTML error pages).
ApiError errorFromResponse(const net::HttpResponse &response);

} // namespace canary::dynatrace

Q_DECLARE_METATYPE(canary::dynatrace::ApiError)
