// ProfileSaver's all-or-nothing rule without a dialog and without a keychain: a keychain of the test's own
// (FakeSecrets) that answers through the event loop as SecretStore does and refuses the keys it is told to,
// and a profile store in a temporary folder.

#include <QFile>
#include <QHash>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "profile/profilesaver.h"
#include "profile/profilestore.h"
#include "secrets/secretorigin.h"

using namespace Qt::Literals::StringLiterals;
using canary::profile::Profile;
using canary::profile::ProfileSave;
using canary::profile::ProfileSaver;
using canary::profile::ProfileStore;
using canary::profile::SavedProfile;
using canary::profile::SaveFailure;
using canary::secrets::sealSecret;
using canary::secrets::SecretError;
using canary::secrets::SecretName;

namespace {

// Secrets in a hash. Like SecretStore, every call answers once, later, from the event loop, and not at all
// once `context` died; a write to a key in `refusedWrites` fails as a locked keychain does.
class FakeSecrets final : public canary::secrets::SecretAccess
{
public:
    void read(const QString &key, const QObject *context, canary::secrets::ReadCallback onDone) override
    {
        ++calls;
        canary::secrets::ReadResult result = m_held.contains(key)
            ? canary::secrets::ReadResult(
                canary::secrets::Secret { key, m_held.value(key), canary::secrets::Storage::Keychain })
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
            m_held.insert(key, secret);
        later(context, [onDone = std::move(onDone), result] { onDone(result); });
    }

    void remove(const QString &key, const QObject *context, canary::secrets::StoreCallback onDone) override
    {
        ++calls;
        m_held.remove(key);
        later(context, [onDone = std::move(onDone), key] {
            onDone(canary::secrets::Stored { key, canary::secrets::Storage::Keychain });
        });
    }

    void hold(const QString &key, const QString &secret) { m_held.insert(key, secret); }
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

QByteArray contents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestProfileSaver : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(u"profiles-%1.ini"_s.arg(++m_run));
    }

    void success_writesTheSecretsThenTheFile()
    {
        ProfileStore profiles(m_path);
        FakeSecrets secrets;
        ProfileSaver saver(&profiles, &secrets);
        QSignalSpy saved(&saver, &ProfileSaver::saved);
        QSignalSpy failed(&saver, &ProfileSaver::saveFailed);

        ProfileSave request;
        request.profile = named(u"Prod"_s);
        request.typedSecrets.insert(SecretName::DynatraceToken, u"dt0c01.NEW.TOKEN"_s);
        request.typedSecrets.insert(SecretName::AwxToken, u"awx-token"_s);
        request.typedSecrets.insert(SecretName::AwxPassword, QString()); // not typed: left alone
        QVERIFY(request.touchesSecrets());
        QVERIFY(saver.save(request));
        QVERIFY(saver.isSaving());
        QVERIFY(!saver.save(request)); // one at a time
        QVERIFY(!profiles.contains(u"Prod"_s)); // not before the keychain answered

        QTRY_COMPARE(saved.count(), 1);
        QCOMPARE(failed.count(), 0);
        QVERIFY(!saver.isSaving());
        const auto result = saved.constFirst().constFirst().value<SavedProfile>();
        QCOMPARE(result.name, u"Prod"_s);
        QCOMPARE(result.writtenSecrets, (QList { SecretName::DynatraceToken, SecretName::AwxToken }));
        QVERIFY(!result.sessionOnly);
        QCOMPARE(profiles.load(u"Prod"_s), std::optional(request.profile));
        QCOMPARE(secrets.held(),
            (QHash<QString, QString> {
                { key(u"Prod"_s, SecretName::DynatraceToken),
                    sealSecret(u"dt0c01.NEW.TOKEN"_s, u"https://abc12345.live.dynatrace.com"_s) },
                { key(u"Prod"_s, SecretName::AwxToken),
                    sealSecret(u"awx-token"_s, u"https://awx.example"_s) } }));
        QVERIFY(!contents(m_path).contains("NEW.TOKEN")); // the file never holds a secret
    }

    void noSecretTyped_savesAtOnceWithoutTheKeychain()
    {
        ProfileStore profiles(m_path);
        FakeSecrets secrets;
        ProfileSaver saver(&profiles, &secrets);
        QSignalSpy saved(&saver, &ProfileSaver::saved);
        ProfileSave request;
        request.profile = named(u"Plain"_s);
        request.oldName = u"Plain"_s;
        QVERIFY(!request.touchesSecrets());
        QVERIFY(saver.save(request));
        QCOMPARE(saved.count(), 1);
        QVERIFY(saved.constFirst().constFirst().value<SavedProfile>().writtenSecrets.isEmpty());
        QCOMPARE(secrets.calls, 0);
        QVERIFY(profiles.contains(u"Plain"_s));
    }

