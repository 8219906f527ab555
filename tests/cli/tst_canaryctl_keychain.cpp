// canaryctl with profiles and the OS keychain: a real Secret Service (GNOME Keyring on a private bus, started
// by tests/secrets/with-keyring.sh) and the simulator as the "real" environment. The token goes in through
// stdin, lives only in the keychain, and `--profile` finds it there.

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include "canaryctlrun.h"
#include "secrets/secretorigin.h"
#include "secrets/secretstore.h"
#include "secretstestsupport.h"
#include "simfixture.h"

using namespace Qt::Literals::StringLiterals;
using canary::testing::canaryctl;
using canary::testing::Run;
using canary::testing::SimFixture;

namespace {

// The other host an imported profile, a flag or the environment points at: it records every request it gets
// (and answers 401), so a test can say that no credential, and nothing at all, reached it.
class RecordingServer : public QObject
{
public:
    RecordingServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
                    const QByteArray data = socket->readAll();
                    m_received += data;
                    if (data.contains("\r\n\r\n")) {
                        ++m_requests;
                        socket->write("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                                      "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
                        socket->disconnectFromHost();
                    }
                });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
        m_server.listen(QHostAddress::LocalHost);
    }
    QString url() const { return u"http://127.0.0.1:%1"_s.arg(m_server.serverPort()); }
    int requests() const { return m_requests; }
    const QByteArray &received() const { return m_received; }

private:
    QTcpServer m_server;
    int m_requests = 0;
    QByteArray m_received;
};

