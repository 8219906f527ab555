#include "profile.h"

#include <QDir>
#include <QHash>
#include <QRegularExpression>

#include "kube/objectref.h"
#include "net/redaction.h"
#include "net/restclient.h"
#include "targetoptions.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::profile {

namespace {

constexpr int MinimumRefreshSeconds = 5;
constexpr int MaximumRefreshSeconds = 24 * 3600;
constexpr int MinimumCountdownSeconds = 5;
constexpr int MaximumCountdownSeconds = 3600;
constexpr int MaximumGuardIntervalSeconds = 24 * 3600;
constexpr int MaximumNameLength = 64;

bool isOneLine(const QString &text)
{
    for (const QChar c : text) {
        if (c.category() == QChar::Other_Control || c == QChar::LineSeparator
            || c == QChar::ParagraphSeparator)
            return false;
    }
    return true;
}

// The checks every URL in a profile gets besides its own: http(s), a host, no credentials.
QString urlProblem(const QString &key, const QUrl &url, const QString &credentialsHint)
{
    if (!url.isValid() || url.host().isEmpty() || (url.scheme() != u"https"_s && url.scheme() != u"http"_s))
        return u"%1 must be an http(s) URL with a host, not '%2'"_s.arg(
            key, url.toDisplayString(QUrl::RemoveUserInfo));
    if (!url.userInfo().isEmpty())
        return u"%1 must not carry a user name or password: %2"_s.arg(key, credentialsHint);
    // The HTTP layer would refuse every call anyway (tokens would travel unencrypted): say so when saving.
    if (url.scheme() == u"http"_s && !net::isLoopbackHost(url.host()))
        return u"%1 must use https:// (plain http only to this machine, where tokens cannot be read on the "
               "way): '%2'"_s.arg(key, url.toDisplayString(QUrl::RemoveUserInfo));
    return {};
}

bool isVariableName(const QString &name)
{
    static const QRegularExpression pattern(u"^[A-Za-z_][A-Za-z0-9_]*$"_s);
    return pattern.match(name).hasMatch();
}

} // namespace

QString Profile::demoName()
{
    return u"Demo"_s;
}

Profile Profile::demo()
{
    Profile profile;
    profile.name = demoName();
    // The simulator moves every second: refresh often and at a fine resolution.
    profile.refreshSeconds = 5;
    profile.resolution = u"10s"_s;
    return profile;
}

bool Profile::isDemo() const
{
    return name.compare(demoName(), Qt::CaseInsensitive) == 0;
}

QString tokenShapeProblem(const QString &field, QStringView value)
{
    const QString kind = net::tokenShapeIn(value);
    if (kind.isEmpty())
        return {};
    return u"%1 holds what looks like %2 (not shown): tokens belong in the keychain or the environment "
           "(DT_API_TOKEN, CONTROLLER_OAUTH_TOKEN, KUBE_TOKEN), never in %1"_s.arg(field, kind);
}

QStringList trafficBackendNames()
{
    return { u"sim"_s, u"awx"_s, u"kubernetes"_s };
}

Expected<QUrl, QString> normaliseOrigin(const QString &text)
{
    const QString trimmed = text.trimmed();
    const QUrl url(trimmed, QUrl::StrictMode);
    const bool ok = url.isValid() && !url.host().isEmpty()
        && (url.scheme() == u"https"_s || url.scheme() == u"http"_s) && url.userInfo().isEmpty()
        && (url.path().isEmpty() || url.path() == u"/"_s) && !url.hasQuery() && !url.hasFragment();
    if (!ok)
        return u"'%1' is not an http(s) origin (scheme://host[:port])"_s.arg(trimmed);
    QUrl origin;
    origin.setScheme(url.scheme());
    origin.setHost(url.host());
    const int defaultPort = url.scheme() == u"https"_s ? 443 : 80;
    if (url.port() != -1 && url.port() != defaultPort)
        origin.setPort(url.port());
    return origin;
}

