#include "lease.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QSysInfo>
#include <QUuid>

#include "database.h"
#include "util/clock.h"
#include "util/processliveness.h"
#include "util/terminaltext.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::store {

namespace {

constexpr int CommandMaxLength = 200;

QString defaultCommand()
{
    QStringList arguments = QCoreApplication::arguments();
    if (arguments.isEmpty())
        return QCoreApplication::applicationName();
    arguments.first() = QFileInfo(arguments.first()).fileName();
    QString command = arguments.join(u' ');
    if (command.size() > CommandMaxLength)
        command = command.left(CommandMaxLength - 1) + u'…';
    return command;
}

QString defaultUser()
{
    for (const char *variable : { "USER", "USERNAME", "LOGNAME" }) {
        const QString name = qEnvironmentVariable(variable).trimmed();
        if (!name.isEmpty())
            return name;
    }
    return {};
}

} // namespace

QString LeaseHolder::describe() const
{
    const QString since = QDateTime::fromMSecsSinceEpoch(sinceMs, Qt::UTC).toString(u"HH:mm:ss"_s);
    // Written by another process, perhaps planted: bounded here, escaped by whoever prints it.
    const auto bounded = [](const QString &text) {
        return terminalSafe(text.size() > CommandMaxLength ? text.left(CommandMaxLength - 1) + u'…' : text);
    };
    const QString where = host.isEmpty() ? QObject::tr("an unnamed host") : bounded(host);
    const QString who = user.isEmpty() ? where : u"%1 on %2"_s.arg(bounded(user), where);
    const QString until
        = QDateTime::fromMSecsSinceEpoch(expiresMs, Qt::UTC).toString(u"yyyy-MM-dd HH:mm:ss"_s);
    return QObject::tr("%1 (pid %2, %3, since %4 UTC, held until %5 UTC unless renewed)")
        .arg(command.isEmpty() ? QObject::tr("another process") : bounded(command))
        .arg(pid)
        .arg(who, since, until);
}

QJsonObject LeaseHolder::toJson() const
{
    return { { u"pid"_s, pid }, { u"host"_s, host }, { u"user"_s, user }, { u"command"_s, command },
        { u"sinceMs"_s, sinceMs }, { u"expiresMs"_s, expiresMs } };
}

Lease::Lease(Database &database, const Clock &clock, QString name, QObject *parent)
    : QObject(parent)
    , m_database(database)
    , m_clock(clock)
    , m_name(std::move(name))
    , m_command(defaultCommand())
    , m_user(defaultUser())
{
    qRegisterMetaType<LeaseHolder>();
    qRegisterMetaType<LeaseRefusal>();
    m_pollTimer.setSingleShot(true);
    connect(&m_pollTimer, &QTimer::timeout, this, &Lease::poll);
    connect(&m_renewTimer, &QTimer::timeout, this, &Lease::renew);
}

Lease::~Lease()
{
    release();
}

bool Lease::isGone(const LeaseHolder &holder, qint64 nowMs)
{
    if (holder.expiresMs < nowMs)
        return true;
    return holder.host == QSysInfo::machineHostName() && !processRunsHere(holder.pid);
}

Expected<std::optional<LeaseHolder>, QString> Lease::holderOf(Database &database, const QString &name)
{
    QSqlQuery query(database.connection());
    query.prepare(
        u"SELECT token, pid, host, user, command, since_ms, expires_ms FROM lease WHERE name = ?"_s);
    query.addBindValue(name);
    if (!query.exec())
        return database.describe(QObject::tr("reading the leases in"), query.lastError().text());
    if (!query.next())
        return std::optional<LeaseHolder>();
    LeaseHolder holder;
    holder.token = query.value(0).toString();
    holder.pid = query.value(1).toLongLong();
    holder.host = query.value(2).toString();
    holder.user = query.value(3).toString();
    holder.command = query.value(4).toString();
    holder.sinceMs = query.value(5).toLongLong();
    holder.expiresMs = query.value(6).toLongLong();
    return std::optional<LeaseHolder>(std::move(holder));
}

