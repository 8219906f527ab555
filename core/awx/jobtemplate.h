#pragma once

#include <optional>

#include <QMetaType>
#include <QString>

namespace canary::awx {

// A job template as GET job_templates/{id}/ (or one item of the list) describes it.
struct JobTemplate
{
    int id = 0;
    QString name;
    QString url; // server-relative: "/api/v2/job_templates/7/"
    QString launchUrl; // related.launch, server-relative
    QString organization; // summary_fields.organization.name; names are unique per organization only
    bool askVariablesOnLaunch = false;
    bool surveyEnabled = false;
    std::optional<bool> canStart; // summary_fields.user_capabilities.start, when AWX sent it
    QString extraVarsText; // the template's own extra_vars: YAML or JSON text
};

} // namespace canary::awx

Q_DECLARE_METATYPE(canary::awx::JobTemplate)
