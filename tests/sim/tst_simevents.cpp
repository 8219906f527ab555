#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

#include "sim/eventstore.h"
#include "sim/simserver.h"
#include "simtenant.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::StoredEvent;
using canary::testing::SimTenant;
using canary::testing::TenantAnswer;

using QueryItems = net::QueryItems;

namespace {

constexpr qint64 MinuteMs = 60'000;
constexpr qint64 HourMs = 60 * MinuteMs;
const QString EventsPath = u"/api/v2/events"_s;
const QString V1Path = u"/api/v1/events"_s;
const QString LaunchUrl = u"http://awx.example.invalid/api/v2/job_templates/9/launch/"_s;

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// An event on the tenant's service (or, with `onService` false, on the environment).
StoredEvent eventAt(SimTenant &tenant, const QString &title, qint64 startMs, qint64 durationMs,
    const QMap<QString, QString> &properties = {}, bool onService = true)
{
    StoredEvent event;
    event.eventId = u"%1_%2"_s.arg(qHash(title)).arg(startMs);
    event.correlationId = QString::number(qHash(title), 16).rightJustified(16, u'0');
    event.startMs = startMs;
    event.endMs = startMs + durationMs;
    event.eventType
        = properties.contains(u"remediationAction"_s) ? u"CUSTOM_CONFIGURATION"_s : u"CUSTOM_INFO"_s;
    event.title = title;
    if (onService) {
        const auto &service = tenant.world().service();
        event.entityId = service.id;
        event.entityType = u"SERVICE"_s;
        event.entityName = service.name;
        event.entityTags = service.tags;
    }
    event.properties = properties;
    return event;
}

QStringList titles(const QJsonArray &events)
{
    QStringList list;
    for (const QJsonValue event : events)
        list.append(event[u"title"_s].toString());
    return list;
}

QJsonObject propertiesOf(const QJsonObject &event)
{
    QJsonObject map;
    for (const QJsonValue property : event.value(u"properties"_s).toArray())
        map.insert(property[u"key"_s].toString(), property[u"value"_s]);
    return map;
}

// The body Jenkins' ace@v1.1 library sent for the 30 % step (seed-workshop.md §3).
QJsonObject workshopV1Body(const QJsonValue &tagRule)
{
    return { { u"eventType"_s, u"CUSTOM_CONFIGURATION"_s },
        { u"attachRules"_s, QJsonObject { { u"tagRule"_s, tagRule } } },
        { u"tags"_s,
            QJsonArray {
                QJsonObject { { u"context"_s, u"ENVIRONMENT"_s }, { u"key"_s, u"DT_RELEASE_PRODUCT"_s },
                    { u"value"_s, u"simplenodeservice"_s } },
            } },
        { u"description"_s, u"simplenodeservice canary weight set to 30%"_s }, { u"source"_s, u"Jenkins"_s },
        { u"configuration"_s, u"Load Balancer"_s },
        { u"customProperties"_s,
            QJsonObject { { u"remediationAction"_s, LaunchUrl }, { u"remediationType"_s, u"ansible"_s } } } };
}

QJsonObject workshopTagRule(const QString &stage = u"canary-jenkins"_s, const QString &meType = u"SERVICE"_s)
{
    return { { u"meTypes"_s, QJsonArray { meType } },
        { u"tags"_s,
            QJsonArray { QJsonObject { { u"context"_s, u"ENVIRONMENT"_s },
                             { u"key"_s, u"DT_RELEASE_PRODUCT"_s }, { u"value"_s, u"simplenodeservice"_s } },
                QJsonObject { { u"context"_s, u"ENVIRONMENT"_s }, { u"key"_s, u"DT_RELEASE_STAGE"_s },
                    { u"value"_s, stage } } } } };
}

} // namespace

