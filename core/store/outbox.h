#pragma once

#include <optional>

#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QStringView>

#include "dynatrace/eventingest.h"
#include "util/expected.h"

namespace canary {
class Clock;
}

namespace canary::store {

class Database;

// A comment for a problem: POST /api/v2/problems/{problemId}/comments with {"message":…,"context":…}.
struct ProblemComment
{
    QString problemId;
    QString message;
    QString context;
};

// One record waiting for Dynatrace, or one it already took: an event, or a comment on a problem.
struct OutboxEntry
{
    enum class Kind { Event, ProblemComment };

    qint64 seq = 0; // the order of sending
    QString id; // a UUID, also the event's canary.outbox.id property
    QString tenant; // the Dynatrace environment it is for
    Kind kind = Kind::Event;
    QString title;
    dynatrace::EventIngest event; // kind Event: as it is sent, the id property included
    ProblemComment comment; // kind ProblemComment
    qint64 createdMs = 0;
    int attempts = 0;
    std::optional<qint64> lastAttemptMs;
    QString lastError;
    std::optional<qint64> deliveredMs;
    QStringList correlationIds; // from Dynatrace's answer, once delivered
    // The sender that is sending it now (its claim token) and until when its claim holds; past that, or
    // with an empty token, anyone may send it.
    QString claimToken;
    qint64 claimUntilMs = 0;

    bool isDelivered() const { return deliveredMs.has_value(); }
    // Being sent by the holder of `claimToken` at `nowMs` (a claim past its time is nobody's).
    bool isClaimedAt(qint64 nowMs) const { return !claimToken.isEmpty() && claimUntilMs > nowMs; }
    QJsonObject toJson() const;
};

// What Outbox::claimNext() found: the entry this sender may send now, or the one it waits behind.
struct Claim
{
    std::optional<OutboxEntry> entry; // claimed: send it
    // Not claimed: the oldest pending entry is being sent by another sender (its claimUntilMs says until
    // when at the latest); order is kept, so nothing behind it goes first.
    std::optional<OutboxEntry> heldElsewhere;
};

// What markDelivered() found.
enum class Delivery {
    Marked, // this answer marked it delivered
    AlreadyDelivered, // someone else had: its time and correlation ids stand
};

// What enqueue() stored (or found under its dedup key).
struct Enqueued
{
    QString id;
    bool alreadyThere = false; // the dedup key was taken: nothing new was stored
};

// Everything that must reach Dynatrace (traffic-change events, a rollback's result event and its comments on
// the open problems), written to the database before any send: a crash, a kill or an outage between the
// action and Dynatrace's answer loses nothing. Each event carries its entry's UUID as the property
// canary.outbox.id, so a copy that arrives twice (sent, then the answer lost) is recognisable as the same
// event; a comment has no such property, so a lost answer can mean a second copy of it. Entries belong to one
// tenant (the environment URL, never the token): switching profiles never sends one tenant's events to
// another. Each event also carries the audit log's head as it stood when the event was stored (AuditAnchor):
// Dynatrace keeps what the local log cannot prove about itself. OutboxSender does the sending.
class Outbox final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Outbox)

public:
    static constexpr QStringView IdProperty = u"canary.outbox.id";
    // Delivered entries kept for `outbox list`; older ones are pruned when a new one is delivered.
    static constexpr int DeliveredKept = 500;

    Outbox(Database &database, const Clock &clock, QObject *parent = nullptr);

    // The tenant key of an environment URL: scheme, host, port and path, no user info, query or fragment.
    static QString tenantOf(const QUrl &environmentUrl);

    // Stores `event` for `tenant` with a new UUID in its properties and commits; returns the id. With a
    // `dedupKey` already stored, nothing is added and the existing entry's id is returned (a resumed rollback
    // records its result once). An event Dynatrace would refuse outright is not stored.
    Expected<Enqueued, QString> enqueue(
        const QString &tenant, dynatrace::EventIngest event, const QString &dedupKey = {});
    // Stores a comment on a problem, like enqueue() (the same dedup rule). An empty problem id or message is
    // not stored.
    Expected<Enqueued, QString> enqueueComment(
        const QString &tenant, const ProblemComment &comment, const QString &dedupKey = {});

    // Not yet delivered, oldest first; every tenant's when `tenant` is empty.
    Expected<QList<OutboxEntry>, QString> pending(const QString &tenant = {}) const;
    Expected<int, QString> pendingCount(const QString &tenant = {}) const;
    // The newest `limit` entries, delivered or not, oldest first.
    Expected<QList<OutboxEntry>, QString> recent(int limit = 100) const;
    std::optional<OutboxEntry> entry(const QString &id) const;

    // Bookkeeping of OutboxSender; each is one committed write, or why it could not be written.
    //
    // Several processes share one outbox, each with its sender: an entry is sent by one of them at a time.
    // claimNext() picks `tenant`'s oldest pending entry and, unless another sender's claim on it still
    // holds, claims it for `token` until `untilMs` and counts the attempt, all in one BEGIN IMMEDIATE
    // transaction: two senders never both find it free. A claim past its time (its process died or hung)
    // is taken over. The answer clears it (recordFailure, markDelivered), as does releaseClaim.
    Expected<Claim, QString> claimNext(const QString &tenant, const QString &token, qint64 untilMs);
    // Whether `entry` is being sent by a sender other than `token`'s at `nowMs`: its claim has not run out
    // and, when the token names a process on this host ("<uuid> <pid> <host>", OutboxSender's), that process
    // is still there.
    static bool isHeldElsewhere(const OutboxEntry &entry, const QString &token, qint64 nowMs);
    Expected<void, QString> releaseClaim(const QString &id, const QString &token);
    Expected<void, QString> recordAttempt(const QString &id);
    // Notes the failure and clears `token`'s claim (any claim when `token` is empty).
    Expected<void, QString> recordFailure(
        const QString &id, const QString &message, const QString &token = {});
    // Marks the entry delivered and clears the claim. An entry another sender marked first keeps its
    // delivery time and correlation ids: AlreadyDelivered.
    Expected<Delivery, QString> markDelivered(const QString &id, const QStringList &correlationIds);

Q_SIGNALS:
    void enqueued(const QString &id);

private:
    // An `event` gets the audit anchor (AuditAnchor) as it stands in this transaction, and is the body.
    Expected<Enqueued, QString> insert(const QString &id, const QString &tenant, const QString &kind,
        const QString &title, QByteArray body, const QString &dedupKey,
        dynatrace::EventIngest *event = nullptr);
    Expected<QList<OutboxEntry>, QString> select(const QString &where, const QVariantList &values) const;
    // How many rows the statement changed.
    Expected<int, QString> update(const QString &statement, const QVariantList &values);

    Database &m_database;
    const Clock &m_clock;
};

} // namespace canary::store
