#include "terminaltext.h"

#include "net/redaction.h"

using namespace Qt::Literals::StringLiterals;

namespace canary {

bool isTerminalControl(char32_t u)
{
    // By Unicode category rather than a list: Cc is C0, DEL and C1 (0x9b is a one-byte CSI); Cf holds the
    // bidi embeddings, overrides and isolates, the invisible direction marks and every other invisible
    // character that can hide or reorder text (zero-width space, BOM, word joiner, interlinear annotation);
    // Zl/Zp break the line; Cs is a lone surrogate (a pair is decoded before this is asked).
    switch (QChar::category(u)) {
    case QChar::Other_Control:
    case QChar::Other_Format:
    case QChar::Separator_Line:
    case QChar::Separator_Paragraph:
    case QChar::Other_Surrogate:
        return true;
    default:
        return false;
    }
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
