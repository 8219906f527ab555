#include <QJsonObject>
#include <QTest>

#include "store/auditlog.h"
#include "traffic/guardrails.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using traffic::GuardConditions;
using traffic::GuardDecision;
using traffic::GuardRailPolicy;
using traffic::GuardRails;
using Kind = GuardDecision::Block::Kind;

namespace {

// 2026-11-26 10:37:13 UTC: the last increase in the cool-down cases, so the next is allowed at 10:42:13.
const qint64 LastIncreaseMs = QDateTime(QDate(2026, 11, 26), QTime(10, 37, 13), Qt::UTC).toMSecsSinceEpoch();
constexpr qint64 Minute = 60'000;
constexpr qint64 NoIncrease = -1;

enum Condition { None = 0, Problem = 1, Stale = 2, Fail = 4 };

GuardConditions conditionsOf(int which)
{
    GuardConditions conditions;
    conditions.problemOpen = which & Problem;
    conditions.problemId = u"P-123"_s;
    conditions.problemTitle = u"Failure rate increase"_s;
    conditions.dataStale = which & Stale;
    conditions.verdictFail = which & Fail;
    conditions.verdictSentence = u"failure rate 4.1 % vs 0.2 % (p < 0.001)"_s;
    return conditions;
}

QList<int> kindsOf(const GuardDecision &decision)
{
    QList<int> kinds;
    for (const auto &block : decision.blocks)
        kinds.append(int(block.kind));
    return kinds;
}

store::AuditEntry splitSet(qint64 atMs, std::optional<int> from, int to,
    store::AuditResult result = store::AuditResult::Succeeded, const QString &action = u"split.set"_s)
{
    store::AuditEntry entry;
    entry.atMs = atMs;
    entry.action = action;
    entry.result = result;
    entry.detail.insert(u"to"_s, QJsonObject { { u"stable"_s, 100 - to }, { u"canary"_s, to } });
    if (from)
        entry.detail.insert(u"from"_s, QJsonObject { { u"stable"_s, 100 - *from }, { u"canary"_s, *from } });
    return entry;
}

} // namespace

