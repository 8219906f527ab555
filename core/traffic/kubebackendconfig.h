#pragma once

#include <optional>

#include <QProcessEnvironment>
#include <QStringList>

#include "kube/clusterconnection.h"
#include "kube/objectref.h"
#include "net/restclient.h"
#include "util/expected.h"
#include "weightadapter.h"

namespace canary::traffic {

// What the Kubernetes traffic back-end needs: the object that holds the split, how to read it, and the
// cluster. Holds secrets (the token, a client key): never log it.
struct KubeBackendConfig
{
    kube::ObjectRef object; // an empty namespace means the context's
    QString annotationPrefix = QStringLiteral("nginx.ingress.kubernetes.io"); // Ingress only
    QString canaryBackendName; // TraefikService/HTTPRoute; empty: the second of two entries
    // nullopt: resolved from $KUBECONFIG or ~/.kube/config (context kubeContext) when the back-end is made.
    std::optional<kube::ClusterConnection> connection;
    QString kubeContext; // empty: current-context
    int timeoutMs = net::RestClient::DefaultTimeoutMs;

    WeightOptions weightOptions() const { return { annotationPrefix, canaryBackendName }; }

    // `objectRef` as ObjectRef::parse() reads it; the cluster from these kubeconfig files (empty: $KUBECONFIG
    // or ~/.kube/config) and context (empty: current-context).
    static Expected<KubeBackendConfig, QString> fromKubeconfig(
        const QString &objectRef, const QStringList &kubeconfigFiles = {}, const QString &context = {});
    // A bare API server URL and bearer token, verified against the system's CAs. The reference must name
    // its namespace.
    static Expected<KubeBackendConfig, QString> fromServer(
        const QString &objectRef, const QUrl &server, const QByteArray &token);
    // What canary-console and canaryctl do: with `server` set, fromServer() with the token in KUBE_TOKEN;
    // otherwise fromKubeconfig() over the environment's KUBECONFIG (or $HOME/.kube/config).
    static Expected<KubeBackendConfig, QString> fromEnvironment(const QString &objectRef,
        const QProcessEnvironment &environment, const QString &context = {}, const QUrl &server = {});
};

} // namespace canary::traffic
