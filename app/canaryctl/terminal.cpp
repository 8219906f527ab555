#include "terminal.h"

#include "util/terminaltext.h"

using namespace Qt::Literals::StringLiterals;

namespace canaryctl::terminal {

void write(std::FILE *stream, const QString &text)
{
    const QByteArray bytes = canary::escapeTerminalControls(text, true).toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stream);
    std::fflush(stream);
}

Stream::Stream(std::FILE *stream)
    : m_stream(stream)
    , m_text(&m_buffer)
{ }

Stream::~Stream()
{
    flush();
}

void Stream::flush()
{
    m_text.flush();
    if (m_buffer.isEmpty())
        return;
    write(m_stream, m_buffer);
    m_buffer.clear();
    m_text.seek(0);
}

QString jsonLine(const QJsonDocument &document)
{
    const QString json = QString::fromUtf8(document.toJson(QJsonDocument::Compact));
    // Outside strings JSON is ASCII, so each such character is inside one and \uXXXX is its own escape there.
    // Every one of them is in the BMP: a single \uXXXX names it. A surrogate pair is one character and
    // passes; a lone surrogate is escaped like the rest.
    QString safe;
    safe.reserve(json.size() + 1);
    for (qsizetype i = 0; i < json.size(); ++i) {
        const QChar c = json[i];
        if (c.isHighSurrogate() && i + 1 < json.size() && json[i + 1].isLowSurrogate()) {
            safe += c;
            safe += json[++i];
        } else if (canary::isTerminalControl(c.unicode())) {
            safe += u"\\u%1"_s.arg(uint(c.unicode()), 4, 16, QLatin1Char('0'));
        } else {
            safe += c;
        }
    }
    return safe + u'\n';
}

} // namespace canaryctl::terminal
