#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QTest>

#include "awxsimfixture.h"
#include "sim/eventstore.h"
#include "sim/simserver.h"
#include "sim/world.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::AwxApi;
using canary::sim::StoredEvent;
using canary::testing::AwxSimFixture;

namespace {

// One finished HTTP exchange with the simulator.
struct Answer
{
    int status = 0;
    QByteArray body;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

Answer send(QNetworkAccessManager &nam, const QUrl &baseUrl, const QByteArray &method, const QString &path,
    const QByteArray &authorization, const QByteArray &body = {})
{
    QNetworkRequest request(baseUrl.resolved(QUrl(path)));
    request.setRawHeader("Authorization", authorization);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
    QNetworkReply *reply = nam.sendCustomRequest(request, method, body);
    Answer answer;
    if (QTest::qWaitFor([reply] { return reply->isFinished(); }, 5000)) {
        answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        answer.body = reply->readAll();
    }
    reply->deleteLater();
    return answer;
}

// The events the AWX jobs left in the tenant, oldest first (the store keeps them newest first).
QList<StoredEvent> recorded(AwxSimFixture &fixture)
{
    QList<StoredEvent> events = fixture.environment->events().events();
    std::reverse(events.begin(), events.end());
    return events;
}

QMap<QString, QString> workshopProperties(const QString &remediationAction)
{
    return { { u"remediationAction"_s, remediationAction }, { u"remediationType"_s, u"ansible"_s } };
}

} // namespace

// What the workshop's canary templates leave besides the router's weight: the Dynatrace event of each weight
// they set (seed-workshop.md §3) and an Ansible log that grows while they run.
class TestAwxSimEvents : public QObject
{
    Q_OBJECT

private:
    QNetworkAccessManager m_nam;

    Answer request(
        AwxSimFixture &fixture, const QByteArray &method, const QString &path, const QByteArray &body = {})
    {
        return send(
            m_nam, fixture.environment->baseUrl(), method, path, "Bearer " + fixture.token().toUtf8(), body);
    }

    int launch(AwxSimFixture &fixture, int templateId, const QByteArray &body = "{}")
    {
        const Answer launched
            = request(fixture, "POST", u"/api/v2/job_templates/%1/launch/"_s.arg(templateId), body);
        if (launched.status != 201)
            qWarning("launch %d: %d %s", templateId, launched.status, launched.body.constData());
        return launched.json().value(u"job"_s).toInt();
    }

    QString status(AwxSimFixture &fixture, int jobId)
    {
        return request(fixture, "GET", u"/api/v2/jobs/%1/"_s.arg(jobId)).json().value(u"status"_s).toString();
    }

    // GET stdout/?format=json[&start_line=…]: the range and the content.
    QJsonObject stdoutFrom(AwxSimFixture &fixture, int jobId, const QString &extraQuery = {})
    {
        return request(fixture, "GET", u"/api/v2/jobs/%1/stdout/?format=json%2"_s.arg(jobId).arg(extraQuery))
            .json();
    }

    static void verifyOnTheService(AwxSimFixture &fixture, const StoredEvent &event)
    {
        QCOMPARE(event.eventType, u"CUSTOM_CONFIGURATION"_s);
        QCOMPARE(event.entityId, fixture.environment->serviceId());
        QCOMPARE(event.entityType, u"SERVICE"_s);
        QCOMPARE(event.entityName, fixture.environment->serviceName());
        QCOMPARE(event.entityTags, fixture.world().service().tags);
    }

private Q_SLOTS:
    void initTestCase() { QNetworkProxy::setApplicationProxy(QNetworkProxy::NoProxy); }

