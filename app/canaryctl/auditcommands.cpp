#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include "commands.h"
#include "dynatrace/eventsclient.h"
#include "environment/environment.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "store/outbox.h"
#include "store/outboxsender.h"
#include "terminal.h"
#include "util/clock.h"
#include "util/terminaltext.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

namespace {

QString time(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(u"yyyy-MM-dd HH:mm:ss"_s);
}

// One line a row, nothing a terminal would obey: rows name back-ends' actors (an AWX launcher, a field
// manager) and the state folder is anyone's to edit.
QString oneLine(const QString &text)
{
    return terminalSafe(text.simplified());
}

// The anchors Dynatrace keeps on the target's events: every event the outbox sent carries one.
struct Anchors
{
    QList<store::RecordedAnchor> recorded;
    std::optional<dynatrace::ApiError> error;
    bool truncated = false;
};

Anchors readAnchors(environment::Environment &connected, const QString &from)
{
    dynatrace::EventsClient client(connected.tenant());
    dynatrace::EventQuery query;
    query.entitySelector = connected.spec().target.entitySelector;
    query.from = from;
    query.pageSize = 1000;
    Anchors anchors;
    client.list(query, &client, [&anchors](const dynatrace::EventListResult &result) {
        for (const auto &event : result.events) {
            const auto head = event.properties.constFind(store::AuditAnchor::HeadProperty.toString());
            if (head == event.properties.cend())
                continue;
            bool known = false;
            const qint64 rows
                = event.properties.value(store::AuditAnchor::RowsProperty.toString()).toLongLong(&known);
            anchors.recorded.append({ event.eventId, event.startMs,
                { event.properties.value(store::AuditAnchor::LogProperty.toString()), known ? rows : -1,
                    *head } });
        }
        anchors.error = result.error;
        anchors.truncated = result.truncated;
        QCoreApplication::exit(0);
    });
    QCoreApplication::exec();
    return anchors;
}

QJsonObject anchorJson(const store::RecordedAnchor &anchor)
{
    return { { u"eventId"_s, anchor.eventId }, { u"startTime"_s, anchor.atMs },
        { u"head"_s, anchor.anchor.headHash }, { u"rows"_s, anchor.anchor.rows } };
}

// "event <id> of <time> recorded head <hash> (<rows> rows)": all of it read back from Dynatrace.
QString anchorText(const store::RecordedAnchor &anchor)
{
    const QString rows = anchor.anchor.rows < 0 ? u"?"_s : QString::number(anchor.anchor.rows);
    return terminalSafe(u"Dynatrace event %1 of %2 recorded head %3 (%4 rows)"_s.arg(anchor.eventId,
        QDateTime::fromMSecsSinceEpoch(anchor.atMs).toString(Qt::ISODate), anchor.anchor.headHash, rows));
}

// The store as it is on disk, for commands that only read it: a copy in a read-only folder, a file another
// process holds locked, a full disk, an older schema (read, never migrated).
Expected<Store, QString> openStoreForReading()
{
    environment::EnvironmentSpec spec;
    spec.databasePath = store::Database::defaultPath();
    Store opened;
    opened.environment = std::make_unique<environment::Environment>(std::move(spec), Clock::system());
    if (auto audit = opened.environment->openStore(environment::Environment::StoreAccess::ReadOnly); !audit)
        return audit.error();
    opened.database = opened.environment->database();
    opened.audit = opened.environment->audit();
    opened.outbox = opened.environment->outbox();
    return opened;
}

} // namespace

