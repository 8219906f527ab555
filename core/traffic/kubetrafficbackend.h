#pragma once

#include <optional>

#include "kube/kubeclient.h"
#include "kubebackendconfig.h"
#include "trafficbackend.h"
#include "weightadapter.h"

namespace canary::net {
class RestClient;
}

namespace canary::traffic {

// The split lives in one Kubernetes object: an ingress-nginx canary Ingress, a TraefikService or a Gateway
// API HTTPRoute. readSplit() GETs it; applySplit() GETs it for its resourceVersion, merge-PATCHes the new
// weights on that precondition and confirms the split the PATCH answer carries. When someone else changed the
// object in between, the API server answers 409 and the error says what the split is now.
//
// Destroying the back-end abandons what is under way without calling back.
class KubeTrafficBackend final : public TrafficBackend
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KubeTrafficBackend)

public:
    static inline const QString BackendName = QStringLiteral("Kubernetes");

    // A config without a connection is resolved from the kubeconfig here; if that fails, every call
    // reports it as a Configuration error.
    explicit KubeTrafficBackend(KubeBackendConfig config, QObject *parent = nullptr);

    // "Kubernetes traefikservice canary-jenkins/simplenodeservice on 127.0.0.1:6443"
    QString description() const override;

    void readSplit(const QObject *context, SplitCallback onDone) override;
    void applySplit(const Split &split, const QObject *context, SplitCallback onDone) override;

    // Holds secrets: never log it.
    const KubeBackendConfig &config() const { return m_config; }
    // Why the back-end cannot work (no usable kubeconfig), if it cannot.
    std::optional<QString> configurationError() const { return m_configurationError; }

private:
    TrafficError error(TrafficError::Kind kind, const QString &message) const;
    // The cluster's failure as a traffic failure, with Kubernetes' own message.
    static TrafficError fromKube(const kube::KubeError &failure);
    void failLater(const TrafficError &error, const QObject *context, SplitCallback onDone);
    void patch(
        const kube::KubeObject &current, const Split &split, const QObject *context, SplitCallback onDone);
    void reportConflict(kube::KubeError conflict, const QObject *context, SplitCallback onDone);

    KubeBackendConfig m_config;
    WeightAdapter m_adapter;
    std::optional<QString> m_configurationError;
    net::RestClient *m_rest = nullptr;
    kube::KubeClient *m_client = nullptr;
};

} // namespace canary::traffic
