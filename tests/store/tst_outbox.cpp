#include <QCoreApplication>
#include <QHash>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

#include "dynatrace/eventsclient.h"
#include "net/restclient.h"
#include "sim/eventstore.h"
#include "sim/faultinjector.h"
#include "sim/simserver.h"
#include "simfixture.h"
#include "store/database.h"
#include "store/outbox.h"
#include "store/outboxsender.h"
#include "traffic/changerecorder.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::Fault;
using canary::store::Database;
using canary::store::Outbox;
using canary::store::OutboxSender;
using canary::testing::SimFixture;

namespace {

const QString IngestPath = u"POST /api/v2/events/ingest"_s;

const QString NoIngestToken
    = u"dt0c01.NOINGEST0000000000000000.0000000000000000000000000000000000000000000000000000000000000000"_s;

dynatrace::EventIngest infoEvent(const QString &title)
{
    dynatrace::EventIngest event;
    event.eventType = u"CUSTOM_INFO"_s;
    event.title = title;
    event.properties.insert(u"canary.test"_s, title);
    return event;
}

// How often each outbox id reached the simulated tenant, in arrival order.
QList<QPair<QString, int>> ingestedIds(SimFixture &fixture)
{
    QList<QPair<QString, int>> counts;
    const auto &events = fixture.environment->events().events();
    for (auto it = events.crbegin(); it != events.crend(); ++it) { // the store lists newest first
        const QString id = it->properties.value(Outbox::IdProperty.toString());
        if (id.isEmpty())
            continue;
        auto found
            = std::find_if(counts.begin(), counts.end(), [&](const auto &pair) { return pair.first == id; });
        if (found == counts.end())
            counts.append({ id, 1 });
        else
            ++found->second;
    }
    return counts;
}

// One process's share of the store: its own connection, outbox and sender. A second Rig on the first's
// path is another process on the same state folder.
struct Rig
{
    explicit Rig(SimFixture &fixture, const QString &token, const QString &path = {})
        : database(std::move(Database::open(path.isEmpty() ? dir.filePath(u"canary.db"_s) : path)).value())
        , outbox(*database, fixture.clock)
        , rest(fixture.environment->baseUrl())
        , events(&rest)
        , sender(&outbox, &events, Outbox::tenantOf(fixture.environment->baseUrl()), fixture.clock)
    {
        rest.setAuthorization("Api-Token " + token.toUtf8());
        rest.setTimeoutMs(10'000);
        sender.seedJitter(11);
    }

    QString tenant() const { return sender.tenant(); }
    QString path() const { return database->path(); }

    QTemporaryDir dir;
    std::unique_ptr<Database> database;
    Outbox outbox;
    net::RestClient rest;
    dynatrace::EventsClient events;
    OutboxSender sender;
};

} // namespace

class TestOutbox : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void enqueueComment_keepsTheProblemAndItsText_once()
    {
        SimFixture fixture(0, 1);
        QTemporaryDir dir;
        auto database = std::move(Database::open(dir.filePath(u"canary.db"_s))).value();
        Outbox outbox(*database, fixture.clock);
        const QString tenant = u"http://127.0.0.1:1"_s;
        QVERIFY(!outbox.enqueueComment(tenant, { QString(), u"text"_s, u"ctx"_s }));
        QVERIFY(!outbox.enqueueComment(tenant, { u"P-1"_s, u" "_s, u"ctx"_s }));
        const auto first
            = outbox.enqueueComment(tenant, { u"P-1"_s, u"Rollback executed"_s, u"ctx"_s }, u"k"_s);
        QVERIFY2(first, qPrintable(first ? QString() : first.error()));
        QVERIFY(!first->alreadyThere);
        const auto again = outbox.enqueueComment(tenant, { u"P-1"_s, u"other"_s, u"ctx"_s }, u"k"_s);
        QVERIFY(again && again->alreadyThere);
        QCOMPARE(again->id, first->id);

        const auto entry = outbox.entry(first->id);
        QVERIFY(entry);
        QCOMPARE(entry->kind, store::OutboxEntry::Kind::ProblemComment);
        QCOMPARE(entry->comment.problemId, u"P-1"_s);
        QCOMPARE(entry->comment.message, u"Rollback executed"_s);
        QCOMPARE(entry->comment.context, u"ctx"_s);
        QCOMPARE(entry->toJson().value(u"kind"_s).toString(), u"problemComment"_s);
        QCOMPARE(outbox.pendingCount(tenant).value(), 1);
    }

