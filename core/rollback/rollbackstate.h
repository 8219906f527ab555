#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include "backoutplan.h"

namespace canary::rollback {

// Where a rollback is. Stored before each step, so a restarted app knows what was already done.
enum class Stage {
    Preflight, // checking the plan can run (AWX launch pre-flight)
    Launching, // the launch request is (or may be) on its way: from here on something may have run
    Following, // the job runs; polled to a terminal status
    Verifying, // the back-end must read 0 % canary and the requests must follow
    Recording, // event on the target, comment on open problems
    Finished,
};

enum class Failure {
    None,
    NoPlan, // nothing to run (and the operator did not choose the fallback)
    Refused, // the plan is not trusted, or a rollback already runs
    LaunchFailed, // pre-flight or launch refused, trigger not accepted
    JobFailed, // the job ended failed / error / canceled, or timed out
    NotVerified, // it ran, but traffic did not (yet) leave the canary
    // Another process holds this target's rollback lease, or finished a rollback after this plan was read:
    // nothing was launched.
    Busy,
    // A launch whose answer was lost or unreadable, and no job of it could be found: a job may be running.
    Unknown,
    // The local state (the store behind the lease, or a damaged journal) cannot be used: nothing was
    // launched.
    StoreUnusable,
};

QString stageName(Stage stage);
QString failureName(Failure failure);

// One rollback, from the click to its record: a value the journal stores and the UI and CLI show.
struct RollbackState
{
    QString id; // "rollback-<uuid>"; older journals hold "rollback-<startedAtMs>"
    bool fallback = false; // "set canary to 0 % through the traffic back-end" instead of a plan
    BackoutPlan plan;
    QString reason;
    QString operatorName;
    QStringList openProblemIds; // problems open at the click: they get a comment
    Stage stage = Stage::Preflight;
    Failure failure = Failure::None;
    QString message; // the outcome in one line, or why it failed
    int jobId = 0;
    QString jobUrl; // absolute, for people (the AWX UI's API page)
    QString jobStatus;
    qint64 startedAtMs = 0;
    qint64 launchSentAtMs = 0; // when the launch request left: a lost answer's job is looked for from here
    // The template's newest job id read before the launch (0: it had none; -1: not known). A lost answer's
    // job is the one after it: AWX's own numbering, whatever its clock and ours say.
    int newestJobBeforeLaunch = -1;
    qint64 jobFinishedAtMs = 0;
    qint64 finishedAtMs = 0;
    bool backendVerified = false; // the traffic back-end read 0 % canary
    std::optional<double> observedCanaryPercent; // in the newest complete interval after the job
    bool verified = false; // both of the above

    bool succeeded() const { return stage == Stage::Finished && failure == Failure::None; }
    // "AWX job 1190 successful", "fallback: canary set to 0 %", …
    QString actionText() const;

    QJsonObject toJson() const;
    static std::optional<RollbackState> fromJson(const QJsonObject &json);
};

} // namespace canary::rollback

Q_DECLARE_METATYPE(canary::rollback::RollbackState)