QString writeFile(const QTemporaryDir &dir, const QString &name, const QString &text)
{
    QFile file(dir.filePath(name));
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(text.toUtf8());
    return file.fileName();
}

} // namespace

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

    // The attacker's scenario: a colleague's "prod" file that keeps the name and points elsewhere, imported
    // with --yes. The keychain's secrets stay with the origins they were saved for.
    void importWithAnotherUrl_sendsNoCredentialThere_andSaysWhatToDo()
    {
        SimFixture fixture(30, 5);
        const QString sim = fixture.environment->baseUrl().toString();
        RecordingServer other;
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString original = writeFile(dir, u"prod.conf"_s,
            u"name = Prod\ndynatrace.url = %1\nawx.url = %1\nkube.server = %1\ntarget.build-dimension = Build\n"_s
                .arg(sim));
        Run run = canaryctl({ u"profile"_s, u"import"_s, original }, m_environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QString token = fixture.environment->token();
        const QString awxToken = u"AwxTokenSavedForTheRealAwx0123"_s;
        const QString kubeToken = u"kube-token-saved-for-the-real-api-server"_s;
        for (const auto &[name, value] : { std::pair { u"dynatrace-token"_s, token },
                 std::pair { u"awx-token"_s, awxToken }, std::pair { u"kube-token"_s, kubeToken } }) {
            run = canaryctl(
                { u"secret"_s, u"set"_s, name, u"--profile"_s, u"Prod"_s }, m_environment, value.toUtf8());
            QVERIFY2(run.exitCode == 0, run.err.constData());
        }
        run = canaryctl({ u"status"_s, u"--profile"_s, u"Prod"_s }, m_environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());

        const QString rogue = writeFile(dir, u"rogue.conf"_s,
            u"name = Prod\ndynatrace.url = %1\nawx.url = %1\nkube.server = %1\ntarget.build-dimension = Build\n"_s
                .arg(other.url()));
        // Without --yes: what would change, the origins first, and nothing replaced.
        run = canaryctl({ u"profile"_s, u"import"_s, rogue }, m_environment);
        QCOMPARE(run.exitCode, 2);
        const QList<QByteArray> listed = run.err.split('\n');
        const QByteArray firstChange
            = QByteArray("  dynatrace.url: ") + sim.toUtf8() + " -> " + other.url().toUtf8();
        QVERIFY2(listed.size() > 2 && listed.at(1).startsWith(firstChange), run.err.constData());
        QVERIFY2(run.err.contains("awx.url") && run.err.contains("kube.server"), run.err.constData());
        // With --yes: the same list, then replaced.
        run = canaryctl({ u"profile"_s, u"import"_s, rogue, u"--yes"_s }, m_environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.startsWith("replacing Prod:\n  dynatrace.url: "), run.out.constData());
        QVERIFY2(run.out.contains("not sent to the new one"), run.out.constData());

        // Every command that would carry a secret to the new host refuses, naming both origins and what to
        // do.
        run = canaryctl({ u"status"_s, u"--profile"_s, u"Prod"_s }, m_environment);
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(
            run.err.contains(sim.toUtf8()) && run.err.contains(other.url().toUtf8()), run.err.constData());
        QVERIFY2(
            run.err.contains("canaryctl secret set dynatrace-token --profile Prod"), run.err.constData());
        run = canaryctl({ u"plan"_s, u"--profile"_s, u"Prod"_s }, m_environment);
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("secret set awx-token"), run.err.constData());
        run = canaryctl({ u"split"_s, u"get"_s, u"--profile"_s, u"Prod"_s, u"--traffic-backend"_s,
                            u"kubernetes"_s, u"--kube-object"_s, u"ingress/shop/web"_s },
            m_environment);
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("kube-token"), run.err.constData());
        QVERIFY(!run.err.contains(token.toUtf8()) && !run.err.contains(awxToken.toUtf8()));
        QCOMPARE(other.requests(), 0);
        QVERIFY(other.received().isEmpty());

        // A token saved for the new origin on purpose goes there, and only that one (once the other secrets,
        // still bound to the old origins, are forgotten: while any would go astray, nothing runs).
        for (const QString &name : { u"awx-token"_s, u"kube-token"_s }) {
            run = canaryctl({ u"secret"_s, u"forget"_s, name, u"--profile"_s, u"Prod"_s }, m_environment);
            QVERIFY2(run.exitCode == 0, run.err.constData());
        }
        run = canaryctl({ u"secret"_s, u"set"_s, u"dynatrace-token"_s, u"--profile"_s, u"Prod"_s },
            m_environment, "dt0c01.NEWORIGINPUBLIC.NEWORIGINSECRET");
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains(other.url().toUtf8()), run.out.constData());
        run = canaryctl({ u"status"_s, u"--profile"_s, u"Prod"_s }, m_environment);
        QVERIFY(run.exitCode != 0); // the recording server answers 401
        QVERIFY(other.requests() > 0);
        QVERIFY(other.received().contains("NEWORIGINSECRET"));
        QVERIFY(!other.received().contains(token.toUtf8()));
    }

    // A URL from the environment, a flag or a --config file that borrows the stored profile's name pairs
    // only with a token from the environment.
    void urlFromEnvironmentFlagOrConfig_getsNoKeychainToken()
    {
        SimFixture fixture(30, 5);
        const QString sim = fixture.environment->baseUrl().toString();
        RecordingServer other;
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString original = writeFile(dir, u"edge.conf"_s,
            u"name = Edge\ndynatrace.url = %1\ntarget.build-dimension = Build\n"_s.arg(sim));
        Run run = canaryctl({ u"profile"_s, u"import"_s, original }, m_environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QString token = fixture.environment->token();
        run = canaryctl({ u"secret"_s, u"set"_s, u"dynatrace-token"_s, u"--profile"_s, u"Edge"_s },
            m_environment, token.toUtf8());
        QVERIFY2(run.exitCode == 0, run.err.constData());

        QProcessEnvironment redirected = m_environment;
        redirected.insert(u"DT_ENV_URL"_s, other.url());
        run = canaryctl({ u"events"_s, u"--profile"_s, u"Edge"_s }, redirected);
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("DT_API_TOKEN"), run.err.constData());
        run = canaryctl(
            { u"status"_s, u"--profile"_s, u"Edge"_s, u"--dynatrace-url"_s, other.url() }, m_environment);
        QCOMPARE(run.exitCode, 3);
        const QString borrowed = writeFile(dir, u"borrowed.conf"_s,
            u"name = Edge\ndynatrace.url = %1\ntarget.build-dimension = Build\n"_s.arg(other.url()));
        run = canaryctl({ u"status"_s, u"--config"_s, borrowed }, m_environment);
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains(sim.toUtf8()), run.err.constData());
        QCOMPARE(other.requests(), 0);

        // The environment's own pair is the operator's choice: its token goes, the keychain's does not.
        redirected.insert(u"DT_API_TOKEN"_s, u"dt0c01.ENVPUBLIC.ENVSECRET"_s);
        run = canaryctl({ u"status"_s, u"--profile"_s, u"Edge"_s }, redirected);
        QVERIFY(other.requests() > 0);
        QVERIFY(other.received().contains("ENVSECRET"));
        QVERIFY(!other.received().contains(token.toUtf8()));
    }

    // An entry saved before secrets recorded their origin: bound once to the stored profile's origin, said
    // on stderr, and used from then on like any other.
    void oldEntry_isBoundOnceToTheProfilesOrigin()
    {
        SimFixture fixture(30, 5);
        const QString sim = fixture.environment->baseUrl().toString();
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = writeFile(dir, u"old.conf"_s,
            u"name = Old\ndynatrace.url = %1\ntarget.build-dimension = Build\n"_s.arg(sim));
        Run run = canaryctl({ u"profile"_s, u"import"_s, file }, m_environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        canary::secrets::SecretStore store; // the service canaryctl uses
        const QString key = canary::secrets::secretKey(u"Old"_s, canary::secrets::SecretName::DynatraceToken);
        const auto written = canary::testing::writeSecret(store, key, fixture.environment->token());
        QVERIFY(written && written->hasValue());

        run = canaryctl({ u"status"_s, u"--profile"_s, u"Old"_s }, m_environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains(
                     QByteArray("saved before secrets recorded their origin: bound to " + sim.toUtf8())),
            run.err.constData());
        const auto read = canary::testing::readSecret(store, key);
        QVERIFY(read && read->hasValue());
        QCOMPARE(canary::secrets::unsealSecret(read->value().value).origin,
            canary::secrets::bindingOrigin(QUrl(sim)));
        run = canaryctl({ u"status"_s, u"--profile"_s, u"Old"_s }, m_environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(!run.err.contains("saved before"), run.err.constData()); // once
    }

    // An old entry never read yet, then an import that points the profile elsewhere: the import binds the
    // entry to the origin the profile named until then, so the first read after it does not bind it to the
    // imported host.
    void importBindsOldEntriesToTheOriginTheyWereFor()
    {
        SimFixture fixture(30, 5);
        const QString sim = fixture.environment->baseUrl().toString();
        RecordingServer other;
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        Run run = canaryctl(
            { u"profile"_s, u"import"_s,
                writeFile(dir, u"first.conf"_s,
                    u"name = Unread\ndynatrace.url = %1\ntarget.build-dimension = Build\n"_s.arg(sim)) },
            m_environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        canary::secrets::SecretStore store;
        const QString key
            = canary::secrets::secretKey(u"Unread"_s, canary::secrets::SecretName::DynatraceToken);
        const auto written = canary::testing::writeSecret(store, key, fixture.environment->token());
        QVERIFY(written && written->hasValue());

        run = canaryctl({ u"profile"_s, u"import"_s,
                            writeFile(dir, u"second.conf"_s,
                                u"name = Unread\ndynatrace.url = %1\ntarget.build-dimension = Build\n"_s.arg(
                                    other.url())),
                            u"--yes"_s },
            m_environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QByteArray boundTo = "bound to " + canary::secrets::bindingOrigin(QUrl(sim)).toUtf8();
        QVERIFY2(run.err.contains(boundTo), run.err.constData());
        run = canaryctl({ u"status"_s, u"--profile"_s, u"Unread"_s }, m_environment);
        QCOMPARE(run.exitCode, 3);
        QCOMPARE(other.requests(), 0);
    }

private:
    canary::testing::IsolatedXdgDirs m_xdg;
    QProcessEnvironment m_environment;
};

QTEST_GUILESS_MAIN(TestCanaryctlKeychain)
#include "tst_canaryctl_keychain.moc"
