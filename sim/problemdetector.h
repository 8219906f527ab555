#pragma once

#include <deque>
#include <optional>

#include <QObject>

#include "seededrandom.h"
#include "worldconfig.h"

namespace canary::sim {

class ProblemStore;
class World;

// Davis for the simulated tenant: watches the service's failure rate (failed / requests over the last
// FailureRateDetection::windowMs, both builds together) and opens an ERROR problem "Failure rate increase"
// once the rate has stayed above the threshold for persistenceMs, closing it once it has stayed below as
// long. The problem starts when the rate first rose above the threshold and ends when it first fell back
// below.
//
// Lazy like the World: nothing runs on a timer. evaluate() judges every step from where it stopped up to the
// clock's now, a few world look-ups per step, so a day of simulated time costs milliseconds. It runs when
// asked (the problems and events routes ask first) and whenever the world's weight changes. Data the world
// no longer keeps (retention) is skipped, and closed problems older than the retention are forgotten.
class ProblemDetector final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProblemDetector)

public:
    ProblemDetector(World &world, ProblemStore &problems, QObject *parent = nullptr);
    ~ProblemDetector() override;

    const FailureRateDetection &config() const { return m_config; }

    // Brings the store up to the clock's now.
    void evaluate();
    // The instant evaluate() has judged up to (the end of the last complete step).
    qint64 evaluatedUntilMs() const { return m_nextStepMs; }

private:
    struct Step
    {
        qint64 requests = 0;
        qint64 failed = 0;
    };

    void judge(qint64 atMs);
    void open(qint64 startMs, double ratePercent);
    void close(qint64 endMs);

    World &m_world;
    ProblemStore &m_problems;
    FailureRateDetection m_config;
    qsizetype m_stepsPerWindow = 6;
    qint64 m_nextStepMs = 0; // start of the next step to read from the world
    std::deque<Step> m_window; // the last m_stepsPerWindow steps, oldest first
    Step m_windowTotal;
    std::optional<qint64> m_aboveSinceMs;
    std::optional<qint64> m_belowSinceMs;
    QString m_openProblemId;
    SeededRandom m_ids;
    int m_nextDisplayNumber = 0;
    bool m_evaluating = false;
};

} // namespace canary::sim
