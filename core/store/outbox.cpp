#include "outbox.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QUuid>

#include "auditlog.h"
#include "database.h"
#include "lease.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::store {

namespace {

const QString EventKind = u"event"_s;
const QString ProblemCommentKind = u"problemComment"_s;

const QString SelectColumns
    = u"SELECT seq, id, tenant, title, body, created_ms, attempts, last_attempt_ms, "
      "last_error, delivered_ms, correlation_ids, kind, claim_token, claim_until_ms FROM outbox "_s;

// A comment is stored with its problem, in a body of our own: only message and context are sent.
QByteArray commentToJson(const ProblemComment &comment)
{
    return QJsonDocument(QJsonObject { { u"problemId"_s, comment.problemId },
                             { u"message"_s, comment.message }, { u"context"_s, comment.context } })
        .toJson(QJsonDocument::Compact);
}

ProblemComment commentFromJson(const QByteArray &body)
{
    const QJsonObject json = QJsonDocument::fromJson(body).object();
    return { json.value(u"problemId"_s).toString(), json.value(u"message"_s).toString(),
        json.value(u"context"_s).toString() };
}

// The stored body back into what EventsClient sends: exactly what toJson() wrote.
dynatrace::EventIngest eventFromJson(const QByteArray &body)
{
    const QJsonObject json = QJsonDocument::fromJson(body).object();
    dynatrace::EventIngest event;
    event.eventType = json.value(u"eventType"_s).toString();
    event.title = json.value(u"title"_s).toString();
    event.entitySelector = json.value(u"entitySelector"_s).toString();
    if (json.contains(u"startTime"_s))
        event.startTimeMs = json.value(u"startTime"_s).toInteger();
    if (json.contains(u"endTime"_s))
        event.endTimeMs = json.value(u"endTime"_s).toInteger();
    if (json.contains(u"timeout"_s))
        event.timeoutMinutes = json.value(u"timeout"_s).toInt();
    const QJsonObject properties = json.value(u"properties"_s).toObject();
    for (auto it = properties.begin(); it != properties.end(); ++it)
        event.properties.insert(it.key(), it.value().toString());
    return event;
}

std::optional<qint64> optionalMs(const QVariant &value)
{
    return value.isNull() ? std::nullopt : std::optional<qint64>(value.toLongLong());
}

} // namespace

QJsonObject OutboxEntry::toJson() const
{
    QJsonObject json { { u"id"_s, id }, { u"seq"_s, seq }, { u"tenant"_s, tenant }, { u"title"_s, title },
        { u"kind"_s, kind == Kind::Event ? EventKind : ProblemCommentKind },
        { u"eventType"_s, event.eventType }, { u"createdMs"_s, createdMs }, { u"attempts"_s, attempts },
        { u"lastAttemptMs"_s, lastAttemptMs ? QJsonValue(*lastAttemptMs) : QJsonValue() },
        { u"lastError"_s, lastError }, { u"delivered"_s, isDelivered() },
        { u"deliveredMs"_s, deliveredMs ? QJsonValue(*deliveredMs) : QJsonValue() },
        { u"correlationIds"_s, QJsonArray::fromStringList(correlationIds) } };
    if (!claimToken.isEmpty() && !isDelivered())
        json.insert(u"claimedUntilMs"_s, claimUntilMs);
    if (kind == Kind::ProblemComment)
        json.insert(u"problemId"_s, comment.problemId);
    return json;
}

