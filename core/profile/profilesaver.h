#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include <QList>
#include <QMap>
#include <QMetaType>
#include <QObject>
#include <QString>

#include "profile.h"
#include "secrets/secretstore.h"

namespace canary::profile {

class ProfileStore;

// One save as the operator asked for it: the edited profile and the secrets typed for it.
struct ProfileSave
{
    Profile profile; // normalised and validated by the caller
    QString oldName; // the stored name the edit started from; empty for a new profile
    QMap<secrets::SecretName, QString> typedSecrets; // an empty value leaves the stored secret as it is

    bool renames() const { return !oldName.isEmpty() && oldName != profile.name; }
    // Whether the keychain is asked at all: a secret was typed, or a rename carries the stored ones along.
    bool touchesSecrets() const;
};

// A save that went through.
struct SavedProfile
{
    QString name;
    QList<secrets::SecretName>
        writtenSecrets; // the typed ones, in SecretName order; not those a rename moved
    bool sessionOnly = false; // a secret went to this session's memory, not to the keychain
};

// A save that did not: the profile file is as it was, and so are the secrets (put back, best effort).
struct SaveFailure
{
    QString message; // the keychain's words, or the profile store's lines joined by '\n'
    std::optional<secrets::SecretError> secretError; // set when it was the keychain that refused
};

// Saves a profile and its secrets all or nothing. The typed secrets are written to the keychain first (a
// rename reads the stored ones and writes them under the new name), remembering what each key held; the
// profile is renamed and written only once every secret is in. When a secret or the profile cannot be
// written, what the keys held before is written back (or the key removed) and the rename undone, so a
// failing keychain or a read-only profile file leaves nothing half-saved. After a rename the old name's
// secrets go.
//
// One save at a time; every save() that starts ends with exactly one saved() or saveFailed(). Keychain calls
// answer through the event loop; a save that touches no secret ends within save() itself.
class ProfileSaver final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProfileSaver)

public:
    // Neither store is owned; both must outlive the saver.
    ProfileSaver(ProfileStore *profiles, secrets::SecretAccess *secrets, QObject *parent = nullptr);
    ~ProfileSaver() override;

    bool isSaving() const { return m_job.has_value(); }
    // False, and no signal, while another save is under way.
    bool save(ProfileSave request);

Q_SIGNALS:
    void saved(const canary::profile::SavedProfile &result);
    void saveFailed(const canary::profile::SaveFailure &failure);

private:
    // One secret to put under the profile's (new) name.
    struct Op
    {
        secrets::SecretName name = secrets::SecretName::DynatraceToken;
        QString key; // where the secret goes
        QString value; // typed, or read from `moveFrom`
        QString moveFrom; // the old name's key when a rename carries a stored secret along
        // The old name has none: whatever an earlier profile of the new name left under `key` goes, so the
        // renamed profile does not inherit a stranger's secret.
        bool clear = false;
        bool previousKnown = false;
        std::optional<QString> previous; // what `key` held before, to put back if the save fails
        bool done = false;
        secrets::Storage storage = secrets::Storage::Keychain;
    };
    struct Job
    {
        ProfileSave request;
        std::vector<Op> ops;
    };

    void runSecretOps(std::size_t next);
    void commitProfile();
    void undoSecretOps();
    void fail(SaveFailure failure);

    ProfileStore *m_profiles;
    secrets::SecretAccess *m_secrets;
    std::optional<Job> m_job;
};

} // namespace canary::profile

Q_DECLARE_METATYPE(canary::profile::SavedProfile)
Q_DECLARE_METATYPE(canary::profile::SaveFailure)
