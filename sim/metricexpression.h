#pragma once

#include <optional>
#include <vector>

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include "simerror.h"
#include "util/expected.h"

namespace canary::sim {

enum class Aggregation { Auto, Value, Sum, Avg, Min, Max, Count };

QString aggregationName(Aggregation aggregation);
std::optional<Aggregation> aggregationFromName(const QString &name);

// A series' dimension tuple in output order, e.g. {("dt.entity.service","SERVICE-…"),
// ("Build","1.0.0-034c71")}.
using DimensionTuple = QList<QPair<QString, QString>>;

// The condition inside :filter(...).
struct FilterCondition
{
    enum class Op { Eq, Ne, Prefix, Suffix, Contains, ExistsKey, And, Or, Not };

    Op op = Op::Eq;
    QString key;
    QString value;
    std::vector<FilterCondition> operands; // And, Or, Not

    bool matches(const DimensionTuple &dimensions) const;
};

struct Transformation
{
    enum class Kind { SplitBy, Aggregate, Names, Filter, Fold, Default };

    Kind kind = Kind::Aggregate;
    QStringList dimensions; // SplitBy
    Aggregation aggregation = Aggregation::Auto; // Aggregate; Fold (Auto: the expression's own)
    FilterCondition condition; // Filter
    double defaultValue = 0; // Default
    bool always = false; // Default: also when the expression yields no series
};

// One comma-separated part of a metricSelector: a metric key and its transformation chain.
struct MetricExpression
{
    static constexpr int MaxExpressions = 10;

    QString text; // the expression as given (trimmed): what the response echoes as metricId
    QString key;
    std::vector<Transformation> transformations;

    const Transformation *find(Transformation::Kind kind) const;
    bool has(Transformation::Kind kind) const { return find(kind) != nullptr; }

    // The selector grammar of Dynatrace's metrics API, as far as the simulator evaluates it: keys (bare, or
    // quoted with ~ escapes), :splitBy, aggregations, :names, :filter(eq/ne/prefix/suffix/contains/existsKey,
    // and/or/not), :fold, :default. Syntax errors say what and where; transformations Dynatrace has but the
    // simulator does not evaluate are rejected by name rather than misreported as syntax errors.
    static canary::Expected<std::vector<MetricExpression>, SimError> parseSelector(const QString &selector);
};

} // namespace canary::sim
