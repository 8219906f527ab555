#include "kubeerror.h"

#include <nlohmann/json.hpp>

#include "net/httpdiagnostics.h"
#include "net/httpfailure.h"
#include "net/httpresponse.h"
#include "net/redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::kube {

namespace {

using Kind = KubeError::Kind;

constexpr qsizetype MaxExcerptLength = 200;

QString stringAt(const nlohmann::json &object, const char *key)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? QString::fromStdString(it->get<std::string>()) : QString();
}

// A body that is not a Status: the API server's own plain-text 404, or whatever a proxy in front of it says.
QString messageFromOtherBody(const net::HttpResponse &response, const ObjectRef &object)
{
    const QString text = QString::fromUtf8(response.body.left(4096)).simplified();
    if (response.status == 404 && (text.isEmpty() || text == u"404 page not found"_s)) {
        // The API server answers a path under an API group it does not serve this way, not with a Status.
        return u"the cluster does not serve %1 %2 (is the CRD installed?%3)"_s.arg(object.apiVersion(),
            object.resource(),
            object.kind == ObjectRef::Kind::TraefikService && object.apiGroup() == u"traefik.io"_s
                ? u" Traefik before v3 serves traefik.containo.us"_s
                : QString());
    }
    if (text.startsWith(u'<'))
        return u"the answer is an HTML page, not a Kubernetes Status: is a proxy in front of the API server?"_s;
    if (text.isEmpty())
        return u"no message"_s;
    // Masked before cutting, so a cut cannot leave half a token unrecognised.
    return net::elided(net::redactSecrets(text), MaxExcerptLength);
}

Kind kindOf(net::HttpFailure::Kind failure, int status)
{
    using Failure = net::HttpFailure::Kind;
    switch (failure) {
    case Failure::Transport:
    case Failure::Canceled:
        return Kind::Transport;
    case Failure::Timeout:
        return Kind::Timeout;
    case Failure::Unauthorized:
        return Kind::Unauthorized;
    case Failure::Forbidden:
        return Kind::Forbidden;
    case Failure::NotFound:
        return Kind::NotFound;
    case Failure::ServerError:
        return Kind::ServerError;
    case Failure::ClientError:
        return status == 409 ? Kind::Conflict : Kind::Rejected;
    case Failure::OtherStatus:
        break;
    }
    // Beyond 599 counts as the server's failure, anything else (a redirect, no status) as a refusal.
    return status >= 500 ? Kind::ServerError : Kind::Rejected;
}

} // namespace

QString KubeError::summary() const
{
    const QString said = message.isEmpty() ? u"failed"_s : message;
    QString text = u"Kubernetes: "_s + (httpStatus > 0 ? net::httpStatusLine(httpStatus, {}, said) : said);
    if (!detail.isEmpty())
        text += u" ("_s + detail + u')';
    return text;
}

Kind errorKindForStatus(int status)
{
    return kindOf(net::HttpFailure::kindForStatus(status), status);
}

KubeError errorFromResponse(const net::HttpResponse &response, const ObjectRef &object)
{
    const net::HttpFailure failure = net::classifyFailure(response);
    KubeError error;
    error.detail = object.displayName();
    error.kind = kindOf(failure.kind, failure.status);
    if (!failure.isAnswer()) {
        error.message = response.errorString;
        return error;
    }

    error.httpStatus = response.status;
    const auto body = nlohmann::json::parse(response.body.cbegin(), response.body.cend(), nullptr, false);
    if (!body.is_discarded() && body.is_object() && stringAt(body, "kind") == u"Status"_s) {
        // The API server's own words go to dialogs, stderr and logs; an admission webhook's message may
        // echo what it was sent.
        error.message = net::redactSecrets(stringAt(body, "message"));
        if (error.message.isEmpty())
            error.message = net::redactSecrets(stringAt(body, "reason"));
        // Both are optional in a Status; an empty message would leave the operator with no reason at all.
        if (error.message.isEmpty())
            error.message = net::reasonPhrase(response.status);
        if (error.message.isEmpty())
            error.message = u"HTTP %1"_s.arg(response.status);
    } else {
        error.message = messageFromOtherBody(response, object);
    }
    if (error.kind == Kind::Unauthorized)
        error.message += u" (the cluster did not accept the token: missing, expired or revoked?)"_s;
    return error;
}

} // namespace canary::kube
