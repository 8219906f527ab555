// canaryctl with profiles and the OS keychain: a real Secret Service (GNOME Keyring on a private bus, started
// by tests/secrets/with-keyring.sh) and the simulator as the "real" environment. The token goes in through
// stdin, lives only in the keychain, and `--profile` finds it there.

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "canaryctlrun.h"
#include "secretstestsupport.h"
#include "simfixture.h"

using namespace Qt::Literals::StringLiterals;
using canary::testing::canaryctl;
using canary::testing::Run;
using canary::testing::SimFixture;

namespace { } // namespace

class TestCanaryctlKeychain : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        canary::testing::forgetDesktopEnvironment();
        QVERIFY(m_xdg.setUp());
        m_environment = QProcessEnvironment::systemEnvironment();
        for (const auto &name : { u"DT_ENV_URL"_s, u"DT_API_TOKEN"_s, u"DYNATRACE_ENV_URL"_s,
                 u"DYNATRACE_API_TOKEN"_s, u"CONTROLLER_HOST"_s, u"CONTROLLER_OAUTH_TOKEN"_s })
            m_environment.remove(name);
        // The child's profiles and state stay in this test's directories (set by IsolatedXdgDirs).
        m_environment.insert(u"XDG_CONFIG_HOME"_s, qEnvironmentVariable("XDG_CONFIG_HOME"));
        m_environment.insert(u"XDG_DATA_HOME"_s, qEnvironmentVariable("XDG_DATA_HOME"));
        m_environment.insert(u"CANARY_STATE_DIR"_s, m_xdg.root() + u"/state"_s);
    }

    void profileImport_secretFromStdin_statusReadsTheKeychain()
    {
        SimFixture fixture(30, 5);
        const QString token = fixture.environment->token();
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath(u"staging.conf"_s);
        QFile text(file);
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write(u"name = Staging\ndynatrace.url = %1\ntarget.build-dimension = Build\n"_s
                       .arg(fixture.environment->baseUrl().toString())
                       .toUtf8());
        text.close();

        Run run = canaryctl({ u"profile"_s, u"import"_s, file }, m_environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(run.out.startsWith("imported Staging"));
        run = canaryctl({ u"profile"_s, u"list"_s }, m_environment);
        QCOMPARE(run.out, QByteArray("Demo\nStaging\n"));
        // A second import of the same name asks for --yes.
        run = canaryctl({ u"profile"_s, u"import"_s, file }, m_environment);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("--yes"), run.err.constData());

        // Without a token anywhere, status says where to put one.
        run = canaryctl({ u"status"_s, u"--profile"_s, u"Staging"_s }, m_environment);
        QVERIFY2(run.exitCode != 0, run.out.constData());
        QVERIFY2(run.err.contains("DT_API_TOKEN"), run.err.constData());

        // The token goes in through stdin, never the command line.
        run = canaryctl({ u"secret"_s, u"set"_s, u"dynatrace-token"_s, u"--profile"_s, u"Staging"_s },
            m_environment, token.toUtf8() + "\n");
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.startsWith("stored Staging/dynatrace-token in the keychain, for http://127.0.0.1:"),
            run.out.constData());
        QVERIFY(!run.out.contains(token.toUtf8()) && !run.err.contains(token.toUtf8()));

        run = canaryctl({ u"status"_s, u"--profile"_s, u"Staging"_s, u"--json"_s }, m_environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject status = QJsonDocument::fromJson(run.out).object();
        QVERIFY2(status.value(u"builds"_s).toArray().size() >= 2, run.out.constData());

        // Nothing but the keychain holds it: no file under the config, data, cache or state directories.
        QCOMPARE(m_xdg.filesContaining(token), QStringList());
        // The export never carries it either.
        run = canaryctl({ u"profile"_s, u"export"_s, u"Staging"_s }, m_environment);
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.contains("name = Staging"));
        QVERIFY(!run.out.contains(token.toUtf8()));

        // The environment overrides the keychain: a wrong DT_API_TOKEN wins and fails.
        QProcessEnvironment overridden = m_environment;
        overridden.insert(u"DT_API_TOKEN"_s, u"dt0c01.WRONGPUBLICPART.WRONGSECRETPART"_s);
        run = canaryctl({ u"status"_s, u"--profile"_s, u"Staging"_s }, overridden);
        QCOMPARE(run.exitCode, 3);
        QVERIFY(!run.err.contains("WRONGSECRETPART"));

        // Forgotten: gone from the keychain.
        run = canaryctl(
            { u"secret"_s, u"forget"_s, u"dynatrace-token"_s, u"--profile"_s, u"Staging"_s }, m_environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        run = canaryctl({ u"status"_s, u"--profile"_s, u"Staging"_s }, m_environment);
        QVERIFY(run.exitCode != 0);
    }

    void secretBadInput_usageErrors()
    {
        Run run = canaryctl({ u"secret"_s, u"set"_s, u"dynatrace-token"_s }, m_environment, "x");
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("--profile"), run.err.constData());
        run = canaryctl({ u"secret"_s, u"set"_s, u"bogus"_s, u"--profile"_s, u"Demo"_s }, m_environment, "x");
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("unknown secret 'bogus'"), run.err.constData());
        run = canaryctl(
            { u"secret"_s, u"set"_s, u"dynatrace-token"_s, u"--profile"_s, u"Demo"_s }, m_environment, "x");
        QCOMPARE(run.exitCode, 2);
        run = canaryctl({ u"secret"_s, u"set"_s, u"dynatrace-token"_s, u"--profile"_s, u"Nowhere"_s },
            m_environment, "x");
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("Nowhere"), run.err.constData());
    }

private:
    canary::testing::IsolatedXdgDirs m_xdg;
    QProcessEnvironment m_environment;
};

QTEST_GUILESS_MAIN(TestCanaryctlKeychain)
#include "tst_canaryctl_keychain.moc"
