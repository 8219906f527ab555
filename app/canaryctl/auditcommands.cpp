#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>
#include <QTimer>

#include "commands.h"
#include "dynatrace/eventsclient.h"
#include "dynatrace/tenantclient.h"
#include "net/restclient.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "store/outbox.h"
#include "store/outboxsender.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

namespace {

QString time(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(u"yyyy-MM-dd HH:mm:ss"_s);
}

QString oneLine(const QString &text)
{
    return text.simplified();
}

} // namespace

// Out of line: the members' types are complete only here (the header forward-declares them). Members are
// destroyed in reverse order, so the audit log and the outbox go before their database.
Store::Store() = default;
Store::Store(Store &&) noexcept = default;
Store &Store::operator=(Store &&) noexcept = default;
Store::~Store() = default;

Expected<Store, QString> openStore()
{
    auto database = store::Database::open(store::Database::defaultPath());
    if (!database)
        return database.error();
    Store opened;
    opened.database = std::move(database).value();
    opened.audit = std::make_unique<store::AuditLog>(*opened.database, Clock::system());
    opened.outbox = std::make_unique<store::Outbox>(*opened.database, Clock::system());
    return opened;
}

QString operatorName(const Context &context)
{
    if (context.parser.isSet(u"operator"_s) && !context.parser.value(u"operator"_s).trimmed().isEmpty())
        return context.parser.value(u"operator"_s).trimmed();
    const QString user = context.environment.value(u"USER"_s);
    return user.isEmpty() ? u"canaryctl"_s : user;
}

int auditVerify(const Context &context)
{
    auto opened = openStore();
    if (!opened)
        return fail(opened.error(), ApiOrData);
    const auto verification = opened->audit->verify();
    if (context.json) {
        QJsonObject json { { u"ok"_s, verification.ok() }, { u"entries"_s, verification.entries },
            { u"headHash"_s, verification.headHash }, { u"database"_s, opened->database->path() } };
        if (!verification.ok()) {
            json.insert(u"problem"_s, store::problemName(verification.problem));
            json.insert(u"brokenId"_s, verification.brokenId);
            json.insert(u"message"_s, verification.message);
        }
        QTextStream(stdout) << QJsonDocument(json).toJson(QJsonDocument::Compact) << '\n';
    }
    if (!verification.ok()) {
        if (verification.problem == store::AuditVerification::Problem::Unreadable)
            return fail(verification.message, ApiOrData);
        return fail(u"audit chain broken at entry %1 (%2): %3"_s.arg(verification.brokenId)
                        .arg(store::problemName(verification.problem), verification.message),
            ApiOrData);
    }
    if (!context.json)
        QTextStream(stdout) << "audit chain intact: " << verification.entries << " entries (head "
                            << verification.headHash << ", " << opened->database->path() << ")\n";
    return Ok;
}

int auditList(const Context &context)
{
    auto opened = openStore();
    if (!opened)
        return fail(opened.error(), ApiOrData);
    const auto entries = opened->audit->entries();
    if (!entries)
        return fail(entries.error(), ApiOrData);
    QTextStream out(stdout);
    if (context.json) {
        QJsonArray array;
        for (const auto &entry : *entries)
            array.append(entry.toJson());
        out << QJsonDocument(array).toJson(QJsonDocument::Compact) << '\n';
        return Ok;
    }
    for (const auto &entry : *entries) {
        out << qSetFieldWidth(6) << Qt::right << entry.id << qSetFieldWidth(0) << Qt::left << "  "
            << time(entry.atMs) << "  " << entry.operatorName << "  " << entry.action << "  "
            << store::resultName(entry.result) << "  " << oneLine(entry.target) << "  "
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
        return fail(opened.error(), ApiOrData);
    const auto entries = opened->outbox->recent(store::Outbox::DeliveredKept);
    if (!entries)
        return fail(entries.error(), ApiOrData);
    QTextStream out(stdout);
    if (context.json) {
        QJsonArray array;
        for (const auto &entry : *entries)
            array.append(entry.toJson());
        out << QJsonDocument(array).toJson(QJsonDocument::Compact) << '\n';
        return Ok;
    }
    int pending = 0;
    for (const auto &entry : *entries) {
        pending += entry.isDelivered() ? 0 : 1;
        out << (entry.isDelivered() ? "delivered " : "PENDING   ") << entry.id << "  "
            << time(entry.createdMs) << "  attempts " << entry.attempts << "  " << oneLine(entry.title)
            << "  " << entry.tenant;
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
    auto target = context.target.read(context.parser, context.environment, true, {}, context.profile);
    if (!target)
        return usageError(target.error());
    const QString token = profile::TargetOptions::tokenFrom(context.environment);
    if (token.isEmpty())
        return usageError(u"DT_API_TOKEN is not set (the token is never taken from a flag)"_s);
    auto opened = openStore();
    if (!opened)
        return fail(opened.error(), ApiOrData);

    const auto rest = dynatrace::makeTenantClient(target->dynatraceUrl, token, target->requestTimeoutMs);
    dynatrace::EventsClient events(rest.get());
    const QString tenant = store::Outbox::tenantOf(target->dynatraceUrl);
    store::OutboxSender sender(opened->outbox.get(), &events, tenant, Clock::system());

    const auto everywhere = opened->outbox->pendingCount();
    const int before = sender.pendingCount();
    int exitCode = ApiOrData;
    int sent = 0;
    QTextStream out(stdout);
    QObject::connect(&sender, &store::OutboxSender::delivered, &sender, [&](const QString &id) {
        ++sent;
        if (!context.json)
            out << "delivered " << id << '\n';
    });
    QObject::connect(&sender, &store::OutboxSender::drained, &sender, [&] {
        if (context.json)
            out << QJsonDocument(QJsonObject { { u"delivered"_s, sent }, { u"pending"_s, 0 } })
                       .toJson(QJsonDocument::Compact)
                << '\n';
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
        QTextStream(stderr)
            << "canaryctl: " << (*everywhere - before)
            << " pending events belong to other Dynatrace environments and are not sent here\n";
    // On the loop's first turn: an empty outbox is drained at once, and exit() only ends a running loop.
    QTimer::singleShot(0, &sender, [&sender] { sender.start(); });
    QCoreApplication::exec();
    return exitCode;
}

} // namespace canaryctl
