#include <cctype>

#include <QTest>

#include "net/urlbuilder.h"

using namespace Qt::Literals::StringLiterals;
using canary::net::QueryItems;

namespace {

// What a form-decoding server (Dynatrace's) makes of the query we put on the wire.
QueryItems formDecode(const QByteArray &query)
{
    QueryItems items;
    if (query.isEmpty())
        return items;
    for (const QByteArray &pair : query.split('&')) {
        const qsizetype equals = pair.indexOf('=');
        QByteArray key = equals < 0 ? pair : pair.left(equals);
        QByteArray value = equals < 0 ? QByteArray() : pair.mid(equals + 1);
        key.replace('+', ' ');
        value.replace('+', ' ');
        items.append({ QString::fromUtf8(QByteArray::fromPercentEncoding(key)),
            QString::fromUtf8(QByteArray::fromPercentEncoding(value)) });
    }
    return items;
}

// The query exactly as QNetworkAccessManager sends it.
QByteArray wireQuery(const QUrl &url)
{
    const QByteArray encoded = url.toEncoded();
    const qsizetype question = encoded.indexOf('?');
    return question < 0 ? QByteArray() : encoded.mid(question + 1);
}

} // namespace

class TestUrlBuilder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void joinsBaseAndPath_data();
    void joinsBaseAndPath();
    void pathIsTakenDecoded_data();
    void pathIsTakenDecoded();
    void queryRoundTripsThroughFormDecoding_data();
    void queryRoundTripsThroughFormDecoding();
    void noQueryMeansNoQuestionMark();
    void originOf_data();
    void originOf();
};

void TestUrlBuilder::joinsBaseAndPath_data()
{
    QTest::addColumn<QString>("base");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected");

    const QString endpoint = u"/api/v2/metrics/query"_s;
    QTest::newRow("saas") << u"https://abc.live.dynatrace.com"_s << endpoint
                          << u"https://abc.live.dynatrace.com/api/v2/metrics/query"_s;
    QTest::newRow("saas trailing slash") << u"https://abc.live.dynatrace.com/"_s << endpoint
                                         << u"https://abc.live.dynatrace.com/api/v2/metrics/query"_s;
    QTest::newRow("managed keeps base path")
        << u"https://h/e/abc"_s << endpoint << u"https://h/e/abc/api/v2/metrics/query"_s;
    QTest::newRow("managed trailing slash")
        << u"https://h/e/abc/"_s << endpoint << u"https://h/e/abc/api/v2/metrics/query"_s;
    QTest::newRow("several trailing slashes")
        << u"https://h/e/abc///"_s << endpoint << u"https://h/e/abc/api/v2/metrics/query"_s;
    QTest::newRow("relative path") << u"https://h/e/abc"_s << u"api/v2/metrics/query"_s
                                   << u"https://h/e/abc/api/v2/metrics/query"_s;
    QTest::newRow("activegate port") << u"https://ag.internal:9999/e/env-1"_s << endpoint
                                     << u"https://ag.internal:9999/e/env-1/api/v2/metrics/query"_s;
    QTest::newRow("base query and fragment dropped")
        << u"https://h/e/abc?x=1#top"_s << endpoint << u"https://h/e/abc/api/v2/metrics/query"_s;
    QTest::newRow("metric key in path")
        << u"https://h"_s << u"/api/v2/metrics/calc:service.requests_by_build"_s
        << u"https://h/api/v2/metrics/calc:service.requests_by_build"_s;
}

void TestUrlBuilder::joinsBaseAndPath()
{
    QFETCH(QString, base);
    QFETCH(QString, path);
    QFETCH(QString, expected);
    const QUrl url = canary::net::buildUrl(QUrl(base), path);
    QVERIFY(url.isValid());
    QCOMPARE(url.toString(QUrl::FullyEncoded), expected);
}

void TestUrlBuilder::pathIsTakenDecoded_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QByteArray>("encodedPart");

    // MetricsClient::descriptor passes a metric key as it is; QUrl must encode it, not interpret it.
    QTest::newRow("quote and space") << u"calc:weird key\"x"_s << QByteArray("calc:weird%20key%22x");
    QTest::newRow("percent sequence stays literal") << u"my.metric%41b"_s << QByteArray("my.metric%2541b");
    QTest::newRow("lone percent") << u"my.metric%"_s << QByteArray("my.metric%25");
    QTest::newRow("question mark is not a query") << u"my.metric?x=1"_s << QByteArray("my.metric%3Fx=1");
    QTest::newRow("hash is not a fragment") << u"my.metric#1"_s << QByteArray("my.metric%231");
    QTest::newRow("non-latin") << u"my.größe"_s << QByteArray("my.gr%C3%B6%C3%9Fe");
}

