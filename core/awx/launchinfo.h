#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>

namespace canary::awx {

// The launch pre-flight, GET job_templates/{id}/launch/: what AWX will need before a job can start. It only
// needs read access, so it cannot tell whether this user may launch.
struct LaunchInfo
{
    int templateId = 0; // job_template_data.id
    QString templateName;
    bool canStartWithoutUserInput = false;
    bool askVariablesOnLaunch = false;
    bool surveyEnabled = false;
    bool inventoryNeededToStart = false;
    QStringList variablesNeededToStart; // required survey variables without a default
    QStringList passwordsNeededToStart; // credential passwords nobody stored
    QString defaultExtraVarsText; // defaults.extra_vars
};

} // namespace canary::awx

Q_DECLARE_METATYPE(canary::awx::LaunchInfo)
