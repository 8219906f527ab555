#include "metricsengine.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "entityselector.h"
#include "metricdefinition.h"
#include "metricexpression.h"
#include "metricregistry.h"
#include "resolution.h"
#include "timeframe.h"
#include "timeunits.h"
#include "util/clock.h"
#include "world.h"

using namespace Qt::Literals::StringLiterals;
using Json = nlohmann::ordered_json;

namespace canary::sim {

namespace {

// The limits behind dataPointCountRatio and dimensionCountRatio, read off real responses
// (288 points -> 2.88E-5, 2 tuples -> 2.0E-5).
constexpr double DataPointLimit = 10'000'000.0;
constexpr double TupleLimit = 100'000.0;

std::string str(const QString &text)
{
    return text.toStdString();
}

// Integral values print as 1280, not 1280.0, like the tenant's own output.
Json number(double value)
{
    if (std::isfinite(value) && std::floor(value) == value && std::fabs(value) < 9007199254740992.0)
        return Json(static_cast<qint64>(value));
    return Json(value);
}

struct Series
{
    DimensionTuple dimensions;
    std::map<qint64, SecondStats> seconds;
};

struct SlotAccumulator
{
    qint64 points = 0;
    double sum = 0;
    double min = 0;
    double max = 0;
    SecondStats stats;

