#include "trafficoptions.h"

#include "awx/awxconfig.h"
#include "profile.h"
#include "traffic/kubebackendconfig.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::profile {

void TrafficOptions::addTo(QCommandLineParser &parser)
{
    parser.addOptions({ m_backend, m_awxUrl, m_awxApiPath, m_awxTemplate, m_awxCanaryVar, m_awxOldVar,
        m_kubeObject, m_kubeContext, m_kubeServer, m_annotationPrefix, m_canaryBackendName, m_noEvent,
        m_remediationType, m_remediationAction, m_stableBuild, m_canaryBuild });
}

Expected<TrafficOptions::Backend, QString> TrafficOptions::backendFrom(const QString &name)
{
    const QString lower = name.trimmed().toLower();
    if (lower == u"sim"_s || lower == u"simulator"_s)
        return Backend::Simulator;
    if (lower == u"awx"_s)
        return Backend::Awx;
    if (lower == u"kubernetes"_s || lower == u"kube"_s || lower == u"k8s"_s)
        return Backend::Kubernetes;
    return u"--traffic-backend takes sim, awx or kubernetes, not '%1'"_s.arg(name);
}

Expected<TrafficOptions::Recording, QString> TrafficOptions::recording(const QCommandLineParser &parser) const
{
    Recording recording;
    recording.enabled = !parser.isSet(m_noEvent);
    recording.remediationType = parser.value(m_remediationType).trimmed();
    recording.remediationAction = parser.value(m_remediationAction).trimmed();
    return recording;
}

traffic::BuildRoles TrafficOptions::buildRoles(const QCommandLineParser &parser) const
{
    return { parser.value(m_stableBuild).trimmed(), parser.value(m_canaryBuild).trimmed() };
}

Expected<traffic::BackendSpec, QString> TrafficOptions::backendSpec(const QCommandLineParser &parser,
    const QProcessEnvironment &environment, const QUrl &simulatorUrl, const QString &simulatorToken,
    std::optional<Backend> fallback, const Profile *profile) const
{
    // A token pasted as a flag's value is a usage error that does not repeat it. --remediation-action is not
    // checked: a backout plan may be a trigger URL that carries its own token, which it needs to run.
    for (const QCommandLineOption *option : { &m_backend, &m_awxUrl, &m_awxApiPath, &m_awxTemplate,
             &m_awxCanaryVar, &m_awxOldVar, &m_kubeObject, &m_kubeContext, &m_kubeServer, &m_annotationPrefix,
             &m_canaryBackendName, &m_remediationType, &m_stableBuild, &m_canaryBuild }) {
        const QString flag = u"--"_s + option->names().constFirst();
        if (QString problem = tokenShapeProblem(flag, parser.value(*option)); !problem.isEmpty())
            return problem;
    }
    traffic::BackendSpec spec;
    // A flag that is set wins; otherwise the profile's value, when there is one.
    const auto value = [&](const QCommandLineOption &option, const QString &fromProfile) {
        return parser.isSet(option) || !profile ? parser.value(option).trimmed() : fromProfile;
    };
    if (!parser.isSet(m_backend) && !fallback)
        return u"no traffic back-end configured: pass --traffic-backend awx|kubernetes|sim"_s;
    const auto backend = parser.isSet(m_backend) ? backendFrom(parser.value(m_backend))
                                                 : Expected<Backend, QString>(*fallback);
    if (!backend)
        return backend.error();
    switch (backend.value()) {
    case Backend::Simulator:
        if (!simulatorUrl.isValid() || simulatorToken.isEmpty())
            return u"the simulator back-end needs the simulator's URL and token (--dynatrace-url pointing at "
                   "canary-sim, and DT_API_TOKEN)"_s;
        spec.kind = traffic::BackendSpec::Kind::Simulator;
        spec.simulatorUrl = simulatorUrl;
        spec.simulatorToken = simulatorToken;
        return spec;
    case Backend::Awx: {
        awx::AwxConfig base = profile ? profile->toAwxConfig() : awx::AwxConfig();
        if (parser.isSet(m_awxUrl))
            base.url = QUrl(parser.value(m_awxUrl).trimmed());
        if (parser.isSet(m_awxApiPath))
            base.apiPath = awx::AwxConfig::normaliseApiPath(parser.value(m_awxApiPath));
        base.templateRef = value(m_awxTemplate, profile ? profile->awxTemplate : QString());
        if (parser.isSet(m_awxCanaryVar))
            base.canaryVariable = parser.value(m_awxCanaryVar).trimmed();
        else if (profile)
            base.canaryVariable = profile->awxCanaryVar;
        if (parser.isSet(m_awxOldVar))
            base.oldVariable = parser.value(m_awxOldVar).trimmed();
        else if (profile)
            base.oldVariable = profile->awxOldVar;
        auto config = awx::AwxConfig::fromEnvironment(environment, base);
        if (!config)
            return config.error();
        if (config->templateRef.isEmpty())
            return u"--traffic-backend awx needs --awx-template (the job template's name or id)"_s;
        spec.kind = traffic::BackendSpec::Kind::Awx;
        spec.awx = std::move(config).value();
        // The recorded backout, when it is an AWX template ("9", "Reset canary weighting"), moves the split
        // too.
        bool numeric = false;
        const int resetTemplate = parser.value(m_remediationAction).trimmed().toInt(&numeric);
        if (numeric && resetTemplate > 0)
            spec.awx.resetTemplateIds.append(resetTemplate);
        return spec;
    }
    case Backend::Kubernetes: {
        const QString object = value(m_kubeObject, profile ? profile->kubeObject : QString());
        if (object.isEmpty())
            return u"--traffic-backend kubernetes needs --kube-object (ingress/NS/NAME, "
                   u"traefikservice/NS/NAME "
                   "or httproute/NS/NAME)"_s;
        const QUrl server = kubeServer(parser, profile);
        auto config = traffic::KubeBackendConfig::fromEnvironment(
            object, environment, value(m_kubeContext, profile ? profile->kubeContext : QString()), server);
        if (!config)
            return config.error();
        if (parser.isSet(m_annotationPrefix))
            config.value().annotationPrefix = parser.value(m_annotationPrefix).trimmed();
        if (parser.isSet(m_canaryBackendName))
            config.value().canaryBackendName = parser.value(m_canaryBackendName).trimmed();
        spec.kind = traffic::BackendSpec::Kind::Kubernetes;
        spec.kube = std::move(config).value();
        return spec;
    }
    }
    return u"unknown traffic back-end"_s;
}

