#include <QDir>
#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QTemporaryDir>
#include <QTest>

#include "kube/kubeconfig.h"

using namespace Qt::Literals::StringLiterals;
using canary::kube::ClusterConnection;
using canary::kube::Kubeconfig;

namespace {

QByteArray readData(const QString &name)
{
    QFile file(QStringLiteral(KUBE_TEST_DATA "/") + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing test data %s", qPrintable(file.fileName()));
    return file.readAll();
}

QByteArray base64Of(const QString &name)
{
    return readData(name).toBase64();
}

// kubeconfig files in a scratch directory.
class Files
{
public:
    Files() { QVERIFY(m_dir.isValid()); }

    QString write(const QString &relativePath, const QByteArray &content)
    {
        const QString path = m_dir.filePath(relativePath);
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
            qFatal("cannot write %s", qPrintable(path));
        return path;
    }
    QString path(const QString &relativePath) const { return m_dir.filePath(relativePath); }

private:
    QTemporaryDir m_dir;
};

// The shape kubectl writes: sequences at the key's indentation, "- name:" after the entry.
const QByteArray TwoContexts = "apiVersion: v1\n"
                               "kind: Config\n"
                               "current-context: prod\n"
                               "preferences: {}\n"
                               "clusters:\n"
                               "- cluster:\n"
                               "    certificate-authority-data: @CA@\n"
                               "    server: https://10.0.0.1:6443\n"
                               "  name: prod-cluster\n"
                               "- cluster:\n"
                               "    server: https://dev.example.com\n"
                               "    insecure-skip-tls-verify: true\n"
                               "  name: dev-cluster\n"
                               "contexts:\n"
                               "- context:\n"
                               "    cluster: prod-cluster\n"
                               "    user: dash\n"
                               "    namespace: canary-jenkins\n"
                               "  name: prod\n"
                               "- context: {cluster: dev-cluster, user: dev-user}\n"
                               "  name: dev\n"
                               "users:\n"
                               "- name: dash\n"
                               "  user:\n"
                               "    token: eyJhbGciOiJSUzI1NiJ9.prod-token  # a ServiceAccount token\n"
                               "- name: dev-user\n"
                               "  user: {token: \"dev-token\"}\n";

QByteArray twoContexts()
{
    return QByteArray(TwoContexts).replace("@CA@", base64Of(u"ca.crt"_s));
}

} // namespace

class TestKubeconfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void searchPath_data()
    {
        QTest::addColumn<QString>("variable");
        QTest::addColumn<QStringList>("expected");

        QTest::newRow("unset: ~/.kube/config") << QString() << QStringList { u"/home/op/.kube/config"_s };
        QTest::newRow("one file") << u"/a/config"_s << QStringList { u"/a/config"_s };
        QTest::newRow("list in order") << u"/b:/a"_s << QStringList { u"/b"_s, u"/a"_s };
        QTest::newRow("empty entries dropped") << u":/a::/b:"_s << QStringList { u"/a"_s, u"/b"_s };
        QTest::newRow("duplicates once") << u"/a:/b:/a"_s << QStringList { u"/a"_s, u"/b"_s };
    }

    void searchPath()
    {
        QFETCH(QString, variable);
        QFETCH(QStringList, expected);
        QCOMPARE(Kubeconfig::searchPath(variable, u"/home/op"_s), expected);
    }

    void currentContext_resolvesClusterUserAndNamespace()
    {
        Files files;
        const QString config = files.write(u"config"_s, twoContexts());
        const auto connection = Kubeconfig::resolve({ config });
        QVERIFY2(connection.hasValue(), qPrintable(connection.hasValue() ? QString() : connection.error()));
        QCOMPARE(connection->contextName, u"prod"_s);
        QCOMPARE(connection->userName, u"dash"_s);
        QCOMPARE(connection->server, QUrl(u"https://10.0.0.1:6443"_s));
        QCOMPARE(connection->namespaceName, u"canary-jenkins"_s);
        QCOMPARE(connection->bearerToken, QByteArray("eyJhbGciOiJSUzI1NiJ9.prod-token"));
        QCOMPARE(connection->ssl.peerVerifyMode(), QSslSocket::VerifyPeer);
        QCOMPARE(connection->ssl.caCertificates(), QSslCertificate::fromData(readData(u"ca.crt"_s)));
        QVERIFY(connection->tlsServerName.isEmpty());
        QVERIFY(connection->ssl.localCertificate().isNull());
        QCOMPARE(connection->hostAndPort(), u"10.0.0.1:6443"_s);
        // Secrets stay out of what is shown.
        QCOMPARE(connection->describe(),
            u"context prod: https://10.0.0.1:6443 as dash, namespace canary-jenkins"_s);
    }

