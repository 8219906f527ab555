#include "metricexpression.h"

#include <algorithm>

#include <QHash>
#include <QSet>

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

const QString ParseErrorMessage = u"Metric selector parse error"_s;

struct ParseFailure
{
    SimError error;
};

// Transformations of the real API the simulator does not evaluate: reported as unsupported, not unknown.
const QSet<QString> &unsupportedTransformations()
{
    static const QSet<QString> names {
        u"percentile"_s,
        u"median"_s,
        u"merge"_s,
        u"limit"_s,
        u"sort"_s,
        u"rate"_s,
        u"timeshift"_s,
        u"last"_s,
        u"lastReal"_s,
        u"delta"_s,
        u"partition"_s,
        u"smooth"_s,
        u"rollup"_s,
        u"setUnit"_s,
        u"toUnit"_s,
        u"parents"_s,
        u"asGauge"_s,
        u"histogram"_s,
    };
    return names;
}

const QSet<QString> &supportedTransformations()
{
    static const QSet<QString> names { u"splitBy"_s, u"sum"_s, u"avg"_s, u"min"_s, u"max"_s, u"count"_s,
        u"value"_s, u"auto"_s, u"names"_s, u"filter"_s, u"fold"_s, u"default"_s };
    return names;
}

bool isKeyChar(QChar c)
{
    return c.isLetterOrNumber() || c == u'_' || c == u'.' || c == u'-';
}

// Unquoted dimension keys and values: Build, dt.entity.service, 1.0.0-034c71.
bool isBareArgumentChar(QChar c)
{
    return c.isLetterOrNumber() || QStringView(u"_.-:/[]").contains(c);
}

bool isIdentifierChar(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') || c == u'_';
}

class SelectorParser
{
public:
    explicit SelectorParser(const QString &text)
        : m_text(text)
    { }

    std::vector<MetricExpression> parseAll()
    {
        std::vector<MetricExpression> expressions;
        while (true) {
            skipSpaces();
            const qsizetype start = m_pos;
            MetricExpression expression = parseExpression();
            expression.text = m_text.mid(start, m_pos - start).trimmed();
            expressions.push_back(std::move(expression));
            skipSpaces();
            if (atEnd())
                break;
            if (peek() == u',') {
                ++m_pos;
                continue;
            }
            if (QStringView(u"+-*/").contains(peek()))
                unsupported(u"Arithmetic between metric expressions is not supported by the simulator"_s);
            fail(u"Unexpected character '%1'"_s.arg(peek()));
        }
        if (expressions.size() > std::size_t(MetricExpression::MaxExpressions)) {
            throw ParseFailure { SimError::constraint(u"metricSelector"_s,
                u"The selector has %1 metric expressions, more than the limit of %2"_s.arg(expressions.size())
                    .arg(MetricExpression::MaxExpressions),
                ParseErrorMessage) };
        }
        return expressions;
    }

private:
    bool atEnd() const { return m_pos >= m_text.size(); }
    QChar peek() const { return atEnd() ? QChar() : m_text.at(m_pos); }

    void skipSpaces()
    {
        while (!atEnd() && peek().isSpace())
            ++m_pos;
    }

    [[noreturn]] void fail(const QString &what) const { failAt(what, m_pos); }

    [[noreturn]] void failAt(const QString &what, qsizetype position) const
    {
        const QString where
            = position >= m_text.size() ? u"at the end of the selector"_s : u"at position %1"_s.arg(position);
        throw ParseFailure { SimError::constraint(
            u"metricSelector"_s, what + u' ' + where, ParseErrorMessage) };
    }

    [[noreturn]] void unsupported(const QString &what) const
    {
        const QString detail = u"%1 (position %2)"_s.arg(what).arg(m_pos);
        throw ParseFailure { SimError::constraint(u"metricSelector"_s, detail, detail) };
    }

