#include "faultapi.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "dynatraceapi.h"
#include "httpreply.h"
#include "simrequest.h"
#include "simserver.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

using Json = nlohmann::ordered_json;

QByteArray dump(const Json &json)
{
    return QByteArray::fromStdString(json.dump(-1, ' ', false, Json::error_handler_t::replace));
}

// A 400 in Dynatrace's envelope whose message names the field, so a curl user sees it without digging.
HttpReply badRequest(const FaultFieldError &error)
{
    return HttpReply::error(
        SimError { 400, error.toString(), { { error.field, error.message, u"PAYLOAD_BODY"_s } } });
}

// An optional whole-number field: false (and *error) when present but not an int.
bool readInteger(const Json &object, const char *key, const QString &path, std::optional<int> *value,
    FaultFieldError *error)
{
    const auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return true;
    const bool fits = it->is_number_unsigned()
        ? it->get<std::uint64_t>() <= std::uint64_t(std::numeric_limits<int>::max())
        : it->is_number_integer() && it->get<std::int64_t>() >= std::numeric_limits<int>::min()
            && it->get<std::int64_t>() <= std::numeric_limits<int>::max();
    if (!fits) {
        *error = { path + QString::fromLatin1(key), u"must be a whole number"_s };
        return false;
    }
    *value = int(it->get<std::int64_t>());
    return true;
}

std::optional<Fault> readFault(const Json &object, const QString &path, FaultFieldError *error)
{
    if (!object.is_object()) {
        *error = { path.isEmpty() ? u"body"_s : path.chopped(1), u"must be a fault object"_s };
        return std::nullopt;
    }
    for (auto it = object.begin(); it != object.end(); ++it) {
        static const std::string known[] = { "endpoint", "kind", "value", "remaining" };
        if (std::find(std::begin(known), std::end(known), it.key()) == std::end(known)) {
            *error = { path + QString::fromStdString(it.key()),
                u"is not a field of a fault (endpoint, kind, value, remaining)"_s };
            return std::nullopt;
        }
    }

    Fault fault;
    const auto endpoint = object.find("endpoint");
    if (endpoint == object.end() || !endpoint->is_string()) {
        *error = { path + u"endpoint"_s, u"must be a string such as \"GET /api/v2/metrics/query\""_s };
        return std::nullopt;
    }
    fault.endpoint = QString::fromStdString(endpoint->get<std::string>());

    const auto kind = object.find("kind");
    if (kind == object.end() || !kind->is_string()) {
        *error = { path + u"kind"_s, u"must be one of %1"_s.arg(Fault::kindNames().join(u", "_s)) };
        return std::nullopt;
    }
    const QString kindText = QString::fromStdString(kind->get<std::string>());
    std::optional<int> impliedValue;
    const auto parsedKind = Fault::kindFromName(kindText, &impliedValue);
    if (!parsedKind) {
        *error = { path + u"kind"_s,
            u"'%1' is not a fault kind; use one of %2"_s.arg(kindText, Fault::kindNames().join(u", "_s)) };
        return std::nullopt;
    }
    fault.kind = *parsedKind;

    std::optional<int> value;
    std::optional<int> remaining;
    if (!readInteger(object, "value", path, &value, error)
        || !readInteger(object, "remaining", path, &remaining, error))
        return std::nullopt;
    if (impliedValue && value && *value != *impliedValue) {
        *error = { path + u"value"_s,
            u"kind '%1' is already the status; value must be %1 or absent"_s.arg(kindText) };
        return std::nullopt;
    }
    fault.value = impliedValue.value_or(value.value_or(0));
    fault.remaining = remaining.value_or(Fault::Unlimited);
    if (auto problem = fault.validate()) {
        *error = { path + problem->field, problem->message };
        return std::nullopt;
    }
    return fault;
}

} // namespace

