#include "entityselector.h"

#include <algorithm>

#include <QSet>

#include "worldconfig.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

struct Tag
{
    QString context;
    QString key;
    QString value;
    bool hasValue = false;
};

// "[Environment]DT_RELEASE_STAGE:canary-jenkins" -> context, key, value; "\:" is a literal colon.
Tag parseTag(const QString &text)
{
    Tag tag;
    QString rest = text.trimmed();
    if (rest.startsWith(u'[')) {
        const qsizetype close = rest.indexOf(u']');
        if (close > 0) {
            tag.context = rest.mid(1, close - 1);
            rest = rest.mid(close + 1);
        }
    }
    qsizetype colon = -1;
    for (qsizetype i = 0; i < rest.size(); ++i) {
        if (rest.at(i) == u'\\') {
            ++i;
            continue;
        }
        if (rest.at(i) == u':') {
            colon = i;
            break;
        }
    }
    auto unescape = [](QString s) { return s.replace(u"\\:"_s, u":"_s); };
    if (colon < 0) {
        tag.key = unescape(rest);
    } else {
        tag.key = unescape(rest.left(colon));
        tag.value = unescape(rest.mid(colon + 1));
        tag.hasValue = true;
    }
    return tag;
}

bool tagMatches(const QString &wanted, const QStringList &tags)
{
    const Tag w = parseTag(wanted);
    return std::any_of(tags.cbegin(), tags.cend(), [&](const QString &candidate) {
        const Tag c = parseTag(candidate);
        return c.context == w.context && c.key == w.key
            && (!w.hasValue || (c.hasValue && c.value == w.value));
    });
}

const QSet<QString> &supportedCriteria()
{
    static const QSet<QString> names { u"type"_s, u"entityId"_s, u"tag"_s, u"entityName.equals"_s,
        u"entityName.startsWith"_s, u"entityName.contains"_s };
    return names;
}

struct SelectorFailure
{
    QString message;
};

class CriteriaParser
{
public:
    explicit CriteriaParser(const QString &text)
        : m_text(text)
    { }

    std::vector<EntitySelector::Criterion> parse()
    {
        std::vector<EntitySelector::Criterion> criteria;
        while (true) {
            skipSpaces();
            criteria.push_back(parseCriterion());
            skipSpaces();
            if (atEnd())
                return criteria;
            if (peek() != u',')
                fail(u"Expected ',' between criteria but found '%1'"_s.arg(peek()));
            ++m_pos;
        }
    }

private:
    bool atEnd() const { return m_pos >= m_text.size(); }
    QChar peek() const { return atEnd() ? QChar() : m_text.at(m_pos); }
    void skipSpaces()
    {
        while (!atEnd() && peek().isSpace())
            ++m_pos;
    }

    [[noreturn]] void fail(const QString &what) const
    {
        const QString where = atEnd() ? u"at the end of the selector"_s : u"at position %1"_s.arg(m_pos);
        throw SelectorFailure { what + u' ' + where };
    }

    EntitySelector::Criterion parseCriterion()
    {
        const qsizetype start = m_pos;
        while (!atEnd() && (peek().isLetterOrNumber() || peek() == u'.' || peek() == u'_'))
            ++m_pos;
        EntitySelector::Criterion criterion;
        criterion.name = m_text.mid(start, m_pos - start);
        if (criterion.name.isEmpty())
            fail(u"Expected a criterion such as type(SERVICE)"_s);
        if (!supportedCriteria().contains(criterion.name)) {
            m_pos = start;
            throw SelectorFailure {
                u"The criterion '%1' is not supported by the simulator (supported: type, entityId, tag, "
                "entityName.equals, entityName.startsWith, entityName.contains) at position %2"_s
                    .arg(criterion.name)
                    .arg(start)
            };
        }
        skipSpaces();
        if (peek() != u'(')
            fail(u"Expected '(' after '%1'"_s.arg(criterion.name));
        ++m_pos;
        while (true) {
            criterion.values.append(readValue());
            skipSpaces();
            if (peek() == u')') {
                ++m_pos;
                return criterion;
            }
            if (peek() != u',')
                fail(atEnd() ? u"Expected ')'"_s : u"Expected ',' or ')' but found '%1'"_s.arg(peek()));
            ++m_pos;
        }
    }

    // "…" with ~ escapes, or unquoted up to ',' or ')': tag([Environment]DT_RELEASE_STAGE:canary-jenkins).
    QString readValue()
    {
        skipSpaces();
        QString value;
        if (peek() == u'"') {
            const qsizetype start = m_pos++;
            while (true) {
                if (atEnd()) {
                    m_pos = start;
                    fail(u"Unterminated quoted string"_s);
                }
                const QChar c = m_text.at(m_pos++);
                if (c == u'"')
                    return value;
                if (c == u'~' && !atEnd()) {
                    value += m_text.at(m_pos++);
                    continue;
                }
                value += c;
            }
        }
        const qsizetype start = m_pos;
        while (!atEnd() && peek() != u',' && peek() != u')' && peek() != u'(')
            ++m_pos;
        value = m_text.mid(start, m_pos - start).trimmed();
        if (value.isEmpty())
            fail(u"Expected a value"_s);
        return value;
    }

    const QString &m_text;
    qsizetype m_pos = 0;
};

} // namespace

bool EntitySelector::matches(const ServiceInfo &service) const
{
    return std::all_of(criteria.cbegin(), criteria.cend(), [&](const Criterion &criterion) {
        return std::any_of(criterion.values.cbegin(), criterion.values.cend(), [&](const QString &value) {
            if (criterion.name == u"type")
                return value == u"SERVICE";
            if (criterion.name == u"entityId")
                return value == service.id;
            if (criterion.name == u"tag")
                return tagMatches(value, service.tags);
            if (criterion.name == u"entityName.equals")
                return value == service.name;
            if (criterion.name == u"entityName.startsWith")
                return service.name.startsWith(value, Qt::CaseInsensitive);
            if (criterion.name == u"entityName.contains")
                return service.name.contains(value, Qt::CaseInsensitive);
            return false;
        });
    });
}

canary::Expected<EntitySelector, SimError> EntitySelector::parse(const QString &text)
{
    EntitySelector selector;
    try {
        selector.criteria = CriteriaParser(text).parse();
    } catch (const SelectorFailure &failure) {
        return SimError::constraint(u"entitySelector"_s, failure.message);
    }
    const bool scoped = std::any_of(selector.criteria.cbegin(), selector.criteria.cend(),
        [](const Criterion &c) { return c.name == u"type" || c.name == u"entityId"; });
    if (!scoped) {
        return SimError::constraint(u"entitySelector"_s,
            u"The entity selector must contain a type(...) or entityId(...) criterion"_s);
    }
    return selector;
}

} // namespace canary::sim
