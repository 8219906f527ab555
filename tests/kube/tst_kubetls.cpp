#include <memory>
#include <optional>

#include <QFile>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>

#include "kube/kubeconfig.h"
#include "traffic/kubetrafficbackend.h"

using namespace Qt::Literals::StringLiterals;
using canary::traffic::KubeBackendConfig;
using canary::traffic::KubeTrafficBackend;
using canary::traffic::Split;
using canary::traffic::SplitResult;
using canary::traffic::TrafficError;

namespace {

QByteArray readData(const QString &name)
{
    QFile file(QStringLiteral(KUBE_TEST_DATA "/") + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing test data %s", qPrintable(file.fileName()));
    return file.readAll();
}

// An API server over real TLS with the test CA's certificate for kubernetes.test: it answers every request
// with one TraefikService at 70/30 and remembers who asked.
class TlsApiServer final : public QObject
{
public:
    explicit TlsApiServer(bool requireClientCertificate)
    {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setLocalCertificate(QSslCertificate::fromData(readData(u"server.crt"_s)).front());
        tls.setPrivateKey(QSslKey(readData(u"server.key"_s), QSsl::Rsa));
        tls.setCaCertificates(QSslCertificate::fromData(readData(u"ca.crt"_s)));
        tls.setPeerVerifyMode(requireClientCertificate ? QSslSocket::VerifyPeer : QSslSocket::VerifyNone);
        m_server.setSslConfiguration(tls);
        connect(&m_server, &QTcpServer::pendingConnectionAvailable, this, &TlsApiServer::accept);
        if (!m_server.listen(QHostAddress::LocalHost, 0))
            qFatal("cannot listen");
    }

    quint16 port() const { return m_server.serverPort(); }

    int requests = 0;
    QByteArray authorization;
    QString clientCommonName;

private:
    void accept()
    {
        while (auto *socket = qobject_cast<QSslSocket *>(m_server.nextPendingConnection())) {
            socket->setParent(this);
            auto buffer = std::make_shared<QByteArray>();
            connect(socket, &QSslSocket::readyRead, this, [this, socket, buffer] {
                *buffer += socket->readAll();
                const qsizetype end = buffer->indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                ++requests;
                for (const QByteArray &line : buffer->left(end).split('\n')) {
                    if (line.toLower().startsWith("authorization:"))
                        authorization = line.mid(14).trimmed();
                }
                const QStringList names = socket->peerCertificate().subjectInfo(QSslCertificate::CommonName);
                clientCommonName = names.isEmpty() ? QString() : names.front();
                const QByteArray body = QByteArray(
                    "{'apiVersion':'traefik.io/v1alpha1','kind':'TraefikService','metadata':{'name':'web',"
                    "'namespace':'shop','resourceVersion':'1'},'spec':{'weighted':{'services':["
                    "{'name':'stable','weight':70},{'name':'canary','weight':30}]}}}")
                                            .replace('\'', '"');
                socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
                socket->disconnectFromHost();
            });
        }
    }

    QSslServer m_server;
};

// A kubeconfig for the TLS server, with `clusterExtra`/`userExtra` lines under cluster: and user:.
class Kubeconfig
{
public:
    Kubeconfig(quint16 port, const QByteArray &clusterExtra, const QByteArray &userExtra)
    {
        QFile file(m_dir.filePath(u"config"_s));
        if (!file.open(QIODevice::WriteOnly))
            qFatal("cannot write kubeconfig");
        file.write("current-context: tls\n"
                   "clusters:\n- name: tls\n  cluster:\n    server: https://127.0.0.1:"
            + QByteArray::number(port) + "\n" + clusterExtra
            + "users:\n- name: u\n  user:\n    token: tls-token\n" + userExtra
            + "contexts:\n- name: tls\n  context: {cluster: tls, user: u, namespace: shop}\n");
        m_path = file.fileName();
    }
    QString path() const { return m_path; }

private:
    QTemporaryDir m_dir;
    QString m_path;
};

QByteArray line(const char *key, const QString &dataFile)
{
    return "    " + QByteArray(key) + ": " + readData(dataFile).toBase64() + "\n";
}

SplitResult readThrough(const QString &kubeconfig)
{
    const auto config = KubeBackendConfig::fromKubeconfig(u"traefikservice/web"_s, { kubeconfig });
    if (!config)
        qFatal("kubeconfig refused: %s", qPrintable(config.error()));
    KubeTrafficBackend backend(*config);
    QObject context;
    std::optional<SplitResult> result;
    backend.readSplit(&context, [&](const SplitResult &answer) { result.emplace(answer); });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, 8000))
        qFatal("no answer");
    return *result;
}