    void givenContext_winsOverCurrentContext_andNamespaceDefaults()
    {
        Files files;
        const QString config = files.write(u"config"_s, twoContexts());
        const auto connection = Kubeconfig::resolve({ config }, u"dev"_s);
        QVERIFY2(connection.hasValue(), qPrintable(connection.hasValue() ? QString() : connection.error()));
        QCOMPARE(connection->contextName, u"dev"_s);
        QCOMPARE(connection->server, QUrl(u"https://dev.example.com"_s));
        QCOMPARE(connection->hostAndPort(), u"dev.example.com:443"_s);
        QCOMPARE(connection->bearerToken, QByteArray("dev-token"));
        QCOMPARE(connection->namespaceName, u"default"_s);
        QCOMPARE(connection->ssl.peerVerifyMode(), QSslSocket::VerifyNone);
    }

    void kubeconfigList_firstFileToSetAKeyWins()
    {
        Files files;
        // The first file sets current-context and cluster "shared"; the second defines the context and user
        // and tries to override both.
        const QString first = files.write(u"first.yaml"_s,
            "current-context: work\n"
            "clusters:\n"
            "- name: shared\n"
            "  cluster: {server: \"https://first.example:6443\", insecure-skip-tls-verify: true}\n");
        const QString second = files.write(u"second.yaml"_s,
            "current-context: other\n"
            "clusters:\n"
            "- name: shared\n"
            "  cluster: {server: \"https://second.example:6443\"}\n"
            "contexts:\n"
            "- name: work\n"
            "  context: {cluster: shared, user: me, namespace: team}\n"
            "- name: other\n"
            "  context: {cluster: shared, user: me}\n"
            "users:\n"
            "- name: me\n"
            "  user: {token: second-token}\n");
        const QString missing = files.path(u"not-there.yaml"_s);

        const auto connection = Kubeconfig::resolve({ missing, first, second });
        QVERIFY2(connection.hasValue(), qPrintable(connection.hasValue() ? QString() : connection.error()));
        QCOMPARE(connection->contextName, u"work"_s);
        QCOMPARE(connection->server, QUrl(u"https://first.example:6443"_s));
        QCOMPARE(connection->namespaceName, u"team"_s);
        QCOMPARE(connection->bearerToken, QByteArray("second-token"));

        // The other order: the second file's keys win.
        const auto reversed = Kubeconfig::resolve({ second, first });
        QVERIFY(reversed.hasValue());
        QCOMPARE(reversed->contextName, u"other"_s);
        QCOMPARE(reversed->server, QUrl(u"https://second.example:6443"_s));
    }

    void relativePaths_areRelativeToTheFileThatNamesThem()
    {
        Files files;
        files.write(u"cluster/certs/ca.crt"_s, readData(u"ca.crt"_s));
        files.write(u"cluster/token"_s, "file-token\n");
        files.write(u"cluster/client.crt"_s, readData(u"client-rsa.crt"_s));
        files.write(u"cluster/client.key"_s, readData(u"client-rsa.key"_s));
        const QString config = files.write(u"cluster/config"_s,
            "clusters:\n"
            "- name: c\n"
            "  cluster:\n"
            "    server: https://k8s.internal:6443\n"
            "    certificate-authority: certs/ca.crt\n"
            "    tls-server-name: kubernetes.test\n"
            "users:\n"
            "- name: u\n"
            "  user:\n"
            "    token: inline-token-loses\n"
            "    tokenFile: token\n"
            "    client-certificate: client.crt\n"
            "    client-key: client.key\n"
            "contexts:\n"
            "- name: ctx\n"
            "  context: {cluster: c, user: u}\n"
            "current-context: ctx\n");
        // Run from elsewhere: paths must not depend on the working directory.
        QVERIFY(QDir::setCurrent(QDir::tempPath()));
        const auto connection = Kubeconfig::resolve({ config });
        QVERIFY2(connection.hasValue(), qPrintable(connection.hasValue() ? QString() : connection.error()));
        QCOMPARE(connection->ssl.caCertificates(), QSslCertificate::fromData(readData(u"ca.crt"_s)));
        QCOMPARE(connection->bearerToken, QByteArray("file-token"));
        QCOMPARE(connection->tlsServerName, u"kubernetes.test"_s);
        QCOMPARE(connection->ssl.localCertificate(),
            QSslCertificate::fromData(readData(u"client-rsa.crt"_s)).front());
        QVERIFY(!connection->ssl.privateKey().isNull());
        QCOMPARE(connection->ssl.privateKey().algorithm(), QSsl::Rsa);
    }

