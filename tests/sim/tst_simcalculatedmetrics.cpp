#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include "sim/simserver.h"
#include "simtenant.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::World;
using canary::testing::SimTenant;
using canary::testing::TenantAnswer;

namespace {

const QString ConfigPath = u"/api/config/v1/calculatedMetrics/service"_s;
constexpr qint64 MinuteMs = 60'000;

struct MetricBody
{
    QString key = u"calc:service.requests_by_build_v2"_s;
    QString name = u"Requests by build"_s;
    QString metric = u"REQUEST_COUNT"_s;
    QString entityId; // empty: the world's service
    QString dimension = u"Build"_s;
    QString attribute = u"APPLICATION_BUILD_VERSION"_s;

    QJsonObject json(const SimTenant &tenant) const
    {
        const QJsonObject placeholder { { u"name"_s, dimension }, { u"attribute"_s, attribute },
            { u"kind"_s, u"ORIGINAL_TEXT"_s }, { u"normalization"_s, u"ORIGINAL"_s } };
        return QJsonObject {
            { u"tsmMetricKey"_s, key },
            { u"name"_s, name },
            { u"enabled"_s, true },
            { u"unit"_s, u"COUNT"_s },
            { u"metricDefinition"_s, QJsonObject { { u"metric"_s, metric } } },
            { u"entityId"_s, entityId.isEmpty() ? tenant.environment->serviceId() : entityId },
            { u"dimensionDefinition"_s,
                QJsonObject { { u"name"_s, dimension }, { u"dimension"_s, QString(u'{' + dimension + u'}') },
                    { u"topX"_s, 20 }, { u"topXDirection"_s, u"DESCENDING"_s },
                    { u"topXAggregation"_s, u"SUM"_s }, { u"placeholders"_s, QJsonArray { placeholder } } } },
        };
    }
    QByteArray bytes(const SimTenant &tenant) const { return QJsonDocument(json(tenant)).toJson(); }
};

QByteArray without(QJsonObject body, const QString &field)
{
    body.remove(field);
    return QJsonDocument(body).toJson();
}

// The violation of `answer` at `path`, or an empty object.
QJsonObject violationAt(const TenantAnswer &answer, const QString &path)
{
    for (const QJsonValue violation : answer.envelope().value(u"constraintViolations"_s).toArray()) {
        if (violation[u"path"_s].toString() == path)
            return violation.toObject();
    }
    return {};
}

TenantAnswer query(SimTenant &tenant, const QString &selector, const QString &from, const QString &resolution)
{
    return tenant.get(u"/api/v2/metrics/query"_s,
        { { u"metricSelector"_s, selector }, { u"from"_s, from }, { u"resolution"_s, resolution } });
}

} // namespace

class TestSimCalculatedMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void create_answers201_andTheMetricIsListedAndDescribed()
    {
        SimTenant tenant;
        MetricBody body;
        body.dimension = u"Release build"_s;
        const TenantAnswer created = tenant.post(ConfigPath, body.bytes(tenant));
        QCOMPARE(created.status, 201);
        QCOMPARE(
            created.json(), (QJsonObject { { u"id"_s, body.key }, { u"name"_s, u"Requests by build"_s } }));

        const TenantAnswer list = tenant.get(ConfigPath);
        QCOMPARE(list.status, 200);
        QStringList ids;
        for (const QJsonValue value : list.list(u"values"_s))
            ids.append(value[u"id"_s].toString());
        QVERIFY2(ids.contains(body.key), qPrintable(ids.join(u' ')));
        QVERIFY(ids.contains(u"calc:service.requests_by_build"_s)); // the workshop's, still there

        // The dimension key is the name the creator gave the dimension.
        const TenantAnswer descriptor = tenant.get(u"/api/v2/metrics/"_s + body.key);
        QCOMPARE(descriptor.status, 200);
        const QJsonArray dimensions = descriptor.json()[u"dimensionDefinitions"_s].toArray();
        QCOMPARE(dimensions.size(), 2);
        QCOMPARE(dimensions[1][u"key"_s].toString(), u"Release build"_s);
        QCOMPARE(descriptor.json()[u"created"_s].toInteger(), tenant.now());
        QVERIFY(descriptor.json()[u"lastWritten"_s].isNull());
    }

    void createdMetric_hasDataFromCreationOnly_noBackfill()
    {
        SimTenant tenant;
        tenant.world().setCanaryWeight(30);
        tenant.clock.advanceMs(10 * MinuteMs);
        const qint64 createdAt = tenant.now(); // a whole minute
        QCOMPARE(tenant.post(ConfigPath, MetricBody().bytes(tenant)).status, 201);
        tenant.clock.advanceMs(5 * MinuteMs);

        const TenantAnswer answer = query(
            tenant, u"calc:service.requests_by_build_v2:splitBy(\"Build\"):sum"_s, u"now-15m"_s, u"1m"_s);
        QCOMPARE(answer.status, 200);
        const QJsonArray series = answer.json()[u"result"_s][0][u"data"_s].toArray();
        QCOMPARE(series.size(), 2);
        int slotsAfter = 0;
        for (const QJsonValue tuple : series) {
            const QString build = tuple[u"dimensionMap"_s][u"Build"_s].toString();
            const World::BuildRole role = build == tenant.environment->stableBuild()
                ? World::BuildRole::Stable
                : World::BuildRole::Canary;
            const QJsonArray timestamps = tuple[u"timestamps"_s].toArray();
            const QJsonArray values = tuple[u"values"_s].toArray();
            QCOMPARE(timestamps.size(), 15);
            for (qsizetype i = 0; i < timestamps.size(); ++i) {
                const qint64 slotEnd = timestamps[i].toInteger();
                if (slotEnd <= createdAt) {
                    QVERIFY2(values[i].isNull(), qPrintable(u"%1 at %2"_s.arg(build).arg(slotEnd)));
                    continue;
                }
                const auto expected = tenant.world().totals(role, slotEnd - MinuteMs, slotEnd).requests;
                QCOMPARE(values[i].toDouble(), double(expected));
                ++slotsAfter;
            }
        }
        QCOMPARE(slotsAfter, 2 * 5);

        // The workshop's metric over the same window has the earlier data: only the new one starts empty.
        const TenantAnswer existing = query(
            tenant, u"calc:service.requests_by_build:splitBy(\"Build\"):sum"_s, u"now-15m"_s, u"1m"_s);
        const QJsonArray earlier = existing.json()[u"result"_s][0][u"data"_s][0][u"values"_s].toArray();
        QVERIFY(!earlier.at(0).isNull());
        QVERIFY(tenant.get(u"/api/v2/metrics/calc:service.requests_by_build_v2"_s)
                    .json()[u"lastWritten"_s]
                    .toInteger()
            > createdAt);
    }

    void releaseAttribute_andCustomDimensionKey()
    {
        SimTenant tenant;
        tenant.world().setCanaryWeight(50);
        MetricBody body;
        body.key = u"calc:service.requests_by_release"_s;
        body.dimension = u"Version"_s;
        body.attribute = u"APPLICATION_RELEASE_VERSION"_s;
        QCOMPARE(tenant.post(ConfigPath, body.bytes(tenant)).status, 201);
        tenant.clock.advanceMs(3 * MinuteMs);

        const TenantAnswer answer = query(
            tenant, u"calc:service.requests_by_release:splitBy(\"Version\"):sum"_s, u"now-3m"_s, u"Inf"_s);
        QCOMPARE(answer.status, 200);
        QStringList versions;
        for (const QJsonValue tuple : answer.json()[u"result"_s][0][u"data"_s].toArray())
            versions.append(tuple[u"dimensionMap"_s][u"Version"_s].toString());
        versions.sort();
        QCOMPARE(versions, (QStringList { u"1.0.0"_s, u"4.0.0"_s }));

        // "Build" is not a dimension of this metric.
        const TenantAnswer wrong = query(
            tenant, u"calc:service.requests_by_release:splitBy(\"Build\"):sum"_s, u"now-3m"_s, u"Inf"_s);
        QCOMPARE(wrong.status, 400);
        QVERIFY2(wrong.body.contains("Version"), wrong.body.constData());
    }

    void badBodies_areConstraintViolations_data()
    {
        QTest::addColumn<QString>("field"); // removed from the body, or "key:<value>", "entityId:<value>"
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("message");
        QTest::newRow("no key") << u"tsmMetricKey"_s << u"tsmMetricKey"_s << u"must not be null"_s;
        QTest::newRow("key prefix") << u"key:builtin:service.mine"_s << u"tsmMetricKey"_s
                                    << u"must start with 'calc:service.'"_s;
        QTest::newRow("no name") << u"name"_s << u"name"_s << u"must not be null"_s;
        QTest::newRow("no definition")
            << u"metricDefinition"_s << u"metricDefinition"_s << u"must not be null"_s;
        QTest::newRow("unknown entity")
            << u"entityId:SERVICE-0000000000000000"_s << u"entityId"_s << u"SERVICE-0000000000000000"_s;
        QTest::newRow("existing key")
            << u"key:calc:service.requests_by_build"_s << u"tsmMetricKey"_s << u"already exists"_s;
    }

    void badBodies_areConstraintViolations()
    {
        QFETCH(QString, field);
        QFETCH(QString, path);
        QFETCH(QString, message);
        SimTenant tenant;
        MetricBody body;
        QByteArray bytes;
        if (field.startsWith(u"key:"_s)) {
            body.key = field.mid(4);
            bytes = body.bytes(tenant);
        } else if (field.startsWith(u"entityId:"_s)) {
            body.entityId = field.mid(9);
            bytes = body.bytes(tenant);
        } else {
            bytes = without(body.json(tenant), field);
        }
        const TenantAnswer answer = tenant.post(ConfigPath, bytes);
        QCOMPARE(answer.status, 400);
        // The shape of tests/data/dynatrace/error_400_constraint_violation.json.
        QCOMPARE(answer.envelope()[u"code"_s].toInt(), 400);
        QCOMPARE(answer.envelope()[u"message"_s].toString(), u"Constraints violated."_s);
        const QJsonObject violation = violationAt(answer, path);
        QVERIFY2(violation[u"message"_s].toString().contains(message), answer.body.constData());
        QCOMPARE(violation[u"parameterLocation"_s].toString(), u"PAYLOAD_BODY"_s);
        QVERIFY(violation.contains(u"location"_s));
        // Nothing was created.
        if (!field.startsWith(u"key:calc"_s))
            QCOMPARE(tenant.get(u"/api/v2/metrics/"_s + body.key).status, 404);
    }

    void secondCreate_ofTheSameKey_isRefused()
    {
        SimTenant tenant;
        QCOMPARE(tenant.post(ConfigPath, MetricBody().bytes(tenant)).status, 201);
        const TenantAnswer again = tenant.post(ConfigPath, MetricBody().bytes(tenant));
        QCOMPARE(again.status, 400);
        QVERIFY(violationAt(again, u"tsmMetricKey"_s)[u"message"_s].toString().contains(u"already exists"_s));
    }

    void notJson_isRefused()
    {
        SimTenant tenant;
        const TenantAnswer answer = tenant.post(ConfigPath, "{\"tsmMetricKey\":");
        QCOMPARE(answer.status, 400);
        QVERIFY(answer.envelope()[u"message"_s].toString().contains(u"Could not map JSON"_s));
    }

    void scopes_writeConfigToCreate_readConfigToList_entitiesRead()
    {
        SimTenant tenant;
        tenant.environment->server().addToken(u"dt0c01.READER.SECRET"_s, { u"metrics.read"_s });
        tenant.environment->server().addToken(
            u"dt0c01.WRITER.SECRET"_s, { u"WriteConfig"_s, u"ReadConfig"_s, u"entities.read"_s });

        TenantAnswer answer
            = tenant.send("POST", ConfigPath, {}, MetricBody().bytes(tenant), u"dt0c01.READER.SECRET"_s);
        QCOMPARE(answer.status, 403);
        QVERIFY2(answer.envelope()[u"message"_s].toString().contains(u"WriteConfig (Write configuration)"_s),
            answer.body.constData());
        answer = tenant.get(ConfigPath, {}, u"dt0c01.READER.SECRET"_s);
        QCOMPARE(answer.status, 403);
        QVERIFY(answer.envelope()[u"message"_s].toString().contains(u"ReadConfig"_s));
        answer = tenant.get(u"/api/v2/entities"_s, { { u"entitySelector"_s, u"type(SERVICE)"_s } },
            u"dt0c01.READER.SECRET"_s);
        QCOMPARE(answer.status, 403);
        QVERIFY(answer.envelope()[u"message"_s].toString().contains(u"entities.read"_s));

        QCOMPARE(
            tenant.send("POST", ConfigPath, {}, MetricBody().bytes(tenant), u"dt0c01.WRITER.SECRET"_s).status,
            201);
        QCOMPARE(tenant.get(ConfigPath, {}, u"dt0c01.WRITER.SECRET"_s).status, 200);
        // The token that holds every scope has these too.
        QVERIFY(
            tenant.environment->server().scopesOf(tenant.environment->token())->contains(u"WriteConfig"_s));
    }

    void entities_listTheServicesASelectorMatches()
    {
        sim::WorldConfig world;
        world.otherServices.append({ u"SERVICE-00000000000000AA"_s, u"simplenodeservice.production"_s,
            { u"[Environment]DT_RELEASE_PRODUCT:simplenodeservice"_s } });
        SimTenant tenant(world);

        TenantAnswer answer = tenant.get(u"/api/v2/entities"_s,
            { { u"entitySelector"_s,
                u"type(SERVICE),tag(\"[Environment]DT_RELEASE_STAGE:canary-jenkins\")"_s } });
        QCOMPARE(answer.status, 200);
        QCOMPARE(answer.json()[u"totalCount"_s].toInt(), 1);
        QCOMPARE(answer.json()[u"pageSize"_s].toInt(), 50);
        const QJsonObject entity = answer.list(u"entities"_s).at(0).toObject();
        QCOMPARE(entity,
            (QJsonObject { { u"entityId"_s, tenant.environment->serviceId() }, { u"type"_s, u"SERVICE"_s },
                { u"displayName"_s, tenant.environment->serviceName() } }));

        answer = tenant.get(u"/api/v2/entities"_s,
            { { u"entitySelector"_s,
                u"type(SERVICE),tag(\"[Environment]DT_RELEASE_PRODUCT:simplenodeservice\")"_s } });
        QCOMPARE(answer.json()[u"totalCount"_s].toInt(), 2);

        answer = tenant.get(u"/api/v2/entities"_s, { { u"entitySelector"_s, u"type(SERVICE),tag(nope)"_s } });
        QCOMPARE(answer.status, 200);
        QCOMPARE(answer.list(u"entities"_s).size(), 0);

        QCOMPARE(tenant.get(u"/api/v2/entities"_s).status, 400);
        answer = tenant.get(u"/api/v2/entities"_s, { { u"entitySelector"_s, u"tag(x"_s } });
        QCOMPARE(answer.status, 400);
        QCOMPARE(answer.violation()[u"path"_s].toString(), u"entitySelector"_s);

        // A metric on the service without traffic exists, but has nothing to show.
        MetricBody body;
        body.entityId = u"SERVICE-00000000000000AA"_s;
        QCOMPARE(tenant.post(ConfigPath, body.bytes(tenant)).status, 201);
        tenant.clock.advanceMs(2 * MinuteMs);
        answer = query(tenant, body.key + u":splitBy(\"Build\"):sum"_s, u"now-2m"_s, u"Inf"_s);
        QCOMPARE(answer.status, 200);
        QCOMPARE(answer.json()[u"result"_s][0][u"data"_s].toArray().size(), 0);
    }

    void freshTenant_hasNoWorkshopMetric_untilItIsCreated()
    {
        SimTenant tenant({}, 0, 0, false);
        tenant.clock.advanceMs(MinuteMs);
        const QString key = u"calc:service.requests_by_build"_s;
        QCOMPARE(tenant.get(u"/api/v2/metrics/"_s + key).status, 404);
        QCOMPARE(query(tenant, key, u"now-1m"_s, u"Inf"_s).status, 404);
        QCOMPARE(tenant.get(ConfigPath).list(u"values"_s).size(), 0);
        // The built-in metrics are there all the same.
        QCOMPARE(tenant.get(u"/api/v2/metrics/builtin:service.requestCount.total"_s).status, 200);

        MetricBody body;
        body.key = key;
        QCOMPARE(tenant.post(ConfigPath, body.bytes(tenant)).status, 201);
        QCOMPARE(tenant.get(u"/api/v2/metrics/"_s + key).status, 200);
        QCOMPARE(tenant.get(ConfigPath).list(u"values"_s).size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestSimCalculatedMetrics)
#include "tst_simcalculatedmetrics.moc"
