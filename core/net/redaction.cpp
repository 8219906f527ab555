#include "redaction.h"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include <QMutex>
#include <QMutexLocker>
#include <QRegularExpression>
#include <QStringList>
#include <QUrl>

using namespace Qt::Literals::StringLiterals;

namespace canary::net {

namespace {

// Both live until the process ends on purpose (never destroyed): a message logged by another static's
// destructor, or by a crash handler, still goes through them.
struct Patterns
{
    static constexpr auto Options = QRegularExpression::CaseInsensitiveOption;

    // A Dynatrace token anywhere: prefix, public id, secret.
    const QRegularExpression dynatraceToken {
        u"(?<![A-Za-z0-9])(dt0[a-z][0-9]{2})\\.([A-Za-z0-9]+)\\.([A-Za-z0-9_-]+)"_s, Options
    };
    // The same, as the whole of a value: what maskValue() keeps the public part of.
    const QRegularExpression dynatraceValue { u"^(dt0[a-z][0-9]{2})\\.([A-Za-z0-9]+)\\."_s, Options };
    // Authorization-like header lines, with or without a scheme before the credential.
    const QRegularExpression authorizationHeader {
        u"\\b((?:Proxy-)?Authorization)([ \\t]*[:=][ \\t]*)(?:([A-Za-z][A-Za-z0-9_-]*)([ \\t]+))?([^\\s\"',;<>\\\\]+)"_s,
        Options
    };
    // The credential after an authentication scheme, wherever the scheme appears.
    const QRegularExpression schemeCredential { u"\\b(Api-Token|Bearer|Basic)([ \\t]+)([^\\s\"',;<>\\\\]+)"_s,
        Options };
    const QRegularExpression cookieHeader { u"\\b((?:Set-)?Cookie)([ \\t]*:[ \\t]*)([^\\r\\n]+)"_s, Options };
    // key=value: URL queries (token, access_token, private_token, password, secret, ...) and environment
    // lines.
    const QRegularExpression keyEqualsValue {
        u"(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]*(?:token|password|passwd|secret|api[_-]?key))([ \\t]*=[ \\t]*)([^\\s&#\"'<>,;\\\\]+)"_s,
        Options
    };
    // A URL query item whose key only contains token, secret or password ("?token_id=…", "&secret_key=…"):
    // in a query such a key names a credential as surely as one ending in it, which keyEqualsValue covers
    // everywhere. Only after '?', '&' or ';', so ordinary words with "token" in them are left alone.
    const QRegularExpression queryItem {
        u"([?&;][A-Za-z0-9_.-]*(?:token|secret|password|passwd)[A-Za-z0-9_.-]*=)([^\\s&#\"'<>,;\\\\]+)"_s,
        Options
    };
    // "key": "value" in JSON.
    const QRegularExpression jsonMember {
        u"(\"[A-Za-z0-9_.-]*(?:token|password|passwd|secret|api[_-]?key)\"[ \\t]*:[ \\t]*\")((?:[^\"\\\\]|\\\\.)+)(\")"_s,
        Options
    };
    // key: value at the start of a line (YAML, kubeconfig, a dumped header block).
    const QRegularExpression lineKeyValue {
        u"^([ \\t-]*[A-Za-z0-9_.-]*(?:token|password|passwd|secret|api[_-]?key|key-data)[ \\t]*:[ \\t]+)(\\S[^\\r\\n]*)"_s,
        Options | QRegularExpression::MultilineOption
    };
    // scheme://user:password@
    const QRegularExpression userInfo { u"\\b([A-Za-z][A-Za-z0-9+.-]*://[^\\s/?#@:]*:)([^\\s/?#@]+)(@)"_s };

    // Credentials known by their shape alone, one group per kind. One expression rather than one per shape,
    // since it runs on every log line. The boundaries keep a match from starting or ending inside a longer
    // run (a base64 blob, a name with dashes or underscores), so only a standalone word counts.
    // 1: a JSON Web Token (Kubernetes service-account tokens, OAuth bearer tokens): header and payload are
    //    base64url JSON, so both start with "eyJ" ('{"'); the signature may be cut off or empty.
    // 2: GitLab personal, pipeline-trigger and deploy tokens; 3: GitHub tokens.
    // 4: AWX / Automation Platform OAuth2 tokens (oauthlib's generate_token: 30 ASCII letters and digits).
    //    Only a word of exactly 30 that mixes upper case, lower case and digits counts (isMixedWord), so git
    //    SHAs (40 hex), UUIDs, entity ids (SERVICE-<16 hex>) and problem ids (digits and '_') never do.
    //    Its boundaries are stricter than the prefixed shapes' ('+' and '/' too), so a 30-character stretch
    //    of a base64 blob never counts, while "ingress/shop/eyJ…" or "…/trigger/glptt-…" do.
    const QRegularExpression shapedToken {
        u"(?<![A-Za-z0-9_-])(?:"
        "(eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}(?:\\.[A-Za-z0-9_-]*)?)"
        "|(gl(?:pat|ptt|dt)-[A-Za-z0-9_-]{8,}(?:\\.[A-Za-z0-9_-]+)*)"
        "|(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"
        ")(?![A-Za-z0-9_-])"
        "|(?<![A-Za-z0-9_+/-])([A-Za-z0-9]{30})(?![A-Za-z0-9_+/-])"_s
    };

