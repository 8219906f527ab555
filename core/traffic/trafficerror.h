#pragma once

#include <QMetaType>
#include <QString>

namespace canary::traffic {

// Every way reading or applying a split can fail, whatever the back-end. `message` is the back-end's own
// text (AWX's DRF detail, Kubernetes' Status message, a job's job_explanation) when it sent one.
struct TrafficError
{
    enum class Kind {
        InvalidInput, // a weight outside 0..100, a malformed object reference
        Configuration, // missing URL/template/object, unsupported kubeconfig user (exec plugin)
        Transport, // no HTTP answer
        Timeout, // no answer in time, or a job that never finished
        Unauthorized, // 401
        Forbidden, // 403 (e.g. a read-scoped AWX token launching)
        NotFound, // 404: template, object or base path
        Conflict, // 409: the object changed since it was read
        Rejected, // 400/422: the back-end refused the request (validation, admission webhook)
        IgnoredVariables, // AWX accepted the launch but dropped extra vars it does not prompt for
        JobFailed, // the AWX job ended failed/error/canceled
        ServerError, // 5xx
        UnexpectedShape, // an answer that is not the documented shape
        NotConfirmed, // the back-end reported success but reads back another split
        Busy, // another process holds the target's lease past the request timeout
        StoreUnusable, // the audit log could not be written (or read): nothing was sent
        Held, // the guard-rails held the increase when judged again under the target's lease
    };

    Kind kind = Kind::Transport;
    int httpStatus = 0;
    QString backend; // "AWX", "Kubernetes", "simulator"
    QString message;
    QString detail; // where: a job URL, an object path
    // The request may have reached the back-end and its answer was lost or unreadable (a timeout, a cut
    // connection, a 2xx that cannot be parsed): whether traffic moved is not known until it is read.
    bool outcomeUnknown = false;

    // One line: "AWX: HTTP 403: You do not have permission to perform this action."
    QString summary() const;
};

} // namespace canary::traffic

Q_DECLARE_METATYPE(canary::traffic::TrafficError)
