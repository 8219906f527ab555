#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

#include "sim/eventstore.h"
#include "testdata.h"

using namespace Qt::Literals::StringLiterals;
using canary::sim::EventStore;
using canary::sim::StoredEvent;

namespace {

QJsonObject fixtureList()
{
    return QJsonDocument::fromJson(
        canary::testing::readTestData(u"dynatrace/events_list_custom_configuration.json"_s))
        .object();
}

// The StoredEvent a documented Event came from: what the simulator would have kept.
StoredEvent storedFrom(const QJsonObject &event)
{
    StoredEvent stored;
    stored.eventId = event.value(u"eventId"_s).toString();
    stored.correlationId = event.value(u"correlationId"_s).toString();
    stored.startMs = event.value(u"startTime"_s).toInteger();
    stored.endMs = event.value(u"endTime"_s).toInteger();
    stored.eventType = event.value(u"eventType"_s).toString();
    stored.title = event.value(u"title"_s).toString();
    const QJsonObject entity = event.value(u"entityId"_s).toObject();
    stored.entityId = entity.value(u"entityId"_s).toObject().value(u"id"_s).toString();
    stored.entityType = entity.value(u"entityId"_s).toObject().value(u"type"_s).toString();
    stored.entityName = entity.value(u"name"_s).toString();
    for (const QJsonValue property : event.value(u"properties"_s).toArray())
        stored.properties.insert(property[u"key"_s].toString(), property[u"value"_s].toString());
    for (const QJsonValue tag : event.value(u"entityTags"_s).toArray())
        stored.entityTags.append(tag[u"stringRepresentation"_s].toString());
    return stored;
}

StoredEvent eventStartingAt(qint64 startMs, const QString &title = {})
{
    StoredEvent event;
    event.startMs = startMs;
    event.endMs = startMs + 900'000;
    event.eventType = u"CUSTOM_INFO"_s;
    event.title = title.isEmpty() ? QString::number(startMs) : title;
    return event;
}

QStringList titles(const EventStore &store)
{
    QStringList list;
    for (const StoredEvent &event : store.events())
        list.append(event.title);
    return list;
}

QJsonObject json(const StoredEvent &event, qint64 nowMs)
{
    return QJsonDocument::fromJson(EventStore::toJson(event, nowMs)).object();
}

} // namespace

class TestEventStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void toJson_isTheDocumentedEventShape_data();
    void toJson_isTheDocumentedEventShape();
    void toJson_statusFollowsTheClock();
    void toJson_environmentEvent();
    void toJson_tags_data();
    void toJson_tags();
    void events_newestFirstByStartTime();
    void capacity_keepsTheNewest();
};

void TestEventStore::toJson_isTheDocumentedEventShape_data()
{
    QTest::addColumn<QJsonObject>("documented");
    const QJsonArray events = fixtureList().value(u"events"_s).toArray();
    QCOMPARE(events.size(), 2); // the fixture is there and is what this test was written against
    QTest::newRow("CUSTOM_CONFIGURATION") << events.at(0).toObject();
    QTest::newRow("CUSTOM_DEPLOYMENT") << events.at(1).toObject();
}

void TestEventStore::toJson_isTheDocumentedEventShape()
{
    QFETCH(QJsonObject, documented);
    // The simulated tenant has no management zones; everything else must match field for field, with
    // properties in the fixture's (sorted) order.
    documented.insert(u"managementZones"_s, QJsonArray());
    const StoredEvent stored = storedFrom(documented);
    QCOMPARE(json(stored, stored.endMs), documented);
}

void TestEventStore::toJson_statusFollowsTheClock()
{
    const StoredEvent event = eventStartingAt(1'000'000);
    QCOMPARE(json(event, event.startMs).value(u"status"_s).toString(), u"OPEN"_s);
    QCOMPARE(json(event, event.endMs - 1).value(u"status"_s).toString(), u"OPEN"_s);
    QCOMPARE(json(event, event.endMs).value(u"status"_s).toString(), u"CLOSED"_s);
    QCOMPARE(json(event, event.endMs).value(u"endTime"_s).toInteger(), event.endMs);
}