    void reset_atFullCanary_recordsWeightZero_whenItSucceeds()
    {
        AwxSimFixture fixture(100);
        const qint64 launchedMs = fixture.clock.nowMs();
        const int jobId = launch(fixture, AwxApi::ResetCanaryWeightingTemplateId);
        QVERIFY(jobId > 0);

        // 1 s pending, 3 s running: nothing is reported before the job succeeds.
        fixture.clock.advanceMs(3999);
        QCOMPARE(status(fixture, jobId), u"running"_s);
        QCOMPARE(fixture.world().canaryWeight(), 100);
        QCOMPARE(fixture.environment->events().size(), 0);

        fixture.clock.advanceMs(1);
        QCOMPARE(status(fixture, jobId), u"successful"_s);
        QCOMPARE(fixture.world().canaryWeight(), 0);
        const QList<StoredEvent> events = recorded(fixture);
        QCOMPARE(events.size(), 1);
        const StoredEvent &reset = events.at(0);
        QCOMPARE(reset.title, u"Canary weight set to 0"_s);
        QCOMPARE(reset.startMs, launchedMs + 4000);
        QCOMPARE(reset.properties, workshopProperties(u"NA"_s));
        verifyOnTheService(fixture, reset);

        // Listed by the tenant like any ingested event.
        const Answer listed = send(m_nam, fixture.environment->baseUrl(), "GET",
            u"/api/v2/events/"_s + reset.eventId, "Api-Token " + fixture.token().toUtf8());
        QCOMPARE(listed.status, 200);
        QCOMPARE(listed.json().value(u"title"_s).toString(), u"Canary weight set to 0"_s);
        QCOMPARE(listed.json().value(u"startTime"_s).toInteger(), launchedMs + 4000);
    }

