#pragma once

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace canary::net {
struct HttpResponse;
}

namespace canary::awx {

// Every way an AWX call can fail, as one value. `message` is AWX's own text when it sent one: DRF's "detail",
// or the field messages of a 400 joined into one line.
struct AwxError
{
    enum class Kind {
        Transport, // no HTTP answer: refused, reset, DNS, TLS
        Timeout, // no complete answer in time
        Canceled, // the caller gave up
        Unauthorized, // 401: missing, wrong or expired token; Basic auth disabled
        Forbidden, // 403: RBAC, or a read-scoped token asked to launch
        NotFound, // 404: unknown id or wrong API path; also a name no template has
        NotAllowed, // 405: e.g. canceling a job that already finished
        BadRequest, // 400: DRF field errors ({"variables_needed_to_start":[…]})
        ServerError, // 5xx
        HttpError, // any other non-2xx status
        MalformedJson, // 2xx with a body that is not JSON
        UnexpectedShape, // 2xx JSON that is not the documented shape
        Ambiguous, // a name that several templates share (names are unique per organization only)
    };

    // One entry of a DRF 400 body: {"field":["message", …]}; non-field errors come as "__all__".
    struct FieldError
    {
        QString field;
        QStringList messages;
    };

    Kind kind = Kind::Transport;
    int httpStatus = 0;
    QString message;
    QList<FieldError> fieldErrors;
    QUrl url; // the endpoint, without query

    // One line for a status bar or stderr:
    // "HTTP 403 from /api/v2/job_templates/7/launch/: You do not have permission to perform this action."
    QString summary() const;

    static Kind kindForStatus(int status);
    static AwxError unexpectedShape(const QString &what);
    static AwxError malformedJson(const QString &parserMessage);
    // "variables_needed_to_start: 'canary_weight' value missing; extra_vars: …" (no prefix for __all__).
    static QString joinFieldErrors(const QList<FieldError> &errors);
};

// Interprets a failed or non-2xx HTTP answer: transport failures, timeouts, DRF's error bodies, and bodies
// that are not JSON at all (a proxy's or gateway's HTML page).
AwxError errorFromResponse(const net::HttpResponse &response);

} // namespace canary::awx

Q_DECLARE_METATYPE(canary::awx::AwxError)
