#include "backoutplan.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QUrlQuery>

#include "net/urlbuilder.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::rollback {

namespace {

bool isDigits(const QString &text)
{
    if (text.isEmpty() || text.size() > 9)
        return false;
    for (const QChar c : text) {
        if (c < u'0' || c > u'9')
            return false;
    }
    return true;
}

// …/api/v2/job_templates/9/launch/ and the AAP 2.5 gateway's …/api/controller/v2/job_templates/9/launch/.
int launchUrlTemplateId(const QUrl &url)
{
    static const QRegularExpression path(
        uR"(^(?:/.*)?/api/(?:controller/)?v2/job_templates/(\d{1,9})/launch/?$)"_s);
    const auto match = path.match(url.path());
    return match.hasMatch() ? match.captured(1).toInt() : 0;
}

bool isHttpUrl(const QUrl &url)
{
    return url.isValid() && !url.host().isEmpty() && (url.scheme() == u"https"_s || url.scheme() == u"http"_s)
        && url.userInfo().isEmpty();
}

bool isAllowed(const QString &origin, const PlanPolicy &policy)
{
    for (const QString &allowed : policy.allowedOrigins) {
        if (net::originOf(QUrl(allowed.trimmed())) == origin)
            return true;
    }
    return false;
}

QString eventText(const dynatrace::Event &event)
{
    return u"\"%1\" (%2)"_s.arg(event.title.isEmpty() ? event.eventType : event.title,
        QDateTime::fromMSecsSinceEpoch(event.startMs).toString(Qt::ISODate));
}

// "Canary weight set to 30" (the workshop's playbook and this console since 2024), Jenkins' older "<product>
// canary weight set to 30%" description, or this console's canary.split.new.
bool isCanaryWeightChange(const dynatrace::Event &event)
{
    if (event.eventType != u"CUSTOM_CONFIGURATION"_s)
        return false;
    if (event.properties.contains(u"canary.split.new"_s))
        return true;
    const auto mentions
        = [](const QString &text) { return text.contains(u"canary weight set to"_s, Qt::CaseInsensitive); };
    return mentions(event.title) || mentions(event.properties.value(u"description"_s));
}

// Only a configuration change records a backout plan (the workshop's playbook, its Jenkins pipelines and this
// console all send CUSTOM_CONFIGURATION); with a source configured, only one from that source.
bool holdsPlan(const dynatrace::Event &event, const PlanPolicy &policy)
{
    if (event.eventType != u"CUSTOM_CONFIGURATION"_s || !event.properties.contains(u"remediationAction"_s))
        return false;
    return policy.eventSource.isEmpty()
        || event.properties.value(u"dt.event.source"_s)
               .trimmed()
               .compare(policy.eventSource.trimmed(), Qt::CaseInsensitive)
        == 0;
}

PlanRefusal refuse(PlanRefusal::Reason reason, const QString &message, const dynatrace::Event &source)
{
    return { reason, message, source };
}

PlanResult resolveAwx(BackoutPlan plan, int templateId, const QString &how, const PlanPolicy &policy)
{
    if (policy.awxUrl.isEmpty())
        return refuse(PlanRefusal::Reason::NoAwxConfigured,
            QObject::tr("the backout plan of %1 launches AWX job template #%2, but no AWX is configured "
                        "(--awx-url or CONTROLLER_HOST)")
                .arg(eventText(plan.source))
                .arg(templateId),
            plan.source);
    plan.kind = BackoutPlan::Kind::AwxTemplate;
    plan.templateId = templateId;
    plan.awxHost = policy.awxUrl.port() > 0 ? u"%1:%2"_s.arg(policy.awxUrl.host()).arg(policy.awxUrl.port())
                                            : policy.awxUrl.host();
    plan.trust = how;
    return plan;
}

} // namespace

QString kindName(BackoutPlan::Kind kind)
{
    switch (kind) {
    case BackoutPlan::Kind::AwxTemplate:
        return u"awx-template"_s;
    case BackoutPlan::Kind::GitlabPipeline:
        return u"gitlab-pipeline"_s;
    case BackoutPlan::Kind::NothingToDo:
        break;
    }
    return u"nothing"_s;
}

QString reasonName(PlanRefusal::Reason reason)
{
    switch (reason) {
    case PlanRefusal::Reason::NoChangeEvent:
        return u"no-change-event"_s;
    case PlanRefusal::Reason::NewestChangeWithoutPlan:
        return u"newest-change-without-plan"_s;
    case PlanRefusal::Reason::CanaryCarriesTraffic:
        return u"canary-carries-traffic"_s;
    case PlanRefusal::Reason::NoAwxConfigured:
        return u"no-awx-configured"_s;
    case PlanRefusal::Reason::UntrustedOrigin:
        return u"untrusted-origin"_s;
    case PlanRefusal::Reason::TemplateNotAllowed:
        return u"template-not-allowed"_s;
    case PlanRefusal::Reason::Unrecognised:
        break;
    }
    return u"unrecognised"_s;
}

