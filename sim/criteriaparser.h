#pragma once

#include <functional>
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

// What differs between the selectors that share the syntax (events, problems, entities).
struct SelectorSyntax
{
    // The example in "Expected a criterion such as …".
    QString example = QStringLiteral("status(\"OPEN\")");
    // Checked as each criterion's name is read, so an unknown criterion is reported before any later syntax
    // error, at the position of its name: the complaint without the position, or empty when the name is
    // known. Unset: every name is read, the caller decides afterwards.
    std::function<QString(const QString &name)> checkName;
};

// The criteria in order, or what is wrong and where, e.g. "Expected '(' after 'status' at position 6".
canary::Expected<std::vector<SelectorCriterion>, QString> parseSelectorCriteria(
    const QString &text, const SelectorSyntax &syntax = {});

} // namespace canary::sim