    void add(double value, const SecondStats &second)
    {
        min = points == 0 ? value : std::min(min, value);
        max = points == 0 ? value : std::max(max, value);
        sum += value;
        ++points;
        stats.merge(second);
    }
};

double pointValue(const MetricDefinition &metric, const SecondStats &stats)
{
    switch (metric.kind) {
    case MetricDefinition::Kind::Requests:
        return double(stats.requests);
    case MetricDefinition::Kind::Failures:
        return double(stats.failed);
    case MetricDefinition::Kind::Successes:
        return double(stats.requests - stats.failed);
    case MetricDefinition::Kind::ResponseTime:
        return double(stats.sumUs) / double(stats.requests);
    }
    return 0;
}

std::optional<double> slotValue(
    const MetricDefinition &metric, Aggregation aggregation, const SlotAccumulator &slot)
{
    if (slot.points == 0)
        return std::nullopt;
    if (metric.isCount()) {
        switch (aggregation) {
        case Aggregation::Avg:
            return slot.sum / double(slot.points);
        case Aggregation::Min:
            return slot.min;
        case Aggregation::Max:
            return slot.max;
        case Aggregation::Count:
            return double(slot.points);
        case Aggregation::Sum:
        case Aggregation::Auto:
        case Aggregation::Value:
            return slot.sum;
        }
        return slot.sum;
    }
    // Response time: every request is a measurement, so avg weighs each request, not each second.
    switch (aggregation) {
    case Aggregation::Min:
        return double(slot.stats.minUs);
    case Aggregation::Max:
        return double(slot.stats.maxUs);
    case Aggregation::Sum:
        return double(slot.stats.sumUs);
    case Aggregation::Count:
        return double(slot.stats.requests);
    case Aggregation::Avg:
    case Aggregation::Auto:
    case Aggregation::Value:
        return double(slot.stats.sumUs) / double(slot.stats.requests);
    }
    return std::nullopt;
}

QString dimensionValue(const DimensionTuple &dimensions, const QString &key)
{
    for (const auto &[k, v] : dimensions) {
        if (k == key)
            return v;
    }
    return {};
}

std::vector<Series> splitBy(const std::vector<Series> &input, const QStringList &keys)
{
    std::vector<Series> output;
    for (const Series &series : input) {
        DimensionTuple tuple;
        for (const QString &key : keys)
            tuple.append({ key, dimensionValue(series.dimensions, key) });
        auto it = std::find_if(
            output.begin(), output.end(), [&](const Series &s) { return s.dimensions == tuple; });
        if (it == output.end()) {
            output.push_back({ tuple, {} });
            it = output.end() - 1;
        }
        for (const auto &[second, stats] : series.seconds)
            it->seconds[second].merge(stats);
    }
    return output;
}

struct QueryContext
{
    const ServiceInfo &service;
    Timeframe frame;
    Resolution resolution;
    qint64 windowFromMs;
    qint64 windowToMs;
    std::vector<Series> baseSeries[2]; // per metric shape: [0] per build, [1] service total
};

// DT_RELEASE_VERSION of a build: the workshop tags 1.0.0-034c71 with release 1.0.0.
QString releaseOf(const QString &buildVersion)
{
    return buildVersion.section(u'-', 0, 0);
}

// The series one metric starts from: only its service's, only from its creation on, and with the build under
// the dimension key and the attribute the metric chose.
std::vector<Series> seriesOf(const MetricDefinition &metric, const QueryContext &context)
{
    if (!metric.counts(context.service.id))
        return {};
    std::vector<Series> series = context.baseSeries[metric.perBuild ? 0 : 1];
    if (metric.recordsFromMs) {
        // The second the metric was created in is only partly recorded; leave it out rather than backfill it.
        const qint64 firstSecond = floorDiv(*metric.recordsFromMs + SecondMs - 1, SecondMs);
        for (Series &s : series)
            s.seconds.erase(s.seconds.begin(), s.seconds.lower_bound(firstSecond));
    }
    if (metric.perBuild && (metric.buildDimension != MetricDefinition::BuildDimension || metric.byRelease)) {
        for (Series &s : series) {
            for (auto &[key, value] : s.dimensions) {
                if (key != MetricDefinition::BuildDimension)
                    continue;
                key = metric.buildDimension;
                if (metric.byRelease)
                    value = releaseOf(value);
            }
        }
        // Two builds of one release are one tuple.
        series = splitBy(series, metric.dimensionKeys());
    }
    return series;
}

Json evaluate(const MetricExpression &expression, const MetricDefinition &metric, const QueryContext &context,
    qint64 *totalPoints)
{
    std::vector<Series> series = seriesOf(metric, context);
    Aggregation aggregation = metric.defaultAggregation;
    bool names = false;
    const Transformation *fold = nullptr;
    const Transformation *fallback = nullptr;
    for (const Transformation &t : expression.transformations) {
        switch (t.kind) {
        case Transformation::Kind::Filter:
            std::erase_if(series, [&](const Series &s) { return !t.condition.matches(s.dimensions); });
            break;
        case Transformation::Kind::SplitBy:
            series = splitBy(series, t.dimensions);
            break;
        case Transformation::Kind::Aggregate:
            aggregation = t.aggregation;
            break;
        case Transformation::Kind::Names:
            names = true;
            break;
        case Transformation::Kind::Fold:
            fold = &t;
            break;
        case Transformation::Kind::Default:
            fallback = &t;
            break;
        }
    }
    if (fold && fold->aggregation != Aggregation::Auto)
        aggregation = fold->aggregation;
    aggregation = metric.resolve(aggregation);

    const Resolution &resolution = context.resolution;
    const bool single = fold || resolution.isInf();
    const qint64 firstSlot = resolution.firstSlot(context.frame);
    const qint64 slotCount = single ? 1 : resolution.slotCount(context.frame);
    std::vector<qint64> timestamps;
    if (single) {
        timestamps.push_back(context.frame.toMs);
    } else {
        for (qint64 i = 0; i < slotCount; ++i)
            timestamps.push_back((firstSlot + i + 1) * resolution.ms);
    }

    std::erase_if(series, [](const Series &s) { return s.seconds.empty(); });
    if (series.empty() && fallback && fallback->always && expression.has(Transformation::Kind::SplitBy)
        && expression.find(Transformation::Kind::SplitBy)->dimensions.isEmpty()) {
        series.push_back({});
    }

    Json data = Json::array();
    for (const Series &s : series) {
        std::vector<SlotAccumulator> accumulators(static_cast<std::size_t>(slotCount));
        for (const auto &[second, stats] : s.seconds) {
            const qint64 index = single ? 0 : floorDiv(second * 1000, resolution.ms) - firstSlot;
            if (index >= 0 && index < slotCount)
                accumulators[std::size_t(index)].add(pointValue(metric, stats), stats);
        }

        Json dimensions = Json::array();
        Json dimensionMap = Json::object();
        for (const auto &[key, value] : s.dimensions) {
            if (names && key == MetricDefinition::ServiceDimension && value == context.service.id) {
                dimensions.push_back(str(context.service.name));
                dimensionMap[str(MetricDefinition::ServiceNameDimension)] = str(context.service.name);
            }
            dimensions.push_back(str(value));
            dimensionMap[str(key)] = str(value);
        }
        Json values = Json::array();
        for (const SlotAccumulator &slot : accumulators) {
            std::optional<double> value = slotValue(metric, aggregation, slot);
            if (!value && fallback)
                value = fallback->defaultValue;
            values.push_back(value ? number(*value) : Json(nullptr));
        }
        data.push_back(Json {
            { "dimensions", std::move(dimensions) },
            { "dimensionMap", std::move(dimensionMap) },
            { "timestamps", timestamps },
            { "values", std::move(values) },
        });
        *totalPoints += slotCount;
    }

    const double points = double(slotCount) * double(data.size());
    return Json {
        { "metricId", str(expression.text) },
        { "dataPointCountRatio", points / DataPointLimit },
        { "dimensionCountRatio", double(data.size()) / TupleLimit },
        { "data", std::move(data) },
    };
}

} // namespace

MetricsEngine::MetricsEngine(World &world, const MetricRegistry &registry)
    : m_world(world)
    , m_registry(registry)
{ }

canary::Expected<QByteArray, SimError> MetricsEngine::query(const MetricsQuery &query)
{
    if (!query.metricSelector)
        return SimError::constraint(u"metricSelector"_s, u"must not be null"_s);

    const auto parsed = MetricExpression::parseSelector(*query.metricSelector);
    if (!parsed)
        return parsed.error();
    std::vector<const MetricDefinition *> metrics;
    for (const MetricExpression &expression : parsed.value()) {
        const MetricDefinition *metric = m_registry.find(expression.key);
        if (!metric)
            return SimError::notFound(u"Metric key '%1' not found"_s.arg(expression.key));
        const QStringList available = metric->dimensionKeys();
        for (const Transformation &t : expression.transformations) {
            if (t.kind != Transformation::Kind::SplitBy)
                continue;
            for (const QString &dimension : t.dimensions) {
                if (!available.contains(dimension)) {
                    return SimError::constraint(u"metricSelector"_s,
                        u"The dimension '%1' is not defined for metric '%2' (it has: %3)"_s.arg(
                            dimension, metric->key, available.join(u", "_s)),
                        u"Metric selector parse error"_s);
                }
            }
        }
        metrics.push_back(metric);
    }

    bool entityMatches = true;
    if (query.entitySelector) {
        const auto selector = EntitySelector::parse(*query.entitySelector);
        if (!selector)
            return selector.error();
        entityMatches = selector.value().matches(m_world.service());
    }

    m_world.catchUp();
    const auto frame = Timeframe::parse(query.from, query.to, m_world.clock().nowMs());
    if (!frame)
        return frame.error();
    const auto resolution = Resolution::parse(query.resolution.value_or(QString()), frame.value());
    if (!resolution)
        return resolution.error();

    QueryContext context { m_world.service(), frame.value(), resolution.value(), 0, 0, {} };
    if (context.resolution.isInf()) {
        context.windowFromMs = context.frame.fromMs;
        context.windowToMs = context.frame.toMs;
    } else {
        const qint64 first = context.resolution.firstSlot(context.frame);
        context.windowFromMs = first * context.resolution.ms;
        context.windowToMs = (first + context.resolution.slotCount(context.frame)) * context.resolution.ms;
    }

    qint64 totalCount = 0;
    if (entityMatches) {
        const ServiceInfo &service = m_world.service();
        Series total { { { MetricDefinition::ServiceDimension, service.id } }, {} };
        for (const World::BuildRole role : World::Roles) {
            Series perBuild { { { MetricDefinition::ServiceDimension, service.id },
                                  { MetricDefinition::BuildDimension, m_world.build(role).version } },
                {} };
            for (const SecondSample &sample :
                m_world.samples(role, context.windowFromMs, context.windowToMs)) {
                perBuild.seconds.emplace_hint(perBuild.seconds.end(), sample.second, sample.stats);
                total.seconds[sample.second].merge(sample.stats);
                if (sample.second * 1000 + 1000 > context.frame.fromMs
                    && sample.second * 1000 < context.frame.toMs)
                    totalCount = 1;
            }
            if (!perBuild.seconds.empty())
                context.baseSeries[0].push_back(std::move(perBuild));
        }
        if (!total.seconds.empty())
            context.baseSeries[1].push_back(std::move(total));
    }

    Json result = Json::array();
    qint64 totalPoints = 0;
    for (std::size_t i = 0; i < parsed.value().size(); ++i)
        result.push_back(evaluate(parsed.value()[i], *metrics[i], context, &totalPoints));

    const Json body {
        { "totalCount", totalCount },
        { "nextPageKey", nullptr },
        { "resolution", str(context.resolution.label) },
        { "result", std::move(result) },
        { "warnings", Json::array() },
    };
    return QByteArray::fromStdString(body.dump());
}

namespace {

// The MetricDescriptor the tenant answers for `metric`, every property included.
Json descriptorJson(const World &world, const MetricDefinition &metric)
{
    Json dimensions = Json::array();
    dimensions.push_back(Json { { "key", str(MetricDefinition::ServiceDimension) }, { "name", "Service" },
        { "displayName", "Service" }, { "index", 0 }, { "type", "ENTITY" } });
    if (metric.perBuild) {
        // A calculated metric's dimension key is the name its creator gave the dimension.
        dimensions.push_back(
            Json { { "key", str(metric.buildDimension) }, { "name", str(metric.buildDimension) },
                { "displayName", str(metric.buildDimension) }, { "index", 1 }, { "type", "STRING" } });
    }
    qint64 lastWritten = metric.counts(world.service().id) ? world.lastRequestMs() : -1;
    if (metric.recordsFromMs && lastWritten < *metric.recordsFromMs)
        lastWritten = -1;
    return Json {
        { "metricId", str(metric.key) },
        { "displayName", str(metric.displayName) },
        { "description", str(metric.description) },
        { "unit", str(metric.unit) },
        { "dduBillable", false },
        { "created", metric.recordsFromMs.value_or(world.startMs()) },
        { "lastWritten", lastWritten < 0 ? Json(nullptr) : Json(lastWritten) },
        { "entityType", Json::array({ "SERVICE" }) },
        // Median and percentiles need the single requests, which the world does not keep.
        { "aggregationTypes", Json::array({ "auto", "avg", "count", "max", "min", "sum", "value" }) },
        { "transformations", Json::array({ "filter", "fold", "names", "splitBy", "default" }) },
        { "defaultAggregation", Json { { "type", str(aggregationName(metric.defaultAggregation)) } } },
        { "dimensionDefinitions", std::move(dimensions) },
        { "tags", Json::array() },
        { "metricValueType", Json { { "type", "unknown" } } },
        { "scalar", false },
        { "resolutionInfSupported", true },
        { "warnings", Json::array() },
    };
}

} // namespace

canary::Expected<QByteArray, SimError> MetricsEngine::descriptor(const QString &metricKey)
{
    const MetricDefinition *metric = m_registry.find(metricKey);
    if (!metric)
        return SimError::notFound(u"Metric key '%1' not found"_s.arg(metricKey));
    m_world.catchUp();
    return QByteArray::fromStdString(descriptorJson(m_world, *metric).dump());
}

namespace {

// The comma-separated parts of a list selector; commas inside quotes or parentheses do not separate.
QStringList selectorParts(const QString &selector)
{
    QStringList parts;
    QString part;
    int depth = 0;
    bool quoted = false;
    for (qsizetype i = 0; i < selector.size(); ++i) {
        const QChar c = selector[i];
        if (quoted && c == u'~' && i + 1 < selector.size()) {
            part.append(c);
            part.append(selector[++i]);
            continue;
        }
        if (c == u'"')
            quoted = !quoted;
        else if (!quoted && c == u'(')
            ++depth;
        else if (!quoted && c == u')')
            --depth;
        if (!quoted && depth == 0 && c == u',') {
            parts.append(part.trimmed());
            part.clear();
            continue;
        }
        part.append(c);
    }
    parts.append(part.trimmed());
    return parts;
}

// The descriptor properties GET /api/v2/metrics returns unless `fields` says otherwise [docs].
const QStringList &defaultListFields()
{
    static const QStringList fields { u"displayName"_s, u"description"_s, u"unit"_s };
    return fields;
}

} // namespace

canary::Expected<QByteArray, SimError> MetricsEngine::list(const MetricListQuery &query)
{
    constexpr int DefaultPageSize = 100;
    constexpr int MaxPageSize = 500;
    int pageSize = DefaultPageSize;
    if (query.pageSize) {
        bool ok = false;
        pageSize = query.pageSize->toInt(&ok);
        if (!ok || pageSize < 1)
            return SimError::constraint(u"pageSize"_s, u"must be a positive integer"_s);
        pageSize = std::min(pageSize, MaxPageSize); // [docs] more than 500 gets 500
    }

    // [docs] metricId always; displayName, description and unit by default; "+x" adds, "-x" removes, and a
    // list without signs names exactly what is wanted.
    QStringList fields = defaultListFields();
    if (query.fields && !query.fields->trimmed().isEmpty()) {
        const Json sample = descriptorJson(m_world, MetricDefinition::all().front());
        QStringList named;
        bool signedOnly = true;
        for (const QString &raw : query.fields->split(u',')) {
            const QString item = raw.trimmed();
            const bool add = item.startsWith(u'+');
            const bool remove = item.startsWith(u'-');
            const QString name = add || remove ? item.mid(1) : item;
            if (!sample.contains(str(name))) {
                return SimError::constraint(
                    u"fields"_s, u"'%1' is not a metric property"_s.arg(name), u"Unknown field"_s);
            }
            if (add && !fields.contains(name))
                fields.append(name);
            else if (remove)
                fields.removeAll(name);
            else if (!add) {
                signedOnly = false;
                named.append(name);
            }
        }
        if (!signedOnly)
            fields = named;
    }

    std::vector<const MetricDefinition *> selected;
    const auto select = [&selected](const MetricDefinition *metric) {
        if (std::find(selected.begin(), selected.end(), metric) == selected.end())
            selected.push_back(metric);
    };
    if (!query.metricSelector || query.metricSelector->trimmed().isEmpty()) {
        for (const MetricDefinition *metric : m_registry.all())
            select(metric);
    } else {
        for (const QString &part : selectorParts(*query.metricSelector)) {
            if (part.endsWith(u'*')) {
                const QString prefix = part.chopped(1);
                for (const MetricDefinition *metric : m_registry.all()) {
                    if (metric->key.startsWith(prefix))
                        select(metric);
                }
                continue;
            }
            const auto parsed = MetricExpression::parseSelector(part);
            if (!parsed)
                return parsed.error();
            for (const MetricExpression &expression : parsed.value()) {
                const MetricDefinition *metric = m_registry.find(expression.key);
                // [docs] "404: A metric has not been found."; the message names the first missing key.
                if (!metric)
                    return SimError::notFound(u"Metric key '%1' not found"_s.arg(expression.key));
                select(metric);
            }
        }
    }

    m_world.catchUp();
    Json metrics = Json::array();
    // The simulated tenant has a handful of metrics; more than a page of them only gets the first page.
    for (std::size_t i = 0; i < selected.size() && i < std::size_t(pageSize); ++i) {
        const Json full = descriptorJson(m_world, *selected[i]);
        Json descriptor { { "metricId", full["metricId"] } };
        for (const QString &field : fields)
            descriptor[str(field)] = full[str(field)];
        metrics.push_back(std::move(descriptor));
    }
    const Json body {
        { "totalCount", selected.size() },
        { "nextPageKey", nullptr },
        { "metrics", std::move(metrics) },
        { "warnings", Json::array() },
    };
    return QByteArray::fromStdString(body.dump());
}

} // namespace canary::sim
