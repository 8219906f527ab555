#include "metricselector.h"

#include <algorithm>
#include <array>

#include <QStringView>

using namespace Qt::Literals::StringLiterals;

namespace canary::dynatrace {

namespace {

struct KeyScan
{
    QString key;
    qsizetype end = 0; // index just past the key's text in the scanned selector
    bool expansion = false; // builtin:host.cpu.(idle,user): the key is only the shared prefix
};

bool endsSegment(QChar c)
{
    return c == u':' || c == u',' || c == u'(' || c == u')' || c == u'/' || c == u'*' || c == u'+'
        || c.isSpace();
}

qsizetype segmentEnd(QStringView text, qsizetype from)
{
    qsizetype i = from;
    while (i < text.size() && !endsSegment(text[i]))
        ++i;
    return i;
}

// A key never has one of these as its second segment, so `foo:sum` is the key `foo`, not `foo:sum`.
bool isTransformation(QStringView name)
{
    static constexpr std::array names {
        u"auto",
        u"avg",
        u"count",
        u"default",
        u"delta",
        u"filter",
        u"fold",
        u"last",
        u"limit",
        u"max",
        u"median",
        u"merge",
        u"min",
        u"names",
        u"parents",
        u"partition",
        u"percentile",
        u"rate",
        u"rollup",
        u"setUnit",
        u"smooth",
        u"sort",
        u"splitBy",
        u"sum",
        u"timeshift",
        u"toUnit",
        u"value",
        u"asGauge",
        u"lastReal",
    };
    return std::any_of(names.begin(), names.end(),
        [name](const char16_t *candidate) { return name == QStringView(candidate); });
}

QString withoutTrailingDot(QStringView text)
{
    return (text.endsWith(u'.') ? text.chopped(1) : text).toString();
}

KeyScan scanQuoted(QStringView text)
{
    KeyScan scan;
    qsizetype i = 1;
    while (i < text.size()) {
        const QChar c = text[i];
        if (c == u'~' && i + 1 < text.size()) {
            scan.key.append(text[i + 1]);
            i += 2;
        } else if (c == u'"') {
            scan.end = i + 1;
            return scan;
        } else {
            scan.key.append(c);
            ++i;
        }
    }
    // Unterminated: keep what there is, but a selector the server will reject is never "bare".
    scan.end = text.size() + 1;
    return scan;
}

KeyScan scanKey(QStringView text)
{
    if (text.startsWith(u'"'))
        return scanQuoted(text);

    KeyScan scan;
    const qsizetype firstEnd = segmentEnd(text, 0);
    const QStringView first = text.first(firstEnd);
    const bool firstOpensExpansion = firstEnd < text.size() && text[firstEnd] == u'(';
    if (firstOpensExpansion || first.contains(u'.') || firstEnd == text.size() || text[firstEnd] != u':') {
        scan.key = firstOpensExpansion ? withoutTrailingDot(first) : first.toString();
        scan.end = firstEnd;
        scan.expansion = firstOpensExpansion;
        return scan;
    }

    // A dot-less first segment is a namespace such as builtin: or calc:, so the key runs one segment further.
    const qsizetype secondEnd = segmentEnd(text, firstEnd + 1);
    const QStringView second = text.sliced(firstEnd + 1, secondEnd - firstEnd - 1);
    const bool secondOpensParen = secondEnd < text.size() && text[secondEnd] == u'(';
    if (second.isEmpty() || isTransformation(second) || (secondOpensParen && !second.contains(u'.'))) {
        scan.key = first.toString();
        scan.end = firstEnd;
        return scan;
    }
    scan.expansion = secondOpensParen;
    scan.key = first.toString() + u':' + (secondOpensParen ? withoutTrailingDot(second) : second.toString());
    scan.end = secondEnd;
    return scan;
}

} // namespace

QString metricKeyOf(const QString &selector)
{
    QStringView text = QStringView(selector).trimmed();
    // An arithmetic expression, (a:sum / b:sum)*100, is looked up by its first operand.
    while (text.startsWith(u'(') || (!text.isEmpty() && text.front().isSpace()))
        text = text.sliced(1);
    return scanKey(text).key;
}

bool isBareMetricKey(const QString &selector)
{
    const QStringView text = QStringView(selector).trimmed();
    if (text.isEmpty())
        return false;
    const KeyScan scan = scanKey(text);
    return !scan.key.isEmpty() && !scan.expansion && scan.end == text.size();
}

QString perBuildSelector(const QString &selector, const QString &buildDimension)
{
    return perBuildSelector(selector, buildDimension, u"sum"_s);
}

QString perBuildSelector(const QString &selector, const QString &buildDimension, const QString &aggregation)
{
    if (!isBareMetricKey(selector))
        return selector;
    return selector.trimmed() + u":splitBy("_s + quoteSelectorString(buildDimension) + u"):"_s + aggregation;
}

QString quoteSelectorString(const QString &text)
{
    QString quoted;
    quoted.reserve(text.size() + 2);
    quoted.append(u'"');
    for (const QChar c : text) {
        if (c == u'~' || c == u'"')
            quoted.append(u'~');
        quoted.append(c);
    }
    quoted.append(u'"');
    return quoted;
}

} // namespace canary::dynatrace
