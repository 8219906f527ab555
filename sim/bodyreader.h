#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include <QList>
#include <QString>

#include "simerror.h"

namespace canary::sim {

// Validates a JSON request body the way Dynatrace's APIs do: every constraint violation is collected (path,
// message, PAYLOAD_BODY) so that one 400 lists them all. The ingest, the v1 event and the calculated-metric
// bodies share it; each adds the rules of its own shape. `Json` is the nlohmann type the route parsed with.
template<typename Json>
class BodyReader
{
public:
    QList<SimError::Violation> violations;

    void violate(const QString &path, const QString &message)
    {
        violations.append({ path, message, QStringLiteral("PAYLOAD_BODY") });
    }

    // The member, or null when it is missing or JSON null (Dynatrace treats both as absent).
    static const Json *member(const Json &object, const char *key)
    {
        const auto it = object.find(key);
        return it == object.end() || it->is_null() ? nullptr : &*it;
    }

    // A non-blank string, or a violation at `prefix` + `key` and an empty string.
    QString requiredString(const Json &object, const char *key, const QString &prefix = {})
    {
        const QString path = prefix + QString::fromLatin1(key);
        const Json *value = member(object, key);
        if (!value) {
            violate(path, QStringLiteral("must not be null"));
            return {};
        }
        if (!value->is_string()) {
            violate(path, QStringLiteral("must be a string"));
            return {};
        }
        const QString text = QString::fromStdString(value->template get_ref<const std::string &>());
        if (text.trimmed().isEmpty())
            violate(path, QStringLiteral("must not be blank"));
        return text;
    }

    // A string when present; anything else there is a violation.
    QString optionalString(const Json &object, const char *key)
    {
        const Json *value = member(object, key);
        if (!value)
            return {};
        if (!value->is_string()) {
            violate(QString::fromLatin1(key), QStringLiteral("must be a string"));
            return {};
        }
        return QString::fromStdString(value->template get_ref<const std::string &>());
    }

    const Json *requiredObject(const Json &object, const char *key, const QString &path)
    {
        const Json *value = member(object, key);
        if (!value)
            violate(path, QStringLiteral("must not be null"));
        else if (!value->is_object())
            violate(path, QStringLiteral("must be an object"));
        return value && value->is_object() ? value : nullptr;
    }

    // A whole number (of `unit`, for the message) that fits a qint64, when present.
    std::optional<qint64> optionalInteger(const Json &object, const char *key, const QString &unit)
    {
        const Json *value = member(object, key);
        if (!value)
            return std::nullopt;
        if (!value->is_number_integer()
            || (value->is_number_unsigned()
                && value->template get<std::uint64_t>()
                    > std::uint64_t(std::numeric_limits<qint64>::max()))) {
            violate(QString::fromLatin1(key), QStringLiteral("must be a whole number of %1").arg(unit));
            return std::nullopt;
        }
        return value->template get<qint64>();
    }
};

} // namespace canary::sim
