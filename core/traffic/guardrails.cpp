#include "guardrails.h"

#include <algorithm>

#include <QDateTime>
#include <QJsonObject>
#include <QRegularExpression>

#include "dynatrace/event.h"
#include "store/auditlog.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

bool GuardDecision::isBlockedBy(Block::Kind kind) const
{
    return std::any_of(
        blocks.begin(), blocks.end(), [kind](const Block &block) { return block.kind == kind; });
}

QStringList GuardDecision::reasons() const
{
    QStringList lines;
    for (const Block &block : blocks)
        lines.append(block.reason);
    return lines;
}

GuardRails::GuardRails(const Clock &clock, GuardRailPolicy policy)
    : m_clock(clock)
    , m_policy(policy)
{ }

void noteOpenProblems(GuardConditions &conditions, const std::vector<dynatrace::Problem> &problems)
{
    std::vector<const dynatrace::Problem *> open;
    for (const auto &problem : problems) {
        if (problem.isOpen())
            open.push_back(&problem);
    }
    if (open.empty())
        return;
    conditions.problemOpen = true;
    conditions.problemId = open.front()->displayId;
    conditions.problemTitle = open.front()->title;
    conditions.otherOpenProblems = int(open.size()) - 1;
}

GuardDecision GuardRails::check(int fromPercent, int toPercent, const GuardConditions &conditions) const
{
    using Kind = GuardDecision::Block::Kind;
    GuardDecision decision;
    if (!m_policy.enabled)
        return decision;

    // Freezes and the cool-down are worked out for decreases too: maxAllowedPercent and nextIncreaseAtMs
    // tell a slider how far it may go, whichever way it last moved.
    std::vector<GuardDecision::Block> holds;
    if (m_policy.minMsBetweenIncreases > 0 && m_lastIncreaseAtMs) {
        const qint64 nowMs = m_clock.nowMs();
        const qint64 nextMs = *m_lastIncreaseAtMs + m_policy.minMsBetweenIncreases;
        if (nowMs < nextMs) {
            // A last increase "in the future" (another machine's clock in the audit log) counts as just now.
            const qint64 agoMs = std::max<qint64>(0, nowMs - *m_lastIncreaseAtMs);
            decision.nextIncreaseAtMs = nextMs;
            holds.push_back({ Kind::CoolDown,
                u"last increase %1 ago; increases need %2 between them (next allowed at %3 UTC)"_s.arg(
                    describeDuration(agoMs), describeDuration(m_policy.minMsBetweenIncreases),
                    QDateTime::fromMSecsSinceEpoch(nextMs, Qt::UTC).toString(u"HH:mm:ss"_s)) });
        }
    }
    if (m_policy.freezeOnOpenProblem && conditions.problemOpen) {
        QString what = u"problem"_s;
        if (!conditions.problemId.isEmpty())
            what += u' ' + conditions.problemId;
        if (!conditions.problemTitle.isEmpty())
            what += u" \"%1\""_s.arg(conditions.problemTitle);
        QString reason = what == u"problem"_s ? u"a problem is open on the target"_s : what + u" is open"_s;
        if (conditions.otherOpenProblems > 0)
            reason += u" (and %1 more)"_s.arg(conditions.otherOpenProblems);
        holds.push_back({ Kind::OpenProblem, reason });
    }
    if (m_policy.freezeOnStale && conditions.dataStale)
        holds.push_back({ Kind::StaleData,
            conditions.staleDetail.isEmpty() ? u"data is stale"_s
                                             : u"data is stale: %1"_s.arg(conditions.staleDetail) });
    if (m_policy.freezeOnFail && conditions.verdictFail)
        holds.push_back({ Kind::VerdictFail,
            conditions.verdictSentence.isEmpty()
                ? u"verdict is FAIL"_s
                : u"verdict is FAIL: %1"_s.arg(conditions.verdictSentence) });

    const int maxStep = std::clamp(m_policy.maxStepUpPercent, 0, 100);
    decision.maxAllowedPercent = holds.empty() ? std::min(100, fromPercent + maxStep) : fromPercent;

    if (toPercent <= fromPercent)
        return decision; // never block taking traffic away from the canary

    const int step = toPercent - fromPercent;
    if (step > maxStep)
        decision.blocks.push_back({ Kind::StepTooLarge,
            u"step of +%1 points exceeds the maximum of +%2 (%3 % to %4 %)"_s.arg(step)
                .arg(maxStep)
                .arg(fromPercent)
                .arg(toPercent) });
    decision.blocks.insert(decision.blocks.end(), holds.begin(), holds.end());
    decision.allowed = decision.blocks.empty();
    return decision;
}

