// Issue 18, "Many processes, one truth": N concurrent `canaryctl split set` and two concurrent
// `canaryctl rollback --yes` per round, against one in-process simulator and one state folder. The run
// happens once (initTestCase); each test function then asserts one property of what it left, so a report
// shows every property passing or failing on its own, with the figures.
#include <algorithm>

#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "reliabilityrun.h"
#include "sim/awxapi.h"
#include "sim/eventstore.h"
#include "sim/faultinjector.h"
#include "simfixture.h"
#include "store/outbox.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using namespace canary::reliability;
using canary::testing::SimFixture;

namespace {

constexpr int SplitProcesses = 4; // concurrent `split set` per split round
constexpr int RollbackProcesses = 2; // concurrent `rollback --yes` per rollback round
// S: a split round; R: one `split set 100` (the plan to back out), then the concurrent rollbacks.
constexpr QStringView Rounds = u"SSRSSRSSRSS";
constexpr int TimeoutSeconds = 10; // every child's --timeout
// A child may wait up to --timeout for another's hold on the target, then make its own change within
// --timeout; 10 s more for starting up on a loaded machine.
constexpr qint64 DeadlineMs = (2 * TimeoutSeconds + 10) * 1000;
constexpr quint32 Seed = 20'261'207;
constexpr int ResetTemplateId = sim::AwxApi::ResetCanaryWeightingTemplateId;

struct Round
{
    int index = 0;
    QChar kind;
    int splitBefore = 0; // the simulator's canary weight when the round began
    int splitAfter = 0; // … and when every child of it had ended
    int launches = 0; // AWX jobs of the reset template launched during the round
    qint64 durationMs = 0;
    QList<Outcome> outcomes; // the concurrent children (the shift before a rollback round is not among them)
    QHash<qint64, int> percentOf; // pid of a `split set` child → its percent
    QHash<QString, int> percentByOperator;
    QJsonArray auditAfter; // the audit log when the round had ended
};

bool isSplitSet(const Outcome &outcome)
{
    return outcome.arguments.value(0) == u"split"_s;
}

QString operatorOf(const Outcome &outcome)
{
    return outcome.arguments.value(outcome.arguments.indexOf(u"--operator"_s) + 1);
}

qint64 maxId(const QJsonArray &rows)
{
    qint64 id = 0;
    for (const auto &value : rows)
        id = std::max(id, value.toObject()[u"id"_s].toInteger());
    return id;
}

} // namespace

class TestReliabilityConcurrency : public QObject
{
    Q_OBJECT

    std::unique_ptr<SimFixture> m_fixture;
    std::unique_ptr<QTemporaryDir> m_state;
    QProcessEnvironment m_environment;
    QList<Round> m_rounds;
    QList<Outcome> m_shifts; // the single `split set 100` before each rollback round
    QJsonArray m_audit; // the audit log at the end
    Outcome m_verify; // `audit verify` at the end
    Outcome m_flush;
    QJsonArray m_outbox; // `outbox list --json` at the end
    qint64 m_totalMs = 0;

    QList<Outcome> allChildren() const
    {
        QList<Outcome> all = m_shifts;
        for (const Round &round : m_rounds)
            all += round.outcomes;
        return all;
    }

    QStringList rollbackFlags() const
    {
        return { u"--awx-url"_s, m_fixture->environment->baseUrl().toString(), u"--traffic-backend"_s,
            u"sim"_s, u"--poll-interval"_s, u"5"_s, u"--resolution"_s, u"10s"_s, u"--timeout"_s,
            QString::number(TimeoutSeconds) };
    }

    QStringList splitSet(int percent, const QString &who) const
    {
        return { u"split"_s, u"set"_s, QString::number(percent), u"--operator"_s, who,
            u"--remediation-action"_s, QString::number(ResetTemplateId), u"--timeout"_s,
            QString::number(TimeoutSeconds) };
    }

