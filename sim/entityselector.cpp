#include "entityselector.h"

#include <algorithm>

#include <QSet>

#include "criteriaparser.h"
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

// Checked while parsing, so the first criterion the simulator does not know is what the answer names.
QString unsupported(const QString &name)
{
    if (supportedCriteria().contains(name))
        return {};
    return u"The criterion '%1' is not supported by the simulator (supported: type, entityId, tag, "
           u"entityName.equals, entityName.startsWith, entityName.contains)"_s.arg(name);
}

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
    // The events' and problems' syntax; the workshop's unquoted tag(...) is an ordinary unquoted value there.
    SelectorSyntax syntax;
    syntax.example = u"type(SERVICE)"_s;
    syntax.checkName = unsupported;
    auto parsed = parseSelectorCriteria(text, syntax);
    if (!parsed)
        return SimError::constraint(u"entitySelector"_s, parsed.error());
    EntitySelector selector;
    selector.criteria = std::move(parsed).value();
    const bool scoped = std::any_of(selector.criteria.cbegin(), selector.criteria.cend(),
        [](const Criterion &c) { return c.name == u"type" || c.name == u"entityId"; });
    if (!scoped) {
        return SimError::constraint(u"entitySelector"_s,
            u"The entity selector must contain a type(...) or entityId(...) criterion"_s);
    }
    return selector;
}

} // namespace canary::sim
