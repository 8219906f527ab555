#pragma once

#include <algorithm>
#include <functional>
#include <optional>
#include <vector>

#include <QHash>
#include <QObject>
#include <QStringList>
#include <QTimer>
#include <QVariantMap>

namespace canary::sim {

class AwxJson;
class SimServer;
class World;
struct WeightOrigin;
struct HttpReply;
struct SimRequest;

// A job of the simulated AWX as tests see it.
struct AwxSimJob
{
    int id = 0;
    int templateId = 0;
    QString status; // pending, running, successful, failed, error, canceled
    bool failed = false;
    QVariantMap extraVars; // what the job runs with: the template's own vars plus the accepted launch vars
    QVariantMap artifacts; // what the playbook published with set_stats
    QString jobExplanation;
    QString launchedBy; // the user whose credentials launched it
    qint64 createdMs = 0;
    qint64 startedMs = -1; // -1 while pending
    qint64 finishedMs = -1; // -1 until terminal
};

// The AWX API v2 of the simulated environment, under both /api/v2/ (AWX, AAP <= 2.4) and /api/controller/v2/
// (the AAP 2.5 gateway), with AWX's shapes (see tests/data/awx/): job templates (list with ?name=,
// detail, launch pre-flight and launch), a template's jobs, job detail, cancel and stdout. Authentication is
// AWX's: "Authorization: Bearer <token>", or Basic with user "admin" and the token as password, for a token
// the SimServer knows; POST needs the scope "awx.write", GET "awx.read" (or "awx.write").
//
// Jobs follow the world's clock: "pending" for pendingMs, then "running", then terminal after runMs. The
// canary templates move the world's router: the weight takes effect when the job turns "successful" (the
// ramp moves it at each step while it runs). The workshop's two templates also report each weight they set
// (setWeightReporter), as its Jenkins job does with a Dynatrace event. Their stdout grows while they run,
// and GET stdout/?format=json takes AWX's start_line/end_line, so a client can tail it.
class AwxApi final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AwxApi)

public:
    // Fixed ids, so tests and demo set-ups can name them.
    static constexpr int SetCanaryWeightTemplateId = 7; // asks variables; canary_weight 0..100 required
    static constexpr int StartCanaryDeploymentTemplateId = 8; // the workshop's ramp 30 -> 70 -> 100
    static constexpr int ResetCanaryWeightingTemplateId = 9; // no prompts; back to 0 % canary
    static constexpr int SetCanaryWeightNoPromptTemplateId = 11; // neither prompts nor survey: vars ignored
    static constexpr int BrokenProjectTemplateId = 12; // its project update fails: the job ends in error
    static constexpr int SetCanaryWeightSurveyTemplateId = 13; // a survey with canary_weight only

    AwxApi(World &world, SimServer &server, QObject *parent = nullptr);
    ~AwxApi() override;

    qint64 pendingMs() const { return m_pendingMs; }
    void setPendingMs(qint64 ms) { m_pendingMs = std::max<qint64>(0, ms); }
    qint64 runMs() const { return m_runMs; }
    void setRunMs(qint64 ms) { m_runMs = std::max<qint64>(0, ms); }
    // The pause between the ramp's steps (the workshop's loop_control.pause: 120 s).
    qint64 rampStepMs() const { return m_rampStepMs; }
    void setRampStepMs(qint64 ms) { m_rampStepMs = std::max<qint64>(0, ms); }
    // Which API paths answer; the others are 404. Default: both.
    void setServedApiPaths(const QStringList &paths) { m_servedApiPaths = paths; }

    // Told each weight "Start canary deployment" (every ramp step; remediationAction: the job's
    // remediation_template_id) and "Reset canary weighting" (on success; "NA") set, at the simulated time it
    // took effect. Without one (an AwxApi on its own) the jobs only move the router.
    using WeightReporter
        = std::function<void(int canaryWeight, const QString &remediationAction, qint64 atMs)>;
    void setWeightReporter(WeightReporter reporter) { m_weightReporter = std::move(reporter); }

    // Whose token this is, for launched_by (default: the one AWX user, "admin").
    void setTokenUser(const QString &token, const QString &user) { m_tokenUsers.insert(token, user); }

    // Every launched job, oldest first, brought up to the clock's now.
    QList<AwxSimJob> jobs();
    std::optional<AwxSimJob> job(int id);
    int jobCount() const { return int(m_jobs.size()); }

    // Moves every job up to the clock's now and applies what its playbook does to the world. Runs on every
    // AWX request, whenever a VirtualClock advances, and on a timer for the system clock.
    void advance();

