#pragma once

#include <memory>
#include <random>

#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

#include "outbox.h"

namespace canary {
class Clock;
}
namespace canary::dynatrace {
class EventsClient;
class ProblemsClient;
} // namespace canary::dynatrace

namespace canary::store {

// Delivers one tenant's outbox to Dynatrace: one entry at a time, oldest first, marked delivered only once
// Dynatrace stored it (every eventIngestResults status OK; for a problem comment, a 2xx). Comments go over
// the events client's connection (the same tenant and token; they need problems.write). A failure is retried
// after a capped exponential backoff with jitter, judged by the Clock (a QTimer only says when to look), so a
// VirtualClock drives it in tests. Never two sends at once, and never a second copy while one is out: an
// ingest that timed out may still have landed, and its retry carries the same canary.outbox.id. Newly
// enqueued entries are picked up at once unless a backoff runs (they wait behind the failing one: order is
// kept).
//
// Several processes (the window, each canaryctl) share one outbox, each with a sender: an entry is sent by
// one of them at a time. The sender claims the entry it sends in the store (Outbox::claimNext) for the
// request's timeout plus ClaimMarginMs; an entry another sender is sending is waited behind (order is kept)
// and looked at again every LookAgainMs, until it is delivered, its claim is cleared or runs out (that
// process died: the entry is taken over and sent again with the same canary.outbox.id). Destroying a sender
// while it sends gives its claim back, so a process that ends with a send out makes nobody wait for the
// claim to run out.
class OutboxSender final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OutboxSender)

public:
    struct Backoff
    {
        qint64 initialMs = 2'000;
        qint64 maxMs = 5 * 60'000;
        double jitter = 0.2; // each delay is scaled by a random factor in [1 - jitter, 1 + jitter]
    };
    // A claim outlives the request's timeout by this much: the answer to a send is in before its claim
    // runs out, unless the process is gone or frozen.
    static constexpr qint64 ClaimMarginMs = 10'000;
    // How often an entry another process is sending is looked at again.
    static constexpr int LookAgainMs = 250;

    OutboxSender(Outbox *outbox, dynatrace::EventsClient *events, QString tenant, const Clock &clock,
        QObject *parent = nullptr);
    ~OutboxSender() override;

    void setBackoff(Backoff backoff) { m_backoff = backoff; }
    const Backoff &backoff() const { return m_backoff; }
    // The jitter's generator, for reproducible tests; seeded from the system's random source otherwise.
    void seedJitter(quint32 seed) { m_random.seed(seed); }

    QString tenant() const { return m_tenant; }
    Outbox *outbox() const { return m_outbox; }
    const Clock &clock() const { return m_clock; }
    // This sender's claim token in the store (a UUID per sender).
    QString claimToken() const { return m_claimToken; }
    // The timeout of one send: the events client's (--timeout); RestClient's default without one.
    int requestTimeoutMs() const;
    bool isSending() const { return !m_sendingId.isEmpty(); }
    // The oldest pending entry is being sent by another process; this sender looks again soon.
    bool isWaitingBehind() const { return !m_waitingBehindId.isEmpty(); }
    QString waitingBehindId() const { return m_waitingBehindId; }
    QString sendingId() const { return m_sendingId; }
    int pendingCount() const { return m_pendingCount; }
    int consecutiveFailures() const { return m_failures; }
    // When the next attempt is due after a failure (on the clock); 0 when none is waiting.
    qint64 retryAtMs() const { return m_retryAtMs; }
    QString lastError() const { return m_lastError; }
    // The last failure was the connection or the token (unreachable, 401, 403): the operator's to fix.
    bool lastErrorIsConnectionOrAuth() const { return m_lastErrorConnectionOrAuth; }

    // Starts on what is pending (e.g. left by an earlier run) unless a send is out or a backoff runs.
    void start();
    // The operator's "send now": skips a running backoff, but still never sends while one is out.
    void flush();
    // Checks the clock: the timer calls it; tests call it after moving a virtual clock.
    void tick();

Q_SIGNALS:
    void pendingChanged(int count);
    void delivered(const QString &id);
    void deliveryFailed(const QString &id, const QString &message);
    // Nothing of this tenant is pending any more.
    void drained();

private:
    void sendNext();
    void onAnswer(const QString &id, const QString &failure, const QStringList &correlationIds);
    void scheduleRetry();
    void refreshCount();

    QPointer<Outbox> m_outbox;
    QPointer<dynatrace::EventsClient> m_events;
    std::unique_ptr<dynatrace::ProblemsClient> m_problems;
    QString m_tenant;
    const Clock &m_clock;
    Backoff m_backoff;
    std::mt19937 m_random;
    QTimer m_timer;
    QString m_claimToken;
    QString m_sendingId;
    QString m_waitingBehindId;
    int m_pendingCount = -1;
    int m_failures = 0;
    qint64 m_retryAtMs = 0;
    QString m_lastError;
    bool m_lastErrorConnectionOrAuth = false;
};

} // namespace canary::store
