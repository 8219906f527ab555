#include "terminaltext.h"

#include "net/redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary {

bool isTerminalControl(char32_t u)
{
    return u < 0x20 || (u >= 0x7f && u < 0xa0) // C0, DEL, C1 (0x9b is a one-byte CSI)
        || (u >= 0x202a && u <= 0x202e)
        || (u >= 0x2066 && u <= 0x2069) // bidi embeddings, overrides, isolates
        || u == 0x200e || u == 0x200f || u == 0x061c // invisible direction marks
        || u == 0x2028 || u == 0x2029 // line and paragraph separators
        || (u >= 0xd800 && u <= 0xdfff); // a lone surrogate (a pair is decoded before this is asked)
}

QString escapeTerminalControls(QStringView text, bool keepNewlines)
{
    QString safe;
    safe.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        char32_t u = c.unicode();
        qsizetype length = 1;
        if (c.isHighSurrogate() && i + 1 < text.size() && text[i + 1].isLowSurrogate()) {
            u = QChar::surrogateToUcs4(c, text[i + 1]);
            length = 2;
        }
        if (!isTerminalControl(u) || (keepNewlines && u == u'\n'))
            safe += text.mid(i, length);
        else if (u <= 0xff)
            safe += u"\\x%1"_s.arg(uint(u), 2, 16, QLatin1Char('0'));
        else
            // Wider than \xNN could say; the Unicode name a reader can look up.
            safe += u"<U+%1>"_s.arg(QString::number(uint(u), 16).toUpper().rightJustified(4, u'0'));
        i += length - 1;
    }
    return safe;
}

QString terminalSafe(const QString &text)
{
    // Credentials masked first (net::redactSecrets): what comes from outside and is printed may carry one, a
    // backout plan's trigger URL or a token someone put in an event. Masking before escaping also means an
    // escape sequence cannot split a token so that it is no longer recognised.
    return escapeTerminalControls(net::redactSecrets(text));
}

} // namespace canary