Q_SIGNALS:
    void jobLaunched(int jobId, int templateId);
    void jobStatusChanged(int jobId, const QString &status);

private:
    friend class AwxJson; // the serialisation, which keeps nlohmann out of this header

    enum class Playbook {
        SetWeight, // asserts canary_weight (and old_weight), then sets it
        Ramp, // 30 -> 70 -> 100 with a pause between steps
        Reset, // canary 0
        NoEffect, // runs with the template's own vars, changes nothing
        BrokenProject, // never runs: its project update fails
    };

    struct Template
    {
        int id = 0;
        QString name;
        QString description;
        QString playbookFile;
        Playbook playbook = Playbook::NoEffect;
        bool askVariablesOnLaunch = false;
        bool surveyEnabled = false;
        QStringList surveyVariables; // integer 0..100, required
        QVariantMap extraVars; // the template's own
        QString extraVarsYaml;
    };

    struct JobRecord
    {
        AwxSimJob job;
        QString outcome; // the terminal status it will reach
        int weight = -1; // what it sets on success; -1: nothing
        QString failureMessage; // the failed assertion
        int rampStep = 0; // ramp steps applied so far
        int projectUpdateId = 0;
        qint64 canceledMs = -1;
        QVariantMap artifacts; // published once it succeeds
    };

    using Handler = HttpReply (AwxApi::*)(const SimRequest &request, const QString &apiPath);

    void addRoutes(
        SimServer &server, const QString &relative, const QList<QPair<QByteArray, Handler>> &handlers);
    HttpReply serve(const SimRequest &request, const QString &apiPath, Handler handler);
    // DRF's order: authentication (401), then permission (403: a token without write access POSTing).
    std::optional<HttpReply> authorize(const SimRequest &request, bool *canWrite, QString *who) const;

    HttpReply methodNotAllowed(const SimRequest &request, const QString &apiPath);

    HttpReply listTemplates(const SimRequest &request, const QString &apiPath);
    HttpReply getTemplate(const SimRequest &request, const QString &apiPath);
    HttpReply getLaunch(const SimRequest &request, const QString &apiPath);
    HttpReply postLaunch(const SimRequest &request, const QString &apiPath);
    HttpReply listTemplateJobs(const SimRequest &request, const QString &apiPath);
    HttpReply listJobs(const SimRequest &request, const QString &apiPath);
    HttpReply listJobsOf(
        const SimRequest &request, const QString &apiPath, std::vector<const JobRecord *> matches);
    HttpReply getJob(const SimRequest &request, const QString &apiPath);
    HttpReply getCancel(const SimRequest &request, const QString &apiPath);
    HttpReply postCancel(const SimRequest &request, const QString &apiPath);
    HttpReply getStdout(const SimRequest &request, const QString &apiPath);

    const Template *findTemplate(const QString &id) const;
    JobRecord *findJob(const QString &id);
    void planJob(JobRecord &record, const Template &jobTemplate) const;
    qint64 nextEventMs(const JobRecord &record) const;
    void step(JobRecord &record, qint64 atMs);
    void setStatus(JobRecord &record, const QString &status);
    WeightOrigin weightOrigin(const JobRecord &record, const Template &jobTemplate, qint64 atMs) const;
    void scheduleTimer();
    QString output(const JobRecord &record) const;

    World &m_world;
    SimServer &m_server;
    std::vector<Template> m_templates;
    std::vector<JobRecord> m_jobs;
    int m_nextId = 1200;
    qint64 m_pendingMs = 1000;
    qint64 m_runMs = 3000;
    qint64 m_rampStepMs = 120'000;
    QStringList m_servedApiPaths;
    WeightReporter m_weightReporter;
    QTimer m_timer; // only with a wall clock: a VirtualClock tells us when it moves
    bool m_virtualClock = false;
    bool m_advancing = false;
    bool m_requestCanWrite = false;
    QString m_requestUser; // who the request being served authenticated as
    QHash<QString, QString> m_tokenUsers; // the caller of the request being served, for user_capabilities
};

} // namespace canary::sim
