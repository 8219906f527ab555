#pragma once

#include <optional>

#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QTimer>

#include "util/expected.h"

namespace canary {
class Clock;
}

namespace canary::store {

class Database;

// Who holds a lease: enough for another operator to find the process and its person.
struct LeaseHolder
{
    QString token; // this holding; a renewal or release by anyone else does nothing
    qint64 pid = 0;
    QString host;
    QString user;
    QString command; // what runs: "canaryctl split set 20", "canary-console"
    qint64 sinceMs = 0;
    qint64 expiresMs = 0; // renewed while held; past it the lease is free (a frozen or vanished holder)

    // "canaryctl split set 20 (pid 4711, alice on build-7, since 12:00:01 UTC)"
    QString describe() const;
    QJsonObject toJson() const;
};

// Why a lease could not be taken: someone else holds it, or the store could not be used.
struct LeaseRefusal
{
    enum class Kind { Held, Store };
    Kind kind = Kind::Store;
    std::optional<LeaseHolder> holder; // kind Held
    QString message; // one sentence, naming the holder or the store's problem
};

// One named lease in the shared store, so that across processes one writer at a time acts on one thing: a
// traffic target from "requested" to its outcome, a service's rollback from launch to finish. Taken and
// checked in a BEGIN IMMEDIATE transaction; held until released, the process dies (same host: its pid is
// gone) or it goes unrenewed past its expiry (another host, or a process stopped in a debugger). While held
// it is renewed on a timer; a renewal that finds the lease taken over reports lost().
//
// acquire() waits up to `waitMs`, looking again every PollMs (it never blocks the thread), and reports one
// outcome: acquired() or refused(). Destroying the object releases what it holds.
class Lease final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Lease)

public:
    static constexpr qint64 DefaultTtlMs = 30'000;
    static constexpr int PollMs = 200;

    // The names of the leases this program takes.
    static QString trafficName(const QString &targetId) { return QStringLiteral("traffic:") + targetId; }
    static QString rollbackName(const QString &target) { return QStringLiteral("rollback:") + target; }

    Lease(Database &database, const Clock &clock, QString name, QObject *parent = nullptr);
    ~Lease() override;

    QString name() const { return m_name; }
    void setTtlMs(qint64 ms) { m_ttlMs = ms; }
    qint64 ttlMs() const { return m_ttlMs; }
    // What runs, as other processes see it; defaults to this program's name and arguments.
    void setCommand(QString command) { m_command = std::move(command); }
    void setUser(QString user) { m_user = std::move(user); }

    bool isHeld() const { return m_held; }
    bool isWaiting() const { return m_deadlineMs >= 0; }
    const LeaseHolder &self() const { return m_self; }

    // One try, now: held, or why not. Taking over a lease whose holder is gone counts as taking it.
    Expected<void, LeaseRefusal> tryAcquire();
    // Tries now and then every PollMs until `waitMs` passed; waiting() once when it first finds the lease
    // held. Already held: acquired() on the next turn.
    void acquire(qint64 waitMs);
    // Renews it now and says whether it is still this holding's: asked right before acting on it, since a
    // process stopped past the expiry (SIGSTOP, a debugger, a suspended laptop) hears of lost() only after
    // its next timer, which may come after the action.
    Expected<void, QString> confirm();
    // Gives the lease back (only this holding's); stops a wait without a result.
    void release();

    // Who holds `name` now (expired or dead holders included, as they are stored); nullopt: nobody.
    static Expected<std::optional<LeaseHolder>, QString> holderOf(Database &database, const QString &name);
    // Whether a holder is gone: its expiry passed, or it ran on this host and its process is no more.
    static bool isGone(const LeaseHolder &holder, qint64 nowMs);

Q_SIGNALS:
    void acquired();
    void waiting(const canary::store::LeaseHolder &holder);
    void refused(const canary::store::LeaseRefusal &refusal);
    // A renewal found the lease in other hands (this process was frozen past its expiry) or the store
    // refused it: whatever it guarded is no longer exclusive.
    void lost(const QString &message);

private:
    void poll();
    void renew();

    Database &m_database;
    const Clock &m_clock;
    QString m_name;
    qint64 m_ttlMs = DefaultTtlMs;
    QString m_command;
    QString m_user;
    LeaseHolder m_self;
    bool m_held = false;
    bool m_toldWaiting = false;
    qint64 m_deadlineMs = -1;
    QTimer m_pollTimer;
    QTimer m_renewTimer;
};

} // namespace canary::store

Q_DECLARE_METATYPE(canary::store::LeaseHolder)
Q_DECLARE_METATYPE(canary::store::LeaseRefusal)
