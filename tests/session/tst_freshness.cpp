#include <QTest>

#include "session/freshness.h"

using namespace Qt::Literals::StringLiterals;
using canary::session::Freshness;

class TestFreshness : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ageText_data()
    {
        QTest::addColumn<qint64>("ageMs");
        QTest::addColumn<QString>("text");
        QTest::newRow("now") << qint64(1'999) << u"just now"_s;
        QTest::newRow("negative (clock skew)") << qint64(-5'000) << u"just now"_s;
        QTest::newRow("seconds") << qint64(12'400) << u"12 s"_s;
        QTest::newRow("59 s") << qint64(59'999) << u"59 s"_s;
        QTest::newRow("minutes") << qint64(3 * 60'000 + 59'000) << u"3 min"_s;
        QTest::newRow("whole hour") << qint64(3'600'000) << u"1 h"_s;
        QTest::newRow("hour and minutes") << qint64(3'600'000 + 5 * 60'000) << u"1 h 5 min"_s;
        QTest::newRow("days") << qint64(2 * 86'400'000 + 3 * 3'600'000) << u"2 d 3 h"_s;
        QTest::newRow("whole day") << qint64(86'400'000) << u"1 d"_s;
    }

    void ageText()
    {
        QFETCH(qint64, ageMs);
        QFETCH(QString, text);
        QCOMPARE(canary::session::ageText(ageMs), text);
    }

    void staleAfterTwoIntervals_neverUnderTenSeconds()
    {
        QCOMPARE(Freshness::staleAfterFor(60'000), 120'000);
        QCOMPARE(Freshness::staleAfterFor(5'000), 10'000);
    }

    void staleness()
    {
        Freshness freshness;
        freshness.staleAfterMs = 10'000;
        QVERIFY(!freshness.hasData());
        QVERIFY(!freshness.isStale(1'000'000)); // nothing shown, nothing stale: it says "waiting"
        freshness.fetchedAtMs = 100'000;
        QCOMPARE(freshness.ageMs(104'000), 4'000);
        QVERIFY(!freshness.isStale(110'000)); // exactly the limit: still fresh
        QVERIFY(freshness.isStale(110'001));
        freshness.fetchedAtMs = 110'000;
        freshness.lastReadFailed = true; // young, but the newest read failed
        QVERIFY(freshness.isStale(110'000));
    }
};

QTEST_GUILESS_MAIN(TestFreshness)
#include "tst_freshness.moc"
