#pragma once

#include <optional>

#include <QJsonObject>
#include <QMetaType>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QTimer>

#include "awxerror.h"
#include "job.h"
#include "launchinfo.h"
#include "launchresult.h"

namespace canary {
class Clock;
}
namespace canary::net {
class RestCall;
}

namespace canary::awx {

class AwxClient;

// What would keep a launch from running as asked, read from the launch pre-flight. AWX accepts some of these
// launches anyway and then runs without what was sent, so they are refused before anything starts.
struct LaunchBlockers
{
    // Extra variables were sent, but the template neither prompts for variables nor has a survey: AWX
    // would drop them and run with the template's own values.
    bool variablesNotPrompted = false;
    QStringList passwordsNeeded; // credential passwords nobody stored
    bool inventoryNeeded = false;
    QStringList unansweredVariables; // required survey variables the extra variables do not answer
    // AWX cannot start without input and no variable explains it: a prompted credential or field.
    bool needsUserInput = false;

    bool any() const
    {
        return variablesNotPrompted || !passwordsNeeded.isEmpty() || inventoryNeeded
            || !unansweredVariables.isEmpty() || needsUserInput;
    }
    static LaunchBlockers of(const LaunchInfo &info, const QJsonObject &extraVars);
};

// Why a JobRun ended without a job in a final status. Each caller words it for its own people.
struct JobRunError
{
    enum class Kind {
        Preflight, // GET job_templates/{id}/launch/ failed: `awx`
        Refused, // the pre-flight says the job would not run as asked: `blockers`, `launchInfo`
        Launch, // POST job_templates/{id}/launch/ failed: `awx`; Timeout/Transport: a job may have started
        IgnoredFields, // launched, but AWX dropped some of what was sent (`launch`); the job was canceled
                       // unless `cancelError` says otherwise
        Poll, // a poll failed in a way another poll cannot mend (401, 403, 404, a malformed answer): `awx`
        TimedOut, // no final status within the timeout: `lastStatus`, `lastPollError`
    };

    Kind kind = Kind::Preflight;
    int jobId = 0; // 0 before the launch
    AwxError awx;
    LaunchInfo launchInfo;
    LaunchBlockers blockers;
    LaunchResult launch;
    std::optional<AwxError> cancelError;
    QString lastStatus; // the last status a poll saw; empty when none did
    std::optional<AwxError> lastPollError; // set when the last poll failed
    qint64 followedMs = 0; // on the clock, since the job was launched or followed
};

// A job that reached a final status: successful, failed, error or canceled.
struct JobRunResult
{
    Job job;
    // The job's output, read once it ended: when output is followed, and when a failed job gives no
    // explanation (a failed task's message is only in its output). nullopt when not read or not readable.
    std::optional<QString> output;
    bool cancelRequested = false; // cancel() asked AWX to stop it
};

// One AWX job from launch to final status: the pre-flight (GET launch/), the launch, AWX's ignored_fields,
// and polling until the job ends. Every caller that runs a job template goes through it, so they share one
// idea of which poll failures are worth another poll: no answer, a timeout, 429 and 502/503/504 (AWX being
// restarted or rate limiting) are retried until the job timeout; anything else (401, 403, 404, an answer
// that makes no sense) ends the run, since asking again would get the same answer.
//
// Emits exactly one of finished() and failed(), then nothing more. Deleting it (or abandon()) stops what is
// under way without signals; a job already launched keeps running in AWX. Do not delete it from a slot it
// is emitting: use deleteLater().
class JobRun final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JobRun)

public:
    // `clock` measures the job timeout, so tests can run a ten-minute job in a moment.
    JobRun(AwxClient *client, const Clock &clock, QObject *parent = nullptr);
    ~JobRun() override;

    void setPollIntervalMs(int ms) { m_pollIntervalMs = ms; }
    // From the launch (or follow()) to the job's final status.
    void setTimeoutMs(qint64 ms) { m_timeoutMs = ms; }
    // Reads the output after every poll (outputChanged) and once at the end, for people watching the job.
    void setFollowOutput(bool follow) { m_followOutput = follow; }
    // Extra variables AWX may drop without harm (a change id for finding the job again): when the launch's
    // ignored_fields name only these, the job runs on and optionalVariablesIgnored() says so.
    void setOptionalVariables(const QStringList &names) { m_optionalVariables = names; }

    // Pre-flight, launch with `extraVars`, then follow the job.
    void start(int templateId, const QJsonObject &extraVars);
    // Follows a job launched before (by an earlier run of the app): no pre-flight, no launch.
    void follow(int jobId);
    // Asks AWX to stop the launched job (cancelAnswered tells what AWX said); the job's own final status
    // ("canceled") then ends the run. False when there is no job to cancel yet or any more.
    bool cancel();
    // Stops without another signal.
    void abandon();

    int jobId() const { return m_jobId; }
    bool isDone() const { return m_done; }

    // The policy above: worth another poll.
    static bool isTransientPollFailure(const AwxError &error);

Q_SIGNALS:
    // The pre-flight let the launch through; the POST leaves when this returns (abandon() stops it).
    void aboutToLaunch(const canary::awx::LaunchInfo &info);
    // `jobPath` is server-relative, as AWX gives it ("/api/v2/jobs/1190/"); empty when it gave none.
    void launched(int jobId, const QString &jobPath);
    // AWX launched the job without these optional variables (setOptionalVariables).
    void optionalVariablesIgnored(const QStringList &names);
    // Every answer to a poll, the final one included.
    void polled(const canary::awx::Job &job);
    // Each status the job was seen in, the launch's ("pending") first.
    void statusChanged(const QString &status);
    // A poll failed in a way the next one may not: the run carries on.
    void pollRetrying(const canary::awx::AwxError &error);
    // The whole output so far, whenever it changed (with setFollowOutput).
    void outputChanged(const QString &output);
    // AWX's answer to cancel(): accepted, or why not.
    void cancelAnswered(bool accepted, const canary::awx::AwxError &error);
    void finished(const canary::awx::JobRunResult &result);
    void failed(const canary::awx::JobRunError &error);

private:
    void preflight();
    void launch();
    void ignored(const LaunchResult &answer);
    void poll();
    void pollAgainOrGiveUp();
    void ended(const Job &job);
    void readOutput();
    void noteStatus(const QString &status);
    void fail(JobRunError error);
    void succeed(JobRunResult result);
    void dropCalls();
    qint64 followedMs() const;

    QPointer<AwxClient> m_client;
    const Clock &m_clock;
    int m_pollIntervalMs = 2'000;
    qint64 m_timeoutMs = 15 * 60'000;
    bool m_followOutput = false;
    QStringList m_optionalVariables;

    int m_templateId = 0;
    QJsonObject m_extraVars;
    int m_jobId = 0;
    qint64 m_followedSinceMs = 0;
    QString m_lastStatus;
    QString m_lastOutput;
    std::optional<AwxError> m_lastPollError;
    bool m_cancelRequested = false;
    bool m_done = false;
    QTimer m_pollTimer;
    // One call of the run at a time, plus the output read while following and a cancel.
    QPointer<net::RestCall> m_call;
    QPointer<net::RestCall> m_outputCall;
    QPointer<net::RestCall> m_cancelCall;
};

} // namespace canary::awx

Q_DECLARE_METATYPE(canary::awx::JobRunResult)
Q_DECLARE_METATYPE(canary::awx::JobRunError)