    void reset_canceled_recordsNothing()
    {
        AwxSimFixture fixture(100);
        const int jobId = launch(fixture, AwxApi::ResetCanaryWeightingTemplateId);
        fixture.clock.advanceMs(2000);
        QCOMPARE(request(fixture, "POST", u"/api/v2/jobs/%1/cancel/"_s.arg(jobId)).status, 202);
        fixture.clock.advanceMs(10'000);
        QCOMPARE(status(fixture, jobId), u"canceled"_s);
        QCOMPARE(fixture.world().canaryWeight(), 100);
        QCOMPARE(fixture.environment->events().size(), 0);
    }

    void ramp_recordsEachStep_withTheResetTemplate()
    {
        AwxSimFixture fixture(0);
        const qint64 launchedMs = fixture.clock.nowMs();
        const int jobId = launch(fixture, AwxApi::StartCanaryDeploymentTemplateId);
        QVERIFY(jobId > 0);

        // Steps of 10 s once running (after 1 s pending), then 3 s to finish.
        const qint64 firstStepMs = launchedMs + 1000;
        const std::array<std::pair<qint64, int>, 3> steps { { { firstStepMs, 30 },
            { firstStepMs + 10'000, 70 }, { firstStepMs + 20'000, 100 } } };
        for (qsizetype i = 0; i < qsizetype(steps.size()); ++i) {
            const auto [atMs, weight] = steps.at(std::size_t(i));
            fixture.clock.setNowMs(atMs - 1);
            QCOMPARE(fixture.environment->events().size(), i);
            fixture.clock.setNowMs(atMs);
            QCOMPARE(fixture.world().canaryWeight(), weight);
            const QList<StoredEvent> events = recorded(fixture);
            QCOMPARE(events.size(), i + 1);
            const StoredEvent &event = events.at(i);
            QCOMPARE(event.title, u"Canary weight set to %1"_s.arg(weight));
            QCOMPARE(event.startMs, atMs);
            QCOMPARE(event.properties,
                workshopProperties(QString::number(AwxApi::ResetCanaryWeightingTemplateId)));
            verifyOnTheService(fixture, event);
        }
        fixture.clock.setNowMs(firstStepMs + 23'000);
        QCOMPARE(status(fixture, jobId), u"successful"_s);
        QCOMPARE(fixture.environment->events().size(), 3); // success itself sets nothing new
    }

    void ramp_remediationAction_followsTheLaunchVariables()
    {
        // "Start canary deployment" asks for variables, so a launch may name another reset template.
        AwxSimFixture fixture(0);
        launch(fixture, AwxApi::StartCanaryDeploymentTemplateId,
            R"({"extra_vars":{"remediation_template_id":42}})");
        fixture.clock.advanceMs(1000);
        const QList<StoredEvent> events = recorded(fixture);
        QCOMPARE(events.size(), 1);
        QCOMPARE(events.at(0).properties.value(u"remediationAction"_s), u"42"_s);
    }

    void ramp_clockJumpingPastEverything_recordsEachStepAtItsOwnTime()
    {
        AwxSimFixture fixture(0);
        const qint64 launchedMs = fixture.clock.nowMs();
        launch(fixture, AwxApi::StartCanaryDeploymentTemplateId);
        fixture.clock.advanceMs(60'000);
        const QList<StoredEvent> events = recorded(fixture);
        QCOMPARE(events.size(), 3);
        QCOMPARE(events.at(0).startMs, launchedMs + 1000);
        QCOMPARE(events.at(1).startMs, launchedMs + 11'000);
        QCOMPARE(events.at(2).startMs, launchedMs + 21'000);
        QCOMPARE(fixture.world().canaryWeight(), 100);
    }

    void setWeightTemplate_recordsNothing()
    {
        // Only the workshop's canary.yaml reports to Dynatrace.
        AwxSimFixture fixture(0);
        launch(fixture, AwxApi::SetCanaryWeightTemplateId, R"({"extra_vars":{"canary_weight":30}})");
        fixture.clock.advanceMs(5000);
        QCOMPARE(fixture.world().canaryWeight(), 30);
        QCOMPARE(fixture.environment->events().size(), 0);
    }

    void awxApiAlone_runsWithoutReporter()
    {
        VirtualClock clock(AwxSimFixture::StartMs);
        sim::World world(sim::WorldConfig {}, 1, clock);
        world.setCanaryWeight(100);
        sim::SimServer server;
        sim::AwxApi awx(world, server);
        server.addToken(u"awx-token"_s, { u"awx.write"_s });
        QVERIFY(server.start(QHostAddress::LocalHost, 0));
        QUrl baseUrl(u"http://127.0.0.1"_s);
        baseUrl.setPort(server.port());

        const Answer launched = send(m_nam, baseUrl, "POST",
            u"/api/v2/job_templates/%1/launch/"_s.arg(AwxApi::ResetCanaryWeightingTemplateId),
            "Bearer awx-token", "{}");
        QCOMPARE(launched.status, 201);
        clock.advanceMs(4000);
        QCOMPARE(awx.job(launched.json().value(u"job"_s).toInt())->status, u"successful"_s);
        QCOMPARE(world.canaryWeight(), 0);
    }

    void rampOutput_growsWhileItRuns_andCanBeTailed()
    {
        AwxSimFixture fixture(0);
        const int jobId = launch(fixture, AwxApi::StartCanaryDeploymentTemplateId);
        QCOMPARE(stdoutFrom(fixture, jobId).value(u"content"_s).toString(), QString()); // pending

        // Polled like a client tailing the log: each read asks only for what follows the last one.
        QString tailed;
        QStringList reads;
        qint64 nextLine = 0;
        for (const qint64 advance : { 1000, 10'000, 10'000, 3000 }) {
            fixture.clock.advanceMs(advance);
            const QJsonObject page = stdoutFrom(fixture, jobId, u"&start_line=%1"_s.arg(nextLine));
            const QJsonObject range = page.value(u"range"_s).toObject();
            QCOMPARE(range.value(u"start"_s).toInteger(), nextLine);
            QCOMPARE(range.value(u"end"_s).toInteger(), range.value(u"absolute_end"_s).toInteger());
            QVERIFY(range.value(u"end"_s).toInteger() > nextLine); // every read brings new lines
            nextLine = range.value(u"end"_s).toInteger();
            reads.append(page.value(u"content"_s).toString());
            tailed += reads.constLast();
        }
        QVERIFY2(reads.at(0).contains(u"PLAY [Start canary deployment] ***"_s), qPrintable(reads.at(0)));
        QVERIFY(reads.at(0).contains(u"TASK [Increment canary weight] ***"_s));
        QVERIFY(reads.at(0).contains(u"'canaryWeight': 30"_s));
        QVERIFY2(
            reads.at(1).startsWith(u"changed: [localhost] => (item={'oldWeight': 30, 'canaryWeight': 70})"_s),
            qPrintable(reads.at(1)));
        QVERIFY(reads.at(2).contains(u"'canaryWeight': 100"_s));
        QVERIFY(reads.at(3).contains(u"PLAY RECAP"_s));
        QVERIFY(!reads.at(2).contains(u"PLAY RECAP"_s));

        // The pieces add up to the whole log.
        const QJsonObject whole = stdoutFrom(fixture, jobId);
        QCOMPARE(whole.value(u"content"_s).toString(), tailed);
        QCOMPARE(whole.value(u"range"_s).toObject().value(u"start"_s).toInteger(), 0);
    }

    void resetOutput_showsItsTaskWhileRunning()
    {
        AwxSimFixture fixture(100);
        const int jobId = launch(fixture, AwxApi::ResetCanaryWeightingTemplateId);
        fixture.clock.advanceMs(1000);
        const QString running = stdoutFrom(fixture, jobId).value(u"content"_s).toString();
        QVERIFY2(running.contains(u"PLAY [Reset canary weighting] ***"_s), qPrintable(running));
        QVERIFY(running.contains(u"TASK [Reset canary weight to 0] ***"_s));
        QVERIFY(!running.contains(u"changed: [localhost]"_s));
        fixture.clock.advanceMs(3000);
        const QString finished = stdoutFrom(fixture, jobId).value(u"content"_s).toString();
        QVERIFY(finished.startsWith(running));
        QVERIFY(finished.contains(u"changed: [localhost]"_s));
        QVERIFY(finished.contains(u"ok=1    changed=1"_s));
    }

    void stdoutRange_slicesLikeAwx_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<int>("start"); // negative: counted from the end
        QTest::addColumn<int>("end"); // -1: the log's line count
        QTest::newRow("all") << QString() << 0 << -1;
        QTest::newRow("from line 2") << u"&start_line=2"_s << 2 << -1;
        QTest::newRow("lines 1 to 3") << u"&start_line=1&end_line=3"_s << 1 << 3;
        QTest::newRow("last two") << u"&start_line=-2"_s << -2 << -1;
        QTest::newRow("past the end") << u"&start_line=500"_s << 500 << -1;
        QTest::newRow("not a number") << u"&start_line=x"_s << 0 << -1;
    }

    void stdoutRange_slicesLikeAwx()
    {
        QFETCH(QString, query);
        QFETCH(int, start);
        QFETCH(int, end);
        AwxSimFixture fixture(100);
        const int jobId = launch(fixture, AwxApi::ResetCanaryWeightingTemplateId);
        fixture.clock.advanceMs(5000);
        const QString whole = stdoutFrom(fixture, jobId).value(u"content"_s).toString();
        const QStringList lines = whole.split(u'\n');
        const qsizetype total = whole.count(u'\n');
        QVERIFY(total > 5);
        const qsizetype first = std::min(start < 0 ? total + start : qsizetype(start), total);
        const qsizetype last = end < 0 ? total : end;
        QString expected;
        for (qsizetype i = first; i < last; ++i)
            expected += lines.at(i) + u'\n';

        const QJsonObject page = stdoutFrom(fixture, jobId, query);
        const QJsonObject range = page.value(u"range"_s).toObject();
        QCOMPARE(range.value(u"absolute_end"_s).toInteger(), total);
        QCOMPARE(range.value(u"start"_s).toInteger(), start < 0 ? total + start : start);
        QCOMPARE(range.value(u"end"_s).toInteger(), last);
        QCOMPARE(page.value(u"content"_s).toString(), expected);
    }
};

QTEST_GUILESS_MAIN(TestAwxSimEvents)
#include "tst_awxsimevents.moc"