std::optional<Expected<awx::AwxConfig, QString>> TrafficOptions::awxConnection(
    const QCommandLineParser &parser, const QProcessEnvironment &environment, const Profile *profile) const
{
    const bool fromProfile = profile && !profile->awxUrl.isEmpty();
    const bool named = parser.isSet(m_awxUrl) || environment.contains(u"CONTROLLER_HOST"_s)
        || environment.contains(u"TOWER_HOST"_s) || fromProfile;
    if (!named)
        return std::nullopt;
    for (const QCommandLineOption *option : { &m_awxUrl, &m_awxApiPath }) {
        const QString flag = u"--"_s + option->names().constFirst();
        if (QString problem = tokenShapeProblem(flag, parser.value(*option)); !problem.isEmpty())
            return Expected<awx::AwxConfig, QString>(Unexpected(problem));
    }
    awx::AwxConfig base = fromProfile ? profile->toAwxConfig() : awx::AwxConfig();
    if (parser.isSet(m_awxUrl))
        base.url = QUrl(parser.value(m_awxUrl).trimmed());
    if (parser.isSet(m_awxApiPath))
        base.apiPath = awx::AwxConfig::normaliseApiPath(parser.value(m_awxApiPath));
    return awx::AwxConfig::fromEnvironment(environment, base);
}

QUrl TrafficOptions::awxUrl(
    const QCommandLineParser &parser, const QProcessEnvironment &environment, const Profile *profile) const
{
    QUrl url = profile ? profile->awxUrl : QUrl();
    if (parser.isSet(m_awxUrl))
        url = QUrl(parser.value(m_awxUrl).trimmed());
    const auto resolved = awx::AwxConfig::resolveUrl(environment, url);
    return resolved ? resolved.value() : QUrl();
}

QUrl TrafficOptions::kubeServer(const QCommandLineParser &parser, const Profile *profile) const
{
    const QString text = parser.isSet(m_kubeServer) ? parser.value(m_kubeServer).trimmed()
                                                    : (profile ? profile->kubeServer.toString() : QString());
    return text.isEmpty() ? QUrl() : QUrl(text);
}

} // namespace canary::profile
