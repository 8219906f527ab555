#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>
#include <QTimer>

#include "commands.h"
#include "environment/environment.h"
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
    const Setting setting = settingFor(context);
    if (!setting.hasDynatrace())
        return usageError(setting.dynatraceProblem);
    const QString tenant = store::Outbox::tenantOf(setting.spec.target.dynatraceUrl);
    environment::Environment flushing(setting.spec, Clock::system());
    if (auto opened = flushing.openStore(); !opened)
        return fail(opened.error(), ApiOrData);
    store::OutboxSender &sender = *flushing.sender();

    const auto everywhere = flushing.outbox()->pendingCount();
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
