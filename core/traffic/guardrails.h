#pragma once

#include <optional>
#include <vector>

#include <QList>
#include <QString>
#include <QStringList>

namespace canary {
class Clock;
}
namespace canary::store {
struct AuditEntry;
}
namespace canary::dynatrace {
struct Problem;
}

namespace canary::traffic {

// What a profile allows when traffic moves TO the canary (docs/guardrails.md). Decreases and rollbacks are
// never checked: taking traffic away from a canary must always be possible, whatever is open or stale.
struct GuardRailPolicy
{
    static constexpr int DefaultMaxStepUpPercent = 25;
    static constexpr qint64 DefaultMinMsBetweenIncreases = 5 * 60 * 1000;

    // Percentage points one increase may add (1..100; 100: any step).
    int maxStepUpPercent = DefaultMaxStepUpPercent;
    // Time an applied increase must have been watched before the next one (0: no cool-down).
    qint64 minMsBetweenIncreases = DefaultMinMsBetweenIncreases;
    bool freezeOnOpenProblem = true; // a problem open on the target
    bool freezeOnStale = true; // the numbers the decision would rest on could not be read
    bool freezeOnFail = true; // the canary verdict is FAIL
    bool enabled = true; // false: every change passes (the profile opted out)

    bool operator==(const GuardRailPolicy &) const = default;
};

// What the caller knows about the target right now; the guard-rails do not fetch anything themselves.
struct GuardConditions
{
    bool problemOpen = false;
    QString problemId; // "P-123"; optional
    QString problemTitle; // "Failure rate increase"; optional
    int otherOpenProblems = 0; // open besides the one named
    bool dataStale = false;
    QString staleDetail; // why, e.g. the failed query's error; optional
    bool verdictFail = false;
    QString verdictSentence; // the verdict's own sentence; optional
};

// Fills the open-problem fields of `conditions` from the target's problems: the first open one named, the
// others counted.
void noteOpenProblems(GuardConditions &conditions, const std::vector<dynatrace::Problem> &problems);

struct GuardDecision
{
    struct Block
    {
        // NoBackoutPlan: the change would go on record without a backout (ChangeGate::setBackoutCheck).
        enum class Kind { StepTooLarge, CoolDown, OpenProblem, StaleData, VerdictFail, NoBackoutPlan };
        Kind kind;
        QString reason; // plain English with the numbers, no trailing full stop
    };

    bool allowed = true;
    std::vector<Block> blocks; // empty when allowed; in the order of Block::Kind
    // The highest canary percentage an increase could reach now without an override: `from` while frozen
    // or cooling down, otherwise from + the maximum step (at most 100). 100 with the guard-rails off.
    int maxAllowedPercent = 100;
    // While the cool-down runs: when it ends (a freeze may still hold then). Otherwise nullopt.
    std::optional<qint64> nextIncreaseAtMs;

    bool isBlockedBy(Block::Kind kind) const;
    QStringList reasons() const;
};

// Decides whether a traffic change may go ahead under a GuardRailPolicy. Pure and deterministic: "now"
// comes from the Clock, the target's state from GuardConditions, the last increase from recordApplied()
// (or setLastIncreaseAtMs() for a process that starts after it, e.g. canaryctl reading the audit log).
class GuardRails
{
public:
    // An override reason, once simplified (trimmed, runs of whitespace made one space), needs this many
    // characters and words: enough that "ok", "x" or "override" do not pass for a reason, since it goes
    // into the Dynatrace event and the audit log for whoever reviews the change.
    static constexpr int MinimumOverrideCharacters = 15;
    static constexpr int MinimumOverrideWords = 3;

    explicit GuardRails(const Clock &clock, GuardRailPolicy policy = {});

    const GuardRailPolicy &policy() const { return m_policy; }
    void setPolicy(const GuardRailPolicy &policy) { m_policy = policy; }

    // Moving the canary from `fromPercent` to `toPercent`. A decrease or no change is always allowed.
    GuardDecision check(int fromPercent, int toPercent, const GuardConditions &conditions) const;

    // A ramp, checked before it starts: its first step as check() does, then every later increase against
    // the maximum step, and the pause between steps against the time increases need between them. A ramp
    // is a plan that runs on its own, so it is refused as a whole rather than held half-way.
    GuardDecision checkRamp(
        int fromPercent, const QList<int> &steps, qint64 pauseMs, const GuardConditions &conditions) const;
    // Whether the conditions alone (open problem, stale data, FAIL) freeze every increase now, and why.
    QStringList freezes(const GuardConditions &conditions) const;

    // An applied change: an increase starts the cool-down, a decrease leaves it as it is (stepping back does
    // not make the next step up any safer, nor should it be punished).
    void recordApplied(int fromPercent, int toPercent);
    std::optional<qint64> lastIncreaseAtMs() const { return m_lastIncreaseAtMs; }
    void setLastIncreaseAtMs(std::optional<qint64> atMs) { m_lastIncreaseAtMs = atMs; }

    // Whether `reason` is good enough to override blocks; overrideRefusal() says why not (empty: it is).
    static bool overrideAllowed(const QString &reason);
    static QString overrideRefusal(const QString &reason);
    // The reason as recorded: simplified to one line.
    static QString normalisedOverrideReason(const QString &reason);

    // "2 min 10 s", "45 s", "1 h 5 min": whole seconds, rounded down.
    static QString describeDuration(qint64 ms);

private:
    const Clock &m_clock;
    GuardRailPolicy m_policy;
    std::optional<qint64> m_lastIncreaseAtMs;
};

// The time of the newest increase in an audit log (entries in any order): a "split.set" entry that
// succeeded with detail.to.canary above detail.from.canary, or made blind (detail.fromUnknown: the split
// could not be read first) and leaving traffic on the canary. An entry with neither is not one: the audit
// leaves "from" out when nothing moved, and a script that idempotently sets the split it already has must
// not start a cool-down. A "split.changed-outside" entry (someone else's change, seen here) counts alike.
// Only entries of `targetId` count (TrafficBackend::targetId; empty: all), and entries that name no target.
std::optional<qint64> lastIncreaseInAudit(
    const QList<store::AuditEntry> &entries, const QString &targetId = {});

} // namespace canary::traffic
