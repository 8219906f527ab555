#include "secretdestinations.h"

#include "profile.h"
#include "targetoptions.h"
#include "trafficoptions.h"

namespace canary::profile {

QString secretOrigin(const Profile &profile, secrets::SecretName name)
{
    switch (name) {
    case secrets::SecretName::DynatraceToken: {
        if (profile.dynatraceUrl.isEmpty())
            return {};
        const auto url = normaliseDynatraceUrl(profile.dynatraceUrl.toString());
        return url ? secrets::bindingOrigin(url.value()) : QString();
    }
    case secrets::SecretName::AwxToken:
    case secrets::SecretName::AwxPassword:
        return secrets::bindingOrigin(profile.awxUrl);
    case secrets::SecretName::KubeToken:
        break;
    }
    return secrets::bindingOrigin(profile.kubeServer);
}

QString secretOriginKey(secrets::SecretName name)
{
    switch (name) {
    case secrets::SecretName::DynatraceToken:
        return QStringLiteral("dynatrace.url");
    case secrets::SecretName::AwxToken:
    case secrets::SecretName::AwxPassword:
        return QStringLiteral("awx.url");
    case secrets::SecretName::KubeToken:
        break;
    }
    return QStringLiteral("kube.server");
}

secrets::SecretDestinations secretDestinations(const QCommandLineParser &parser,
    const QProcessEnvironment &environment, const TargetOptions &target, const TrafficOptions &traffic,
    const Profile *chosen, const Profile *stored)
{
    secrets::SecretDestinations destinations;
    if (stored) {
        destinations.dynatrace.profileOrigin = secretOrigin(*stored, secrets::SecretName::DynatraceToken);
        destinations.awx.profileOrigin = secretOrigin(*stored, secrets::SecretName::AwxToken);
        destinations.kube.profileOrigin = secretOrigin(*stored, secrets::SecretName::KubeToken);
    }
    if (const auto url = target.dynatraceUrl(parser, environment, true, {}, chosen))
        destinations.dynatrace.runOrigin = secrets::bindingOrigin(url.value());
    destinations.awx.runOrigin = secrets::bindingOrigin(traffic.awxUrl(parser, environment, chosen));
    destinations.kube.runOrigin = secrets::bindingOrigin(traffic.kubeServer(parser, chosen));
    return destinations;
}

} // namespace canary::profile
