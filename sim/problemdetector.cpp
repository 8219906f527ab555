#include "problemdetector.h"

#include <algorithm>

#include "problemstore.h"
#include "timeunits.h"
#include "util/clock.h"
#include "world.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

qint64 alignUp(qint64 ms, qint64 step)
{
    return floorDiv(ms + step - 1, step) * step;
}

} // namespace

ProblemDetector::ProblemDetector(World &world, ProblemStore &problems, QObject *parent)
    : QObject(parent)
    , m_world(world)
    , m_problems(problems)
    , m_config(world.config().failureRateDetection)
    , m_ids(quint64(world.startMs()) ^ 0x50524F424C454D53ULL)
{
    m_config.stepMs = std::max<qint64>(m_config.stepMs, SecondMs);
    m_config.windowMs = std::max(m_config.windowMs, m_config.stepMs);
    m_config.persistenceMs = std::max<qint64>(m_config.persistenceMs, 0);
    m_stepsPerWindow = qsizetype(std::max<qint64>(1, m_config.windowMs / m_config.stepMs));
    m_nextStepMs = alignUp(world.startMs(), m_config.stepMs);
    // Display ids look like Dynatrace's P-230726: six digits, counting up from a reproducible start.
    m_nextDisplayNumber = 100'000 + int(m_ids.nextBelow(800'000));
    connect(&world, &World::canaryWeightChanged, this, &ProblemDetector::evaluate);
}

ProblemDetector::~ProblemDetector() = default;

void ProblemDetector::evaluate()
{
    // The world emits canaryWeightChanged while catching up, which the look-ups below make it do.
    if (m_evaluating || !m_config.enabled)
        return;
    m_evaluating = true;
    const qint64 nowMs = m_world.clock().nowMs();
    const qint64 oldestMs = m_world.oldestRetainedMs(); // catches the world up to now
    while (m_nextStepMs + m_config.stepMs <= nowMs) {
        if (m_nextStepMs < oldestMs) {
            // Asked too rarely: what the world has dropped cannot be judged. Start over from what it keeps.
            m_nextStepMs = alignUp(oldestMs, m_config.stepMs);
            m_window.clear();
            m_windowTotal = {};
            m_aboveSinceMs.reset();
            m_belowSinceMs.reset();
            continue;
        }
        const qint64 endMs = m_nextStepMs + m_config.stepMs;
        Step step;
        for (const World::BuildRole role : World::Roles) {
            const SecondStats stats = m_world.totals(role, m_nextStepMs, endMs);
            step.requests += stats.requests;
            step.failed += stats.failed;
        }
        m_window.push_back(step);
        m_windowTotal.requests += step.requests;
        m_windowTotal.failed += step.failed;
        if (qsizetype(m_window.size()) > m_stepsPerWindow) {
            m_windowTotal.requests -= m_window.front().requests;
            m_windowTotal.failed -= m_window.front().failed;
            m_window.pop_front();
        }
        m_nextStepMs = endMs;
        if (qsizetype(m_window.size()) == m_stepsPerWindow)
            judge(endMs);
    }
    m_problems.removeEndedBefore(nowMs - m_world.config().retentionMs);
    m_evaluating = false;
}

void ProblemDetector::judge(qint64 atMs)
{
    const Step &total = m_windowTotal;
    const double minRequests = double(m_config.minRequestsPerMinute) * double(m_config.windowMs) / MinuteMs;
    const double ratePercent
        = total.requests > 0 ? 100.0 * double(total.failed) / double(total.requests) : 0.0;
    const bool above = total.requests > 0 && double(total.requests) >= minRequests
        && ratePercent > m_config.thresholdPercent;

    if (m_openProblemId.isEmpty()) {
        if (!above) {
            m_aboveSinceMs.reset();
            return;
        }
        if (!m_aboveSinceMs)
            m_aboveSinceMs = atMs;
        if (atMs - *m_aboveSinceMs >= m_config.persistenceMs)
            open(*m_aboveSinceMs, ratePercent);
        return;
    }
    if (above) {
        m_belowSinceMs.reset();
        return;
    }
    if (!m_belowSinceMs)
        m_belowSinceMs = atMs;
    if (atMs - *m_belowSinceMs >= m_config.persistenceMs)
        close(*m_belowSinceMs);
}

void ProblemDetector::open(qint64 startMs, double ratePercent)
{
    const ServiceInfo &service = m_world.service();
    StoredProblem problem;
    problem.problemId = u"%1_%2V2"_s.arg(qint64(m_ids.next())).arg(startMs);
    problem.displayId = u"P-%1"_s.arg(m_nextDisplayNumber++);
    problem.title = u"Failure rate increase"_s;
    problem.startMs = startMs;
    problem.entityId = service.id;
    problem.entityType = u"SERVICE"_s;
    problem.entityName = service.name;
    problem.entityTags = service.tags;
    problem.eventId = u"%1_%2"_s.arg(qint64(m_ids.next())).arg(startMs);
    problem.eventCorrelationId = QString::number(m_ids.next(), 16).rightJustified(16, u'0');
    problem.description = u"Your custom threshold of %1 % was exceeded to %2 %."_s.arg(
        QString::number(m_config.thresholdPercent, 'g', 4), QString::number(ratePercent, 'f', 2));
    m_openProblemId = problem.problemId;
    m_aboveSinceMs.reset();
    m_belowSinceMs.reset();
    m_problems.add(std::move(problem));
}

void ProblemDetector::close(qint64 endMs)
{
    m_problems.close(m_openProblemId, endMs);
    m_openProblemId.clear();
    m_aboveSinceMs.reset();
    m_belowSinceMs.reset();
}

} // namespace canary::sim