class TestSimEvents : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void list_pagesWithOpaqueKeys();
    void nextPageKey_mustComeAlone_data();
    void nextPageKey_mustComeAlone();
    void openEvents_endTimeMinusOne();
    void window_data();
    void window();
    void eventSelector_data();
    void eventSelector();
    void badSelectors_data();
    void badSelectors();
    void entitySelector();
    void withoutReadScope_isForbidden();
    void eventById();
    void v1_workshopBody_isReadBackThroughV2();
    void v1_attachRules_data();
    void v1_attachRules();
    void v1_violations_data();
    void v1_violations();
    void v1_needsDataExport();
};

void TestSimEvents::list_pagesWithOpaqueKeys()
{
    SimTenant tenant({}, 5);
    for (int i = 0; i < 12; ++i)
        tenant.environment->events().add(
            eventAt(tenant, u"event %1"_s.arg(i), tenant.now() - (i + 1) * MinuteMs, MinuteMs / 2));

    const TenantAnswer first = tenant.get(EventsPath);
    QCOMPARE(first.status, 200);
    QCOMPARE(first.json().value(u"totalCount"_s).toInt(), 12);
    QCOMPARE(first.json().value(u"pageSize"_s).toInt(), 5);
    QCOMPARE(first.json().value(u"warnings"_s).toArray(), QJsonArray());
    QStringList seen = titles(first.list(u"events"_s));
    QString key = first.json().value(u"nextPageKey"_s).toString();
    QVERIFY(!key.isEmpty());

    // The key pins the window: a clock that moved on does not shift the pages.
    tenant.clock.advanceMs(90 * MinuteMs);
    int pages = 1;
    while (!key.isEmpty()) {
        const TenantAnswer next = tenant.get(EventsPath, { { u"nextPageKey"_s, key } });
        QCOMPARE(next.status, 200);
        QCOMPARE(next.json().value(u"totalCount"_s).toInt(), 12);
        seen += titles(next.list(u"events"_s));
        const QJsonValue nextKey = next.json().value(u"nextPageKey"_s);
        QVERIFY(nextKey.isNull() || nextKey.isString());
        key = nextKey.toString();
        ++pages;
    }
    QCOMPARE(pages, 3);
    QStringList expected;
    for (int i = 0; i < 12; ++i)
        expected.append(u"event %1"_s.arg(i));
    QCOMPARE(seen, expected);

    const TenantAnswer explicitSize
        = tenant.get(EventsPath, { { u"pageSize"_s, u"1000"_s }, { u"from"_s, u"now-4h"_s } });
    QCOMPARE(explicitSize.list(u"events"_s).size(), 12);
    QVERIFY(explicitSize.json().value(u"nextPageKey"_s).isNull());
}

void TestSimEvents::nextPageKey_mustComeAlone_data()
{
    QTest::addColumn<QueryItems>("extra");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("path");
    QTest::newRow("pageSize") << QueryItems { { u"pageSize"_s, u"5"_s } } << 400 << u"nextPageKey"_s;
    QTest::newRow("from") << QueryItems { { u"from"_s, u"now-1h"_s } } << 400 << u"nextPageKey"_s;
    QTest::newRow("eventSelector") << QueryItems { { u"eventSelector"_s, u"status(\"OPEN\")"_s } } << 400
                                   << u"nextPageKey"_s;
    QTest::newRow("entitySelector") << QueryItems { { u"entitySelector"_s, u"type(SERVICE)"_s } } << 400
                                    << u"nextPageKey"_s;
    QTest::newRow("unknown parameter")
        << QueryItems { { u"sort"_s, u"-startTime"_s } } << 400 << u"nextPageKey"_s;
    QTest::newRow("alone") << QueryItems() << 200 << QString();
}

