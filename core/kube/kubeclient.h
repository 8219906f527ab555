#pragma once

#include <functional>

#include <QObject>
#include <QPointer>

#include "clusterconnection.h"
#include "kubeerror.h"
#include "kubeobject.h"
#include "net/restclient.h"
#include "objectref.h"
#include "objectwatch.h"
#include "util/expected.h"

namespace canary::kube {

using KubeObjectResult = Expected<KubeObject, KubeError>;
using KubeObjectCallback = std::function<void(const KubeObjectResult &)>;
using VersionResult = Expected<QString, KubeError>;
using VersionCallback = std::function<void(const VersionResult &)>;

// The Kubernetes API calls the traffic back-end needs, over the one HTTP layer. Each call returns the
// RestCall that owns the reply (cancel it to give up) and delivers exactly one result to `onDone`, unless
// `context` died first. Failures carry the API server's Status message (see errorFromResponse()).
class KubeClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KubeClient)

public:
    // Who the console is in metadata.managedFields.
    static inline const QString FieldManager = QStringLiteral("canary-console");

    KubeClient(net::RestClient *rest, QObject *parent = nullptr);

    // Points `rest` at the connection: Bearer token (bound to the server's origin), TLS settings and the
    // server name the certificate must carry. `rest` must have been made for connection.server.
    static void configure(net::RestClient &rest, const ClusterConnection &connection);

    // GET the object. `object` must name its namespace.
    net::RestCall *get(const ObjectRef &object, const QObject *context, KubeObjectCallback onDone);
    // PATCH the object with an RFC 7386 JSON merge patch; the result is the object after the patch. The
    // API server records the write in metadata.managedFields under FieldManager.
    net::RestCall *mergePatch(
        const ObjectRef &object, const QByteArray &patch, const QObject *context, KubeObjectCallback onDone);

    // The collection's resourceVersion now, from a LIST limited to the object by a metadata.name field
    // selector (what RBAC's resourceNames allows): where a watch can start when the object's own version,
    // which may be much older, is no longer kept (410).
    net::RestCall *currentVersion(const ObjectRef &object, const QObject *context, VersionCallback onDone);
    // Watch the object from `resourceVersion` (ObjectWatch), over the same connection as the other calls.
    ObjectWatch *watch(
        const ObjectRef &object, const QString &resourceVersion, int timeoutSeconds, QObject *parent);

private:
    net::RestCall *deliver(
        net::RestCall *call, const ObjectRef &object, const QObject *context, KubeObjectCallback onDone);

    QPointer<net::RestClient> m_rest;
};

} // namespace canary::kube
