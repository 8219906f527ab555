#include "jsonbody.h"

#include "simrequest.h"

namespace canary::sim {

canary::Expected<JsonBody::Json, QString> JsonBody::read(
    const SimRequest &request, const std::optional<Json> &whenBlank)
{
    if (whenBlank && request.body.trimmed().isEmpty())
        return *whenBlank;
    try {
        return Json::parse(request.body.cbegin(), request.body.cend());
    } catch (const Json::parse_error &error) {
        return QString::fromUtf8(error.what());
    }
}

} // namespace canary::sim
