#include <QSignalSpy>
#include <QTest>

#include "rollback/autoremediation.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using canary::VirtualClock;
using canary::dynatrace::Problem;
using canary::rollback::AutoRemediation;

namespace {

constexpr qint64 T0 = 1'795'687'200'000;
constexpr qint64 Countdown = 30'000;

Problem problem(int n, const QString &severity = u"ERROR"_s, const QString &status = u"OPEN"_s,
    qint64 startMs = T0 - 60'000)
{
    Problem p;
    p.problemId = u"-%1_%2V2"_s.arg(QString::number(n * 1111), QString::number(startMs));
    p.displayId = u"P-%1"_s.arg(n);
    p.title = n == 1 ? u"Failure rate increase"_s : u"Response time degradation %1"_s.arg(n);
    p.status = status;
    p.severityLevel = severity;
    p.impactLevel = u"SERVICES"_s;
    p.startMs = startMs;
    if (status == u"CLOSED"_s)
        p.endMs = startMs + 1000;
    return p;
}

Problem closed(Problem p)
{
    p.status = u"CLOSED"_s;
    p.endMs = p.startMs + 1000;
    return p;
}

// The guard with its clock and a spy on every signal. Ticks every millisecond of real time, each reading
// the virtual clock the test moves: nothing here waits for time to pass, only for the event loop to look.
struct Rig
{
    Rig() { guard.setTickIntervalMs(1); }

    VirtualClock clock { T0 };
    AutoRemediation guard { clock };
    QSignalSpy started { &guard, &AutoRemediation::countdownStarted };
    QSignalSpy changed { &guard, &AutoRemediation::countdownChanged };
    QSignalSpy canceled { &guard, &AutoRemediation::countdownCanceled };
    QSignalSpy due { &guard, &AutoRemediation::remediationDue };
    QSignalSpy steps { &guard, &AutoRemediation::stepRecorded };

    QStringList stepTexts() const
    {
        QStringList texts;
        for (const auto &args : steps)
            texts << args.at(0).toString();
        return texts;
    }
    Problem startedProblem(int i) const { return qvariant_cast<Problem>(started.at(i).at(0)); }
    Problem dueProblem(int i) const { return qvariant_cast<Problem>(due.at(i).at(0)); }
};

} // namespace

// Absence of a signal is only meaningful once ticks have run since the clock moved. A fresh problem counting
// down to its own remediationDue proves that, so it serves as the barrier in the tests below.
#define RUN_FRESH_PROBLEM_TO_DUE(rig, n, existing)                                                           \
    do {                                                                                                     \
        const int dueBefore = int(rig.due.count());                                                          \
        const Problem fresh = problem(n);                                                                    \
        auto list = existing;                                                                                \
        list.push_back(fresh);                                                                               \
        rig.guard.onProblems(list);                                                                          \
        QVERIFY(rig.guard.isCounting());                                                                     \
        QCOMPARE(rig.guard.currentProblemId(), fresh.problemId);                                             \
        rig.clock.advanceMs(Countdown);                                                                      \
        QTRY_COMPARE(int(rig.due.count()), dueBefore + 1);                                                   \
        QCOMPARE(rig.dueProblem(dueBefore).problemId, fresh.problemId);                                      \
    } while (false)

class TestAutoRemediation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void offByDefault_nothingHappens()
    {
        Rig rig;
        QVERIFY(!rig.guard.isEnabled());
        QCOMPARE(rig.guard.countdownMs(), Countdown);

        rig.guard.onProblems({ problem(1) });
        QVERIFY(!rig.guard.isCounting());
        QCOMPARE(rig.guard.remainingMs(), 0);
        QCOMPARE(rig.guard.currentProblemId(), QString());
        rig.clock.advanceMs(10 * Countdown);
        rig.guard.onProblems({ problem(1) });
        QVERIFY(!rig.guard.isCounting());
        QCOMPARE(rig.started.count(), 0);
        QCOMPARE(rig.due.count(), 0);
        QCOMPARE(rig.steps.count(), 0);

