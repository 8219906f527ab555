#include "kubeclient.h"

#include <nlohmann/json.hpp>

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
    auto *call = m_rest->send("PATCH", object.apiPath(), { { u"fieldManager"_s, FieldManager } }, patch,
        "application/merge-patch+json");
    return deliver(call, object, context, std::move(onDone));
}

net::RestCall *KubeClient::currentVersion(
    const ObjectRef &object, const QObject *context, VersionCallback onDone)
{
    auto *call = m_rest->get(
        ObjectWatch::collectionPath(object), { { u"fieldSelector"_s, u"metadata.name="_s + object.name } });
    connect(call, &net::RestCall::finished, context,
        [object, onDone = std::move(onDone)](const net::HttpResponse &response) {
            if (!response.isSuccess())
                return onDone(errorFromResponse(response, object));
            const auto doc
                = nlohmann::json::parse(response.body.cbegin(), response.body.cend(), nullptr, false);
            const auto metadata = doc.is_object() ? doc.find("metadata") : doc.end();
            if (doc.is_object() && metadata != doc.end() && metadata->is_object()) {
                const auto version = metadata->find("resourceVersion");
                if (version != metadata->end() && version->is_string()
                    && !version->get<std::string>().empty())
                    return onDone(QString::fromStdString(version->get<std::string>()));
            }
            KubeError error;
            error.kind = KubeError::Kind::UnexpectedShape;
            error.httpStatus = response.status;
            error.message = u"the list of %1 names no resourceVersion"_s.arg(object.resource());
            error.detail = object.displayName();
            onDone(error);
        });
    return call;
}

ObjectWatch *KubeClient::watch(
    const ObjectRef &object, const QString &resourceVersion, int timeoutSeconds, QObject *parent)
{
    return new ObjectWatch(m_rest, object, resourceVersion, timeoutSeconds, parent);
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