    int resetLaunches() const
    {
        const auto jobs = m_fixture->environment->awx().jobs();
        return int(std::count_if(jobs.cbegin(), jobs.cend(),
            [](const sim::AwxSimJob &job) { return job.templateId == ResetTemplateId; }));
    }

    // The change events the tenant stored, by canary.split.new ("70/30"): every percent is used once.
    QHash<QString, QList<sim::StoredEvent>> changeEventsByNewSplit() const
    {
        QHash<QString, QList<sim::StoredEvent>> events;
        for (const auto &event : m_fixture->environment->events().events()) {
            const QString split = event.properties.value(u"canary.split.new"_s);
            if (!split.isEmpty() && event.properties.contains(store::Outbox::IdProperty.toString()))
                events[split].append(event);
        }
        return events;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_fixture = std::make_unique<SimFixture>(0, 5);
        m_state = std::make_unique<QTemporaryDir>();
        QVERIFY(m_state->isValid());
        m_environment = environmentFor(*m_fixture, m_state->path());

        // Every `split set` of the run asks for a percent no other asks for, so its event is found by
        // canary.split.new alone, and no child's change is a no-op.
        QList<int> percents;
        for (int p = 1; p <= 99; ++p)
            percents.append(p);
        QRandomGenerator random(Seed);
        std::shuffle(percents.begin(), percents.end(), random);

        // While rollbacks run, the simulated world moves on (250 ms per real millisecond), so AWX jobs end
        // and the verification sees requests leave the canary.
        QTimer pump;
        QObject::connect(&pump, &QTimer::timeout, &pump, [this] { m_fixture->clock.advanceMs(250); });

        QElapsedTimer total;
        total.start();
        int next = 0;
        for (int r = 0; r < Rounds.size(); ++r) {
            Round round;
            round.index = r;
            round.kind = Rounds[r];
            // Each round's events are later than the last round's (the plan is the newest change).
            m_fixture->clock.advanceMs(60'000);
            Children children(m_environment);
            if (round.kind == u'S') {
                round.splitBefore = m_fixture->world().canaryWeight();
                const int launchesBefore = resetLaunches();
                QElapsedTimer clock;
                clock.start();
                for (int i = 0; i < SplitProcesses; ++i) {
                    const int percent = percents.at(next++);
                    const QString who = u"r%1-p%2"_s.arg(r).arg(i);
                    const qint64 pid = children.start(splitSet(percent, who));
                    round.percentOf.insert(pid, percent);
                    round.percentByOperator.insert(who, percent);
                }
                round.outcomes = children.finish(DeadlineMs);
                round.durationMs = clock.elapsed();
                round.launches = resetLaunches() - launchesBefore;
            } else {
                const Outcome shift = runOne(m_environment, splitSet(100, u"r%1-shift"_s.arg(r)), DeadlineMs);
                m_shifts.append(shift);
                m_fixture->clock.advanceMs(60'000);
                round.splitBefore = m_fixture->world().canaryWeight();
                const int launchesBefore = resetLaunches();
                pump.start(1);
                QElapsedTimer clock;
                clock.start();
                for (int i = 0; i < RollbackProcesses; ++i)
                    children.start(QStringList { u"rollback"_s, u"--yes"_s, u"--operator"_s,
                                       u"r%1-rb%2"_s.arg(r).arg(i) }
                        + rollbackFlags());
                round.outcomes = children.finish(DeadlineMs);
                round.durationMs = clock.elapsed();
                pump.stop();
                round.launches = resetLaunches() - launchesBefore;
            }
            round.splitAfter = m_fixture->world().canaryWeight();
            round.auditAfter = auditRows(m_environment);
            QStringList exits;
            for (const Outcome &outcome : std::as_const(round.outcomes))
                exits.append(outcome.overran ? u"overran"_s : QString::number(outcome.exitCode));
            qInfo("round %d (%c): %lld ms, exits [%s], split %d -> %d, %d AWX launches", r,
                round.kind.toLatin1(), round.durationMs, qPrintable(exits.join(u", "_s)), round.splitBefore,
                round.splitAfter, round.launches);
            m_rounds.append(round);
        }

        m_flush = runOne(m_environment, { u"outbox"_s, u"flush"_s }, DeadlineMs);
        const Outcome outbox = runOne(m_environment, { u"outbox"_s, u"list"_s, u"--json"_s }, DeadlineMs);
        m_outbox = QJsonDocument::fromJson(outbox.out).array();
        m_verify = runOne(m_environment, { u"audit"_s, u"verify"_s }, DeadlineMs);
        m_audit = auditRows(m_environment);
        m_totalMs = total.elapsed();

        const auto outboxIds
            = m_fixture->environment->ingestedPropertyCounts(store::Outbox::IdProperty.toString());
        const auto changeIds = m_fixture->environment->ingestedPropertyCounts(u"canary.change.id"_s);
        int duplicateOutbox = 0;
        for (int count : outboxIds)
            duplicateOutbox += count - 1;
        int duplicateChange = 0;
        for (int count : changeIds)
            duplicateChange += count - 1;
        const QList<Outcome> all = allChildren();
        qint64 slowest = 0;
        for (const Outcome &outcome : all)
            slowest = std::max(slowest, outcome.elapsedMs);
        qInfo(
            "FIGURES: %lld rounds (%d split rounds x %d processes, %d rollback rounds x %d processes), %lld "
            "children, slowest %lld ms (deadline %lld ms, --timeout %d s), whole run %lld ms; %lld audit "
            "rows; "
            "%lld outbox entries; %lld outbox ids ingested, %d duplicate events by canary.outbox.id, %d by "
            "canary.change.id",
            qlonglong(Rounds.size()), int(Rounds.count(u'S')), SplitProcesses, int(Rounds.count(u'R')),
            RollbackProcesses, qlonglong(all.size()), slowest, DeadlineMs, TimeoutSeconds, m_totalMs,
            qlonglong(m_audit.size()), qlonglong(m_outbox.size()), qlonglong(outboxIds.size()),
            duplicateOutbox, duplicateChange);
    }

    // Every child ends by itself within its deadline (--timeout bounds waiting for a held target and for
    // delivery of its own events, whoever delivers them).
    void everyProcessExitsWithinItsDeadline()
    {
        QStringList overran;
        const QList<Outcome> all = allChildren();
        for (const Outcome &outcome : all) {
            if (outcome.overran)
                overran.append(outcome.summary());
        }
        QVERIFY2(overran.isEmpty(),
            qPrintable(u"%1 of %2 children did not end within %3 ms:\n"_s.arg(overran.size())
                           .arg(all.size())
                           .arg(DeadlineMs)
                + overran.join(u'\n')));
    }

    // A `split set` either made its change (0) or found the target held past --timeout and said by whom
    // (Busy); nothing else is a correct answer with nothing faulted. At least one per round goes through.
    void splitSetEndsDoneOrBusy()
    {
        QStringList wrong;
        for (const Round &round : std::as_const(m_rounds)) {
            int done = 0;
            for (const Outcome &outcome : round.outcomes) {
                if (!isSplitSet(outcome))
                    continue;
                if (outcome.exitCode == exitcode::Ok)
                    ++done;
                else if (outcome.overran || outcome.exitCode != exitcode::Busy)
                    wrong.append(u"round %1: "_s.arg(round.index) + outcome.summary());
                else if (std::none_of(
                             round.outcomes.cbegin(), round.outcomes.cend(), [&](const Outcome &other) {
                                 return other.pid != outcome.pid
                                     && outcome.err.contains(QByteArray::number(other.pid));
                             }))
                    wrong.append(u"round %1: Busy without naming the holder's pid: "_s.arg(round.index)
                        + outcome.summary());
            }
            if (round.kind == u'S' && done == 0)
                wrong.append(u"round %1: no split set went through"_s.arg(round.index));
        }
        for (const Outcome &shift : std::as_const(m_shifts)) {
            if (shift.exitCode != exitcode::Ok)
                wrong.append(u"the shift before a rollback round: "_s + shift.summary());
        }
        QVERIFY2(wrong.isEmpty(), qPrintable(wrong.join(u'\n')));
    }

    void auditChainIntact()
    {
        QVERIFY2(m_verify.exitCode == exitcode::Ok, qPrintable(m_verify.summary()));
        QVERIFY2(m_verify.out.startsWith("audit chain intact: "), m_verify.out.constData());
    }

    // Two `rollback --yes` started together: one launches, the other launches nothing and says why (the
    // rollback is held by the other process, already in flight, or no longer needed).
    void oneAwxLaunchPerRollbackRound()
    {
        QStringList wrong;
        for (const Round &round : std::as_const(m_rounds)) {
            if (round.kind != u'R')
                continue;
            if (round.launches != 1)
                wrong.append(u"round %1: %2 AWX launches"_s.arg(round.index).arg(round.launches));
        }
        QVERIFY2(wrong.isEmpty(), qPrintable(wrong.join(u'\n')));
    }

    void oneRollbackSucceedsPerRoundAndTheOtherSaysWhy()
    {
        QStringList wrong;
        for (const Round &round : std::as_const(m_rounds)) {
            if (round.kind != u'R')
                continue;
            int succeeded = 0;
            for (const Outcome &outcome : round.outcomes) {
                if (outcome.exitCode == exitcode::Ok)
                    ++succeeded;
                else if (outcome.overran
                    || (outcome.exitCode != exitcode::Busy && outcome.exitCode != exitcode::Refused
                        && outcome.exitCode != exitcode::NoPlan))
                    wrong.append(u"round %1: "_s.arg(round.index) + outcome.summary());
            }
            if (succeeded != 1)
                wrong.append(u"round %1: %2 of %3 rollbacks reported success"_s.arg(round.index)
                                 .arg(succeeded)
                                 .arg(round.outcomes.size()));
            if (round.splitAfter != 0)
                wrong.append(u"round %1: the canary is at %2 % after the rollbacks"_s.arg(round.index)
                                 .arg(round.splitAfter));
        }
        QVERIFY2(wrong.isEmpty(), qPrintable(wrong.join(u'\n')));
    }

    // Rollback ids are unique across processes: each carries a UUID (issue 18, What to build 1), not the
    // start's millisecond, which two processes started together share.
    void rollbackIdsAreUniqueUuids()
    {
        static const QRegularExpression uuid(
            u"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"_s);
        QHash<QString, int> ids;
        for (const auto &value : std::as_const(m_audit)) {
            const QJsonObject row = value.toObject();
            if (row[u"action"_s].toString() == u"rollback.start"_s
                && row[u"result"_s].toString() == u"requested"_s)
                ++ids[row[u"detail"_s][u"rollbackId"_s].toString()];
        }
        QStringList wrong;
        for (auto it = ids.cbegin(); it != ids.cend(); ++it) {
            if (it.value() > 1)
                wrong.append(u"'%1' started %2 times"_s.arg(it.key()).arg(it.value()));
            if (!uuid.match(it.key()).hasMatch())
                wrong.append(u"'%1' carries no UUID"_s.arg(it.key()));
        }
        QVERIFY2(!ids.isEmpty(), "no rollback.start row in the audit log");
        QVERIFY2(wrong.isEmpty(), qPrintable(wrong.join(u'\n')));
    }

    // Each event reaches the tenant once: by its outbox id (a copy sent by two processes) and by its change
    // id (one change recorded twice).
    void noDuplicateEvents()
    {
        QStringList repeated;
        for (const QString &key : { store::Outbox::IdProperty.toString(), u"canary.change.id"_s }) {
            const auto counts = m_fixture->environment->ingestedPropertyCounts(key);
            for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
                if (it.value() > 1)
                    repeated.append(u"%1 %2 ingested %3 times"_s.arg(key, it.key()).arg(it.value()));
            }
        }
        QVERIFY2(repeated.isEmpty(),
            qPrintable(u"%1 duplicated ids:\n"_s.arg(repeated.size()) + repeated.join(u'\n')));
    }

    // Held up before the issue, kept: every entry of the outbox is delivered and reached the tenant.
    void nothingLostFromTheOutbox()
    {
        QVERIFY2(m_flush.exitCode == exitcode::Ok, qPrintable(m_flush.summary()));
        QVERIFY(!m_outbox.isEmpty());
        const auto ingested
            = m_fixture->environment->ingestedPropertyCounts(store::Outbox::IdProperty.toString());
        QStringList lost;
        for (const auto &value : std::as_const(m_outbox)) {
            const QJsonObject entry = value.toObject();
            if (!entry[u"delivered"_s].toBool())
                lost.append(u"%1 is still pending: %2"_s.arg(
                    entry[u"id"_s].toString(), entry[u"lastError"_s].toString()));
            else if (entry[u"kind"_s].toString() == u"event"_s
                && ingested.value(entry[u"id"_s].toString()) < 1)
                lost.append(u"%1 is delivered but not in the tenant"_s.arg(entry[u"id"_s].toString()));
        }
        QVERIFY2(lost.isEmpty(), qPrintable(lost.join(u'\n')));
    }

    // Every change a child acknowledged (exit 0) has exactly one "requested" row and exactly one outcome
    // row answering it (its detail's "intent"), "succeeded", to the percent asked for.
    void everyAcknowledgedChangeHasOneRequestAndOneOutcome()
    {
        QStringList wrong;
        int acknowledged = 0;
        for (const Round &round : std::as_const(m_rounds)) {
            for (const Outcome &outcome : round.outcomes) {
                if (!isSplitSet(outcome) || outcome.exitCode != exitcode::Ok)
                    continue;
                ++acknowledged;
                const QString who = operatorOf(outcome);
                const QList<QJsonObject> rows = rowsOf(m_audit, who, u"split.set"_s);
                QList<QJsonObject> requested;
                for (const QJsonObject &row : rows) {
                    if (row[u"result"_s].toString() == u"requested"_s)
                        requested.append(row);
                }
                if (requested.size() != 1) {
                    wrong.append(u"%1: %2 requested rows"_s.arg(who).arg(requested.size()));
                    continue;
                }
                const qint64 requestId = requested.constFirst()[u"id"_s].toInteger();
                QList<QJsonObject> outcomes;
                for (const QJsonObject &row : rows) {
                    if (row[u"result"_s].toString() != u"requested"_s
                        && row[u"detail"_s][u"intent"_s].toInteger() == requestId)
                        outcomes.append(row);
                }
                if (outcomes.size() != 1) {
                    wrong.append(u"%1: %2 outcome rows answer request %3"_s.arg(who)
                                     .arg(outcomes.size())
                                     .arg(requestId));
                    continue;
                }
                const QJsonObject outcomeRow = outcomes.constFirst();
                if (outcomeRow[u"result"_s].toString() != u"succeeded"_s
                    || outcomeRow[u"detail"_s][u"to"_s][u"canary"_s].toInt()
                        != round.percentByOperator.value(who))
                    wrong.append(u"%1 asked for %2 %, its outcome row: %3"_s.arg(who)
                                     .arg(round.percentByOperator.value(who))
                                     .arg(QString::fromUtf8(
                                         QJsonDocument(outcomeRow).toJson(QJsonDocument::Compact))));
            }
        }
        QVERIFY2(acknowledged > 0, "no split set was acknowledged");
        QVERIFY2(wrong.isEmpty(),
            qPrintable(u"%1 of %2 acknowledged changes:\n"_s.arg(wrong.size()).arg(acknowledged)
                + wrong.join(u'\n')));
    }

    // When a round has ended, the newest "succeeded" split.set row says what the back-end holds.
    void newestSucceededRowEqualsTheBackendAfterEachRound()
    {
        QStringList wrong;
        int rounds = 0;
        for (const Round &round : std::as_const(m_rounds)) {
            if (round.kind != u'S')
                continue; // after a rollback the back-end's 0 % is the rollback's row, not a split.set one
            ++rounds;
            std::optional<int> newest;
            qint64 newestId = 0;
            for (const auto &value : round.auditAfter) {
                const QJsonObject row = value.toObject();
                if (row[u"action"_s].toString() == u"split.set"_s
                    && row[u"result"_s].toString() == u"succeeded"_s && row[u"id"_s].toInteger() > newestId) {
                    newestId = row[u"id"_s].toInteger();
                    newest = row[u"detail"_s][u"to"_s][u"canary"_s].toInt();
                }
            }
            if (!newest || *newest != round.splitAfter)
                wrong.append(u"round %1: the back-end holds %2 %, the newest succeeded row (%3) says %4"_s
                                 .arg(round.index)
                                 .arg(round.splitAfter)
                                 .arg(newestId)
                                 .arg(newest ? QString::number(*newest) : u"nothing"_s));
        }
        QVERIFY2(wrong.isEmpty(),
            qPrintable(u"%1 of %2 split rounds:\n"_s.arg(wrong.size()).arg(rounds) + wrong.join(u'\n')));
    }

    // In the order the audit log holds a round's changes, each one's event says it moved from where the
    // previous one left traffic (the first: from where the round found it); no stale "from".
    void eventsCarryThePreviousChangeAsTheirOldSplit()
    {
        const auto events = changeEventsByNewSplit();
        QStringList wrong;
        int changes = 0;
        qint64 previousMax = 0;
        for (const Round &round : std::as_const(m_rounds)) {
            const qint64 roundMax = maxId(round.auditAfter);
            if (round.kind != u'S') {
                previousMax = roundMax;
                continue;
            }
            QList<QJsonObject> succeeded;
            for (const auto &value : round.auditAfter) {
                const QJsonObject row = value.toObject();
                if (row[u"id"_s].toInteger() > previousMax && row[u"action"_s].toString() == u"split.set"_s
                    && row[u"result"_s].toString() == u"succeeded"_s)
                    succeeded.append(row);
            }
            std::sort(succeeded.begin(), succeeded.end(), [](const QJsonObject &a, const QJsonObject &b) {
                return a[u"id"_s].toInteger() < b[u"id"_s].toInteger();
            });
            int expectedOld = round.splitBefore;
            for (const QJsonObject &row : std::as_const(succeeded)) {
                ++changes;
                const int to = row[u"detail"_s][u"to"_s][u"canary"_s].toInt();
                const QList<sim::StoredEvent> recorded = events.value(splitText(to));
                if (recorded.isEmpty()) {
                    wrong.append(u"round %1, row %2 (to %3 %): no event"_s.arg(round.index)
                                     .arg(row[u"id"_s].toInteger())
                                     .arg(to));
                } else {
                    for (const sim::StoredEvent &event : recorded) {
                        const QString old = event.properties.value(u"canary.split.old"_s);
                        if (old != splitText(expectedOld))
                            wrong.append(
                                u"round %1, row %2 (to %3 %): its event says from '%4', the previous "
                                "change left %5"_s.arg(round.index)
                                    .arg(row[u"id"_s].toInteger())
                                    .arg(to)
                                    .arg(old, splitText(expectedOld)));
                    }
                }
                expectedOld = to;
            }
            previousMax = roundMax;
        }
        QVERIFY2(changes > 0, "no succeeded change in any split round");
        QVERIFY2(wrong.isEmpty(),
            qPrintable(u"%1 stale or missing of %2 changes:\n"_s.arg(wrong.size()).arg(changes)
                + wrong.join(u'\n')));
    }

    void cleanupTestCase()
    {
        m_fixture.reset();
        m_state.reset();
    }
};

QTEST_GUILESS_MAIN(TestReliabilityConcurrency)
#include "tst_concurrency.moc"