    void expect(QChar c)
    {
        skipSpaces();
        if (peek() != c)
            fail(atEnd() ? u"Expected '%1'"_s.arg(c) : u"Expected '%1' but found '%2'"_s.arg(c, peek()));
        ++m_pos;
    }

    QString readIdentifier()
    {
        const qsizetype start = m_pos;
        while (!atEnd() && isIdentifierChar(peek()))
            ++m_pos;
        return m_text.mid(start, m_pos - start);
    }

    // "…" with ~ escaping " and ~.
    QString readQuoted()
    {
        const qsizetype start = m_pos;
        ++m_pos; // opening quote
        QString value;
        while (true) {
            if (atEnd())
                failAt(u"Unterminated quoted string"_s, start);
            const QChar c = peek();
            ++m_pos;
            if (c == u'"')
                return value;
            if (c == u'~') {
                if (atEnd() || (peek() != u'"' && peek() != u'~'))
                    failAt(u"Invalid escape sequence: '~' must be followed by '\"' or '~'"_s, m_pos - 1);
                value += peek();
                ++m_pos;
                continue;
            }
            value += c;
        }
    }

    // A transformation argument: quoted, or bare up to the next ',' or ')'.
    QString readArgument()
    {
        skipSpaces();
        if (peek() == u'"') {
            QString value = readQuoted();
            skipSpaces();
            return value;
        }
        const qsizetype start = m_pos;
        while (!atEnd() && isBareArgumentChar(peek()))
            ++m_pos;
        const QString value = m_text.mid(start, m_pos - start);
        if (value.isEmpty())
            fail(atEnd() ? u"Expected an argument"_s : u"Unexpected character '%1'"_s.arg(peek()));
        skipSpaces();
        return value;
    }

    QString parseKey()
    {
        skipSpaces();
        if (atEnd())
            fail(u"Expected a metric key"_s);
        if (peek() == u'"')
            return readQuoted();
        if (peek() == u'(')
            unsupported(u"Arithmetic metric expressions are not supported by the simulator"_s);

        const qsizetype start = m_pos;
        auto readSegment = [this] {
            while (!atEnd() && isKeyChar(peek()))
                ++m_pos;
        };
        readSegment();
        if (m_pos == start)
            fail(u"Expected a metric key but found '%1'"_s.arg(peek()));
        // builtin:…, calc:…, ext:…: one colon inside the key, unless what follows is a transformation.
        if (peek() == u':') {
            const qsizetype colon = m_pos;
            ++m_pos;
            const qsizetype segmentStart = m_pos;
            readSegment();
            const QString segment = m_text.mid(segmentStart, m_pos - segmentStart);
            const bool isIdentifier = std::all_of(segment.cbegin(), segment.cend(), isIdentifierChar);
            const bool looksLikeTransformation = segment.isEmpty()
                || (isIdentifier
                    && (supportedTransformations().contains(segment)
                        || unsupportedTransformations().contains(segment) || peek() == u'('));
            if (looksLikeTransformation)
                m_pos = colon;
        }
        if (peek() == u'(')
            unsupported(u"Metric key lists such as key.(a,b) are not supported by the simulator"_s);
        return m_text.mid(start, m_pos - start);
    }

    MetricExpression parseExpression()
    {
        MetricExpression expression;
        expression.key = parseKey();
        while (peek() == u':') {
            ++m_pos;
            expression.transformations.push_back(parseTransformation(expression));
        }
        return expression;
    }