void TestSimEvents::nextPageKey_mustComeAlone()
{
    QFETCH(QueryItems, extra);
    QFETCH(int, status);
    QFETCH(QString, path);
    SimTenant tenant({}, 2);
    for (int i = 0; i < 3; ++i)
        tenant.environment->events().add(
            eventAt(tenant, u"e%1"_s.arg(i), tenant.now() - (i + 1) * MinuteMs, 1000));
    const QString key = tenant.get(EventsPath).json().value(u"nextPageKey"_s).toString();
    QVERIFY(!key.isEmpty());

    QueryItems query { { u"nextPageKey"_s, key } };
    query.append(extra);
    const TenantAnswer answer = tenant.get(EventsPath, query);
    QCOMPARE(answer.status, status);
    if (status == 400) {
        QCOMPARE(answer.envelope().value(u"code"_s).toInt(), 400);
        QCOMPARE(answer.envelope().value(u"message"_s).toString(), u"Constraints violated."_s);
        QCOMPARE(answer.violation().value(u"path"_s).toString(), path);
        QCOMPARE(answer.violation().value(u"parameterLocation"_s).toString(), u"QUERY"_s);
        QVERIFY(answer.violation().value(u"message"_s).toString().contains(extra.front().first));
    } else {
        QCOMPARE(answer.list(u"events"_s).size(), 1);
    }
}

void TestSimEvents::openEvents_endTimeMinusOne()
{
    SimTenant tenant;
    const QByteArray body = compact({ { u"eventType"_s, u"CUSTOM_CONFIGURATION"_s },
        { u"title"_s, u"Canary weight set to 30"_s }, { u"entitySelector"_s, u"type(SERVICE)"_s },
        { u"properties"_s, QJsonObject { { u"remediationAction"_s, u"9"_s } } } });
    QCOMPARE(tenant.post(u"/api/v2/events/ingest"_s, body).status, 201);
    const qint64 startMs = tenant.now();

    const QJsonObject open = tenant.get(EventsPath).list(u"events"_s).at(0).toObject();
    QCOMPARE(open.value(u"status"_s).toString(), u"OPEN"_s);
    QCOMPARE(open.value(u"endTime"_s).toInteger(), -1);
    QCOMPARE(open.value(u"startTime"_s).toInteger(), startMs);

    tenant.clock.advanceMs(15 * MinuteMs);
    const QJsonObject closed = tenant.get(EventsPath).list(u"events"_s).at(0).toObject();
    QCOMPARE(closed.value(u"status"_s).toString(), u"CLOSED"_s);
    QCOMPARE(closed.value(u"endTime"_s).toInteger(), startMs + 15 * MinuteMs);
}

void TestSimEvents::window_data()
{
    QTest::addColumn<QueryItems>("query");
    QTest::addColumn<QStringList>("expected");
    // "long" started 3 h ago and is still open, "old" ended 2 h 51 min ago, "recent" started 10 min ago,
    // "future" starts in an hour.
    QTest::newRow("default: the last 2 hours") << QueryItems() << QStringList { u"recent"_s, u"long"_s };
    QTest::newRow("from now-4h") << QueryItems { { u"from"_s, u"now-4h"_s } }
                                 << QStringList { u"recent"_s, u"long"_s, u"old"_s };
    QTest::newRow("until 20 minutes ago") << QueryItems { { u"from"_s, u"now-4h"_s },
        { u"to"_s, u"now-20m"_s } } << QStringList { u"long"_s, u"old"_s };
    QTest::newRow("until now, explicitly") << QueryItems { { u"from"_s, u"now-2h"_s }, { u"to"_s, u"now"_s } }
                                           << QStringList { u"recent"_s, u"long"_s };
    QTest::newRow("epoch milliseconds")
        << QueryItems { { u"from"_s, QString::number(SimTenant::StartMs - 3 * HourMs - MinuteMs) },
               { u"to"_s, QString::number(SimTenant::StartMs - 2 * HourMs - 55 * MinuteMs) } }
        << QStringList { u"long"_s, u"old"_s };
}

