#include <QHash>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "dynatrace/eventsclient.h"
#include "net/restclient.h"
#include "sim/eventstore.h"
#include "sim/simserver.h"
#include "simfixture.h"
#include "store/database.h"
#include "store/outbox.h"
#include "store/outboxsender.h"
#include "traffic/changerecorder.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::store::Database;
using canary::store::Outbox;
using canary::store::OutboxSender;
using canary::testing::SimFixture;

namespace {

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

struct Rig
{
    explicit Rig(SimFixture &fixture, const QString &token)
        : database(std::move(Database::open(dir.filePath(u"canary.db"_s))).value())
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
