#pragma once

#include <optional>

#include <QString>

#include <nlohmann/json.hpp>

#include "util/expected.h"

namespace canary::sim {

struct SimRequest;

// The one way the simulator's routes read a request body as JSON. What a body that is not JSON (or not the
// JSON a route wants) is answered with stays each API's own: Dynatrace's error envelope, AWX's {"detail": …},
// Kubernetes' Status.
struct JsonBody
{
    using Json = nlohmann::ordered_json;

    // The parsed body, of any JSON type, or the parser's account of what is wrong. A blank body is
    // `whenBlank` where the API treats an absent body so (AWX's launch, a problem comment), and otherwise
    // not JSON.
    static canary::Expected<Json, QString> read(
        const SimRequest &request, const std::optional<Json> &whenBlank = std::nullopt);
};

} // namespace canary::sim