Expected<void, LeaseRefusal> Lease::tryAcquire()
{
    const auto storeRefusal = [this](const QString &message) {
        return LeaseRefusal { LeaseRefusal::Kind::Store, std::nullopt,
            tr("cannot take the lease on %1: %2").arg(m_name, message) };
    };
    if (const auto begun = m_database.begin(); !begun)
        return storeRefusal(begun.error());
    const qint64 now = m_clock.nowMs();
    const auto current = holderOf(m_database, m_name);
    if (!current) {
        m_database.rollback();
        return storeRefusal(current.error());
    }
    const bool ours = m_held && *current && (*current)->token == m_self.token;
    if (*current && !ours && !isGone(**current, now)) {
        m_database.rollback();
        return LeaseRefusal { LeaseRefusal::Kind::Held, **current,
            tr("%1 is held by %2").arg(m_name, (*current)->describe()) };
    }
    LeaseHolder self = ours ? m_self : LeaseHolder {};
    if (!ours) {
        self.token = QUuid::createUuid().toString(QUuid::WithoutBraces);
        self.pid = QCoreApplication::applicationPid();
        self.host = QSysInfo::machineHostName();
        self.user = m_user;
        self.command = m_command;
        self.sinceMs = now;
    }
    self.expiresMs = now + m_ttlMs;
    QSqlQuery query(m_database.connection());
    query.prepare(
        u"INSERT OR REPLACE INTO lease (name, token, pid, host, user, command, since_ms, expires_ms) "
        "VALUES (?, ?, ?, COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''), ?, ?)"_s);
    for (const QVariant &value :
        { QVariant(m_name), QVariant(self.token), QVariant(self.pid), QVariant(self.host),
            QVariant(self.user), QVariant(self.command), QVariant(self.sinceMs), QVariant(self.expiresMs) })
        query.addBindValue(value);
    if (!query.exec()) {
        const QString error = m_database.describe(tr("taking a lease in"), query.lastError().text());
        m_database.rollback();
        return storeRefusal(error);
    }
    if (const auto committed = m_database.commit(); !committed)
        return storeRefusal(committed.error());
    m_self = std::move(self);
    m_held = true;
    // Renewed three times a lifetime: one late renewal (a busy store) does not lose it.
    m_renewTimer.start(int(std::max<qint64>(1, m_ttlMs / 3)));
    return {};
}

void Lease::acquire(qint64 waitMs)
{
    m_toldWaiting = false;
    m_deadlineMs = QDateTime::currentMSecsSinceEpoch() + std::max<qint64>(0, waitMs);
    if (m_held) {
        m_deadlineMs = -1;
        QTimer::singleShot(0, this, [this] {
            if (m_held)
                Q_EMIT acquired();
        });
        return;
    }
    poll();
}

void Lease::poll()
{
    if (m_deadlineMs < 0)
        return;
    auto taken = tryAcquire();
    if (taken) {
        m_deadlineMs = -1;
        Q_EMIT acquired();
        return;
    }
    // The wait is in real time (--timeout is); the lease's own expiry is on the clock every holder shares.
    if (QDateTime::currentMSecsSinceEpoch() >= m_deadlineMs) {
        m_deadlineMs = -1;
        Q_EMIT refused(taken.error());
        return;
    }
    if (taken.error().holder && !std::exchange(m_toldWaiting, true))
        Q_EMIT waiting(*taken.error().holder);
    m_pollTimer.start(PollMs);
}

Expected<void, QString> Lease::confirm()
{
    if (!m_held)
        return tr("the lease on %1 is not held").arg(m_name);
    QSqlQuery query(m_database.connection());
    query.prepare(u"UPDATE lease SET expires_ms = ? WHERE name = ? AND token = ?"_s);
    const qint64 now = m_clock.nowMs();
    query.addBindValue(now + m_ttlMs);
    query.addBindValue(m_name);
    query.addBindValue(m_self.token);
    if (query.exec() && query.numRowsAffected() == 1) {
        m_self.expiresMs = now + m_ttlMs;
        return {};
    }
    const bool storeFailed = query.lastError().isValid();
    // A busy store is tried again on the next tick, while the lease has not run out.
    if (storeFailed && now < m_self.expiresMs)
        return {};
    m_held = false;
    m_renewTimer.stop();
    const QString why = storeFailed
        ? tr("the lease on %1 could not be renewed: %2")
              .arg(m_name, m_database.describe(tr("renewing a lease in"), query.lastError().text()))
        : tr("the lease on %1 was taken over by another process").arg(m_name);
    Q_EMIT lost(why);
    return why;
}

void Lease::renew()
{
    if (m_held)
        confirm();
}

void Lease::release()
{
    m_deadlineMs = -1;
    m_pollTimer.stop();
    if (!m_held)
        return;
    m_held = false;
    m_renewTimer.stop();
    QSqlQuery query(m_database.connection());
    query.prepare(u"DELETE FROM lease WHERE name = ? AND token = ?"_s);
    query.addBindValue(m_name);
    query.addBindValue(m_self.token);
    // Not deleted (a locked store): it runs out at its expiry, or sooner once this process is gone.
    query.exec();
}

} // namespace canary::store