QList<ProfileProblem> Profile::problems() const
{
    QList<ProfileProblem> problems;
    const auto add = [&problems](const QString &key, const QString &message) {
        problems.append({ key, message });
    };
    const auto requireOneLine = [&add](const QString &key, const QString &value) {
        if (!isOneLine(value))
            add(key, u"%1 must be one line of text"_s.arg(key));
    };

    if (name.trimmed().isEmpty())
        add(u"name"_s, u"name must not be empty"_s);
    else if (!isOneLine(name))
        add(u"name"_s, u"name must be one line of text"_s);
    else if (name.contains(u'/') || name.contains(u'\\'))
        add(u"name"_s, u"name must not contain '/' or '\\', not '%1'"_s.arg(name));
    else if (name != name.trimmed())
        add(u"name"_s, u"name must not start or end with a space, not '%1'"_s.arg(name));
    else if (name.size() > MaximumNameLength)
        add(u"name"_s, u"name must be at most %1 characters long"_s.arg(MaximumNameLength));

    if (!dynatraceUrl.isEmpty()) {
        const QString problem = urlProblem(
            u"dynatrace.url"_s, dynatraceUrl, u"the API token lives in the keychain or DT_API_TOKEN"_s);
        if (!problem.isEmpty()) {
            add(u"dynatrace.url"_s, problem);
        } else {
            const auto normalised = normaliseDynatraceUrl(dynatraceUrl.toString());
            if (!normalised)
                add(u"dynatrace.url"_s, u"dynatrace.url: %1"_s.arg(normalised.error()));
        }
    }

    if (entitySelector.trimmed().isEmpty())
        add(u"target.entity-selector"_s, u"target.entity-selector must not be empty"_s);
    requireOneLine(u"target.entity-selector"_s, entitySelector);
    if (metricSelector.trimmed().isEmpty())
        add(u"target.metric-selector"_s, u"target.metric-selector must not be empty"_s);
    requireOneLine(u"target.metric-selector"_s, metricSelector);
    // Empty is allowed: that health metric is not fetched.
    requireOneLine(u"target.failure-metric"_s, failureMetricSelector);
    requireOneLine(u"target.response-time-metric"_s, responseTimeMetricSelector);
    requireOneLine(u"target.build-dimension"_s, buildDimension);
    requireOneLine(u"target.stable-build"_s, stableBuild);
    requireOneLine(u"target.canary-build"_s, canaryBuild);
    if (!stableBuild.isEmpty() && stableBuild == canaryBuild)
        add(u"target.canary-build"_s,
            u"target.stable-build and target.canary-build must differ, not both '%1'"_s.arg(stableBuild));

    if (refreshSeconds < MinimumRefreshSeconds)
        add(u"refresh"_s,
            u"refresh must be at least %1 seconds, not %2"_s.arg(MinimumRefreshSeconds).arg(refreshSeconds));
    else if (refreshSeconds > MaximumRefreshSeconds)
        add(u"refresh"_s,
            u"refresh must be at most %1 seconds (a day), not %2"_s.arg(MaximumRefreshSeconds)
                .arg(refreshSeconds));
    if (from.trimmed().isEmpty())
        add(u"from"_s, u"from must not be empty (e.g. now-30m)"_s);
    requireOneLine(u"from"_s, from);
    requireOneLine(u"resolution"_s, resolution);

    const bool knownBackend = trafficBackendNames().contains(trafficBackend);
    if (!knownBackend)
        add(u"traffic.backend"_s,
            u"traffic.backend must be sim, awx or kubernetes, not '%1'"_s.arg(trafficBackend));

    if (!awxUrl.isEmpty()) {
        const QString problem = urlProblem(u"awx.url"_s, awxUrl,
            u"credentials live in the keychain or CONTROLLER_USERNAME and CONTROLLER_PASSWORD"_s);
        if (!problem.isEmpty())
            add(u"awx.url"_s, problem);
        else if (awxUrl.hasQuery() || awxUrl.hasFragment())
            add(u"awx.url"_s, u"awx.url must not carry a query or fragment"_s);
    }
    if (awxApiPath != awx::AwxConfig::AwxApiPath && awxApiPath != awx::AwxConfig::GatewayApiPath)
        add(u"awx.api-path"_s,
            u"awx.api-path must be %1 or %2, not '%3'"_s.arg(
                awx::AwxConfig::AwxApiPath, awx::AwxConfig::GatewayApiPath, awxApiPath));
    if (awxAuth != u"token"_s && awxAuth != u"basic"_s)
        add(u"awx.auth"_s, u"awx.auth must be token or basic, not '%1'"_s.arg(awxAuth));
    requireOneLine(u"awx.username"_s, awxUsername);
    requireOneLine(u"awx.template"_s, awxTemplate);
    if (trafficBackend == u"awx"_s && awxTemplate.trimmed().isEmpty())
        add(u"awx.template"_s, u"traffic.backend awx needs awx.template (the job template's name or id)"_s);
    if (!isVariableName(awxCanaryVar))
        add(u"awx.canary-var"_s,
            u"awx.canary-var must be an extra-var name (letters, digits and _), not '%1'"_s.arg(
                awxCanaryVar));
    if (!isVariableName(awxOldVar))
        add(u"awx.old-var"_s,
            u"awx.old-var must be an extra-var name (letters, digits and _), not '%1'"_s.arg(awxOldVar));
    if (awxCanaryVar == awxOldVar && isVariableName(awxOldVar))
        add(u"awx.old-var"_s, u"awx.canary-var and awx.old-var must differ, not both '%1'"_s.arg(awxOldVar));

    if (!kubeObject.trimmed().isEmpty()) {
        const auto ref = kube::ObjectRef::parse(kubeObject.trimmed());
        if (!ref)
            add(u"kube.object"_s, u"kube.object: %1"_s.arg(ref.error()));
    } else if (trafficBackend == u"kubernetes"_s) {
        add(u"kube.object"_s,
            u"traffic.backend kubernetes needs kube.object (ingress/NS/NAME, traefikservice/NS/NAME or "
            "httproute/NS/NAME)"_s);
    }
    requireOneLine(u"kube.context"_s, kubeContext);
    if (!kubeServer.isEmpty()) {
        const QString problem
            = urlProblem(u"kube.server"_s, kubeServer, u"the token lives in the keychain or KUBE_TOKEN"_s);
        if (!problem.isEmpty())
            add(u"kube.server"_s, problem);
    }

    for (const QString &origin : allowedOrigins) {
        const auto normalised = normaliseOrigin(origin);
        if (!normalised)
            add(u"rollback.allow-origin"_s, u"rollback.allow-origin: %1"_s.arg(normalised.error()));
    }
    for (const QString &entry : allowedTemplates) {
        if (entry.trimmed().isEmpty() || !isOneLine(entry))
            add(u"rollback.allow-template"_s,
                u"rollback.allow-template must be a job template id or name on one line, not '%1'"_s.arg(
                    entry.simplified()));
    }
    requireOneLine(u"rollback.plan-source"_s, planEventSource);
    if (countdownSeconds < MinimumCountdownSeconds)
        add(u"auto-remediation.countdown"_s,
            u"auto-remediation.countdown must be at least %1 seconds, not %2"_s.arg(MinimumCountdownSeconds)
                .arg(countdownSeconds));
    else if (countdownSeconds > MaximumCountdownSeconds)
        add(u"auto-remediation.countdown"_s,
            u"auto-remediation.countdown must be at most %1 seconds, not %2"_s.arg(MaximumCountdownSeconds)
                .arg(countdownSeconds));

    if (guardMaxStepPercent < 1 || guardMaxStepPercent > 100)
        add(u"guard.max-step"_s,
            u"guard.max-step must be between 1 and 100 percentage points, not %1"_s.arg(guardMaxStepPercent));
    if (guardMinIntervalSeconds < 0 || guardMinIntervalSeconds > MaximumGuardIntervalSeconds)
        add(u"guard.min-interval"_s,
            u"guard.min-interval must be between 0 (no cool-down) and %1 seconds (a day), not %2"_s
                .arg(MaximumGuardIntervalSeconds)
                .arg(guardMinIntervalSeconds));

    if (!caBundle.isEmpty()) {
        if (!isOneLine(caBundle))
            add(u"tls.ca-bundle"_s, u"tls.ca-bundle must be one line of text"_s);
        else if (QDir::isRelativePath(caBundle))
            add(u"tls.ca-bundle"_s, u"tls.ca-bundle must be an absolute path, not '%1'"_s.arg(caBundle));
    }

    // A token typed into any of these fields (a Dynatrace token pasted as the metric selector, an AWX token
    // as the template) is refused by one problem naming the field and the kind of token. It replaces that
    // field's other problems, which quote the value ("must be an http(s) URL, not '…'"), so the token is
    // never shown back, saved, imported or exported.
    const QList<std::pair<QString, QString>> textFields { { u"name"_s, name },
        { u"dynatrace.url"_s, dynatraceUrl.toString() }, { u"target.entity-selector"_s, entitySelector },
        { u"target.metric-selector"_s, metricSelector },
        { u"target.failure-metric"_s, failureMetricSelector },
        { u"target.response-time-metric"_s, responseTimeMetricSelector },
        { u"target.build-dimension"_s, buildDimension }, { u"target.stable-build"_s, stableBuild },
        { u"target.canary-build"_s, canaryBuild }, { u"from"_s, from }, { u"resolution"_s, resolution },
        { u"traffic.backend"_s, trafficBackend }, { u"awx.url"_s, awxUrl.toString() },
        { u"awx.api-path"_s, awxApiPath }, { u"awx.auth"_s, awxAuth }, { u"awx.username"_s, awxUsername },
        { u"awx.template"_s, awxTemplate }, { u"awx.canary-var"_s, awxCanaryVar },
        { u"awx.old-var"_s, awxOldVar }, { u"kube.object"_s, kubeObject }, { u"kube.context"_s, kubeContext },
        { u"kube.server"_s, kubeServer.toString() },
        { u"rollback.allow-origin"_s, allowedOrigins.join(u' ') },
        { u"rollback.allow-template"_s, allowedTemplates.join(u' ') },
        { u"rollback.plan-source"_s, planEventSource }, { u"tls.ca-bundle"_s, caBundle } };
    QHash<QString, QString> tokenProblems;
    for (const auto &[key, value] : textFields) {
        if (QString problem = tokenShapeProblem(key, value); !problem.isEmpty())
            tokenProblems.insert(key, problem);
    }
    if (tokenProblems.isEmpty())
        return problems;
    // First: a pasted token is the first thing to fix.
    QList<ProfileProblem> refused;
    for (const auto &[key, value] : textFields) {
        if (tokenProblems.contains(key))
            refused.append({ key, tokenProblems.value(key) });
    }
    for (const ProfileProblem &problem : std::as_const(problems)) {
        if (!tokenProblems.contains(problem.key))
            refused.append(problem);
    }
    // Belt and braces: a problem of another field may still quote this one (stable- and canary-build).
    for (ProfileProblem &problem : refused)
        problem.message = net::redactSecrets(problem.message);
    return refused;
}

