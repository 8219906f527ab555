#include <QFile>
#include <QProcessEnvironment>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

#include "profile/profilefile.h"
#include "profile/profilestore.h"
#include "profile/targetoptions.h"

using namespace Qt::Literals::StringLiterals;
using canary::profile::Profile;
using canary::profile::ProfileStore;

namespace {

Profile prod()
{
    Profile profile;
    profile.name = u"Prod EU (eu-west-1)"_s;
    profile.dynatraceUrl = QUrl(u"https://abc12345.live.dynatrace.com"_s);
    profile.entitySelector
        = u"type(SERVICE),tag(\"[Environment]DT_RELEASE_STAGE:prod\"),entityName(\"a, b\")"_s;
    profile.metricSelector = u"@calc:service.requests_by_build"_s; // QSettings escapes a leading @
    profile.failureMetricSelector.clear(); // off: an empty value must stay empty, not become the default
    profile.responseTimeMetricSelector = u"calc:service.rt:splitBy(\"Build\"):percentile(90)"_s;
    profile.buildDimension = u"Build"_s;
    profile.stableBuild = u"1.0.0"_s;
    profile.canaryBuild = u"1.1.0"_s;
    profile.refreshSeconds = 20;
    profile.from = u"now-1h"_s;
    profile.resolution = u"1m"_s;
    profile.trafficBackend = u"awx"_s;
    profile.awxUrl = QUrl(u"https://awx.example.com"_s);
    profile.awxApiPath = u"/api/controller/v2/"_s;
    profile.awxAuth = u"basic"_s;
    profile.awxUsername = u"operator"_s;
    profile.awxTemplate = u"Set canary weight"_s;
    profile.kubeContext = u"prod"_s;
    profile.allowedOrigins = { u"https://gitlab.example.com"_s, u"http://ansible.10.0.0.1.nip.io"_s };
    profile.autoRemediate = true;
    profile.countdownSeconds = 60;
    profile.confirmRollback = false;
    profile.caBundle = u"/etc/ssl/corp.pem"_s;
    return profile;
}

Profile named(const QString &name)
{
    Profile profile;
    profile.name = name;
    return profile;
}

QByteArray contents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QString errors(const ProfileStore::Result &result)
{
    return result ? QString() : result.error().join(u'\n');
}

} // namespace

