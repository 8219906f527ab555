#include "kubepatch.h"

#include <QList>

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

// Go's encoding/json names JSON types this way in its unmarshal errors.
QString goTypeName(const KubePatch::Json &value)
{
    if (value.is_boolean())
        return u"bool"_s;
    return QString::fromLatin1(value.type_name());
}

} // namespace

std::optional<KubePatch::Type> KubePatch::typeOf(const QByteArray &contentType)
{
    const QByteArray type = contentType.split(';').front().trimmed().toLower();
    if (type == mediaType(Type::Merge))
        return Type::Merge;
    if (type == mediaType(Type::JsonPatch))
        return Type::JsonPatch;
    return std::nullopt;
}

QByteArray KubePatch::mediaType(Type type)
{
    return type == Type::Merge ? "application/merge-patch+json" : "application/json-patch+json";
}

std::variant<KubePatch::Json, KubePatch::Failure> KubePatch::apply(
    const Json &object, Type type, const Json &patch)
{
    switch (type) {
    case Type::Merge: {
        // RFC 7386 would let a non-object replace the whole document; the API server decodes into a map
        // first.
        if (!patch.is_object()) {
            return Failure { 400, u"BadRequest"_s,
                u"json: cannot unmarshal %1 into Go value of type map[string]interface {}"_s.arg(
                    goTypeName(patch)) };
        }
        Json merged = object;
        merged.merge_patch(patch); // objects merge, null deletes, everything else (lists too) replaces
        return merged;
    }
    case Type::JsonPatch: {
        if (!patch.is_array()) {
            return Failure { 400, u"BadRequest"_s,
                u"json: cannot unmarshal %1 into Go value of type jsonpatch.Patch"_s.arg(goTypeName(patch)) };
        }
        // RFC 6902: the operations apply in order and the patch applies whole or not at all (a failed "test"
        // included); nlohmann::json implements exactly that and throws on the first failing operation.
        try {
            return object.patch(patch);
        } catch (const Json::exception &error) {
            return Failure { 422, u"Invalid"_s,
                u"the server rejected our request due to an error in our request: %1"_s.arg(
                    QString::fromUtf8(error.what())) };
        }
    }
    }
    return Failure { 415, u"UnsupportedMediaType"_s, u"unknown patch type"_s };
}

} // namespace canary::sim
