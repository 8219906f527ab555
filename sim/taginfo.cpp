#include "taginfo.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

TagInfo TagInfo::parse(const QString &text)
{
    TagInfo tag;
    tag.stringRepresentation = text;
    tag.context = u"CONTEXTLESS"_s;
    QString rest = text;
    if (rest.startsWith(u'[')) {
        const qsizetype close = rest.indexOf(u']');
        if (close > 0) {
            tag.context = rest.mid(1, close - 1).toUpper();
            rest = rest.mid(close + 1);
        }
    }
    qsizetype colon = -1;
    for (qsizetype i = 0; i < rest.size(); ++i) {
        if (rest.at(i) == u'\\') {
            ++i;
        } else if (rest.at(i) == u':') {
            colon = i;
            break;
        }
    }
    auto unescape = [](QString s) { return s.replace(u"\\:"_s, u":"_s); };
    tag.key = unescape(colon < 0 ? rest : rest.left(colon));
    if (colon >= 0) {
        tag.value = unescape(rest.mid(colon + 1));
        tag.hasValue = true;
    }
    return tag;
}

bool TagInfo::satisfies(const TagInfo &wanted) const
{
    return context.compare(wanted.context, Qt::CaseInsensitive) == 0 && key == wanted.key
        && (!wanted.hasValue || (hasValue && value == wanted.value));
}

} // namespace canary::sim
