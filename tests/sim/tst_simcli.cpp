#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using namespace Qt::Literals::StringLiterals;

namespace {

QProcessEnvironment cleanEnvironment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"CANARY_SIM_TOKEN"_s);
    return environment;
}

struct Banner
{
    QString url;
    QString token;
};

} // namespace

// canary-sim as scripts see it: three parseable lines on stdout, exit codes 0 / 2 / 3.
class TestSimCli : public QObject
{
    Q_OBJECT

private:
    static bool finishes(QProcess &process)
    {
        if (process.state() == QProcess::NotRunning)
            return true;
        QSignalSpy finished(&process, &QProcess::finished);
        return finished.wait(10'000);
    }

    // Reads the banner of a started canary-sim; fails the test when it does not match the documented lines.
    static std::optional<Banner> readBanner(QProcess &process)
    {
        QByteArray output;
        const bool complete = QTest::qWaitFor(
            [&] {
                output += process.readAllStandardOutput();
                return output.count('\n') >= 3 || process.state() == QProcess::NotRunning;
            },
            10'000);
        static const QRegularExpression pattern(
            u"^canary-sim listening on (http://127\\.0\\.0\\.1:\\d+)\nexport DT_ENV_URL=(\\S+)\n"
            "export DT_API_TOKEN=(\\S+)\n$"_s);
        const auto match = pattern.match(QString::fromUtf8(output));
        if (!complete || !match.hasMatch() || match.captured(1) != match.captured(2)) {
            qWarning("unexpected banner: %s", output.constData());
            return std::nullopt;
        }
        return Banner { match.captured(1), match.captured(3) };
    }

    int statusOf(const Banner &banner, const QString &token)
    {
        QUrl url(banner.url + u"/api/v2/metrics/query"_s);
        url.setQuery(
            u"metricSelector=calc:service.requests_by_build:splitBy(\"Build\"):fold(sum)&from=now-30m"_s);
        QNetworkRequest request(url);
        request.setRawHeader("Authorization", "Api-Token " + token.toUtf8());
        QNetworkReply *reply = m_nam.get(request);
        QSignalSpy finished(reply, &QNetworkReply::finished);
        const bool done = finished.wait(10'000);
        m_lastBody = reply->readAll();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        reply->deleteLater();
        return done ? status : -1;
    }

    QNetworkAccessManager m_nam;
    QByteArray m_lastBody;

private Q_SLOTS:
    void initTestCase() { m_nam.setProxy(QNetworkProxy::NoProxy); }

    void printsTheBanner_servesTheWorkshopHistory_andExitsZeroOnSigterm()
    {
        QProcess sim;
        sim.setProcessEnvironment(cleanEnvironment());
        sim.start(QStringLiteral(CANARY_SIM_PATH), { u"--port"_s, u"0"_s, u"--seed"_s, u"3"_s });
        QVERIFY(sim.waitForStarted(10'000));
        const auto banner = readBanner(sim);
        QVERIFY(banner);
        QVERIFY(
            QRegularExpression(u"^dt0c01\\.[A-Z0-9]{24}\\.[A-Z0-9]{64}$"_s).match(banner->token).hasMatch());

        QCOMPARE(statusOf(*banner, banner->token), 200);
        // The default history replays the ramp: both builds had traffic in the last 30 minutes.
        QVERIFY(m_lastBody.contains("1.0.0-034c71"));
        QVERIFY(m_lastBody.contains("4.0.0-034c71"));
        QCOMPARE(statusOf(*banner, u"wrong"_s), 401);

        sim.terminate(); // SIGTERM
        QVERIFY(finishes(sim));
        QCOMPARE(sim.exitStatus(), QProcess::NormalExit);
        QCOMPARE(sim.exitCode(), 0);
    }

    void tokenFromFlagOrEnvironment_andNoHistory()
    {
        QProcess sim;
        QProcessEnvironment environment = cleanEnvironment();
        environment.insert(u"CANARY_SIM_TOKEN"_s, u"dt0c01.FROMENV"_s);
        sim.setProcessEnvironment(environment);
        sim.start(QStringLiteral(CANARY_SIM_PATH),
            { u"--history"_s, u"none"_s, u"--canary-weight"_s, u"100"_s, u"--rate"_s, u"5"_s });
        QVERIFY(sim.waitForStarted(10'000));
        const auto banner = readBanner(sim);
        QVERIFY(banner);
        QCOMPARE(banner->token, u"dt0c01.FROMENV"_s);
        QCOMPARE(statusOf(*banner, banner->token), 200);
        QVERIFY(m_lastBody.contains(R"("data":[])")); // no history: nothing has happened yet
        sim.kill();
        QVERIFY(finishes(sim));

        QProcess flagged;
        flagged.setProcessEnvironment(environment);
        flagged.start(QStringLiteral(CANARY_SIM_PATH), { u"--token"_s, u"dt0c01.FROMFLAG"_s });
        QVERIFY(flagged.waitForStarted(10'000));
        const auto flaggedBanner = readBanner(flagged);
        QVERIFY(flaggedBanner);
        QCOMPARE(flaggedBanner->token, u"dt0c01.FROMFLAG"_s);
        flagged.kill();
        QVERIFY(finishes(flagged));
    }

    void badFlags_exitTwo_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::newRow("port not a number") << QStringList { u"--port"_s, u"http"_s };
        QTest::newRow("port too large") << QStringList { u"--port"_s, u"70000"_s };
        QTest::newRow("bad address") << QStringList { u"--address"_s, u"localhost.invalid"_s };
        QTest::newRow("negative rate") << QStringList { u"--rate"_s, u"-1"_s };
        QTest::newRow("weight above 100") << QStringList { u"--canary-weight"_s, u"101"_s };
        QTest::newRow("unknown history") << QStringList { u"--history"_s, u"everything"_s };
        QTest::newRow("unknown option") << QStringList { u"--frobnicate"_s };
        QTest::newRow("missing value") << QStringList { u"--seed"_s };
    }

    void badFlags_exitTwo()
    {
        QFETCH(QStringList, arguments);
        QProcess sim;
        sim.setProcessEnvironment(cleanEnvironment());
        sim.start(QStringLiteral(CANARY_SIM_PATH), arguments);
        QVERIFY(sim.waitForStarted(10'000));
        QVERIFY(finishes(sim));
        QCOMPARE(sim.exitCode(), 2);
        QVERIFY(sim.readAllStandardOutput().isEmpty());
        QVERIFY(sim.readAllStandardError().startsWith("canary-sim: "));
    }

    void portInUse_exitsThree()
    {
        QTcpServer occupant;
        QVERIFY(occupant.listen(QHostAddress::LocalHost));
        QProcess sim;
        sim.setProcessEnvironment(cleanEnvironment());
        sim.start(QStringLiteral(CANARY_SIM_PATH), { u"--port"_s, QString::number(occupant.serverPort()) });
        QVERIFY(sim.waitForStarted(10'000));
        QVERIFY(finishes(sim));
        QCOMPARE(sim.exitCode(), 3);
        const QByteArray error = sim.readAllStandardError();
        QVERIFY2(error.contains(QByteArray::number(occupant.serverPort())), error.constData());
        QVERIFY2(error.contains("in use"), error.constData());
    }
};

QTEST_GUILESS_MAIN(TestSimCli)
#include "tst_simcli.moc"
