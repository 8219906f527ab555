#pragma once

#include <optional>

#include <QDateTime>
#include <QJsonObject>
#include <QMetaType>
#include <QString>

namespace canary::awx {

// One job, as GET jobs/{id}/ (or an item of a job list, or a launch answer) describes it.
struct Job
{
    int id = 0;
    int templateId = 0; // job_template; 0 when the template was deleted
    QString name;
    QString url; // server-relative: "/api/v2/jobs/1190/"
    QString status; // new, pending, waiting, running, successful, failed, error, canceled
    bool failed = false;
    QString jobExplanation; // AWX's reason; often empty when a playbook task failed
    std::optional<QString> resultTraceback; // detail view only
    QJsonObject artifacts; // what the playbook published with set_stats
    QString extraVarsText; // as AWX sends it: a JSON or YAML string
    QJsonObject extraVars; // extraVarsText parsed (JSON, or flat YAML); empty when it is neither
    QDateTime started; // invalid until the job started
    QDateTime finished; // invalid until the job finished
    double elapsed = 0; // seconds
    bool eventProcessingFinished = false;
    QDateTime created;
    // Who started it: launched_by.name, else summary_fields.created_by.username; empty when AWX does not say
    // (a schedule, a workflow) or says it in a shape the parser does not know.
    QString launchedBy;
    // Whether the answer carried the keys at all: a list view may strip them (newer AWX only sends them on
    // request), and a missing key is not an empty value.
    bool hasArtifacts = false;
    bool hasExtraVars = false;

    static bool isTerminalStatus(const QString &status);
    bool isTerminal() const { return isTerminalStatus(status); }
    bool isSuccessful() const { return status == QStringLiteral("successful"); }
};

} // namespace canary::awx

Q_DECLARE_METATYPE(canary::awx::Job)