FaultApi::FaultApi(SimServer &server, DynatraceApi &dynatrace)
    : m_faults(server.faults())
    , m_dynatrace(dynatrace)
{
    const QString scope = u"sim.control"_s;
    server.addRoute(
        "GET", u"/api/sim/v1/faults"_s, scope, [this](const SimRequest &) { return listFaults(); });
    server.addRoute("PUT", u"/api/sim/v1/faults"_s, scope,
        [this](const SimRequest &request) { return replaceFaults(request); });
    server.addRoute("POST", u"/api/sim/v1/faults"_s, scope,
        [this](const SimRequest &request) { return addFault(request); });
    server.addRoute(
        "DELETE", u"/api/sim/v1/faults"_s, scope, [this](const SimRequest &) { return liftFaults(); });
    server.addRoute(
        "GET", u"/api/sim/v1/requests"_s, scope, [this](const SimRequest &) { return requestCounts(); });
    server.addRoute("DELETE", u"/api/sim/v1/requests"_s, scope,
        [this](const SimRequest &) { return resetRequestCounts(); });
    server.addRoute("GET", u"/api/sim/v1/ingested"_s, scope,
        [this](const SimRequest &request) { return ingested(request); });
}

QByteArray FaultApi::toJson(const QList<Fault> &faults)
{
    Json list = Json::array();
    for (const Fault &fault : faults) {
        list.push_back(Json { { "endpoint", fault.endpoint.toStdString() },
            { "kind", Fault::kindName(fault.kind).toStdString() }, { "value", fault.value },
            { "remaining", fault.remaining } });
    }
    return dump(list);
}

std::optional<QList<Fault>> FaultApi::parse(const QByteArray &body, bool array, FaultFieldError *error)
{
    const Json root = Json::parse(body.cbegin(), body.cend(), nullptr, false);
    if (root.is_discarded()) {
        *error = { u"body"_s, u"is not JSON"_s };
        return std::nullopt;
    }
    QList<Fault> faults;
    if (!array) {
        auto fault = readFault(root, QString(), error);
        if (!fault)
            return std::nullopt;
        faults.append(*fault);
        return faults;
    }
    if (!root.is_array()) {
        *error = { u"body"_s, u"must be a JSON array of faults ([] lifts them all)"_s };
        return std::nullopt;
    }
    for (std::size_t i = 0; i < root.size(); ++i) {
        auto fault = readFault(root.at(i), u"[%1]."_s.arg(i), error);
        if (!fault)
            return std::nullopt;
        faults.append(*fault);
    }
    return faults;
}

HttpReply FaultApi::listFaults() const
{
    return HttpReply::json(toJson(m_faults.faults()));
}

HttpReply FaultApi::replaceFaults(const SimRequest &request)
{
    FaultFieldError error;
    const auto faults = parse(request.body, true, &error);
    if (!faults)
        return badRequest(error);
    m_faults.setFaults(*faults); // validated by parse()
    return listFaults();
}

HttpReply FaultApi::addFault(const SimRequest &request)
{
    FaultFieldError error;
    const auto faults = parse(request.body, false, &error);
    if (!faults)
        return badRequest(error);
    m_faults.addFault(faults->constFirst());
    HttpReply reply = listFaults();
    reply.status = 201;
    return reply;
}

HttpReply FaultApi::liftFaults()
{
    const int lifted = m_faults.liftAll();
    return HttpReply::json(dump(Json { { "lifted", lifted } }));
}

HttpReply FaultApi::requestCounts() const
{
    Json counts = Json::object();
    const QMap<QString, int> all = m_faults.requestCounts();
    for (auto it = all.cbegin(); it != all.cend(); ++it)
        counts[it.key().toStdString()] = it.value();
    return HttpReply::json(dump(counts));
}

HttpReply FaultApi::resetRequestCounts()
{
    m_faults.resetRequestCounts();
    return requestCounts();
}

HttpReply FaultApi::ingested(const SimRequest &request) const
{
    const QString key = request.queryItem(u"property"_s);
    if (key.isEmpty()) {
        return HttpReply::error(SimError::constraint(u"property"_s,
            u"must name the event property to count by, as in ?property=outboxId"_s,
            u"property: must name the event property to count by"_s));
    }
    Json counts = Json::object();
    const QMap<QString, int> all = m_dynatrace.ingestedPropertyCounts(key);
    for (auto it = all.cbegin(); it != all.cend(); ++it)
        counts[it.key().toStdString()] = it.value();
    return HttpReply::json(dump(counts));
}

} // namespace canary::sim