    void rename_movesTheStoredSecretsAndDropsTheOldKeys()
    {
        ProfileStore profiles(m_path);
        QVERIFY(profiles.save(named(u"Before"_s)));
        FakeSecrets secrets;
        secrets.hold(key(u"Before"_s, SecretName::DynatraceToken), u"dt0c01.KEPT"_s);
        secrets.hold(key(u"Before"_s, SecretName::AwxPassword), u"old-password"_s);
        ProfileSaver saver(&profiles, &secrets);
        QSignalSpy saved(&saver, &ProfileSaver::saved);

        ProfileSave request;
        request.profile = named(u"After"_s);
        request.oldName = u"Before"_s;
        request.typedSecrets.insert(SecretName::AwxPassword, u"new-password"_s);
        QVERIFY(saver.save(request));
        QTRY_COMPARE(saved.count(), 1);
        QCOMPARE(saved.constFirst().constFirst().value<SavedProfile>().writtenSecrets,
            QList { SecretName::AwxPassword }); // the moved token was not typed
        QCOMPARE(profiles.names(), (QStringList { u"Demo"_s, u"After"_s }));
        QTRY_COMPARE(secrets.held(),
            (QHash<QString, QString> { { key(u"After"_s, SecretName::DynatraceToken), u"dt0c01.KEPT"_s },
                { key(u"After"_s, SecretName::AwxPassword),
                    sealSecret(u"new-password"_s, u"https://awx.example"_s) } }));
    }

    void keychainRefusesAWrite_fileUntouched_earlierSecretsBack()
    {
        {
            ProfileStore before(m_path);
            QVERIFY(before.save(named(u"Prod"_s, u"https://old.live.dynatrace.com"_s)));
        }
        const QByteArray fileBefore = contents(m_path);
        ProfileStore profiles(m_path);
        FakeSecrets secrets;
        secrets.hold(key(u"Prod"_s, SecretName::DynatraceToken), u"dt0c01.EARLIER"_s);
        secrets.refusedWrites.insert(key(u"Prod"_s, SecretName::AwxPassword));
        ProfileSaver saver(&profiles, &secrets);
        QSignalSpy saved(&saver, &ProfileSaver::saved);
        QSignalSpy failed(&saver, &ProfileSaver::saveFailed);

        // The token replaces an earlier one and the AWX token is new; both are written before the password
        // is refused.
        ProfileSave request;
        request.profile = named(u"Prod"_s, u"https://new.live.dynatrace.com"_s);
        request.oldName = u"Prod"_s;
        request.typedSecrets.insert(SecretName::DynatraceToken, u"dt0c01.TYPED"_s);
        request.typedSecrets.insert(SecretName::AwxToken, u"awx-typed"_s);
        request.typedSecrets.insert(SecretName::AwxPassword, u"password-typed"_s);
        QVERIFY(saver.save(request));

        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(saved.count(), 0);
        QVERIFY(!saver.isSaving());
        const auto failure = failed.constFirst().constFirst().value<SaveFailure>();
        QCOMPARE(failure.message, u"the keychain is locked"_s);
        QVERIFY(failure.secretError);
        QCOMPARE(failure.secretError->kind, SecretError::Kind::LockedOrDenied);
        QCOMPARE(failure.secretError->key, key(u"Prod"_s, SecretName::AwxPassword));

        QCOMPARE(contents(m_path), fileBefore);
        QCOMPARE(profiles.load(u"Prod"_s)->dynatraceUrl, QUrl(u"https://old.live.dynatrace.com"_s));
        QTRY_COMPARE(secrets.held(),
            (QHash<QString, QString> {
                { key(u"Prod"_s, SecretName::DynatraceToken), u"dt0c01.EARLIER"_s } }));
    }

    void profileFileCannotBeWritten_earlierSecretsBack()
    {
        // Even root cannot write a file below a regular file.
        const QString notAFolder = m_dir.filePath(u"not-a-folder-%1"_s.arg(m_run));
        QFile blocker(notAFolder);
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.write("x");
        blocker.close();
        ProfileStore profiles(notAFolder + u"/profiles.ini"_s);
        FakeSecrets secrets;
        secrets.hold(key(u"Prod"_s, SecretName::DynatraceToken), u"dt0c01.EARLIER"_s);
        ProfileSaver saver(&profiles, &secrets);
        QSignalSpy saved(&saver, &ProfileSaver::saved);
        QSignalSpy failed(&saver, &ProfileSaver::saveFailed);

        ProfileSave request;
        request.profile = named(u"Prod"_s);
        request.typedSecrets.insert(SecretName::DynatraceToken, u"dt0c01.TYPED"_s);
        request.typedSecrets.insert(SecretName::AwxToken, u"awx-typed"_s);
        QVERIFY(saver.save(request));

        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(saved.count(), 0);
        const auto failure = failed.constFirst().constFirst().value<SaveFailure>();
        QCOMPARE(failure.message,
            u"cannot save the profiles in %1/profiles.ini: it is read-only; nothing was saved"_s.arg(
                notAFolder));
        QVERIFY(!failure.secretError);
        QCOMPARE(profiles.names(), QStringList { u"Demo"_s });
        QTRY_COMPARE(secrets.held(),
            (QHash<QString, QString> {
                { key(u"Prod"_s, SecretName::DynatraceToken), u"dt0c01.EARLIER"_s } }));
    }

private:
    QTemporaryDir m_dir;
    QString m_path;
    int m_run = 0;
};

QTEST_GUILESS_MAIN(TestProfileSaver)
#include "tst_profilesaver.moc"