        // Turning it on acts on the next refresh, including on a problem that was already open.
        rig.guard.setEnabled(true);
        QCOMPARE(rig.stepTexts(),
            QStringList {
                u"Auto-remediation on: a new ERROR problem starts a 30 s countdown to the backout plan"_s });
        QVERIFY(!rig.guard.isCounting());
        rig.guard.onProblems({ problem(1) });
        QVERIFY(rig.guard.isCounting());
    }

    void armsOnlyOnAnOpenErrorProblem()
    {
        Rig rig;
        rig.guard.setEnabled(true);
        rig.guard.onProblems({});
        rig.guard.onProblems({ problem(2, u"PERFORMANCE"_s), problem(3, u"ERROR"_s, u"CLOSED"_s),
            problem(4, u"AVAILABILITY"_s), problem(5, u"RESOURCE_CONTENTION"_s) });
        QVERIFY(!rig.guard.isCounting());
        QCOMPARE(rig.started.count(), 0);

        const Problem p1 = problem(1);
        rig.guard.onProblems({ problem(2, u"PERFORMANCE"_s), p1 });
        QVERIFY(rig.guard.isCounting());
        QCOMPARE(rig.started.count(), 1);
        QCOMPARE(rig.startedProblem(0).problemId, p1.problemId);
        QCOMPARE(rig.started.at(0).at(1).toLongLong(), T0 + Countdown);
        QCOMPARE(rig.guard.currentProblemId(), p1.problemId);
        QCOMPARE(rig.guard.deadlineMs(), T0 + Countdown);
        QCOMPARE(rig.guard.remainingMs(), Countdown);
        QCOMPARE(rig.stepTexts().last(),
            u"Auto-remediation armed for P-1 'Failure rate increase': backout in 30 s"_s);
    }