// A store that cannot be read is StoreUnusable: nothing was judged. Only a chain that was read and does not
// hold is ApiOrData ("chain broken").
int auditVerify(const Context &context)
{
    auto opened = openStoreForReading();
    if (!opened)
        return fail(opened.error(), StoreUnusable);
    const auto verification = opened->audit->verify();
    QJsonObject json { { u"ok"_s, verification.ok() }, { u"entries"_s, verification.entries },
        { u"headHash"_s, verification.headHash }, { u"database"_s, opened->database->path() } };
    const auto printJson = [&json] { terminal::out() << terminal::jsonLine(QJsonDocument(json)); };
    if (!verification.ok()) {
        json.insert(u"problem"_s, store::problemName(verification.problem));
        json.insert(u"brokenId"_s, verification.brokenId);
        json.insert(u"message"_s, verification.message);
        if (context.json)
            printJson();
        if (verification.problem == store::AuditVerification::Problem::Unreadable)
            return fail(verification.message, StoreUnusable);
        return fail(u"audit chain broken at entry %1 (%2): %3"_s.arg(verification.brokenId)
                        .arg(store::problemName(verification.problem), verification.message),
            ApiOrData);
    }
    if (!context.json)
        terminal::out() << "audit chain intact: " << verification.entries << " entries (head "
                        << verification.headHash << ", " << opened->database->path() << ")\n";

    // The chain cannot tell entries cut from its end, nor one rewritten whole: the heads Dynatrace keeps
    // on the events can.
    const Setting setting = settingFor(context);
    if (!setting.hasDynatrace()) {
        json.insert(u"dynatrace"_s,
            QJsonObject { { u"checked"_s, false }, { u"message"_s, setting.dynatraceProblem } });
        if (context.json)
            printJson();
        else
            terminal::err() << "canaryctl: not compared with the heads recorded in Dynatrace: "
                            << setting.dynatraceProblem << '\n';
        return Ok;
    }
    const QString from = context.parser.isSet(u"from"_s) ? context.parser.value(u"from"_s) : u"now-30d"_s;
    environment::Environment connected(setting.spec, Clock::system());
    const Anchors anchors = readAnchors(connected, from);
    if (anchors.error) {
        const QString why
            = u"the local chain is intact, but the heads recorded in Dynatrace could not be read "
              "to compare (cut or rewritten entries would go unnoticed): %1"_s.arg(anchors.error->summary());
        json.insert(u"dynatrace"_s,
            QJsonObject {
                { u"checked"_s, false }, { u"problem"_s, u"unreachable"_s }, { u"message"_s, why } });
        if (context.json)
            printJson();
        return fail(why, Unanchored);
    }
    const auto check = opened->audit->checkAnchors(anchors.recorded);
    if (!check)
        return fail(check.error(), StoreUnusable);
    QJsonObject dynatraceJson { { u"checked"_s, true }, { u"anchors"_s, check->anchors }, { u"from"_s, from },
        { u"complete"_s, !anchors.truncated } };
    if (check->furthest)
        dynatraceJson.insert(u"furthest"_s, anchorJson(*check->furthest));
    if (check->missing) {
        const QString message
            = u"the audit log ends at row %1 (hash %2) but %3: rows were cut or rewritten"_s.arg(
                QString::number(verification.entries), verification.headHash, anchorText(*check->missing));
        dynatraceJson.insert(u"problem"_s, u"truncated"_s);
        dynatraceJson.insert(u"missing"_s, anchorJson(*check->missing));
        dynatraceJson.insert(u"message"_s, message);
        json.insert(u"ok"_s, false);
        json.insert(u"dynatrace"_s, dynatraceJson);
        if (context.json)
            printJson();
        return fail(message, ApiOrData);
    }
    json.insert(u"dynatrace"_s, dynatraceJson);
    if (context.json) {
        printJson();
    } else if (check->furthest) {
        terminal::out() << "anchored: " << anchorText(*check->furthest) << ", which the chain holds ("
                        << check->anchors << " recorded heads since " << terminalSafe(from) << ")\n";
    } else {
        terminal::out() << "no Dynatrace event since " << terminalSafe(from)
                        << " recorded a head of this audit log: nothing to compare\n";
    }
    return Ok;
}

int auditList(const Context &context)
{
    auto opened = openStoreForReading();
    if (!opened)
        return fail(opened.error(), StoreUnusable);
    const auto entries = opened->audit->entries();
    if (!entries)
        return fail(entries.error(), StoreUnusable);
    terminal::Stream out(stdout);
    if (context.json) {
        QJsonArray array;
        for (const auto &entry : *entries)
            array.append(entry.toJson());
        out << terminal::jsonLine(QJsonDocument(array));
        return Ok;
    }
    for (const auto &entry : *entries) {
        out << qSetFieldWidth(6) << Qt::right << entry.id << qSetFieldWidth(0) << Qt::left << "  "
            << time(entry.atMs) << "  " << oneLine(entry.operatorName) << "  " << oneLine(entry.action)
            << "  " << store::resultName(entry.result) << "  " << oneLine(entry.target) << "  "
            << oneLine(entry.message) << '\n';
    }
    if (entries->isEmpty())
        out << "the audit log is empty (" << opened->database->path() << ")\n";
    return Ok;
}

