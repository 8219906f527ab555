#pragma once

#include <memory>

#include <QProcessEnvironment>

#include "traffic/backendspec.h"
#include "traffic/trafficbackend.h"
#include "util/expected.h"

namespace canary::net {
class ClientPool;
}
namespace canary::profile {
struct Profile;
}

namespace canary::environment {

// The traffic back-end a resolved spec names: the simulator's router, an AWX job template or a Kubernetes
// object. The one place the three are built, for the window, every canaryctl command and the tests.
// With `clients` (not owned; must outlive the back-end), an AWX back-end uses the pool's client of its AWX,
// which the rollback shares when it runs on the same server with the same credentials.
std::unique_ptr<traffic::TrafficBackend> makeTrafficBackend(
    traffic::BackendSpec spec, net::ClientPool *clients = nullptr);

// The back-end `profile` names, as the apps make it with no flag set: the simulator's at the profile's
// Dynatrace URL (a canary-sim), AWX or Kubernetes with the credentials in `environment`. The profiles
// dialog's Test connection uses it.
Expected<std::unique_ptr<traffic::TrafficBackend>, QString> backendForProfile(
    const profile::Profile &profile, const QProcessEnvironment &environment);

} // namespace canary::environment
