#pragma once

#include <QCommandLineParser>
#include <QProcessEnvironment>

#include "secrets/secretorigin.h"

namespace canary::profile {

struct Profile;
class TargetOptions;
class TrafficOptions;

// The origin `profile` names for a secret: its Dynatrace URL for the Dynatrace token, its AWX URL for the AWX
// token and password, its API server for the Kubernetes token. Empty when it names none.
QString secretOrigin(const Profile &profile, secrets::SecretName name);
// The profile-file key naming that origin: "dynatrace.url", "awx.url" or "kube.server".
QString secretOriginKey(secrets::SecretName name);

// Where this run sends each secret of `chosen`, resolved by the rules the clients are built with (flags,
// then the environment, then the profile), and the origins `stored` (the profile of that name in the
// profile store; null when there is none) binds old entries to. A --config file is not the stored profile:
// it never decides what an old keychain entry belongs to.
secrets::SecretDestinations secretDestinations(const QCommandLineParser &parser,
    const QProcessEnvironment &environment, const TargetOptions &target, const TrafficOptions &traffic,
    const Profile *chosen, const Profile *stored);

} // namespace canary::profile
