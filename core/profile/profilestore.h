#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <variant>

#include <QString>
#include <QStringList>

#include "profile.h"
#include "util/expected.h"

class QSettings;

namespace canary::profile {

// The operator's profiles, kept with QSettings: by default organization "canary-console", application
// "profiles" in the platform's config location (~/.config/canary-console/profiles.conf on Linux; see
// docs/profiles.md). One group per profile, "profiles/<name>", holding the profile file's keys (without
// `name`: the group is the name). Nothing secret is ever written: a Profile has no secret field.
//
// The built-in Demo is always there, first, and can be neither changed, renamed nor removed (duplicate it
// instead). Names are unique regardless of case. Every change validates first and then writes the whole
// group in one sync(): when anything is wrong nothing is written, and when the write fails the settings are
// put back as they were.
class ProfileStore
{
public:
    using Result = Expected<std::monostate, QStringList>; // errors: one line each

    ProfileStore(); // the platform's default location
    explicit ProfileStore(QSettings *settings); // not owned; its current group must be the root
    explicit ProfileStore(const QString &iniFile); // an INI file of one's own (tests, portable setups)
    ~ProfileStore();
    ProfileStore(const ProfileStore &) = delete;
    ProfileStore &operator=(const ProfileStore &) = delete;

    // Where the profiles are kept: a file path, or on Windows the registry key.
    QString location() const;

    // "Demo" first, then the stored profiles sorted regardless of case.
    QStringList names() const;
    bool contains(const QString &name) const;
    // Demo's name gives Profile::demo(). nullopt when there is no such profile or it cannot be read (then
    // read() says why).
    std::optional<Profile> load(const QString &name) const;
    Expected<Profile, QStringList> read(const QString &name) const;

    // Creates or replaces the profile of that name, normalised (Profile::normalised()) and validated first.
    Result save(const Profile &profile);
    Result remove(const QString &name);
    // A copy of `from` (Demo too: the usual way to start a profile) named `to`, which must not exist.
    Result duplicate(const QString &from, const QString &to);
    Result rename(const QString &from, const QString &to);

private:
    QString storedName(const QString &name) const; // the stored name equal to `name` regardless of case
    QStringList storedNames() const;
    Result nameProblems(const QString &name) const; // the name's own validity, Demo reserved
    Result commit(const std::function<void(QSettings &)> &change);

    std::unique_ptr<QSettings> m_owned;
    QSettings *m_settings = nullptr;
};

} // namespace canary::profile
