#pragma once

#include <optional>

#include <QByteArray>
#include <QList>

#include "faultinjector.h"

namespace canary::sim {

class DynatraceApi;
class SimServer;
struct HttpReply;
struct SimRequest;

// The simulator's fault and bookkeeping endpoints, for tests and canary-sim users (scope "sim.control", like
// the split). None of them is ever faulted or counted.
//   GET    /api/sim/v1/faults              -> [{"endpoint":…,"kind":…,"value":…,"remaining":…}, …] in force
//   PUT    /api/sim/v1/faults  [ … ]       -> replaces the list (held requests released), answers it
//   POST   /api/sim/v1/faults  { … }       -> appends one (201), answers the list
//   DELETE /api/sim/v1/faults              -> lifts all: {"lifted":N}; delayed requests are answered at once,
//                                             requests held open are closed
//   GET    /api/sim/v1/requests            -> {"GET /api/v2/metrics/query":3, …}: every request that reached
//                                             the server since the last reset, faulted or not
//   DELETE /api/sim/v1/requests            -> resets the counters: {}
//   GET    /api/sim/v1/ingested?property=K -> {"<value of K>":count, …} over the events stored through
//                                             POST /api/v2/events/ingest
// A fault is {"endpoint":"GET /api/v2/metrics/query", "kind":"latency", "value":3000, "remaining":-1}: kind
// as Fault::kindNames() ("500", "502", "503" stand for server-error with that value), value and remaining
// optional (0 and -1). A body that does not fit is a 400 whose message names the field.
class FaultApi
{
public:
    FaultApi(SimServer &server, DynatraceApi &dynatrace);

    static QByteArray toJson(const QList<Fault> &faults);
    // One fault or (`array`) a list of them from a request body; nullopt and *error ("[1].kind: …") when it
    // does not fit.
    static std::optional<QList<Fault>> parse(const QByteArray &body, bool array, FaultFieldError *error);

private:
    HttpReply listFaults() const;
    HttpReply replaceFaults(const SimRequest &request);
    HttpReply addFault(const SimRequest &request);
    HttpReply liftFaults();
    HttpReply requestCounts() const;
    HttpReply resetRequestCounts();
    HttpReply ingested(const SimRequest &request) const;

    FaultInjector &m_faults;
    DynatraceApi &m_dynatrace;
};

} // namespace canary::sim
