#include "yamlreader.h"

#include <optional>

#include <QRegularExpression>
#include <QScopeGuard>

#include <nlohmann/json.hpp>

using namespace Qt::Literals::StringLiterals;

namespace canary::kube {

namespace {

using Json = nlohmann::ordered_json;

bool isBlank(char c)
{
    return c == ' ' || c == '\t';
}

bool isFlowIndicator(char c)
{
    return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

Json resolvePlain(const QByteArray &text)
{
    if (text.isEmpty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
        return nullptr;
    if (text == "true" || text == "True" || text == "TRUE")
        return true;
    if (text == "false" || text == "False" || text == "FALSE")
        return false;
    static const QRegularExpression integer(u"^[-+]?[0-9]+$"_s);
    static const QRegularExpression floating(u"^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$"_s);
    const QString asText = QString::fromUtf8(text);
    if (integer.match(asText).hasMatch()) {
        bool ok = false;
        const qlonglong value = text.toLongLong(&ok);
        if (ok)
            return std::int64_t(value);
        return text.toDouble(); // too large for an integer: YAML still calls it a number
    }
    if (floating.match(asText).hasMatch())
        return text.toDouble();
    return text.toStdString();
}

std::optional<char32_t> hexValue(const QByteArray &digits, qsizetype count)
{
    if (digits.size() != count)
        return std::nullopt;
    char32_t value = 0;
    for (const char c : digits) {
        int digit = -1;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        if (digit < 0)
            return std::nullopt;
        value = value * 16 + char32_t(digit);
    }
    return value;
}

void appendUtf8(QByteArray &out, char32_t codePoint)
{
    out += QString::fromUcs4(&codePoint, 1).toUtf8();
}

// Recursive descent over the whole text. Every block-level parse function leaves the cursor either on the
// first character of the next line that has content (comments and blank lines skipped) or at the end, so the
// caller decides by that line's column whether its collection continues.
class Parser
{
public:
    explicit Parser(QByteArrayView yaml)
        : m_text(yaml.toByteArray())
    {
        m_text.replace("\r\n", "\n");
        if (m_text.startsWith("\xEF\xBB\xBF"))
            m_text.remove(0, 3);
    }

    std::optional<Json> document();
    const YamlError &error() const { return m_error; }

private:
    bool atEnd() const { return m_pos >= m_text.size(); }
    char peek(qsizetype offset = 0) const
    {
        const qsizetype at = m_pos + offset;
        return at < m_text.size() ? m_text.at(at) : '\0';
    }
    bool blankOrEndAt(qsizetype offset) const
    {
        const char c = peek(offset);
        return c == '\0' || c == '\n' || isBlank(c);
    }
    // lastIndexOf() would read a `from` of -1 as "from the end".
    int column() const { return m_pos == 0 ? 0 : int(m_pos - m_text.lastIndexOf('\n', m_pos - 1) - 1); }
    bool atSequenceDash() const { return peek() == '-' && blankOrEndAt(1); }
    bool atDocumentMarker() const
    {
        return column() == 0 && (m_text.mid(m_pos, 3) == "---" || m_text.mid(m_pos, 3) == "...")
            && blankOrEndAt(3);
    }

    bool fail(const QString &message) { return failAt(m_pos, message); }
    bool failAt(qsizetype pos, const QString &message);

    void skipBlanks()
    {
        while (isBlank(peek()))
            ++m_pos;
    }
    bool skipToContent();
    bool endOfLine();

    bool blockNode(int indent, Json &out);
    bool blockMapping(int indent, Json &out);
    bool blockSequence(int indent, Json &out);
    bool inlineValue(Json &out);
    std::optional<qsizetype> mappingColon() const;
    bool refuseUnsupported();

    bool flowNode(Json &out);
    bool flowCollection(Json &out);
    bool skipFlowSpace();
    bool flowPlain(QByteArray &out);

    bool doubleQuoted(QByteArray &out);
    bool singleQuoted(QByteArray &out);
    bool quoted(QByteArray &out) { return peek() == '"' ? doubleQuoted(out) : singleQuoted(out); }

    // Nesting deeper than any kubeconfig would only be a way to exhaust the stack.
    static constexpr int MaxDepth = 64;
    bool enter() { return ++m_depth <= MaxDepth || fail(u"nested deeper than %1 levels"_s.arg(MaxDepth)); }

    QByteArray m_text;
    qsizetype m_pos = 0;
    int m_depth = 0;
    YamlError m_error;
};

bool Parser::failAt(qsizetype pos, const QString &message)
{
    if (m_error.message.isEmpty()) {
        const QByteArray before = m_text.left(pos);
        m_error.line = int(before.count('\n')) + 1;
        m_error.column = int(pos - before.lastIndexOf('\n'));
        m_error.message = message;
    }
    return false;
}

// Skips blank lines, comment lines and the indentation of the next content line.
bool Parser::skipToContent()
{
    while (!atEnd()) {
        while (peek() == ' ')
            ++m_pos;
        if (peek() == '\t') {
            // A tab after some spaces before a comment or the end of the line is harmless.
            qsizetype probe = m_pos;
            while (probe < m_text.size() && isBlank(m_text.at(probe)))
                ++probe;
            if (probe < m_text.size() && m_text.at(probe) != '\n' && m_text.at(probe) != '#')
                return failAt(m_pos, u"tabs are not allowed in indentation"_s);
            m_pos = probe;
        }
        if (peek() == '#') {
            while (!atEnd() && peek() != '\n')
                ++m_pos;
        }
        if (atEnd())
            return true;
        if (peek() != '\n')
            return true;
        ++m_pos;
    }
    return true;
}

// After a value: only blanks and a comment may follow on its line.
bool Parser::endOfLine()
{
    skipBlanks();
    if (peek() == '#' && (m_pos == 0 || isBlank(m_text.at(m_pos - 1)) || m_text.at(m_pos - 1) == '\n')) {
        while (!atEnd() && peek() != '\n')
            ++m_pos;
    }
    if (!atEnd() && peek() != '\n')
        return fail(u"unexpected '%1' after the value"_s.arg(QChar::fromLatin1(peek())));
    if (!atEnd())
        ++m_pos;
    return skipToContent();
}

std::optional<Json> Parser::document()
{
    Json root;
    if (!skipToContent())
        return std::nullopt;
    if (atDocumentMarker() && peek() == '-') {
        m_pos += 3;
        skipBlanks();
        if (peek() == '#' || peek() == '\n' || atEnd()) {
            if (!endOfLine())
                return std::nullopt;
        }
    }
    if (atEnd() || atDocumentMarker()) {
        root = nullptr;
    } else if (!blockNode(column(), root)) {
        return std::nullopt;
    }
    if (atDocumentMarker() && peek() == '.') {
        m_pos += 3;
        if (!endOfLine())
            return std::nullopt;
    }
    if (atDocumentMarker() && peek() == '-') {
        fail(u"a second YAML document: a kubeconfig holds exactly one"_s);
        return std::nullopt;
    }
    if (!atEnd()) {
        fail(u"unexpected content: check the indentation of this line"_s);
        return std::nullopt;
    }
    return root;
}

bool Parser::refuseUnsupported()
{
    switch (peek()) {
    case '&':
        return fail(u"anchors (&) are not supported"_s);
    case '*':
        return fail(u"aliases (*) are not supported"_s);
    case '!':
        return fail(u"tags (!) are not supported"_s);
    case '|':
    case '>':
        return fail(u"block scalars (| and >) are not supported: put the value on one line"_s);
    case '?':
        if (blankOrEndAt(1))
            return fail(u"complex keys (?) are not supported"_s);
        return true;
    case '@':
    case '`':
        return fail(u"'%1' cannot start a plain scalar: quote the value"_s.arg(QChar::fromLatin1(peek())));
    default:
        return true;
    }
}

// The position of the ':' that ends a key on this line, if the line is a mapping entry.
std::optional<qsizetype> Parser::mappingColon() const
{
    qsizetype at = m_pos;
    if (peek() == '"' || peek() == '\'') {
        const char quote = peek();
        ++at;
        while (at < m_text.size() && m_text.at(at) != '\n') {
            if (quote == '"' && m_text.at(at) == '\\') {
                at += 2;
                continue;
            }
            if (m_text.at(at) == quote) {
                if (quote == '\'' && at + 1 < m_text.size() && m_text.at(at + 1) == '\'') {
                    at += 2;
                    continue;
                }
                break;
            }
            ++at;
        }
        ++at;
        while (at < m_text.size() && isBlank(m_text.at(at)))
            ++at;
        const bool colon = at < m_text.size() && m_text.at(at) == ':'
            && (at + 1 >= m_text.size() || m_text.at(at + 1) == '\n' || isBlank(m_text.at(at + 1)));
        return colon ? std::optional(at) : std::nullopt;
    }
    for (; at < m_text.size() && m_text.at(at) != '\n'; ++at) {
        const char c = m_text.at(at);
        if (c == '#' && at > m_pos && isBlank(m_text.at(at - 1)))
            return std::nullopt;
        if (c == ':' && (at + 1 >= m_text.size() || m_text.at(at + 1) == '\n' || isBlank(m_text.at(at + 1))))
            return at;
    }
    return std::nullopt;
}

bool Parser::blockNode(int indent, Json &out)
{
    const auto leave = qScopeGuard([this] { --m_depth; });
    if (!enter())
        return false;
    if (atSequenceDash())
        return blockSequence(indent, out);
    if (!refuseUnsupported())
        return false;
    if (peek() != '{' && peek() != '[' && mappingColon())
        return blockMapping(indent, out);
    return inlineValue(out);
}

bool Parser::blockMapping(int indent, Json &out)
{
    out = Json::object();
    while (true) {
        const qsizetype keyPos = m_pos;
        if (atSequenceDash())
            return fail(u"a sequence item where a mapping key was expected"_s);
        if (!refuseUnsupported())
            return false;
        const std::optional<qsizetype> colon = mappingColon();
        if (!colon)
            return fail(u"expected 'key: value' (a mapping entry) at this indentation"_s);

        QByteArray key;
        if (peek() == '"' || peek() == '\'') {
            if (!quoted(key))
                return false;
        } else {
            key = m_text.mid(m_pos, *colon - m_pos).trimmed();
        }
        if (key.isEmpty())
            return failAt(keyPos, u"empty mapping key"_s);
        const std::string keyText = key.toStdString();
        if (out.contains(keyText))
            return failAt(keyPos, u"duplicate key '%1'"_s.arg(QString::fromUtf8(key)));
        m_pos = *colon + 1;
        skipBlanks();

        Json value;
        if (atEnd() || peek() == '\n' || peek() == '#') {
            if (!endOfLine())
                return false;
            // kubectl writes "clusters:\n- name: …" with the sequence at the key's own indentation.
            if (!atEnd() && !atDocumentMarker() && column() == indent && atSequenceDash()) {
                if (!blockSequence(indent, value))
                    return false;
            } else if (!atEnd() && !atDocumentMarker() && column() > indent) {
                if (!blockNode(column(), value))
                    return false;
            } else {
                value = nullptr;
            }
        } else {
            if (atSequenceDash())
                return fail(u"a block sequence cannot start on its key's line: move it to the next line"_s);
            if (!refuseUnsupported())
                return false;
            if (peek() != '{' && peek() != '[' && peek() != '"' && peek() != '\'' && mappingColon())
                return fail(
                    u"a mapping value cannot hold 'key: value': quote it or nest it on the next line"_s);
            if (!inlineValue(value))
                return false;
        }
        out[keyText] = std::move(value);

        if (atEnd() || atDocumentMarker() || column() < indent)
            return true;
        if (column() > indent)
            return fail(u"bad indentation: this line is deeper than the mapping it belongs to"_s);
    }
}

bool Parser::blockSequence(int indent, Json &out)
{
    out = Json::array();
    while (true) {
        ++m_pos; // the '-'
        skipBlanks();
        Json item;
        if (atEnd() || peek() == '\n' || peek() == '#') {
            if (!endOfLine())
                return false;
            if (!atEnd() && !atDocumentMarker() && column() > indent) {
                if (!blockNode(column(), item))
                    return false;
            } else {
                item = nullptr;
            }
        } else if (!blockNode(column(), item)) {
            // "- name: x" continues on the next lines at the column after "- ".
            return false;
        }
        out.push_back(std::move(item));

        if (atEnd() || atDocumentMarker() || column() < indent)
            return true;
        if (column() > indent)
            return fail(u"bad indentation: this line is deeper than the sequence it belongs to"_s);
        if (!atSequenceDash())
            return true; // "key:\n- a\nnext: …": the enclosing mapping goes on
    }
}

// A value that starts on the current line and (unless it is a flow collection) ends on it.
bool Parser::inlineValue(Json &out)
{
    if (peek() == '{' || peek() == '[') {
        if (!flowCollection(out))
            return false;
        return endOfLine();
    }
    if (peek() == '"' || peek() == '\'') {
        QByteArray text;
        if (!quoted(text))
            return false;
        out = text.toStdString();
        return endOfLine();
    }
    if (!refuseUnsupported())
        return false;
    const qsizetype start = m_pos;
    while (!atEnd() && peek() != '\n') {
        if (peek() == '#' && m_pos > start && isBlank(m_text.at(m_pos - 1)))
            break;
        ++m_pos;
    }
    const QByteArray text = m_text.mid(start, m_pos - start).trimmed();
    out = resolvePlain(text);
    return endOfLine();
}

bool Parser::skipFlowSpace()
{
    while (!atEnd()) {
        const char c = peek();
        if (c == ' ' || c == '\t' || c == '\n') {
            ++m_pos;
        } else if (c == '#'
            && (m_pos == 0 || isBlank(m_text.at(m_pos - 1)) || m_text.at(m_pos - 1) == '\n')) {
            while (!atEnd() && peek() != '\n')
                ++m_pos;
        } else {
            return true;
        }
    }
    return true;
}

bool Parser::flowPlain(QByteArray &out)
{
    if (!refuseUnsupported())
        return false;
    const qsizetype start = m_pos;
    while (!atEnd()) {
        const char c = peek();
        if (c == '\n' || isFlowIndicator(c))
            break;
        if (c == ':' && (blankOrEndAt(1) || isFlowIndicator(peek(1))))
            break;
        if (c == '#' && m_pos > start && isBlank(m_text.at(m_pos - 1)))
            break;
        ++m_pos;
    }
    out = m_text.mid(start, m_pos - start).trimmed();
    if (out.isEmpty())
        return fail(u"expected a value"_s);
    return true;
}

bool Parser::flowNode(Json &out)
{
    if (peek() == '{' || peek() == '[')
        return flowCollection(out);
    if (peek() == '"' || peek() == '\'') {
        QByteArray text;
        if (!quoted(text))
            return false;
        out = text.toStdString();
        return true;
    }
    QByteArray text;
    if (!flowPlain(text))
        return false;
    out = resolvePlain(text);
    return true;
}

bool Parser::flowCollection(Json &out)
{
    const auto leave = qScopeGuard([this] { --m_depth; });
    if (!enter())
        return false;
    const qsizetype open = m_pos;
    const bool isMap = peek() == '{';
    const char close = isMap ? '}' : ']';
    out = isMap ? Json::object() : Json::array();
    ++m_pos;
    while (true) {
        skipFlowSpace();
        if (atEnd()) {
            return failAt(open,
                isMap ? u"this flow mapping '{' is never closed"_s
                      : u"this flow sequence '[' is never closed"_s);
        }
        if (peek() == close) {
            ++m_pos;
            return true;
        }
        if (isMap) {
            const qsizetype keyPos = m_pos;
            if (peek() == '{' || peek() == '[')
                return fail(u"complex keys are not supported"_s);
            QByteArray key;
            if (peek() == '"' || peek() == '\'') {
                if (!quoted(key))
                    return false;
            } else if (!flowPlain(key)) {
                return false;
            }
            const std::string keyText = key.toStdString();
            if (out.contains(keyText))
                return failAt(keyPos, u"duplicate key '%1'"_s.arg(QString::fromUtf8(key)));
            skipFlowSpace();
            Json value = nullptr;
            if (peek() == ':') {
                ++m_pos;
                skipFlowSpace();
                if (peek() != ',' && peek() != close && !flowNode(value))
                    return false;
                skipFlowSpace();
            }
            out[keyText] = std::move(value);
        } else {
            Json item;
            if (!flowNode(item))
                return false;
            skipFlowSpace();
            if (peek() == ':')
                return fail(u"'key: value' pairs inside a flow sequence are not supported"_s);
            out.push_back(std::move(item));
        }
        if (peek() == ',') {
            ++m_pos;
        } else if (peek() != close) {
            if (atEnd())
                continue; // reported as never closed
            return fail(u"expected ',' or '%1'"_s.arg(QChar::fromLatin1(close)));
        }
    }
}

bool Parser::singleQuoted(QByteArray &out)
{
    const qsizetype open = m_pos;
    ++m_pos;
    out.clear();
    while (true) {
        if (atEnd() || peek() == '\n')
            return failAt(open, u"this single-quoted string does not end on its line"_s);
        if (peek() == '\'') {
            if (peek(1) == '\'') {
                out += '\'';
                m_pos += 2;
                continue;
            }
            ++m_pos;
            return true;
        }
        out += peek();
        ++m_pos;
    }
}

bool Parser::doubleQuoted(QByteArray &out)
{
    const qsizetype open = m_pos;
    ++m_pos;
    out.clear();
    while (true) {
        if (atEnd() || peek() == '\n')
            return failAt(open, u"this double-quoted string does not end on its line"_s);
        const char c = peek();
        if (c == '"') {
            ++m_pos;
            return true;
        }
        if (c != '\\') {
            out += c;
            ++m_pos;
            continue;
        }
        const qsizetype escape = m_pos;
        const char e = peek(1);
        m_pos += 2;
        switch (e) {
        case '0':
            out += '\0';
            break;
        case 'a':
            out += '\a';
            break;
        case 'b':
            out += '\b';
            break;
        case 't':
        case '\t':
            out += '\t';
            break;
        case 'n':
            out += '\n';
            break;
        case 'v':
            out += '\v';
            break;
        case 'f':
            out += '\f';
            break;
        case 'r':
            out += '\r';
            break;
        case 'e':
            out += '\x1b';
            break;
        case ' ':
        case '"':
        case '/':
        case '\\':
            out += e;
            break;
        case 'x':
        case 'u':
        case 'U': {
            const int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            std::optional<char32_t> codePoint = hexValue(m_text.mid(m_pos, digits), digits);
            if (!codePoint)
                return failAt(escape, u"'\\%1' needs %2 hex digits"_s.arg(QChar::fromLatin1(e)).arg(digits));
            m_pos += digits;
            // JSON spells characters outside the BMP as a surrogate pair of two \u escapes.
            if (*codePoint >= 0xD800 && *codePoint <= 0xDBFF && peek() == '\\' && peek(1) == 'u') {
                const std::optional<char32_t> low = hexValue(m_text.mid(m_pos + 2, 4), 4);
                if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
                    codePoint = 0x10000 + ((*codePoint - 0xD800) << 10) + (*low - 0xDC00);
                    m_pos += 6;
                }
            }
            if ((*codePoint >= 0xD800 && *codePoint <= 0xDFFF) || *codePoint > 0x10FFFF)
                return failAt(escape, u"escape is not a valid Unicode character"_s);
            appendUtf8(out, *codePoint);
            break;
        }
        default:
            return failAt(escape, u"unknown escape '\\%1'"_s.arg(QChar::fromLatin1(e)));
        }
    }
}

} // namespace

QString YamlError::toString() const
{
    return u"line %1, column %2: %3"_s.arg(line).arg(column).arg(message);
}

Expected<QByteArray, YamlError> readYamlAsJson(QByteArrayView yaml)
{
    Parser parser(yaml);
    const std::optional<Json> document = parser.document();
    if (!document)
        return parser.error();
    // Invalid UTF-8 in the input must not throw from dump().
    return QByteArray::fromStdString(document->dump(-1, ' ', false, Json::error_handler_t::replace));
}

} // namespace canary::kube
