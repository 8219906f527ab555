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
    result = replaceMatches(result, p.jsonMember, maskingGroup(2));
    result = replaceMatches(result, p.lineKeyValue, maskingGroup(2));
    result = replaceMatches(result, p.userInfo, maskingGroup(2));
    result = replaceMatches(result, p.dynatraceToken, [](const QRegularExpressionMatch &match) -> QString {
        return match.captured(1) + u'.' + match.captured(2) + u'.' + RedactedMask;
    });
    return result;
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
