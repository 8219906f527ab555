#include "tokenlookup.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "net/restcall.h"
#include "net/restclient.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::dynatrace {

TokenKind tokenKindOf(const QString &token)
{
    if (token.startsWith(u"dt0c01."_s))
        return TokenKind::EnvironmentAccessToken;
    if (token.startsWith(u"dt0s"_s))
        return TokenKind::PlatformToken;
    return TokenKind::Unknown;
}

QString tokenKindProblem(const QString &token)
{
    switch (tokenKindOf(token)) {
    case TokenKind::EnvironmentAccessToken:
        return {};
    case TokenKind::PlatformToken:
        return QObject::tr("this is a platform token (dt0s…): the environment API v2 needs an access token "
                           "(dt0c01…) created under Access tokens");
    case TokenKind::Unknown:
        break;
    }
    return QObject::tr("this does not look like a Dynatrace access token (they start with dt0c01.)");
}

Expected<TokenInfo, ApiError> parseTokenInfo(QByteArrayView json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json.toByteArray(), &error);
    if (error.error != QJsonParseError::NoError)
        return ApiError::malformedJson(error.errorString());
    if (!document.isObject() || !document.object().value(u"scopes"_s).isArray())
        return ApiError::unexpectedShape(u"token lookup: expected an object with a scopes array"_s);
    const QJsonObject root = document.object();
    TokenInfo info;
    info.id = root.value(u"id"_s).toString();
    info.name = root.value(u"name"_s).toString();
    info.enabled = root.value(u"enabled"_s).toBool(true);
    for (const QJsonValue scope : root.value(u"scopes"_s).toArray())
        info.scopes.append(scope.toString());
    const QString expiration = root.value(u"expirationDate"_s).toString();
    if (!expiration.isEmpty()) {
        const QDateTime when = QDateTime::fromString(expiration, Qt::ISODateWithMs);
        if (when.isValid())
            info.expiration = when;
    }
    return info;
}

net::RestCall *lookupToken(net::RestClient *rest, const QString &token, const QObject *context,
    std::function<void(const TokenLookupResult &)> onDone)
{
    const QByteArray body
        = QJsonDocument(QJsonObject { { u"token"_s, token } }).toJson(QJsonDocument::Compact);
    auto *call = rest->send("POST", u"/api/v2/apiTokens/lookup"_s, {}, body);
    QObject::connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](const net::HttpResponse &response) {
            if (!response.isSuccess())
                return onDone(errorFromResponse(response));
            onDone(parseTokenInfo(QByteArrayView(response.body)));
        });
    return call;
}

} // namespace canary::dynatrace