void TestSimEvents::window()
{
    QFETCH(QueryItems, query);
    QFETCH(QStringList, expected);
    SimTenant tenant;
    auto &store = tenant.environment->events();
    store.add(eventAt(tenant, u"long"_s, tenant.now() - 3 * HourMs, 4 * HourMs));
    store.add(eventAt(tenant, u"old"_s, tenant.now() - 3 * HourMs - MinuteMs, 10 * MinuteMs));
    store.add(eventAt(tenant, u"recent"_s, tenant.now() - 10 * MinuteMs, MinuteMs));
    store.add(eventAt(tenant, u"future"_s, tenant.now() + HourMs, MinuteMs));
    const TenantAnswer answer = tenant.get(EventsPath, query);
    QCOMPARE(answer.status, 200);
    QCOMPARE(titles(answer.list(u"events"_s)), expected);
}

void TestSimEvents::eventSelector_data()
{
    QTest::addColumn<QString>("selector");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("eventType") << u"eventType(\"CUSTOM_CONFIGURATION\")"_s
                               << QStringList { u"to 30"_s, u"reset"_s };
    QTest::newRow("status OPEN") << u"status(\"OPEN\")"_s << QStringList { u"to 30"_s, u"info"_s };
    QTest::newRow("status closed, lower case") << u"status(\"closed\")"_s << QStringList { u"reset"_s };
    QTest::newRow("one property, two values")
        << u"property.remediationAction(\"9\",\"NA\")"_s << QStringList { u"to 30"_s, u"reset"_s };
    QTest::newRow("property and type")
        << u"property.remediationAction(\"NA\"),eventType(\"CUSTOM_CONFIGURATION\")"_s
        << QStringList { u"reset"_s };
    QTest::newRow("unquoted, with a dotted key")
        << u"property.dt.event.source(Jenkins)"_s << QStringList { u"info"_s };
    QTest::newRow("no such value") << u"property.remediationType(\"gitlab\")"_s << QStringList();
    QTest::newRow("eventId")
        << u"eventId(\"%1_%2\")"_s.arg(qHash(u"info"_s)).arg(SimTenant::StartMs - 5 * MinuteMs)
        << QStringList { u"info"_s };
    QTest::newRow("entityId") << u"entityId(\"SERVICE-C4A7E2B19F03D658\")"_s
                              << QStringList { u"to 30"_s, u"reset"_s };
    QTest::newRow("flags are false") << u"suppressAlert(false),underMaintenance(false)"_s
                                     << QStringList { u"to 30"_s, u"info"_s, u"reset"_s };
    QTest::newRow("no management zones") << u"managementZoneId(\"1\")"_s << QStringList();
}

void TestSimEvents::eventSelector()
{
    QFETCH(QString, selector);
    QFETCH(QStringList, expected);
    SimTenant tenant;
    auto &store = tenant.environment->events();
    store.add(eventAt(
        tenant, u"reset"_s, tenant.now() - 50 * MinuteMs, MinuteMs, { { u"remediationAction"_s, u"NA"_s } }));
    store.add(eventAt(tenant, u"info"_s, tenant.now() - 5 * MinuteMs, HourMs,
        { { u"dt.event.source"_s, u"Jenkins"_s } }, false));
    store.add(
        eventAt(tenant, u"to 30"_s, tenant.now() - MinuteMs, HourMs, { { u"remediationAction"_s, u"9"_s } }));
    const TenantAnswer answer = tenant.get(EventsPath, { { u"eventSelector"_s, selector } });
    QVERIFY2(answer.status == 200, answer.body.constData());
    QCOMPARE(titles(answer.list(u"events"_s)), expected);
}

