#include "metriconboarding.h"

#include <QTimer>

#include "dynatrace/metricsclient.h"
#include "dynatrace/metricselector.h"
#include "dynatrace/tenantclient.h"
#include "dynatrace/tokenlookup.h"
#include "net/restclient.h"
#include "session/target.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::onboarding {

namespace {

using dynatrace::ApiError;
using Kind = MetricOnboardingError::Kind;

const QString WriteConfig = u"WriteConfig"_s;
const QString EntitiesRead = u"entities.read"_s;

QString serviceLabel(const dynatrace::ServiceEntity &service)
{
    return service.displayName.isEmpty() ? service.entityId
                                         : u"%1 (%2)"_s.arg(service.displayName, service.entityId);
}

bool saysAlreadyExists(const ApiError &error)
{
    const auto exists = [](const QString &text) {
        return text.contains(u"already exist"_s, Qt::CaseInsensitive)
            || text.contains(u"not unique"_s, Qt::CaseInsensitive);
    };
    if (exists(error.message))
        return true;
    return std::any_of(error.constraintViolations.cbegin(), error.constraintViolations.cend(),
        [&](const dynatrace::ConstraintViolation &violation) { return exists(violation.message); });
}

} // namespace

MetricOnboardingResult::MetricOnboardingResult()
    : Expected(MetricOnboardingError { MetricOnboardingError::Kind::Api, QObject::tr("nothing ran"), {}, {} })
{ }

QString MetricOnboardingError::text() const
{
    return manualSteps.isEmpty() ? message : message + u'\n' + manualSteps;
}

MetricOnboardingSetup MetricOnboardingSetup::fromTarget(const session::Target &target, const QString &token)
{
    MetricOnboardingSetup setup;
    setup.dynatraceUrl = target.dynatraceUrl;
    setup.token = token;
    setup.entitySelector = target.entitySelector;
    setup.metricKey = dynatrace::metricKeyOf(target.metricSelector);
    setup.dimensionName = target.buildDimension;
    setup.timeoutMs = target.requestTimeoutMs;
    return setup;
}

MetricOnboarding::MetricOnboarding(MetricOnboardingSetup setup, QObject *parent)
    : QObject(parent)
    , m_setup(std::move(setup))
{
    // A selector ("calc:service.x:splitBy(…):sum") names the metric by its key.
    m_setup.metricKey = dynatrace::metricKeyOf(m_setup.metricKey.trimmed());
    m_setup.dimensionName = m_setup.dimensionName.trimmed();
    if (m_setup.dimensionName.isEmpty())
        m_setup.dimensionName = dynatrace::CalculatedServiceMetric::defaultDimensionName();
    m_metric = metricFor({});
}

MetricOnboarding::~MetricOnboarding() = default;

dynatrace::CalculatedServiceMetric MetricOnboarding::metricFor(const QString &entityId) const
{
    dynatrace::CalculatedServiceMetric metric;
    metric.tsmMetricKey = m_setup.metricKey;
    metric.dimensionName = m_setup.dimensionName;
    metric.attribute = m_setup.attribute;
    metric.name = m_setup.metricName.trimmed().isEmpty()
        ? dynatrace::CalculatedServiceMetric::defaultName(metric.metric, metric.dimensionName)
        : m_setup.metricName.trimmed();
    metric.entityId = entityId;
    return metric;
}

void MetricOnboarding::start()
{
    if (m_running)
        return;
    m_running = true;
    m_scopes.reset();
    m_service = {};
    m_configId.clear();
    m_metric = metricFor({});

    QString problem;
    if (!m_setup.dynatraceUrl.isValid() || m_setup.dynatraceUrl.host().isEmpty())
        problem = tr("no Dynatrace environment URL");
    else if (m_setup.token.isEmpty())
        problem = tr("no API token");
    else if (const QString kind = dynatrace::tokenKindProblem(m_setup.token); !kind.isEmpty())
        problem = kind;
    else if (m_setup.entitySelector.trimmed().isEmpty())
        problem = tr("no entity selector: the metric needs the one service it counts");
    else
        problem = m_metric.problem();
    if (!problem.isEmpty()) {
        // Delivered from the event loop like every other result, so callers may connect after start().
        QTimer::singleShot(0, this, [this, problem] { fail(Kind::Setup, problem); });
        return;
    }

    m_rest = dynatrace::makeTenantClient(m_setup.dynatraceUrl, m_setup.token, m_setup.timeoutMs);
    m_config = std::make_unique<dynatrace::CalculatedMetricsClient>(m_rest.get());
    m_metrics = std::make_unique<dynatrace::MetricsClient>(m_rest.get());
    lookUpScopes();
}

void MetricOnboarding::lookUpScopes()
{
    dynatrace::lookupToken(
        m_rest.get(), m_setup.token, this, [this](const dynatrace::TokenLookupResult &info) {
            if (!info) {
                const ApiError &error = info.error();
                if (error.kind == ApiError::Kind::Unauthorized || error.kind == ApiError::Kind::Transport
                    || error.kind == ApiError::Kind::Timeout)
                    return failCall(error, tr("checking the token"));
                // Some tenants do not offer the lookup: the calls themselves will tell what is missing.
            } else {
                m_scopes = info->scopes;
            }
            if (lacks(EntitiesRead) && (m_setup.dryRun || !lacks(WriteConfig))) {
                return fail(Kind::MissingScope,
                    tr("the token lacks the entities.read scope, which finding the service's entity id for "
                       "%1 "
                       "needs: add entities.read to the token")
                        .arg(m_setup.entitySelector));
            }
            if (lacks(EntitiesRead))
                return failWithoutWriteConfig(); // the steps then name the service by its selector
            resolveService();
        });
}

