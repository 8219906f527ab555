#pragma once

#include <functional>
#include <optional>

#include <QDateTime>
#include <QStringList>

#include "apierror.h"
#include "util/expected.h"

namespace canary::net {
class RestCall;
class RestClient;
} // namespace canary::net

namespace canary::dynatrace {

// What POST /api/v2/apiTokens/lookup says about a token: what it may do, and whether it still works.
struct TokenInfo
{
    QString id; // the public part, "dt0c01.ABC…"
    QString name;
    bool enabled = true;
    QStringList scopes;
    std::optional<QDateTime> expiration;
};

using TokenLookupResult = Expected<TokenInfo, ApiError>;

// The kind of token an operator pasted, judged by its prefix before anything is sent: environment access
// tokens (dt0c01) work with the environment API; platform tokens (dt0s…) and anything else do not.
enum class TokenKind { EnvironmentAccessToken, PlatformToken, Unknown };
TokenKind tokenKindOf(const QString &token);
// Why `token` cannot be used here, for the operator; empty for an environment access token.
QString tokenKindProblem(const QString &token);

// Asks the tenant about `token` over `rest` (which must carry a valid token: usually the same one).
net::RestCall *lookupToken(net::RestClient *rest, const QString &token, const QObject *context,
    std::function<void(const TokenLookupResult &)> onDone);

Expected<TokenInfo, ApiError> parseTokenInfo(QByteArrayView json);

} // namespace canary::dynatrace
