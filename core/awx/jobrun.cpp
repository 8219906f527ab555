#include "jobrun.h"

#include "awxclient.h"
#include "net/restcall.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::awx {

LaunchBlockers LaunchBlockers::of(const LaunchInfo &info, const QJsonObject &extraVars)
{
    LaunchBlockers blockers;
    blockers.variablesNotPrompted = !extraVars.isEmpty() && !info.askVariablesOnLaunch && !info.surveyEnabled;
    blockers.passwordsNeeded = info.passwordsNeededToStart;
    blockers.inventoryNeeded = info.inventoryNeededToStart;
    for (const QString &variable : info.variablesNeededToStart) {
        if (!extraVars.contains(variable))
            blockers.unansweredVariables.append(variable);
    }
    // With required variables AWX says it needs input even when the launch answers them all.
    blockers.needsUserInput = !info.canStartWithoutUserInput && info.variablesNeededToStart.isEmpty();
    return blockers;
}

JobRun::JobRun(AwxClient *client, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_clock(clock)
{
    m_pollTimer.setSingleShot(true);
    connect(&m_pollTimer, &QTimer::timeout, this, &JobRun::poll);
}

JobRun::~JobRun()
{
    abandon();
}

bool JobRun::isTransientPollFailure(const AwxError &error)
{
    switch (error.kind) {
    case AwxError::Kind::Transport:
    case AwxError::Kind::Timeout:
        return true;
    default:
        // Rate limiting, and a proxy or gateway in front of an AWX that is restarting or overloaded. A 500 is
        // AWX failing on this very request: it would fail the same way again.
        return error.httpStatus == 429 || error.httpStatus == 502 || error.httpStatus == 503
            || error.httpStatus == 504;
    }
}

void JobRun::start(int templateId, const QJsonObject &extraVars)
{
    m_templateId = templateId;
    m_extraVars = extraVars;
    preflight();
}

void JobRun::follow(int jobId)
{
    m_jobId = jobId;
    m_followedSinceMs = m_clock.nowMs();
    poll();
}

bool JobRun::cancel()
{
    if (m_done || m_jobId == 0 || !m_client || m_cancelCall)
        return false;
    m_cancelRequested = true;
    m_cancelCall = m_client->cancel(m_jobId, this, [this](const AwxResult<bool> &accepted) {
        Q_EMIT cancelAnswered(bool(accepted), accepted ? AwxError {} : accepted.error());
    });
    return true;
}

void JobRun::abandon()
{
    m_done = true;
    m_pollTimer.stop();
    dropCalls();
}

void JobRun::dropCalls()
{
    for (QPointer<net::RestCall> *call : { &m_call, &m_outputCall, &m_cancelCall }) {
        if (*call && !(*call)->isFinished()) {
            // Canceling finishes the call synchronously: its handler must not run into a run that is over.
            QObject::disconnect(*call, nullptr, this, nullptr);
            (*call)->cancel();
        }
        *call = nullptr;
    }
}

qint64 JobRun::followedMs() const
{
    return m_clock.nowMs() - m_followedSinceMs;
}

void JobRun::preflight()
{
    m_call = m_client->launchInfo(m_templateId, this, [this](const AwxResult<LaunchInfo> &info) {
        if (!info) {
            JobRunError error;
            error.kind = JobRunError::Kind::Preflight;
            error.awx = info.error();
            return fail(error);
        }
        const LaunchBlockers blockers = LaunchBlockers::of(info.value(), m_extraVars);
        if (blockers.any()) {
            JobRunError error;
            error.kind = JobRunError::Kind::Refused;
            error.launchInfo = info.value();
            error.blockers = blockers;
            return fail(error);
        }
        Q_EMIT aboutToLaunch(info.value());
        if (m_done)
            return; // the caller stopped it
        launch();
    });
}

void JobRun::launch()
{
    m_call = m_client->launch(m_templateId, m_extraVars, this, [this](const AwxResult<LaunchResult> &result) {
        if (!result) {
            JobRunError error;
            error.kind = JobRunError::Kind::Launch;
            error.awx = result.error();
            return fail(error);
        }
        const LaunchResult &answer = result.value();
        m_jobId = answer.jobId;
        m_followedSinceMs = m_clock.nowMs();
        Q_EMIT launched(m_jobId, answer.jobUrl);
        if (m_done)
            return;
        noteStatus(answer.job.status);
        if (m_done)
            return;
        if (answer.hasIgnoredFields()) {
            QStringList optional;
            bool onlyOptional = answer.ignoredFields.size() == 1;
            for (const QString &name : answer.ignoredExtraVars()) {
                if (m_optionalVariables.contains(name))
                    optional.append(name);
                else
                    onlyOptional = false;
            }
            if (!onlyOptional || optional.isEmpty())
                return ignored(answer);
            Q_EMIT optionalVariablesIgnored(optional);
            if (m_done)
                return;
        }
        m_pollTimer.start(m_pollIntervalMs);
    });
}

// The job runs without some of what it was given: stop it before it changes anything.
void JobRun::ignored(const LaunchResult &answer)
{
    JobRunError error;
    error.kind = JobRunError::Kind::IgnoredFields;
    error.jobId = m_jobId;
    error.launch = answer;
    error.lastStatus = m_lastStatus;
    m_cancelRequested = true;
    m_call = m_client->cancel(m_jobId, this, [this, error](const AwxResult<bool> &canceled) mutable {
        if (!canceled)
            error.cancelError = canceled.error();
        fail(error);
    });
}

void JobRun::noteStatus(const QString &status)
{
    if (status.isEmpty() || status == m_lastStatus)
        return;
    m_lastStatus = status;
    Q_EMIT statusChanged(status);
}

void JobRun::poll()
{
    m_call = m_client->job(m_jobId, this, [this](const AwxResult<Job> &result) {
        if (!result) {
            if (!isTransientPollFailure(result.error())) {
                JobRunError error;
                error.kind = JobRunError::Kind::Poll;
                error.jobId = m_jobId;
                error.awx = result.error();
                error.lastStatus = m_lastStatus;
                error.followedMs = followedMs();
                return fail(error);
            }
            m_lastPollError = result.error();
            Q_EMIT pollRetrying(result.error());
            if (m_done)
                return;
            return pollAgainOrGiveUp();
        }
        m_lastPollError.reset();
        const Job &job = result.value();
        Q_EMIT polled(job);
        if (m_done)
            return;
        noteStatus(job.status);
        if (m_done)
            return;
        if (job.isTerminal())
            return ended(job);
        if (m_followOutput && !m_outputCall)
            readOutput();
        pollAgainOrGiveUp();
    });
}

void JobRun::pollAgainOrGiveUp()
{
    if (followedMs() < m_timeoutMs) {
        m_pollTimer.start(m_pollIntervalMs);
        return;
    }
    JobRunError error;
    error.kind = JobRunError::Kind::TimedOut;
    error.jobId = m_jobId;
    error.lastStatus = m_lastStatus;
    error.lastPollError = m_lastPollError;
    error.followedMs = followedMs();
    fail(error);
}

void JobRun::readOutput()
{
    m_outputCall = m_client->stdoutText(m_jobId, this, [this](const AwxResult<QString> &text) {
        if (!text || text.value() == m_lastOutput)
            return; // the status is what matters; the output is a courtesy
        m_lastOutput = text.value();
        Q_EMIT outputChanged(m_lastOutput);
    });
}

void JobRun::ended(const Job &job)
{
    JobRunResult result;
    result.job = job;
    result.cancelRequested = m_cancelRequested;
    const bool unexplained = job.status == u"failed"_s && job.jobExplanation.isEmpty();
    if (!m_followOutput && !unexplained)
        return succeed(result);
    m_call = m_client->stdoutText(m_jobId, this, [this, result](const AwxResult<QString> &text) mutable {
        if (text) {
            result.output = text.value();
            if (m_followOutput && text.value() != m_lastOutput) {
                m_lastOutput = text.value();
                Q_EMIT outputChanged(m_lastOutput);
                if (m_done)
                    return;
            }
        }
        succeed(result);
    });
}

void JobRun::fail(JobRunError error)
{
    if (m_done)
        return;
    abandon();
    Q_EMIT failed(error);
}

void JobRun::succeed(JobRunResult result)
{
    if (m_done)
        return;
    abandon();
    Q_EMIT finished(result);
}

} // namespace canary::awx