GuardDecision GuardRails::checkRamp(
    int fromPercent, const QList<int> &steps, qint64 pauseMs, const GuardConditions &conditions) const
{
    using Kind = GuardDecision::Block::Kind;
    if (steps.isEmpty() || !m_policy.enabled)
        return {};
    GuardDecision decision = check(fromPercent, steps.front(), conditions);
    const bool startsWithIncrease = steps.front() > fromPercent;
    const int maxStep = std::clamp(m_policy.maxStepUpPercent, 0, 100);
    bool increasesLater = false;
    for (qsizetype i = 1; i < steps.size(); ++i) {
        const int step = steps[i] - steps[i - 1];
        if (step <= 0)
            continue;
        increasesLater = true;
        if (step > maxStep)
            decision.blocks.push_back({ Kind::StepTooLarge,
                u"ramp step %1 (%2 % to %3 %) is +%4 points, more than the maximum of +%5"_s.arg(i + 1)
                    .arg(steps[i - 1])
                    .arg(steps[i])
                    .arg(step)
                    .arg(maxStep) });
    }
    if (increasesLater && pauseMs < m_policy.minMsBetweenIncreases)
        decision.blocks.push_back({ Kind::CoolDown,
            u"the ramp pauses %1 between steps; increases need %2 between them"_s.arg(
                describeDuration(pauseMs), describeDuration(m_policy.minMsBetweenIncreases)) });
    // A ramp whose first step is not an increase still raises the share later: what freezes increases
    // now refuses it too (check() says nothing about freezes for a decrease).
    if (!startsWithIncrease && increasesLater) {
        GuardRails probe(m_clock, m_policy);
        for (const auto &block : probe.check(0, 1, conditions).blocks) {
            if (block.kind != Kind::StepTooLarge && block.kind != Kind::CoolDown)
                decision.blocks.push_back(block);
        }
    }
    decision.allowed = decision.blocks.empty();
    return decision;
}

QStringList GuardRails::freezes(const GuardConditions &conditions) const
{
    using Kind = GuardDecision::Block::Kind;
    QStringList reasons;
    // An increase of one point from 0 with no cool-down in play shows exactly the freezes.
    GuardRails probe(m_clock, m_policy);
    for (const auto &block : probe.check(0, 1, conditions).blocks) {
        if (block.kind != Kind::StepTooLarge && block.kind != Kind::CoolDown)
            reasons.append(block.reason);
    }
    return reasons;
}

void GuardRails::recordApplied(int fromPercent, int toPercent)
{
    if (toPercent > fromPercent)
        m_lastIncreaseAtMs = m_clock.nowMs();
}

QString GuardRails::normalisedOverrideReason(const QString &reason)
{
    // Terminal escapes and invisible characters (C0/C1 controls, zero-width and other format characters)
    // would let a reason that says nothing pass for one, and would reach terminals and reports raw.
    // Whole escape sequences go, not just their ESC: "\e[8m" must not leave "[8m" to pass for a word.
    static const QRegularExpression escapes(
        u"\x1b\\[[0-?]*[ -/]*[@-~]|\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]"_s);
    QString stripped = reason;
    stripped.replace(escapes, u" "_s);
    QString visible;
    visible.reserve(stripped.size());
    for (const QChar c : stripped) {
        const auto category = c.category();
        if (category == QChar::Other_Control || category == QChar::Other_Format)
            visible.append(u' ');
        else
            visible.append(c);
    }
    return visible.simplified();
}

QString GuardRails::overrideRefusal(const QString &reason)
{
    const QString text = normalisedOverrideReason(reason);
    if (text.isEmpty())
        return u"an override needs a reason: say why the guard-rails do not apply this time"_s;
    const qsizetype words = text.split(u' ', Qt::SkipEmptyParts).size();
    if (text.size() < MinimumOverrideCharacters || words < MinimumOverrideWords)
        return u"the override reason \"%1\" is too short: write at least %2 words and %3 characters saying "
               "why the guard-rails do not apply this time"_s.arg(text)
                   .arg(MinimumOverrideWords)
                   .arg(MinimumOverrideCharacters);
    return {};
}

bool GuardRails::overrideAllowed(const QString &reason)
{
    return overrideRefusal(reason).isEmpty();
}

QString GuardRails::describeDuration(qint64 ms)
{
    const qint64 totalSeconds = std::max<qint64>(0, ms) / 1000;
    const qint64 hours = totalSeconds / 3600;
    const qint64 minutes = totalSeconds % 3600 / 60;
    const qint64 seconds = totalSeconds % 60;
    QStringList parts;
    if (hours > 0)
        parts.append(u"%1 h"_s.arg(hours));
    if (minutes > 0)
        parts.append(u"%1 min"_s.arg(minutes));
    // Seconds beside hours would be noise; "0 s" only when nothing else is said.
    if ((seconds > 0 && hours == 0) || parts.isEmpty())
        parts.append(u"%1 s"_s.arg(seconds));
    return parts.join(u' ');
}

std::optional<qint64> lastIncreaseInAudit(const QList<store::AuditEntry> &entries, const QString &targetId)
{
    std::optional<qint64> newest;
    for (const store::AuditEntry &entry : entries) {
        const bool change = entry.action == u"split.set"_s || entry.action == u"split.changed-outside"_s;
        if (!change || entry.result != store::AuditResult::Succeeded)
            continue;
        // Another target's increase is not this one's users' experience; a row from before targets were
        // written counts, as it may have been this one.
        const QString rowTarget = entry.detail.value(u"targetId"_s).toString();
        if (!targetId.isEmpty() && !rowTarget.isEmpty() && rowTarget != targetId)
            continue;
        const QJsonObject from = entry.detail.value(u"from"_s).toObject();
        const QJsonObject to = entry.detail.value(u"to"_s).toObject();
        if (!to.contains(u"canary"_s))
            continue;
        // A change made without knowing where traffic was counts as an increase if it left any on the canary.
        const bool blind = entry.detail.value(u"fromUnknown"_s).toBool();
        if (!blind && !from.contains(u"canary"_s))
            continue;
        const int before = blind ? 0 : from.value(u"canary"_s).toInt();
        if (to.value(u"canary"_s).toInt() > before && (!newest || entry.atMs > *newest))
            newest = entry.atMs;
    }
    return newest;
}

} // namespace canary::traffic
