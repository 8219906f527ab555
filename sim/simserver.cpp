#include "simserver.h"

#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QMetaEnum>
#include <QScopeGuard>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

QStringList pathSegments(const QByteArray &encodedPath)
{
    QStringList segments;
    for (const QByteArray &segment : encodedPath.split('/')) {
        if (!segment.isEmpty())
            segments.append(QUrl::fromPercentEncoding(segment));
    }
    return segments;
}

QByteArray reasonPhrase(int status)
{
    static const QHash<int, QByteArray> phrases { { 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
        { 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
        { 405, "Method Not Allowed" }, { 409, "Conflict" }, { 429, "Too Many Requests" },
        { 500, "Internal Server Error" }, { 502, "Bad Gateway" }, { 503, "Service Unavailable" } };
    return phrases.value(status);
}

// A reset as the client's kernel reports it (ECONNRESET), not an orderly close: no lingering on close.
void resetConnection(QTcpSocket *socket)
{
#ifdef Q_OS_UNIX
    if (const qintptr descriptor = socket->socketDescriptor(); descriptor != -1) {
        struct linger noLinger = {};
        noLinger.l_onoff = 1;
        noLinger.l_linger = 0;
        ::setsockopt(int(descriptor), SOL_SOCKET, SO_LINGER, &noLinger, sizeof(noLinger));
    }
#endif
    socket->abort();
}

} // namespace

SimServer::SimServer(QObject *parent)
    : QAbstractHttpServer(parent)
{ }

SimServer::~SimServer()
{
    stop();
}

bool SimServer::start(const QHostAddress &address, quint16 port, QString *errorMessage)
{
    if (isListening())
        return true;
    auto tcpServer = std::make_unique<QTcpServer>();
    if (!tcpServer->listen(address, port)) {
        if (errorMessage)
            *errorMessage = tcpServer->errorString();
        return false;
    }
    m_tcpServer = tcpServer.release();
    bind(m_tcpServer); // takes ownership
    return true;
}

void SimServer::stop()
{
    if (!m_tcpServer)
        return;
    QTcpServer *tcpServer = m_tcpServer;
    m_tcpServer = nullptr;
    tcpServer->close();
    // Accepted sockets are children of their QTcpServer; aborting them is what makes a client that keeps
    // connections alive (QNetworkAccessManager) see the server go away instead of reusing a live socket.
    const auto sockets = tcpServer->findChildren<QTcpSocket *>();
    for (QTcpSocket *socket : sockets)
        socket->abort();
    tcpServer->setParent(nullptr);
    // Inside a handler the socket being served must outlive the call that is using it.
    if (m_handlingDepth > 0)
        tcpServer->deleteLater();
    else
        delete tcpServer;
}

bool SimServer::isListening() const
{
    return m_tcpServer && m_tcpServer->isListening();
}

quint16 SimServer::port() const
{
    return m_tcpServer ? m_tcpServer->serverPort() : 0;
}

QHostAddress SimServer::address() const
{
    return m_tcpServer ? m_tcpServer->serverAddress() : QHostAddress();
}

void SimServer::addRoute(
    const QByteArray &method, const QString &pattern, const QString &requiredScope, Handler handler)
{
    m_routes.push_back(
        { method.toUpper(), pattern.split(u'/', Qt::SkipEmptyParts), requiredScope, std::move(handler), {} });
}

void SimServer::addStreamRoute(const QByteArray &method, const QString &pattern, StreamHandler handler)
{
    m_routes.push_back(
        { method.toUpper(), pattern.split(u'/', Qt::SkipEmptyParts), QString(), {}, std::move(handler) });
}

void SimServer::addToken(const QString &token, const QStringList &scopes)
{
    m_tokens.insert(token, Token { scopes, false });
}

void SimServer::addFullAccessToken(const QString &token)
{
    m_tokens.insert(token, Token { {}, true });
}

void SimServer::removeToken(const QString &token)
{
    m_tokens.remove(token);
}

std::optional<QStringList> SimServer::scopesOf(const QString &token) const
{
    const auto it = m_tokens.constFind(token);
    if (token.isEmpty() || it == m_tokens.cend())
        return std::nullopt;
    if (!it->fullAccess)
        return it->scopes;
    QStringList all { u"metrics.read"_s, u"metrics.write"_s, u"metrics.ingest"_s, u"events.read"_s,
        u"events.ingest"_s, u"problems.read"_s, u"problems.write"_s, u"entities.read"_s, u"releases.read"_s,
        u"apiTokens.read"_s, u"DataExport"_s, u"ReadConfig"_s, u"WriteConfig"_s };
    return all;
}

QString SimServer::scopeDescription(const QString &scope)
{
    static const QHash<QString, QString> descriptions {
        { u"metrics.read"_s, u"Read metrics"_s },
        { u"metrics.write"_s, u"Write metrics"_s },
        { u"metrics.ingest"_s, u"Ingest metrics"_s },
        { u"events.read"_s, u"Read events"_s },
        { u"events.ingest"_s, u"Ingest events"_s },
        { u"problems.read"_s, u"Read problems"_s },
        { u"problems.write"_s, u"Write problems"_s },
        { u"entities.read"_s, u"Read entities"_s },
        { u"releases.read"_s, u"Read releases"_s },
        { u"apiTokens.read"_s, u"Read API tokens"_s },
        { u"DataExport"_s, u"Access problem and event feed, metrics, and topology"_s },
        { u"ReadConfig"_s, u"Read configuration"_s },
        { u"WriteConfig"_s, u"Write configuration"_s },
    };
    return descriptions.value(scope, scope);
}

SimRequest SimServer::toSimRequest(const QHttpServerRequest &request)
{
    SimRequest simRequest;
    const QMetaEnum methods = QMetaEnum::fromType<QHttpServerRequest::Method>();
    simRequest.method = QByteArray(methods.valueToKey(int(request.method()))).toUpper();
    const QUrl url = request.url();
    simRequest.rawPath = url.path(QUrl::FullyEncoded).toUtf8();
    simRequest.path = QUrl::fromPercentEncoding(simRequest.rawPath);
    // The raw query, so '+' and %2B are still distinguishable when decoding it.
    simRequest.query = SimRequest::decodeQuery(url.query(QUrl::FullyEncoded).toUtf8());
    simRequest.headers = request.headers();
    simRequest.body = request.body();
    return simRequest;
}

bool SimServer::matchPath(
    const Route &route, const QStringList &segments, QHash<QString, QString> *parameters)
{
    if (route.segments.size() != segments.size())
        return false;
    QHash<QString, QString> captured;
    for (qsizetype i = 0; i < segments.size(); ++i) {
        const QString &expected = route.segments.at(i);
        if (expected.startsWith(u'{') && expected.endsWith(u'}'))
            captured.insert(expected.mid(1, expected.size() - 2), segments.at(i));
        else if (expected != segments.at(i))
            return false;
    }
    if (parameters)
        *parameters = std::move(captured);
    return true;
}

std::optional<HttpReply> SimServer::checkToken(const SimRequest &request, const QString &requiredScope) const
{
    QString token;
    const QByteArray authorization = request.header("Authorization").trimmed();
    if (!authorization.isEmpty()) {
        const qsizetype space = authorization.indexOf(' ');
        if (space > 0 && authorization.left(space).compare("Api-Token", Qt::CaseInsensitive) == 0)
            token = QString::fromUtf8(authorization.mid(space + 1).trimmed());
        else
            return HttpReply::error(401, u"Token Authentication failed"_s);
    } else if (request.hasQueryItem(u"Api-Token"_s)) {
        token = request.queryItem(u"Api-Token"_s); // documented, discouraged: URLs end up in logs
    } else {
        return HttpReply::error(401, u"Missing authorization parameter."_s);
    }

    const auto it = m_tokens.constFind(token);
    if (token.isEmpty() || it == m_tokens.cend())
        return HttpReply::error(401, u"Token Authentication failed"_s);
    if (requiredScope.isEmpty() || it->fullAccess || it->scopes.contains(requiredScope))
        return std::nullopt;
    return HttpReply::error(403,
        u"Token is missing required scope. Use one of: %1 (%2)"_s.arg(
            requiredScope, scopeDescription(requiredScope)));
}

bool SimServer::tokenHasScope(const QString &token, const QString &scope) const
{
    const auto it = m_tokens.constFind(token);
    if (token.isEmpty() || it == m_tokens.cend())
        return false;
    return scope.isEmpty() || it->fullAccess || it->scopes.contains(scope);
}

std::optional<HttpReply> SimServer::dispatch(SimRequest &request, QTcpSocket *socket) const
{
    const QStringList segments = pathSegments(request.rawPath);
    std::vector<const Route *> candidates;
    for (const Route &route : m_routes) {
        if (matchPath(route, segments, nullptr))
            candidates.push_back(&route);
    }
    if (candidates.empty())
        return HttpReply::error(404, u"HTTP 404 Not Found"_s);

    // Authentication before method: a tenant refuses an unauthenticated caller whatever it asks for.
    for (const Route *route : candidates) {
        if (!route->requiredScope.isEmpty()) {
            if (auto refused = checkToken(request, QString()))
                return *refused;
            break;
        }
    }
    for (const Route *route : candidates) {
        if (route->method != request.method)
            continue;
        if (!route->requiredScope.isEmpty()) {
            if (auto refused = checkToken(request, route->requiredScope))
                return *refused;
        }
        matchPath(*route, segments, &request.pathParameters);
        if (route->streamHandler)
            return route->streamHandler(request, socket);
        return route->handler(request);
    }
    return HttpReply::error(405, u"HTTP 405 Method Not Allowed"_s);
}

void SimServer::write(const QHttpServerRequest &request, QTcpSocket *socket, const HttpReply &reply)
{
    using StatusCode = QHttpServerResponder::StatusCode;
    // The responder looks the reason phrase up in a fixed table; an unknown code would throw.
    const QMetaEnum codes = QMetaEnum::fromType<StatusCode>();
    const bool known = codes.valueToKey(reply.status) != nullptr && reply.status < 599;
    const StatusCode status = known ? StatusCode(reply.status) : StatusCode::InternalServerError;

    QHttpServerResponder responder = makeResponder(request, socket);
    responder.writeStatusLine(status);
    responder.writeHeader("Content-Type", reply.contentType);
    for (const auto &[name, value] : reply.headers)
        responder.writeHeader(name, value);
    responder.writeHeader("Content-Length", QByteArray::number(reply.body.size()));
    responder.writeBody(reply.body);
}

QByteArray SimServer::serialize(const HttpReply &reply, qsizetype bodyBytes)
{
    QByteArray bytes
        = "HTTP/1.1 " + QByteArray::number(reply.status) + ' ' + reasonPhrase(reply.status) + "\r\n";
    bytes += "Content-Type: " + reply.contentType + "\r\n";
    for (const auto &[name, value] : reply.headers)
        bytes += name + ": " + value + "\r\n";
    bytes += "Content-Length: " + QByteArray::number(reply.body.size()) + "\r\n\r\n";
    bytes += bodyBytes < 0 ? reply.body : reply.body.left(bodyBytes);
    return bytes;
}

void SimServer::inject(const Fault &fault, SimRequest request, QTcpSocket *socket)
{
    using Kind = Fault::Kind;
    switch (fault.kind) {
    case Kind::Latency:
        m_faults.defer(fault.value, [this, request, target = QPointer<QTcpSocket>(socket)]() mutable {
            ++m_handlingDepth;
            const auto done = qScopeGuard([this] { --m_handlingDepth; });
            const HttpReply reply = *dispatch(request);
            const bool connected = target && target->state() == QAbstractSocket::ConnectedState;
            if (connected)
                target->write(serialize(reply));
            Q_EMIT requestHandled(request.method, request.path, connected ? reply.status : 0);
        });
        return;
    case Kind::TruncatedJson: {
        // The route runs: what it did stays done, only its answer is lost on the way.
        HttpReply reply = *dispatch(request);
        if (reply.body.isEmpty())
            reply.body = "{}"; // half of nothing would be a complete answer
        socket->write(serialize(reply, reply.body.size() / 2));
        socket->disconnectFromHost(); // after the bytes written so far
        Q_EMIT requestHandled(request.method, request.path, reply.status);
        return;
    }
    case Kind::ConnectionReset:
        resetConnection(socket);
        Q_EMIT requestHandled(request.method, request.path, 0);
        return;
    case Kind::ConnectionResetAfterHandling:
        dispatch(request); // done, but its answer never leaves
        resetConnection(socket);
        Q_EMIT requestHandled(request.method, request.path, 0);
        return;
    case Kind::NeverCompletes:
        m_faults.hold(socket);
        Q_EMIT requestHandled(request.method, request.path, 0);
        return;
    case Kind::TooManyRequestsRetryAfter:
    case Kind::TooManyRequestsRateLimitReset:
    case Kind::ServerError:
    case Kind::MalformedJson:
        break;
    }
    // In front of the route, as a rate limiter or a proxy answers: the route never sees the request.
    const HttpReply reply = m_faults.replyFor(fault);
    socket->write(serialize(reply));
    Q_EMIT requestHandled(request.method, request.path, reply.status);
}

bool SimServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    ++m_handlingDepth;
    const auto done = qScopeGuard([this] { --m_handlingDepth; });

    SimRequest simRequest = toSimRequest(request);
    if (!FaultInjector::isExempt(simRequest.path)) {
        m_faults.countRequest(simRequest.method, simRequest.path);
        if (const auto fault = m_faults.take(simRequest.method, simRequest.path)) {
            inject(*fault, std::move(simRequest), socket);
            return true;
        }
    }
    const bool connected = socket->state() == QAbstractSocket::ConnectedState;
    const std::optional<HttpReply> reply = dispatch(simRequest, connected ? socket : nullptr);
    if (!reply) {
        // A stream route took the connection and writes its answer as it goes.
        Q_EMIT requestHandled(simRequest.method, simRequest.path, 200);
        return true;
    }
    if (connected)
        write(request, socket, *reply);
    Q_EMIT requestHandled(simRequest.method, simRequest.path, reply->status);
    return true;
}

void SimServer::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    write(request, socket, HttpReply::error(404, u"HTTP 404 Not Found"_s));
}

} // namespace canary::sim