void TestEventStore::toJson_environmentEvent()
{
    const QJsonObject entity = json(eventStartingAt(1'000'000), 0).value(u"entityId"_s).toObject();
    const QJsonObject expected { { u"entityId"_s,
        QJsonObject { { u"id"_s, u"environment"_s }, { u"type"_s, u"ENVIRONMENT"_s } } } };
    QCOMPARE(entity, expected);
}

void TestEventStore::toJson_tags_data()
{
    QTest::addColumn<QString>("tag");
    QTest::addColumn<QJsonObject>("expected");

    auto info = [](const QString &context, const QString &key, const QString &value, const QString &text) {
        QJsonObject object { { u"context"_s, context }, { u"key"_s, key },
            { u"stringRepresentation"_s, text } };
        if (!value.isNull())
            object.insert(u"value"_s, value);
        return object;
    };
    const QString product = u"[Environment]DT_RELEASE_PRODUCT:simplenodeservice"_s;
    QTest::newRow("workshop") << product
                              << info(u"ENVIRONMENT"_s, u"DT_RELEASE_PRODUCT"_s, u"simplenodeservice"_s,
                                     product);
    QTest::newRow("contextless") << u"app:easytravel"_s
                                 << info(u"CONTEXTLESS"_s, u"app"_s, u"easytravel"_s, u"app:easytravel"_s);
    QTest::newRow("key only") << u"canary"_s << info(u"CONTEXTLESS"_s, u"canary"_s, QString(), u"canary"_s);
    const QString escaped = u"[Kubernetes]link:https\\://x"_s;
    QTest::newRow("escaped colon") << escaped << info(u"KUBERNETES"_s, u"link"_s, u"https://x"_s, escaped);
}

void TestEventStore::toJson_tags()
{
    QFETCH(QString, tag);
    QFETCH(QJsonObject, expected);
    StoredEvent event = eventStartingAt(1'000'000);
    event.entityId = u"SERVICE-C4A7E2B19F03D658"_s;
    event.entityType = u"SERVICE"_s;
    event.entityTags = { tag };
    const QJsonArray tags = json(event, 0).value(u"entityTags"_s).toArray();
    QCOMPARE(tags.size(), 1);
    QCOMPARE(tags.at(0).toObject(), expected);
}

void TestEventStore::events_newestFirstByStartTime()
{
    EventStore store;
    QSignalSpy stored(&store, &EventStore::eventStored);
    QVERIFY(store.add(eventStartingAt(3000)));
    QVERIFY(store.add(eventStartingAt(1000)));
    QVERIFY(store.add(eventStartingAt(2000)));
    QVERIFY(store.add(eventStartingAt(2000, u"2000 again"_s)));
    QCOMPARE(titles(store), (QStringList { u"3000"_s, u"2000 again"_s, u"2000"_s, u"1000"_s }));
    QCOMPARE(stored.count(), 4);
    QCOMPARE(stored.at(1).front().value<StoredEvent>().title, u"1000"_s);
}

void TestEventStore::capacity_keepsTheNewest()
{
    EventStore store;
    QCOMPARE(store.capacity(), EventStore::DefaultCapacity);
    store.setCapacity(3);
    QSignalSpy stored(&store, &EventStore::eventStored);
    for (qint64 start : { 1000, 2000, 3000, 4000 })
        QVERIFY(store.add(eventStartingAt(start)));
    QCOMPARE(titles(store), (QStringList { u"4000"_s, u"3000"_s, u"2000"_s }));

    // Older than everything a full store keeps: not stored, not announced.
    QVERIFY(!store.add(eventStartingAt(1500)));
    QCOMPARE(stored.count(), 4);
    QCOMPARE(store.size(), 3);

    QVERIFY(store.add(eventStartingAt(2500)));
    QCOMPARE(titles(store), (QStringList { u"4000"_s, u"3000"_s, u"2500"_s }));

    store.setCapacity(1);
    QCOMPARE(titles(store), QStringList { u"4000"_s });
    store.clear();
    QCOMPARE(store.size(), 0);
}

QTEST_GUILESS_MAIN(TestEventStore)
#include "tst_eventstore.moc"