void TestSimEvents::badSelectors_data()
{
    QTest::addColumn<QueryItems>("query");
    QTest::addColumn<QString>("path");
    QTest::newRow("two event types") << QueryItems {
        { u"eventSelector"_s, u"eventType(\"CUSTOM_INFO\",\"CUSTOM_ALERT\")"_s }
    } << u"eventSelector"_s;
    QTest::newRow("unknown criterion")
        << QueryItems { { u"eventSelector"_s, u"severity(\"high\")"_s } } << u"eventSelector"_s;
    QTest::newRow("unterminated") << QueryItems { { u"eventSelector"_s, u"status(\"OPEN)"_s } }
                                  << u"eventSelector"_s;
    QTest::newRow("bad status") << QueryItems { { u"eventSelector"_s, u"status(\"ACTIVE\")"_s } }
                                << u"eventSelector"_s;
    QTest::newRow("bad entity selector")
        << QueryItems { { u"entitySelector"_s, u"type(SERVICE"_s } } << u"entitySelector"_s;
    QTest::newRow("page size 0") << QueryItems { { u"pageSize"_s, u"0"_s } } << u"pageSize"_s;
    QTest::newRow("page size 1001") << QueryItems { { u"pageSize"_s, u"1001"_s } } << u"pageSize"_s;
    QTest::newRow("page size words") << QueryItems { { u"pageSize"_s, u"many"_s } } << u"pageSize"_s;
    QTest::newRow("from after to") << QueryItems { { u"from"_s, u"now-1h"_s }, { u"to"_s, u"now-2h"_s } }
                                   << QString();
    QTest::newRow("garbage key") << QueryItems { { u"nextPageKey"_s, u"not-a-key!"_s } } << u"nextPageKey"_s;
}

void TestSimEvents::badSelectors()
{
    QFETCH(QueryItems, query);
    QFETCH(QString, path);
    SimTenant tenant;
    const TenantAnswer answer = tenant.get(EventsPath, query);
    QCOMPARE(answer.status, 400);
    QCOMPARE(answer.envelope().value(u"code"_s).toInt(), 400);
    if (!path.isEmpty())
        QCOMPARE(answer.violation().value(u"path"_s).toString(), path);
}

void TestSimEvents::entitySelector()
{
    SimTenant tenant;
    auto &store = tenant.environment->events();
    store.add(eventAt(tenant, u"on the service"_s, tenant.now() - MinuteMs, MinuteMs));
    store.add(eventAt(tenant, u"on the environment"_s, tenant.now() - MinuteMs, MinuteMs, {}, false));
    const auto listed = [&](const QString &selector) {
        return titles(tenant.get(EventsPath, { { u"entitySelector"_s, selector } }).list(u"events"_s));
    };
    QCOMPARE(listed(u"type(SERVICE),tag(\"[Environment]DT_RELEASE_STAGE:canary-jenkins\")"_s),
        QStringList { u"on the service"_s });
    QCOMPARE(listed(u"type(SERVICE),tag(\"[Environment]DT_RELEASE_STAGE:production\")"_s), QStringList());
    QCOMPARE(titles(tenant.get(EventsPath).list(u"events"_s)).size(), 2);
}

void TestSimEvents::withoutReadScope_isForbidden()
{
    SimTenant tenant;
    tenant.environment->server().addToken(u"dt0c01.INGEST"_s, { u"events.ingest"_s });
    const TenantAnswer answer = tenant.get(EventsPath, {}, u"dt0c01.INGEST"_s);
    QCOMPARE(answer.status, 403);
    QCOMPARE(answer.envelope().value(u"message"_s).toString(),
        u"Token is missing required scope. Use one of: events.read (Read events)"_s);
    QCOMPARE(tenant.get(EventsPath, {}, QString()).status, 401);
}

void TestSimEvents::eventById()
{
    SimTenant tenant;
    const StoredEvent event = eventAt(tenant, u"one"_s, tenant.now() - MinuteMs, HourMs);
    tenant.environment->events().add(event);
    const TenantAnswer found = tenant.get(EventsPath + u'/' + event.eventId);
    QCOMPARE(found.status, 200);
    QCOMPARE(found.json(), tenant.get(EventsPath).list(u"events"_s).at(0).toObject());
    QCOMPARE(found.json().value(u"endTime"_s).toInteger(), -1);
    const TenantAnswer missing = tenant.get(EventsPath + u"/-1_1"_s);
    QCOMPARE(missing.status, 404);
    QCOMPARE(missing.envelope().value(u"code"_s).toInt(), 404);
}

