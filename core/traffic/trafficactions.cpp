#include "trafficactions.h"

#include "session/actionlog.h"
#include "trafficcontroller.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

void logTrafficActions(TrafficController *controller, session::ActionLog *log)
{
    QObject::connect(
        controller, &TrafficController::splitApplied, log, [log](const Split &from, const Split &to) {
            QMap<QString, QString> properties { { u"split.new"_s, to.toString() } };
            // `from` equals `to` when the old split could not be read first: then there is nothing to say.
            if (from != to)
                properties.insert(u"split.old"_s, from.toString());
            log->add(u"TRAFFIC_CHANGE"_s, QObject::tr("Traffic set to %1 (stable/canary)").arg(to.toString()),
                true, properties);
        });
    QObject::connect(controller, &TrafficController::applyFailed, log,
        [log](const Split &requested, const TrafficError &error) {
            log->add(u"TRAFFIC_CHANGE"_s,
                QObject::tr("Traffic change to %1 failed").arg(requested.toString()), false,
                { { u"split.requested"_s, requested.toString() }, { u"error"_s, error.summary() } });
        });
    QObject::connect(controller, &TrafficController::recordFailed, log, [log](const QString &message) {
        log->add(u"EVENT_NOT_RECORDED"_s, QObject::tr("Traffic change not recorded in Dynatrace"), false,
            { { u"error"_s, message } });
    });
}

} // namespace canary::traffic