class TestProfileStore : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_path;

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(u"profiles-%1.ini"_s.arg(QString::fromLatin1(QTest::currentTestFunction())));
        QFile::remove(m_path);
    }

    void roundTrip()
    {
        {
            ProfileStore store(m_path);
            const auto saved = store.save(prod());
            QVERIFY2(saved, qPrintable(errors(saved)));
            QCOMPARE(store.load(prod().name), prod());
        }
        // A new store over the same file: what was written is what was meant.
        ProfileStore store(m_path);
        QCOMPARE(store.location(), m_path);
        QCOMPARE(store.names(), QStringList({ u"Demo"_s, prod().name }));
        const auto loaded = store.load(prod().name);
        QVERIFY(loaded);
        QCOMPARE(*loaded, prod());
        // Names are found regardless of case.
        QCOMPARE(store.load(prod().name.toUpper()), prod());

        // Replacing keeps one profile; an emptied origin list stays empty.
        Profile changed = prod();
        changed.allowedOrigins.clear();
        changed.refreshSeconds = 300;
        QVERIFY(store.save(changed));
        QCOMPARE(store.names().size(), 2);
        QCOMPARE(store.load(prod().name), changed);
    }

    void settingsUseTheFileKeys()
    {
        ProfileStore store(m_path);
        QVERIFY(store.save(prod()));
        QSettings settings(m_path, QSettings::IniFormat);
        settings.beginGroup(u"profiles/"_s + prod().name);
        QCOMPARE(settings.value(u"dynatrace.url"_s).toString(), u"https://abc12345.live.dynatrace.com"_s);
        QCOMPARE(settings.value(u"refresh"_s).toString(), u"20"_s);
        QCOMPARE(settings.value(u"auto-remediation.enabled"_s).toString(), u"true"_s);
        QCOMPARE(settings.value(u"rollback.allow-origin"_s).toStringList(), prod().allowedOrigins);
        QVERIFY(!settings.contains(u"name"_s));
        for (const QString &key : settings.childKeys())
            QVERIFY2(canary::profile::profileKeys().contains(key), qPrintable(key));
    }

    void save_normalises()
    {
        ProfileStore store(m_path);
        Profile profile = named(u" Staging "_s);
        profile.dynatraceUrl = QUrl(u"https://abc12345.apps.dynatrace.com/"_s);
        profile.allowedOrigins = { u"https://gitlab.example.com/"_s };
        QVERIFY(store.save(profile));
        const auto loaded = store.load(u"Staging"_s);
        QVERIFY(loaded);
        QCOMPARE(loaded->dynatraceUrl.toString(), u"https://abc12345.live.dynatrace.com"_s);
        QCOMPARE(loaded->allowedOrigins, QStringList { u"https://gitlab.example.com"_s });
    }

    void invalid_notSaved()
    {
        ProfileStore store(m_path);
        QVERIFY(store.save(prod()));
        const QByteArray before = contents(m_path);
        QVERIFY(!before.isEmpty());

        Profile bad = prod();
        bad.refreshSeconds = 1;
        bad.awxTemplate.clear();
        bad.allowedOrigins.append(u"gitlab.example.com/x"_s);
        const auto saved = store.save(bad);
        QVERIFY(!saved);
        QCOMPARE(saved.error().size(), 3);
        QVERIFY(saved.error().front().startsWith(u"refresh must be at least 5 seconds"_s));
        QCOMPARE(contents(m_path), before);
        QCOMPARE(store.load(prod().name), prod());

        Profile another = bad;
        another.name = u"Another"_s;
        QVERIFY(!store.save(another));
        QCOMPARE(contents(m_path), before);
        QCOMPARE(store.names().size(), 2);
    }

    void demo_alwaysPresentAndFixed()
    {
        ProfileStore store(m_path);
        QCOMPARE(store.names(), QStringList { u"Demo"_s });
        QVERIFY(store.contains(u"Demo"_s));
        QCOMPARE(store.load(u"Demo"_s), Profile::demo());
        QCOMPARE(store.load(u"demo"_s), Profile::demo());

        QVERIFY(!store.remove(u"Demo"_s));
        QVERIFY(!store.rename(u"Demo"_s, u"Mine"_s));
        Profile changedDemo = Profile::demo();
        changedDemo.refreshSeconds = 30;
        const auto saved = store.save(changedDemo);
        QVERIFY(!saved);
        QVERIFY(saved.error().front().contains(u"built-in"_s));
        QVERIFY(!store.save(named(u"DEMO"_s)));
        QVERIFY(!QFile::exists(m_path));

        // Demo stays first whatever is stored.
        QVERIFY(store.save(named(u"Alpha"_s)));
        QVERIFY(store.save(named(u"beta"_s)));
        QVERIFY(store.save(named(u"Zulu"_s)));
        QCOMPARE(store.names(), QStringList({ u"Demo"_s, u"Alpha"_s, u"beta"_s, u"Zulu"_s }));
        QVERIFY(!store.rename(u"Alpha"_s, u"Demo"_s));
        QVERIFY(!store.duplicate(u"Alpha"_s, u"demo"_s));
        QCOMPARE(store.load(u"Demo"_s), Profile::demo());
    }

    void duplicateRenameRemove()
    {
        ProfileStore store(m_path);
        QVERIFY(store.save(prod()));

        // Duplicating the Demo is how a profile starts.
        auto result = store.duplicate(u"Demo"_s, u"My demo"_s);
        QVERIFY2(result, qPrintable(errors(result)));
        Profile myDemo = Profile::demo();
        myDemo.name = u"My demo"_s;
        QCOMPARE(store.load(u"My demo"_s), myDemo);

        result = store.duplicate(prod().name, u"Prod copy"_s);
        QVERIFY2(result, qPrintable(errors(result)));
        Profile copy = prod();
        copy.name = u"Prod copy"_s;
        QCOMPARE(store.load(u"Prod copy"_s), copy);
        QVERIFY(!store.duplicate(prod().name, u"prod COPY"_s)); // exists, regardless of case
        QVERIFY(!store.duplicate(u"nope"_s, u"x"_s));
        QVERIFY(!store.duplicate(prod().name, u"a/b"_s));

        result = store.rename(u"Prod copy"_s, u"Prod US"_s);
        QVERIFY2(result, qPrintable(errors(result)));
        QVERIFY(!store.load(u"Prod copy"_s));
        copy.name = u"Prod US"_s;
        QCOMPARE(store.load(u"Prod US"_s), copy);
        QVERIFY(!store.rename(u"Prod US"_s, u"my DEMO"_s)); // taken
        QVERIFY(!store.rename(u"nope"_s, u"x"_s));
        QVERIFY(!store.rename(u"Prod US"_s, u""_s));

        // A change of case only.
        result = store.rename(u"Prod US"_s, u"PROD US"_s);
        QVERIFY2(result, qPrintable(errors(result)));
        QVERIFY(store.names().contains(u"PROD US"_s));
        QVERIFY(!store.names().contains(u"Prod US"_s));
        copy.name = u"PROD US"_s;
        QCOMPARE(store.load(u"PROD US"_s), copy);

        result = store.remove(u"prod us"_s);
        QVERIFY2(result, qPrintable(errors(result)));
        QVERIFY(!store.remove(u"prod us"_s));
        QCOMPARE(store.names(), QStringList({ u"Demo"_s, u"My demo"_s, prod().name }));

        // What is left survives a new store.
        ProfileStore reopened(m_path);
        QCOMPARE(reopened.names(), store.names());
        QCOMPARE(reopened.load(prod().name), prod());
    }

    void names_uniqueRegardlessOfCase()
    {
        ProfileStore store(m_path);
        QVERIFY(store.save(named(u"Staging"_s)));
        const auto saved = store.save(named(u"staging"_s));
        QVERIFY(!saved);
        QVERIFY(saved.error().front().contains(u"already exists"_s));
        QCOMPARE(store.names(), QStringList({ u"Demo"_s, u"Staging"_s }));
    }

    void secrets_neverWritten()
    {
        // The operator's environment carries the secrets; the profile is made beside them.
        const QByteArray dynatraceToken = "dt0c01.STOREDTOKENSHOULDNOT.APPEARANYWHERE1234567890";
        const QByteArray awxToken = "AwxOauthTokenNeverWritten42";
        const QByteArray awxPassword = "AwxPasswordNeverWritten42";
        const QByteArray kubeToken = "KubeTokenNeverWritten42";
        qputenv("DT_API_TOKEN", dynatraceToken);
        qputenv("CONTROLLER_OAUTH_TOKEN", awxToken);
        qputenv("CONTROLLER_PASSWORD", awxPassword);
        qputenv("KUBE_TOKEN", kubeToken);
        const auto environment = QProcessEnvironment::systemEnvironment();
        QCOMPARE(canary::profile::TargetOptions::tokenFrom(environment).toUtf8(), dynatraceToken);

        ProfileStore store(m_path);
        QVERIFY(store.save(prod()));
        QVERIFY(store.duplicate(prod().name, u"Copy"_s));
        QVERIFY(store.rename(u"Copy"_s, u"Renamed"_s));
        const QByteArray written = contents(m_path);
        QVERIFY(!written.isEmpty());
        for (const QByteArray &secret : { dynatraceToken, awxToken, awxPassword, kubeToken })
            QVERIFY2(!written.contains(secret), secret.constData());
        for (const char *word : { "token", "password", "secret" })
            QVERIFY2(!written.toLower().contains(word), word);

        // A file carrying one is refused outright, and the refusal does not repeat it.
        const auto read = canary::profile::readProfileText(
            QByteArray("name = x\napi-token = " + dynatraceToken + "\n"), u"x.conf"_s);
        QVERIFY(!read);
        QVERIFY(!read.error().join(u'\n').toUtf8().contains(dynatraceToken));

        for (const char *name :
            { "DT_API_TOKEN", "CONTROLLER_OAUTH_TOKEN", "CONTROLLER_PASSWORD", "KUBE_TOKEN" })
            qunsetenv(name);
    }

    void handEditedSettings()
    {
        {
            QSettings settings(m_path, QSettings::IniFormat);
            settings.setValue(u"profiles/Edited/refresh"_s, u"soon"_s);
            settings.setValue(u"profiles/Newer/refresh"_s, u"30"_s);
            settings.setValue(u"profiles/Newer/some.future-option"_s, u"x"_s);
        }
        ProfileStore store(m_path);
        QCOMPARE(store.names(), QStringList({ u"Demo"_s, u"Edited"_s, u"Newer"_s }));
        // A broken value: no profile, and read() says why and where.
        QVERIFY(!store.load(u"Edited"_s));
        const auto read = store.read(u"Edited"_s);
        QVERIFY(!read);
        QCOMPARE(read.error(),
            QStringList {
                m_path + u" [profiles/Edited]: refresh must be a whole number of seconds, not 'soon'"_s });
        // A key from a newer version is ignored.
        const auto newer = store.load(u"Newer"_s);
        QVERIFY(newer);
        QCOMPARE(newer->refreshSeconds, 30);
        QVERIFY(!store.load(u"Missing"_s));
        QCOMPARE(store.read(u"Missing"_s).error(), QStringList { u"no profile named 'Missing'"_s });
    }

    void externalSettings()
    {
        QSettings settings(m_path, QSettings::IniFormat);
        ProfileStore store(&settings);
        QVERIFY(store.save(named(u"One"_s)));
        QCOMPARE(settings.group(), QString()); // left at the root
        QCOMPARE(settings.value(u"profiles/One/refresh"_s).toString(), u"60"_s);
        QCOMPARE(ProfileStore(&settings).names(), QStringList({ u"Demo"_s, u"One"_s }));
    }

    void unwritable_refusedAndUnchanged()
    {
        // Even root cannot write a file below a regular file.
        const QString notAFolder = m_dir.filePath(u"not-a-folder"_s);
        QFile blocker(notAFolder);
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.write("x");
        blocker.close();
        ProfileStore store(notAFolder + u"/profiles.ini"_s);
        const auto saved = store.save(named(u"Two"_s));
        QVERIFY(!saved);
        QCOMPARE(saved.error(),
            QStringList {
                u"cannot save the profiles in %1/profiles.ini: it is read-only; nothing was saved"_s.arg(
                    notAFolder) });
        QCOMPARE(store.names(), QStringList { u"Demo"_s });
        QCOMPARE(contents(notAFolder), QByteArray("x"));

        // A read-only file, for a user who cannot write it.
        {
            ProfileStore writable(m_path);
            QVERIFY(writable.save(named(u"One"_s)));
        }
        const QByteArray before = contents(m_path);
        QFile::setPermissions(m_path, QFile::ReadOwner);
        QSettings readOnly(m_path, QSettings::IniFormat);
        const bool root = readOnly.isWritable();
        if (!root) {
            ProfileStore locked(&readOnly);
            QVERIFY(!locked.save(named(u"Two"_s)));
            QVERIFY(!locked.remove(u"One"_s));
            QCOMPARE(locked.names(), QStringList({ u"Demo"_s, u"One"_s }));
            QCOMPARE(contents(m_path), before);
        }
        QFile::setPermissions(m_path, QFile::ReadOwner | QFile::WriteOwner);
    }
};

QTEST_GUILESS_MAIN(TestProfileStore)
#include "tst_profilestore.moc"
