#pragma once

#include <optional>

#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>

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
// startWatching() watches the object (kube::ObjectWatch) from the resourceVersion of the last read: each
// change is changeNoticed(), a stream the server ends is re-opened from the last version, a version the
// server no longer keeps (410) is read afresh and noticed, since a change may have been missed. A watch that
// cannot be had (refused, broken, no watch at all) sets isWatching() false, so the split is polled again, and
// is tried again later with a growing delay. readSplit() names who wrote the weights last from
// metadata.managedFields (lastReadOrigin()); the console's own patches are there as canary-console.
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
    ~KubeTrafficBackend() override;

    // "Kubernetes traefikservice canary-jenkins/simplenodeservice on 127.0.0.1:6443"
    QString description() const override;

    void readSplit(const QObject *context, SplitCallback onDone) override;
    void applySplit(const Split &split, const QObject *context, SplitCallback onDone) override;
    bool startWatching() override;
    void stopWatching() override;

    static constexpr int DefaultWatchTimeoutSeconds = 300;
    static constexpr int DefaultWatchRetryMs = 1'000;
    static constexpr int MaxWatchRetryMs = 60'000;
    // How long the server may keep one watch stream open (its timeoutSeconds) before it is re-opened.
    void setWatchTimeoutSeconds(int seconds) { m_watchTimeoutSeconds = seconds; }
    // The wait before a failed watch is tried again: `firstMs`, doubled after each failure up to `maxMs`.
    void setWatchRetryDelays(int firstMs, int maxMs);

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
    // Who last wrote the fields the adapter reads, from managedFields; nullopt when the object does not say.
    std::optional<ChangeOrigin> originOf(const kube::KubeObject &object) const;
    void openWatch();
    // Asks for a version the server keeps (KubeClient::currentVersion, else the object's own), then watches
    // from it; `notice`: a change may have been missed, so say so once known.
    void rereadThenWatch(bool notice);
    void watchFrom(const QString &resourceVersion, bool notice);
    void onWatchEvent(const kube::WatchEvent &event);
    void onWatchEnded(kube::ObjectWatch::End end, const kube::KubeError &error);
    void watchFailed();
    void dropWatch();

    KubeBackendConfig m_config;
    WeightAdapter m_adapter;
    std::optional<QString> m_configurationError;
    net::RestClient *m_rest = nullptr;
    kube::KubeClient *m_client = nullptr;

    QPointer<kube::ObjectWatch> m_watch;
    QPointer<net::RestCall> m_reread;
    QTimer m_watchRetry;
    QElapsedTimer m_watchOpened;
    QString m_resourceVersion; // the newest the back-end saw, by a read or the watch: where a watch starts
    int m_watchTimeoutSeconds = DefaultWatchTimeoutSeconds;
    int m_firstRetryMs = DefaultWatchRetryMs;
    int m_maxRetryMs = MaxWatchRetryMs;
    int m_retryMs = DefaultWatchRetryMs;
    int m_quickEnds = 0; // streams in a row the server ended at once with nothing in them
    int m_gones = 0; // 410s in a row with no event between
    quint64 m_watchGeneration = 0; // callbacks of a watch that was stopped since are ignored
    bool m_watchWanted = false;
};

} // namespace canary::traffic
