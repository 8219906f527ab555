#include "httpfailure.h"

#include "httpresponse.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::net {

bool HttpFailure::isAnswer() const
{
    return kind != Kind::Transport && kind != Kind::Timeout && kind != Kind::Canceled;
}

HttpFailure::Kind HttpFailure::kindForStatus(int status)
{
    switch (status) {
    case 401:
        return Kind::Unauthorized;
    case 403:
        return Kind::Forbidden;
    case 404:
        return Kind::NotFound;
    default:
        break;
    }
    if (status >= 400 && status < 500)
        return Kind::ClientError;
    if (status >= 500 && status < 600)
        return Kind::ServerError;
    return Kind::OtherStatus;
}

HttpFailure classifyFailure(const HttpResponse &response)
{
    HttpFailure failure;
    failure.endpoint = response.url.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo);
    switch (response.failure) {
    case HttpResponse::Failure::Transport:
        failure.kind = HttpFailure::Kind::Transport;
        return failure;
    case HttpResponse::Failure::Timeout:
        failure.kind = HttpFailure::Kind::Timeout;
        return failure;
    case HttpResponse::Failure::Canceled:
        failure.kind = HttpFailure::Kind::Canceled;
        return failure;
    case HttpResponse::Failure::None:
        break;
    }
    failure.status = response.status;
    failure.kind = HttpFailure::kindForStatus(response.status);
    return failure;
}

QString httpStatusLine(int status, const QString &endpoint, const QString &detail)
{
    QString line = u"HTTP "_s + QString::number(status);
    if (!endpoint.isEmpty())
        line += u" from "_s + endpoint;
    if (!detail.isEmpty())
        line += u": "_s + detail;
    return line;
}

} // namespace canary::net
