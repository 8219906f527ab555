#pragma once

#include <functional>
#include <memory>

#include <QString>
#include <QUrl>

#include "traffic/observedsplit.h"
#include "util/expected.h"

namespace canary {
class Clock;
}

namespace canary::environment {

// A tenant this process runs itself on loopback: the embedded demo. The console talks to it over HTTP with
// the clients it uses for any tenant; this says only where it listens and what a real tenant would have told
// the operator's profile instead (its builds, the backout template). Whoever starts it owns it, and it stops
// when destroyed.
class LocalTenant
{
public:
    virtual ~LocalTenant();

    // Dynatrace, AWX and the traffic router answer on this one origin.
    virtual QUrl baseUrl() const = 0;
    // Accepted by every API of the tenant; held in memory only.
    virtual QString token() const = 0;
    virtual traffic::BuildRoles builds() const = 0;
    // The AWX job template that resets the canary's weight: the backout plan recorded with each change.
    virtual QString backoutTemplate() const = 0;
};

// Starts a local tenant whose time runs on `clock` (nullptr: the system clock), or says why it could not.
// canary-console hands the simulator's starter to the console; core and ui never see the simulator itself.
using LocalTenantStarter = std::function<Expected<std::unique_ptr<LocalTenant>, QString>(Clock *clock)>;

} // namespace canary::environment
