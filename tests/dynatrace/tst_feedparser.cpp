#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include "dynatrace/feedparser.h"
#include "testdata.h"

using namespace Qt::Literals::StringLiterals;
using canary::dynatrace::ApiError;
using canary::dynatrace::Event;
using canary::dynatrace::EventPage;
using canary::dynatrace::MaxPropertyValueChars;
using canary::dynatrace::parseEventPage;
using canary::dynatrace::parseProblem;
using canary::dynatrace::parseProblemPage;
using canary::dynatrace::Problem;

using Properties = QMap<QString, QString>;
using OptionalMs = std::optional<qint64>;

namespace {

const QString Fixtures = canary::testing::testDataPath(u"dynatrace"_s);
constexpr qint64 StartMs = 1'795'687'200'000;

QByteArray fixture(const QString &name)
{
    return canary::testing::readTestData(u"dynatrace/"_s + name);
}

QString failureOf(const canary::Expected<EventPage, ApiError> &result)
{
    return result ? QString() : result.error().summary();
}

// A one-event page around `event`: the tests below vary the event, never the envelope.
QByteArray pageWith(const QJsonObject &event)
{
    const QJsonObject page { { u"totalCount"_s, 1 }, { u"pageSize"_s, 100 },
        { u"nextPageKey"_s, QJsonValue() }, { u"events"_s, QJsonArray { event } },
        { u"warnings"_s, QJsonArray() } };
    return QJsonDocument(page).toJson(QJsonDocument::Compact);
}

QJsonObject serviceEntity()
{
    return { { u"entityId"_s,
                 QJsonObject { { u"id"_s, u"SERVICE-C4A7E2B19F03D658"_s }, { u"type"_s, u"SERVICE"_s } } },
        { u"name"_s, u"simplenodeservice.canary-jenkins"_s } };
}

QJsonArray propertyList(const Properties &properties)
{
    QJsonArray list;
    for (auto it = properties.cbegin(); it != properties.cend(); ++it)
        list.append(QJsonObject { { u"key"_s, it.key() }, { u"value"_s, it.value() } });
    return list;
}

// An event as the simulated tenant lists it, closed 15 minutes after it started.
QJsonObject listedEvent(const QString &title, const Properties &properties)
{
    return { { u"eventId"_s, u"-4711_%1"_s.arg(StartMs) }, { u"startTime"_s, StartMs },
        { u"endTime"_s, StartMs + 900'000 }, { u"eventType"_s, u"CUSTOM_CONFIGURATION"_s },
        { u"title"_s, title }, { u"entityId"_s, serviceEntity() },
        { u"properties"_s, propertyList(properties) }, { u"status"_s, u"CLOSED"_s },
        { u"correlationId"_s, u"00000000000000ab"_s } };
}

Event onlyEvent(const QByteArray &page)
{
    const auto parsed = parseEventPage(page);
    if (!parsed)
        qFatal("page did not parse: %s", qPrintable(parsed.error().summary()));
    if (parsed->events.size() != 1)
        qFatal("expected one event, got %d", int(parsed->events.size()));
    return parsed->events.front();
}

} // namespace

class TestFeedParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void eventsFixture();
    void problemsFixture();
    void generations_data();
    void generations();
    void openEvents_data();
    void openEvents();
    void oddEvents_data();
    void oddEvents();
    void hugePropertyValues_areCapped_data();
    void hugePropertyValues_areCapped();
    void shapeErrors_data();
    void shapeErrors();
    void unreadSubtrees_areNotTaken();
    void nestedPropertyValues_data();
    void nestedPropertyValues();
    void entityShapes_data();
    void entityShapes();
    void duplicateKeys_laterWins();
    void nextPageKey_data();
    void nextPageKey();
    void tenThousandEvents();
    void openProblem_withoutRootCause();
    void oneProblem();
    void problemShapeErrors_data();
    void problemShapeErrors();
};

void TestFeedParser::initTestCase()
{
    // Without the shared fixtures these tests would prove nothing: fail, do not skip.
    QVERIFY2(QDir(Fixtures).exists(), qPrintable(u"fixture folder missing: "_s + Fixtures));
}