void TestSimEvents::v1_workshopBody_isReadBackThroughV2()
{
    SimTenant tenant;
    const TenantAnswer stored
        = tenant.post(V1Path, compact(workshopV1Body(QJsonArray { workshopTagRule() })));
    QVERIFY2(stored.status == 200, stored.body.constData());
    const QJsonArray eventIds = stored.json().value(u"storedEventIds"_s).toArray();
    const QJsonArray ids = stored.json().value(u"storedIds"_s).toArray();
    QCOMPARE(eventIds.size(), 1);
    QCOMPARE(ids.size(), 1);
    QCOMPARE(stored.json().value(u"storedCorrelationIds"_s).toArray(), QJsonArray());
    // A signed 64-bit number, and the same number in the id with the start time.
    const QByteArray number = ids.at(0).toString().section(u'_', 0, 0).toLatin1();
    QVERIFY(stored.body.contains(QByteArray("\"storedEventIds\":[" + number + ']')));
    QCOMPARE(ids.at(0).toString(),
        ids.at(0).toString().section(u'_', 0, 0) + u'_' + QString::number(tenant.now()));

    const TenantAnswer listed
        = tenant.get(EventsPath, { { u"eventSelector"_s, u"eventId(\"%1\")"_s.arg(ids.at(0).toString()) } });
    QCOMPARE(listed.list(u"events"_s).size(), 1);
    const QJsonObject event = listed.list(u"events"_s).at(0).toObject();
    QCOMPARE(event.value(u"eventType"_s).toString(), u"CUSTOM_CONFIGURATION"_s);
    QCOMPARE(event.value(u"title"_s).toString(), u"simplenodeservice canary weight set to 30%"_s);
    QCOMPARE(event.value(u"status"_s).toString(), u"OPEN"_s);
    QCOMPARE(event.value(u"endTime"_s).toInteger(), -1);
    QCOMPARE(event.value(u"entityId"_s)[u"entityId"_s][u"id"_s].toString(), tenant.environment->serviceId());
    const QJsonObject expected { { u"dt.event.configuration"_s, u"Load Balancer"_s },
        { u"dt.event.description"_s, u"simplenodeservice canary weight set to 30%"_s },
        { u"dt.event.source"_s, u"Jenkins"_s }, { u"remediationAction"_s, LaunchUrl },
        { u"remediationType"_s, u"ansible"_s } };
    QCOMPARE(propertiesOf(event), expected);
    QVERIFY(!event.value(u"correlationId"_s).toString().isEmpty());
}

void TestSimEvents::v1_attachRules_data()
{
    QTest::addColumn<QJsonObject>("attachRules");
    QTest::addColumn<bool>("stored");
    QTest::newRow("tagRule as one object (the workshop's quirk)")
        << QJsonObject { { u"tagRule"_s, workshopTagRule() } } << true;
    QTest::newRow("tagRule as an array")
        << QJsonObject { { u"tagRule"_s, QJsonArray { workshopTagRule() } } } << true;
    QTest::newRow("entity id") << QJsonObject {
        { u"entityIds"_s, QJsonArray { u"SERVICE-C4A7E2B19F03D658"_s } }
    } << true;
    QTest::newRow("tags as strings") << QJsonObject { { u"tagRule"_s,
        QJsonObject { { u"meTypes"_s, QJsonArray { u"SERVICE"_s } },
            { u"tags"_s, QJsonArray { u"[Environment]DT_RELEASE_STAGE:canary-jenkins"_s } } } } }
                                     << true;
    QTest::newRow("another stage") << QJsonObject { { u"tagRule"_s, workshopTagRule(u"production"_s) } }
                                   << false;
    QTest::newRow("another entity type")
        << QJsonObject { { u"tagRule"_s, workshopTagRule(u"canary-jenkins"_s, u"PROCESS_GROUP"_s) } }
        << false;
    QTest::newRow("another entity") << QJsonObject {
        { u"entityIds"_s, QJsonArray { u"SERVICE-0000000000000001"_s } }
    } << false;
}