    Transformation parseTransformation(const MetricExpression &expression)
    {
        const qsizetype start = m_pos;
        const QString name = readIdentifier();
        if (name.isEmpty())
            fail(u"Expected a transformation after ':'"_s);
        if (unsupportedTransformations().contains(name)) {
            m_pos = start;
            unsupported(u"The transformation ':%1' is not supported by the simulator"_s.arg(name));
        }

        Transformation t;
        if (name == u"splitBy") {
            t.kind = Transformation::Kind::SplitBy;
            expect(u'(');
            skipSpaces();
            if (peek() != u')') {
                t.dimensions.append(readArgument());
                while (peek() == u',') {
                    ++m_pos;
                    t.dimensions.append(readArgument());
                }
            }
            expect(u')');
            return t;
        }
        if (const auto aggregation = aggregationFromName(name)) {
            if (expression.has(Transformation::Kind::Aggregate)) {
                m_pos = start;
                unsupported(
                    u"A second aggregation (':%1') in one expression is not supported by the simulator"_s.arg(
                        name));
            }
            noArguments(name);
            t.kind = Transformation::Kind::Aggregate;
            t.aggregation = *aggregation;
            return t;
        }
        if (name == u"names") {
            noArguments(name);
            t.kind = Transformation::Kind::Names;
            return t;
        }
        if (name == u"filter") {
            t.kind = Transformation::Kind::Filter;
            expect(u'(');
            t.condition = parseCondition();
            expect(u')');
            return t;
        }
        if (name == u"fold") {
            t.kind = Transformation::Kind::Fold;
            if (peek() == u'(') {
                ++m_pos;
                skipSpaces();
                const qsizetype argStart = m_pos;
                const QString argument = readIdentifier();
                const auto aggregation = aggregationFromName(argument);
                if (!aggregation) {
                    m_pos = argStart;
                    if (argument == u"percentile" || argument == u"median")
                        unsupported(u"':fold(%1)' is not supported by the simulator"_s.arg(argument));
                    fail(u"Expected an aggregation (sum, avg, min, max, count, value, auto) in ':fold()'"_s);
                }
                t.aggregation = *aggregation;
                expect(u')');
            }
            return t;
        }
        if (name == u"default") {
            t.kind = Transformation::Kind::Default;
            expect(u'(');
            skipSpaces();
            const qsizetype numberStart = m_pos;
            while (!atEnd()
                && (peek().isDigit() || peek() == u'.' || peek() == u'-' || peek() == u'e' || peek() == u'E'))
                ++m_pos;
            bool ok = false;
            t.defaultValue = m_text.mid(numberStart, m_pos - numberStart).toDouble(&ok);
            if (!ok) {
                m_pos = numberStart;
                fail(u"Expected a number in ':default()'"_s);
            }
            skipSpaces();
            if (peek() == u',') {
                ++m_pos;
                skipSpaces();
                const qsizetype flagStart = m_pos;
                if (readIdentifier() != u"always") {
                    m_pos = flagStart;
                    fail(u"Expected 'always' as the second argument of ':default()'"_s);
                }
                t.always = true;
            }
            expect(u')');
            return t;
        }
        m_pos = start;
        fail(u"Unknown transformation ':%1'"_s.arg(name));
    }

    void noArguments(const QString &name)
    {
        if (peek() == u'(')
            fail(u"The transformation ':%1' takes no arguments"_s.arg(name));
    }

    FilterCondition parseCondition()
    {
        skipSpaces();
        const qsizetype start = m_pos;
        const QString name = readIdentifier();
        if (name.isEmpty())
            fail(u"Expected a filter condition"_s);

        FilterCondition condition;
        static const QHash<QString, FilterCondition::Op> twoArgument {
            { u"eq"_s, FilterCondition::Op::Eq },
            { u"ne"_s, FilterCondition::Op::Ne },
            { u"prefix"_s, FilterCondition::Op::Prefix },
            { u"suffix"_s, FilterCondition::Op::Suffix },
            { u"contains"_s, FilterCondition::Op::Contains },
        };
        if (const auto it = twoArgument.constFind(name); it != twoArgument.cend()) {
            condition.op = *it;
            expect(u'(');
            condition.key = readArgument();
            expect(u',');
            condition.value = readArgument();
            expect(u')');
            return condition;
        }
        if (name == u"existsKey") {
            condition.op = FilterCondition::Op::ExistsKey;
            expect(u'(');
            condition.key = readArgument();
            expect(u')');
            return condition;
        }
        if (name == u"and" || name == u"or") {
            condition.op = name == u"and" ? FilterCondition::Op::And : FilterCondition::Op::Or;
            expect(u'(');
            condition.operands.push_back(parseCondition());
            skipSpaces();
            while (peek() == u',') {
                ++m_pos;
                condition.operands.push_back(parseCondition());
                skipSpaces();
            }
            expect(u')');
            return condition;
        }
        if (name == u"not") {
            condition.op = FilterCondition::Op::Not;
            expect(u'(');
            condition.operands.push_back(parseCondition());
            expect(u')');
            return condition;
        }
        m_pos = start;
        if (name == u"in" || name == u"series" || name == u"remainder" || name == u"isNull"
            || name == u"isNotNull")
            unsupported(u"The filter condition '%1()' is not supported by the simulator"_s.arg(name));
        fail(u"Unknown filter condition '%1'"_s.arg(name));
    }

