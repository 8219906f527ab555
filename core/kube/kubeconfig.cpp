#include "kubeconfig.h"

#include <map>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSslCertificate>
#include <QSslKey>

#include <nlohmann/json.hpp>

#include "net/redaction.h"
#include "yamlreader.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::kube {

namespace {

using Json = nlohmann::json;

constexpr qint64 MaxFileSize = 16 * 1024 * 1024;

const QString UseTokenInstead = u"use a ServiceAccount token instead (kubectl create token <service-account> "
                                u"-n <namespace>) in a user with token: or tokenFile:"_s;

// A named cluster, user or context and the file it came from, which relative paths are resolved against.
struct Entry
{
    Json value;
    QString file;
};

struct Merged
{
    QStringList files; // the files that existed, in order
    QString currentContext;
    std::map<QString, Entry> clusters;
    std::map<QString, Entry> users;
    std::map<QString, Entry> contexts;
};

Expected<QByteArray, QString> readFile(const QString &path, const QString &what)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return u"cannot read %1 %2: %3"_s.arg(what, QDir::toNativeSeparators(path), file.errorString());
    if (file.size() > MaxFileSize)
        return u"%1 %2 is larger than 16 MiB"_s.arg(what, QDir::toNativeSeparators(path));
    return file.readAll();
}

QString relativeTo(const QString &file, const QString &path)
{
    return QFileInfo(path).isAbsolute() ? path : QFileInfo(file).dir().absoluteFilePath(path);
}

// A string field; kubeconfig authors rarely quote values, so a plain number or boolean reads as its text.
std::optional<QString> textField(const Json &object, const char *key)
{
    const auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return std::nullopt;
    if (it->is_string())
        return QString::fromStdString(it->get<std::string>());
    if (it->is_number() || it->is_boolean())
        return QString::fromStdString(it->dump());
    return std::nullopt;
}

bool has(const Json &object, const char *key)
{
    const auto it = object.find(key);
    return it != object.end() && !it->is_null();
}

Expected<bool, QString> mergeFile(Merged &merged, const QString &path)
{
    const auto bytes = readFile(path, u"kubeconfig"_s);
    if (!bytes)
        return bytes.error();
    const QString shown = QDir::toNativeSeparators(path);
    const auto json = readYamlAsJson(*bytes);
    if (!json)
        return u"%1: %2"_s.arg(shown, json.error().toString());
    const Json doc = Json::parse(json->cbegin(), json->cend(), nullptr, false);
    if (doc.is_discarded())
        return u"%1: could not be read back as JSON"_s.arg(shown);
    if (doc.is_null())
        return true; // an empty file, which kubectl accepts
    if (!doc.is_object())
        return u"%1 is not a kubeconfig: expected a mapping with clusters, users and contexts"_s.arg(shown);
    if (const auto kind = textField(doc, "kind"); kind && *kind != u"Config"_s)
        return u"%1 is not a kubeconfig: its kind is '%2', not 'Config'"_s.arg(shown, *kind);

    if (const auto current = textField(doc, "current-context"); current && merged.currentContext.isEmpty())
        merged.currentContext = *current;

    const struct
    {
        const char *list;
        const char *inner;
        std::map<QString, Entry> *into;
    } sections[] = {
        { "clusters", "cluster", &merged.clusters },
        { "users", "user", &merged.users },
        { "contexts", "context", &merged.contexts },
    };
    for (const auto &section : sections) {
        const auto list = doc.find(section.list);
        if (list == doc.end() || list->is_null())
            continue;
        if (!list->is_array())
            return u"%1: '%2' must be a list of entries with a name"_s.arg(
                shown, QLatin1String(section.list));
        for (std::size_t i = 0; i < list->size(); ++i) {
            const Json &item = list->at(i);
            const auto name = item.is_object() ? textField(item, "name") : std::nullopt;
            if (!name || name->isEmpty())
                return u"%1: %2[%3] has no name"_s.arg(shown, QLatin1String(section.list)).arg(i);
            const auto inner = item.find(section.inner);
            Json value = inner != item.end() && inner->is_object() ? *inner : Json::object();
            // The first file to define a name wins, whole entry and all.
            section.into->try_emplace(*name, Entry { std::move(value), path });
        }
    }
    return true;
}

QString namesOf(const std::map<QString, Entry> &entries)
{
    QStringList names;
    for (const auto &[name, entry] : entries)
        names.append(name);
    return names.isEmpty() ? u"none"_s : names.join(u", "_s);
}

// A PEM blob from "<key>-data" (base64) or "<key>" (a path relative to the entry's file); null when neither.
Expected<QByteArray, QString> pemFrom(const Entry &entry, const char *key, const QString &owner)
{
    const std::string dataKey = std::string(key) + "-data";
    if (const auto data = textField(entry.value, dataKey.c_str())) {
        QByteArray base64 = data->toLatin1();
        base64.replace(' ', QByteArray()).replace('\n', QByteArray());
        const auto decoded = QByteArray::fromBase64Encoding(base64, QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded || decoded.decoded.isEmpty())
            return u"%1 of %2 is not valid base64"_s.arg(QString::fromStdString(dataKey), owner);
        return decoded.decoded;
    }
    if (const auto path = textField(entry.value, key))
        return readFile(relativeTo(entry.file, *path), QString::fromLatin1(key) + u" of "_s + owner);
    return QByteArray();
}

