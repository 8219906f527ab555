#include "eventselector.h"

#include <algorithm>

#include <QSet>

#include "eventstore.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

const QString PropertyPrefix = u"property."_s;

const QSet<QString> &flagCriteria()
{
    static const QSet<QString> names { u"underMaintenance"_s, u"suppressAlert"_s, u"suppressProblem"_s,
        u"frequentEvent"_s };
    return names;
}

const QSet<QString> &valueCriteria()
{
    static const QSet<QString> names { u"eventType"_s, u"status"_s, u"eventId"_s, u"entityId"_s,
        u"correlationId"_s, u"managementZoneId"_s };
    return names;
}

SimError violation(const QString &message)
{
    return SimError::constraint(u"eventSelector"_s, message);
}

bool anyEquals(
    const QStringList &values, const QString &actual, Qt::CaseSensitivity sensitivity = Qt::CaseSensitive)
{
    return std::any_of(values.cbegin(), values.cend(),
        [&](const QString &value) { return value.compare(actual, sensitivity) == 0; });
}

} // namespace

canary::Expected<EventSelector, SimError> EventSelector::parse(const QString &text)
{
    auto parsed = parseSelectorCriteria(text);
    if (!parsed)
        return violation(parsed.error());
    EventSelector selector;
    for (SelectorCriterion &criterion : parsed.value()) {
        const QString &name = criterion.name;
        if (name.startsWith(PropertyPrefix)) {
            if (name.size() == PropertyPrefix.size())
                return violation(u"property. needs a key, e.g. property.remediationType(\"ansible\")"_s);
        } else if (flagCriteria().contains(name)) {
            for (const QString &value : criterion.values) {
                if (value != u"true"_s && value != u"false"_s)
                    return violation(u"%1 takes true or false, not '%2'"_s.arg(name, value));
            }
        } else if (name == u"eventType"_s) {
            if (criterion.values.size() != 1)
                return violation(u"eventType takes exactly one event type"_s);
        } else if (name == u"status"_s) {
            for (const QString &value : criterion.values) {
                if (value.compare(u"OPEN"_s, Qt::CaseInsensitive) != 0
                    && value.compare(u"CLOSED"_s, Qt::CaseInsensitive) != 0)
                    return violation(u"status takes OPEN or CLOSED, not '%1'"_s.arg(value));
            }
        } else if (!valueCriteria().contains(name)) {
            return violation(u"The criterion '%1' is not supported (supported: eventType, status, eventId, "
                             "entityId, correlationId, managementZoneId, property.<key>, underMaintenance, "
                             "suppressAlert, suppressProblem, frequentEvent)"_s.arg(name));
        }
        selector.criteria.push_back(std::move(criterion));
    }
    return selector;
}

bool EventSelector::matches(const StoredEvent &event, qint64 nowMs) const
{
    return std::all_of(criteria.cbegin(), criteria.cend(), [&](const SelectorCriterion &criterion) {
        const QString &name = criterion.name;
        const QStringList &values = criterion.values;
        if (name.startsWith(PropertyPrefix)) {
            const auto it = event.properties.constFind(name.mid(PropertyPrefix.size()));
            return it != event.properties.cend() && anyEquals(values, *it);
        }
        if (flagCriteria().contains(name))
            return values.contains(u"false"_s); // no simulated event is suppressed or under maintenance
        if (name == u"eventType")
            return anyEquals(values, event.eventType);
        if (name == u"status")
            return anyEquals(values, event.isOpenAt(nowMs) ? u"OPEN"_s : u"CLOSED"_s, Qt::CaseInsensitive);
        if (name == u"eventId")
            return anyEquals(values, event.eventId);
        if (name == u"entityId")
            return !event.entityId.isEmpty() && anyEquals(values, event.entityId);
        if (name == u"correlationId")
            return anyEquals(values, event.correlationId);
        return false; // managementZoneId: the simulated tenant has no management zones
    });
}

} // namespace canary::sim