void TestUrlBuilder::pathIsTakenDecoded()
{
    QFETCH(QString, key);
    QFETCH(QByteArray, encodedPart);
    const QUrl url = canary::net::buildUrl(QUrl(u"https://h/e/abc"_s), u"/api/v2/metrics/"_s + key);
    QVERIFY(url.isValid());
    QCOMPARE(url.path(), u"/e/abc/api/v2/metrics/"_s + key);
    QVERIFY(!url.hasQuery());
    QVERIFY(!url.hasFragment());
    QCOMPARE(url.toEncoded(), "https://h/e/abc/api/v2/metrics/" + encodedPart);
}

void TestUrlBuilder::queryRoundTripsThroughFormDecoding_data()
{
    QTest::addColumn<QueryItems>("items");

    QTest::newRow("plus in a filter value") << QueryItems { { u"metricSelector"_s,
        u"calc:service.x:filter(eq(\"Build\",\"1.0+beta\")):splitBy(\"Build\"):sum"_s } };
    QTest::newRow("full metrics query") << QueryItems {
        { u"metricSelector"_s,
            u"calc:service.requests_by_build:splitBy(\"dt.entity.service\",\"Build\"):sum:names"_s },
        { u"entitySelector"_s, u"type(SERVICE),entityId(\"SERVICE-F91837027736B19E\")"_s },
        { u"from"_s, u"2021-01-25T05:57:01.123+01:00"_s }, { u"to"_s, u"now-5m/m"_s },
        { u"resolution"_s, u"1h"_s }
    };
    QTest::newRow("query syntax inside values")
        << QueryItems { { u"a"_s, u"x&y=z"_s }, { u"b"_s, u"50% #1 ?"_s }, { u"c"_s, u"tag(~\"x~\")"_s } };
    QTest::newRow("spaces and non-latin")
        << QueryItems { { u"eventSelector"_s, u"property.Build(\"größe 2\")"_s } };
    QTest::newRow("empty value") << QueryItems { { u"nextPageKey"_s, QString() }, { u"x"_s, u"1"_s } };
    QTest::newRow("key needing encoding") << QueryItems { { u"a b+c"_s, u"1"_s } };
}

void TestUrlBuilder::queryRoundTripsThroughFormDecoding()
{
    QFETCH(QueryItems, items);
    const QUrl url = canary::net::buildUrl(QUrl(u"https://h/e/abc"_s), u"/api/v2/metrics/query"_s, items);
    QVERIFY(url.isValid());
    const QByteArray query = wireQuery(url);

    // Only unreserved characters, separators and escapes: nothing a form decoder or proxy reinterprets.
    for (const char c : query) {
        const bool plain
            = std::isalnum(static_cast<unsigned char>(c)) || QByteArrayView("-._~%&=").contains(c);
        QVERIFY2(plain,
            qPrintable(u"'%1' unencoded in %2"_s.arg(QChar::fromLatin1(c), QString::fromLatin1(query))));
    }
    QCOMPARE(formDecode(query), items);
}

void TestUrlBuilder::noQueryMeansNoQuestionMark()
{
    const QUrl url = canary::net::buildUrl(QUrl(u"https://h/e/abc"_s), u"/api/v2/metrics/query"_s, {});
    QVERIFY(!url.hasQuery());
    QVERIFY(!url.toEncoded().contains('?'));

    const QUrl plus = canary::net::buildUrl(QUrl(u"https://h"_s), u"/x"_s, { { u"v"_s, u"1+1"_s } });
    QCOMPARE(wireQuery(plus), QByteArray("v=1%2B1"));
}

void TestUrlBuilder::originOf_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("origin");

    QTest::newRow("https default port")
        << u"https://abc.live.dynatrace.com/api/v2"_s << u"https://abc.live.dynatrace.com:443"_s;
    QTest::newRow("https explicit 443")
        << u"https://abc.live.dynatrace.com:443/x"_s << u"https://abc.live.dynatrace.com:443"_s;
    QTest::newRow("http default port") << u"http://h/e/abc"_s << u"http://h:80"_s;
    QTest::newRow("explicit port") << u"https://ag:9999/e/env"_s << u"https://ag:9999"_s;
    QTest::newRow("host case folded")
        << u"HTTPS://ABC.Live.Dynatrace.com/"_s << u"https://abc.live.dynatrace.com:443"_s;
    QTest::newRow("path query userinfo ignored") << u"https://u:p@h/a?b=c#d"_s << u"https://h:443"_s;
}

void TestUrlBuilder::originOf()
{
    QFETCH(QString, url);
    QFETCH(QString, origin);
    QCOMPARE(canary::net::originOf(QUrl(url)), origin);
}

QTEST_GUILESS_MAIN(TestUrlBuilder)
#include "tst_urlbuilder.moc"
