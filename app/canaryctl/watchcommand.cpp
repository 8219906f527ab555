#include <QCoreApplication>
#include <QJsonDocument>

#include "commands.h"
#include "environment/environment.h"
#include "session/canarysession.h"
#include "terminal.h"
#include "traffic/splitwatch.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"
#include "util/terminaltext.h"
#include "watch/livefeed.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace canaryctl {

// What changes, one line each, until interrupted: the split (with --traffic-backend), changes made elsewhere
// (with who made them, where the back-end tells), the verdict, new events and problems, and the rows other
// processes append to the shared audit log (a rollback's progress). The window's live view is made of the
// same reads.
int watchCommand(const Context &context)
{
    Setting setting = settingFor(context);
    if (!setting.hasDynatrace())
        return usageError(setting.dynatraceProblem);
    // A tenant is not a simulator: the split is watched only where the operator names the back-end.
    if (context.parser.isSet(u"traffic-backend"_s)) {
        auto backend = context.traffic.backendSpec(context.parser, context.environment,
            setting.spec.target.dynatraceUrl, setting.spec.token, std::nullopt, context.profile);
        if (!backend)
            return usageError(backend.error());
        setting.spec.backend = std::move(backend).value();
    }
    environment::Environment env(setting.spec, Clock::system());
    watch::LiveFeed feed(Clock::system());
    terminal::Stream out(stdout);
    QObject::connect(&feed, &watch::LiveFeed::changed, &feed, [&](const watch::LiveChange &change) {
        if (context.json)
            out << terminal::jsonLine(QJsonDocument(change.json));
        else
            out << change.line() << '\n';
        out.flush(); // a pipe reader sees each line as it happens
    });
    if (setting.spec.backend) {
        auto controller = env.openBackend();
        if (!controller)
            return usageError(controller.error());
        feed.watchTraffic(controller.value());
        controller.value()->refresh();
        env.splitWatch()->start();
    }
    // Rollbacks and changes of every console and canaryctl sharing the state folder, as they are written.
    if (auto audit = env.openStore())
        feed.watchAudit(audit.value(), setting.spec.target.refreshIntervalMs);
    else
        terminal::err() << "canaryctl: watching without the audit log: " << terminalSafe(audit.error())
                        << '\n';
    session::CanarySession *session = env.session();
    feed.watchSession(session, setting.spec.roles);
    session->start();
    return QCoreApplication::exec();
}

} // namespace canaryctl
