#pragma once

#include <functional>
#include <optional>

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

#include "httpreply.h"

class QTcpSocket;
class QTimer;

namespace canary {
class Clock;
}

namespace canary::sim {

// What is wrong with a fault, by field ("endpoint", "kind", "value", "remaining"), so an HTTP 400 or a usage
// message can name it.
struct FaultFieldError
{
    QString field;
    QString message;

    QString toString() const { return field + QStringLiteral(": ") + message; }
};

// One fault the simulator injects in front of its routes, as a flaky network, proxy or rate limiter would.
//
// `endpoint` selects requests by method and path (the query is ignored):
//   "GET /api/v2/metrics/query"  that method and exactly that path
//   "/api/v2/problems*"          any method, any path starting with /api/v2/problems
//   "POST /api/v2/events*"       a method and a path prefix
//   "*"                          every request ("GET *": every GET)
struct Fault
{
    enum class Kind {
        Latency, // value ms, then the normal answer
        TooManyRequestsRetryAfter, // 429, Retry-After: value (seconds)
        TooManyRequestsRateLimitReset, // 429, X-RateLimit-Reset: clock now + value ms, in µs since the epoch
        ServerError, // value 500 or 503 (Dynatrace's error envelope) or 502 (a proxy's HTML page)
        MalformedJson, // 200, application/json, a body that is not JSON
        TruncatedJson, // the normal answer with its full Content-Length, half the body, then the socket
                       // closed
        ConnectionReset, // the socket reset before any byte of an answer
        // The route runs (what it did stays done), then the socket is reset before any byte of its answer:
        // the client cannot tell whether its request took effect
        ConnectionResetAfterHandling,
        NeverCompletes, // no answer; the socket stays open until the faults are lifted or the server stops
    };
    static constexpr int Unlimited = -1;
    static constexpr int MaxLatencyMs = 600'000;
    static constexpr int MaxRetryAfterSeconds = 86'400;
    static constexpr int MaxRateLimitResetMs = 86'400'000;

    QString endpoint;
    Kind kind = Kind::Latency;
    int value = 0;
    int remaining = Unlimited; // the next N matching requests only; Unlimited: until lifted

    bool matches(const QByteArray &method, const QString &path) const;
    // Whether the kind takes a value (latency, the 429s, the server error's status).
    static bool takesValue(Kind kind);
    // The first problem of the fault, nullopt when it can be injected.
    std::optional<FaultFieldError> validate() const;

    // The names of the admin API and of canary-sim --fault: latency, 429-retry-after, 429-ratelimit-reset,
    // server-error, malformed-json, truncated-json, reset, reset-after-handling, hang.
    static QString kindName(Kind kind);
    static QStringList kindNames();
    // A kind by name; "500", "502" and "503" name ServerError with that status (put into *impliedValue).
    static std::optional<Kind> kindFromName(const QString &name, std::optional<int> *impliedValue = nullptr);

    // canary-sim's "ENDPOINT=KIND[:VALUE][xCOUNT]", e.g. "/api/v2/problems*=429-retry-after:2x5"; nullopt
    // (and *error says why) when it does not parse or does not validate.
    static std::optional<Fault> fromSpec(const QString &spec, QString *error = nullptr);
    QString toSpec() const;

    friend bool operator==(const Fault &, const Fault &) = default;
};

// The simulator's fault injection: which faults are in force, what each request that reaches the server
// gets, per-endpoint request counters, and the requests a fault holds (delayed or never answered).
// SimServer owns one and applies what take() returns on the wire; the admin API (FaultApi) and tests
// change it at run time.
//
// The fault API's own routes (/api/sim/v1/faults, /requests, /ingested) are never faulted nor counted, so a
// test can always lift what it injected. Everything else, /api/sim/v1/split (the demo's traffic back-end)
// included, can be.
class FaultInjector final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FaultInjector)

public:
    explicit FaultInjector(QObject *parent = nullptr);
    ~FaultInjector() override;

    // Where X-RateLimit-Reset's "now" comes from: the simulator's clock (nullptr: the system clock).
    void setClock(const canary::Clock *clock) { m_clock = clock; }

    // In force, in the order they are matched, with what is left of their counts.
    QList<Fault> faults() const { return m_faults; }
    // Appends one fault; false (and *error names the field) when it does not validate.
    bool addFault(const Fault &fault, QString *error = nullptr);
    // Replaces every fault (nothing changes when one does not validate); held and delayed requests are
    // released as by liftAll().
    bool setFaults(const QList<Fault> &faults, QString *error = nullptr);
    // Removes every fault: delayed requests are answered at once, requests that never complete are closed.
    // Returns how many faults were lifted.
    int liftAll();

    // The fault API's own paths, never faulted nor counted.
    static bool isExempt(const QString &path);

    // The fault a request to (method, path) gets — the first one in the list that matches — with one taken
    // off its count (a fault whose count runs out leaves the list, but requests it holds stay held until
    // liftAll() or setFaults()); nullopt: answer normally.
    std::optional<Fault> take(const QByteArray &method, const QString &path);
    // The answer a fault gives in place of the route's: the 429s, the server errors and malformed JSON.
    HttpReply replyFor(const Fault &fault) const;

    // "GET /api/v2/metrics/query": what the counters are keyed by.
    static QString requestKey(const QByteArray &method, const QString &path);
    void countRequest(const QByteArray &method, const QString &path);
    QMap<QString, int> requestCounts() const { return m_counts; }
    int requestCount(const QString &key) const { return m_counts.value(key); }
    void resetRequestCounts() { m_counts.clear(); }

    // A request that never completes: kept open until released (liftAll, setFaults) or the server stops.
    void hold(QTcpSocket *socket);
    // Runs `answer` after `delayMs` (a precise real-time timer: clients wait in real time), or at once when
    // the faults are lifted. It runs even if the client went away, as a slow server would go on.
    void defer(int delayMs, std::function<void()> answer);
    // Requests held open by NeverCompletes whose connection is still open.
    int heldRequestCount() const;
    // Requests still waiting for their Latency.
    int deferredRequestCount() const { return int(m_deferred.size()); }

Q_SIGNALS:
    void faultsChanged();

private:
    void releaseHeld();

    QList<Fault> m_faults;
    QMap<QString, int> m_counts;
    QList<QPointer<QTcpSocket>> m_held;
    QList<QTimer *> m_deferred;
    const canary::Clock *m_clock = nullptr;
};

} // namespace canary::sim