void TestFeedParser::eventsFixture()
{
    const auto page = parseEventPage(fixture(u"events_list_custom_configuration.json"_s));
    QVERIFY2(page.hasValue(), qPrintable(failureOf(page)));
    QCOMPARE(page->totalCount, 3);
    QCOMPARE(page->nextPageKey, u"AQAAABQBAAAABQ=="_s);
    QCOMPARE(page->events.size(), std::size_t(2));

    const Event &configuration = page->events.at(0);
    QCOMPARE(configuration.eventId, u"-3907561424713862123_1715681640000"_s);
    QCOMPARE(configuration.eventType, u"CUSTOM_CONFIGURATION"_s);
    QCOMPARE(configuration.title, u"Feature flag cartFailure set to on"_s);
    QCOMPARE(configuration.startMs, 1715681640000);
    QCOMPARE(configuration.endMs, OptionalMs(1715682540000));
    QCOMPARE(configuration.status, u"CLOSED"_s);
    QVERIFY(!configuration.isOpen());
    QVERIFY(configuration.isConfigurationChange());
    QCOMPARE(configuration.entityId, u"SERVICE-F91837027736B19E"_s);
    QCOMPARE(configuration.entityName, u"BookingService"_s);
    QCOMPARE(configuration.correlationId, u"9f3c1a2b7d4e5f60"_s);
    const Properties expected { { u"Approver"_s, u"jane.doe@example.com"_s }, { u"action"_s, u"changed"_s },
        { u"build.version"_s, u"1.4.2-b117"_s }, { u"defaultValue"_s, u"on"_s },
        { u"dt.event.is_rootcause_relevant"_s, u"true"_s }, { u"feature_flag.key"_s, u"cartFailure"_s } };
    QCOMPARE(configuration.properties, expected);
    QVERIFY(configuration.remediationAction().isEmpty());

    const Event &deployment = page->events.at(1);
    QCOMPARE(deployment.eventType, u"CUSTOM_DEPLOYMENT"_s);
    QVERIFY(deployment.isConfigurationChange());
    QCOMPARE(deployment.entityId, u"PROCESS_GROUP_INSTANCE-3A1B5C7D9E0F1234"_s);
    QCOMPARE(deployment.properties.value(u"dt.event.deployment.version"_s), u"1.5.0-b121"_s);
    QCOMPARE(deployment.properties.size(), 6);
}

void TestFeedParser::problemsFixture()
{
    const auto page = parseProblemPage(fixture(u"problems_list_closed_with_root_cause.json"_s));
    QVERIFY2(page.hasValue(), qPrintable(page ? QString() : page.error().summary()));
    QCOMPARE(page->totalCount, 1);
    QVERIFY(page->nextPageKey.isEmpty());
    QCOMPARE(page->problems.size(), std::size_t(1));
    const Problem &problem = page->problems.front();
    QCOMPARE(problem.problemId, u"-8130375692469737113_1604628540000V2"_s);
    QCOMPARE(problem.displayId, u"P-201114"_s);
    QCOMPARE(problem.title, u"Classic Load Balancer has a high backend error rate"_s);
    QCOMPARE(problem.impactLevel, u"INFRASTRUCTURE"_s);
    QCOMPARE(problem.severityLevel, u"ERROR"_s);
    QCOMPARE(problem.status, u"CLOSED"_s);
    QVERIFY(!problem.isOpen());
    QCOMPARE(problem.startMs, 1604628840000);
    QCOMPARE(problem.endMs, OptionalMs(1604629560000));
    QVERIFY(problem.rootCause.has_value());
    QCOMPARE(problem.rootCause->id, u"ELASTIC_LOAD_BALANCER-B4C30136D16ABD7A"_s);
    QCOMPARE(problem.rootCause->type, u"ELASTIC_LOAD_BALANCER"_s);
    QCOMPARE(problem.rootCause->name, u"a78c59edfc00049dbb7fd49809c40a31"_s);
    QCOMPARE(problem.affectedEntities.size(), std::size_t(1));
    QCOMPARE(problem.impactedEntities.size(), std::size_t(1));
    QCOMPARE(problem.impactedEntities.front().id, problem.rootCause->id);
}

void TestFeedParser::generations_data()
{
    QTest::addColumn<QJsonObject>("event");
    QTest::addColumn<QString>("title");
    QTest::addColumn<QString>("remediationAction");
    QTest::addColumn<QString>("remediationType");
    QTest::addColumn<QString>("source");

    // seed-workshop.md §3: the current pipeline (v2, template id), the earlier one (v1 read back through v2:
    // the description is the title, source and configuration become dt.event.* properties, the action is the
    // AWX launch URL) and the reset.
    QTest::newRow("v2 pipeline") << listedEvent(u"Canary weight set to 70"_s,
        { { u"remediationAction"_s, u"9"_s }, { u"remediationType"_s, u"ansible"_s } })
                                 << u"Canary weight set to 70"_s << u"9"_s << u"ansible"_s << QString();
    const QString launchUrl = u"http://awx.example.invalid/api/v2/job_templates/9/launch/"_s;
    QTest::newRow("v1 pipeline") << listedEvent(u"simplenodeservice canary weight set to 30%"_s,
        { { u"dt.event.configuration"_s, u"Load Balancer"_s },
            { u"dt.event.description"_s, u"simplenodeservice canary weight set to 30%"_s },
            { u"dt.event.source"_s, u"Jenkins"_s }, { u"remediationAction"_s, launchUrl },
            { u"remediationType"_s, u"ansible"_s } })
                                 << u"simplenodeservice canary weight set to 30%"_s << launchUrl
                                 << u"ansible"_s << u"Jenkins"_s;
    QTest::newRow("reset") << listedEvent(u"Canary weight set to 0"_s,
        { { u"remediationAction"_s, u"NA"_s }, { u"remediationType"_s, u"ansible"_s } })
                           << u"Canary weight set to 0"_s << u"NA"_s << u"ansible"_s << QString();
}

