#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include "commands.h"
#include "environment/trafficbackendfactory.h"
#include "onboarding/connectioncheck.h"
#include "terminal.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

int check(const Context &context)
{
    auto target = context.target.read(context.parser, context.environment, true, {}, context.profile);
    if (!target)
        return usageError(target.error());
    onboarding::CheckSetup setup;
    setup.dynatraceUrl = target->dynatraceUrl;
    setup.token = profile::TargetOptions::tokenFrom(context.environment);
    setup.metricSelector = target->metricSelector;
    setup.buildDimension = target->buildDimension;
    setup.entitySelector = target->entitySelector;
    if (auto awx = context.traffic.awxConnection(context.parser, context.environment, context.profile)) {
        if (!*awx)
            return usageError(awx->error());
        setup.awx = awx->value();
        // The templates this set-up would launch: the traffic one and the recorded backout.
        for (const QString &option : { u"awx-template"_s, u"remediation-action"_s }) {
            const QString ref = context.parser.value(option).trimmed();
            if (!ref.isEmpty() && ref.compare(u"NA"_s, Qt::CaseInsensitive) != 0
                && !setup.awxTemplates.contains(ref))
                setup.awxTemplates.append(ref);
        }
    }
    std::unique_ptr<traffic::TrafficBackend> backend;
    if (context.parser.isSet(u"traffic-backend"_s)) {
        auto spec = context.traffic.backendSpec(
            context.parser, context.environment, target->dynatraceUrl, setup.token, std::nullopt);
        if (!spec)
            return usageError(spec.error());
        backend = environment::makeTrafficBackend(std::move(spec).value());
        setup.backend = backend.get();
    }

    onboarding::ConnectionCheck check(setup);
    int exitCode = ApiOrData;
    QObject::connect(
        &check, &onboarding::ConnectionCheck::finished, &check, [&](const onboarding::CheckReport &report) {
            terminal::Stream out(stdout);
            if (context.json) {
                QJsonArray items;
                for (const auto &item : report.items) {
                    const QString status = item.status == onboarding::CheckItem::Status::Ok ? u"ok"_s
                        : item.status == onboarding::CheckItem::Status::Missing             ? u"missing"_s
                                                                                            : u"failed"_s;
                    items.append(QJsonObject { { u"feature"_s, item.feature }, { u"status"_s, status },
                        { u"detail"_s, item.detail } });
                }
                out << terminal::jsonLine(
                    QJsonDocument(QJsonObject { { u"ok"_s, report.allOk() }, { u"checks"_s, items } }));
            } else {
                out << report.text() << '\n';
            }
            out.flush();
            // Something missing is a set-up problem the operator can fix, not a broken connection.
            exitCode = report.allOk() ? Ok : ApiOrData;
            QCoreApplication::exit(exitCode);
        });
    // On the loop's first turn: a check that answers at once (a token it can judge without a request) would
    // otherwise call exit() before exec() runs, and exit() only ends a running loop.
    QTimer::singleShot(0, &check, [&check] { check.start(); });
    QCoreApplication::exec();
    return exitCode;
}

} // namespace canaryctl
