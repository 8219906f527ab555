#include "terminaltext.h"

#include "net/redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary {

QString terminalSafe(const QString &text)
{
    // Credentials masked first (net::redactSecrets): what comes from outside and is printed may carry one, a
    // backout plan's trigger URL or a token someone put in an event. Masking before escaping also means an
    // escape sequence cannot split a token so that it is no longer recognised.
    const QString masked = net::redactSecrets(text);
    QString safe;
    safe.reserve(masked.size());
    for (const QChar c : masked) {
        const char16_t u = c.unicode();
        const bool control = u < 0x20 || (u >= 0x7f && u < 0xa0) || (u >= 0x202a && u <= 0x202e)
            || (u >= 0x2066 && u <= 0x2069);
        if (control)
            safe += u"\\x%1"_s.arg(int(u), 2, 16, QLatin1Char('0'));
        else
            safe += c;
    }
    return safe;
}

} // namespace canary