    void clientCertificateData_withAnEcKey()
    {
        Files files;
        const QString config = files.write(u"config.yaml"_s,
            "clusters: [{name: c, cluster: {server: 'https://h:6443', certificate-authority-data: "
                + base64Of(u"ca.crt"_s)
                + "}}]\n"
                  "users:\n"
                  "- name: u\n"
                  "  user:\n"
                  "    client-certificate-data: "
                + base64Of(u"client.crt"_s)
                + "\n"
                  "    client-key-data: "
                + base64Of(u"client-ec.key"_s)
                + "\n"
                  "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
        const auto connection = Kubeconfig::resolve({ config }, u"x"_s);
        QVERIFY2(connection.hasValue(), qPrintable(connection.hasValue() ? QString() : connection.error()));
        QVERIFY(connection->bearerToken.isEmpty());
        QCOMPARE(connection->ssl.localCertificate().subjectInfo(QSslCertificate::CommonName),
            QStringList { u"canary-console"_s });
        QCOMPARE(connection->ssl.privateKey().algorithm(), QSsl::Ec);
    }

    void jsonKubeconfig_isReadToo()
    {
        Files files;
        const QString config = files.write(u"config.json"_s,
            QByteArray("{'kind':'Config','apiVersion':'v1','current-context':'j',"
                       "'clusters':[{'name':'c','cluster':{'server':'http://127.0.0.1:8001'}}],"
                       "'users':[{'name':'u','user':{'token':'json-token'}}],"
                       "'contexts':[{'name':'j','context':{'cluster':'c','user':'u','namespace':'ns'}}]}")
                .replace('\'', '"'));
        const auto connection = Kubeconfig::resolve({ config });
        QVERIFY2(connection.hasValue(), qPrintable(connection.hasValue() ? QString() : connection.error()));
        QCOMPARE(connection->server, QUrl(u"http://127.0.0.1:8001"_s));
        QCOMPARE(connection->bearerToken, QByteArray("json-token"));
        QCOMPARE(connection->namespaceName, u"ns"_s);
    }

    void refused_data()
    {
        QTest::addColumn<QByteArray>("kubeconfig");
        QTest::addColumn<QString>("context");
        QTest::addColumn<QStringList>("expectedParts");

        const QByteArray cluster = "clusters: [{name: c, cluster: {server: 'https://h:6443'}}]\n";
        const auto withUser = [&](const QByteArray &user) -> QByteArray {
            return cluster
                + "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"
                  "users:\n- name: u\n  user:\n"
                + user;
        };

        QTest::newRow("exec plugin (EKS)")
            << withUser(
                   "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n"
                   "      args: [eks, get-token, --cluster-name, prod]\n")
            << QString()
            << QStringList { u"user 'u'"_s, u"(aws)"_s,
                   u"not supported yet: exec-plugin users (e.g. EKS/GKE/AKS); use a ServiceAccount token"_s };
        QTest::newRow("auth-provider (legacy GKE)")
            << withUser("    auth-provider:\n      name: gcp\n") << QString()
            << QStringList { u"'gcp'"_s,
                   u"not supported yet: exec-plugin users (e.g. EKS/GKE/AKS); use a ServiceAccount token"_s };
        QTest::newRow("username and password")
            << withUser("    username: admin\n    password: secret\n") << QString()
            << QStringList { u"username and password"_s, u"not supported"_s, u"ServiceAccount token"_s };
        QTest::newRow("impersonation")
            << withUser("    token: t\n    as: someone\n") << QString() << QStringList { u"impersonates"_s };
        QTest::newRow("certificate without key")
            << withUser("    client-certificate-data: " + base64Of(u"client.crt"_s) + "\n") << QString()
            << QStringList { u"client certificate but no client key"_s };
        QTest::newRow("key data that is not base64")
            << withUser("    client-certificate-data: " + base64Of(u"client.crt"_s)
                   + "\n    client-key-data: '***'\n")
            << QString() << QStringList { u"client-key-data of user 'u' is not valid base64"_s };
        QTest::newRow("token file missing") << withUser("    tokenFile: /nonexistent/token\n") << QString()
                                            << QStringList { u"cannot read tokenFile of user 'u'"_s };
        QTest::newRow("unknown context")
            << withUser("    token: t\n") << u"nope"_s
            << QStringList { u"context 'nope' is not defined"_s, u"(contexts: x)"_s };
        QTest::newRow("no current-context") << QByteArray(
            cluster + "contexts: [{name: a, context: {cluster: c}}, {name: b, context: {cluster: c}}]\n")
                                            << QString()
                                            << QStringList { u"no current-context"_s, u"a, b"_s };
        QTest::newRow("context names an unknown cluster")
            << QByteArray("contexts: [{name: x, context: {cluster: gone}}]\ncurrent-context: x\n" + cluster)
            << QString()
            << QStringList { u"names cluster 'gone', which is not defined"_s, u"(clusters: c)"_s };
        QTest::newRow("context names an unknown user") << QByteArray(
            cluster + "contexts: [{name: x, context: {cluster: c, user: ghost}}]\ncurrent-context: x\n")
                                                       << QString()
                                                       << QStringList { u"names user 'ghost'"_s };
        QTest::newRow("CA data that is not a certificate")
            << QByteArray("clusters: [{name: c, cluster: {server: 'https://h', certificate-authority-data: "
                   + QByteArray("not a certificate").toBase64() + "}}]\n"
                   + "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n")
            << QString()
            << QStringList { u"certificate authority of cluster 'c' holds no PEM certificate"_s };
        QTest::newRow("CA and insecure together")
            << QByteArray(
                   "clusters: [{name: c, cluster: {server: 'https://h', insecure-skip-tls-verify: true, "
                   "certificate-authority-data: "
                   + base64Of(u"ca.crt"_s)
                   + "}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n")
            << QString() << QStringList { u"both a certificate authority and insecure-skip-tls-verify"_s };
        QTest::newRow("proxy-url") << QByteArray(
            "clusters: [{name: c, cluster: {server: 'https://h', proxy-url: 'http://proxy:3128'}}]\n"
            "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n")
                                   << QString() << QStringList { u"proxy-url"_s, u"not supported"_s };
        QTest::newRow("server that is not a URL")
            << QByteArray("clusters: [{name: c, cluster: {server: 'not a url'}}]\n"
                          "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n")
            << QString() << QStringList { u"'not a url', is not an https:// URL"_s };
        QTest::newRow("server with user and password")
            << QByteArray("clusters: [{name: c, cluster: {server: 'https://admin:secret@h:6443'}}]\n"
                          "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n")
            << QString() << QStringList { u"https://h:6443, carries a user name or password"_s };
        QTest::newRow("YAML error names file and line")
            << QByteArray("clusters:\n- name: c\n\tcluster: {}\n") << QString()
            << QStringList { u"config: line 3, column 1: tabs are not allowed"_s };
        QTest::newRow("not a kubeconfig")
            << QByteArray("kind: Pod\n") << QString() << QStringList { u"its kind is 'Pod', not 'Config'"_s };
        QTest::newRow("entry without a name") << QByteArray("clusters: [{cluster: {server: 'https://h'}}]\n")
                                              << QString() << QStringList { u"clusters[0] has no name"_s };
    }

    void refused()
    {
        QFETCH(QByteArray, kubeconfig);
        QFETCH(QString, context);
        QFETCH(QStringList, expectedParts);
        Files files;
        const QString config = files.write(u"config"_s, kubeconfig);
        const auto connection = Kubeconfig::resolve({ config }, context);
        QVERIFY(!connection.hasValue());
        for (const QString &part : expectedParts)
            QVERIFY2(connection.error().contains(part), qPrintable(connection.error()));
        // A refusal never echoes a secret from the file.
        QVERIFY(!connection.error().contains(u"secret"_s));
    }

    void noFileAtAll_saysWhereItLooked()
    {
        Files files;
        const auto connection = Kubeconfig::resolve({ files.path(u"a"_s), files.path(u"b"_s) });
        QVERIFY(!connection.hasValue());
        QVERIFY2(connection.error().startsWith(u"no kubeconfig found"_s), qPrintable(connection.error()));
        QVERIFY(connection.error().contains(files.path(u"b"_s)));
    }

    void fromEnvironment_readsKubeconfigVariable()
    {
        Files files;
        const QString config = files.write(u"env-config"_s, twoContexts());
        qputenv("KUBECONFIG", (files.path(u"absent"_s) + u':' + config).toLocal8Bit());
        const auto connection = Kubeconfig::fromEnvironment(u"dev"_s);
        qunsetenv("KUBECONFIG");
        QVERIFY2(connection.hasValue(), qPrintable(connection.hasValue() ? QString() : connection.error()));
        QCOMPARE(connection->contextName, u"dev"_s);
    }
};

QTEST_GUILESS_MAIN(TestKubeconfig)
#include "tst_kubeconfig.moc"
