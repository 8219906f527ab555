#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>

#include "profile.h"
#include "util/expected.h"

namespace canary::profile {

// A profile written by hand (docs/profiles.md): one `key = value` per line, '#' comment lines, blank lines,
// UTF-8. Keys: name, dynatrace.url, target.entity-selector, target.metric-selector, target.failure-metric,
// target.response-time-metric (empty: not fetched), target.build-dimension,
// target.stable-build, target.canary-build, refresh, from, resolution, traffic.backend, awx.url,
// awx.api-path, awx.auth, awx.username, awx.template, awx.canary-var, awx.old-var, kube.object, kube.context,
// kube.server, rollback.allow-origin (repeatable), rollback.confirm, auto-remediation.enabled,
// auto-remediation.countdown, guard.enabled, guard.max-step, guard.min-interval, guard.freeze-on-problem,
// guard.freeze-on-stale, guard.freeze-on-fail, tls.ca-bundle, tls.allow-insecure. A key that is missing keeps
// its default.
//
// Errors are lines an operator can act on, each with the file and the line:
//   profile.conf:7: unknown key 'dynatrace.ulr' (did you mean 'dynatrace.url'?)
//   profile.conf:4: 'token' is a secret: secrets live in the keychain or the environment (DT_API_TOKEN), …
// followed by Profile::validate()'s problems (with the line of the key they are about, when it was set).
// Nothing is returned half-read: any error and there is no profile.

// Reads `path`. A relative tls.ca-bundle is taken relative to the file's folder; a missing `name` is the
// file's name without its last extension.
Expected<Profile, QStringList> readProfileFile(const QString &path);
// Reads `text`; `sourceName` starts each message ("profile.conf") and, without a `name` key, gives the
// profile its name (its base name without extension).
Expected<Profile, QStringList> readProfileText(QByteArrayView text, const QString &sourceName);
// The profile in that format, every key written, with comments at the top saying where secrets go:
// readProfileText(writeProfileText(p)) == p for a valid, normalised p.
QByteArray writeProfileText(const Profile &profile);

// The lower level ProfileStore shares: the format's keys and values as text.
struct ProfileEntry
{
    QString key;
    QString value;
    int line = 0; // 0: not from a file
};

// Every key, in the order writeProfileText writes them.
QStringList profileKeys();
bool isRepeatableKey(const QString &key);
// Whether an operator's key names a secret (token, password, secret, api-key, …): refused everywhere.
bool isSecretKey(const QString &key);

// `profile` as entries: each key once, rollback.allow-origin once per origin (none when there are none).
QList<ProfileEntry> profileEntries(const Profile &profile);

struct EntryOptions
{
    QString defaultName; // the name when no entry sets one
    QString baseDirectory; // a relative tls.ca-bundle is resolved against it; empty: refused
    bool ignoreUnknownKeys = false; // settings written by a newer version
};
// The profile the entries describe, starting from the defaults; errors as readProfileText's, with
// `sourceName` and each entry's line.
Expected<Profile, QStringList> profileFromEntries(
    const QList<ProfileEntry> &entries, const QString &sourceName, const EntryOptions &options);

} // namespace canary::profile