void MetricOnboarding::resolveService()
{
    m_config->services(m_setup.entitySelector, this, [this](const dynatrace::ServiceListResult &services) {
        if (!services) {
            const ApiError &error = services.error();
            if (dynatrace::isMissingScope(error, EntitiesRead)) {
                return fail(Kind::MissingScope,
                    tr("the token lacks the entities.read scope, which finding the service's entity id "
                       "needs: "
                       "%1")
                        .arg(error.summary()),
                    error);
            }
            if (error.kind == ApiError::Kind::BadRequest) {
                return fail(Kind::ServiceNotFound,
                    tr("Dynatrace refused the entity selector %1: %2")
                        .arg(m_setup.entitySelector, error.summary()),
                    error);
            }
            return failCall(error, tr("finding the service"));
        }
        if (services->empty()) {
            return fail(Kind::ServiceNotFound,
                tr("no service matches the entity selector %1 (services seen in the last 72 hours only)")
                    .arg(m_setup.entitySelector));
        }
        if (services->size() > 1) {
            QStringList names;
            for (const auto &service : *services)
                names.append(serviceLabel(service));
            return fail(Kind::AmbiguousService,
                tr("the entity selector %1 matches %2 services, a calculated metric counts one: %3; narrow "
                   "it, "
                   "e.g. with entityId(\"%4\")")
                    .arg(m_setup.entitySelector)
                    .arg(services->size())
                    .arg(names.join(u", "_s), services->front().entityId));
        }
        m_service = services->front();
        m_metric = metricFor(m_service.entityId);
        if (m_setup.dryRun) {
            MetricOnboardingOutcome outcome;
            outcome.metric = m_metric;
            outcome.serviceName = m_service.displayName;
            outcome.dryRun = true;
            return finish(outcome);
        }
        if (lacks(WriteConfig))
            return failWithoutWriteConfig();
        create();
    });
}

void MetricOnboarding::create()
{
    m_config->create(m_metric, this, [this](const dynatrace::CalculatedMetricResult &created) {
        if (!created) {
            const ApiError &error = created.error();
            if (dynatrace::isMissingScope(error, WriteConfig))
                return failWithoutWriteConfig(error);
            if (error.kind == ApiError::Kind::BadRequest && saysAlreadyExists(error)) {
                return fail(Kind::AlreadyExists,
                    tr("%1 already exists (Dynatrace: %2); use it as it is, or choose another key")
                        .arg(m_metric.tsmMetricKey, error.summary()),
                    error);
            }
            if (error.kind == ApiError::Kind::BadRequest) {
                return fail(Kind::Rejected,
                    tr("Dynatrace refused to create %1: %2").arg(m_metric.tsmMetricKey, error.summary()),
                    error);
            }
            return failCall(error, tr("creating %1").arg(m_metric.tsmMetricKey));
        }
        m_configId = created->id;
        confirm();
    });
}

void MetricOnboarding::confirm()
{
    m_metrics->descriptor(
        m_metric.tsmMetricKey, this, [this](const dynatrace::MetricDescriptorResult &descriptor) {
            if (!descriptor) {
                return fail(Kind::NotConfirmed,
                    tr("created %1, but reading it back failed: %2")
                        .arg(m_metric.tsmMetricKey, descriptor.error().summary()),
                    descriptor.error());
            }
            if (!descriptor->hasDimension(m_metric.dimensionName)) {
                QStringList keys;
                for (const auto &dimension : descriptor->dimensionDefinitions)
                    keys.append(dimension.key);
                return fail(Kind::NotConfirmed,
                    tr("created %1, but the metrics API shows it without the dimension '%2' (it has: %3)")
                        .arg(m_metric.tsmMetricKey, m_metric.dimensionName, keys.join(u", "_s)));
            }
            MetricOnboardingOutcome outcome;
            outcome.metric = m_metric;
            outcome.serviceName = m_service.displayName;
            outcome.configId = m_configId;
            outcome.descriptor = descriptor.value();
            finish(outcome);
        });
}

void MetricOnboarding::fail(Kind kind, const QString &message, std::optional<ApiError> apiError)
{
    MetricOnboardingError error;
    error.kind = kind;
    error.message = message.simplified();
    error.apiError = std::move(apiError);
    finish(error);
}

void MetricOnboarding::failWithoutWriteConfig(std::optional<ApiError> apiError)
{
    MetricOnboardingError error;
    error.kind = Kind::MissingScope;
    error.message
        = tr("the token lacks the WriteConfig scope, which creating %1 needs: add WriteConfig to the "
             "token, or create the metric by hand as follows")
              .arg(m_metric.tsmMetricKey);
    const QString hint = m_service.entityId.isEmpty() ? tr("matched by %1").arg(m_setup.entitySelector)
                                                      : m_service.displayName;
    error.manualSteps = dynatrace::manualStepsText(m_metric, hint);
    error.apiError = std::move(apiError);
    finish(error);
}

void MetricOnboarding::failCall(const ApiError &error, const QString &what)
{
    fail(error.isConnectionOrAuth() ? Kind::Connection : Kind::Api,
        tr("%1 failed: %2").arg(what, error.summary()), error);
}

void MetricOnboarding::finish(const MetricOnboardingResult &result)
{
    m_running = false;
    Q_EMIT finished(result);
}

} // namespace canary::onboarding