    const QString &m_text;
    qsizetype m_pos = 0;
};

QString dimensionValue(const DimensionTuple &dimensions, const QString &key, bool *found)
{
    for (const auto &[k, v] : dimensions) {
        if (k == key) {
            *found = true;
            return v;
        }
    }
    *found = false;
    return {};
}

} // namespace

QString aggregationName(Aggregation aggregation)
{
    switch (aggregation) {
    case Aggregation::Auto:
        return u"auto"_s;
    case Aggregation::Value:
        return u"value"_s;
    case Aggregation::Sum:
        return u"sum"_s;
    case Aggregation::Avg:
        return u"avg"_s;
    case Aggregation::Min:
        return u"min"_s;
    case Aggregation::Max:
        return u"max"_s;
    case Aggregation::Count:
        return u"count"_s;
    }
    return {};
}

std::optional<Aggregation> aggregationFromName(const QString &name)
{
    static const QHash<QString, Aggregation> byName {
        { u"auto"_s, Aggregation::Auto },
        { u"value"_s, Aggregation::Value },
        { u"sum"_s, Aggregation::Sum },
        { u"avg"_s, Aggregation::Avg },
        { u"min"_s, Aggregation::Min },
        { u"max"_s, Aggregation::Max },
        { u"count"_s, Aggregation::Count },
    };
    const auto it = byName.constFind(name);
    if (it == byName.cend())
        return std::nullopt;
    return *it;
}

bool FilterCondition::matches(const DimensionTuple &dimensions) const
{
    bool found = false;
    switch (op) {
    case Op::Eq:
        return dimensionValue(dimensions, key, &found) == value && found;
    case Op::Ne: {
        const QString actual = dimensionValue(dimensions, key, &found);
        return !found || actual != value;
    }
    case Op::Prefix:
        return dimensionValue(dimensions, key, &found).startsWith(value) && found;
    case Op::Suffix:
        return dimensionValue(dimensions, key, &found).endsWith(value) && found;
    case Op::Contains:
        return dimensionValue(dimensions, key, &found).contains(value) && found;
    case Op::ExistsKey:
        dimensionValue(dimensions, key, &found);
        return found;
    case Op::And:
        return std::all_of(operands.cbegin(), operands.cend(),
            [&](const FilterCondition &c) { return c.matches(dimensions); });
    case Op::Or:
        return std::any_of(operands.cbegin(), operands.cend(),
            [&](const FilterCondition &c) { return c.matches(dimensions); });
    case Op::Not:
        return operands.empty() || !operands.front().matches(dimensions);
    }
    return false;
}

const Transformation *MetricExpression::find(Transformation::Kind kind) const
{
    for (const Transformation &t : transformations) {
        if (t.kind == kind)
            return &t;
    }
    return nullptr;
}

canary::Expected<std::vector<MetricExpression>, SimError> MetricExpression::parseSelector(
    const QString &selector)
{
    try {
        SelectorParser parser(selector);
        return parser.parseAll();
    } catch (const ParseFailure &failure) {
        return failure.error;
    }
}

} // namespace canary::sim
