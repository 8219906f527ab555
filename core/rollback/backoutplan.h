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
//
// Whoever can write events to the tenant (the events.ingest scope is handed to pipelines and other teams)
// chooses which plan is the newest. The pinned templates bound what that choice can launch with the
// operator's AWX token: without them, any template on the AWX can be named.
struct PlanPolicy
{
    QUrl awxUrl; // empty: no AWX configured, so no AWX plan can run
    QStringList allowedOrigins; // "https://gitlab.example.com", "http://ansible.10.0.0.1.nip.io"
    // The job templates a plan may launch, each an id ("9") or a name as AWX shows it ("Reset canary
    // weighting"); empty: any template on the configured AWX.
    QStringList allowedTemplates;
    // Plans only from change events whose dt.event.source is this (e.g. "Jenkins"); empty: any source.
    QString eventSource;
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
        TemplateNotAllowed, // an AWX template outside the profile's pinned templates
                            // (rollback.allow-template)
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

// The newest CUSTOM_CONFIGURATION event in `events` that carries a remediationAction property (and, with
// policy.eventSource, comes from that source), resolved against `policy`; refused (NewestChangeWithoutPlan)
// when a newer traffic change carries none. Other event types never hold a plan: an "NA" on a deployment or
// an annotation does not answer "nothing to do". `events` may be in any order. An AWX plan is not checked
// against the pinned templates here, since a template named in the list by name needs AWX's answer: that is
// checkPinnedTemplate(), once the name is known.
PlanResult resolvePlan(const std::vector<dynatrace::Event> &events, const PlanPolicy &policy);

// `plan` if it may launch under `policy.allowedTemplates`: its id or its name as AWX reported it
// (plan.templateName; empty when AWX could not say) is on the list, or there is no list, in which case the
// plan's trust says plainly that events choose the template. Otherwise a TemplateNotAllowed refusal naming
// the template and the list. Plans of other kinds pass unchanged.
PlanResult checkPinnedTemplate(BackoutPlan plan, const PlanPolicy &policy);

// "#9, 'Reset canary weighting'": the pinned templates as an operator reads them.
QString describeTemplates(const QStringList &allowedTemplates);

// Stable names for scripts and the journal: "awx-template", "gitlab-pipeline", "nothing"; "no-change-event",
// "no-awx-configured", "untrusted-origin", "unrecognised", "template-not-allowed".
QString kindName(BackoutPlan::Kind kind);
QString reasonName(PlanRefusal::Reason reason);

// `url` with the values of secret-looking query items (token, private_token, …) replaced by "***".
QString maskedUrl(const QUrl &url);

} // namespace canary::rollback

Q_DECLARE_METATYPE(canary::rollback::BackoutPlan)
