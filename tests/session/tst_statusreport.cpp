#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include "session/statusreport.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary::session;

class TestStatusReport : public QObject
{
    Q_OBJECT

    static Snapshot sample()
    {
        Snapshot snapshot;
        snapshot.fetchedAtMs = 1'700'000'100'000;
        snapshot.resolution = u"1m"_s;
        snapshot.buildDimension = u"Build"_s;
        snapshot.metricSelector = u"calc:x:splitBy(\"Build\"):sum"_s;
        BuildSeries stable { u"1.0.0"_s, false, { 1'700'000'000'000, 1'700'000'060'000 },
            { 90, std::nullopt } };
        BuildSeries other { u"other builds"_s, true, { 1'700'000'000'000, 1'700'000'060'000 },
            { std::nullopt, 10 } };
        snapshot.builds = { stable, other };
        return snapshot;
    }

    static Snapshot withHealth()
    {
        Snapshot snapshot = sample();
        snapshot.hasFailures = true;
        snapshot.hasResponseTime = true;
        // Stable: 90 requests, 2 failed, 120 ms; in the remainder's slot no data at all.
        snapshot.builds[0].failures = { 2, std::nullopt };
        snapshot.builds[0].responseTimeMs = { 120, std::nullopt };
        snapshot.builds[1].failures = { std::nullopt, 5 };
        snapshot.builds[1].responseTimeMs = { std::nullopt, 300 };
        return snapshot;
    }

private Q_SLOTS:
    void json_hasBuildsTotalsAndPointsWithNulls()
    {
        const QByteArray json = statusJson(sample(), u"type(SERVICE)"_s);
        QJsonParseError error;
        const auto document = QJsonDocument::fromJson(json, &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        const auto builds = document[u"builds"_s].toArray();
        QCOMPARE(builds.size(), 2);
        QCOMPARE(builds[0][u"build"_s].toString(), u"1.0.0"_s);
        QCOMPARE(builds[0][u"total"_s].toDouble(), 90.0);
        QCOMPARE(builds[1][u"remainder"_s].toBool(), true);
        const auto points = builds[0][u"points"_s].toArray();
        QCOMPARE(points.size(), 2);
        QCOMPARE(points[0].toArray()[0].toInteger(), 1'700'000'000'000);
        QCOMPARE(points[0].toArray()[1].toDouble(), 90.0);
        QVERIFY(points[1].toArray()[1].isNull());
        QCOMPARE(document[u"resolution"_s].toString(), u"1m"_s);
        QCOMPARE(document[u"buildDimension"_s].toString(), u"Build"_s);
        QCOMPARE(document[u"entitySelector"_s].toString(), u"type(SERVICE)"_s);
        QVERIFY(json.endsWith('\n'));
    }

    void health_inTextAndJson_onlyWhenFetched()
    {
        const QString text = statusText(withHealth(), 1'700'000'100'000);
        QVERIFY(text.contains(u"FAILED"_s));
        QVERIFY(text.contains(u"RESP MS"_s));
        QVERIFY2(text.contains(u"2.2%"_s), qPrintable(text)); // 2 of 90
        QVERIFY(text.contains(u"120"_s));
        QVERIFY(text.contains(u"50.0%"_s)); // 5 of the remainder's 10
        QVERIFY(!statusText(sample(), 1'700'000'100'000).contains(u"FAILED"_s));

        const auto json = QJsonDocument::fromJson(statusJson(withHealth(), u"type(SERVICE)"_s,
            QJsonObject { { u"verdict"_s, QJsonObject { { u"outcome"_s, u"FAIL"_s } } } }));
        const auto stable = json[u"builds"_s][0];
        QCOMPARE(stable[u"failures"_s].toDouble(), 2.0);
        QCOMPARE(stable[u"failureRate"_s].toDouble(), 2.0 / 90);
        QCOMPARE(stable[u"responseTimeMs"_s].toDouble(), 120.0);
        QCOMPARE(stable[u"failurePoints"_s][1][1].type(), QJsonValue::Null);
        QCOMPARE(json[u"verdict"_s][u"outcome"_s].toString(), u"FAIL"_s);
        const auto plain = QJsonDocument::fromJson(statusJson(sample(), u"type(SERVICE)"_s));
        QVERIFY(!plain[u"builds"_s][0].toObject().contains(u"failures"_s));

        Snapshot noted = sample();
        noted.healthNote = u"calc:service.failures_by_build does not exist on this tenant"_s;
        QVERIFY(statusText(noted, 0).contains(noted.healthNote));
        QCOMPARE(
            QJsonDocument::fromJson(statusJson(noted, {}))[u"healthNote"_s].toString(), noted.healthNote);
    }

    void text_listsEveryBuildWithShare()
    {
        const QString text = statusText(sample(), 1'700'000'100'000);
        QVERIFY(text.contains(u"1.0.0"_s));
        QVERIFY(text.contains(u"90.0%"_s));
        QVERIFY(text.contains(u"other builds"_s));
        QVERIFY(text.contains(u"10.0%"_s));
        QVERIFY(!statusText(Snapshot { 1, u"1m"_s, u"Build"_s, {}, {} }, 0).contains(u"nan"_s));
        QVERIFY(statusText(Snapshot { 1, u"1m"_s, u"Build"_s, {}, {} }, 0).contains(u"no requests"_s));
    }
};

QTEST_GUILESS_MAIN(TestStatusReport)
#include "tst_statusreport.moc"
