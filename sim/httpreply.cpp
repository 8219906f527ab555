#include "httpreply.h"

#include <nlohmann/json.hpp>

namespace canary::sim {

HttpReply HttpReply::json(QByteArray body, int status)
{
    HttpReply reply;
    reply.status = status;
    reply.body = std::move(body);
    return reply;
}

HttpReply HttpReply::error(const SimError &error)
{
    using Json = nlohmann::ordered_json;
    Json envelope { { "code", error.code }, { "message", error.message.toStdString() } };
    if (!error.constraintViolations.isEmpty()) {
        Json violations = Json::array();
        for (const SimError::Violation &violation : error.constraintViolations) {
            violations.push_back(Json { { "path", violation.path.toStdString() },
                { "message", violation.message.toStdString() },
                { "parameterLocation", violation.parameterLocation.toStdString() },
                { "location", nullptr } });
        }
        envelope["constraintViolations"] = std::move(violations);
    }
    return json(QByteArray::fromStdString(Json { { "error", std::move(envelope) } }.dump()), error.code);
}

HttpReply HttpReply::error(int code, const QString &message)
{
    return error(SimError { code, message, {} });
}

} // namespace canary::sim