void TestSimEvents::v1_attachRules()
{
    QFETCH(QJsonObject, attachRules);
    QFETCH(bool, stored);
    SimTenant tenant;
    QJsonObject body = workshopV1Body(QJsonValue());
    body.insert(u"attachRules"_s, attachRules);
    const TenantAnswer answer = tenant.post(V1Path, compact(body));
    QVERIFY2(answer.status == 200, answer.body.constData());
    QCOMPARE(answer.json().value(u"storedIds"_s).toArray().size(), stored ? 1 : 0);
    QCOMPARE(tenant.environment->events().size(), stored ? 1 : 0);
}

void TestSimEvents::v1_violations_data()
{
    QTest::addColumn<QString>("remove");
    QTest::addColumn<QJsonObject>("add");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("path");

    QTest::newRow("no source") << u"source"_s << QJsonObject() << 400 << u"source"_s;
    QTest::newRow("no attach rules") << u"attachRules"_s << QJsonObject() << 400 << u"attachRules"_s;
    QTest::newRow("configuration without configuration")
        << u"configuration"_s << QJsonObject() << 400 << u"configuration"_s;
    QTest::newRow("unknown type") << QString() << QJsonObject { { u"eventType"_s, u"CUSTOM_THING"_s } } << 400
                                  << u"eventType"_s;
    QTest::newRow("v1 spelling of resource contention")
        << QString()
        << QJsonObject { { u"eventType"_s, u"RESOURCE_CONTENTION"_s }, { u"title"_s, u"CPU saturated"_s } }
        << 200 << u"RESOURCE_CONTENTION_EVENT"_s;
    QTest::newRow("properties must be text")
        << QString()
        << QJsonObject { { u"customProperties"_s, QJsonObject { { u"nested"_s, QJsonObject() } } } } << 400
        << u"customProperties.nested"_s;
    QTest::newRow("start a month ago")
        << QString()
        << QJsonObject { { u"start"_s, QJsonValue(qint64(SimTenant::StartMs - 31LL * 24 * HourMs)) } } << 400
        << u"start"_s;
}

void TestSimEvents::v1_violations()
{
    QFETCH(QString, remove);
    QFETCH(QJsonObject, add);
    QFETCH(int, status);
    QFETCH(QString, path);
    SimTenant tenant;
    QJsonObject body = workshopV1Body(workshopTagRule());
    body.remove(remove);
    for (auto it = add.constBegin(); it != add.constEnd(); ++it)
        body.insert(it.key(), it.value());
    const TenantAnswer answer = tenant.post(V1Path, compact(body));
    QCOMPARE(answer.status, status);
    if (status == 400) {
        QCOMPARE(answer.violation().value(u"path"_s).toString(), path);
        QCOMPARE(answer.violation().value(u"parameterLocation"_s).toString(), u"PAYLOAD_BODY"_s);
        QCOMPARE(tenant.environment->events().size(), 0);
    } else {
        QCOMPARE(tenant.environment->events().events().front().eventType, path);
        QCOMPARE(tenant.environment->events().events().front().title, u"CPU saturated"_s);
    }
}

void TestSimEvents::v1_needsDataExport()
{
    SimTenant tenant;
    tenant.environment->server().addToken(u"dt0c01.V2ONLY"_s, { u"events.ingest"_s });
    const QByteArray body = compact(workshopV1Body(workshopTagRule()));
    const TenantAnswer refused = tenant.post(V1Path, body, u"dt0c01.V2ONLY"_s);
    QCOMPARE(refused.status, 403);
    QCOMPARE(refused.envelope().value(u"message"_s).toString(),
        u"Token is missing required scope. Use one of: DataExport (Access problem and event feed, metrics, "
        u"and "
        "topology)"_s);
    tenant.environment->server().addToken(u"dt0c01.V1"_s, { u"DataExport"_s });
    QCOMPARE(tenant.post(V1Path, body, u"dt0c01.V1"_s).status, 200);
    QCOMPARE(tenant.post(V1Path, "not json").status, 400);
}

QTEST_GUILESS_MAIN(TestSimEvents)
#include "tst_simevents.moc"
