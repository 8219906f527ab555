#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>

#include "commands.h"
#include "dynatrace/calculatedmetrics.h"
#include "onboarding/metriconboarding.h"
#include "terminal.h"
#include "util/terminaltext.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

namespace {

using onboarding::MetricOnboardingError;

// The profile's (or the flags') target with --metric-key and --dimension applied.
Expected<onboarding::MetricOnboardingSetup, QString> setupFrom(
    const Context &context, const QUrl &fallbackUrl)
{
    auto target
        = context.target.read(context.parser, context.environment, true, fallbackUrl, context.profile);
    if (!target)
        return target.error();
    auto setup = onboarding::MetricOnboardingSetup::fromTarget(
        target.value(), profile::TargetOptions::tokenFrom(context.environment));
    if (context.parser.isSet(u"metric-key"_s))
        setup.metricKey = context.parser.value(u"metric-key"_s).trimmed();
    if (context.parser.isSet(u"dimension"_s)) {
        setup.dimensionName = context.parser.value(u"dimension"_s).trimmed();
        if (setup.dimensionName.isEmpty())
            return u"--dimension must not be empty"_s;
    }
    return setup;
}

int exitCodeFor(const MetricOnboardingError &error)
{
    switch (error.kind) {
    case MetricOnboardingError::Kind::Setup:
        return Usage;
    case MetricOnboardingError::Kind::MissingScope:
    case MetricOnboardingError::Kind::Connection:
        return ConnectionOrAuth;
    case MetricOnboardingError::Kind::ServiceNotFound:
    case MetricOnboardingError::Kind::AmbiguousService:
    case MetricOnboardingError::Kind::AlreadyExists:
    case MetricOnboardingError::Kind::Rejected:
    case MetricOnboardingError::Kind::Api:
    case MetricOnboardingError::Kind::NotConfirmed:
        break;
    }
    return ApiOrData;
}

void printCreated(const Context &context, const onboarding::MetricOnboardingOutcome &outcome)
{
    terminal::Stream out(stdout);
    const auto &metric = outcome.metric;
    if (context.json) {
        out << terminal::jsonLine(
            QJsonDocument(QJsonObject { { u"created"_s, true }, { u"metricKey"_s, metric.tsmMetricKey },
                { u"id"_s, outcome.configId }, { u"name"_s, metric.name }, { u"entityId"_s, metric.entityId },
                { u"service"_s, outcome.serviceName }, { u"dimension"_s, metric.dimensionName },
                { u"attribute"_s, metric.attributeName() } }));
        return;
    }
    out << "created " << metric.tsmMetricKey << " (" << metric.name << ") on " << outcome.serviceName << " ("
        << metric.entityId << "), dimension " << metric.dimensionName << " from " << metric.attributeName()
        << '\n'
        << "It records from now on, with no backfill: earlier intervals stay empty.\n";
}

} // namespace

int metricCreate(const Context &context)
{
    auto setup = setupFrom(context, {});
    if (!setup)
        return usageError(setup.error());
    if (setup->token.isEmpty())
        return usageError(u"DT_API_TOKEN is not set (the token is never taken from a flag)"_s);
    setup.value().dryRun = context.parser.isSet(u"dry-run"_s);

    onboarding::MetricOnboarding onboarding(setup.value());
    int exitCode = ApiOrData;
    QObject::connect(&onboarding, &onboarding::MetricOnboarding::finished, &onboarding,
        [&](const onboarding::MetricOnboardingResult &result) {
            if (result && result->dryRun) {
                // Exactly the bytes the create would send.
                terminal::out() << result->metric.toJson() << '\n';
                exitCode = Ok;
            } else if (result) {
                printCreated(context, result.value());
                exitCode = Ok;
            } else {
                const MetricOnboardingError &error = result.error();
                terminal::err() << "canaryctl: " << terminalSafe(error.message) << '\n';
                // The steps are what to do next, not the error: stdout, so stderr stays one line.
                if (!error.manualSteps.isEmpty())
                    terminal::out() << error.manualSteps << '\n';
                exitCode = exitCodeFor(error);
            }
            QCoreApplication::exit(exitCode);
        });
    onboarding.start();
    QCoreApplication::exec();
    return exitCode;
}

int metricSteps(const Context &context)
{
    // The steps need no tenant: a URL is only read so the profile's and the flags' rules stay the same.
    auto setup = setupFrom(context, QUrl(u"https://tenant.invalid"_s));
    if (!setup)
        return usageError(setup.error());
    onboarding::MetricOnboarding onboarding(setup.value());
    const dynatrace::CalculatedServiceMetric metric = onboarding.metricFor({});
    if (const QString problem = metric.problem(); !problem.isEmpty())
        return usageError(problem);
    terminal::out() << dynatrace::manualStepsText(metric, u"matched by %1"_s.arg(setup->entitySelector))
                    << '\n';
    return Ok;
}

} // namespace canaryctl