class TestGuardRails : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaults()
    {
        const GuardRailPolicy policy;
        QCOMPARE(policy.maxStepUpPercent, 25);
        QCOMPARE(policy.minMsBetweenIncreases, 5 * Minute);
        QVERIFY(policy.freezeOnOpenProblem);
        QVERIFY(policy.freezeOnStale);
        QVERIFY(policy.freezeOnFail);
        QVERIFY(policy.enabled);
    }

    void check_data()
    {
        QTest::addColumn<int>("from");
        QTest::addColumn<int>("to");
        QTest::addColumn<qint64>("lastIncreaseAgoMs"); // NoIncrease: none known
        QTest::addColumn<int>("conditions");
        QTest::addColumn<bool>("allowed");
        QTest::addColumn<QList<int>>("kinds");
        QTest::addColumn<int>("maxAllowed");

        const QList<int> none;
        const auto step = int(Kind::StepTooLarge);
        const auto cool = int(Kind::CoolDown);
        const auto problem = int(Kind::OpenProblem);
        const auto stale = int(Kind::StaleData);
        const auto fail = int(Kind::VerdictFail);

        QTest::newRow("+25 exactly") << 0 << 25 << NoIncrease << int(None) << true << none << 25;
        QTest::newRow("+26") << 0 << 26 << NoIncrease << int(None) << false << QList { step } << 25;
        QTest::newRow("+25 from 30") << 30 << 55 << NoIncrease << int(None) << true << none << 55;
        QTest::newRow("to 100 near the top") << 80 << 100 << NoIncrease << int(None) << true << none << 100;
        QTest::newRow("cool-down over exactly") << 10 << 20 << 5 * Minute << int(None) << true << none << 35;
        QTest::newRow("cool-down 1 ms short")
            << 10 << 20 << 5 * Minute - 1 << int(None) << false << QList { cool } << 10;
        QTest::newRow("cool-down long over") << 10 << 20 << 60 * Minute << int(None) << true << none << 35;
        QTest::newRow("open problem")
            << 10 << 20 << NoIncrease << int(Problem) << false << QList { problem } << 10;
        QTest::newRow("stale") << 10 << 20 << NoIncrease << int(Stale) << false << QList { stale } << 10;
        QTest::newRow("FAIL") << 10 << 20 << NoIncrease << int(Fail) << false << QList { fail } << 10;
        QTest::newRow("everything at once") << 10 << 60 << 2 * Minute << int(Problem | Stale | Fail) << false
                                            << QList { step, cool, problem, stale, fail } << 10;
        QTest::newRow("step and stale")
            << 0 << 50 << NoIncrease << int(Stale) << false << QList { step, stale } << 0;
        // Taking traffic away is never blocked, however frozen things are.
        QTest::newRow("decrease, everything frozen")
            << 60 << 10 << qint64(1) << int(Problem | Stale | Fail) << true << none << 60;
        QTest::newRow("rollback to 0, everything frozen")
            << 100 << 0 << qint64(0) << int(Problem | Stale | Fail) << true << none << 100;
        QTest::newRow("no change, everything frozen")
            << 30 << 30 << qint64(1) << int(Problem | Stale | Fail) << true << none << 30;
        QTest::newRow("decrease, nothing frozen")
            << 60 << 10 << NoIncrease << int(None) << true << none << 85;
    }

    void check()
    {
        QFETCH(int, from);
        QFETCH(int, to);
        QFETCH(qint64, lastIncreaseAgoMs);
        QFETCH(int, conditions);
        QFETCH(bool, allowed);
        QFETCH(QList<int>, kinds);
        QFETCH(int, maxAllowed);

        VirtualClock clock(LastIncreaseMs);
        GuardRails rails(clock);
        if (lastIncreaseAgoMs != NoIncrease) {
            rails.recordApplied(0, 5);
            clock.advanceMs(lastIncreaseAgoMs);
        }
        const GuardDecision decision = rails.check(from, to, conditionsOf(conditions));
        QCOMPARE(kindsOf(decision), kinds);
        QCOMPARE(decision.allowed, allowed);
        QCOMPARE(decision.maxAllowedPercent, maxAllowed);
        QCOMPARE(decision.reasons().size(), kinds.size());
        QCOMPARE(decision.isBlockedBy(Kind::CoolDown), kinds.contains(int(Kind::CoolDown)));
    }

    void reasons_nameTheNumbers()
    {
        VirtualClock clock(LastIncreaseMs);
        GuardRails rails(clock);
        rails.recordApplied(10, 20);
        clock.advanceMs(2 * Minute + 10'000);
        const GuardDecision decision = rails.check(20, 60, conditionsOf(Problem | Stale | Fail));
        QCOMPARE(decision.reasons(),
            QStringList({
                u"step of +40 points exceeds the maximum of +25 (20 % to 60 %)"_s,
                u"last increase 2 min 10 s ago; increases need 5 min between them (next allowed at "
                "10:42:13 UTC)"_s,
                u"problem P-123 \"Failure rate increase\" is open"_s,
                u"data is stale"_s,
                u"verdict is FAIL: failure rate 4.1 % vs 0.2 % (p < 0.001)"_s,
            }));
        QCOMPARE(decision.nextIncreaseAtMs, std::optional<qint64>(LastIncreaseMs + 5 * Minute));
    }

    void reasons_withoutDetails()
    {
        VirtualClock clock(LastIncreaseMs);
        GuardRails rails(clock);
        GuardConditions conditions;
        conditions.problemOpen = conditions.dataStale = conditions.verdictFail = true;
        QCOMPARE(rails.check(0, 10, conditions).reasons(),
            QStringList({ u"a problem is open on the target"_s, u"data is stale"_s, u"verdict is FAIL"_s }));
        conditions.problemId = u"P-7"_s;
        conditions.otherOpenProblems = 2;
        conditions.staleDetail = u"the metrics query failed: HTTP 503"_s;
        QCOMPARE(rails.check(0, 10, conditions).reasons().mid(0, 2),
            QStringList({ u"problem P-7 is open (and 2 more)"_s,
                u"data is stale: the metrics query failed: HTTP 503"_s }));
    }

    void policy_switchesEachRuleOff()
    {
        VirtualClock clock(LastIncreaseMs);
        GuardRails rails(clock);
        rails.recordApplied(0, 10);
        const GuardConditions everything = conditionsOf(Problem | Stale | Fail);

        GuardRailPolicy policy;
        policy.freezeOnOpenProblem = false;
        policy.freezeOnStale = false;
        policy.freezeOnFail = false;
        policy.minMsBetweenIncreases = 0;
        policy.maxStepUpPercent = 100;
        rails.setPolicy(policy);
        QVERIFY(rails.check(10, 100, everything).allowed);
        QCOMPARE(rails.check(10, 100, everything).maxAllowedPercent, 100);
        QCOMPARE(rails.check(10, 100, everything).nextIncreaseAtMs, std::nullopt);

        policy = {};
        policy.enabled = false;
        rails.setPolicy(policy);
        const GuardDecision off = rails.check(0, 100, everything);
        QVERIFY(off.allowed);
        QVERIFY(off.blocks.empty());
        QCOMPARE(off.maxAllowedPercent, 100);

        policy = {};
        policy.maxStepUpPercent = 10;
        policy.minMsBetweenIncreases = 90'000;
        rails.setPolicy(policy);
        clock.advanceMs(30'000);
        QCOMPARE(rails.check(10, 30, {}).reasons(),
            QStringList({ u"step of +20 points exceeds the maximum of +10 (10 % to 30 %)"_s,
                u"last increase 30 s ago; increases need 1 min 30 s between them (next allowed at 10:38:43 "
                "UTC)"_s }));
    }

    void checkRamp_refusesAPlanThatWouldBreakTheRules()
    {
        VirtualClock clock(1'000'000);
        GuardRails rails(clock); // +25 at most, 5 min between increases
        // The workshop's ramp 30 -> 70 -> 100 with 2-minute pauses: three rules broken at once.
        auto decision = rails.checkRamp(0, { 30, 70, 100 }, 2 * Minute, {});
        QVERIFY(!decision.allowed);
        QCOMPARE(decision.reasons(),
            (QStringList { u"step of +30 points exceeds the maximum of +25 (0 % to 30 %)"_s,
                u"ramp step 2 (30 % to 70 %) is +40 points, more than the maximum of +25"_s,
                u"ramp step 3 (70 % to 100 %) is +30 points, more than the maximum of +25"_s,
                u"the ramp pauses 2 min between steps; increases need 5 min between them"_s }));
        // Small steps, long pauses: allowed; exactly at the limits too.
        QVERIFY(rails.checkRamp(0, { 25, 50, 75, 100 }, 5 * Minute, {}).allowed);
        QVERIFY(!rails.checkRamp(0, { 25, 50 }, 5 * Minute - 1, {}).allowed);
        // One step only: no pause to check.
        QVERIFY(rails.checkRamp(0, { 10 }, 0, {}).allowed);
        // A freeze refuses the whole ramp; the guard-rails off allow anything.
        GuardConditions problem;
        problem.problemOpen = true;
        QVERIFY(rails.checkRamp(0, { 10 }, 0, problem).isBlockedBy(Kind::OpenProblem));
        // Started where traffic already is, it still raises the share later: the freeze refuses it.
        const auto fromHere = rails.checkRamp(25, { 25, 50 }, 5 * Minute, problem);
        QVERIFY(!fromHere.allowed);
        QVERIFY(fromHere.isBlockedBy(Kind::OpenProblem));
        QVERIFY(rails.checkRamp(25, { 25, 50 }, 5 * Minute, {}).allowed);
        // Only decreases: nothing to refuse.
        QVERIFY(rails.checkRamp(50, { 25, 0 }, 0, problem).allowed);
        GuardRailPolicy off;
        off.enabled = false;
        QVERIFY(GuardRails(clock, off).checkRamp(0, { 100 }, 0, problem).allowed);
    }

    void freezes_areTheConditionsAlone()
    {
        VirtualClock clock(1'000'000);
        GuardRails rails(clock);
        rails.recordApplied(0, 25); // a cool-down is not a freeze
        QVERIFY(rails.freezes({}).isEmpty());
        GuardConditions conditions;
        conditions.dataStale = true;
        conditions.verdictFail = true;
        QCOMPARE(rails.freezes(conditions), (QStringList { u"data is stale"_s, u"verdict is FAIL"_s }));
        GuardRailPolicy policy;
        policy.freezeOnFail = false;
        rails.setPolicy(policy);
        QCOMPARE(rails.freezes(conditions), QStringList { u"data is stale"_s });
    }

    void recordApplied_onlyIncreasesStartTheCoolDown()
    {
        VirtualClock clock(LastIncreaseMs);
        GuardRails rails(clock);
        QCOMPARE(rails.lastIncreaseAtMs(), std::nullopt);
        rails.recordApplied(30, 10);
        rails.recordApplied(10, 10);
        QCOMPARE(rails.lastIncreaseAtMs(), std::nullopt);
        QVERIFY(rails.check(10, 20, {}).allowed);

        rails.recordApplied(10, 20);
        QCOMPARE(rails.lastIncreaseAtMs(), std::optional<qint64>(LastIncreaseMs));
        clock.advanceMs(Minute);
        rails.recordApplied(20, 0); // a rollback neither starts nor ends the cool-down
        QCOMPARE(rails.lastIncreaseAtMs(), std::optional<qint64>(LastIncreaseMs));
        QVERIFY(rails.check(0, 10, {}).isBlockedBy(Kind::CoolDown));
        QVERIFY(rails.check(20, 0, {}).allowed);

        rails.setLastIncreaseAtMs(std::nullopt);
        QVERIFY(rails.check(0, 10, {}).allowed);
        // An increase stamped after "now" (a clock elsewhere ahead of this one) holds as if just made.
        rails.setLastIncreaseAtMs(clock.nowMs() + Minute);
        const GuardDecision ahead = rails.check(0, 10, {});
        QVERIFY(ahead.isBlockedBy(Kind::CoolDown));
        QVERIFY(ahead.reasons().constFirst().startsWith(u"last increase 0 s ago"_s));
    }

    void override_data()
    {
        QTest::addColumn<QString>("reason");
        QTest::addColumn<bool>("allowed");
        QTest::addColumn<QString>("refusal");

        const QString tooShort = u"the override reason \"%1\" is too short: write at least 3 words and 15 "
                                 "characters saying why the guard-rails do not apply this time"_s;
        const QString missing
            = u"an override needs a reason: say why the guard-rails do not apply this time"_s;
        QTest::newRow("empty") << QString() << false << missing;
        QTest::newRow("blank") << u" \t\n "_s << false << missing;
        QTest::newRow("one word") << u"override"_s << false << tooShort.arg(u"override"_s);
        QTest::newRow("long single word")
            << u"hotfixverifiedinstaging"_s << false << tooShort.arg(u"hotfixverifiedinstaging"_s);
        QTest::newRow("three short words") << u"ok ok ok"_s << false << tooShort.arg(u"ok ok ok"_s);
        QTest::newRow("padding does not count")
            << u"   go   go    now   "_s << false << tooShort.arg(u"go go now"_s);
        QTest::newRow("enough") << u"hotfix verified in staging"_s << true << QString();
        QTest::newRow("exactly 15 characters, 3 words") << u"abcde fghij klm"_s << true << QString();
        QTest::newRow("14 characters") << u"abcde fghij kl"_s << false << tooShort.arg(u"abcde fghij kl"_s);
        // Escapes and invisible characters are not a reason, and the refusal does not echo them.
        QTest::newRow("terminal escapes") << u"\x1b[8m \x1b[8m \x1b[8m \x1b[8m \x1b[8m"_s << false << missing;
        QTest::newRow("a title set by OSC") << u"\x1b]0;pwned\x07ok"_s << false << tooShort.arg(u"ok"_s);
        QTest::newRow("zero-width spaces")
            << u"\u200b\u200b\u200b\u200b\u200b \u200b\u200b\u200b\u200b\u200b \u200b\u200b\u200b\u200b\u200b"_s
            << false << missing;
    }

    void override()
    {
        QFETCH(QString, reason);
        QFETCH(bool, allowed);
        QFETCH(QString, refusal);
        QCOMPARE(GuardRails::overrideAllowed(reason), allowed);
        QCOMPARE(GuardRails::overrideRefusal(reason), refusal);
    }

    void normalisedOverrideReason_isOneLine()
    {
        QCOMPARE(GuardRails::normalisedOverrideReason(u"  incident 42:\n  fix verified\tby QA  "_s),
            u"incident 42: fix verified by QA"_s);
    }

    void describeDuration_data()
    {
        QTest::addColumn<qint64>("ms");
        QTest::addColumn<QString>("text");
        QTest::newRow("0") << qint64(0) << u"0 s"_s;
        QTest::newRow("under a second") << qint64(999) << u"0 s"_s;
        QTest::newRow("45 s") << qint64(45'000) << u"45 s"_s;
        QTest::newRow("5 min") << 5 * Minute << u"5 min"_s;
        QTest::newRow("4 min 59 s") << 5 * Minute - 1 << u"4 min 59 s"_s;
        QTest::newRow("1 h 5 min") << 65 * Minute + 7'000 << u"1 h 5 min"_s;
        QTest::newRow("2 h") << 120 * Minute << u"2 h"_s;
        QTest::newRow("negative") << qint64(-5) << u"0 s"_s;
    }

    void describeDuration()
    {
        QFETCH(qint64, ms);
        QFETCH(QString, text);
        QCOMPARE(GuardRails::describeDuration(ms), text);
    }

    void lastIncreaseInAudit()
    {
        using store::AuditResult;
        QCOMPARE(traffic::lastIncreaseInAudit({}), std::nullopt);
        const QList<store::AuditEntry> entries {
            splitSet(1'000, 0, 10),
            splitSet(2'000, 10, 20),
            splitSet(3'000, 20, 5), // a decrease
            splitSet(4'000, std::nullopt, 30), // nothing known moved: no "from"
            splitSet(5'000, 5, 40, AuditResult::Failed),
            splitSet(6'000, std::nullopt, 40, AuditResult::Requested),
            splitSet(7'000, 5, 90, AuditResult::Succeeded, u"rollback.finish"_s),
        };
        QCOMPARE(traffic::lastIncreaseInAudit(entries), std::optional<qint64>(2'000));
        // Made without knowing where traffic was: an increase if it left traffic on the canary.
        store::AuditEntry blind = splitSet(10'000, std::nullopt, 20);
        blind.detail.insert(u"fromUnknown"_s, true);
        QCOMPARE(traffic::lastIncreaseInAudit(entries + QList { blind }), std::optional<qint64>(10'000));
        store::AuditEntry blindToStable = splitSet(11'000, std::nullopt, 0);
        blindToStable.detail.insert(u"fromUnknown"_s, true);
        QCOMPARE(
            traffic::lastIncreaseInAudit(entries + QList { blindToStable }), std::optional<qint64>(2'000));
        // Newest by time, whatever the order handed in.
        QCOMPARE(traffic::lastIncreaseInAudit({ splitSet(9'000, 0, 5), splitSet(8'000, 5, 10) }),
            std::optional<qint64>(9'000));
    }

    // Issue 17: the cool-down is per target, and someone else's increase, seen here, counts like one's own.
    void lastIncreaseInAudit_perTarget_withChangesMadeOutside()
    {
        const auto on = [](store::AuditEntry entry, const QString &target) {
            entry.detail.insert(u"targetId"_s, target);
            return entry;
        };
        store::AuditEntry outside = on(splitSet(5'000, 10, 50), u"ingress canary"_s);
        outside.action = u"split.changed-outside"_s;
        const QList<store::AuditEntry> entries {
            on(splitSet(1'000, 0, 10), u"ingress canary"_s),
            on(splitSet(9'000, 0, 10), u"other service"_s),
            outside,
        };
        QCOMPARE(traffic::lastIncreaseInAudit(entries, u"ingress canary"_s), std::optional<qint64>(5'000));
        QCOMPARE(traffic::lastIncreaseInAudit(entries, u"other service"_s), std::optional<qint64>(9'000));
        QCOMPARE(traffic::lastIncreaseInAudit(entries, u"a third"_s), std::nullopt);
        // A row written before targets were named may have been any target's: it counts.
        QCOMPARE(traffic::lastIncreaseInAudit(entries + QList { splitSet(12'000, 0, 10) }, u"a third"_s),
            std::optional<qint64>(12'000));
    }
};

QTEST_GUILESS_MAIN(TestGuardRails)
#include "tst_guardrails.moc"
