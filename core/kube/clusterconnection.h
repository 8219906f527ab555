#pragma once

#include <QByteArray>
#include <QMetaType>
#include <QSslConfiguration>
#include <QString>
#include <QUrl>

namespace canary::kube {

// Everything needed to talk to one cluster's API server as one user: what a kubeconfig context resolves to.
// The token and the private key are secrets: describe() leaves them out and nothing logs this struct.
struct ClusterConnection
{
    QUrl server; // https://10.0.0.1:6443
    QByteArray bearerToken; // empty: no token (client certificate or anonymous)
    QSslConfiguration ssl; // CA, client certificate and key, verify mode
    QString tlsServerName; // the name the server's certificate must carry, when not the URL's host
    QString namespaceName; // the context's namespace ("default" when it names none)
    QString contextName; // empty when not from a kubeconfig
    QString userName; // the kubeconfig user entry, for messages

    // "context prod: https://10.0.0.1:6443 as dash, namespace shop"
    QString describe() const;
    // "10.0.0.1:6443"
    QString hostAndPort() const;
};

} // namespace canary::kube

Q_DECLARE_METATYPE(canary::kube::ClusterConnection)