    void enqueue_storesTheEventWithItsIdBeforeAnySend()
    {
        SimFixture fixture(0, 1);
        QTemporaryDir dir;
        auto database = std::move(Database::open(dir.filePath(u"canary.db"_s))).value();
        Outbox outbox(*database, fixture.clock);
        QSignalSpy enqueued(&outbox, &Outbox::enqueued);
        const auto id = outbox.enqueue(u"http://127.0.0.1:1"_s, infoEvent(u"one"_s));
        QVERIFY2(id, qPrintable(id ? QString() : id.error()));
        QCOMPARE(enqueued.count(), 1);
        QCOMPARE(enqueued.front().front().toString(), id->id);

        // Committed: another connection (another process) sees it at once, id property included.
        auto other = std::move(Database::open(database->path())).value();
        Outbox seen(*other, fixture.clock);
        const auto pending = seen.pending();
        QVERIFY(pending);
        QCOMPARE(pending->size(), 1);
        QCOMPARE(pending->front().id, id->id);
        QCOMPARE(pending->front().event.properties.value(Outbox::IdProperty.toString()), id->id);
        QCOMPARE(pending->front().event.properties.value(u"canary.test"_s), u"one"_s);
        QCOMPARE(pending->front().attempts, 0);
        QCOMPARE(fixture.environment->events().size(), 0);

        // The same key twice is one entry (a resumed rollback records its result once).
        const auto first = outbox.enqueue(u"t"_s, infoEvent(u"result"_s), u"rollback-1/result"_s);
        const auto again = outbox.enqueue(u"t"_s, infoEvent(u"result"_s), u"rollback-1/result"_s);
        QVERIFY(first && again);
        QCOMPARE(again->id, first->id);
        QVERIFY(!first->alreadyThere);
        QVERIFY(again->alreadyThere);
        QCOMPARE(*outbox.pendingCount(), 2);

        // What Dynatrace would refuse outright never waits in the outbox.
        auto tooMany = infoEvent(u"too many"_s);
        for (int i = 0; i < dynatrace::EventIngest::MaxProperties; ++i)
            tooMany.properties.insert(u"p%1"_s.arg(i), u"v"_s);
        const auto refused = outbox.enqueue(u"t"_s, tooMany);
        QVERIFY(!refused);
        QVERIFY2(refused.error().contains(u"too many"_s), qPrintable(refused.error()));
        QCOMPARE(*outbox.pendingCount(), 2);
    }

    void recorder_putsTheChangeInTheOutbox_beforeThePost()
    {
        SimFixture fixture(0, 1);
        Rig rig(fixture, fixture.environment->token());
        traffic::RecorderConfig config;
        config.operatorName = u"alice"_s;
        traffic::ChangeRecorder recorder(&rig.events, config);
        recorder.setOutbox(&rig.outbox, &rig.sender);

        // At the moment the tenant stores the event, the outbox entry is already on disk.
        auto observer = std::move(Database::open(rig.database->path())).value();
        Outbox seen(*observer, fixture.clock);
        QStringList onDiskWhenIngested;
        connect(&fixture.environment->events(), &sim::EventStore::eventStored, this,
            [&](const sim::StoredEvent &event) {
                const auto entry = seen.entry(event.properties.value(Outbox::IdProperty.toString()));
                onDiskWhenIngested.append(entry ? entry->id : QString());
            });

        std::optional<traffic::RecordResult> result;
        const QString changeId = recorder.record(traffic::Split { 100, 0 }, traffic::Split { 70, 30 },
            u"why"_s, this, [&](const traffic::RecordResult &r) { result = r; });
        QVERIFY(!changeId.isEmpty());
        QTRY_VERIFY(result.has_value());
        QVERIFY2(result->hasValue(), qPrintable(result->hasValue() ? QString() : result->error().summary()));
        QVERIFY(result->value().allAccepted());

        QCOMPARE(fixture.environment->events().size(), 1);
        const auto &stored = fixture.environment->events().events().front();
        const QString outboxId = stored.properties.value(Outbox::IdProperty.toString());
        QVERIFY(!outboxId.isEmpty());
        QCOMPARE(onDiskWhenIngested, QStringList { outboxId });
        QCOMPARE(stored.properties.value(u"canary.change.id"_s), changeId);
        QCOMPARE(stored.title, u"Canary weight set to 30"_s);
        const auto entry = rig.outbox.entry(outboxId);
        QVERIFY(entry && entry->isDelivered());
        QCOMPARE(entry->attempts, 1);
        QCOMPARE(result->value().correlationIds(), entry->correlationIds);
        QCOMPARE(*rig.outbox.pendingCount(), 0);
    }

