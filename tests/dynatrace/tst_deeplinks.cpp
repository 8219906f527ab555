#include <QTest>

#include "dynatrace/deeplinks.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary::dynatrace;

namespace {

constexpr qint64 FromMs = 1'795'686'000'000;
constexpr qint64 ToMs = 1'795'687'200'000;
constexpr qint64 MinuteMs = 60'000;

QString text(const QUrl &url)
{
    return url.toString(QUrl::FullyEncoded);
}

} // namespace

class TestDeepLinks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void servicePage_data();
    void servicePage();
    void problemPage_data();
    void problemPage();
    void eventContext_data();
    void eventContext();
    void nothingToLinkTo();
};

void TestDeepLinks::servicePage_data()
{
    QTest::addColumn<QString>("environment");
    QTest::addColumn<QString>("serviceId");
    QTest::addColumn<QString>("expected");

    const QString window = u"gtf=c_%1_%2"_s.arg(FromMs).arg(ToMs);
    QTest::newRow("SaaS") << u"https://abc12345.live.dynatrace.com"_s << u"SERVICE-C4A7E2B19F03D658"_s
                          << u"https://abc12345.live.dynatrace.com/#newservices/serviceOverview;"
                             "id=SERVICE-C4A7E2B19F03D658;%1;gf=all"_s.arg(window);
    QTest::newRow("trailing slash") << u"https://abc12345.live.dynatrace.com/"_s << u"SERVICE-1"_s
                                    << u"https://abc12345.live.dynatrace.com/#newservices/serviceOverview;"
                                       "id=SERVICE-1;%1;gf=all"_s.arg(window);
    QTest::newRow("Managed") << u"https://dt.example.com/e/7f3c-env"_s << u"SERVICE-1"_s
                             << u"https://dt.example.com/e/7f3c-env/#newservices/serviceOverview;"
                                "id=SERVICE-1;%1;gf=all"_s.arg(window);
    QTest::newRow("new platform")
        << u"https://abc12345.apps.dynatrace.com"_s << u"SERVICE-1"_s
        << u"https://abc12345.apps.dynatrace.com/ui/apps/dynatrace.classic.services/"
           "#serviceOverview;id=SERVICE-1;gf=all;%1"_s.arg(window);
    QTest::newRow("id needing escapes")
        << u"https://abc12345.live.dynatrace.com"_s << u"SERVICE-1;gf=x y"_s
        << u"https://abc12345.live.dynatrace.com/#newservices/serviceOverview;"
           "id=SERVICE-1%3Bgf%3Dx%20y;%1;gf=all"_s.arg(window);
}

void TestDeepLinks::servicePage()
{
    QFETCH(QString, environment);
    QFETCH(QString, serviceId);
    QFETCH(QString, expected);
    const QUrl url = servicePageUrl(QUrl(environment), serviceId, FromMs, ToMs);
    QCOMPARE(text(url), expected);
    QVERIFY(url.isValid());
    // A reversed window is the same window.
    QCOMPARE(text(servicePageUrl(QUrl(environment), serviceId, ToMs, FromMs)), expected);
}

void TestDeepLinks::problemPage_data()
{
    QTest::addColumn<QString>("environment");
    QTest::addColumn<QString>("expected");
    const QString id = u"-8130375692469737113_1604628540000V2"_s;
    QTest::newRow("SaaS") << u"https://abc12345.live.dynatrace.com"_s
                          << u"https://abc12345.live.dynatrace.com/#problems/problemdetails;pid="_s + id;
    QTest::newRow("Managed") << u"https://dt.example.com/e/7f3c-env/"_s
                             << u"https://dt.example.com/e/7f3c-env/#problems/problemdetails;pid="_s + id;
    QTest::newRow("new platform")
        << u"https://abc12345.apps.dynatrace.com"_s
        << u"https://abc12345.apps.dynatrace.com/ui/apps/dynatrace.classic.problems/#problems/problemdetails;pid="_s
            + id;
    QTest::newRow("simulator") << u"http://127.0.0.1:40123"_s
                               << u"http://127.0.0.1:40123/#problems/problemdetails;pid="_s + id;
}

void TestDeepLinks::problemPage()
{
    QFETCH(QString, environment);
    QFETCH(QString, expected);
    QCOMPARE(text(problemPageUrl(QUrl(environment), u"-8130375692469737113_1604628540000V2"_s)), expected);
}

void TestDeepLinks::eventContext_data()
{
    QTest::addColumn<QString>("entityId");
    QTest::addColumn<std::optional<qint64>>("endMs");
    QTest::addColumn<QString>("expected"); // empty: no link

    const QString base = u"https://abc12345.live.dynatrace.com/#newservices/serviceOverview;id=SERVICE-1;"_s;
    QTest::newRow("closed event, 5 minutes either side")
        << u"SERVICE-1"_s << std::optional<qint64>(FromMs + 15 * MinuteMs)
        << base + u"gtf=c_%1_%2;gf=all"_s.arg(FromMs - 5 * MinuteMs).arg(FromMs + 20 * MinuteMs);
    QTest::newRow("open event: until now")
        << u"SERVICE-1"_s << std::optional<qint64>()
        << base + u"gtf=c_%1_%2;gf=all"_s.arg(FromMs - 5 * MinuteMs).arg(ToMs + 5 * MinuteMs);
    QTest::newRow("not on a service")
        << u"PROCESS_GROUP_INSTANCE-1"_s << std::optional<qint64>() << QString();
    QTest::newRow("on the environment") << QString() << std::optional<qint64>() << QString();
}

void TestDeepLinks::eventContext()
{
    QFETCH(QString, entityId);
    QFETCH(std::optional<qint64>, endMs);
    QFETCH(QString, expected);
    Event event;
    event.entityId = entityId;
    event.startMs = FromMs;
    event.endMs = endMs;
    const QUrl url = eventContextUrl(QUrl(u"https://abc12345.live.dynatrace.com"_s), event, ToMs);
    QCOMPARE(text(url), expected);
    QCOMPARE(url.isEmpty(), expected.isEmpty());
}

void TestDeepLinks::nothingToLinkTo()
{
    QVERIFY(servicePageUrl(QUrl(), u"SERVICE-1"_s, FromMs, ToMs).isEmpty());
    QVERIFY(
        servicePageUrl(QUrl(u"https://abc12345.live.dynatrace.com"_s), QString(), FromMs, ToMs).isEmpty());
    QVERIFY(problemPageUrl(QUrl(u"https://abc12345.live.dynatrace.com"_s), QString()).isEmpty());
    QVERIFY(isNewPlatformUrl(QUrl(u"https://abc12345.apps.dynatrace.com"_s)));
    QVERIFY(isNewPlatformUrl(QUrl(u"https://abc12345.sprint.apps.dynatracelabs.com"_s)));
    QVERIFY(!isNewPlatformUrl(QUrl(u"https://abc12345.live.dynatrace.com"_s)));
    QVERIFY(!isNewPlatformUrl(QUrl(u"https://abc.apps.dynatrace.com.evil.example"_s)));
}

QTEST_GUILESS_MAIN(TestDeepLinks)
#include "tst_deeplinks.moc"