Expected<QSslKey, QString> privateKeyFrom(const QByteArray &pem, const QString &what)
{
    if (pem.contains("ENCRYPTED"))
        return u"%1 is encrypted; kubeconfig keys must not be"_s.arg(what);
    for (const QSsl::KeyAlgorithm algorithm : { QSsl::Rsa, QSsl::Ec, QSsl::Dsa }) {
        QSslKey key(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            return key;
    }
    return u"%1 holds no PEM private key (RSA, EC or DSA)"_s.arg(what);
}

// Fills server and TLS settings from the cluster entry.
std::optional<QString> applyCluster(ClusterConnection &connection, const Entry &cluster, const QString &name)
{
    const QString owner = u"cluster '%1'"_s.arg(name);
    const auto server = textField(cluster.value, "server");
    if (!server || server->isEmpty())
        return u"%1 has no server"_s.arg(owner);
    connection.server = QUrl(*server, QUrl::StrictMode);
    if (!connection.server.isValid() || connection.server.host().isEmpty()
        || (connection.server.scheme() != u"https"_s && connection.server.scheme() != u"http"_s))
        return u"the server of %1, '%2', is not an https:// URL"_s.arg(owner, net::redactSecrets(*server));
    if (!connection.server.userInfo().isEmpty())
        return u"the server of %1, %2, carries a user name or password: remove it (credentials belong in the "
               "user entry)"_s.arg(owner, connection.server.toDisplayString(QUrl::RemoveUserInfo));
    if (has(cluster.value, "proxy-url"))
        return u"%1 sets proxy-url, which is not supported yet"_s.arg(owner);

    const auto caPem = pemFrom(cluster, "certificate-authority", owner);
    if (!caPem)
        return caPem.error();
    const bool skipVerify = textField(cluster.value, "insecure-skip-tls-verify") == u"true"_s;

    connection.ssl = QSslConfiguration::defaultConfiguration();
    if (!caPem->isEmpty()) {
        if (skipVerify) {
            // kubectl refuses this combination too: it is never what the author meant.
            return u"%1 sets both a certificate authority and insecure-skip-tls-verify"_s.arg(owner);
        }
        const QList<QSslCertificate> authorities = QSslCertificate::fromData(*caPem, QSsl::Pem);
        if (authorities.isEmpty())
            return u"the certificate authority of %1 holds no PEM certificate"_s.arg(owner);
        // Only the cluster's CA is trusted, as with kubectl; this also turns off loading system roots.
        connection.ssl.setCaCertificates(authorities);
    }
    connection.ssl.setPeerVerifyMode(skipVerify ? QSslSocket::VerifyNone : QSslSocket::VerifyPeer);
    connection.tlsServerName = textField(cluster.value, "tls-server-name").value_or(QString());
    return std::nullopt;
}

// Fills the credentials from the user entry, or says why this kind of user cannot be used yet.
std::optional<QString> applyUser(ClusterConnection &connection, const Entry &user, const QString &name)
{
    const QString owner = u"user '%1'"_s.arg(name);
    if (has(user.value, "exec")) {
        const QString command = user.value["exec"].is_object()
            ? textField(user.value["exec"], "command").value_or(QString())
            : QString();
        return u"%1 runs an exec credential plugin%2: not supported yet: exec-plugin users (e.g. EKS/GKE/AKS); %3"_s
            .arg(owner, command.isEmpty() ? QString() : u" ("_s + command + u')', UseTokenInstead);
    }
    if (has(user.value, "auth-provider")) {
        const QString provider = user.value["auth-provider"].is_object()
            ? textField(user.value["auth-provider"], "name").value_or(QString())
            : QString();
        return u"%1 uses the auth-provider '%2' (the older form of exec plugins): not supported yet: "
               u"exec-plugin "
               u"users (e.g. EKS/GKE/AKS); %3"_s.arg(owner, provider, UseTokenInstead);
    }
    if (has(user.value, "username") || has(user.value, "password"))
        return u"%1 signs in with a username and password, which is not supported; %2"_s.arg(
            owner, UseTokenInstead);
    for (const char *key : { "as", "as-uid", "as-groups", "as-user-extra" }) {
        if (has(user.value, key))
            return u"%1 impersonates another user (%2), which is not supported"_s.arg(
                owner, QLatin1String(key));
    }

    // As in client-go, a tokenFile wins over an inline token.
    QByteArray token;
    if (const auto tokenFile = textField(user.value, "tokenFile")) {
        const auto bytes = readFile(relativeTo(user.file, *tokenFile), u"tokenFile of "_s + owner);
        if (!bytes)
            return bytes.error();
        token = bytes->trimmed();
        if (token.isEmpty())
            return u"the tokenFile of %1 is empty"_s.arg(owner);
    } else if (const auto inlineToken = textField(user.value, "token")) {
        token = inlineToken->trimmed().toUtf8();
    }
    for (const char c : std::as_const(token)) {
        if (uchar(c) < 0x21 || uchar(c) > 0x7e)
            return u"the token of %1 contains characters a bearer token cannot hold"_s.arg(owner);
    }
    connection.bearerToken = token;

    const auto certificatePem = pemFrom(user, "client-certificate", owner);
    if (!certificatePem)
        return certificatePem.error();
    const auto keyPem = pemFrom(user, "client-key", owner);
    if (!keyPem)
        return keyPem.error();
    if (certificatePem->isEmpty() != keyPem->isEmpty()) {
        return u"%1 has a client %2 but no client %3"_s.arg(owner,
            certificatePem->isEmpty() ? u"key"_s : u"certificate"_s,
            certificatePem->isEmpty() ? u"certificate"_s : u"key"_s);
    }
    if (!certificatePem->isEmpty()) {
        const QList<QSslCertificate> chain = QSslCertificate::fromData(*certificatePem, QSsl::Pem);
        if (chain.isEmpty())
            return u"the client certificate of %1 holds no PEM certificate"_s.arg(owner);
        const auto key = privateKeyFrom(*keyPem, u"the client key of "_s + owner);
        if (!key)
            return key.error();
        connection.ssl.setLocalCertificateChain(chain);
        connection.ssl.setPrivateKey(*key);
    }
    return std::nullopt;
}

} // namespace

