#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

#include "awx/awxconfig.h"
#include "session/target.h"
#include "traffic/guardrails.h"
#include "traffic/observedsplit.h"
#include "util/expected.h"

namespace canary::profile {

// One problem with a profile: the profile-file key it is about ("refresh", "awx.template"; empty for the
// profile as a whole) and one line an operator can act on, which names that key.
struct ProfileProblem
{
    QString key;
    QString message;
};

// A named environment: where the metrics come from, what is watched, how traffic moves and what a rollback
// may run. The built-in Demo plus the operator's own (ProfileStore, or a hand-written file, profilefile.h).
//
// A profile never holds a secret: the Dynatrace API token, the AWX token or password and the Kubernetes
// token live in the keychain or the environment (DT_API_TOKEN, CONTROLLER_OAUTH_TOKEN, CONTROLLER_PASSWORD,
// KUBE_TOKEN). There is deliberately no field for any of them.
struct Profile
{
    static QString demoName(); // "Demo"
    // The built-in profile: the embedded simulator (empty dynatraceUrl), its simulated traffic back-end and
    // AWX, everything else at its default.
    static Profile demo();

    QString name;

    // Empty: the embedded simulator. Otherwise SaaS (https://<id>.live.dynatrace.com), Managed
    // (https://<host>/e/<id>) or an ActiveGate (https://<host>:9999/e/<id>), in normaliseDynatraceUrl's form.
    QUrl dynatraceUrl;

    // The target (session::Target).
    QString entitySelector = session::Target::defaultEntitySelector();
    QString metricSelector = session::Target::defaultMetricSelector();
    // Per-build failed requests and response time, fetched with the request counts; empty: not fetched.
    QString failureMetricSelector = session::Target::defaultFailureMetricSelector();
    QString responseTimeMetricSelector = session::Target::defaultResponseTimeMetricSelector();
    QString buildDimension; // empty: discovered from the metric's descriptor
    QString stableBuild; // empty: the older build
    QString canaryBuild; // empty: the newer build
    int refreshSeconds = 60;
    QString from = QStringLiteral("now-30m");
    QString resolution; // empty: Dynatrace's default

    // Where the split lives: "sim", "awx" or "kubernetes".
    QString trafficBackend = QStringLiteral("sim");
    QString awxTemplate; // the job template that sets the weight: name or id (awx back-end)
    QString awxCanaryVar = QStringLiteral("canary_weight");
    QString awxOldVar = QStringLiteral("old_weight");
    QString kubeObject; // ingress/NS/NAME, traefikservice/NS/NAME or httproute/NS/NAME
    QString kubeContext; // empty: the kubeconfig's current-context
    QUrl kubeServer; // empty: the kubeconfig; otherwise the API server, with the token in KUBE_TOKEN

    // The AWX that moves traffic (awx back-end) and runs backout plans. Empty url: CONTROLLER_HOST.
    QUrl awxUrl;
    QString awxApiPath = QStringLiteral("/api/v2/"); // or "/api/controller/v2/" (AAP 2.5+ gateway)
    QString awxAuth = QStringLiteral("token"); // "token" (OAuth2 / gateway token) or "basic"
    QString awxUsername; // basic auth; the password is a secret and never here

    // Origins trusted for backout plans besides the AWX: "https://gitlab.example.com".
    QStringList allowedOrigins;
    // The job templates a backout plan may launch, by id ("9") or exact name; empty: any template on the AWX
    // (whoever writes events to the tenant chooses).
    QStringList allowedTemplates;
    QString planEventSource; // plans only from events with this dt.event.source ("Jenkins"); empty: any
    bool confirmRollback = true;
    bool autoRemediate = false;
    int countdownSeconds = 30;

    // Guard-rails on traffic increases (docs/guardrails.md); decreases and rollbacks are never blocked.
    bool guardEnabled = true;
    int guardMaxStepPercent = traffic::GuardRailPolicy::DefaultMaxStepUpPercent; // percentage points
    int guardMinIntervalSeconds = int(traffic::GuardRailPolicy::DefaultMinMsBetweenIncreases / 1000);
    bool guardFreezeOnProblem = true;
    bool guardFreezeOnStale = true;
    bool guardFreezeOnFail = true;

    QString caBundle; // a PEM file of extra CAs; empty: the system's
    bool allowInsecureTls = false;

    bool isDemo() const;

    // Every problem, one line each, in the order of the profile-file keys. Empty: the profile is usable.
    QStringList validate() const;
    QList<ProfileProblem> problems() const;

    // The same profile in canonical form: text trimmed, URLs through normaliseDynatraceUrl (.apps. becomes
    // .live.), the AWX API path with both slashes, origins as scheme://host[:port], the back-end's canonical
    // name. Values that cannot be normalised are left as they are (validate() reports them).
    Profile normalised() const;

    // The session's target. An empty dynatraceUrl stays empty: the caller puts in the embedded simulator's.
    session::Target toTarget() const;
    // AWX's URL, API path, username and template, without secrets: pass it to AwxConfig::fromEnvironment()
    // (or fill the token/password from the keychain).
    awx::AwxConfig toAwxConfig() const;
    traffic::BuildRoles buildRoles() const { return { stableBuild, canaryBuild }; }
    traffic::GuardRailPolicy guardRailPolicy() const;

    bool operator==(const Profile &) const = default;
};

// The refusal of a credential typed into `field` (a profile key, "--metric-selector"), naming the field and
// the kind of token (net::tokenShapeIn) but never the value; empty when `value` holds none. Profiles and the
// command-line flags refuse with it, so a token pasted into the wrong field is never shown back or saved.
QString tokenShapeProblem(const QString &field, QStringView value);

// The traffic back-ends' canonical names, in the order they are offered: "sim", "awx", "kubernetes".
QStringList trafficBackendNames();
// "https://gitlab.example.com:8443" from an origin as an operator writes it (a trailing '/' is dropped,
// default ports are left out); an error naming `text` when it is not an http(s) origin.
Expected<QUrl, QString> normaliseOrigin(const QString &text);

} // namespace canary::profile
