#include "trafficbackendfactory.h"

#include <QCommandLineParser>

#include "net/clientpool.h"
#include "net/restclient.h"
#include "profile/profile.h"
#include "profile/targetoptions.h"
#include "profile/trafficoptions.h"
#include "traffic/awxtrafficbackend.h"
#include "traffic/kubetrafficbackend.h"
#include "traffic/simtrafficbackend.h"
#include "util/clock.h"

namespace canary::environment {

std::unique_ptr<traffic::TrafficBackend> makeTrafficBackend(
    traffic::BackendSpec spec, net::ClientPool *clients)
{
    // One option governs every client the back-end makes.
    if (spec.requestTimeoutMs && *spec.requestTimeoutMs > 0) {
        spec.awx.requestTimeoutMs = *spec.requestTimeoutMs;
        if (spec.kube)
            spec.kube->timeoutMs = *spec.requestTimeoutMs;
    }
    switch (spec.kind) {
    case traffic::BackendSpec::Kind::Simulator:
        return std::make_unique<traffic::SimTrafficBackend>(spec.simulatorUrl, spec.simulatorToken,
            spec.requestTimeoutMs.value_or(net::RestClient::DefaultTimeoutMs));
    case traffic::BackendSpec::Kind::Awx:
        if (clients) {
            net::RestClient *shared
                = clients->client(spec.awx.url, spec.awx.authorizationHeader(), spec.awx.requestTimeoutMs);
            return std::make_unique<traffic::AwxTrafficBackend>(std::move(spec.awx), shared, Clock::system());
        }
        return std::make_unique<traffic::AwxTrafficBackend>(std::move(spec.awx));
    case traffic::BackendSpec::Kind::Kubernetes:
        return std::make_unique<traffic::KubeTrafficBackend>(std::move(*spec.kube));
    }
    return nullptr;
}

Expected<std::unique_ptr<traffic::TrafficBackend>, QString> backendForProfile(
    const profile::Profile &profile, const QProcessEnvironment &environment)
{
    using profile::TrafficOptions;
    const auto backend = TrafficOptions::backendFrom(profile.trafficBackend);
    if (!backend)
        return backend.error();
    if (profile.dynatraceUrl.isEmpty() && backend.value() == TrafficOptions::Backend::Simulator)
        return QStringLiteral("the profile has no Dynatrace URL: its simulator is the embedded demo's");
    QCommandLineParser parser;
    TrafficOptions options;
    options.addTo(parser);
    parser.parse({ QStringLiteral("canary-console") });
    // The token as every other reader takes it (and registered for redaction).
    auto spec = options.backendSpec(parser, environment, profile.dynatraceUrl,
        profile::TargetOptions::tokenFrom(environment), backend.value(), &profile);
    if (!spec)
        return spec.error();
    return makeTrafficBackend(std::move(spec).value());
}

} // namespace canary::environment