    // What tokenShapeIn() looks for besides shapedToken, more eagerly than redaction masks: a Dynatrace
    // prefix with a few characters of its public id is already a paste of a token.
    const QRegularExpression dynatraceShape { u"(?<![A-Za-z0-9])dt0[a-z][0-9]{2}\\.[A-Za-z0-9]{4,}"_s,
        Options };
    // A scheme with a credential after it; "***" (already masked) is not one.
    const QRegularExpression schemeShape { u"\\b(Bearer|Api-Token)[ \\t]+(?!\\*)[^\\s\"',;<>\\\\]{8,}"_s,
        Options };
};

const Patterns &patterns()
{
    static const Patterns *const instance = new Patterns;
    return *instance;
}

struct SecretStore
{
    QMutex mutex;
    QStringList secrets; // longest first, so a secret containing another is masked whole
};

SecretStore &secretStore()
{
    static SecretStore *const instance = new SecretStore;
    return *instance;
}

// True for a word of letters and digits with at least one upper-case letter, one lower-case letter and one
// digit: what a random token of that alphabet almost always is, and what identifiers, hex digests and
// numbers are not.
bool isMixedWord(QStringView word)
{
    bool upper = false;
    bool lower = false;
    bool digit = false;
    for (const QChar c : word) {
        upper = upper || (c >= u'A' && c <= u'Z');
        lower = lower || (c >= u'a' && c <= u'z');
        digit = digit || (c >= u'0' && c <= u'9');
    }
    return upper && lower && digit;
}

// Which group of Patterns::shapedToken matched, and whether it is really a credential.
enum class Shape { None, Jwt, GitLab, GitHub, Awx };

Shape shapeOf(const QRegularExpressionMatch &match)
{
    if (match.capturedLength(1) > 0)
        return Shape::Jwt;
    if (match.capturedLength(2) > 0)
        return Shape::GitLab;
    if (match.capturedLength(3) > 0)
        return Shape::GitHub;
    if (match.capturedLength(4) > 0 && isMixedWord(match.capturedView(4)))
        return Shape::Awx;
    return Shape::None;
}

// The mask for one credential: a Dynatrace token keeps its prefix and public id, anything else is masked
// whole; a value already masked stays as it is.
QString maskValue(QStringView value)
{
    if (value.contains(RedactedMask))
        return value.toString();
    const QRegularExpressionMatch token = patterns().dynatraceValue.match(value);
    if (token.hasMatch())
        return token.captured(1) + u'.' + token.captured(2) + u'.' + RedactedMask;
    return RedactedMask.toString();
}

// `text` with every match of `pattern` replaced by what `replacement` makes of it.
template<typename Replacement>
QString replaceMatches(const QString &text, const QRegularExpression &pattern, Replacement &&replacement)
{
    QRegularExpressionMatchIterator it = pattern.globalMatch(text);
    if (!it.hasNext())
        return text;
    QString result;
    result.reserve(text.size());
    qsizetype done = 0;
    while (it.hasNext()) {
        const QRegularExpressionMatch match = it.next();
        result += QStringView(text).mid(done, match.capturedStart() - done);
        result += replacement(match);
        done = match.capturedEnd();
    }
    result += QStringView(text).mid(done);
    return result;
}

// Keeps every capture but the `secretGroup`th, which is masked.
auto maskingGroup(int secretGroup)
{
    return [secretGroup](const QRegularExpressionMatch &match) -> QString {
        QString result;
        for (int group = 1; group <= match.lastCapturedIndex(); ++group)
            result += group == secretGroup ? maskValue(match.capturedView(group)) : match.captured(group);
        return result;
    };
}

std::atomic<QtMessageHandler> wrappedHandler { nullptr };

void redactingMessageHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QString clean = redactSecrets(message);
    if (const QtMessageHandler next = wrappedHandler.load())
        return next(type, context, clean);
    std::fprintf(stderr, "%s\n", qPrintable(qFormatLogMessage(type, context, clean)));
    std::fflush(stderr);
}

} // namespace

