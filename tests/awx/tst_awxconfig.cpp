#include <QProcessEnvironment>
#include <QTest>

#include "awx/awxconfig.h"

using namespace Qt::Literals::StringLiterals;
using canary::awx::AwxConfig;

namespace {

QProcessEnvironment environment(const QList<QPair<QString, QString>> &values)
{
    QProcessEnvironment environment;
    for (const auto &[name, value] : values)
        environment.insert(name, value);
    return environment;
}

} // namespace

class TestAwxConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaults()
    {
        const AwxConfig config;
        QCOMPARE(config.apiPath, u"/api/v2/"_s);
        QCOMPARE(config.canaryVariable, u"canary_weight"_s);
        QCOMPARE(config.oldVariable, u"old_weight"_s);
        QCOMPARE(config.pollIntervalMs, 2000);
        QCOMPARE(config.jobTimeoutMs, 600'000);
    }

    void fromEnvironment_data()
    {
        QTest::addColumn<QUrl>("baseUrl");
        QTest::addColumn<QString>("baseApiPath");
        QTest::addColumn<QString>("baseUser");
        QTest::addColumn<QStringList>("env"); // NAME=value
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("apiPath");
        QTest::addColumn<QByteArray>("authorization");

        QTest::newRow("host and token from the environment")
            << QUrl() << u"/api/v2/"_s << QString()
            << QStringList { u"CONTROLLER_HOST=https://awx.example.com"_s, u"CONTROLLER_OAUTH_TOKEN=tok"_s }
            << u"https://awx.example.com"_s << u"/api/v2/"_s << QByteArray("Bearer tok");
        QTest::newRow("a flag's URL wins over CONTROLLER_HOST")
            << QUrl(u"https://flag.example.com"_s) << u"/api/v2/"_s << QString()
            << QStringList { u"CONTROLLER_HOST=https://env.example.com"_s, u"CONTROLLER_OAUTH_TOKEN=tok"_s }
            << u"https://flag.example.com"_s << u"/api/v2/"_s << QByteArray("Bearer tok");
        QTest::newRow("bare host gets https")
            << QUrl() << u"/api/v2/"_s << QString()
            << QStringList { u"CONTROLLER_HOST=awx.example.com:8043"_s, u"CONTROLLER_OAUTH_TOKEN=tok"_s }
            << u"https://awx.example.com:8043"_s << u"/api/v2/"_s << QByteArray("Bearer tok");
        QTest::newRow("API path in the URL moves to apiPath")
            << QUrl() << u"/api/v2/"_s << QString()
            << QStringList { u"CONTROLLER_HOST=https://aap.example.com/api/controller/v2/"_s,
                   u"CONTROLLER_OAUTH_TOKEN=tok"_s }
            << u"https://aap.example.com"_s << u"/api/controller/v2/"_s << QByteArray("Bearer tok");
        QTest::newRow("apiPath normalised")
            << QUrl(u"http://awx.local"_s) << u"api/controller/v2"_s << QString()
            << QStringList { u"CONTROLLER_OAUTH_TOKEN=tok"_s } << u"http://awx.local"_s
            << u"/api/controller/v2/"_s << QByteArray("Bearer tok");
        QTest::newRow("basic from the environment")
            << QUrl(u"https://awx.example.com"_s) << u"/api/v2/"_s << QString()
            << QStringList { u"CONTROLLER_USERNAME=admin"_s, u"CONTROLLER_PASSWORD=s3cret"_s }
            << u"https://awx.example.com"_s << u"/api/v2/"_s
            << QByteArray("Basic " + QByteArray("admin:s3cret").toBase64());
        QTest::newRow("a flag's user wins, the password comes from the environment")
            << QUrl(u"https://awx.example.com"_s) << u"/api/v2/"_s << u"operator"_s
            << QStringList { u"CONTROLLER_USERNAME=admin"_s, u"CONTROLLER_PASSWORD=pw"_s }
            << u"https://awx.example.com"_s << u"/api/v2/"_s
            << QByteArray("Basic " + QByteArray("operator:pw").toBase64());
        QTest::newRow("token wins over user and password")
            << QUrl(u"https://awx.example.com"_s) << u"/api/v2/"_s << QString()
            << QStringList { u"CONTROLLER_USERNAME=admin"_s, u"CONTROLLER_PASSWORD=pw"_s,
                   u"CONTROLLER_OAUTH_TOKEN=tok"_s }
            << u"https://awx.example.com"_s << u"/api/v2/"_s << QByteArray("Bearer tok");
        QTest::newRow("TOWER_* aliases")
            << QUrl() << u"/api/v2/"_s << QString()
            << QStringList { u"TOWER_HOST=https://tower.example.com"_s, u"TOWER_OAUTH_TOKEN=old"_s }
            << u"https://tower.example.com"_s << u"/api/v2/"_s << QByteArray("Bearer old");
        QTest::newRow("CONTROLLER_* wins over TOWER_*")
            << QUrl() << u"/api/v2/"_s << QString()
            << QStringList { u"TOWER_HOST=https://tower.example.com"_s,
                   u"CONTROLLER_HOST=https://awx.example.com"_s, u"TOWER_OAUTH_TOKEN=old"_s,
                   u"CONTROLLER_OAUTH_TOKEN=new"_s }
            << u"https://awx.example.com"_s << u"/api/v2/"_s << QByteArray("Bearer new");
    }

    void fromEnvironment()
    {
        QFETCH(QUrl, baseUrl);
        QFETCH(QString, baseApiPath);
        QFETCH(QString, baseUser);
        QFETCH(QStringList, env);
        QFETCH(QString, url);
        QFETCH(QString, apiPath);
        QFETCH(QByteArray, authorization);

        QProcessEnvironment environment;
        for (const QString &entry : env)
            environment.insert(entry.section(u'=', 0, 0), entry.section(u'=', 1));
        AwxConfig base;
        base.url = baseUrl;
        base.apiPath = baseApiPath;
        base.username = baseUser;
        base.templateRef = u"Set canary weight"_s;
        const auto config = AwxConfig::fromEnvironment(environment, base);
        QVERIFY2(config, qPrintable(config ? QString() : config.error()));
        QCOMPARE(config->url.toString(), url);
        QCOMPARE(config->apiPath, apiPath);
        QCOMPARE(config->authorizationHeader(), authorization);
        QCOMPARE(config->templateRef, u"Set canary weight"_s); // untouched
    }

    void fromEnvironment_errors_data()
    {
        QTest::addColumn<QUrl>("baseUrl");
        QTest::addColumn<QStringList>("env");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("no URL") << QUrl() << QStringList { u"CONTROLLER_OAUTH_TOKEN=tok"_s }
                                << u"CONTROLLER_HOST"_s;
        QTest::newRow("no credentials")
            << QUrl(u"https://awx.example.com"_s) << QStringList() << u"CONTROLLER_OAUTH_TOKEN"_s;
        QTest::newRow("user without password")
            << QUrl(u"https://awx.example.com"_s) << QStringList { u"CONTROLLER_USERNAME=admin"_s }
            << u"CONTROLLER_PASSWORD"_s;
        QTest::newRow("not http") << QUrl(u"ftp://awx.example.com"_s)
                                  << QStringList { u"CONTROLLER_OAUTH_TOKEN=t"_s } << u"not an http(s) URL"_s;
        QTest::newRow("credentials in the URL")
            << QUrl(u"https://admin:pw@awx.example.com"_s) << QStringList { u"CONTROLLER_OAUTH_TOKEN=t"_s }
            << u"must not carry credentials"_s;
    }

    void fromEnvironment_errors()
    {
        QFETCH(QUrl, baseUrl);
        QFETCH(QStringList, env);
        QFETCH(QString, mentions);
        QProcessEnvironment environment;
        for (const QString &entry : env)
            environment.insert(entry.section(u'=', 0, 0), entry.section(u'=', 1));
        AwxConfig base;
        base.url = baseUrl;
        const auto config = AwxConfig::fromEnvironment(environment, base);
        QVERIFY(!config);
        QVERIFY2(config.error().contains(mentions), qPrintable(config.error()));
        // Whatever went wrong, no secret is repeated back.
        QVERIFY(!config.error().contains(u"pw"_s));
    }

    void fromEnvironment_rejectsBadTimings()
    {
        AwxConfig base;
        base.url = QUrl(u"https://awx.example.com"_s);
        base.pollIntervalMs = 0;
        const auto env = environment({ { u"CONTROLLER_OAUTH_TOKEN"_s, u"t"_s } });
        QVERIFY(!AwxConfig::fromEnvironment(env, base));
        base.pollIntervalMs = 100;
        base.jobTimeoutMs = -1;
        QVERIFY(!AwxConfig::fromEnvironment(env, base));
        base.jobTimeoutMs = 1000;
        QVERIFY(AwxConfig::fromEnvironment(env, base));
    }

    void apiPaths()
    {
        QCOMPARE(AwxConfig::normaliseApiPath(u" api/v2"_s), u"/api/v2/"_s);
        QCOMPARE(AwxConfig::alternativeApiPath(u"/api/v2/"_s), u"/api/controller/v2/"_s);
        QCOMPARE(AwxConfig::alternativeApiPath(u"/api/controller/v2"_s), u"/api/v2/"_s);
        QCOMPARE(AwxConfig::alternativeApiPath(u"/custom/"_s), QString());
    }

    void hostDisplay()
    {
        AwxConfig config;
        config.url = QUrl(u"https://awx.example.com/"_s);
        QCOMPARE(config.hostDisplay(), u"awx.example.com"_s);
        config.url = QUrl(u"http://127.0.0.1:8052"_s);
        QCOMPARE(config.hostDisplay(), u"127.0.0.1:8052"_s);
        QCOMPARE(config.authorizationHeader(), QByteArray());
    }
};

QTEST_GUILESS_MAIN(TestAwxConfig)
#include "tst_awxconfig.moc"