QStringList Kubeconfig::searchPath(const QString &kubeconfigVariable, const QString &homeDir)
{
    QStringList files;
    for (const QString &entry : kubeconfigVariable.split(QDir::listSeparator(), Qt::SkipEmptyParts)) {
        if (!files.contains(entry))
            files.append(entry);
    }
    if (files.isEmpty())
        files.append(QDir(homeDir).filePath(u".kube/config"_s));
    return files;
}

Expected<ClusterConnection, QString> Kubeconfig::resolve(const QStringList &files, const QString &context)
{
    Merged merged;
    for (const QString &file : files) {
        if (!QFileInfo::exists(file))
            continue;
        merged.files.append(QDir::toNativeSeparators(file));
        if (const auto ok = mergeFile(merged, file); !ok)
            return ok.error();
    }
    if (merged.files.isEmpty()) {
        return u"no kubeconfig found (looked at %1): set KUBECONFIG or create ~/.kube/config"_s.arg(
            QDir::toNativeSeparators(files.join(u", "_s)));
    }
    const QString where = merged.files.join(u", "_s);

    const QString contextName = context.isEmpty() ? merged.currentContext : context;
    if (contextName.isEmpty()) {
        return u"no current-context is set in %1: choose a context (%2)"_s.arg(
            where, namesOf(merged.contexts));
    }
    const auto contextIt = merged.contexts.find(contextName);
    if (contextIt == merged.contexts.end()) {
        return u"context '%1' is not defined in %2 (contexts: %3)"_s.arg(
            contextName, where, namesOf(merged.contexts));
    }
    const Json &contextValue = contextIt->second.value;

    ClusterConnection connection;
    connection.contextName = contextName;
    connection.namespaceName = textField(contextValue, "namespace").value_or(QString());
    if (connection.namespaceName.isEmpty())
        connection.namespaceName = u"default"_s;

    const QString clusterName = textField(contextValue, "cluster").value_or(QString());
    const auto clusterIt = merged.clusters.find(clusterName);
    if (clusterName.isEmpty())
        return u"context '%1' names no cluster"_s.arg(contextName);
    if (clusterIt == merged.clusters.end()) {
        return u"context '%1' names cluster '%2', which is not defined in %3 (clusters: %4)"_s.arg(
            contextName, clusterName, where, namesOf(merged.clusters));
    }
    if (const auto problem = applyCluster(connection, clusterIt->second, clusterName))
        return *problem;

    // A context without a user talks to the cluster anonymously, as kubectl does.
    connection.userName = textField(contextValue, "user").value_or(QString());
    if (!connection.userName.isEmpty()) {
        const auto userIt = merged.users.find(connection.userName);
        if (userIt == merged.users.end()) {
            return u"context '%1' names user '%2', which is not defined in %3 (users: %4)"_s.arg(
                contextName, connection.userName, where, namesOf(merged.users));
        }
        if (const auto problem = applyUser(connection, userIt->second, connection.userName))
            return *problem;
    }
    return connection;
}

Expected<ClusterConnection, QString> Kubeconfig::fromEnvironment(const QString &context)
{
    return resolve(searchPath(qEnvironmentVariable("KUBECONFIG"), QDir::homePath()), context);
}

} // namespace canary::kube
