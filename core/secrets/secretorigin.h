#pragma once

#include <optional>

#include <QString>
#include <QUrl>

#include "secretstore.h"

namespace canary::secrets {

// The origin a secret is bound to: "scheme://host[:port]" (host in lower case, the scheme's default port
// left out), plus "/e/<id>" when the URL names a Dynatrace Managed environment (or an ActiveGate's) by its
// path: two environments of one cluster are two tenants. Empty when `url` is not http(s) with a host.
// Finer than net::originOf (scheme, host and port: what RestClient keeps a request's credentials within),
// and written as an operator writes a URL, since messages show it.
QString bindingOrigin(const QUrl &url);

// What a keychain entry holds: the secret and the origin it was saved for. The origin is part of the entry
// itself, so that no write can change one without the other.
struct BoundSecret
{
    enum class State {
        Sealed, // the secret and the origin it was saved for
        Old, // written before secrets recorded their origin: `value` is the whole entry (migrated once)
        // A sealed entry this version cannot trust (another version, no origin, an origin not in canonical
        // form, a damaged envelope): `value` is empty and nothing of it is ever sent.
        Unreadable,
    };

    QString value;
    QString origin; // empty unless Sealed
    State state = State::Old;
};

// The keychain text for `value` saved for `origin`.
QString sealSecret(const QString &value, const QString &origin);
// The entry read back: sealed, old (not a JSON object that claims to be sealed), or unreadable.
BoundSecret unsealSecret(const QString &stored);

// Where one secret goes.
struct SecretDestination
{
    // The origin the stored profile names (its Dynatrace URL, AWX URL or API server): what an old, unbound
    // entry is bound to when it is first read, and what `secret set` binds to. Empty: the stored profile
    // names none, or there is no stored profile of that name (a --config file is not a stored profile).
    QString profileOrigin;
    // The origin this run would send it to: the flags, the environment, then the profile. Empty: this run
    // sends it nowhere, so it is not read out of the keychain.
    QString runOrigin;
};

// The destinations of a profile's secrets: the Dynatrace token to the tenant, the AWX token and password to
// the AWX, the Kubernetes token to the API server.
struct SecretDestinations
{
    SecretDestination dynatrace;
    SecretDestination awx;
    SecretDestination kube;

    const SecretDestination &get(SecretName name) const;
    SecretDestination &get(SecretName name);
};

// A keychain secret that was not used: it was saved for one origin and this run would send it to another.
struct OriginMismatch
{
    SecretName name = SecretName::DynatraceToken;
    QString key; // "<profile>/<name>"
    QString savedFor;
    QString wouldGoTo;

    // One line naming both origins, without the remedy (which the window and canaryctl word differently).
    QString describe() const;
};

} // namespace canary::secrets