QStringList Profile::validate() const
{
    QStringList lines;
    for (const ProfileProblem &problem : problems())
        lines.append(problem.message);
    return lines;
}

Profile Profile::normalised() const
{
    Profile profile = *this;
    profile.name = name.trimmed();
    if (!dynatraceUrl.isEmpty()) {
        const auto url = normaliseDynatraceUrl(dynatraceUrl.toString());
        if (url && url->userInfo().isEmpty())
            profile.dynatraceUrl = url.value();
    }
    for (QString *text : { &profile.entitySelector, &profile.metricSelector, &profile.failureMetricSelector,
             &profile.responseTimeMetricSelector, &profile.buildDimension, &profile.stableBuild,
             &profile.canaryBuild, &profile.from, &profile.resolution, &profile.awxTemplate,
             &profile.awxCanaryVar, &profile.awxOldVar, &profile.kubeObject, &profile.kubeContext,
             &profile.awxUsername, &profile.caBundle, &profile.planEventSource })
        *text = text->trimmed();
    profile.allowedTemplates.clear();
    for (const QString &entry : allowedTemplates) {
        if (!entry.trimmed().isEmpty())
            profile.allowedTemplates.append(entry.trimmed());
    }
    profile.allowedTemplates.removeDuplicates();
    profile.trafficBackend = trafficBackend.trimmed().toLower();
    if (profile.trafficBackend == u"simulator"_s)
        profile.trafficBackend = u"sim"_s;
    else if (profile.trafficBackend == u"kube"_s || profile.trafficBackend == u"k8s"_s)
        profile.trafficBackend = u"kubernetes"_s;
    profile.awxAuth = awxAuth.trimmed().toLower();
    if (!awxApiPath.trimmed().isEmpty())
        profile.awxApiPath = awx::AwxConfig::normaliseApiPath(awxApiPath);
    if (!awxUrl.isEmpty() && awxUrl.scheme().isEmpty()) {
        const QUrl withScheme(u"https://"_s + awxUrl.toString(), QUrl::StrictMode);
        if (withScheme.isValid())
            profile.awxUrl = withScheme;
    }
    // People paste the API URL they see in the browser: it names the API path.
    QString awxPath = profile.awxUrl.path();
    if (!awxPath.endsWith(u'/'))
        awxPath.append(u'/');
    for (const QStringView candidate : { awx::AwxConfig::GatewayApiPath, awx::AwxConfig::AwxApiPath }) {
        if (awxPath.endsWith(candidate)) {
            profile.awxApiPath = candidate.toString();
            awxPath.chop(candidate.size());
            break;
        }
    }
    while (awxPath.endsWith(u'/'))
        awxPath.chop(1);
    if (!profile.awxUrl.isEmpty())
        profile.awxUrl.setPath(awxPath);
    profile.allowedOrigins.clear();
    for (const QString &origin : allowedOrigins) {
        const auto normalised = normaliseOrigin(origin);
        profile.allowedOrigins.append(normalised ? normalised->toString() : origin.trimmed());
    }
    profile.allowedOrigins.removeDuplicates();
    return profile;
}

