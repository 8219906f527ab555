#include "clusterconnection.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::kube {

QString ClusterConnection::describe() const
{
    QString text = contextName.isEmpty() ? QString() : u"context "_s + contextName + u": "_s;
    text += server.toString(QUrl::RemoveUserInfo);
    if (!userName.isEmpty())
        text += u" as "_s + userName;
    if (!namespaceName.isEmpty())
        text += u", namespace "_s + namespaceName;
    return text;
}

QString ClusterConnection::hostAndPort() const
{
    const int port = server.port(server.scheme() == u"http"_s ? 80 : 443);
    const QString host = server.host().contains(u':') ? u'[' + server.host() + u']' : server.host();
    return host + u':' + QString::number(port);
}

} // namespace canary::kube
