#pragma once

#include <vector>

#include <QString>
#include <QStringList>

#include "util/expected.h"

namespace canary::sim {

// The criteria syntax Dynatrace's eventSelector and problemSelector share: name("value","value"),name(value)
// — values ORed inside one criterion, criteria ANDed; quoted values with ~ escaping '"' and '~', unquoted
// values up to ',' or ')'. Names are everything before '(' (property.dt.event.source, status, …).
struct SelectorCriterion
{
    QString name;
    QStringList values;
};

// The criteria in order, or what is wrong and where, e.g. "Expected '(' after 'status' at position 6".
canary::Expected<std::vector<SelectorCriterion>, QString> parseSelectorCriteria(const QString &text);

} // namespace canary::sim