QString maskedUrl(const QUrl &url)
{
    QUrl masked = url;
    QUrlQuery query(url);
    const auto items = query.queryItems(QUrl::FullyDecoded);
    QUrlQuery cleaned;
    for (const auto &[key, value] : items) {
        const QString lower = key.toLower();
        const bool secret = lower.contains(u"token"_s) || lower.contains(u"secret"_s)
            || lower.contains(u"password"_s) || lower == u"key"_s;
        cleaned.addQueryItem(key, secret ? u"***"_s : value);
    }
    if (!items.isEmpty())
        masked.setQuery(cleaned);
    return masked.toDisplayString(QUrl::RemoveUserInfo);
}

QString BackoutPlan::shortText() const
{
    switch (kind) {
    case Kind::AwxTemplate:
        if (templateName.isEmpty())
            return QObject::tr("Launch AWX job template #%1 on %2").arg(templateId).arg(awxHost);
        return QObject::tr("Launch '%1' (#%2) on %3").arg(templateName).arg(templateId).arg(awxHost);
    case Kind::GitlabPipeline:
        return QObject::tr("Trigger GitLab pipeline on %1").arg(triggerUrl.host());
    case Kind::NothingToDo:
        return QObject::tr("No backout needed");
    }
    return {};
}

QString BackoutPlan::detailText() const
{
    QString what;
    switch (kind) {
    case Kind::AwxTemplate:
        what = QObject::tr("Launch job template #%1%2 on the configured AWX (%3), with no extra variables.")
                   .arg(templateId)
                   .arg(templateName.isEmpty() ? QString() : u" '%1'"_s.arg(templateName), awxHost);
        break;
    case Kind::GitlabPipeline:
        what = QObject::tr("POST %1").arg(maskedUrl(triggerUrl));
        break;
    case Kind::NothingToDo:
        what = QObject::tr(
            "Nothing: the newest change recorded \"%1\" as its backout, so it was itself a reset.")
                   .arg(remediationAction.isEmpty() ? u"(empty)"_s : remediationAction);
        break;
    }
    return QObject::tr("%1\nRecorded on %2: remediationType \"%3\", remediationAction \"%4\".\n%5")
        .arg(what, eventText(source), remediationType,
            kind == Kind::GitlabPipeline ? maskedUrl(QUrl(remediationAction)) : remediationAction, trust);
}