session::Target Profile::toTarget() const
{
    session::Target target;
    target.dynatraceUrl = dynatraceUrl;
    target.entitySelector = entitySelector;
    target.metricSelector = metricSelector;
    target.failureMetricSelector = failureMetricSelector;
    target.responseTimeMetricSelector = responseTimeMetricSelector;
    target.buildDimension = buildDimension;
    target.from = from;
    target.resolution = resolution;
    target.refreshIntervalMs = refreshSeconds * 1000;
    return target;
}

traffic::GuardRailPolicy Profile::guardRailPolicy() const
{
    traffic::GuardRailPolicy policy;
    policy.enabled = guardEnabled;
    policy.maxStepUpPercent = guardMaxStepPercent;
    policy.minMsBetweenIncreases = qint64(guardMinIntervalSeconds) * 1000;
    policy.freezeOnOpenProblem = guardFreezeOnProblem;
    policy.freezeOnStale = guardFreezeOnStale;
    policy.freezeOnFail = guardFreezeOnFail;
    return policy;
}

awx::AwxConfig Profile::toAwxConfig() const
{
    awx::AwxConfig config;
    config.url = awxUrl;
    config.apiPath = awxApiPath;
    if (awxAuth == u"basic"_s)
        config.username = awxUsername;
    config.templateRef = awxTemplate;
    config.canaryVariable = awxCanaryVar;
    config.oldVariable = awxOldVar;
    return config;
}

} // namespace canary::profile
