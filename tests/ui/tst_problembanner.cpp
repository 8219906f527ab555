#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include "timeline/problembanner.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using dynatrace::Problem;
using ui::ProblemBanner;

namespace {

constexpr qint64 Now = 1'700'000'000'000;
const QUrl Tenant(u"https://abc12345.live.dynatrace.com"_s);

Problem problem(
    const QString &id, const QString &displayId, qint64 startMs, const QString &status = u"OPEN"_s)
{
    Problem p;
    p.problemId = id;
    p.displayId = displayId;
    p.title = u"Failure rate increase"_s;
    p.status = status;
    p.severityLevel = u"ERROR"_s;
    p.impactLevel = u"SERVICES"_s;
    p.startMs = startMs;
    if (status != u"OPEN"_s)
        p.endMs = startMs + 60'000;
    return p;
}

struct BannerFixture
{
    BannerFixture()
    {
        host.resize(900, 60);
        banner.resize(900, 40);
        host.show();
        open = banner.findChild<QPushButton *>(u"openInDynatrace"_s);
        show = banner.findChild<QPushButton *>(u"showProblem"_s);
        age = banner.findChild<QLabel *>(u"problemAge"_s);
    }

    VirtualClock clock { Now };
    QWidget host;
    ProblemBanner banner { clock, &host };
    QPushButton *open = nullptr;
    QPushButton *show = nullptr;
    QLabel *age = nullptr;
};

} // namespace

class TestProblemBanner : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void hidden_whileNothingIsOpen()
    {
        BannerFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.host));
        QVERIFY(!f.banner.isVisible());
        f.banner.setProblems({});
        QVERIFY(!f.banner.isVisible());
        f.banner.setProblems({ problem(u"-1_1V2"_s, u"P-1"_s, Now - 600'000, u"CLOSED"_s) });
        QVERIFY(!f.banner.isVisible());
        QVERIFY(!f.banner.shownProblem());
    }

    void showsTheNewestOpenProblem_andHowManyMore()
    {
        BannerFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.host));
        auto newest = problem(u"-2_2V2"_s, u"P-230727"_s, Now - 90'000);
        newest.title = u"Response time degradation"_s;
        newest.severityLevel = u"PERFORMANCE"_s;
        f.banner.setProblems({ problem(u"-1_1V2"_s, u"P-230726"_s, Now - 600'000), newest,
            problem(u"-3_3V2"_s, u"P-230728"_s, Now - 10'000, u"CLOSED"_s) });

        QVERIFY(f.banner.isVisible());
        QCOMPARE(f.banner.shownProblem()->problemId, u"-2_2V2"_s);
        QCOMPARE(f.banner.openCount(), 2);
        const QString text = f.banner.text();
        QVERIFY2(text.contains(u"P-230727"_s), qPrintable(text));
        QVERIFY(text.contains(u"Response time degradation"_s));
        QVERIFY(text.contains(u"PERFORMANCE"_s));
        QVERIFY(text.contains(u"open for 1 min 30 s"_s));
        QVERIFY(text.contains(u"+1 more"_s));

        // Only one open: no "more".
        f.banner.setProblems({ problem(u"-1_1V2"_s, u"P-230726"_s, Now - 600'000) });
        QVERIFY(!f.banner.text().contains(u"more"_s));
        QVERIFY(f.banner.text().contains(u"P-230726"_s));
    }

    void age_followsTheClock()
    {
        BannerFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.host));
        f.banner.setProblems({ problem(u"-1_1V2"_s, u"P-1"_s, Now - 5'000) });
        QCOMPARE(f.age->text(), u"open for 5 s"_s);

        f.clock.advanceMs(3 * 3'600'000 + 7 * 60'000);
        f.banner.refreshAge();
        QCOMPARE(f.age->text(), u"open for 3 h 07 min"_s);

        // Left alone, the banner's own timer catches up with the clock within a second.
        f.clock.advanceMs(2 * 86'400'000);
        QTRY_COMPARE(f.age->text(), u"open for 2 d 3 h"_s);
    }

    void ageText_data()
    {
        QTest::addColumn<qint64>("ageMs");
        QTest::addColumn<QString>("expected");
        QTest::newRow("just opened") << qint64(0) << u"open for 0 s"_s;
        QTest::newRow("clock behind the tenant") << qint64(-5'000) << u"open for 0 s"_s;
        QTest::newRow("seconds") << qint64(59'999) << u"open for 59 s"_s;
        QTest::newRow("minutes") << qint64(4 * 60'000 + 5'000) << u"open for 4 min 05 s"_s;
        QTest::newRow("hours") << qint64(3'600'000) << u"open for 1 h 00 min"_s;
        QTest::newRow("days") << qint64(86'400'000 + 3 * 3'600'000) << u"open for 1 d 3 h"_s;
    }

    void ageText()
    {
        QFETCH(qint64, ageMs);
        QFETCH(QString, expected);
        QCOMPARE(ProblemBanner::ageText(ageMs), expected);
    }

    void disappears_whenTheProblemCloses()
    {
        BannerFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.host));
        f.banner.setProblems({ problem(u"-1_1V2"_s, u"P-1"_s, Now - 5'000) });
        QVERIFY(f.banner.isVisible());
        f.banner.setProblems({ problem(u"-1_1V2"_s, u"P-1"_s, Now - 5'000, u"CLOSED"_s) });
        QVERIFY(!f.banner.isVisible());
        QVERIFY(!f.banner.shownProblem());
        QCOMPARE(f.banner.problemUrl(), QUrl());
    }

    void openInDynatrace_emitsTheProblemsUrl()
    {
        BannerFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.host));
        f.banner.setProblems({ problem(u"-813_1604628540000V2"_s, u"P-230726"_s, Now - 5'000) });
        // Without a way to build the link there is nothing to open.
        QVERIFY(!f.open->isEnabled());

        f.banner.setProblemUrl([](const Problem &p) {
            return QUrl(Tenant.toString() + u"/#problems/problemdetails;pid="_s + p.problemId);
        });
        QVERIFY(f.open->isEnabled());
        QSignalSpy opened(&f.banner, &ProblemBanner::openRequested);
        QTest::mouseClick(f.open, Qt::LeftButton);
        QCOMPARE(opened.count(), 1);
        const QUrl url = opened.first().first().toUrl();
        QCOMPARE(url.toString(),
            u"https://abc12345.live.dynatrace.com/#problems/problemdetails;pid=-813_1604628540000V2"_s);
    }

    void showInTimeline_emitsTheProblemId()
    {
        BannerFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.host));
        f.banner.setProblems({ problem(u"-813_1604628540000V2"_s, u"P-230726"_s, Now - 5'000) });
        QSignalSpy shown(&f.banner, &ProblemBanner::showRequested);
        QTest::mouseClick(f.show, Qt::LeftButton);
        QCOMPARE(shown.count(), 1);
        QCOMPARE(shown.first().first().toString(), u"-813_1604628540000V2"_s);
    }

    void aProblemTitle_isText_notMarkup()
    {
        BannerFixture f;
        auto p = problem(u"-1_1V2"_s, u"P-1"_s, Now - 5'000);
        p.title = u"<img src=x> broke"_s;
        f.banner.setProblems({ p });
        const auto *title = f.banner.findChild<QLabel *>(u"problemTitle"_s);
        QCOMPARE(title->textFormat(), Qt::PlainText);
        QVERIFY(title->text().contains(u"<img src=x> broke"_s));
    }
};

QTEST_MAIN(TestProblemBanner)
#include "tst_problembanner.moc"
