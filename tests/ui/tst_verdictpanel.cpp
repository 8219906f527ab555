#include <QLabel>
#include <QSignalSpy>
#include <QTest>

#include "verdict/verdictpanel.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::ui::VerdictPanel;

class TestVerdictPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsTheOutcomeAndEverySentence()
    {
        VerdictPanel panel;
        panel.show();
        QCOMPARE(panel.badgeText(), u"WAITING FOR DATA"_s);
        QSignalSpy changed(&panel, &VerdictPanel::outcomeChanged);

        const auto fail = verdict::combine({ verdict::judgeFailureRate(62, 500, 40, 5'000),
            verdict::judgeResponseTime({ 410, 420, 405, 415, 430 }, { 120, 118, 125, 121, 119 }) });
        panel.showVerdict(fail);
        QCOMPARE(panel.badgeText(), u"FAIL"_s);
        QCOMPARE(panel.sentences().size(), 2);
        QVERIFY(panel.sentences()[0].startsWith(u"Failure rate: canary 12.4 % (62 of 500 requests)"_s));
        QVERIFY(panel.sentences()[1].startsWith(u"Response time:"_s));
        QCOMPARE(panel.findChild<QLabel *>(u"verdictSummary"_s)->text(), fail.summary);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.at(0).at(0).value<verdict::Outcome>(), verdict::Outcome::Fail);

        // The same outcome again is not a change; one metric fewer drops its line.
        panel.showVerdict(verdict::combine({ verdict::judgeFailureRate(70, 520, 40, 5'100) }));
        QCOMPARE(changed.size(), 1);
        QCOMPARE(panel.sentences().size(), 1);

        panel.showVerdict(verdict::combine({ verdict::judgeFailureRate(2, 500, 20, 5'000) }));
        QCOMPARE(panel.badgeText(), u"PASS"_s);
        QCOMPARE(changed.size(), 2);
    }

    void notEnoughData_andUnavailable_areSaid()
    {
        VerdictPanel panel;
        panel.showVerdict(verdict::combine({ verdict::judgeFailureRate(3, 12, 1, 300) }));
        QCOMPARE(panel.badgeText(), u"NOT ENOUGH DATA"_s);
        QVERIFY(panel.sentences().constFirst().contains(u"not enough data"_s));

        panel.showUnavailable(u"calc:service.failures_by_build does not exist on this tenant"_s);
        QCOMPARE(panel.badgeText(), u"NOT ENOUGH DATA"_s);
        QVERIFY(panel.sentences().isEmpty());
        QCOMPARE(panel.findChild<QLabel *>(u"verdictSummary"_s)->text(),
            u"calc:service.failures_by_build does not exist on this tenant"_s);
    }

    void staleData_isNeverShownAsCurrent()
    {
        VerdictPanel panel;
        panel.showVerdict(verdict::combine({ verdict::judgeFailureRate(62, 500, 40, 5'000) }));
        panel.setStale(true);
        QCOMPARE(panel.badgeText(), u"STALE (last: FAIL)"_s);
        QVERIFY(panel.isStale());
        panel.setStale(false);
        QCOMPARE(panel.badgeText(), u"FAIL"_s);
    }
};

QTEST_MAIN(TestVerdictPanel)
#include "tst_verdictpanel.moc"