QString redactSecrets(QStringView text)
{
    QString result = text.toString();

    QStringList secrets;
    {
        SecretStore &store = secretStore();
        const QMutexLocker lock(&store.mutex);
        secrets = store.secrets;
    }
    for (const QString &secret : std::as_const(secrets)) {
        if (result.contains(secret))
            result.replace(secret, maskValue(secret));
    }

    const Patterns &p = patterns();
    result = replaceMatches(result, p.authorizationHeader, maskingGroup(5));
    result = replaceMatches(result, p.schemeCredential, maskingGroup(3));
    result = replaceMatches(result, p.cookieHeader, [](const QRegularExpressionMatch &match) -> QString {
        return match.captured(1) + match.captured(2) + RedactedMask;
    });
    result = replaceMatches(result, p.keyEqualsValue, maskingGroup(3));
    result = replaceMatches(result, p.queryItem, maskingGroup(2));
    result = replaceMatches(result, p.jsonMember, maskingGroup(2));
    result = replaceMatches(result, p.lineKeyValue, maskingGroup(2));
    result = replaceMatches(result, p.userInfo, maskingGroup(2));
    result = replaceMatches(result, p.dynatraceToken, [](const QRegularExpressionMatch &match) -> QString {
        return match.captured(1) + u'.' + match.captured(2) + u'.' + RedactedMask;
    });
    result = replaceMatches(result, p.shapedToken, [](const QRegularExpressionMatch &match) -> QString {
        return shapeOf(match) == Shape::None ? match.captured(0) : RedactedMask.toString();
    });
    return result;
}

QString tokenShapeIn(QStringView text)
{
    if (text.isEmpty())
        return {};
    const Patterns &p = patterns();
    if (p.dynatraceShape.match(text).hasMatch())
        return u"a Dynatrace token"_s;
    QRegularExpressionMatchIterator it = p.shapedToken.globalMatch(text);
    while (it.hasNext()) {
        switch (shapeOf(it.next())) {
        case Shape::Jwt:
            return u"a JSON Web Token"_s;
        case Shape::GitLab:
            return u"a GitLab token"_s;
        case Shape::GitHub:
            return u"a GitHub token"_s;
        case Shape::Awx:
            return u"an AWX token"_s;
        case Shape::None:
            break;
        }
    }
    if (const QRegularExpressionMatch scheme = p.schemeShape.match(text); scheme.hasMatch())
        return scheme.captured(1).compare(u"Bearer"_s, Qt::CaseInsensitive) == 0
            ? u"a Bearer-scheme token"_s
            : u"an Api-Token-scheme token"_s;
    QRegularExpressionMatchIterator pairs = p.keyEqualsValue.globalMatch(text);
    while (pairs.hasNext()) {
        const QRegularExpressionMatch pair = pairs.next();
        if (!pair.capturedView(3).startsWith(u'*'))
            return u"a credential named %1"_s.arg(pair.captured(1));
    }
    // A URL's user:password@ is not looked for here: the URL checks refuse any user info, and a token used as
    // the password still has its shape.
    return {};
}

QByteArray redactSecrets(QByteArrayView text)
{
    const QString decoded = QString::fromUtf8(text);
    const QString clean = redactSecrets(QStringView(decoded));
    return clean == decoded ? text.toByteArray() : clean.toUtf8();
}

void registerSecret(const QString &secret)
{
    if (secret.size() < MinimumRegisteredSecretLength)
        return;
    QStringList forms { secret };
    const QString percentEncoded = QString::fromLatin1(QUrl::toPercentEncoding(secret));
    if (percentEncoded != secret)
        forms.append(percentEncoded);

    SecretStore &store = secretStore();
    const QMutexLocker lock(&store.mutex);
    for (const QString &form : std::as_const(forms)) {
        if (!store.secrets.contains(form))
            store.secrets.append(form);
    }
    std::stable_sort(store.secrets.begin(), store.secrets.end(),
        [](const QString &a, const QString &b) { return a.size() > b.size(); });
}

QtMessageHandler installRedactingMessageHandler()
{
    const QtMessageHandler previous = qInstallMessageHandler(&redactingMessageHandler);
    if (previous != &redactingMessageHandler)
        wrappedHandler.store(previous);
    return wrappedHandler.load();
}

} // namespace canary::net
