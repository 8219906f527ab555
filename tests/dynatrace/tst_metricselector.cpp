#include <QTest>

#include "dynatrace/metricselector.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary::dynatrace;

class TestMetricSelector : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void metricKeyOf_data();
    void metricKeyOf();
    void isBareMetricKey_data();
    void isBareMetricKey();
    void perBuildSelector_data();
    void perBuildSelector();
    void perBuildSelector_withAggregation();
    void quoteSelectorString_data();
    void quoteSelectorString();
    void quotedKeyRoundTrips();
};

void TestMetricSelector::metricKeyOf_data()
{
    QTest::addColumn<QString>("selector");
    QTest::addColumn<QString>("key");

    QTest::newRow("calc with splitBy")
        << u"calc:service.requests_by_build:splitBy(\"Build\"):sum"_s << u"calc:service.requests_by_build"_s;
    QTest::newRow("builtin bare") << u"builtin:service.response.time"_s << u"builtin:service.response.time"_s;
    QTest::newRow("builtin with chain")
        << u"builtin:service.response.time:splitBy():percentile(95)"_s << u"builtin:service.response.time"_s;
    QTest::newRow("dotted first segment") << u"my.ingested.metric:splitBy()"_s << u"my.ingested.metric"_s;
    QTest::newRow("dotted bare") << u"my.metric"_s << u"my.metric"_s;
    QTest::newRow("quoted with escapes") << u"\"calc:weird key~\"x\":sum"_s << u"calc:weird key\"x"_s;
    QTest::newRow("quoted tilde escape") << u"\"my~~metric\""_s << u"my~metric"_s;
    QTest::newRow("shared prefix expansion") << u"builtin:host.cpu.(idle,user)"_s << u"builtin:host.cpu"_s;
    QTest::newRow("shared prefix with chain")
        << u"builtin:host.cpu.(idle,user):avg"_s << u"builtin:host.cpu"_s;
    QTest::newRow("dotted prefix expansion") << u"my.metric.(a,b)"_s << u"my.metric"_s;
    QTest::newRow("surrounding whitespace")
        << u"  builtin:service.errors.total.rate  "_s << u"builtin:service.errors.total.rate"_s;
    QTest::newRow("comma list takes first") << u"builtin:a.b,builtin:c.d"_s << u"builtin:a.b"_s;
    QTest::newRow("filter with colon inside")
        << u"calc:service.x:filter(eq(\"Build\",\"1:2\")):sum"_s << u"calc:service.x"_s;
    QTest::newRow("dotless key then aggregation") << u"requests:sum"_s << u"requests"_s;
    QTest::newRow("dotless key then splitBy") << u"requests:splitBy(\"Build\")"_s << u"requests"_s;
    QTest::newRow("expression uses first operand")
        << u"(calc:service.failed_by_build:splitBy(\"Build\"):sum / calc:service.requests_by_build:sum)*100"_s
        << u"calc:service.failed_by_build"_s;
    QTest::newRow("ext key with dash") << u"ext:tech.python-app.cpu:max"_s << u"ext:tech.python-app.cpu"_s;
    QTest::newRow("empty") << QString() << QString();
}

void TestMetricSelector::metricKeyOf()
{
    QFETCH(QString, selector);
    QFETCH(QString, key);
    QCOMPARE(canary::dynatrace::metricKeyOf(selector), key);
}

void TestMetricSelector::isBareMetricKey_data()
{
    QTest::addColumn<QString>("selector");
    QTest::addColumn<bool>("bare");

    QTest::newRow("builtin") << u"builtin:service.requestCount.total"_s << true;
    QTest::newRow("calc") << u"calc:service.requests_by_build"_s << true;
    QTest::newRow("dotted custom") << u"my.metric"_s << true;
    QTest::newRow("quoted") << u"\"calc:weird key~\"x\""_s << true;
    QTest::newRow("with whitespace") << u" calc:service.requests_by_build "_s << true;
    QTest::newRow("with aggregation") << u"calc:service.requests_by_build:sum"_s << false;
    QTest::newRow("with splitBy") << u"builtin:service.response.time:splitBy()"_s << false;
    QTest::newRow("quoted with chain") << u"\"calc:weird\":sum"_s << false;
    QTest::newRow("unterminated quote") << u"\"calc:weird"_s << false;
    QTest::newRow("expansion") << u"builtin:host.cpu.(idle,user)"_s << false;
    QTest::newRow("list") << u"builtin:a.b,builtin:c.d"_s << false;
    QTest::newRow("expression") << u"(builtin:a.b)"_s << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("blank") << u"   "_s << false;
}

