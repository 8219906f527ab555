#pragma once

#include <optional>
#include <variant>

#include <QByteArray>
#include <QString>

#include <nlohmann/json.hpp>

namespace canary::sim {

// A PATCH body applied to a stored object the way the API server applies it, whatever the object's kind: the
// simulator changes its objects generically and reads the weights afterwards.
class KubePatch
{
public:
    using Json = nlohmann::ordered_json;

    enum class Type {
        Merge, // application/merge-patch+json, RFC 7386
        JsonPatch, // application/json-patch+json, RFC 6902
    };

    // Why a patch does not apply: 400 when the body is not a patch of its type, 422 when an operation fails.
    struct Failure
    {
        int status = 400;
        QString reason; // "BadRequest", "Invalid"
        QString message;
    };

    // The type of a Content-Type header; nullopt for any other (strategic merge included).
    static std::optional<Type> typeOf(const QByteArray &contentType);
    static QByteArray mediaType(Type type);

    // `patch` is the parsed body.
    static std::variant<Json, Failure> apply(const Json &object, Type type, const Json &patch);
};

} // namespace canary::sim
