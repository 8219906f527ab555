#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>

namespace canary::testing {

// A tiny HTTP/1.1 server on loopback that answers canned bytes, for what a well-behaved simulator never
// sends: malformed JSON, odd shapes, gateway HTML, bodies cut short. One request per connection.
class FakeAwxServer final : public QObject
{
public:
    struct Response
    {
        int status = 200;
        QByteArray body;
        QByteArray contentType = "application/json";
        // Announce more bytes than are sent, then close: the transfer breaks off mid-body.
        bool truncated = false;
    };

    FakeAwxServer()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, &FakeAwxServer::accept);
    }

    bool isListening() const { return m_server.isListening(); }
    QUrl url() const
    {
        QUrl url;
        url.setScheme(QStringLiteral("http"));
        url.setHost(QStringLiteral("127.0.0.1"));
        url.setPort(m_server.serverPort());
        return url;
    }

    // Answers `method path` (the path without its query) with `responses` in turn; the last one repeats.
    // Anything not set up is a 404 {"detail":"Not found."}.
    void on(const QByteArray &method, const QString &path, const QList<Response> &responses)
    {
        m_routes.insert(method + ' ' + path.toUtf8(), responses);
    }

    // "GET /api/v2/job_templates/?name=x", in arrival order.
    QStringList requests() const { return m_requests; }

private:
    void accept()
    {
        while (QTcpSocket *socket = m_server.nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { read(socket); });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    }

    void read(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        const QList<QByteArray> lines = buffer.left(headerEnd).split('\n');
        qsizetype contentLength = 0;
        for (const QByteArray &line : lines) {
            if (line.toLower().startsWith("content-length:"))
                contentLength = line.mid(15).trimmed().toLongLong();
        }
        if (buffer.size() < headerEnd + 4 + contentLength)
            return;

        const QList<QByteArray> requestLine = lines.front().trimmed().split(' ');
        const QByteArray method = requestLine.value(0);
        const QByteArray target = requestLine.value(1);
        m_requests.append(QString::fromUtf8(method + ' ' + target));
        const QByteArray path = target.left(target.indexOf('?') < 0 ? target.size() : target.indexOf('?'));
        m_buffers.remove(socket);

        Response response { 404, R"({"detail":"Not found."})" };
        auto it = m_routes.find(method + ' ' + path);
        if (it != m_routes.end() && !it->isEmpty())
            response = it->size() > 1 ? it->takeFirst() : it->front();

        QByteArray answer = "HTTP/1.1 " + QByteArray::number(response.status) + " Canned\r\n";
        answer += "Content-Type: " + response.contentType + "\r\n";
        answer += "Content-Length: "
            + QByteArray::number(response.body.size() + (response.truncated ? 100 : 0)) + "\r\n";
        answer += "Connection: close\r\n\r\n" + response.body;
        socket->write(answer);
        socket->flush();
        socket->disconnectFromHost();
    }

    QTcpServer m_server;
    QHash<QByteArray, QList<Response>> m_routes;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QStringList m_requests;
};

} // namespace canary::testing