    void sender_deliversInOrder_oneAtATime_neverASecondCopyWhileOneIsOut()
    {
        SimFixture fixture(0, 1);
        Rig rig(fixture, fixture.environment->token());
        QStringList ids;
        for (const auto &title : { u"a"_s, u"b"_s, u"c"_s })
            ids.append(rig.outbox.enqueue(rig.tenant(), infoEvent(title))->id);
        // Another environment's event is never sent here.
        QVERIFY(rig.outbox.enqueue(u"https://other.live.dynatrace.com"_s, infoEvent(u"elsewhere"_s)));

        QSignalSpy delivered(&rig.sender, &OutboxSender::delivered);
        QSignalSpy pendingChanged(&rig.sender, &OutboxSender::pendingChanged);
        QSignalSpy drained(&rig.sender, &OutboxSender::drained);
        int sendsSeen = 0;
        connect(&fixture.environment->events(), &sim::EventStore::eventStored, this, [&] { ++sendsSeen; });

        rig.sender.start();
        QVERIFY(rig.sender.isSending());
        const QString first = rig.sender.sendingId();
        QCOMPARE(first, ids.front());
        // Impatience changes nothing while the first one is out.
        for (int i = 0; i < 5; ++i) {
            rig.sender.flush();
            rig.sender.start();
            rig.sender.tick();
            QCOMPARE(rig.sender.sendingId(), first);
        }
        ids.append(rig.outbox.enqueue(rig.tenant(), infoEvent(u"d"_s))->id);
        QCOMPARE(rig.sender.sendingId(), first);

        QTRY_COMPARE(drained.count(), 1);
        QCOMPARE(sendsSeen, 4);
        QCOMPARE(delivered.count(), 4);
        QStringList deliveredIds;
        for (const auto &arguments : delivered)
            deliveredIds.append(arguments.front().toString());
        QCOMPARE(deliveredIds, ids);
        const auto counts = ingestedIds(fixture);
        QCOMPARE(counts.size(), 4);
        for (qsizetype i = 0; i < counts.size(); ++i) {
            QCOMPARE(counts[i].first, ids[i]);
            QCOMPARE(counts[i].second, 1);
        }
        QVERIFY(!pendingChanged.isEmpty());
        QCOMPARE(pendingChanged.back().front().toInt(), 0);
        QCOMPARE(rig.sender.pendingCount(), 0);
        QCOMPARE(*rig.outbox.pendingCount(), 1); // the other environment's
    }