    void countdownLength_isASetting()
    {
        Rig rig;
        rig.guard.setCountdownMs(5'000);
        rig.guard.setEnabled(true);
        rig.guard.onProblems({ problem(1) });
        QCOMPARE(rig.started.at(0).at(1).toLongLong(), T0 + 5'000);
        QCOMPARE(rig.stepTexts().last(),
            u"Auto-remediation armed for P-1 'Failure rate increase': backout in 5 s"_s);
        rig.clock.advanceMs(4'999);
        QTRY_COMPARE(rig.changed.count(), 1);
        QCOMPARE(rig.due.count(), 0);
        rig.clock.advanceMs(1);
        QTRY_COMPARE(rig.due.count(), 1);
    }

    void remediationDue_afterExactlyTheCountdown()
    {
        Rig rig;
        rig.guard.setEnabled(true);
        const Problem p1 = problem(1);
        rig.guard.onProblems({ p1 });

        rig.clock.advanceMs(1'000);
        QTRY_COMPARE(rig.changed.count(), 1);
        QCOMPARE(rig.changed.at(0).at(0).toLongLong(), Countdown - 1'000);
        QCOMPARE(rig.guard.remainingMs(), Countdown - 1'000);

        // One millisecond short: a tick has seen it (the shown second moved to 1) and did not fire.
        rig.clock.setNowMs(T0 + Countdown - 1);
        QTRY_COMPARE(rig.changed.count(), 2);
        QCOMPARE(rig.changed.at(1).at(0).toLongLong(), 1);
        QCOMPARE(rig.due.count(), 0);
        QVERIFY(rig.guard.isCounting());
        QCOMPARE(rig.guard.remainingMs(), 1);

        rig.clock.advanceMs(1);
        QTRY_COMPARE(rig.due.count(), 1);
        QCOMPARE(rig.dueProblem(0).problemId, p1.problemId);
        QCOMPARE(rig.dueProblem(0).title, p1.title);
        QVERIFY(!rig.guard.isCounting());
        QCOMPARE(rig.guard.remainingMs(), 0);
        QCOMPARE(rig.canceled.count(), 0);
        QCOMPARE(rig.stepTexts(),
            (QStringList {
                u"Auto-remediation on: a new ERROR problem starts a 30 s countdown to the backout plan"_s,
                u"Auto-remediation armed for P-1 'Failure rate increase': backout in 30 s"_s,
                u"Auto-remediation for P-1 'Failure rate increase': countdown ended: running the backout plan"_s }));
    }

    void countdownChanged_onlyWhenTheShownSecondChanges()
    {
        Rig rig;
        rig.guard.setEnabled(true);
        rig.guard.onProblems({ problem(1) });
        rig.clock.advanceMs(400); // still "30 s"
        rig.clock.advanceMs(600); // "29 s"
        QTRY_COMPARE(rig.changed.count(), 1);
        rig.clock.advanceMs(500); // "29 s" still
        rig.clock.advanceMs(600); // "28 s"
        QTRY_COMPARE(rig.changed.count(), 2);
        QCOMPARE(rig.changed.at(1).at(0).toLongLong(), Countdown - 2'100);
    }

    void oncePerProblem_evenAcrossDisableAndEnable()
    {
        Rig rig;
        rig.guard.setEnabled(true);
        const Problem p1 = problem(1);
        rig.guard.onProblems({ p1 });
        rig.clock.advanceMs(Countdown);
        QTRY_COMPARE(rig.due.count(), 1);

        rig.clock.advanceMs(Countdown);
        rig.guard.onProblems({ p1 });
        QVERIFY(!rig.guard.isCounting());
        rig.guard.setEnabled(false);
        rig.guard.setEnabled(true);
        rig.guard.onProblems({ p1 });
        QVERIFY(!rig.guard.isCounting());
        QCOMPARE(rig.started.count(), 1);

        RUN_FRESH_PROBLEM_TO_DUE(rig, 2, std::vector<Problem> { p1 });
        QCOMPARE(rig.started.count(), 2);
        QCOMPARE(rig.dueProblem(0).problemId, p1.problemId);
        QCOMPARE(rig.due.count(), 2);
    }

    void cancel_stopsForGood()
    {
        Rig rig;
        rig.guard.setEnabled(true);
        const Problem p1 = problem(1);
        rig.guard.onProblems({ p1 });
        rig.clock.advanceMs(10'000);
        rig.guard.cancel();

        QCOMPARE(rig.canceled.count(), 1);
        QCOMPARE(rig.canceled.at(0).at(0).toString(), p1.problemId);
        QCOMPARE(rig.canceled.at(0).at(1).toString(), u"canceled by the operator"_s);
        QCOMPARE(rig.stepTexts().last(),
            u"Auto-remediation for P-1 'Failure rate increase' stopped: canceled by the operator"_s);
        QVERIFY(!rig.guard.isCounting());
        QCOMPARE(rig.guard.remainingMs(), 0);
        QCOMPARE(rig.guard.currentProblemId(), QString());

        rig.guard.cancel(); // nothing left to cancel: no second signal or step
        QCOMPARE(rig.canceled.count(), 1);

        rig.clock.advanceMs(2 * Countdown); // well past the old deadline
        rig.guard.onProblems({ p1 });
        QVERIFY(!rig.guard.isCounting());
        rig.guard.setEnabled(false);
        rig.guard.setEnabled(true);
        rig.guard.onProblems({ p1 });
        QVERIFY(!rig.guard.isCounting());
        QCOMPARE(rig.started.count(), 1);

        RUN_FRESH_PROBLEM_TO_DUE(rig, 2, std::vector<Problem> { p1 });
        QCOMPARE(rig.due.count(), 1); // only the fresh problem, never P-1
    }

    void problemClosing_stopsTheCountdown_data()
    {
        QTest::addColumn<bool>("statusClosed");
        QTest::newRow("status CLOSED") << true;
        QTest::newRow("gone from the list") << false;
    }

    void problemClosing_stopsTheCountdown()
    {
        QFETCH(bool, statusClosed);
        Rig rig;
        rig.guard.setEnabled(true);
        const Problem p1 = problem(1);
        rig.guard.onProblems({ p1, problem(2, u"PERFORMANCE"_s) });
        rig.clock.advanceMs(5'000);
        rig.guard.onProblems(statusClosed ? std::vector<Problem> { closed(p1), problem(2, u"PERFORMANCE"_s) }
                                          : std::vector<Problem> { problem(2, u"PERFORMANCE"_s) });

        QCOMPARE(rig.canceled.count(), 1);
        QCOMPARE(rig.canceled.at(0).at(0).toString(), p1.problemId);
        QCOMPARE(rig.canceled.at(0).at(1).toString(), u"problem closed before the countdown ended"_s);
        QCOMPARE(rig.stepTexts().last(),
            u"Auto-remediation for P-1 'Failure rate increase' stopped: problem closed before the countdown ended"_s);
        QVERIFY(!rig.guard.isCounting());

        // Even if the same problem shows as open again, it has had its countdown.
        rig.clock.advanceMs(Countdown);
        rig.guard.onProblems({ p1 });
        QVERIFY(!rig.guard.isCounting());
        RUN_FRESH_PROBLEM_TO_DUE(rig, 3, std::vector<Problem> { p1 });
        QCOMPARE(rig.due.count(), 1);
    }

    void disabling_cancelsTheCountdown()
    {
        Rig rig;
        rig.guard.setEnabled(true);
        const Problem p1 = problem(1);
        rig.guard.onProblems({ p1 });
        rig.clock.advanceMs(1'000);
        rig.guard.setEnabled(false);

        QVERIFY(!rig.guard.isEnabled());
        QVERIFY(!rig.guard.isCounting());
        QCOMPARE(rig.canceled.count(), 1);
        QCOMPARE(rig.canceled.at(0).at(1).toString(), u"auto-remediation turned off"_s);
        QCOMPARE(rig.stepTexts().mid(2),
            (QStringList { u"Auto-remediation off"_s,
                u"Auto-remediation for P-1 'Failure rate increase' stopped: auto-remediation turned off"_s }));

        rig.clock.advanceMs(Countdown);
        rig.guard.onProblems({ p1, problem(2) }); // off: not even a new problem arms
        QVERIFY(!rig.guard.isCounting());
        rig.guard.setEnabled(true);
        rig.guard.onProblems({ p1 });
        QVERIFY(!rig.guard.isCounting());
        QCOMPARE(rig.started.count(), 1);

        RUN_FRESH_PROBLEM_TO_DUE(rig, 2, std::vector<Problem> { p1 });
        QCOMPARE(rig.due.count(), 1);
    }

    void secondProblem_waitsForTheCountdown_thenArmsIfStillOpen()
    {
        Rig rig;
        rig.guard.setEnabled(true);
        const Problem p1 = problem(1);
        const Problem p2 = problem(2);
        rig.guard.onProblems({ p1 });
        rig.clock.advanceMs(3'000);
        rig.guard.onProblems({ p1, p2 });
        rig.guard.onProblems({ p1, p2 }); // noted once, not on every refresh

        QCOMPARE(rig.started.count(), 1);
        QCOMPARE(rig.guard.currentProblemId(), p1.problemId);
        QCOMPARE(rig.guard.deadlineMs(), T0 + Countdown); // the running countdown is not restarted
        QCOMPARE(rig.stepTexts().mid(2),
            QStringList {
                u"Auto-remediation: P-2 'Response time degradation 2' waits, one countdown at a time "
                u"(P-1 'Failure rate increase' is counting down)"_s });

        // The operator spares P-1; P-2 arms on the next refresh that still shows it open.
        rig.guard.cancel();
        QVERIFY(!rig.guard.isCounting());
        rig.guard.onProblems({ p1, p2 });
        QVERIFY(rig.guard.isCounting());
        QCOMPARE(rig.started.count(), 2);
        QCOMPARE(rig.startedProblem(1).problemId, p2.problemId);
        QCOMPARE(rig.started.at(1).at(1).toLongLong(), T0 + 3'000 + Countdown);

        rig.clock.advanceMs(Countdown);
        QTRY_COMPARE(rig.due.count(), 1);
        QCOMPARE(rig.dueProblem(0).problemId, p2.problemId);
    }

    void secondProblem_armsAsSoonAsTheFirstCloses()
    {
        Rig rig;
        rig.guard.setEnabled(true);
        const Problem p1 = problem(1);
        const Problem p2 = problem(2);
        rig.guard.onProblems({ p1, p2 });
        QCOMPARE(rig.guard.currentProblemId(), p1.problemId);
        rig.guard.onProblems({ closed(p1), p2 }); // the same fresh list both ends P-1 and arms P-2
        QCOMPARE(rig.canceled.count(), 1);
        QCOMPARE(rig.started.count(), 2);
        QCOMPARE(rig.guard.currentProblemId(), p2.problemId);
    }

    void secondProblem_isCoveredByTheBackout()
    {
        Rig rig;
        rig.guard.setEnabled(true);
        const Problem p1 = problem(1);
        const Problem p2 = problem(2);
        rig.guard.onProblems({ p1 });
        rig.guard.onProblems({ p1, p2 });
        rig.clock.advanceMs(Countdown);
        QTRY_COMPARE(rig.due.count(), 1);
        QCOMPARE(rig.dueProblem(0).problemId, p1.problemId);
        QCOMPARE(rig.stepTexts().mid(3),
            (QStringList {
                u"Auto-remediation for P-1 'Failure rate increase': countdown ended: running the backout plan"_s,
                u"Auto-remediation: P-2 'Response time degradation 2' is covered by the same backout and "
                u"will not "
                u"count down"_s }));

        rig.guard.onProblems({ p1, p2 });
        QVERIFY(!rig.guard.isCounting());
        QCOMPARE(rig.started.count(), 1);
        RUN_FRESH_PROBLEM_TO_DUE(rig, 3, (std::vector<Problem> { p1, p2 }));
        QCOMPARE(rig.due.count(), 2);
    }

    void severalNewProblemsAtOnce_oldestArmsFirst()
    {
        Rig rig;
        rig.guard.setEnabled(true);
        const Problem newer = problem(1, u"ERROR"_s, u"OPEN"_s, T0 - 1'000);
        const Problem older = problem(2, u"ERROR"_s, u"OPEN"_s, T0 - 9'000);
        rig.guard.onProblems({ newer, older });
        QCOMPARE(rig.guard.currentProblemId(), older.problemId);
        QCOMPARE(rig.started.count(), 1);
        QVERIFY(rig.stepTexts().last().contains(u"P-1 'Failure rate increase' waits"_s));
    }

    void slotsMayCallBack_whileSignalsAreEmitted()
    {
        // The owner's handler of remediationDue typically refreshes and hands the list straight back.
        Rig rig;
        rig.guard.setEnabled(true);
        const Problem p1 = problem(1);
        connect(&rig.guard, &AutoRemediation::remediationDue, &rig.guard,
            [&](const Problem &) { rig.guard.onProblems({ p1 }); });
        // Canceling from the log line of the arming: countdownStarted must not follow a dead countdown.
        connect(&rig.guard, &AutoRemediation::stepRecorded, &rig.guard, [&](const QString &text) {
            if (text.contains(u"P-2"_s) && text.contains(u"armed"_s))
                rig.guard.cancel();
        });

        rig.guard.onProblems({ p1 });
        rig.clock.advanceMs(Countdown);
        QTRY_COMPARE(rig.due.count(), 1);
        QVERIFY(!rig.guard.isCounting());

        rig.guard.onProblems({ p1, problem(2) });
        QVERIFY(!rig.guard.isCounting());
        QCOMPARE(rig.started.count(), 1);
        QCOMPARE(rig.canceled.count(), 1);
    }
};

QTEST_GUILESS_MAIN(TestAutoRemediation)
#include "tst_autoremediation.moc"
