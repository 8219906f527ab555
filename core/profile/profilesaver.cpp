#include "profilesaver.h"

#include <utility>

#include "profilestore.h"
#include "secretdestinations.h"
#include "secrets/secretorigin.h"

namespace canary::profile {

using secrets::SecretError;
using secrets::SecretName;

namespace {

const std::initializer_list<SecretName> AllSecrets { SecretName::DynatraceToken, SecretName::AwxToken,
    SecretName::AwxPassword, SecretName::KubeToken };

void ignore(const secrets::StoreResult &)
{ }

} // namespace

bool ProfileSave::touchesSecrets() const
{
    if (renames())
        return true;
    for (const QString &typed : typedSecrets) {
        if (!typed.isEmpty())
            return true;
    }
    return false;
}

ProfileSaver::ProfileSaver(ProfileStore *profiles, secrets::SecretAccess *secrets, QObject *parent)
    : QObject(parent)
    , m_profiles(profiles)
    , m_secrets(secrets)
{ }

ProfileSaver::~ProfileSaver() = default;

bool ProfileSaver::save(ProfileSave request)
{
    if (m_job)
        return false;
    Job job;
    job.request = std::move(request);
    const ProfileSave &r = job.request;
    QString homeless;
    for (const SecretName secret : AllSecrets) {
        Op op;
        op.name = secret;
        op.key = secrets::secretKey(r.profile.name, secret);
        // A typed secret is saved for the origin the profile names for it, and is sent nowhere else. A rename
        // carries the stored entry as it is: still bound to the origin it was saved for.
        if (const QString typed = r.typedSecrets.value(secret); !typed.isEmpty()) {
            const QString origin = secretOrigin(r.profile, secret);
            if (origin.isEmpty() && homeless.isEmpty())
                homeless
                    = tr("The %1 cannot be saved without %2: a saved secret belongs to one origin and is "
                         "only ever sent there.")
                          .arg(secrets::secretNameText(secret), secretOriginKey(secret));
            op.value = secrets::sealSecret(typed, origin);
        }
        if (op.value.isEmpty() && r.renames())
            op.moveFrom = secrets::secretKey(r.oldName, secret);
        if (!op.value.isEmpty() || !op.moveFrom.isEmpty())
            job.ops.push_back(std::move(op));
    }
    m_job = std::move(job);
    if (!homeless.isEmpty()) {
        fail({ homeless, std::nullopt });
        return true;
    }
    runSecretOps(0);
    return true;
}

void ProfileSaver::runSecretOps(std::size_t next)
{
    if (next == m_job->ops.size())
        return commitProfile();
    const Op &op = m_job->ops[next];
    const auto failWith = [this](const SecretError &error) { fail({ error.message, error }); };

    if (op.value.isEmpty() && !op.clear) {
        // A rename carries the stored secret to the new name.
        m_secrets->read(op.moveFrom, this, [this, next, failWith](const secrets::ReadResult &result) {
            if (!result && result.error().kind == SecretError::Kind::NotFound) {
                m_job->ops[next].clear = true;
                return runSecretOps(next);
            }
            if (!result)
                return failWith(result.error());
            m_job->ops[next].value = result->value;
            runSecretOps(next);
        });
        return;
    }
    if (!op.previousKnown) {
        // What the key holds now, to put it back should a later step fail.
        m_secrets->read(op.key, this, [this, next, failWith](const secrets::ReadResult &result) {
            if (!result && result.error().kind != SecretError::Kind::NotFound)
                return failWith(result.error());
            m_job->ops[next].previousKnown = true;
            if (result)
                m_job->ops[next].previous = result->value;
            runSecretOps(next);
        });
        return;
    }
    if (op.clear) {
        if (!op.previous)
            return runSecretOps(next + 1); // nothing there
        m_secrets->remove(op.key, this, [this, next, failWith](const secrets::StoreResult &result) {
            if (!result && result.error().kind != SecretError::Kind::NotFound)
                return failWith(result.error());
            m_job->ops[next].done = true;
            runSecretOps(next + 1);
        });
        return;
    }
    m_secrets->write(op.key, op.value, this, [this, next, failWith](const secrets::StoreResult &result) {
        if (!result)
            return failWith(result.error());
        m_job->ops[next].done = true;
        m_job->ops[next].storage = result->storage;
        runSecretOps(next + 1);
    });
}

void ProfileSaver::commitProfile()
{
    const ProfileSave &request = m_job->request;
    const Profile &profile = request.profile;
    if (request.renames()) {
        const auto renamed = m_profiles->rename(request.oldName, profile.name);
        if (!renamed)
            return fail({ renamed.error().join(u'\n'), std::nullopt });
    }
    const auto stored = m_profiles->save(profile);
    if (!stored) {
        if (request.renames())
            m_profiles->rename(profile.name, request.oldName);
        return fail({ stored.error().join(u'\n'), std::nullopt });
    }
    // The secrets now live under the new name (moved above); the old keys go, unless the names differ in case
    // only: on a keychain that ignores case (Windows' Credential Manager) they are the very entries just
    // written.
    if (request.renames() && request.oldName.compare(profile.name, Qt::CaseInsensitive) != 0) {
        for (const SecretName secret : AllSecrets)
            m_secrets->remove(secrets::secretKey(request.oldName, secret), this, ignore);
    }

    SavedProfile result;
    result.name = profile.name;
    for (const Op &op : m_job->ops) {
        if (op.done && op.moveFrom.isEmpty() && !op.clear)
            result.writtenSecrets.append(op.name);
        result.sessionOnly = result.sessionOnly || (op.done && op.storage == secrets::Storage::SessionOnly);
    }
    m_job.reset(); // before the signal: its receiver may start the next save
    Q_EMIT saved(result);
}

void ProfileSaver::undoSecretOps()
{
    // Best effort: the keychain that just refused a write is unlikely to take the undo either, and then
    // there is nothing to undo.
    for (auto it = m_job->ops.rbegin(); it != m_job->ops.rend(); ++it) {
        if (!it->done)
            continue;
        if (it->previous)
            m_secrets->write(it->key, *it->previous, this, ignore);
        else
            m_secrets->remove(it->key, this, ignore);
    }
}

void ProfileSaver::fail(SaveFailure failure)
{
    undoSecretOps();
    m_job.reset();
    Q_EMIT saveFailed(failure);
}

} // namespace canary::profile
