#pragma once

#include <QString>
#include <QUrl>

namespace canary::net {

struct HttpResponse;

// How an HTTP call failed, before any API reads the body: the part dynatrace::ApiError, awx::AwxError and
// kube::KubeError share. Each maps `kind` onto its own kinds, adding the statuses its API gives a meaning of
// their own (Dynatrace's 429, AWX's 405, Kubernetes' 409), and reads its own error body.
struct HttpFailure
{
    enum class Kind {
        Transport, // no HTTP answer: refused, reset, DNS, TLS, or not sent (the client's security policy)
        Timeout, // no complete answer in time
        Canceled, // the caller gave up
        Unauthorized, // 401
        Forbidden, // 403
        NotFound, // 404
        ClientError, // any other 4xx
        ServerError, // 5xx
        OtherStatus, // any other status: 1xx, 2xx, a redirect not followed, none at all (0), beyond 599
    };

    Kind kind = Kind::Transport;
    int status = 0; // the status that decided `kind`; 0 for Transport, Timeout and Canceled
    QUrl endpoint; // the URL called, without query, fragment or user info: fit for a message

    // Whether an HTTP status decided the kind (everything but Transport, Timeout and Canceled).
    bool isAnswer() const;

    // The broad category of a status: Unauthorized … OtherStatus.
    static Kind kindForStatus(int status);
};

HttpFailure classifyFailure(const HttpResponse &response);

// "HTTP 403 from /api/v2/jobs/5/: <detail>"; without " from …" when `endpoint` is empty and without ": …"
// when `detail` is.
QString httpStatusLine(int status, const QString &endpoint, const QString &detail);

} // namespace canary::net
