#include "kubeclient.h"

#include "kubeerror.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::kube {

namespace {

KubeObjectResult interpret(const net::HttpResponse &response, const ObjectRef &object)
{
    if (!response.isSuccess())
        return errorFromResponse(response, object);
    const auto parsed = KubeObject::fromJson(response.body);
    KubeError error;
    error.kind = KubeError::Kind::UnexpectedShape;
    error.detail = object.displayName();
    error.httpStatus = response.status;
    if (!parsed) {
        error.message = parsed.error();
        return error;
    }
    // A path that an aggregated API or a proxy maps elsewhere must not be mistaken for the object.
    if (parsed->kind != object.kindName() || parsed->name != object.name) {
        error.message = u"asked for %1 '%2', the server answered with %3 '%4'"_s.arg(
            object.kindName(), object.name, parsed->kind, parsed->name);
        return error;
    }
    return *parsed;
}

} // namespace

KubeClient::KubeClient(net::RestClient *rest, QObject *parent)
    : QObject(parent)
    , m_rest(rest)
{ }

void KubeClient::configure(net::RestClient &rest, const ClusterConnection &connection)
{
    if (!connection.bearerToken.isEmpty())
        rest.setAuthorization("Bearer " + connection.bearerToken);
    rest.setSslConfiguration(connection.ssl);
    rest.setPeerVerifyName(connection.tlsServerName);
}

net::RestCall *KubeClient::get(const ObjectRef &object, const QObject *context, KubeObjectCallback onDone)
{
    return deliver(m_rest->get(object.apiPath()), object, context, std::move(onDone));
}

net::RestCall *KubeClient::mergePatch(
    const ObjectRef &object, const QByteArray &patch, const QObject *context, KubeObjectCallback onDone)
{
    auto *call = m_rest->send("PATCH", object.apiPath(), {}, patch, "application/merge-patch+json");
    return deliver(call, object, context, std::move(onDone));
}

net::RestCall *KubeClient::deliver(
    net::RestCall *call, const ObjectRef &object, const QObject *context, KubeObjectCallback onDone)
{
    connect(call, &net::RestCall::finished, context,
        [object, onDone = std::move(onDone)](
            const net::HttpResponse &response) { onDone(interpret(response, object)); });
    return call;
}

} // namespace canary::kube