    void sender_retriesWithCappedJitteredBackoff_untilDynatraceTakesIt()
    {
        SimFixture fixture(0, 1);
        fixture.environment->server().addToken(NoIngestToken, { u"metrics.read"_s });
        Rig rig(fixture, NoIngestToken);
        const OutboxSender::Backoff backoff { 1'000, 3'000, 0.2 };
        rig.sender.setBackoff(backoff);
        QSignalSpy failed(&rig.sender, &OutboxSender::deliveryFailed);
        QSignalSpy delivered(&rig.sender, &OutboxSender::delivered);

        const QString id = rig.outbox.enqueue(rig.tenant(), infoEvent(u"retry me"_s))->id;
        QTRY_COMPARE(failed.count(), 1); // enqueue started the send
        QCOMPARE(failed.front().at(0).toString(), id);
        QVERIFY2(
            failed.front().at(1).toString().contains(u"403"_s), qPrintable(failed.front().at(1).toString()));
        QVERIFY(rig.sender.lastErrorIsConnectionOrAuth());
        QCOMPARE(rig.outbox.entry(id)->lastError, failed.front().at(1).toString());

        const double expectedBase[] = { 1'000, 2'000, 3'000, 3'000 };
        for (int attempt = 0; attempt < 4; ++attempt) {
            const qint64 wait = rig.sender.retryAtMs() - fixture.clock.nowMs();
            const double base = expectedBase[attempt];
            QVERIFY2(wait >= qint64(base * 0.8) && wait <= qint64(std::min(base * 1.2, 3'000.0)),
                qPrintable(u"attempt %1 waits %2 ms"_s.arg(attempt + 1).arg(wait)));
            // Nothing goes out before the deadline, however often the timer looks.
            fixture.clock.advanceMs(wait - 1);
            rig.sender.tick();
            QVERIFY(!rig.sender.isSending());
            fixture.clock.advanceMs(1);
            rig.sender.tick();
            QVERIFY(rig.sender.isSending());
            QTRY_COMPARE(failed.count(), attempt + 2);
        }
        QCOMPARE(rig.outbox.entry(id)->attempts, 5);
        QCOMPARE(fixture.environment->events().size(), 0);

        // The operator fixes the token: the next attempt goes through, once.
        fixture.environment->server().addToken(NoIngestToken, { u"metrics.read"_s, u"events.ingest"_s });
        fixture.clock.advanceMs(rig.sender.retryAtMs() - fixture.clock.nowMs());
        rig.sender.tick();
        QTRY_COMPARE(delivered.count(), 1);
        QCOMPARE(delivered.front().front().toString(), id);
        QCOMPARE(rig.sender.consecutiveFailures(), 0);
        QCOMPARE(rig.sender.retryAtMs(), 0);
        QVERIFY(rig.sender.lastError().isEmpty());
        const auto counts = ingestedIds(fixture);
        QCOMPARE(counts.size(), 1);
        QCOMPARE(counts.front(), qMakePair(id, 1));
        QVERIFY(rig.outbox.entry(id)->isDelivered());
    }

    // Dynatrace took the event (201) but its answer was cut short: delivered, never sent again (each later
    // process would otherwise put one more copy on the timeline).
    void sender_takesA2xxWithAnUnreadableBody_asDelivered()
    {
        SimFixture fixture(0, 1);
        Rig rig(fixture, fixture.environment->token());
        sim::Fault cut;
        cut.endpoint = u"POST /api/v2/events/ingest"_s;
        cut.kind = sim::Fault::Kind::TruncatedJson;
        cut.remaining = 1;
        QVERIFY(fixture.environment->faults().addFault(cut));
        QSignalSpy delivered(&rig.sender, &OutboxSender::delivered);
        QSignalSpy failed(&rig.sender, &OutboxSender::deliveryFailed);
        const QString id = rig.outbox.enqueue(rig.tenant(), infoEvent(u"cut answer"_s))->id;
        QTRY_COMPARE(delivered.count(), 1);
        QCOMPARE(failed.count(), 0);
        QVERIFY(rig.outbox.entry(id)->isDelivered());
        rig.sender.flush();
        const auto counts = ingestedIds(fixture);
        QCOMPARE(counts.size(), 1);
        QCOMPARE(counts.front(), qMakePair(id, 1));
    }

    // Issue 18's hang: a change event waited for by its own process forever, because another process's
    // sender delivered it while this one's was backing off.
    void recorder_answersOnceAnotherProcessDeliveredItsEvent()
    {
        SimFixture fixture(0, 1);
        const QString token = fixture.environment->token();
        Rig first(fixture, token);
        Rig second(fixture, token, first.path());
        // An earlier run left an event; Dynatrace answers the first post of it with 503, and the first
        // process's sender backs off on a clock that does not move in this test.
        fixture.environment->faults().addFault({ IngestPath, Fault::Kind::ServerError, 503, 1 });
        QSignalSpy failed(&first.sender, &OutboxSender::deliveryFailed);
        const QString left = first.outbox.enqueue(first.tenant(), infoEvent(u"left pending"_s))->id;
        QTRY_COMPARE(failed.count(), 1);
        QVERIFY(first.sender.retryAtMs() > fixture.clock.nowMs());

        traffic::ChangeRecorder firstRecorder(&first.events, {});
        firstRecorder.setOutbox(&first.outbox, &first.sender);
        traffic::ChangeRecorder secondRecorder(&second.events, {});
        secondRecorder.setOutbox(&second.outbox, &second.sender);
        std::optional<traffic::RecordResult> firstResult;
        std::optional<traffic::RecordResult> secondResult;
        firstRecorder.record(traffic::Split { 100, 0 }, traffic::Split { 90, 10 }, {}, this,
            [&](const traffic::RecordResult &r) { firstResult = r; });
        QVERIFY(!first.sender.isSending()); // behind its backoff
        secondRecorder.record(traffic::Split { 90, 10 }, traffic::Split { 80, 20 }, {}, this,
            [&](const traffic::RecordResult &r) { secondResult = r; });

        // The second process sends all three, the first's change among them.
        QTRY_VERIFY(secondResult.has_value());
        QVERIFY2(secondResult->hasValue(),
            qPrintable(secondResult->hasValue() ? QString() : secondResult->error().summary()));
        QTRY_VERIFY_WITH_TIMEOUT(firstResult.has_value(), 5'000);
        QVERIFY2(firstResult->hasValue(),
            qPrintable(firstResult->hasValue() ? QString() : firstResult->error().summary()));
        QVERIFY(firstResult->value().allAccepted());
        QVERIFY(!firstResult->value().correlationIds().isEmpty());

        const auto counts = ingestedIds(fixture);
        QCOMPARE(counts.size(), 3);
        QCOMPARE(counts.front().first, left);
        for (const auto &count : counts)
            QCOMPARE(count.second, 1);
        QCOMPARE(*first.outbox.pendingCount(), 0);
    }

    // Issue 18's duplicates: two processes' senders each sent the oldest pending entry.
    void senders_sharingAnOutbox_sendEachEntryOnce_inOrder()
    {
        SimFixture fixture(0, 1);
        const QString token = fixture.environment->token();
        Rig first(fixture, token);
        Rig second(fixture, token, first.path());
        // Slow answers, so that both senders look while a send is out.
        fixture.environment->faults().addFault({ IngestPath, Fault::Kind::Latency, 50 });
        QStringList ids;
        for (int i = 0; i < 6; ++i) {
            Rig &writer = i % 2 ? second : first;
            ids.append(writer.outbox.enqueue(writer.tenant(), infoEvent(u"event %1"_s.arg(i)))->id);
        }
        QSignalSpy firstDrained(&first.sender, &OutboxSender::drained);
        QSignalSpy secondDrained(&second.sender, &OutboxSender::drained);
        QSignalSpy firstDelivered(&first.sender, &OutboxSender::delivered);
        QSignalSpy secondDelivered(&second.sender, &OutboxSender::delivered);
        first.sender.start();
        second.sender.start();
        QTRY_VERIFY_WITH_TIMEOUT(firstDrained.count() >= 1 && secondDrained.count() >= 1, 20'000);

        const auto counts = ingestedIds(fixture);
        QCOMPARE(counts.size(), ids.size());
        for (qsizetype i = 0; i < counts.size(); ++i) {
            QCOMPARE(counts[i].first, ids[i]);
            QCOMPARE(counts[i].second, 1);
        }
        QCOMPARE(firstDelivered.count() + secondDelivered.count(), int(ids.size()));
        for (const QString &id : ids) {
            const auto entry = first.outbox.entry(id);
            QVERIFY(entry && entry->isDelivered());
            QCOMPARE(entry->attempts, 1);
            QVERIFY(entry->claimToken.isEmpty()); // cleared with the answer
        }
    }

    void sender_waitsBehindAnotherProcessesClaim_andTakesItOverOnceItRunsOut()
    {
        SimFixture fixture(0, 1);
        const QString token = fixture.environment->token();
        Rig first(fixture, token);
        Rig second(fixture, token, first.path());
        // The first process's send gets a late answer: its claim runs out (it froze, say) meanwhile.
        fixture.environment->faults().addFault({ IngestPath, Fault::Kind::Latency, 4'000, 1 });
        QSignalSpy firstDelivered(&first.sender, &OutboxSender::delivered);
        QSignalSpy firstDrained(&first.sender, &OutboxSender::drained);
        QSignalSpy secondDelivered(&second.sender, &OutboxSender::delivered);
        const QString id = first.outbox.enqueue(first.tenant(), infoEvent(u"slow"_s))->id;
        const QString behind = second.outbox.enqueue(second.tenant(), infoEvent(u"behind"_s))->id;
        QCOMPARE(first.sender.sendingId(), id);
        // The first copy is the one the server holds back, whoever's request would reach it first.
        QTRY_COMPARE(fixture.environment->faults().deferredRequestCount(), 1);
        const auto claimed = second.outbox.entry(id);
        QCOMPARE(claimed->claimToken, first.sender.claimToken());
        QCOMPARE(claimed->claimUntilMs,
            fixture.clock.nowMs() + first.rest.timeoutMs() + OutboxSender::ClaimMarginMs);

        // The second sender waits behind it, and sends nothing behind it either (order is kept).
        second.sender.start();
        QVERIFY(second.sender.isWaitingBehind());
        QCOMPARE(second.sender.waitingBehindId(), id);
        QVERIFY(!second.sender.isSending());
        fixture.clock.setNowMs(claimed->claimUntilMs - 1);
        second.sender.tick();
        QVERIFY(second.sender.isWaitingBehind());
        QVERIFY(!second.sender.isSending());

        // Run out: taken over, sent again under the same id, and what waited behind it follows.
        fixture.clock.setNowMs(claimed->claimUntilMs);
        second.sender.tick();
        QCOMPARE(second.sender.sendingId(), id);
        QTRY_COMPARE(secondDelivered.count(), 2);
        const auto delivered = second.outbox.entry(id);
        QVERIFY(delivered && delivered->isDelivered());

        // The late answer to the first copy changes nothing: the second's delivery is the one on record.
        QTRY_COMPARE_WITH_TIMEOUT(firstDrained.count(), 1, 10'000);
        QCOMPARE(firstDelivered.count(), 0);
        const auto after = first.outbox.entry(id);
        QCOMPARE(after->deliveredMs, delivered->deliveredMs);
        QCOMPARE(after->correlationIds, delivered->correlationIds);
        QCOMPARE(after->attempts, 2);
        const auto counts = ingestedIds(fixture);
        QCOMPARE(counts.size(), 2);
        QCOMPARE(counts[0], qMakePair(id, 2)); // one recognisable copy: same outbox id
        QCOMPARE(counts[1], qMakePair(behind, 1));
    }

    // A canaryctl killed mid-send leaves its claim: on this host its process is seen gone at once.
    void sender_takesOverAtOnce_theClaimOfAProcessThatIsGone()
    {
        SimFixture fixture(0, 1);
        Rig rig(fixture, fixture.environment->token());
        fixture.environment->faults().addFault({ IngestPath, Fault::Kind::ServerError, 503, 1 });
        QSignalSpy failed(&rig.sender, &OutboxSender::deliveryFailed);
        const QString id = rig.outbox.enqueue(rig.tenant(), infoEvent(u"orphan"_s))->id;
        QTRY_COMPARE(failed.count(), 1);
        const auto claimBy = [&](const QString &token) {
            QSqlQuery query(rig.database->connection());
            query.prepare(u"UPDATE outbox SET claim_token = ?, claim_until_ms = ? WHERE id = ?"_s);
            query.addBindValue(token);
            query.addBindValue(fixture.clock.nowMs() + 60'000);
            query.addBindValue(id);
            QVERIFY(query.exec());
        };
        const QString host = QSysInfo::machineHostName();
        const auto pid = QCoreApplication::applicationPid();

        // Alive here, or on another host (only its expiry tells): waited behind.
        for (const QString &token :
            { u"u1 %1 %2"_s.arg(pid).arg(host), u"u2 999999999 elsewhere.example"_s }) {
            claimBy(token);
            rig.sender.flush();
            QVERIFY2(rig.sender.isWaitingBehind(), qPrintable(token));
            QVERIFY(!rig.sender.isSending());
        }
        // Gone from this host: taken over at once.
        claimBy(u"u3 999999999 %1"_s.arg(host));
        QSignalSpy delivered(&rig.sender, &OutboxSender::delivered);
        rig.sender.flush();
        QCOMPARE(rig.sender.sendingId(), id);
        QTRY_COMPARE(delivered.count(), 1);
    }

    void markDelivered_twice_keepsTheFirstDelivery()
    {
        SimFixture fixture(0, 1);
        QTemporaryDir dir;
        auto database = std::move(Database::open(dir.filePath(u"canary.db"_s))).value();
        auto other = std::move(Database::open(database->path())).value();
        Outbox outbox(*database, fixture.clock);
        Outbox elsewhere(*other, fixture.clock);
        const QString id = outbox.enqueue(u"t"_s, infoEvent(u"once"_s))->id;
        QVERIFY(outbox.markDelivered(id, { u"c-1"_s }).value() == store::Delivery::Marked);
        const auto first = outbox.entry(id);
        fixture.clock.advanceMs(5'000);
        QVERIFY(elsewhere.markDelivered(id, { u"c-2"_s }).value() == store::Delivery::AlreadyDelivered);
        const auto second = outbox.entry(id);
        QCOMPARE(second->deliveredMs, first->deliveredMs);
        QCOMPARE(second->correlationIds, QStringList { u"c-1"_s });
        // A failure noted late, by a sender whose claim ran out, changes nothing either.
        QVERIFY(elsewhere.recordFailure(id, u"timeout"_s, u"someone"_s));
        QVERIFY(outbox.entry(id)->lastError.isEmpty());
    }

    void recorder_answersAtItsDeadline_whileAnotherProcessHoldsTheEntryBeforeIt()
    {
        SimFixture fixture(0, 1);
        const QString token = fixture.environment->token();
        Rig first(fixture, token);
        auto second = std::make_unique<Rig>(fixture, token, first.path());
        // The second process's send never gets an answer: it holds the oldest entry.
        fixture.environment->faults().addFault({ IngestPath, Fault::Kind::NeverCompletes, 0, 1 });
        const QString earlier = second->outbox.enqueue(second->tenant(), infoEvent(u"earlier"_s))->id;
        QCOMPARE(second->sender.sendingId(), earlier);

        traffic::RecorderConfig config;
        config.deliveryTimeoutMs = 5'000;
        traffic::ChangeRecorder recorder(&first.events, config);
        recorder.setOutbox(&first.outbox, &first.sender);
        std::optional<traffic::RecordResult> result;
        recorder.record(traffic::Split { 100, 0 }, traffic::Split { 90, 10 }, {}, this,
            [&](const traffic::RecordResult &r) { result = r; });
        QVERIFY(first.sender.isWaitingBehind());
        QCOMPARE(first.sender.waitingBehindId(), earlier);

        fixture.clock.advanceMs(5'000);
        QTRY_VERIFY(result.has_value());
        QVERIFY(!result->hasValue());
        QCOMPARE(result->error().httpStatus, 202);
        const QString message = result->error().summary();
        QVERIFY2(message.contains(u"within 5 s"_s) && message.contains(u"kept in the outbox"_s)
                && message.contains(u"another process"_s),
            qPrintable(message));
        QVERIFY(first.outbox.entry(earlier)->isClaimedAt(fixture.clock.nowMs())); // not run out: the deadline

        // The second process ends with its send out: its claim goes with it, and the first sends both.
        fixture.environment->faults().liftAll();
        second.reset();
        QSignalSpy drained(&first.sender, &OutboxSender::drained);
        QTRY_COMPARE(drained.count(), 1);
        QCOMPARE(*first.outbox.pendingCount(), 0);
    }

    void recorder_reportsAFailedFirstAttempt_butKeepsTheEvent()
    {
        SimFixture fixture(0, 1);
        fixture.environment->server().addToken(NoIngestToken, { u"metrics.read"_s });
        Rig rig(fixture, NoIngestToken);
        traffic::ChangeRecorder recorder(&rig.events, {});
        recorder.setOutbox(&rig.outbox, &rig.sender);
        std::optional<traffic::RecordResult> result;
        recorder.record(std::nullopt, traffic::Split { 50, 50 }, {}, this,
            [&](const traffic::RecordResult &r) { result = r; });
        QTRY_VERIFY(result.has_value());
        QVERIFY(!result->hasValue());
        QVERIFY2(result->error().summary().contains(u"kept in the outbox"_s),
            qPrintable(result->error().summary()));
        QCOMPARE(*rig.outbox.pendingCount(rig.tenant()), 1);

        // Flush after the fix: the operator's "send now" skips the backoff.
        fixture.environment->server().addToken(NoIngestToken, { u"events.ingest"_s });
        QSignalSpy drained(&rig.sender, &OutboxSender::drained);
        rig.sender.flush();
        QTRY_COMPARE(drained.count(), 1);
        QCOMPARE(fixture.environment->events().size(), 1);
        QCOMPARE(fixture.environment->events().events().front().title, u"Canary weight set to 50"_s);
    }
};

QTEST_GUILESS_MAIN(TestOutbox)
#include "tst_outbox.moc"