QString describe(const SplitResult &result)
{
    return result.hasValue() ? result->toString() : result.error().summary();
}

} // namespace

class TestKubeTls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY2(QSslSocket::supportsSsl(), "no TLS backend"); }

    void clusterCa_andTlsServerName_verifyTheServer()
    {
        TlsApiServer server(false);
        const Kubeconfig kubeconfig(server.port(),
            line("certificate-authority-data", u"ca.crt"_s) + "    tls-server-name: kubernetes.test\n", {});
        const SplitResult result = readThrough(kubeconfig.path());
        QVERIFY2(result.hasValue(), qPrintable(describe(result)));
        QCOMPARE(*result, (Split { 70, 30 }));
        QCOMPARE(server.authorization, QByteArray("Bearer tls-token"));
    }

    void refused_data()
    {
        QTest::addColumn<QByteArray>("clusterExtra");
        QTest::newRow("another CA") << line("certificate-authority-data", u"other-ca.crt"_s)
                + "    tls-server-name: kubernetes.test\n";
        QTest::newRow("right CA, but 127.0.0.1 is not in the certificate")
            << line("certificate-authority-data", u"ca.crt"_s);
        QTest::newRow("system CAs only") << QByteArray("    tls-server-name: kubernetes.test\n");
    }

    void refused()
    {
        QFETCH(QByteArray, clusterExtra);
        TlsApiServer server(false);
        const Kubeconfig kubeconfig(server.port(), clusterExtra, {});
        const SplitResult result = readThrough(kubeconfig.path());
        QVERIFY(!result.hasValue());
        QCOMPARE(result.error().kind, TrafficError::Kind::Transport);
        QVERIFY(!result.error().message.isEmpty());
        QCOMPARE(server.requests, 0); // the token never left the client
    }

    void insecureSkipTlsVerify_acceptsAnyServer()
    {
        TlsApiServer server(false);
        const Kubeconfig kubeconfig(server.port(), "    insecure-skip-tls-verify: true\n", {});
        const SplitResult result = readThrough(kubeconfig.path());
        QVERIFY2(result.hasValue(), qPrintable(describe(result)));
    }

    void clientCertificate_isPresented()
    {
        TlsApiServer server(true);
        const QByteArray cluster
            = line("certificate-authority-data", u"ca.crt"_s) + "    tls-server-name: kubernetes.test\n";
        const Kubeconfig withCertificate(server.port(), cluster,
            line("client-certificate-data", u"client.crt"_s) + line("client-key-data", u"client-ec.key"_s));
        const SplitResult result = readThrough(withCertificate.path());
        QVERIFY2(result.hasValue(), qPrintable(describe(result)));
        QCOMPARE(server.clientCommonName, u"canary-console"_s);

        const Kubeconfig without(server.port(), cluster, {});
        const SplitResult refused = readThrough(without.path());
        QVERIFY(!refused.hasValue());
        QCOMPARE(refused.error().kind, TrafficError::Kind::Transport);
        QCOMPARE(server.requests, 1);
    }
};

QTEST_GUILESS_MAIN(TestKubeTls)
#include "tst_kubetls.moc"
