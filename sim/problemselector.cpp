#include "problemselector.h"

#include <algorithm>

#include <QSet>

#include "problemstore.h"
#include "taginfo.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

constexpr qsizetype MaxTextLength = 30; // Dynatrace's limit for text(…)

const QSet<QString> &supportedCriteria()
{
    static const QSet<QString> names { u"status"_s, u"severityLevel"_s, u"impactLevel"_s, u"displayId"_s,
        u"problemId"_s, u"rootCauseEntity"_s, u"affectedEntities"_s, u"impactedEntities"_s, u"entityTags"_s,
        u"text"_s, u"managementZones"_s, u"underMaintenance"_s };
    return names;
}

SimError violation(const QString &message)
{
    return SimError::constraint(u"problemSelector"_s, message);
}

bool anyEquals(const QStringList &values, const QString &actual, Qt::CaseSensitivity sensitivity)
{
    return std::any_of(values.cbegin(), values.cend(),
        [&](const QString &value) { return value.compare(actual, sensitivity) == 0; });
}

bool tagMatches(const QString &wanted, const QStringList &tags)
{
    const TagInfo rule = TagInfo::parse(wanted);
    return std::any_of(
        tags.cbegin(), tags.cend(), [&](const QString &tag) { return TagInfo::parse(tag).satisfies(rule); });
}

} // namespace

canary::Expected<ProblemSelector, SimError> ProblemSelector::parse(const QString &text)
{
    auto parsed = parseSelectorCriteria(text);
    if (!parsed)
        return violation(parsed.error());
    ProblemSelector selector;
    for (SelectorCriterion &criterion : parsed.value()) {
        if (!supportedCriteria().contains(criterion.name)) {
            return violation(u"The criterion '%1' is not supported (supported: status, severityLevel, "
                             "impactLevel, displayId, problemId, rootCauseEntity, affectedEntities, "
                             "impactedEntities, entityTags, text, managementZones, underMaintenance)"_s.arg(
                                 criterion.name));
        }
        for (const QString &value : std::as_const(criterion.values)) {
            if (criterion.name == u"status" && value.compare(u"open"_s, Qt::CaseInsensitive) != 0
                && value.compare(u"closed"_s, Qt::CaseInsensitive) != 0)
                return violation(u"status takes open or closed, not '%1'"_s.arg(value));
            if (criterion.name == u"text" && value.size() > MaxTextLength)
                return violation(u"text takes at most %1 characters"_s.arg(MaxTextLength));
            if (criterion.name == u"underMaintenance" && value != u"true"_s && value != u"false"_s)
                return violation(u"underMaintenance takes true or false, not '%1'"_s.arg(value));
        }
        selector.criteria.push_back(std::move(criterion));
    }
    return selector;
}

bool ProblemSelector::matches(const StoredProblem &problem) const
{
    return std::all_of(criteria.cbegin(), criteria.cend(), [&](const SelectorCriterion &criterion) {
        const QString &name = criterion.name;
        const QStringList &values = criterion.values;
        if (name == u"status")
            return anyEquals(values, problem.isOpen() ? u"open"_s : u"closed"_s, Qt::CaseInsensitive);
        if (name == u"severityLevel")
            return anyEquals(values, problem.severityLevel, Qt::CaseInsensitive);
        if (name == u"impactLevel")
            return anyEquals(values, problem.impactLevel, Qt::CaseInsensitive);
        if (name == u"displayId")
            return anyEquals(values, problem.displayId, Qt::CaseSensitive);
        if (name == u"problemId")
            return anyEquals(values, problem.problemId, Qt::CaseSensitive);
        if (name == u"rootCauseEntity" || name == u"affectedEntities" || name == u"impactedEntities")
            return anyEquals(values, problem.entityId, Qt::CaseSensitive);
        if (name == u"entityTags") {
            return std::any_of(values.cbegin(), values.cend(),
                [&](const QString &tag) { return tagMatches(tag, problem.entityTags); });
        }
        if (name == u"text") {
            return std::any_of(values.cbegin(), values.cend(),
                [&](const QString &text) { return problem.title.contains(text, Qt::CaseInsensitive); });
        }
        if (name == u"underMaintenance")
            return values.contains(u"false"_s);
        return false; // managementZones: the simulated tenant has none
    });
}

} // namespace canary::sim