void TestMetricSelector::isBareMetricKey()
{
    QFETCH(QString, selector);
    QFETCH(bool, bare);
    QCOMPARE(canary::dynatrace::isBareMetricKey(selector), bare);
}

void TestMetricSelector::perBuildSelector_data()
{
    QTest::addColumn<QString>("selector");
    QTest::addColumn<QString>("dimension");
    QTest::addColumn<QString>("expected");

    QTest::newRow("bare calc") << u"calc:service.requests_by_build"_s << u"Build"_s
                               << u"calc:service.requests_by_build:splitBy(\"Build\"):sum"_s;
    QTest::newRow("trimmed") << u" calc:service.requests_by_build\n"_s << u"Build"_s
                             << u"calc:service.requests_by_build:splitBy(\"Build\"):sum"_s;
    QTest::newRow("dimension needing escapes") << u"calc:service.x"_s << u"my \"build\" ~v"_s
                                               << u"calc:service.x:splitBy(\"my ~\"build~\" ~~v\"):sum"_s;
    QTest::newRow("quoted key kept quoted")
        << u"\"calc:weird key\""_s << u"Build"_s << u"\"calc:weird key\":splitBy(\"Build\"):sum"_s;
    QTest::newRow("operator chain untouched")
        << u"calc:service.requests_by_build:splitBy(\"Version\"):avg"_s << u"Build"_s
        << u"calc:service.requests_by_build:splitBy(\"Version\"):avg"_s;
    QTest::newRow("expansion untouched")
        << u"builtin:host.cpu.(idle,user)"_s << u"Build"_s << u"builtin:host.cpu.(idle,user)"_s;
}

void TestMetricSelector::perBuildSelector()
{
    QFETCH(QString, selector);
    QFETCH(QString, dimension);
    QFETCH(QString, expected);
    QCOMPARE(canary::dynatrace::perBuildSelector(selector, dimension), expected);
}

void TestMetricSelector::perBuildSelector_withAggregation()
{
    // Response time per build is an average over the requests, not a sum.
    QCOMPARE(
        canary::dynatrace::perBuildSelector(u"calc:service.responsetime_by_build"_s, u"Build"_s, u"avg"_s),
        u"calc:service.responsetime_by_build:splitBy(\"Build\"):avg"_s);
    QCOMPARE(
        canary::dynatrace::perBuildSelector(u"calc:service.x:splitBy(\"V\"):max"_s, u"Build"_s, u"avg"_s),
        u"calc:service.x:splitBy(\"V\"):max"_s);
}

void TestMetricSelector::quoteSelectorString_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("quoted");

    QTest::newRow("plain") << u"Build"_s << u"\"Build\""_s;
    QTest::newRow("empty") << QString() << u"\"\""_s;
    QTest::newRow("quote") << u"a\"b"_s << u"\"a~\"b\""_s;
    QTest::newRow("tilde") << u"a~b"_s << u"\"a~~b\""_s;
    QTest::newRow("tilde before quote") << u"~\""_s << u"\"~~~\"\""_s;
    QTest::newRow("selector syntax is literal") << u"x:sum(,)"_s << u"\"x:sum(,)\""_s;
    QTest::newRow("non-latin") << u"Größe"_s << u"\"Größe\""_s;
}

void TestMetricSelector::quoteSelectorString()
{
    QFETCH(QString, text);
    QFETCH(QString, quoted);
    QCOMPARE(canary::dynatrace::quoteSelectorString(text), quoted);
}

// Quoting and key extraction are inverses: what the settings dialog quotes, the descriptor lookup reads back.
void TestMetricSelector::quotedKeyRoundTrips()
{
    const QStringList keys { u"calc:service.requests_by_build"_s, u"calc:weird \"key\""_s, u"~~\"~"_s,
        u"key with: colon, comma (paren)"_s };
    for (const QString &key : keys) {
        const QString quoted = canary::dynatrace::quoteSelectorString(key);
        QCOMPARE(canary::dynatrace::metricKeyOf(quoted), key);
        QVERIFY2(canary::dynatrace::isBareMetricKey(quoted), qPrintable(quoted));
        QCOMPARE(canary::dynatrace::metricKeyOf(quoted + u":splitBy(\"Build\"):sum"_s), key);
    }
}

QTEST_GUILESS_MAIN(TestMetricSelector)
#include "tst_metricselector.moc"
