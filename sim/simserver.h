#pragma once

#include <functional>
#include <optional>
#include <vector>

#include <QAbstractHttpServer>
#include <QHash>
#include <QHostAddress>
#include <QPointer>
#include <QStringList>

#include "faultinjector.h"
#include "httpreply.h"
#include "simrequest.h"

class QTcpServer;

namespace canary::sim {

// The HTTP front of the simulated environment. A small route table maps (method, path pattern) to a handler
// returning an HttpReply, so adding an endpoint is one addRoute() call. Routes that name a scope are guarded
// by Dynatrace's Api-Token authentication. Built on QAbstractHttpServer rather than QHttpServer so the server
// sees every socket: stop() can drop kept-alive connections, and faults() can delay an answer, cut it short,
// reset the connection or hold a request open.
class SimServer final : public QAbstractHttpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SimServer)

public:
    using Handler = std::function<HttpReply(const SimRequest &request)>;
    // A route that may keep its connection and write the answer over time (a Kubernetes watch): it answers
    // like any handler, or takes `socket` (writes its own head and body to it) and returns nullopt. `socket`
    // is null where the answer cannot be kept open (a fault delays or cuts it short): it must answer then.
    using StreamHandler
        = std::function<std::optional<HttpReply>(const SimRequest &request, QTcpSocket *socket)>;

    explicit SimServer(QObject *parent = nullptr);
    ~SimServer() override;

    bool start(const QHostAddress &address, quint16 port, QString *errorMessage = nullptr);
    // Closes the listening socket and aborts every open connection, so kept-alive clients fail too.
    void stop();
    bool isListening() const;
    quint16 port() const;
    QHostAddress address() const;

    // pattern: "/api/v2/metrics/query", "/api/v2/metrics/{metricKey}". The first matching route wins, so
    // register literal paths before patterns that would also match them. An empty requiredScope means
    // no Api-Token check (for APIs with their own authentication).
    void addRoute(
        const QByteArray &method, const QString &pattern, const QString &requiredScope, Handler handler);

    // A route whose handler may keep the connection open (StreamHandler); matched like addRoute()'s.
    void addStreamRoute(const QByteArray &method, const QString &pattern, StreamHandler handler);

    // A token with exactly these scopes (none at all is allowed: every guarded route then answers 403).
    void addToken(const QString &token, const QStringList &scopes);
    // A token that holds every scope.
    void addFullAccessToken(const QString &token);
    void removeToken(const QString &token);
    // What a token may do, as POST /api/v2/apiTokens/lookup tells it; nullopt for a token nobody issued.
    std::optional<QStringList> scopesOf(const QString &token) const;
    // Whether the request carries a valid token at all (any scope): the 401 to answer, or nullopt.
    std::optional<HttpReply> authenticate(const SimRequest &request) const { return checkToken(request, {}); }

    // For APIs with their own authentication (AWX and Kubernetes take the token as a Bearer token):
    // whether `token` is registered and holds `scope` (an empty scope: any registered token).
    bool tokenHasScope(const QString &token, const QString &scope = {}) const;

    // "metrics.read" -> "Read metrics", as Dynatrace names scopes in its 403 message.
    static QString scopeDescription(const QString &scope);

    // What every request meets before its route: faults in force and per-endpoint request counters.
    FaultInjector &faults() { return m_faults; }
    const FaultInjector &faults() const { return m_faults; }

Q_SIGNALS:
    // Once per request, when its answer was written: the status written, 0 when no answer was (a reset, a
    // request held open). A delayed request emits it once its delay is over.
    void requestHandled(const QByteArray &method, const QString &path, int status);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    struct Route
    {
        QByteArray method;
        QStringList segments; // "{name}" segments capture
        QString requiredScope;
        Handler handler;
        StreamHandler streamHandler; // instead of handler
    };
    struct Token
    {
        QStringList scopes;
        bool fullAccess = false;
    };

    static SimRequest toSimRequest(const QHttpServerRequest &request);
    static bool matchPath(
        const Route &route, const QStringList &segments, QHash<QString, QString> *parameters);
    // nullopt only when a stream route took `socket`.
    std::optional<HttpReply> dispatch(SimRequest &request, QTcpSocket *socket = nullptr) const;
    std::optional<HttpReply> checkToken(const SimRequest &request, const QString &requiredScope) const;
    static void write(const QHttpServerRequest &request, QTcpSocket *socket, const HttpReply &reply);
    // The answer as bytes, for answers written outside handleRequest() (no responder then) or cut short:
    // only the first `bodyBytes` of the body (-1: all), Content-Length still that of the whole body.
    static QByteArray serialize(const HttpReply &reply, qsizetype bodyBytes = -1);
    void inject(const Fault &fault, SimRequest request, QTcpSocket *socket);

    std::vector<Route> m_routes;
    QHash<QString, Token> m_tokens;
    QPointer<QTcpServer> m_tcpServer;
    FaultInjector m_faults;
    int m_handlingDepth = 0;
};

} // namespace canary::sim