Outbox::Outbox(Database &database, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_database(database)
    , m_clock(clock)
{ }

QString Outbox::tenantOf(const QUrl &environmentUrl)
{
    QString tenant = environmentUrl
                         .adjusted(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment
                             | QUrl::StripTrailingSlash)
                         .toString();
    return tenant;
}

Expected<Enqueued, QString> Outbox::enqueue(
    const QString &tenant, dynatrace::EventIngest event, const QString &dedupKey)
{
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    event.properties.insert(IdProperty.toString(), id);
    // Stand-ins of the anchor's size, so the check sees the event as it is sent; insert() sets them.
    event.properties.insert(AuditAnchor::HeadProperty.toString(), AuditLog::genesisHash());
    event.properties.insert(AuditAnchor::RowsProperty.toString(), u"0"_s);
    event.properties.insert(AuditAnchor::LogProperty.toString(), AuditLog::logIdOf(m_database.path()));
    if (const auto violations = event.violations(); !violations.isEmpty()) {
        QStringList why;
        for (const auto &violation : violations)
            why.append(violation.path + u": "_s + violation.message);
        return tr("the event \"%1\" would be refused by Dynatrace, so it is not kept: %2")
            .arg(event.title, why.join(u"; "_s));
    }

    return insert(id, tenant, EventKind, event.title, {}, dedupKey, &event);
}

Expected<Enqueued, QString> Outbox::enqueueComment(
    const QString &tenant, const ProblemComment &comment, const QString &dedupKey)
{
    if (comment.problemId.trimmed().isEmpty() || comment.message.trimmed().isEmpty())
        return tr("a problem comment needs a problem id and a message, so it is not kept");
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    // The title is what `outbox list` and the status bar show.
    const QString title = tr("Comment on problem %1").arg(comment.problemId);
    return insert(id, tenant, ProblemCommentKind, title, commentToJson(comment), dedupKey);
}

Expected<Enqueued, QString> Outbox::insert(const QString &id, const QString &tenant, const QString &kind,
    const QString &title, QByteArray body, const QString &dedupKey, dynatrace::EventIngest *event)
{
    if (const auto begun = m_database.begin(); !begun)
        return begun.error();
    QString error;
    QSqlQuery query(m_database.connection());
    if (!dedupKey.isEmpty()) {
        query.prepare(u"SELECT id FROM outbox WHERE dedup_key = ?"_s);
        query.addBindValue(dedupKey);
        if (!query.exec()) {
            error = m_database.describe(tr("reading the outbox in"), query.lastError().text());
            m_database.rollback();
            return error;
        }
        if (query.next()) {
            const QString existing = query.value(0).toString();
            m_database.rollback();
            return Enqueued { existing, true };
        }
    }
    if (event) {
        // Read under the write lock this insert holds: the head the event names is the newest entry when
        // it was recorded, not one an audit append slipped in between.
        const auto anchor = AuditLog::anchorIn(m_database);
        if (!anchor) {
            m_database.rollback();
            return anchor.error();
        }
        event->properties.insert(AuditAnchor::HeadProperty.toString(), anchor->headHash);
        event->properties.insert(AuditAnchor::RowsProperty.toString(), QString::number(anchor->rows));
        event->properties.insert(AuditAnchor::LogProperty.toString(), anchor->logId);
        body = event->toJson();
    }
    query.prepare(u"INSERT INTO outbox (id, dedup_key, tenant, kind, title, body, created_ms) "
                  "VALUES (?, ?, COALESCE(?, ''), ?, COALESCE(?, ''), ?, ?)"_s);
    query.addBindValue(id);
    query.addBindValue(dedupKey.isEmpty() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(dedupKey));
    query.addBindValue(tenant);
    query.addBindValue(kind);
    query.addBindValue(title);
    query.addBindValue(QString::fromUtf8(body));
    query.addBindValue(m_clock.nowMs());
    if (!query.exec()) {
        error = m_database.describe(tr("adding to the outbox in"), query.lastError().text());
        m_database.rollback();
        return error;
    }
    if (const auto committed = m_database.commit(); !committed)
        return committed.error();
    Q_EMIT enqueued(id);
    return Enqueued { id, false };
}

Expected<QList<OutboxEntry>, QString> Outbox::select(const QString &where, const QVariantList &values) const
{
    QSqlQuery query(m_database.connection());
    query.setForwardOnly(true);
    query.prepare(SelectColumns + where);
    for (const QVariant &value : values)
        query.addBindValue(value);
    if (!query.exec())
        return m_database.describe(tr("reading the outbox in"), query.lastError().text());
    QList<OutboxEntry> entries;
    while (query.next()) {
        OutboxEntry entry;
        entry.seq = query.value(0).toLongLong();
        entry.id = query.value(1).toString();
        entry.tenant = query.value(2).toString();
        entry.title = query.value(3).toString();
        if (query.value(11).toString() == ProblemCommentKind) {
            entry.kind = OutboxEntry::Kind::ProblemComment;
            entry.comment = commentFromJson(query.value(4).toString().toUtf8());
        } else {
            entry.event = eventFromJson(query.value(4).toString().toUtf8());
        }
        entry.createdMs = query.value(5).toLongLong();
        entry.attempts = query.value(6).toInt();
        entry.lastAttemptMs = optionalMs(query.value(7));
        entry.lastError = query.value(8).toString();
        entry.deliveredMs = optionalMs(query.value(9));
        entry.correlationIds = query.value(10).toString().split(u',', Qt::SkipEmptyParts);
        entry.claimToken = query.value(12).toString();
        entry.claimUntilMs = query.value(13).toLongLong();
        entries.append(std::move(entry));
    }
    return entries;
}

Expected<QList<OutboxEntry>, QString> Outbox::pending(const QString &tenant) const
{
    if (tenant.isEmpty())
        return select(u"WHERE delivered_ms IS NULL ORDER BY seq"_s, {});
    return select(u"WHERE delivered_ms IS NULL AND tenant = ? ORDER BY seq"_s, { tenant });
}

Expected<int, QString> Outbox::pendingCount(const QString &tenant) const
{
    QSqlQuery query(m_database.connection());
    query.prepare(tenant.isEmpty()
            ? u"SELECT COUNT(*) FROM outbox WHERE delivered_ms IS NULL"_s
            : u"SELECT COUNT(*) FROM outbox WHERE delivered_ms IS NULL AND tenant = ?"_s);
    if (!tenant.isEmpty())
        query.addBindValue(tenant);
    if (!query.exec() || !query.next())
        return m_database.describe(tr("reading the outbox in"), query.lastError().text());
    return query.value(0).toInt();
}

Expected<QList<OutboxEntry>, QString> Outbox::recent(int limit) const
{
    auto newestFirst = select(u"ORDER BY seq DESC LIMIT ?"_s, { std::max(1, limit) });
    if (!newestFirst)
        return newestFirst;
    QList<OutboxEntry> entries = std::move(newestFirst).value();
    std::reverse(entries.begin(), entries.end());
    return entries;
}

std::optional<OutboxEntry> Outbox::entry(const QString &id) const
{
    auto found = select(u"WHERE id = ?"_s, { id });
    if (!found || found->isEmpty())
        return std::nullopt;
    return found->front();
}

Expected<int, QString> Outbox::update(const QString &statement, const QVariantList &values)
{
    QSqlQuery query(m_database.connection());
    query.prepare(statement);
    for (const QVariant &value : values)
        query.addBindValue(value);
    if (query.exec())
        return query.numRowsAffected();
    return m_database.describe(tr("updating the outbox in"), query.lastError().text());
}

bool Outbox::isHeldElsewhere(const OutboxEntry &entry, const QString &token, qint64 nowMs)
{
    if (!entry.isClaimedAt(nowMs) || entry.claimToken == token)
        return false;
    const QStringList parts = entry.claimToken.split(u' ');
    if (parts.size() < 3)
        return true;
    // A killed canaryctl leaves its claim behind: the next process need not wait for it to run out.
    LeaseHolder holder;
    holder.pid = parts.at(1).toLongLong();
    holder.host = parts.mid(2).join(u' ');
    holder.expiresMs = entry.claimUntilMs;
    return !Lease::isGone(holder, nowMs);
}

Expected<Claim, QString> Outbox::claimNext(const QString &tenant, const QString &token, qint64 untilMs)
{
    const QString oldestPending = u"WHERE delivered_ms IS NULL AND tenant = ? ORDER BY seq LIMIT 1"_s;
    // A first look without the write lock: a sender waiting behind another looks often, and must not hold
    // up the writers of the audit log each time.
    const auto seen = select(oldestPending, { tenant });
    if (!seen)
        return seen.error();
    if (seen->isEmpty())
        return Claim {};
    if (isHeldElsewhere(seen->front(), token, m_clock.nowMs()))
        return Claim { std::nullopt, seen->front() };

    // The pick and the claim in one write transaction: another process's claimNext() waits for it (busy
    // timeout) and then sees the claim.
    if (const auto begun = m_database.begin(); !begun)
        return begun.error();
    auto oldest = select(oldestPending, { tenant });
    if (!oldest) {
        m_database.rollback();
        return oldest.error();
    }
    Claim claim;
    if (oldest->isEmpty()) {
        m_database.rollback();
        return claim;
    }
    OutboxEntry entry = oldest->front();
    const qint64 nowMs = m_clock.nowMs();
    if (isHeldElsewhere(entry, token, nowMs)) {
        m_database.rollback();
        claim.heldElsewhere = std::move(entry);
        return claim;
    }
    const auto claimed
        = update(u"UPDATE outbox SET claim_token = ?, claim_until_ms = ?, attempts = attempts + 1, "
                 "last_attempt_ms = ? WHERE id = ?"_s,
            { token, untilMs, nowMs, entry.id });
    if (!claimed) {
        m_database.rollback();
        return claimed.error();
    }
    if (const auto committed = m_database.commit(); !committed)
        return committed.error();
    entry.claimToken = token;
    entry.claimUntilMs = untilMs;
    entry.attempts += 1;
    entry.lastAttemptMs = nowMs;
    claim.entry = std::move(entry);
    return claim;
}

Expected<void, QString> Outbox::releaseClaim(const QString &id, const QString &token)
{
    const auto released
        = update(u"UPDATE outbox SET claim_token = '', claim_until_ms = 0 WHERE id = ? AND claim_token = ?"_s,
            { id, token });
    if (!released)
        return released.error();
    return {};
}

Expected<void, QString> Outbox::recordAttempt(const QString &id)
{
    const auto recorded
        = update(u"UPDATE outbox SET attempts = attempts + 1, last_attempt_ms = ? WHERE id = ?"_s,
            { m_clock.nowMs(), id });
    if (!recorded)
        return recorded.error();
    return {};
}

Expected<void, QString> Outbox::recordFailure(const QString &id, const QString &message, const QString &token)
{
    // Another sender that took the entry over keeps its claim: only ours is cleared. An entry delivered
    // meanwhile (by that sender) keeps its clean record.
    const auto recorded = update(
        u"UPDATE outbox SET last_error = COALESCE(?, ''), claim_token = CASE WHEN "
        "? = '' OR claim_token = ? THEN '' ELSE claim_token END, claim_until_ms = CASE "
        "WHEN ? = '' OR claim_token = ? THEN 0 ELSE claim_until_ms END WHERE id = ? AND delivered_ms IS "
        "NULL"_s,
        { message, token, token, token, token, id });
    if (!recorded)
        return recorded.error();
    return {};
}

Expected<Delivery, QString> Outbox::markDelivered(const QString &id, const QStringList &correlationIds)
{
    // Only the first delivery counts: a copy another sender got in first (our claim had run out) changes
    // nothing of what it recorded.
    const auto marked = update(u"UPDATE outbox SET delivered_ms = ?, last_error = '', correlation_ids = "
                               "COALESCE(?, ''), claim_token = '', claim_until_ms = 0 WHERE id = ? AND "
                               "delivered_ms IS NULL"_s,
        { m_clock.nowMs(), correlationIds.join(u','), id });
    if (!marked)
        return marked.error();
    if (*marked == 0)
        return Delivery::AlreadyDelivered;
    // Only history goes: never an entry still waiting. Failing to prune loses nothing.
    update(u"DELETE FROM outbox WHERE delivered_ms IS NOT NULL AND seq <= (SELECT seq FROM outbox WHERE "
           "delivered_ms IS NOT NULL ORDER BY seq DESC LIMIT 1 OFFSET ?)"_s,
        { DeliveredKept });
    return Delivery::Marked;
}

} // namespace canary::store