void TestFeedParser::generations()
{
    QFETCH(QJsonObject, event);
    QFETCH(QString, title);
    QFETCH(QString, remediationAction);
    QFETCH(QString, remediationType);
    QFETCH(QString, source);
    const Event parsed = onlyEvent(pageWith(event));
    QCOMPARE(parsed.title, title);
    QVERIFY(parsed.isConfigurationChange());
    QCOMPARE(parsed.remediationAction(), remediationAction);
    QCOMPARE(parsed.remediationType(), remediationType);
    QCOMPARE(parsed.properties.value(u"dt.event.source"_s), source);
    QCOMPARE(parsed.entityId, u"SERVICE-C4A7E2B19F03D658"_s);
    QCOMPARE(parsed.entityName, u"simplenodeservice.canary-jenkins"_s);
}

void TestFeedParser::openEvents_data()
{
    QTest::addColumn<QJsonValue>("endTime"); // undefined: the key is left out
    QTest::addColumn<QJsonValue>("status");
    QTest::addColumn<OptionalMs>("endMs");
    QTest::addColumn<QString>("expectedStatus");

    QTest::newRow("-1, as tenants send it")
        << QJsonValue(-1) << QJsonValue(u"OPEN"_s) << OptionalMs() << u"OPEN"_s;
    QTest::newRow("null, as the schema says")
        << QJsonValue() << QJsonValue(u"OPEN"_s) << OptionalMs() << u"OPEN"_s;
    QTest::newRow("missing") << QJsonValue(QJsonValue::Undefined) << QJsonValue(u"OPEN"_s) << OptionalMs()
                             << u"OPEN"_s;
    QTest::newRow("-1, no status") << QJsonValue(-1) << QJsonValue(QJsonValue::Undefined) << OptionalMs()
                                   << u"OPEN"_s;
    QTest::newRow("ended, no status")
        << QJsonValue(double(StartMs + 60'000)) << QJsonValue(QJsonValue::Undefined)
        << OptionalMs(StartMs + 60'000) << u"CLOSED"_s;
}

void TestFeedParser::openEvents()
{
    QFETCH(QJsonValue, endTime);
    QFETCH(QJsonValue, status);
    QFETCH(OptionalMs, endMs);
    QFETCH(QString, expectedStatus);
    QJsonObject event = listedEvent(u"Failure rate increase"_s, {});
    event.remove(u"endTime"_s);
    event.remove(u"status"_s);
    if (!endTime.isUndefined())
        event.insert(u"endTime"_s, endTime);
    if (!status.isUndefined())
        event.insert(u"status"_s, status);
    const Event parsed = onlyEvent(pageWith(event));
    QCOMPARE(parsed.endMs, endMs);
    QCOMPARE(parsed.status, expectedStatus);
    QCOMPARE(parsed.isOpen(), !endMs.has_value());
}

void TestFeedParser::oddEvents_data()
{
    QTest::addColumn<QJsonObject>("event");
    QTest::addColumn<QString>("eventType");
    QTest::addColumn<QString>("title");
    QTest::addColumn<QString>("entityId");
    QTest::addColumn<Properties>("properties");

    QJsonObject unknownType = listedEvent(u"Pod evicted"_s, {});
    unknownType.insert(u"eventType"_s, u"K8S_POD_EVICTED_SOMEDAY"_s);
    QTest::newRow("unknown type kept") << unknownType << u"K8S_POD_EVICTED_SOMEDAY"_s << u"Pod evicted"_s
                                       << u"SERVICE-C4A7E2B19F03D658"_s << Properties();

    QJsonObject noTitle = listedEvent(QString(), {});
    noTitle.remove(u"title"_s);
    QTest::newRow("no title") << noTitle << u"CUSTOM_CONFIGURATION"_s << QString()
                              << u"SERVICE-C4A7E2B19F03D658"_s << Properties();

    QJsonObject objectMap = listedEvent(u"map"_s, {});
    objectMap.insert(u"properties"_s,
        QJsonObject { { u"remediationAction"_s, u"9"_s }, { u"count"_s, 42 }, { u"ratio"_s, 1.5 },
            { u"enabled"_s, true }, { u"nothing"_s, QJsonValue() },
            { u"nested"_s, QJsonObject { { u"k"_s, u"v"_s } } }, { u"list"_s, QJsonArray { 1, 2 } } });
    QTest::newRow("object map, any value")
        << objectMap << u"CUSTOM_CONFIGURATION"_s << u"map"_s << u"SERVICE-C4A7E2B19F03D658"_s
        << Properties { { u"remediationAction"_s, u"9"_s }, { u"count"_s, u"42"_s }, { u"ratio"_s, u"1.5"_s },
               { u"enabled"_s, u"true"_s }, { u"nothing"_s, QString() }, { u"nested"_s, u"{\"k\":\"v\"}"_s },
               { u"list"_s, u"[1,2]"_s } };

    QJsonObject oddList = listedEvent(u"list"_s, {});
    oddList.insert(u"properties"_s,
        QJsonArray { QJsonObject { { u"key"_s, u"port"_s }, { u"value"_s, 8080 } },
            QJsonObject { { u"key"_s, u"canary"_s }, { u"value"_s, false } },
            QJsonObject { { u"key"_s, u"owner"_s }, { u"value"_s, QJsonObject { { u"team"_s, u"sre"_s } } } },
            QJsonObject { { u"value"_s, u"no key"_s } }, u"not an object"_s,
            QJsonObject { { u"key"_s, u"empty"_s } } });
    QTest::newRow("list with odd entries")
        << oddList << u"CUSTOM_CONFIGURATION"_s << u"list"_s << u"SERVICE-C4A7E2B19F03D658"_s
        << Properties { { u"port"_s, u"8080"_s }, { u"canary"_s, u"false"_s },
               { u"owner"_s, u"{\"team\":\"sre\"}"_s }, { u"empty"_s, QString() } };

    QJsonObject bareEntity = listedEvent(u"bare"_s, {});
    bareEntity.insert(u"entityId"_s, u"HOST-1234"_s);
    bareEntity.insert(u"startTime"_s, 1.7956872E12); // a serializer's way of writing an integer
    QTest::newRow("entity as a string")
        << bareEntity << u"CUSTOM_CONFIGURATION"_s << u"bare"_s << u"HOST-1234"_s << Properties();

    QJsonObject noEntity = listedEvent(u"nowhere"_s, {});
    noEntity.remove(u"entityId"_s);
    noEntity.remove(u"properties"_s);
    noEntity.remove(u"eventType"_s);
    QTest::newRow("no entity, type or properties")
        << noEntity << QString() << u"nowhere"_s << QString() << Properties();
}

void TestFeedParser::oddEvents()
{
    QFETCH(QJsonObject, event);
    QFETCH(QString, eventType);
    QFETCH(QString, title);
    QFETCH(QString, entityId);
    QFETCH(Properties, properties);
    const Event parsed = onlyEvent(pageWith(event));
    QCOMPARE(parsed.eventType, eventType);
    QCOMPARE(parsed.title, title);
    QCOMPARE(parsed.entityId, entityId);
    QCOMPARE(parsed.properties, properties);
}

void TestFeedParser::hugePropertyValues_areCapped_data()
{
    QTest::addColumn<QString>("unit"); // repeated to a megabyte
    QTest::newRow("ascii") << u"x"_s;
    QTest::newRow("two-byte") << u"\u00e9"_s;
    QTest::newRow("surrogate pairs") << QString::fromUtf8("\xf0\x9f\x90\xa5"); // U+1F425, the canary chick
}

void TestFeedParser::hugePropertyValues_areCapped()
{
    QFETCH(QString, unit);
    const QString huge = unit.repeated(1024 * 1024 / unit.toUtf8().size());
    QCOMPARE(huge.toUtf8().size(), 1024 * 1024);
    const Event parsed = onlyEvent(
        pageWith(listedEvent(u"huge"_s, { { u"stackTrace"_s, huge }, { u"remediationAction"_s, u"9"_s } })));
    const QString value = parsed.properties.value(u"stackTrace"_s);
    QVERIFY(value.size() <= MaxPropertyValueChars);
    QVERIFY(value.size() >= MaxPropertyValueChars - 2);
    QVERIFY(value.endsWith(QChar(0x2026)));
    QVERIFY(huge.startsWith(value.chopped(1))); // a prefix: nothing garbled, no half surrogate pair
    QVERIFY(!value.at(value.size() - 2).isHighSurrogate());
    QCOMPARE(parsed.remediationAction(), u"9"_s); // the rest of the event is intact
}

void TestFeedParser::shapeErrors_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<ApiError::Kind>("kind");
    QTest::addColumn<QString>("message");

    using Kind = ApiError::Kind;
    QTest::newRow("empty") << QByteArray("  ") << Kind::MalformedJson << u"empty body"_s;
    QTest::newRow("truncated") << QByteArray("{\"events\":[") << Kind::MalformedJson << u"parse error"_s;
    QTest::newRow("html") << QByteArray("<html>502</html>") << Kind::MalformedJson << u"parse error"_s;
    QTest::newRow("array root") << QByteArray("[]") << Kind::UnexpectedShape << u"root: expected an object"_s;
    QTest::newRow("no events") << QByteArray("{\"totalCount\":0}") << Kind::UnexpectedShape
                               << u"events: missing"_s;
    QTest::newRow("events not an array") << QByteArray("{\"events\":{\"eventId\":\"1\"}}")
                                         << Kind::UnexpectedShape << u"events: expected an array"_s;
    QTest::newRow("events null") << QByteArray("{\"events\":null}") << Kind::UnexpectedShape
                                 << u"events: expected an array"_s;
    QTest::newRow("entry not an object") << QByteArray("{\"events\":[{\"startTime\":1},7]}")
                                         << Kind::UnexpectedShape << u"events[1]: expected an object"_s;
    QTest::newRow("no start") << QByteArray("{\"events\":[{\"eventId\":\"1\"}]}") << Kind::UnexpectedShape
                              << u"events[0].startTime: missing"_s;
    QTest::newRow("start as text") << QByteArray("{\"events\":[{\"startTime\":\"yesterday\"}]}")
                                   << Kind::UnexpectedShape
                                   << u"events[0].startTime: expected epoch milliseconds"_s;
    QTest::newRow("end as object") << QByteArray("{\"events\":[{\"startTime\":1,\"endTime\":{}}]}")
                                   << Kind::UnexpectedShape
                                   << u"events[0].endTime: expected epoch milliseconds"_s;
    QTest::newRow("bad totalCount") << QByteArray("{\"totalCount\":\"many\",\"events\":[]}")
                                    << Kind::UnexpectedShape << u"totalCount: expected a count"_s;
    // Errors in the order the checks run, whatever the order of the members.
    QTest::newRow("events missing before totalCount")
        << QByteArray("{\"totalCount\":\"many\"}") << Kind::UnexpectedShape << u"events: missing"_s;
    QTest::newRow("bad entry before totalCount")
        << QByteArray("{\"totalCount\":\"many\",\"events\":[{\"startTime\":1},[]]}") << Kind::UnexpectedShape
        << u"events[1]: expected an object"_s;
    QTest::newRow("first bad entry wins")
        << QByteArray("{\"events\":[{\"startTime\":1},{\"endTime\":\"x\"},{}]}") << Kind::UnexpectedShape
        << u"events[1].startTime: missing"_s;
    QTest::newRow("start before end")
        << QByteArray("{\"events\":[{\"endTime\":true,\"startTime\":null}]}") << Kind::UnexpectedShape
        << u"events[0].startTime: expected epoch milliseconds"_s;
    QTest::newRow("start as a fraction")
        << QByteArray("{\"events\":[{\"startTime\":1.5}]}") << Kind::UnexpectedShape
        << u"events[0].startTime: expected epoch milliseconds"_s;
    QTest::newRow("start beyond qint64")
        << QByteArray("{\"events\":[{\"startTime\":9223372036854775808}]}") << Kind::UnexpectedShape
        << u"events[0].startTime: expected epoch milliseconds"_s;
    QTest::newRow("negative totalCount") << QByteArray("{\"totalCount\":-1,\"events\":[]}")
                                         << Kind::UnexpectedShape << u"totalCount: expected a count"_s;
    // Skipped subtrees before the error and keys like ours inside them do not shift the index or the path.
    QTest::newRow("after skipped subtrees") << QByteArray(
        "{\"warnings\":[{\"events\":[]}],\"events\":[{\"startTime\":1,\"entityTags\":[{\"startTime\":"
        "\"x\"},[{}]],\"managementZones\":{\"events\":[1]}},{\"entityTags\":[{\"startTime\":2}],"
        "\"properties\":{\"startTime\":3}}]}")
                                            << Kind::UnexpectedShape << u"events[1].startTime: missing"_s;
    // The whole body must be JSON before its shape counts.
    QTest::newRow("truncated after a bad entry")
        << QByteArray("{\"events\":[7,{\"startTime\":1}") << Kind::MalformedJson << u"parse error"_s;
    QTest::newRow("invalid UTF-8") << QByteArray("{\"events\":[{\"startTime\":1,\"title\":\"\xff\"}]}")
                                   << Kind::MalformedJson << u"parse error"_s;
}

void TestFeedParser::shapeErrors()
{
    QFETCH(QByteArray, body);
    QFETCH(ApiError::Kind, kind);
    QFETCH(QString, message);
    const auto parsed = parseEventPage(body);
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().kind, kind);
    QVERIFY2(parsed.error().message.startsWith(message), qPrintable(parsed.error().message));
}

void TestFeedParser::unreadSubtrees_areNotTaken()
{
    // Members named like the event's own, inside members the parser does not read.
    QJsonObject event = listedEvent(u"real"_s, { { u"remediationAction"_s, u"9"_s } });
    const QJsonObject decoy { { u"startTime"_s, u"not a time"_s }, { u"endTime"_s, QJsonObject() },
        { u"title"_s, u"decoy"_s }, { u"eventId"_s, u"decoy"_s }, { u"entityId"_s, u"HOST-DECOY"_s },
        { u"properties"_s, propertyList({ { u"remediationAction"_s, u"decoy"_s } }) },
        { u"key"_s, u"decoy"_s }, { u"value"_s, u"decoy"_s } };
    event.insert(u"entityTags"_s, QJsonArray { decoy, QJsonArray { decoy } });
    event.insert(u"managementZones"_s, QJsonArray { QJsonObject { { u"events"_s, QJsonArray { decoy } } } });
    event.insert(u"dependsOn"_s, decoy);
    QJsonObject page { { u"events"_s, QJsonArray { event } },
        { u"warnings"_s,
            QJsonArray { QJsonObject { { u"totalCount"_s, u"many"_s }, { u"events"_s, 7 } } } } };
    const auto parsed = parseEventPage(QJsonDocument(page).toJson(QJsonDocument::Compact));
    QVERIFY2(parsed.hasValue(), qPrintable(failureOf(parsed)));
    QCOMPARE(parsed->events.size(), std::size_t(1));
    QCOMPARE(parsed->totalCount, 1);
    const Event &parsedEvent = parsed->events.front();
    QCOMPARE(parsedEvent.title, u"real"_s);
    QCOMPARE(parsedEvent.eventId, u"-4711_%1"_s.arg(StartMs));
    QCOMPARE(parsedEvent.startMs, StartMs);
    QCOMPARE(parsedEvent.endMs, OptionalMs(StartMs + 900'000));
    QCOMPARE(parsedEvent.entityId, u"SERVICE-C4A7E2B19F03D658"_s);
    QCOMPARE(parsedEvent.entityName, u"simplenodeservice.canary-jenkins"_s);
    QCOMPARE(parsedEvent.properties, Properties({ { u"remediationAction"_s, u"9"_s } }));

    // Inside a property value, the same names are just part of the value.
    QJsonObject mapped = listedEvent(u"mapped"_s, {});
    mapped.insert(u"properties"_s,
        QJsonObject {
            { u"startTime"_s, u"x"_s }, { u"properties"_s, QJsonObject { { u"key"_s, u"k"_s } } } });
    const Event parsedMapped = onlyEvent(pageWith(mapped));
    QCOMPARE(parsedMapped.startMs, StartMs);
    QCOMPARE(parsedMapped.properties,
        Properties({ { u"startTime"_s, u"x"_s }, { u"properties"_s, u"{\"key\":\"k\"}"_s } }));
}

void TestFeedParser::nestedPropertyValues_data()
{
    QTest::addColumn<QByteArray>("value"); // as written in the body
    QTest::addColumn<QString>("text");

    // Compact JSON as nlohmann prints a parsed value: keys sorted, a later duplicate key winning.
    QTest::newRow("two levels") << QByteArray("{\"z\":1,\"a\":{\"y\":true,\"b\":{\"c\":[1,{\"d\":null}]}}}")
                                << u"{\"a\":{\"b\":{\"c\":[1,{\"d\":null}]},\"y\":true},\"z\":1}"_s;
    QTest::newRow("array of objects")
        << QByteArray("[{\"b\":2,\"a\":\"x\"},{\"c\":[]},{}]") << u"[{\"a\":\"x\",\"b\":2},{\"c\":[]},{}]"_s;
    QTest::newRow("duplicate key inside") << QByteArray("{\"k\":1,\"k\":2}") << u"{\"k\":2}"_s;
    QTest::newRow("escapes and numbers")
        << QByteArray("[\"a\\\"b\\n\\u00e9\",1.6643238E12,-0.5,18446744073709551615]")
        << u"[\"a\\\"b\\n\u00e9\",1664323800000.0,-0.5,18446744073709551615]"_s;
    QTest::newRow("float") << QByteArray("1.6643238E12") << u"1664323800000.0"_s;
    QTest::newRow("empty object") << QByteArray("{}") << u"{}"_s;
}

void TestFeedParser::nestedPropertyValues()
{
    QFETCH(QByteArray, value);
    QFETCH(QString, text);
    // Both property forms, each followed by a plain property that must still be read.
    const QByteArray list = "{\"events\":[{\"startTime\":1,\"properties\":[{\"key\":\"v\",\"value\":" + value
        + "},{\"key\":\"after\",\"value\":\"ok\"}],\"title\":\"t\"}]}";
    const QByteArray map = "{\"events\":[{\"startTime\":1,\"properties\":{\"v\":" + value
        + ",\"after\":\"ok\"},\"title\":\"t\"}]}";
    for (const QByteArray &body : { list, map }) {
        const Event parsed = onlyEvent(body);
        QCOMPARE(parsed.properties, Properties({ { u"v"_s, text }, { u"after"_s, u"ok"_s } }));
        QCOMPARE(parsed.title, u"t"_s);
    }
}

void TestFeedParser::entityShapes_data()
{
    QTest::addColumn<QByteArray>("entity"); // the event's entityId member
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("name");

    QTest::newRow("id object") << QByteArray(
        "{\"entityId\":{\"id\":\"HOST-1\",\"type\":\"HOST\"},\"name\":\"h\"}")
                               << u"HOST-1"_s << u"h"_s;
    QTest::newRow("bare string") << QByteArray("\"HOST-2\"") << u"HOST-2"_s << QString();
    QTest::newRow("inner id as a string")
        << QByteArray("{\"name\":\"h\",\"entityId\":\"HOST-3\"}") << u"HOST-3"_s << u"h"_s;
    QTest::newRow("inner id as a number") << QByteArray("{\"entityId\":42}") << u"42"_s << QString();
    QTest::newRow("inner id as an array")
        << QByteArray("{\"entityId\":[\"a\",1]}") << u"[\"a\",1]"_s << QString();
    QTest::newRow("id object without id")
        << QByteArray("{\"entityId\":{\"type\":\"HOST\"},\"name\":\"h\"}") << QString() << u"h"_s;
    QTest::newRow("a number") << QByteArray("7") << QString() << QString();
    QTest::newRow("an array") << QByteArray("[\"HOST-4\"]") << QString() << QString();
    QTest::newRow("null") << QByteArray("null") << QString() << QString();
}

void TestFeedParser::entityShapes()
{
    QFETCH(QByteArray, entity);
    QFETCH(QString, id);
    QFETCH(QString, name);
    const Event parsed
        = onlyEvent("{\"events\":[{\"startTime\":1,\"entityId\":" + entity + ",\"title\":\"t\"}]}");
    QCOMPARE(parsed.entityId, id);
    QCOMPARE(parsed.entityName, name);
    QCOMPARE(parsed.title, u"t"_s);
}

void TestFeedParser::duplicateKeys_laterWins()
{
    // What nlohmann's DOM made of them: a later member replaces an earlier one of the same name, also
    // when the earlier one was malformed.
    const auto parsed = parseEventPage(
        "{\"events\":[7],\"totalCount\":\"many\",\"nextPageKey\":\"A\",\"events\":[{\"startTime\":\"x\","
        "\"startTime\":5,\"title\":\"first\",\"title\":\"second\",\"entityId\":{\"entityId\":\"HOST-1\","
        "\"name\":\"n\"},\"entityId\":\"HOST-2\",\"properties\":[{\"key\":\"a\",\"value\":\"1\"}],"
        "\"properties\":[{\"key\":\"b\",\"value\":\"1\",\"value\":\"2\"},{\"key\":\"c\",\"key\":null},"
        "{\"key\":\"b\",\"value\":\"3\"}]}],\"totalCount\":4,\"nextPageKey\":null}");
    QVERIFY2(parsed.hasValue(), qPrintable(failureOf(parsed)));
    QCOMPARE(parsed->totalCount, 4);
    QVERIFY(parsed->nextPageKey.isEmpty());
    QCOMPARE(parsed->events.size(), std::size_t(1));
    const Event &event = parsed->events.front();
    QCOMPARE(event.startMs, 5);
    QCOMPARE(event.title, u"second"_s);
    QCOMPARE(event.entityId, u"HOST-2"_s);
    QVERIFY(event.entityName.isEmpty());
    QCOMPARE(event.properties, Properties({ { u"b"_s, u"3"_s } }));

    const auto replaced = parseEventPage("{\"events\":[{\"startTime\":1}],\"events\":{}}");
    QVERIFY(!replaced);
    QCOMPARE(replaced.error().message, u"events: expected an array"_s);
}

void TestFeedParser::nextPageKey_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("key");
    QTest::addColumn<qint64>("totalCount");
    QTest::newRow("a key") << QByteArray("{\"totalCount\":12,\"nextPageKey\":\"AQAB\",\"events\":[]}")
                           << u"AQAB"_s << qint64(12);
    QTest::newRow("null") << QByteArray("{\"nextPageKey\":null,\"events\":[]}") << QString() << qint64(0);
    QTest::newRow("the docs' \"null\"")
        << QByteArray("{\"nextPageKey\":\"null\",\"events\":[]}") << QString() << qint64(0);
    QTest::newRow("absent") << QByteArray("{\"events\":[{\"startTime\":1}]}") << QString() << qint64(1);
}

void TestFeedParser::nextPageKey()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, key);
    QFETCH(qint64, totalCount);
    const auto parsed = parseEventPage(body);
    QVERIFY2(parsed.hasValue(), qPrintable(failureOf(parsed)));
    QCOMPARE(parsed->nextPageKey, key);
    QCOMPARE(parsed->totalCount, totalCount);
}

