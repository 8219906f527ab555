#pragma once

#include <vector>

#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QUrl>

#include "dynatrace/event.h"
#include "util/expected.h"

namespace canary::rollback {

// What the operator has set up and therefore trusts: the one AWX its token belongs to, and origins that are
// known to be that same AWX under another name (the workshop's events carry http://ansible.<ingress-domain>/)
// or GitLab instances whose pipeline triggers may be called.
struct PlanPolicy
{
    QUrl awxUrl; // empty: no AWX configured, so no AWX plan can run
    QStringList allowedOrigins; // "https://gitlab.example.com", "http://ansible.10.0.0.1.nip.io"
};

// The backout plan recorded on the newest configuration change, resolved into what will run, where, and why
// it is trusted. A value: the confirmation dialog, the CLI and the runner all read the same one.
struct BackoutPlan
{
    enum class Kind {
        AwxTemplate, // launch a job template on the configured AWX
        GitlabPipeline, // POST a pipeline-trigger URL on an allowlisted origin
        NothingToDo, // the newest change recorded "NA" (or nothing): it was itself a reset
    };

    Kind kind = Kind::NothingToDo;
    int templateId = 0; // AwxTemplate
    QString templateName; // AwxTemplate, when AWX told us: "Reset canary weighting"
    QString awxHost; // AwxTemplate: where it runs, "awx.example.com"
    QUrl triggerUrl; // GitlabPipeline: the exact URL to POST
    QString remediationType; // as recorded
    QString remediationAction; // as recorded
    QString trust; // why running it is allowed, for the confirmation
    dynatrace::Event source; // the change event the plan was recorded on
    // When the events it was resolved from began to be read (0: not known). A rollback another process
    // finished after it makes the plan stale: the runner refuses to run it.
    qint64 readAtMs = 0;

    bool needsAction() const { return kind != Kind::NothingToDo; }
    // One line for a button or a log: "Launch 'Reset canary weighting' (#9) on awx.example.com".
    QString shortText() const;
    // The exact action, for the confirmation: where the request goes and from which event the plan comes.
    // Secrets in a trigger URL (token=…) are masked.
    QString detailText() const;
};

// Why no plan can run: an operator reads it, so it names the event and the recorded action.
struct PlanRefusal
{
    enum class Reason {
        NoChangeEvent, // no configuration change on the target carries a remediationAction
        // The newest traffic change (CUSTOM_CONFIGURATION) carries no remediationAction: an older change's
        // plan would undo the wrong thing, and an older reset would claim there is nothing to do.
        NewestChangeWithoutPlan,
        // The newest change recorded no backout (NA), yet the canary carries traffic now.
        CanaryCarriesTraffic,
        NoAwxConfigured, // an AWX plan, but no AWX to run it on
        UntrustedOrigin, // a URL outside the configured AWX and the allowlist: nothing is sent there
        Unrecognised, // neither a template id, a launch URL, NA, nor a GitLab trigger
    };

    Reason reason = Reason::NoChangeEvent;
    QString message;
    std::optional<dynatrace::Event> source;

    // No plan can run, and the labelled fallback (canary to 0 % through the traffic back-end) is the way
    // out: nothing recorded, or nothing recorded for the change that put the canary where it is.
    bool offersFallback() const
    {
        return reason == Reason::NoChangeEvent || reason == Reason::NewestChangeWithoutPlan
            || reason == Reason::CanaryCarriesTraffic;
    }
};

using PlanResult = Expected<BackoutPlan, PlanRefusal>;

// The newest CUSTOM_CONFIGURATION / CUSTOM_DEPLOYMENT event in `events` that carries a remediationAction
// property, resolved against `policy`; refused (NewestChangeWithoutPlan) when a newer traffic change
// (CUSTOM_CONFIGURATION) carries none. `events` may be in any order.
PlanResult resolvePlan(const std::vector<dynatrace::Event> &events, const PlanPolicy &policy);

// Stable names for scripts and the journal: "awx-template", "gitlab-pipeline", "nothing"; "no-change-event",
// "no-awx-configured", "untrusted-origin", "unrecognised".
QString kindName(BackoutPlan::Kind kind);
QString reasonName(PlanRefusal::Reason reason);

// `url` with the values of secret-looking query items (token, private_token, …) replaced by "***".
QString maskedUrl(const QUrl &url);

} // namespace canary::rollback

Q_DECLARE_METATYPE(canary::rollback::BackoutPlan)
