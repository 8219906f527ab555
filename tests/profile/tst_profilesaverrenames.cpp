// Renames in ProfileSaver against a keychain that ignores case (Windows' Credential Manager does): a keychain
// of the test's own (FakeSecrets) that answers through the event loop as SecretStore does and refuses the
// keys it is told to, and a profile store in a temporary folder.

#include <QFile>
#include <QHash>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "profile/profilesaver.h"
#include "profile/profilestore.h"

using namespace Qt::Literals::StringLiterals;
using canary::profile::Profile;
using canary::profile::ProfileSave;
using canary::profile::ProfileSaver;
using canary::profile::ProfileStore;
using canary::profile::SavedProfile;
using canary::profile::SaveFailure;
using canary::secrets::SecretError;
using canary::secrets::SecretName;

namespace {

// Secrets in a hash. Like SecretStore, every call answers once, later, from the event loop, and not at all
// once `context` died; a write to a key in `refusedWrites` fails as a locked keychain does.
class CaseInsensitiveSecrets final : public canary::secrets::SecretAccess
{
public:
    void read(const QString &key, const QObject *context, canary::secrets::ReadCallback onDone) override
    {
        ++calls;
        canary::secrets::ReadResult result = m_held.contains(key.toLower())
            ? canary::secrets::ReadResult(canary::secrets::Secret {
                key, m_held.value(key.toLower()), canary::secrets::Storage::Keychain })
            : canary::secrets::ReadResult(error(SecretError::Kind::NotFound, key, u"no entry"_s));
        later(context, [onDone = std::move(onDone), result] { onDone(result); });
    }

    void write(const QString &key, const QString &secret, const QObject *context,
        canary::secrets::StoreCallback onDone) override
    {
        ++calls;
        canary::secrets::StoreResult result
            = canary::secrets::Stored { key, canary::secrets::Storage::Keychain };
        if (refusedWrites.contains(key))
            result = error(SecretError::Kind::LockedOrDenied, key, u"the keychain is locked"_s);
        else
            m_held.insert(key.toLower(), secret);
        later(context, [onDone = std::move(onDone), result] { onDone(result); });
    }

    void remove(const QString &key, const QObject *context, canary::secrets::StoreCallback onDone) override
    {
        ++calls;
        m_held.remove(key.toLower());
        later(context, [onDone = std::move(onDone), key] {
            onDone(canary::secrets::Stored { key, canary::secrets::Storage::Keychain });
        });
    }

    void hold(const QString &key, const QString &secret) { m_held.insert(key.toLower(), secret); }
    QHash<QString, QString> held() const { return m_held; }

    QSet<QString> refusedWrites;
    int calls = 0;

private:
    static SecretError error(SecretError::Kind kind, const QString &key, const QString &message)
    {
        SecretError e;
        e.kind = kind;
        e.key = key;
        e.message = message;
        return e;
    }

    template<typename Answer>
    static void later(const QObject *context, Answer answer)
    {
        QTimer::singleShot(0, context, std::move(answer));
    }

    QHash<QString, QString> m_held;
};

QString key(const QString &profile, SecretName name)
{
    return canary::secrets::secretKey(profile, name);
}

Profile named(const QString &name, const QString &url = u"https://abc12345.live.dynatrace.com"_s)
{
    Profile profile;
    profile.name = name;
    profile.dynatraceUrl = QUrl(url);
    profile.awxUrl = QUrl(u"https://awx.example"_s);
    return profile.normalised();
}

} // namespace

class TestProfileSaverRenames : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Windows Credential Manager compares target names without case (so does a profile store: a change of
    // case only is allowed and is a rename). Renaming "Prod" to "prod" writes "prod/…" (the same entry as
    // "Prod/…"), then removes the old name's keys "Prod/…": the token is gone.
    void caseOnlyRename_onACaseInsensitiveKeychain_keepsTheSecrets()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"profiles.ini"_s);
        ProfileStore profiles(path);
        QVERIFY(profiles.save(named(u"Prod"_s)));
        CaseInsensitiveSecrets secrets;
        secrets.hold(key(u"Prod"_s, SecretName::DynatraceToken), u"dt0c01.KEPT"_s);
        ProfileSaver saver(&profiles, &secrets);
        QSignalSpy saved(&saver, &ProfileSaver::saved);
        QSignalSpy failed(&saver, &ProfileSaver::saveFailed);

        ProfileSave request;
        request.profile = named(u"prod"_s);
        request.oldName = u"Prod"_s;
        QVERIFY(saver.save(request));
        QTRY_COMPARE(saved.count() + failed.count(), 1);
        QCOMPARE(saved.count(), 1);
        QVERIFY(profiles.contains(u"prod"_s));
        QVERIFY2(secrets.held().contains(key(u"prod"_s, SecretName::DynatraceToken).toLower()),
            "the Dynatrace token was deleted by the case-only rename");
    }

    // A rename onto a name whose keychain entries outlived an earlier profile of that name: the renamed
    // profile silently inherits the stranger's AWX token, because a secret the old name does not have is
    // skipped (not cleared) under the new name.
    void rename_doesNotInheritSecretsAlreadyUnderTheNewName()
    {
        QTemporaryDir dir;
        ProfileStore profiles(dir.filePath(u"profiles.ini"_s));
        QVERIFY(profiles.save(named(u"Staging"_s)));
        CaseInsensitiveSecrets secrets;
        secrets.hold(key(u"Staging"_s, SecretName::DynatraceToken), u"dt0c01.STAGING"_s);
        secrets.hold(key(u"Prod"_s, SecretName::AwxToken), u"prod-awx-admin-token"_s); // left over
        ProfileSaver saver(&profiles, &secrets);
        QSignalSpy saved(&saver, &ProfileSaver::saved);
        ProfileSave request;
        request.profile = named(u"Prod"_s);
        request.oldName = u"Staging"_s;
        QVERIFY(saver.save(request));
        QTRY_COMPARE(saved.count(), 1);
        QVERIFY2(!secrets.held().contains(key(u"Prod"_s, SecretName::AwxToken).toLower()),
            "the renamed profile now carries an AWX token it never had");
    }
};

QTEST_MAIN(TestProfileSaverRenames)
#include "tst_profilesaverrenames.moc"
