#pragma once

#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>

namespace canary::testing {

// A loopback TCP forwarder in front of a server, that a test can take down and bring back: "the AWX is
// unreachable for a while" without touching the server behind it. Down, it drops every open connection and
// refuses new ones (accepted and closed at once, as a reset).
class TcpForwarder final : public QObject
{
public:
    explicit TcpForwarder(quint16 targetPort)
        : m_targetPort(targetPort)
    {
        if (!m_server.listen(QHostAddress::LocalHost, 0))
            qFatal("TcpForwarder cannot listen");
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *client = m_server.nextPendingConnection())
                accept(client);
        });
    }

    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort())); }

    void setUp(bool up)
    {
        m_up = up;
        if (up)
            return;
        for (const auto &socket : findChildren<QTcpSocket *>())
            socket->abort();
    }

private:
    void accept(QTcpSocket *client)
    {
        client->setParent(this);
        if (!m_up) {
            client->abort();
            client->deleteLater();
            return;
        }
        auto *upstream = new QTcpSocket(this);
        const QPointer<QTcpSocket> c(client), u(upstream);
        connect(client, &QTcpSocket::readyRead, upstream, [c, u] {
            if (c && u)
                u->write(c->readAll());
        });
        connect(upstream, &QTcpSocket::readyRead, client, [c, u] {
            if (c && u)
                c->write(u->readAll());
        });
        const auto close = [c, u] {
            if (c)
                c->disconnectFromHost();
            if (u)
                u->disconnectFromHost();
        };
        connect(client, &QTcpSocket::disconnected, this, close);
        connect(upstream, &QTcpSocket::disconnected, this, close);
        connect(client, &QTcpSocket::errorOccurred, this, close);
        connect(upstream, &QTcpSocket::errorOccurred, this, close);
        upstream->connectToHost(QHostAddress::LocalHost, m_targetPort);
    }

    QTcpServer m_server;
    quint16 m_targetPort;
    bool m_up = true;
};

} // namespace canary::testing
