#include "apierror.h"

#include <algorithm>

#include <QDateTime>

#include "metricsparser.h"
#include "net/httpdiagnostics.h"
#include "net/httpfailure.h"
#include "net/httpresponse.h"
#include "net/redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::dynatrace {

namespace {

std::optional<int> parseRetryAfter(const net::HttpResponse &response)
{
    const QByteArray raw = response.header("Retry-After").trimmed();
    if (raw.isEmpty())
        return std::nullopt;
    // Clamped to a day: anything longer is a misconfigured proxy, and the value must fit an int.
    constexpr qint64 maxWait = 24 * 3600;
    bool isNumber = false;
    const qlonglong seconds = raw.toLongLong(&isNumber);
    if (isNumber)
        return int(std::clamp<qint64>(seconds, 0, maxWait));

    const QDateTime until = net::parseHttpDate(raw);
    if (!until.isValid())
        return std::nullopt;
    // Measure against the server's own clock when it sent one: the local clock may be off by minutes.
    QDateTime now = net::parseHttpDate(response.header("Date"));
    if (!now.isValid())
        now = QDateTime::currentDateTimeUtc();
    return int(std::clamp<qint64>(now.secsTo(until), 0, maxWait));
}

QString endpointOf(const QUrl &url)
{
    const QString path = url.path();
    if (!path.isEmpty())
        return path;
    return url.host().isEmpty() ? u"server"_s : url.host();
}

QString hostAndPort(const QUrl &url)
{
    if (url.host().isEmpty())
        return u"server"_s;
    return url.port() < 0 ? url.host() : url.host() + u':' + QString::number(url.port());
}

QString violationsText(const QList<ConstraintViolation> &violations)
{
    QStringList parts;
    for (const auto &violation : violations) {
        if (violation.path.isEmpty())
            parts.append(violation.message);
        else if (violation.message.isEmpty())
            parts.append(violation.path);
        else
            parts.append(violation.path + u": "_s + violation.message);
    }
    parts.removeAll(QString());
    return parts.join(u"; "_s);
}

ApiError::Kind kindOf(net::HttpFailure::Kind failure, int status)
{
    using Failure = net::HttpFailure::Kind;
    switch (failure) {
    case Failure::Transport:
        return ApiError::Kind::Transport;
    case Failure::Timeout:
        return ApiError::Kind::Timeout;
    case Failure::Canceled:
        return ApiError::Kind::Canceled;
    case Failure::Unauthorized:
        return ApiError::Kind::Unauthorized;
    case Failure::Forbidden:
        return ApiError::Kind::Forbidden;
    case Failure::NotFound:
        return ApiError::Kind::NotFound;
    case Failure::ServerError:
        return ApiError::Kind::ServerError;
    case Failure::ClientError:
        if (status == 400)
            return ApiError::Kind::BadRequest;
        if (status == 429)
            return ApiError::Kind::RateLimited;
        break;
    case Failure::OtherStatus:
        break;
    }
    return ApiError::Kind::HttpError;
}

} // namespace

ApiError::Kind ApiError::kindForStatus(int status)
{
    return kindOf(net::HttpFailure::kindForStatus(status), status);
}

ApiError ApiError::unexpectedShape(const QString &what)
{
    ApiError error;
    error.kind = Kind::UnexpectedShape;
    error.message = what;
    return error;
}

ApiError ApiError::malformedJson(const QString &parserMessage)
{
    ApiError error;
    error.kind = Kind::MalformedJson;
    error.message = parserMessage;
    return error;
}

bool ApiError::isConnectionOrAuth() const
{
    switch (kind) {
    case Kind::Transport:
    case Kind::Timeout:
    case Kind::Unauthorized:
    case Kind::Forbidden:
        return true;
    default:
        return false;
    }
}

QString ApiError::summary() const
{
    // Server text may span lines (stack traces, HTML); a status bar shows one.
    const QString text = message.simplified();
    const QString endpoint = endpointOf(url);
    switch (kind) {
    case Kind::Transport:
        return u"cannot reach %1: %2"_s.arg(hostAndPort(url), text.isEmpty() ? u"no connection"_s : text);
    case Kind::Timeout:
        // RestCall already words it as "no answer from <host> within <n> s".
        return text.isEmpty() ? u"no answer from %1 in time"_s.arg(hostAndPort(url)) : text;
    case Kind::Canceled:
        return u"request to %1 canceled"_s.arg(endpoint);
    case Kind::MalformedJson:
        return u"malformed JSON from %1: %2"_s.arg(endpoint, text);
    case Kind::UnexpectedShape:
        return u"unexpected response from %1: %2"_s.arg(endpoint, text);
    case Kind::Unauthorized:
    case Kind::Forbidden:
    case Kind::NotFound:
    case Kind::BadRequest:
    case Kind::RateLimited:
    case Kind::ServerError:
    case Kind::HttpError:
        break;
    }

    // httpStatus 0: refused before sending (client-side validation); 2xx: the server answered but did not
    // do what was asked (an ingest that stored nothing). Neither is an "HTTP n" failure.
    QString line = httpStatus == 0              ? u"not sent to %1"_s.arg(endpoint)
        : httpStatus >= 200 && httpStatus < 300 ? u"%1"_s.arg(endpoint)
                                                : net::httpStatusLine(httpStatus, endpoint, {});
    if (const QString detail = text.isEmpty() ? net::reasonPhrase(httpStatus) : text; !detail.isEmpty())
        line += u": "_s + detail;
    const QString violations = violationsText(constraintViolations).simplified();
    if (!violations.isEmpty())
        line += u" ("_s + violations + u')';
    if (retryAfterSeconds)
        line += u" (retry after %1 s)"_s.arg(*retryAfterSeconds);
    return line;
}

ApiError errorFromResponse(const net::HttpResponse &response)
{
    const net::HttpFailure failure = net::classifyFailure(response);
    ApiError error;
    error.url = failure.endpoint;
    error.message = response.errorString;
    error.kind = kindOf(failure.kind, failure.status);
    if (!failure.isAnswer()) {
        // Cut off after a 2xx head (a truncated body): the server took the request; only its answer was
        // lost. Kept, so a caller can tell "not delivered" from "delivered, answer unreadable".
        if (failure.kind == net::HttpFailure::Kind::Transport && response.status >= 200
            && response.status < 300)
            error.httpStatus = response.status;
        return error;
    }

    if (response.status == 0) {
        // Nothing arrived, yet nobody called it a failure: still nothing an HTTP status could explain.
        error.kind = ApiError::Kind::Transport;
        if (error.message.isEmpty())
            error.message = u"no HTTP answer"_s;
        return error;
    }

    error.httpStatus = response.status;
    if (std::optional<ApiError> envelope = parseErrorEnvelope(QByteArrayView(response.body))) {
        // The server's own words go to dialogs, stderr and logs: a token it echoes back must not.
        error.message = net::redactSecrets(envelope->message);
        error.constraintViolations = envelope->constraintViolations;
        for (ConstraintViolation &violation : error.constraintViolations) {
            violation.message = net::redactSecrets(violation.message);
            violation.path = net::redactSecrets(violation.path);
        }
    } else {
        error.message = net::bodyExcerpt(response.body);
    }
    if (error.message.isEmpty())
        error.message = net::reasonPhrase(response.status);
    error.retryAfterSeconds = parseRetryAfter(response);
    return error;
}

} // namespace canary::dynatrace