int outboxList(const Context &context)
{
    auto opened = openStore();
    if (!opened)
        return fail(opened.error(), StoreUnusable);
    const auto entries = opened->outbox->recent(store::Outbox::DeliveredKept);
    if (!entries)
        return fail(entries.error(), ApiOrData);
    terminal::Stream out(stdout);
    if (context.json) {
        QJsonArray array;
        for (const auto &entry : *entries)
            array.append(entry.toJson());
        out << terminal::jsonLine(QJsonDocument(array));
        return Ok;
    }
    int pending = 0;
    const qint64 nowMs = Clock::system().nowMs();
    for (const auto &entry : *entries) {
        pending += entry.isDelivered() ? 0 : 1;
        out << (entry.isDelivered() ? "delivered " : "PENDING   ") << entry.id << "  "
            << time(entry.createdMs) << "  attempts " << entry.attempts << "  " << oneLine(entry.title)
            << "  " << entry.tenant;
        // This command sends nothing: a claim is always another process's (or one that ended mid-send).
        if (!entry.isDelivered() && store::Outbox::isHeldElsewhere(entry, {}, nowMs))
            out << "  being sent by another process (its claim ends " << time(entry.claimUntilMs) << ")";
        if (!entry.isDelivered() && !entry.lastError.isEmpty())
            out << "  last error: " << oneLine(entry.lastError);
        out << '\n';
    }
    out << pending << " pending, " << (entries->size() - pending) << " delivered ("
        << opened->database->path() << ")\n";
    return Ok;
}

int outboxFlush(const Context &context)
{
    const Setting setting = settingFor(context);
    if (!setting.hasDynatrace())
        return usageError(setting.dynatraceProblem);
    const QString tenant = store::Outbox::tenantOf(setting.spec.target.dynatraceUrl);
    environment::Environment flushing(setting.spec, Clock::system());
    if (auto opened = flushing.openStore(); !opened)
        return fail(opened.error(), StoreUnusable);
    store::OutboxSender &sender = *flushing.sender();

    const auto everywhere = flushing.outbox()->pendingCount();
    const int before = sender.pendingCount();
    int exitCode = ApiOrData;
    int sent = 0;
    terminal::Stream out(stdout);
    QObject::connect(&sender, &store::OutboxSender::delivered, &sender, [&](const QString &id) {
        ++sent;
        if (!context.json)
            out << "delivered " << id << '\n';
    });
    QObject::connect(&sender, &store::OutboxSender::drained, &sender, [&] {
        if (context.json)
            out << terminal::jsonLine(
                QJsonDocument(QJsonObject { { u"delivered"_s, sent }, { u"pending"_s, 0 } }));
        else
            out << (before == 0 ? u"nothing to send for %1"_s.arg(tenant)
                                : u"all %1 pending events delivered"_s.arg(before))
                << '\n';
        exitCode = Ok;
        QCoreApplication::exit(exitCode);
    });
    // One attempt per entry here: a script decides when to try again; the app keeps retrying on its own.
    QObject::connect(&sender, &store::OutboxSender::deliveryFailed, &sender,
        [&](const QString &id, const QString &message) {
            out.flush();
            exitCode = fail(u"%1 of %2 events delivered; %3 not taken: %4"_s.arg(sent).arg(before).arg(
                                id.isEmpty() ? u"the outbox"_s : id, message),
                sender.lastErrorIsConnectionOrAuth() ? ConnectionOrAuth : ApiOrData);
            QCoreApplication::exit(exitCode);
        });
    if (everywhere && *everywhere > before && !context.json)
        terminal::err() << "canaryctl: " << (*everywhere - before)
                        << " pending events belong to other Dynatrace environments and are not sent here\n";
    // On the loop's first turn: an empty outbox is drained at once, and exit() only ends a running loop.
    QTimer::singleShot(0, &sender, [&sender] { sender.start(); });
    QCoreApplication::exec();
    return exitCode;
}

} // namespace canaryctl
