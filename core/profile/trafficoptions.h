#pragma once

#include <QCommandLineParser>
#include <QProcessEnvironment>

#include "awx/awxconfig.h"
#include "traffic/backendspec.h"
#include "traffic/observedsplit.h"
#include "util/expected.h"

namespace canary::profile {

struct Profile;

// The traffic flags shared by canary-console and canaryctl: which back-end moves traffic and how, and how
// each change is recorded in Dynatrace.
class TrafficOptions
{
public:
    enum class Backend { Simulator, Awx, Kubernetes };

    struct Recording
    {
        bool enabled = true;
        QString remediationType = QStringLiteral("ansible");
        QString remediationAction; // e.g. "9", the AWX id of "Reset canary weighting"
    };

    void addTo(QCommandLineParser &parser);

    // `simulatorUrl`/`simulatorToken`: where the simulator back-end lives (the embedded demo, or the
    // Dynatrace URL when that is a canary-sim). `fallback` applies without --traffic-backend; none means
    // that flag is required. Errors are one-line usage messages.
    // With `profile`, its back-end settings (AWX template and variables, Kubernetes object, context and
    // server) are the starting point and flags that are set override them. What it resolves is built by
    // environment::makeTrafficBackend.
    Expected<traffic::BackendSpec, QString> backendSpec(const QCommandLineParser &parser,
        const QProcessEnvironment &environment, const QUrl &simulatorUrl, const QString &simulatorToken,
        std::optional<Backend> fallback, const Profile *profile = nullptr) const;

    Expected<Recording, QString> recording(const QCommandLineParser &parser) const;
    // The AWX that backout plans run on, from --awx-url/--awx-api-path or CONTROLLER_HOST and its
    // credentials; nullopt when neither names one.
    // With `profile`, its AWX (URL, API path, username) is the starting point.
    std::optional<Expected<awx::AwxConfig, QString>> awxConnection(const QCommandLineParser &parser,
        const QProcessEnvironment &environment, const Profile *profile = nullptr) const;
    traffic::BuildRoles buildRoles(const QCommandLineParser &parser) const;
    // The AWX URL awxConnection() resolves, by the same rules, without asking for credentials: where this
    // run sends the AWX's secrets. Empty when nothing names an AWX or the URL is unusable.
    QUrl awxUrl(const QCommandLineParser &parser, const QProcessEnvironment &environment,
        const Profile *profile = nullptr) const;
    // The Kubernetes API server named by --kube-server, else by the profile; empty: the kubeconfig's.
    QUrl kubeServer(const QCommandLineParser &parser, const Profile *profile = nullptr) const;
    static Expected<Backend, QString> backendFrom(const QString &name);

private:
    QCommandLineOption m_backend { QStringLiteral("traffic-backend"),
        QStringLiteral("Where the split lives: sim, awx or kubernetes (default: sim)."),
        QStringLiteral("backend"), QStringLiteral("sim") };
    QCommandLineOption m_awxUrl { QStringLiteral("awx-url"),
        QStringLiteral("AWX / Automation Controller URL (or CONTROLLER_HOST)."), QStringLiteral("url") };
    QCommandLineOption m_awxApiPath { QStringLiteral("awx-api-path"),
        QStringLiteral("AWX API base path: /api/v2/ or /api/controller/v2/."), QStringLiteral("path") };
    QCommandLineOption m_awxTemplate { QStringLiteral("awx-template"),
        QStringLiteral("Job template that sets the weight: name or id."), QStringLiteral("template") };
    QCommandLineOption m_awxCanaryVar { QStringLiteral("awx-canary-var"),
        QStringLiteral("Extra var carrying the canary weight (canary_weight)."), QStringLiteral("name") };
    QCommandLineOption m_awxOldVar { QStringLiteral("awx-old-var"),
        QStringLiteral("Extra var carrying the stable weight (old_weight)."), QStringLiteral("name") };
    QCommandLineOption m_kubeObject { QStringLiteral("kube-object"),
        QStringLiteral("ingress/NS/NAME, traefikservice/NS/NAME or httproute/NS/NAME."),
        QStringLiteral("ref") };
    QCommandLineOption m_kubeContext { QStringLiteral("kube-context"),
        QStringLiteral("kubeconfig context (default: current-context)."), QStringLiteral("name") };
    QCommandLineOption m_kubeServer { QStringLiteral("kube-server"),
        QStringLiteral("API server URL, with the token in KUBE_TOKEN, instead of a "
                       "kubeconfig."),
        QStringLiteral("url") };
    QCommandLineOption m_annotationPrefix { QStringLiteral("annotation-prefix"),
        QStringLiteral("ingress-nginx annotation prefix."), QStringLiteral("prefix") };
    QCommandLineOption m_canaryBackendName { QStringLiteral("canary-service"),
        QStringLiteral("Name of the canary's Service in a TraefikService or HTTPRoute."),
        QStringLiteral("name") };
    QCommandLineOption m_noEvent { QStringLiteral("no-event"),
        QStringLiteral("Do not record changes as Dynatrace events (the back-end does).") };
    QCommandLineOption m_remediationType { QStringLiteral("remediation-type"),
        QStringLiteral("remediationType of the recorded event (ansible)."), QStringLiteral("type"),
        QStringLiteral("ansible") };
    QCommandLineOption m_remediationAction { QStringLiteral("remediation-action"),
        QStringLiteral("remediationAction of the recorded event: the backout, e.g. the AWX template id of "
                       "\"Reset canary weighting\"."),
        QStringLiteral("action") };
    QCommandLineOption m_stableBuild { QStringLiteral("stable-build"),
        QStringLiteral("Build name of the stable version (default: the older)."), QStringLiteral("build") };
    QCommandLineOption m_canaryBuild { QStringLiteral("canary-build"),
        QStringLiteral("Build name of the canary (default: the newer)."), QStringLiteral("build") };
};

} // namespace canary::profile
