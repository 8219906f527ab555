#pragma once

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include "traffic/observedsplit.h"
#include "traffic/split.h"

namespace canary {
class Clock;
}
namespace canary::session {
class CanarySession;
}
namespace canary::traffic {
class TrafficController;
}
namespace canary::store {
class AuditLog;
}

namespace canary::watch {

// One thing that changed in the watched world, as canaryctl watch prints it: a line for people and the same
// as JSON. Titles and texts come from Dynatrace and the back-end as they were sent: escape them for a
// terminal before printing (LiveChange::line does).
struct LiveChange
{
    enum class Kind {
        Split, // the back-end's split, first read or changed
        SplitChangedOutside, // it moved without this process asking
        SplitReadFailed,
        Verdict, // the canary verdict changed
        Event, // an event on the target not seen before
        Problem, // a problem opened, or changed status
        ReadFailed, // metrics, events or problems could not be read
        Audit, // a row appended to the shared audit log: a rollback's progress, another process's change
    };
    Kind kind = Kind::Split;
    qint64 atMs = 0;
    QString text; // one line, untrusted parts included as sent
    QJsonObject json;

    static QString kindName(Kind kind);
    // `text` with control characters (terminal escapes, line breaks) shown as \xNN: safe to print.
    QString line() const;
};

// What the console shows live, as a stream of changes: the back-end's split (reads on the SplitWatch's
// cadence, changes made elsewhere), the verdict, new events and problems on the target. canaryctl watch
// prints it; it reads nothing itself, it listens to the controller and the session that do.
class LiveFeed final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LiveFeed)

public:
    LiveFeed(const Clock &clock, QObject *parent = nullptr);

    // Either may be null: a feed of the split alone, or of the target alone. Not owned.
    void watchTraffic(traffic::TrafficController *controller);
    void watchSession(session::CanarySession *session, const traffic::BuildRoles &roles);
    // The audit log the state folder shares with every console and canaryctl on this machine: each row
    // appended after this call (a rollback starting, resumed, finished; a change or a guard decision made by
    // another process) is a change, read every `intervalMs`.
    void watchAudit(store::AuditLog *audit, int intervalMs);

Q_SIGNALS:
    void changed(const canary::watch::LiveChange &change);

private:
    void emitChange(LiveChange::Kind kind, const QString &text, QJsonObject json);
    void onSnapshot();
    void onEvents();
    void onProblems();
    void onAuditTick();

    const Clock &m_clock;
    QPointer<session::CanarySession> m_session;
    traffic::BuildRoles m_roles;
    std::optional<traffic::Split> m_lastSplit;
    QString m_lastVerdict;
    QSet<QString> m_seenEvents;
    QHash<QString, QString> m_problemStatus;
    bool m_eventsPrimed = false;
    store::AuditLog *m_audit = nullptr;
    QTimer *m_auditTimer = nullptr;
    std::optional<qint64> m_lastAuditId; // nullopt until the first read primed it
};

} // namespace canary::watch

Q_DECLARE_METATYPE(canary::watch::LiveChange)
