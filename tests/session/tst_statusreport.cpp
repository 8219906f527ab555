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
