#include <QTest>

#include "sim/entityselector.h"
#include "sim/metricexpression.h"
#include "sim/resolution.h"
#include "sim/timeframe.h"
#include "sim/worldconfig.h"

using namespace Qt::Literals::StringLiterals;
using canary::sim::Aggregation;
using canary::sim::EntitySelector;
using canary::sim::FilterCondition;
using canary::sim::MetricExpression;
using canary::sim::Resolution;
using canary::sim::ServiceInfo;
using canary::sim::Timeframe;
using canary::sim::Transformation;
using Kind = canary::sim::Transformation::Kind;

namespace {

constexpr qint64 NowMs = 1'795'687'230'500; // 2026-11-26 10:00:30.500 UTC
constexpr qint64 MinuteMs = 60'000;
constexpr qint64 HourMs = 60 * MinuteMs;

QString tenExpressions()
{
    QStringList parts;
    for (int i = 0; i < 10; ++i)
        parts.append(u"builtin:service.response.time:splitBy()"_s);
    return parts.join(u',');
}

} // namespace

class TestSimParsers : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void metricSelector_valid_data()
    {
        QTest::addColumn<QString>("selector");
        QTest::addColumn<int>("expressions");
        QTest::addColumn<QString>("firstKey");
        QTest::addColumn<QString>("firstText");
        QTest::addColumn<int>("firstTransformations");

        QTest::newRow("bare builtin")
            << u"builtin:service.response.time"_s << 1 << u"builtin:service.response.time"_s
            << u"builtin:service.response.time"_s << 0;
        QTest::newRow("fixture selector")
            << u"calc:service.requests_by_build:splitBy(\"dt.entity.service\",\"Build\"):sum:names"_s << 1
            << u"calc:service.requests_by_build"_s
            << u"calc:service.requests_by_build:splitBy(\"dt.entity.service\",\"Build\"):sum:names"_s << 3;
        QTest::newRow("quoted key with ~ escapes")
            << u"\"calc:weird key~\"x~~\":sum"_s << 1 << u"calc:weird key\"x~"_s
            << u"\"calc:weird key~\"x~~\":sum"_s << 1;
        QTest::newRow("empty splitBy") << u"builtin:service.requestCount.total:splitBy():sum"_s << 1
                                       << u"builtin:service.requestCount.total"_s
                                       << u"builtin:service.requestCount.total:splitBy():sum"_s << 2;
        QTest::newRow("unquoted splitBy")
            << u"calc:service.requests_by_build:splitBy(Build)"_s << 1 << u"calc:service.requests_by_build"_s
            << u"calc:service.requests_by_build:splitBy(Build)"_s << 1;
        QTest::newRow("filter eq")
            << u"calc:service.requests_by_build:filter(eq(\"Build\",\"4.0.0-034c71\"))"_s << 1
            << u"calc:service.requests_by_build"_s
            << u"calc:service.requests_by_build:filter(eq(\"Build\",\"4.0.0-034c71\"))"_s << 1;
        QTest::newRow("filter and/or/not")
            << u"calc:service.requests_by_build:filter(and(ne(Build,\"x\"),or(prefix(\"Build\",\"1.\"),not(eq(\"Build\",\"4\")))))"_s
            << 1 << u"calc:service.requests_by_build"_s
            << u"calc:service.requests_by_build:filter(and(ne(Build,\"x\"),or(prefix(\"Build\",\"1.\"),not(eq(\"Build\",\"4\")))))"_s
            << 1;
        QTest::newRow("fold and fold(sum)")
            << u"calc:service.requests_by_build:fold,calc:service.failures_by_build:fold(sum)"_s << 2
            << u"calc:service.requests_by_build"_s << u"calc:service.requests_by_build:fold"_s << 1;
        QTest::newRow("default") << u"calc:service.requests_by_build:splitBy():default(0,always)"_s << 1
                                 << u"calc:service.requests_by_build"_s
                                 << u"calc:service.requests_by_build:splitBy():default(0,always)"_s << 2;
        QTest::newRow("commas inside parentheses and quotes do not split")
            << u"calc:service.requests_by_build:splitBy(\"Build\",\"dt.entity.service\"):filter(eq(\"Build\",\"a,b\")),builtin:service.response.time"_s
            << 2 << u"calc:service.requests_by_build"_s
            << u"calc:service.requests_by_build:splitBy(\"Build\",\"dt.entity.service\"):filter(eq(\"Build\",\"a,b\"))"_s
            << 2;
        QTest::newRow("spaces around expressions and arguments")
            << u"  calc:service.requests_by_build:splitBy( \"Build\" , \"dt.entity.service\" ):sum ,  builtin:service.response.time "_s
            << 2 << u"calc:service.requests_by_build"_s
            << u"calc:service.requests_by_build:splitBy( \"Build\" , \"dt.entity.service\" ):sum"_s << 2;
        QTest::newRow("ten expressions") << tenExpressions() << 10 << u"builtin:service.response.time"_s
                                         << u"builtin:service.response.time:splitBy()"_s << 1;
        QTest::newRow("unknown key still parses")
            << u"my.ingested.metric:avg"_s << 1 << u"my.ingested.metric"_s << u"my.ingested.metric:avg"_s
            << 1;
    }

    void metricSelector_valid()
    {
        QFETCH(QString, selector);
        QFETCH(int, expressions);
        QFETCH(QString, firstKey);
        QFETCH(QString, firstText);
        QFETCH(int, firstTransformations);

        const auto parsed = MetricExpression::parseSelector(selector);
        QVERIFY2(parsed.hasValue(),
            parsed.hasValue() ? "" : qPrintable(parsed.error().constraintViolations.value(0).message));
        QCOMPARE(int(parsed.value().size()), expressions);
        QCOMPARE(parsed.value().front().key, firstKey);
        QCOMPARE(parsed.value().front().text, firstText);
        QCOMPARE(int(parsed.value().front().transformations.size()), firstTransformations);
    }

    void metricSelector_structure()
    {
        const auto parsed = MetricExpression::parseSelector(
            u"calc:service.requests_by_build:filter(or(eq(\"Build\",\"4.0.0-034c71\"),existsKey(x))):splitBy(\"dt.entity.service\",Build):max:names:fold(avg):default(-1.5)"_s);
        QVERIFY(parsed.hasValue());
        const MetricExpression &e = parsed.value().front();
        QCOMPARE(int(e.transformations.size()), 6);
        const Transformation *filter = e.find(Kind::Filter);
        QVERIFY(filter);
        QCOMPARE(filter->condition.op, FilterCondition::Op::Or);
        QCOMPARE(int(filter->condition.operands.size()), 2);
        QCOMPARE(filter->condition.operands[0].key, u"Build"_s);
        QCOMPARE(filter->condition.operands[0].value, u"4.0.0-034c71"_s);
        QCOMPARE(filter->condition.operands[1].op, FilterCondition::Op::ExistsKey);
        QCOMPARE(e.find(Kind::SplitBy)->dimensions, (QStringList { u"dt.entity.service"_s, u"Build"_s }));
        QCOMPARE(e.find(Kind::Aggregate)->aggregation, Aggregation::Max);
        QVERIFY(e.has(Kind::Names));
        QCOMPARE(e.find(Kind::Fold)->aggregation, Aggregation::Avg);
        QCOMPARE(e.find(Kind::Default)->defaultValue, -1.5);
        QVERIFY(!e.find(Kind::Default)->always);

        const canary::sim::DimensionTuple tuple { { u"Build"_s, u"4.0.0-034c71"_s } };
        QVERIFY(filter->condition.matches(tuple));
        QVERIFY(!filter->condition.matches({ { u"Build"_s, u"1.0.0-034c71"_s } }));
    }

    void metricSelector_invalid_data()
    {
        QTest::addColumn<QString>("selector");
        QTest::addColumn<QString>("messagePart");
        QTest::addColumn<bool>("unsupported");

        QTest::newRow("empty") << QString() << u"Expected a metric key"_s << false;
        QTest::newRow("starts with a colon")
            << u":sum"_s << u"Expected a metric key but found ':' at position 0"_s << false;
        QTest::newRow("unclosed splitBy") << u"calc:service.requests_by_build:splitBy(\"Build\":sum"_s
                                          << u"Expected ')' but found ':' at position 46"_s << false;
        QTest::newRow("unknown transformation")
            << u"calc:service.requests_by_build:bogus"_s
            << u"Unknown transformation ':bogus' at position 31"_s << false;
        QTest::newRow("unterminated quote") << u"calc:service.requests_by_build:splitBy(\"Build)"_s
                                            << u"Unterminated quoted string at position 39"_s << false;
        QTest::newRow("bad escape") << u"\"calc:a~b\""_s << u"Invalid escape sequence"_s << false;
        QTest::newRow("trailing comma") << u"builtin:service.response.time,"_s
                                        << u"Expected a metric key at the end of the selector"_s << false;
        QTest::newRow("empty colon") << u"builtin:service.response.time:"_s << u"Expected a transformation"_s
                                     << false;
        QTest::newRow("aggregation with arguments")
            << u"builtin:service.response.time:avg(1)"_s << u"takes no arguments"_s << false;
        QTest::newRow("default without number")
            << u"builtin:service.response.time:default(x)"_s << u"Expected a number"_s << false;
        QTest::newRow("unknown filter condition") << u"builtin:service.response.time:filter(like(a,b))"_s
                                                  << u"Unknown filter condition 'like'"_s << false;
        QTest::newRow("eleven expressions") << (tenExpressions() + u",builtin:service.response.time"_s)
                                            << u"more than the limit of 10"_s << false;
        QTest::newRow("percentile") << u"builtin:service.response.time:percentile(95)"_s
                                    << u"':percentile' is not supported by the simulator"_s << true;
        QTest::newRow("timeshift") << u"builtin:service.response.time:timeshift(-1d)"_s
                                   << u"':timeshift' is not supported"_s << true;
        QTest::newRow("arithmetic")
            << u"(calc:service.failures_by_build:sum/calc:service.requests_by_build:sum)*100"_s
            << u"Arithmetic"_s << true;
        QTest::newRow("filter in()")
            << u"builtin:service.response.time:filter(in(\"dt.entity.service\",entitySelector(\"type(SERVICE)\")))"_s
            << u"'in()' is not supported"_s << true;
        QTest::newRow("key list") << u"builtin:host.cpu.(idle,user)"_s << u"key lists"_s << true;
    }

    void metricSelector_invalid()
    {
        QFETCH(QString, selector);
        QFETCH(QString, messagePart);
        QFETCH(bool, unsupported);

        const auto parsed = MetricExpression::parseSelector(selector);
        QVERIFY(!parsed.hasValue());
        const auto &error = parsed.error();
        QCOMPARE(error.code, 400);
        QCOMPARE(error.constraintViolations.size(), 1);
        QCOMPARE(error.constraintViolations.front().path, u"metricSelector"_s);
        QCOMPARE(error.constraintViolations.front().parameterLocation, u"QUERY"_s);
        const QString message = error.constraintViolations.front().message;
        QVERIFY2(message.contains(messagePart), qPrintable(message));
        if (unsupported)
            QVERIFY2(error.message.contains(u"not supported"_s), qPrintable(error.message));
        else
            QCOMPARE(error.message, u"Metric selector parse error"_s);
    }

    void entitySelector_data()
    {
        QTest::addColumn<QString>("selector");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<bool>("matches");

        const QString id = ServiceInfo::workshop().id;
        QTest::newRow("type") << u"type(SERVICE)"_s << true << true;
        QTest::newRow("quoted type") << u"type(\"SERVICE\")"_s << true << true;
        QTest::newRow("other type") << u"type(HOST)"_s << true << false;
        QTest::newRow("entityId quoted") << u"type(SERVICE),entityId(\"%1\")"_s.arg(id) << true << true;
        QTest::newRow("entityId bare") << u"entityId(%1)"_s.arg(id) << true << true;
        QTest::newRow("entityId list")
            << u"entityId(\"SERVICE-0000000000000000\",\"%1\")"_s.arg(id) << true << true;
        QTest::newRow("other entityId") << u"entityId(\"SERVICE-0000000000000000\")"_s << true << false;
        QTest::newRow("quoted tag")
            << u"type(SERVICE),tag(\"[Environment]DT_RELEASE_PRODUCT:simplenodeservice\")"_s << true << true;
        QTest::newRow("unquoted workshop tag")
            << u"type(SERVICE),tag([Environment]DT_RELEASE_STAGE:canary-jenkins)"_s << true << true;
        QTest::newRow("tag key only")
            << u"type(SERVICE),tag(\"[Environment]DT_RELEASE_STAGE\")"_s << true << true;
        QTest::newRow("other tag value")
            << u"type(SERVICE),tag([Environment]DT_RELEASE_STAGE:production)"_s << true << false;
        QTest::newRow("name equals")
            << u"type(SERVICE),entityName.equals(\"simplenodeservice.canary-jenkins\")"_s << true << true;
        QTest::newRow("name differs")
            << u"type(SERVICE),entityName.equals(\"BookingService\")"_s << true << false;
        QTest::newRow("criteria are ANDed")
            << u"type(SERVICE),tag([Environment]DT_RELEASE_STAGE:canary-jenkins),"
               "entityName.equals(\"other\")"_s
            << true << false;
        QTest::newRow("spaces") << u" type( SERVICE ) , entityId( \"%1\" ) "_s.arg(id) << true << true;
        QTest::newRow("no type or entityId")
            << u"tag([Environment]DT_RELEASE_STAGE:canary-jenkins)"_s << false << false;
        QTest::newRow("unclosed") << u"type(SERVICE"_s << false << false;
        QTest::newRow("garbage") << u"type(SERVICE) x"_s << false << false;
        QTest::newRow("unsupported criterion") << u"type(SERVICE),mzName(\"x\")"_s << false << false;
        QTest::newRow("empty") << QString() << false << false;
    }

    void entitySelector()
    {
        QFETCH(QString, selector);
        QFETCH(bool, valid);
        QFETCH(bool, matches);

        const auto parsed = EntitySelector::parse(selector);
        QCOMPARE(parsed.hasValue(), valid);
        if (!valid) {
            QCOMPARE(parsed.error().code, 400);
            QCOMPARE(parsed.error().constraintViolations.value(0).path, u"entitySelector"_s);
            return;
        }
        QCOMPARE(parsed.value().matches(ServiceInfo::workshop()), matches);
    }

    // The entity selector shares the events' criteria parser; its own example and its unknown criteria
    // (reported at the name, before any later syntax error) stay.
    void entitySelector_messages_data()
    {
        QTest::addColumn<QString>("selector");
        QTest::addColumn<QString>("message");
        QTest::newRow("unsupported criterion")
            << u"type(SERVICE), mzName(\"x\""_s
            << u"The criterion 'mzName' is not supported by the simulator (supported: type, entityId, tag, "
               u"entityName.equals, entityName.startsWith, entityName.contains) at position 15"_s;
        QTest::newRow("empty") << QString()
                               << u"Expected a criterion such as type(SERVICE) at the end of the selector"_s;
        QTest::newRow("unclosed") << u"type(SERVICE"_s << u"Expected ')' at the end of the selector"_s;
        QTest::newRow("garbage") << u"type(SERVICE) x"_s
                                 << u"Expected ',' between criteria but found 'x' at position 14"_s;
    }

    void entitySelector_messages()
    {
        QFETCH(QString, selector);
        QFETCH(QString, message);
        const auto parsed = EntitySelector::parse(selector);
        QVERIFY(!parsed.hasValue());
        QCOMPARE(parsed.error().constraintViolations.value(0).message, message);
    }

    void timestamp_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<qint64>("expected");

        QTest::newRow("epoch ms") << u"1611554221123"_s << true << qint64(1611554221123);
        QTest::newRow("ISO with offset")
            << u"2021-01-25T05:57:01.123+01:00"_s << true << qint64(1611550621123);
        QTest::newRow("ISO UTC without zone")
            << u"2021-01-25T05:57:01.123"_s << true << qint64(1611554221123);
        QTest::newRow("ISO Z") << u"2021-01-25T05:57:01Z"_s << true << qint64(1611554221000);
        QTest::newRow("ISO space instead of T")
            << u"2021-01-25 05:57:01.123"_s << true << qint64(1611554221123);
        QTest::newRow("ISO negative offset")
            << u"2021-01-25T05:57:01-0230"_s << true << qint64(1611554221000 + 150 * MinuteMs);
        QTest::newRow("ISO minutes only") << u"2021-01-25T05:57"_s << true << qint64(1611554220000);
        QTest::newRow("date only") << u"2021-01-25"_s << true << qint64(1611532800000);
        QTest::newRow("now") << u"now"_s << true << NowMs;
        QTest::newRow("now-30m") << u"now-30m"_s << true << NowMs - 30 * MinuteMs;
        QTest::newRow("now-2h") << u"now-2h"_s << true << NowMs - 2 * HourMs;
        QTest::newRow("now-45s") << u"now-45s"_s << true << NowMs - 45'000;
        QTest::newRow("now-1d") << u"now-1d"_s << true << NowMs - 24 * HourMs;
        QTest::newRow("now-1w") << u"now-1w"_s << true << NowMs - 7 * 24 * HourMs;
        QTest::newRow("now-1h/h aligns") << u"now-1h/h"_s << true << qint64(1'795'687'200'000 - HourMs);
        QTest::newRow("now/m") << u"now/m"_s << true << qint64(1'795'687'200'000);
        QTest::newRow("'+' decoded to a space") << u"2021-01-25T05:57:01.123 01:00"_s << false << qint64(0);
        QTest::newRow("month unit") << u"now-1M"_s << false << qint64(0);
        QTest::newRow("garbage") << u"yesterday"_s << false << qint64(0);
        QTest::newRow("invalid date") << u"2021-02-30T00:00:00Z"_s << false << qint64(0);
        QTest::newRow("empty") << QString() << false << qint64(0);
    }

    void timestamp()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QFETCH(qint64, expected);

        const auto parsed = Timeframe::parseTimestamp(text, NowMs);
        QCOMPARE(parsed.hasValue(), valid);
        if (valid)
            QCOMPARE(parsed.value(), expected);
        else
            QVERIFY(!parsed.error().isEmpty());
    }

    void timeframe_defaultsAndOrder()
    {
        const auto defaults = Timeframe::parse(std::nullopt, std::nullopt, NowMs);
        QVERIFY(defaults.hasValue());
        QCOMPARE(defaults.value().fromMs, NowMs - 2 * HourMs);
        QCOMPARE(defaults.value().toMs, NowMs);

        const auto reversed = Timeframe::parse(u"now"_s, u"now-1h"_s, NowMs);
        QVERIFY(!reversed.hasValue());
        QCOMPARE(reversed.error().constraintViolations.value(0).path, u"from"_s);
        const auto empty = Timeframe::parse(u"now"_s, u"now"_s, NowMs);
        QVERIFY(!empty.hasValue());
        const auto badTo = Timeframe::parse(std::nullopt, u"later"_s, NowMs);
        QVERIFY(!badTo.hasValue());
        QCOMPARE(badTo.error().constraintViolations.value(0).path, u"to"_s);
    }

    void resolution_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("durationMs");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<qint64>("ms");
        QTest::addColumn<QString>("label");

        QTest::newRow("default over 2h: 1m") << QString() << 2 * HourMs << true << MinuteMs << u"1m"_s;
        QTest::newRow("default over 30m: at least 1m")
            << QString() << 30 * MinuteMs << true << MinuteMs << u"1m"_s;
        QTest::newRow("default over 1d: 15m")
            << QString() << 24 * HourMs << true << 15 * MinuteMs << u"15m"_s;
        QTest::newRow("default over 7d: 2h") << QString() << 7 * 24 * HourMs << true << 2 * HourMs << u"2h"_s;
        QTest::newRow("10s") << u"10s"_s << 2 * HourMs << true << qint64(10'000) << u"10s"_s;
        QTest::newRow("1s") << u"1s"_s << 10 * MinuteMs << true << qint64(1000) << u"1s"_s;
        QTest::newRow("90s is 1m30s") << u"90s"_s << HourMs << true << qint64(90'000) << u"90s"_s;
        QTest::newRow("5m") << u"5m"_s << 2 * HourMs << true << 5 * MinuteMs << u"5m"_s;
        QTest::newRow("60m is 1h") << u"60m"_s << 24 * HourMs << true << HourMs << u"1h"_s;
        QTest::newRow("1d") << u"1d"_s << 7 * 24 * HourMs << true << 24 * HourMs << u"1d"_s;
        QTest::newRow("1w") << u"1w"_s << 30 * 24 * HourMs << true << 7 * 24 * HourMs << u"1w"_s;
        QTest::newRow("Inf") << u"Inf"_s << 2 * HourMs << true << qint64(0) << u"Inf"_s;
        QTest::newRow("60 points over 2h") << u"60"_s << 2 * HourMs << true << 2 * MinuteMs << u"2m"_s;
        QTest::newRow("point count rounds up to 1m")
            << u"100"_s << 10 * MinuteMs << true << MinuteMs << u"1m"_s;
        QTest::newRow("0s") << u"0s"_s << HourMs << false << qint64(0) << QString();
        QTest::newRow("0 points") << u"0"_s << HourMs << false << qint64(0) << QString();
        QTest::newRow("month") << u"1M"_s << HourMs << false << qint64(0) << QString();
        QTest::newRow("garbage") << u"fast"_s << HourMs << false << qint64(0) << QString();
        QTest::newRow("too many points") << u"1s"_s << 24 * HourMs << false << qint64(0) << QString();
        QTest::newRow("10080 slots are fine") << u"1m"_s << 10'079 * MinuteMs << true << MinuteMs << u"1m"_s;
        QTest::newRow("too many points by count")
            << u"20000"_s << 24 * HourMs << false << qint64(0) << QString();
    }

    void resolution()
    {
        QFETCH(QString, text);
        QFETCH(qint64, durationMs);
        QFETCH(bool, valid);
        QFETCH(qint64, ms);
        QFETCH(QString, label);

        // An aligned end keeps the slot count exact: duration / resolution (+1 for an unaligned start).
        const Timeframe frame { 1'795'687'200'000 - durationMs, 1'795'687'200'000 };
        const auto parsed = Resolution::parse(text, frame);
        QCOMPARE(parsed.hasValue(), valid);
        if (!valid) {
            QCOMPARE(parsed.error().constraintViolations.value(0).path, u"resolution"_s);
            return;
        }
        QCOMPARE(parsed.value().ms, ms);
        QCOMPARE(parsed.value().label, label);
    }

    void resolution_slotsCoverTheTimeframe()
    {
        // 10:00:30.5 - 10:10:30.5 at 1m: slots 10:00 … 10:10, the last one incomplete.
        const Timeframe frame { NowMs, NowMs + 10 * MinuteMs };
        const auto parsed = Resolution::parse(u"1m"_s, frame);
        QVERIFY(parsed.hasValue());
        QCOMPARE(parsed.value().slotCount(frame), 11);
        QCOMPARE(parsed.value().firstSlot(frame) * MinuteMs, qint64(1'795'687'200'000));
        const Timeframe aligned { 1'795'687'200'000, 1'795'687'200'000 + 10 * MinuteMs };
        QCOMPARE(parsed.value().slotCount(aligned), 10);
    }
};

QTEST_GUILESS_MAIN(TestSimParsers)
#include "tst_simparsers.moc"
