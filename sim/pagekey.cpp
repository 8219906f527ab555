#include "pagekey.h"

#include <nlohmann/json.hpp>

#include "simrequest.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

using Json = nlohmann::json;

const QString NextPageKey = u"nextPageKey"_s;
const QString ApiToken = u"Api-Token"_s; // authentication, not a parameter of the query

constexpr auto Base64Options = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

} // namespace

std::optional<QString> PageKey::value(const QString &key) const
{
    for (const auto &[k, v] : query) {
        if (k == key)
            return v;
    }
    return std::nullopt;
}

QString PageKey::encode() const
{
    Json items = Json::array();
    for (const auto &[k, v] : query)
        items.push_back(Json::array({ k.toStdString(), v.toStdString() }));
    const Json json { { "q", std::move(items) }, { "o", offset } };
    const QByteArray bytes
        = QByteArray::fromStdString(json.dump(-1, ' ', false, Json::error_handler_t::replace));
    return QString::fromLatin1(bytes.toBase64(Base64Options));
}

std::optional<PageKey> PageKey::decode(const QString &text)
{
    const auto result = QByteArray::fromBase64Encoding(
        text.toLatin1(), Base64Options | QByteArray::AbortOnBase64DecodingErrors);
    if (!result || (*result).isEmpty())
        return std::nullopt;
    const QByteArray &decoded = *result;
    const Json json = Json::parse(decoded.cbegin(), decoded.cend(), nullptr, false);
    if (json.is_discarded() || !json.is_object())
        return std::nullopt;
    const auto items = json.find("q");
    const auto offset = json.find("o");
    if (items == json.end() || !items->is_array() || offset == json.end() || !offset->is_number_integer())
        return std::nullopt;
    PageKey key;
    key.offset = offset->get<qint64>();
    if (key.offset < 0)
        return std::nullopt;
    for (const Json &item : *items) {
        if (!item.is_array() || item.size() != 2 || !item[0].is_string() || !item[1].is_string())
            return std::nullopt;
        key.query.append({ QString::fromStdString(item[0].get<std::string>()),
            QString::fromStdString(item[1].get<std::string>()) });
    }
    return key;
}

canary::Expected<PageKey, SimError> PageKey::fromRequest(
    const SimRequest &request, const QStringList &allowedWithKey)
{
    const std::optional<QString> text = request.optionalQueryItem(NextPageKey);
    if (!text) {
        PageKey key;
        for (const auto &item : request.query) {
            if (item.first != ApiToken)
                key.query.append(item);
        }
        return key;
    }
    QStringList others;
    for (const auto &[k, v] : request.query) {
        if (k != NextPageKey && k != ApiToken && !allowedWithKey.contains(k) && !others.contains(k))
            others.append(k);
    }
    if (!others.isEmpty()) {
        return SimError::constraint(NextPageKey,
            u"must be the only query parameter when it is set; remove %1"_s.arg(others.join(u", "_s)));
    }
    std::optional<PageKey> key = decode(*text);
    if (!key)
        return SimError::constraint(NextPageKey, u"is not a valid page key"_s);
    return *key;
}

} // namespace canary::sim
