#include "awxerror.h"

#include "awxparser.h"
#include "net/httpdiagnostics.h"
#include "net/httpfailure.h"
#include "net/httpresponse.h"
#include "net/redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::awx {

namespace {

using Kind = AwxError::Kind;

Kind kindOf(net::HttpFailure::Kind failure, int status)
{
    using Failure = net::HttpFailure::Kind;
    switch (failure) {
    case Failure::Transport:
        return Kind::Transport;
    case Failure::Timeout:
        return Kind::Timeout;
    case Failure::Canceled:
        return Kind::Canceled;
    case Failure::Unauthorized:
        return Kind::Unauthorized;
    case Failure::Forbidden:
        return Kind::Forbidden;
    case Failure::NotFound:
        return Kind::NotFound;
    case Failure::ServerError:
        return Kind::ServerError;
    case Failure::ClientError:
        if (status == 400)
            return Kind::BadRequest;
        if (status == 405)
            return Kind::NotAllowed;
        break;
    case Failure::OtherStatus:
        break;
    }
    return Kind::HttpError;
}

} // namespace

AwxError::Kind AwxError::kindForStatus(int status)
{
    return kindOf(net::HttpFailure::kindForStatus(status), status);
}

AwxError AwxError::unexpectedShape(const QString &what)
{
    AwxError error;
    error.kind = Kind::UnexpectedShape;
    error.message = u"unexpected answer: "_s + what;
    return error;
}

AwxError AwxError::malformedJson(const QString &parserMessage)
{
    AwxError error;
    error.kind = Kind::MalformedJson;
    error.message = u"the answer is not valid JSON: "_s + parserMessage;
    return error;
}

QString AwxError::joinFieldErrors(const QList<FieldError> &errors)
{
    QStringList parts;
    for (const FieldError &error : errors) {
        const QString messages = error.messages.join(u' ');
        parts.append(error.field == u"__all__"_s || error.field.isEmpty() ? messages
                                                                          : error.field + u": "_s + messages);
    }
    return parts.join(u"; "_s);
}

QString AwxError::summary() const
{
    const QString text = message.isEmpty() ? u"failed"_s : message;
    return httpStatus > 0 ? net::httpStatusLine(httpStatus, url.path(), text) : text;
}

AwxError errorFromResponse(const net::HttpResponse &response)
{
    const net::HttpFailure failure = net::classifyFailure(response);
    AwxError error;
    error.url = failure.endpoint;
    error.kind = kindOf(failure.kind, failure.status);
    switch (error.kind) {
    case Kind::Transport:
        error.message = response.errorString.isEmpty() ? u"no answer"_s : response.errorString;
        return error;
    case Kind::Timeout:
        error.message = response.errorString;
        return error;
    case Kind::Canceled:
        error.message = u"canceled"_s;
        return error;
    default:
        break;
    }

    error.httpStatus = response.status;
    if (auto body = parseErrorBody(QByteArrayView(response.body))) {
        // AWX echoes submitted values in field errors ("Invalid password: …"): never pass a secret on.
        error.message = net::redactSecrets(body->message);
        error.fieldErrors = body->fieldErrors;
        for (auto &fieldError : error.fieldErrors) {
            for (QString &message : fieldError.messages)
                message = net::redactSecrets(message);
        }
    }
    if (error.message.isEmpty())
        error.message = net::bodyExcerpt(response.body);
    if (error.message.isEmpty())
        error.message = net::reasonPhrase(response.status);
    return error;
}

} // namespace canary::awx
