#include "criteriaparser.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

// A recursive-descent reader over one selector; fail() records the first problem and every step checks it.
class Reader
{
public:
    Reader(const QString &text, const SelectorSyntax &syntax)
        : m_text(text)
        , m_syntax(syntax)
    { }

    QString error;

    std::vector<SelectorCriterion> criteria()
    {
        std::vector<SelectorCriterion> found;
        while (error.isEmpty()) {
            skipSpaces();
            SelectorCriterion criterion = this->criterion();
            if (!error.isEmpty())
                break;
            found.push_back(std::move(criterion));
            skipSpaces();
            if (atEnd())
                break;
            if (peek() != u',') {
                fail(u"Expected ',' between criteria but found '%1'"_s.arg(peek()));
                break;
            }
            ++m_pos;
        }
        return found;
    }

private:
    bool atEnd() const { return m_pos >= m_text.size(); }
    QChar peek() const { return atEnd() ? QChar() : m_text.at(m_pos); }
    void skipSpaces()
    {
        while (!atEnd() && peek().isSpace())
            ++m_pos;
    }

    void fail(const QString &what)
    {
        if (error.isEmpty())
            error = what + (atEnd() ? u" at the end of the selector"_s : u" at position %1"_s.arg(m_pos));
    }

    SelectorCriterion criterion()
    {
        SelectorCriterion criterion;
        const qsizetype start = m_pos;
        while (!atEnd() && peek() != u'(' && peek() != u',' && peek() != u')' && peek() != u'"')
            ++m_pos;
        criterion.name = m_text.mid(start, m_pos - start).trimmed();
        if (criterion.name.isEmpty()) {
            fail(u"Expected a criterion such as %1"_s.arg(m_syntax.example));
            return criterion;
        }
        if (m_syntax.checkName) {
            if (const QString complaint = m_syntax.checkName(criterion.name); !complaint.isEmpty()) {
                m_pos = start; // criteria() skipped the spaces: the name starts here
                fail(complaint);
                return criterion;
            }
        }
        if (peek() != u'(') {
            fail(u"Expected '(' after '%1'"_s.arg(criterion.name));
            return criterion;
        }
        ++m_pos;
        while (error.isEmpty()) {
            criterion.values.append(value());
            skipSpaces();
            if (peek() == u')') {
                ++m_pos;
                break;
            }
            if (peek() != u',')
                fail(atEnd() ? u"Expected ')'"_s : u"Expected ',' or ')' but found '%1'"_s.arg(peek()));
            else
                ++m_pos;
        }
        return criterion;
    }

    QString value()
    {
        skipSpaces();
        QString text;
        if (peek() == u'"') {
            const qsizetype start = m_pos++;
            while (!atEnd()) {
                const QChar c = m_text.at(m_pos++);
                if (c == u'"')
                    return text;
                if (c == u'~' && !atEnd())
                    text += m_text.at(m_pos++);
                else
                    text += c;
            }
            m_pos = start;
            fail(u"Unterminated quoted string"_s);
            return {};
        }
        const qsizetype start = m_pos;
        while (!atEnd() && peek() != u',' && peek() != u')' && peek() != u'(')
            ++m_pos;
        text = m_text.mid(start, m_pos - start).trimmed();
        if (text.isEmpty())
            fail(u"Expected a value"_s);
        return text;
    }

    const QString &m_text;
    const SelectorSyntax &m_syntax;
    qsizetype m_pos = 0;
};

} // namespace

canary::Expected<std::vector<SelectorCriterion>, QString> parseSelectorCriteria(
    const QString &text, const SelectorSyntax &syntax)
{
    Reader reader(text, syntax);
    std::vector<SelectorCriterion> criteria = reader.criteria();
    if (!reader.error.isEmpty())
        return reader.error;
    return criteria;
}

} // namespace canary::sim
