#include "kubebackendconfig.h"

#include <QDir>

#include "kube/kubeconfig.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

using kube::ClusterConnection;
using kube::Kubeconfig;
using kube::ObjectRef;

Expected<KubeBackendConfig, QString> KubeBackendConfig::fromKubeconfig(
    const QString &objectRef, const QStringList &kubeconfigFiles, const QString &context)
{
    const auto object = ObjectRef::parse(objectRef);
    if (!object)
        return object.error();
    const auto connection = kubeconfigFiles.isEmpty() ? Kubeconfig::fromEnvironment(context)
                                                      : Kubeconfig::resolve(kubeconfigFiles, context);
    if (!connection)
        return connection.error();
    KubeBackendConfig config;
    config.object = *object;
    if (config.object.namespaceName.isEmpty())
        config.object.namespaceName = connection->namespaceName;
    config.connection = *connection;
    config.kubeContext = connection->contextName;
    return config;
}

Expected<KubeBackendConfig, QString> KubeBackendConfig::fromServer(
    const QString &objectRef, const QUrl &server, const QByteArray &token)
{
    const auto object = ObjectRef::parse(objectRef);
    if (!object)
        return object.error();
    if (object->namespaceName.isEmpty())
        return u"'%1' names no namespace, and without a kubeconfig there is no context to take it from"_s.arg(
            objectRef);
    if (!server.isValid() || server.host().isEmpty()
        || (server.scheme() != u"https"_s && server.scheme() != u"http"_s))
        return u"'%1' is not an https:// URL of an API server"_s.arg(
            server.toDisplayString(QUrl::RemoveUserInfo));
    // The API server takes the token as a bearer header; a password in the URL would be sent as Basic
    // credentials besides it and shows up wherever the URL is printed.
    if (!server.userInfo().isEmpty())
        return u"the API server URL %1 must not carry a user name or password: the token goes in KUBE_TOKEN "
               "or the keychain"_s.arg(server.toDisplayString(QUrl::RemoveUserInfo));
    if (token.trimmed().isEmpty())
        return u"no token for %1: set KUBE_TOKEN or save one for the profile's kube.server with `canaryctl "
               u"secret "
               "set kube-token` (kubectl create token <service-account> -n <namespace>)"_s.arg(server.host());
    KubeBackendConfig config;
    config.object = *object;
    ClusterConnection connection;
    connection.server = server;
    connection.bearerToken = token.trimmed();
    connection.namespaceName = object->namespaceName;
    config.connection = connection;
    return config;
}

Expected<KubeBackendConfig, QString> KubeBackendConfig::fromEnvironment(const QString &objectRef,
    const QProcessEnvironment &environment, const QString &context, const QUrl &server)
{
    if (!server.isEmpty())
        return fromServer(objectRef, server, environment.value(u"KUBE_TOKEN"_s).toUtf8());
    const QString home = environment.value(u"HOME"_s, QDir::homePath());
    return fromKubeconfig(
        objectRef, Kubeconfig::searchPath(environment.value(u"KUBECONFIG"_s), home), context);
}

} // namespace canary::traffic