PlanResult resolvePlan(const std::vector<dynatrace::Event> &events, const PlanPolicy &policy)
{
    const dynatrace::Event *newest = nullptr;
    // The newest change of the canary's weight, whoever recorded it (this console, the pipeline's playbook):
    // a feature flag or a deployment says nothing about where traffic is.
    const dynatrace::Event *newestTrafficChange = nullptr;
    for (const auto &event : events) {
        if (isCanaryWeightChange(event)
            && (!newestTrafficChange || event.startMs > newestTrafficChange->startMs))
            newestTrafficChange = &event;
        if (!holdsPlan(event, policy))
            continue;
        if (!newest || event.startMs > newest->startMs)
            newest = &event;
    }
    if (newestTrafficChange && !newestTrafficChange->properties.contains(u"remediationAction"_s)
        && (!newest || newestTrafficChange->startMs > newest->startMs)) {
        return refuse(PlanRefusal::Reason::NewestChangeWithoutPlan,
            newest ? QObject::tr(
                "the newest change, %1, carries no backout plan (remediationAction); the newest "
                "recorded plan is on an older change, %2, and would not undo it")
                         .arg(eventText(*newestTrafficChange), eventText(*newest))
                   : QObject::tr("the newest change, %1, carries no backout plan (remediationAction), and no "
                                 "older change records one")
                         .arg(eventText(*newestTrafficChange)),
            *newestTrafficChange);
    }
    if (!newest)
        return PlanRefusal { PlanRefusal::Reason::NoChangeEvent,
            policy.eventSource.isEmpty()
                ? QObject::tr(
                    "no configuration change on the target records a backout plan (remediationAction)")
                : QObject::tr(
                    "no configuration change from %1 (dt.event.source) on the target records a backout "
                    "plan (remediationAction)")
                      .arg(policy.eventSource.trimmed()),
            std::nullopt };

    BackoutPlan plan;
    plan.source = *newest;
    plan.remediationAction = newest->remediationAction().trimmed();
    plan.remediationType = newest->remediationType().trimmed();
    // A copy: `plan` is moved into resolveAwx() while other arguments still read the action, and the order
    // in which arguments are evaluated is the compiler's choice (clang moves first).
    const QString action = plan.remediationAction;
    const QString type = plan.remediationType.toLower();

    if (action.isEmpty() || action.compare(u"NA"_s, Qt::CaseInsensitive) == 0) {
        plan.kind = BackoutPlan::Kind::NothingToDo;
        plan.trust = QObject::tr("Nothing will be sent anywhere.");
        return plan;
    }

    if (type.isEmpty() || type == u"ansible"_s) {
        if (isDigits(action) && action.toInt() > 0)
            return resolveAwx(std::move(plan), action.toInt(),
                QObject::tr("A job template id: it runs on the configured AWX (%1) and nowhere else.")
                    .arg(net::originOf(policy.awxUrl)),
                policy);
        const QUrl url(action, QUrl::StrictMode);
        if (isHttpUrl(url)) {
            const int templateId = launchUrlTemplateId(url);
            if (templateId == 0)
                return refuse(PlanRefusal::Reason::Unrecognised,
                    QObject::tr("the backout plan of %1 is a URL that is not an AWX launch URL: %2")
                        .arg(eventText(plan.source), maskedUrl(url)),
                    plan.source);
            const QString origin = net::originOf(url);
            if (!policy.awxUrl.isEmpty() && origin == net::originOf(policy.awxUrl))
                return resolveAwx(std::move(plan), templateId,
                    QObject::tr("The launch URL is on the configured AWX (%1).").arg(origin), policy);
            if (isAllowed(origin, policy))
                return resolveAwx(std::move(plan), templateId,
                    QObject::tr("The launch URL's origin %1 is on the allowlist as another name of the "
                                "configured AWX; the launch goes to %2, never to the URL itself.")
                        .arg(origin, net::originOf(policy.awxUrl)),
                    policy);
            return refuse(PlanRefusal::Reason::UntrustedOrigin,
                QObject::tr("refused: the backout plan of %1 launches a job on %2, which is neither the "
                            "configured AWX (%3) nor on the allowlist; nothing was sent there")
                    .arg(eventText(plan.source), origin,
                        policy.awxUrl.isEmpty() ? QObject::tr("none") : net::originOf(policy.awxUrl)),
                plan.source);
        }
    } else if (type == u"gitlab"_s) {
        const QUrl url(action, QUrl::StrictMode);
        if (isHttpUrl(url) && url.path().contains(u"/trigger/pipeline"_s)) {
            const QString origin = net::originOf(url);
            if (!isAllowed(origin, policy))
                return refuse(PlanRefusal::Reason::UntrustedOrigin,
                    QObject::tr("refused: the backout plan of %1 triggers a pipeline on %2, which is not on "
                                "the allowlist; nothing was sent there")
                        .arg(eventText(plan.source), origin),
                    plan.source);
            plan.kind = BackoutPlan::Kind::GitlabPipeline;
            plan.triggerUrl = url;
            plan.trust = QObject::tr("%1 is on the allowlist.").arg(origin);
            return plan;
        }
    }
    return refuse(PlanRefusal::Reason::Unrecognised,
        QObject::tr("the backout plan of %1 cannot be run: remediationType \"%2\" with remediationAction "
                    "\"%3\" is neither an AWX job template, an AWX launch URL nor a GitLab pipeline trigger")
            .arg(eventText(plan.source), plan.remediationType, maskedUrl(QUrl(action)).left(200)),
        plan.source);
}

QString describeTemplates(const QStringList &allowedTemplates)
{
    QStringList shown;
    for (const QString &entry : allowedTemplates) {
        const QString trimmed = entry.trimmed();
        if (!trimmed.isEmpty())
            shown.append(isDigits(trimmed) ? u"#"_s + trimmed : u"'%1'"_s.arg(trimmed));
    }
    return shown.join(u", "_s);
}

PlanResult checkPinnedTemplate(BackoutPlan plan, const PlanPolicy &policy)
{
    if (plan.kind != BackoutPlan::Kind::AwxTemplate)
        return plan;
    if (policy.allowedTemplates.isEmpty()) {
        plan.trust += u' '
            + QObject::tr(
                "No templates are pinned (rollback.allow-template): whoever can write events to the "
                "tenant can name any job template on this AWX.");
        return plan;
    }
    for (const QString &entry : policy.allowedTemplates) {
        const QString allowed = entry.trimmed();
        // An id is AWX's own and cannot be renamed; a name is compared exactly as AWX reports it.
        const bool byId = isDigits(allowed) && allowed.toInt() == plan.templateId;
        const bool byName
            = !isDigits(allowed) && !plan.templateName.isEmpty() && allowed == plan.templateName;
        if (byId || byName) {
            plan.trust += u' '
                + QObject::tr("Template #%1 is pinned for this profile (rollback.allow-template).")
                      .arg(plan.templateId);
            return plan;
        }
    }
    const QString named = plan.templateName.isEmpty()
        ? QObject::tr("#%1 (AWX did not name it)").arg(plan.templateId)
        : u"#%1 '%2'"_s.arg(plan.templateId).arg(plan.templateName);
    return refuse(PlanRefusal::Reason::TemplateNotAllowed,
        QObject::tr("refused: the backout plan of %1 launches AWX job template %2, which is not among the "
                    "templates this profile allows (rollback.allow-template: %3); nothing was launched")
            .arg(eventText(plan.source), named, describeTemplates(policy.allowedTemplates)),
        plan.source);
}

} // namespace canary::rollback