void TestFeedParser::tenThousandEvents()
{
    constexpr int count = 10'000;
    QByteArray body = "{\"totalCount\":10000,\"pageSize\":10000,\"nextPageKey\":null,\"events\":[";
    for (int i = 0; i < count; ++i) {
        if (i > 0)
            body += ',';
        const QByteArray start = QByteArray::number(StartMs - qint64(i) * 1000);
        body += "{\"eventId\":\"" + QByteArray::number(i) + '_' + start + "\",\"startTime\":" + start
            + ",\"endTime\":"
            + (i % 2 ? QByteArray("-1") : QByteArray::number(StartMs - qint64(i) * 1000 + 900'000))
            + ",\"eventType\":\"CUSTOM_CONFIGURATION\",\"title\":\"Canary weight set to "
            + QByteArray::number(i % 101)
            + "\",\"entityId\":{\"entityId\":{\"id\":\"SERVICE-C4A7E2B19F03D658\",\"type\":\"SERVICE\"},"
              "\"name\":\"simplenodeservice.canary-jenkins\"},\"properties\":[{\"key\":\"remediationAction\","
              "\"value\":\"9\"},{\"key\":\"remediationType\",\"value\":\"ansible\"}],\"status\":\"CLOSED\"}";
    }
    body += "],\"warnings\":[]}";

    const auto parsed = parseEventPage(body);
    QVERIFY2(parsed.hasValue(), qPrintable(failureOf(parsed)));
    QCOMPARE(parsed->events.size(), std::size_t(count));
    QCOMPARE(parsed->totalCount, count);
    QCOMPARE(parsed->events.front().eventId, u"0_%1"_s.arg(StartMs));
    QCOMPARE(parsed->events.back().startMs, StartMs - qint64(count - 1) * 1000);
    QVERIFY(!parsed->events.at(1).endMs.has_value());
    QCOMPARE(parsed->events.back().remediationAction(), u"9"_s);
}

void TestFeedParser::openProblem_withoutRootCause()
{
    const QJsonObject problem { { u"problemId"_s, u"-17_%1V2"_s.arg(StartMs) },
        { u"displayId"_s, u"P-230726"_s }, { u"title"_s, u"Failure rate increase"_s },
        { u"impactLevel"_s, u"SERVICES"_s }, { u"severityLevel"_s, u"ERROR"_s }, { u"status"_s, u"OPEN"_s },
        { u"affectedEntities"_s, QJsonArray { serviceEntity() } },
        { u"impactedEntities"_s, QJsonArray { serviceEntity(), serviceEntity() } },
        { u"rootCauseEntity"_s, QJsonValue() }, { u"startTime"_s, StartMs }, { u"endTime"_s, -1 } };
    const QJsonObject page { { u"totalCount"_s, 1 }, { u"problems"_s, QJsonArray { problem } } };
    const auto parsed = parseProblemPage(QJsonDocument(page).toJson());
    QVERIFY2(parsed.hasValue(), qPrintable(parsed ? QString() : parsed.error().summary()));
    const Problem &open = parsed->problems.front();
    QVERIFY(open.isOpen());
    QVERIFY(!open.endMs.has_value());
    QVERIFY(!open.rootCause.has_value());
    QCOMPARE(open.affectedEntities.size(), std::size_t(1));
    QCOMPARE(open.affectedEntities.front().name, u"simplenodeservice.canary-jenkins"_s);
    QCOMPARE(open.impactedEntities.size(), std::size_t(2));
    QCOMPARE(open.displayId, u"P-230726"_s);
}

void TestFeedParser::oneProblem()
{
    const QByteArray body
        = "{\"problemId\":\"1_2V2\",\"displayId\":\"P-1\",\"title\":\"t\",\"startTime\":2,"
          "\"endTime\":9,\"rootCauseEntity\":{\"entityId\":{\"id\":\"SERVICE-1\",\"type\":\"SERVICE\"}},"
          "\"evidenceDetails\":{\"totalCount\":0,\"details\":[]}}";
    const auto parsed = parseProblem(body);
    QVERIFY2(parsed.hasValue(), qPrintable(parsed ? QString() : parsed.error().summary()));
    QCOMPARE(parsed->problemId, u"1_2V2"_s);
    QCOMPARE(parsed->status, u"CLOSED"_s); // no status: derived from the end time
    QCOMPARE(parsed->endMs, OptionalMs(9));
    QCOMPARE(parsed->rootCause->id, u"SERVICE-1"_s);
    QVERIFY(parsed->rootCause->name.isEmpty());
}

void TestFeedParser::problemShapeErrors_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("message");
    QTest::newRow("no problems") << QByteArray("{\"totalCount\":1}") << u"problems: missing"_s;
    QTest::newRow("problems not an array")
        << QByteArray("{\"problems\":\"none\"}") << u"problems: expected an array"_s;
    QTest::newRow("no start") << QByteArray("{\"problems\":[{\"problemId\":\"x\"}]}")
                              << u"problems[0].startTime: missing"_s;
}

void TestFeedParser::problemShapeErrors()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, message);
    const auto parsed = parseProblemPage(body);
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().kind, ApiError::Kind::UnexpectedShape);
    QCOMPARE(parsed.error().message, message);
}

QTEST_GUILESS_MAIN(TestFeedParser)
#include "tst_feedparser.moc"
