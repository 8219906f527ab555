#include "awxerror.h"

#include "awxparser.h"
#include "net/httpdiagnostics.h"
#include "net/httpresponse.h"
#include "net/redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::awx {

AwxError::Kind AwxError::kindForStatus(int status)
{
    switch (status) {
    case 400:
        return Kind::BadRequest;
    case 401:
        return Kind::Unauthorized;
    case 403:
        return Kind::Forbidden;
    case 404:
        return Kind::NotFound;
    case 405:
        return Kind::NotAllowed;
    default:
        return status >= 500 && status <= 599 ? Kind::ServerError : Kind::HttpError;
    }
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
    QString text;
    if (httpStatus > 0) {
        text = u"HTTP %1"_s.arg(httpStatus);
        if (!url.isEmpty())
            text += u" from "_s + url.path();
        text += u": "_s;
    }
    return text + (message.isEmpty() ? u"failed"_s : message);
}

AwxError errorFromResponse(const net::HttpResponse &response)
{
    using Failure = net::HttpResponse::Failure;
    AwxError error;
    error.url = response.url.adjusted(QUrl::RemoveQuery);
    switch (response.failure) {
    case Failure::Transport:
        error.kind = AwxError::Kind::Transport;
        error.message = response.errorString.isEmpty() ? u"no answer"_s : response.errorString;
        return error;
    case Failure::Timeout:
        error.kind = AwxError::Kind::Timeout;
        error.message = response.errorString;
        return error;
    case Failure::Canceled:
        error.kind = AwxError::Kind::Canceled;
        error.message = u"canceled"_s;
        return error;
    case Failure::None:
        break;
    }

    error.httpStatus = response.status;
    error.kind = AwxError::kindForStatus(response.status);
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
