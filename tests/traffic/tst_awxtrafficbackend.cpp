#include <QNetworkProxy>
#include <QSignalSpy>
#include <QTest>

#include "awxsimfixture.h"
#include "fakeawxserver.h"
#include "sim/world.h"
#include "traffic/awxtrafficbackend.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::AwxApi;
using canary::testing::AwxSimFixture;
using canary::testing::FakeAwxServer;
using canary::traffic::AwxTrafficBackend;
using canary::traffic::Split;
using canary::traffic::TrafficError;
using Kind = canary::traffic::TrafficError::Kind;

namespace {

// Collects the one result a back-end call must deliver (and counts, to catch a second one).
struct SplitOutcome
{
    std::optional<traffic::SplitResult> result;
    int calls = 0;

    traffic::SplitCallback callback()
    {
        return [this](const traffic::SplitResult &value) {
            result = value;
            ++calls;
        };
    }
    bool done() const { return result.has_value(); }
    bool ok() const { return result && result->hasValue(); }
    const TrafficError &error() const { return result->error(); }
    QString describe() const
    {
        if (!result)
            return u"no result"_s;
        return ok() ? result->value().toString() : error().summary();
    }
};

QString kindName(Kind kind)
{
    static const QStringList names { u"InvalidInput"_s, u"Configuration"_s, u"Transport"_s, u"Timeout"_s,
        u"Unauthorized"_s, u"Forbidden"_s, u"NotFound"_s, u"Conflict"_s, u"Rejected"_s, u"IgnoredVariables"_s,
        u"JobFailed"_s, u"ServerError"_s, u"UnexpectedShape"_s, u"NotConfirmed"_s };
    return names.value(int(kind), u"?"_s);
}

Split split(int canary)
{
    return *Split::fromCanaryPercent(canary);
}

// A template, pre-flight, launch and job as a minimal AWX would answer them: the baseline each fake-server
// row changes one thing of.
void serveHappyPath(FakeAwxServer &server)
{
    server.on("GET", u"/api/v2/job_templates/5/"_s,
        { { 200,
            "{\"id\":5,\"type\":\"job_template\",\"url\":\"/api/v2/job_templates/5/\",\"name\":\"Canary\","
            "\"ask_variables_on_launch\":true,\"survey_enabled\":false}" } });
    server.on("GET", u"/api/v2/job_templates/5/launch/"_s,
        { { 200,
            "{\"can_start_without_user_input\":true,\"passwords_needed_to_start\":[],\"ask_variables_on_"
            "launch\":true,"
            "\"survey_enabled\":false,\"variables_needed_to_start\":[],\"inventory_needed_to_start\":"
            "false}" } });
    server.on("POST", u"/api/v2/job_templates/5/launch/"_s,
        { { 201,
            "{\"job\":77,\"ignored_fields\":{},\"id\":77,\"type\":\"job\",\"url\":\"/api/v2/jobs/77/"
            "\",\"status\":\"pending\"}" } });
    server.on("GET", u"/api/v2/jobs/77/"_s,
        { { 200,
            "{\"id\":77,\"type\":\"job\",\"url\":\"/api/v2/jobs/77/"
            "\",\"status\":\"successful\",\"failed\":false,"
            "\"artifacts\":{\"canary_weight\":30,\"old_weight\":70}}" } });
    // No job under way before the launch, none with the launch's change id after it.
    server.on("GET", u"/api/v2/jobs/"_s,
        { { 200, "{\"count\":0,\"next\":null,\"previous\":null,\"results\":[]}" } });
}

} // namespace

Q_DECLARE_METATYPE(canary::testing::FakeAwxServer::Response)

class TestAwxTrafficBackend : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QNetworkProxy::setApplicationProxy(QNetworkProxy::NoProxy); }

    void applySplit_launchesTheTemplate_andConfirmsAtSuccess_data()
    {
        QTest::addColumn<QString>("apiPath");
        QTest::addColumn<bool>("basicAuth");
        QTest::addColumn<QString>("templateRef");
        QTest::newRow("AWX, bearer, by id") << u"/api/v2/"_s << false << u"7"_s;
        QTest::newRow("AWX, basic, by name") << u"/api/v2/"_s << true << u"Set canary weight"_s;
        QTest::newRow("gateway, bearer, by name")
            << u"/api/controller/v2/"_s << false << u"Set canary weight"_s;
        QTest::newRow("gateway, basic, by id") << u"/api/controller/v2/"_s << true << u"7"_s;
    }

    void applySplit_launchesTheTemplate_andConfirmsAtSuccess()
    {
        QFETCH(QString, apiPath);
        QFETCH(bool, basicAuth);
        QFETCH(QString, templateRef);
        AwxSimFixture fixture(0);
        awx::AwxConfig config = fixture.config(templateRef, apiPath);
        if (basicAuth) {
            config.username = u"admin"_s;
            config.password = config.token;
            config.token.clear();
        }
        AwxTrafficBackend backend(config, fixture.clock);
        const QString host = u"127.0.0.1:%1"_s.arg(fixture.environment->baseUrl().port());
        QCOMPARE(backend.description(),
            templateRef == u"7"_s ? u"AWX template #7 on "_s + host
                                  : u"AWX template 'Set canary weight' on "_s + host);

        // The world may move only once AWX says the job succeeded, and the job must not succeed without it.
        QList<QPair<QString, int>> statusesSeen;
        connect(&backend, &AwxTrafficBackend::jobStatusChanged, this, [&](int, const QString &status) {
            statusesSeen.append({ status, fixture.world().canaryWeight() });
        });
        QStringList jobStatusAtWeightChange;
        connect(&fixture.world(), &sim::World::canaryWeightChanged, this,
            [&] { jobStatusAtWeightChange.append(fixture.awx().jobs().back().status); });
        QSignalSpy launched(&backend, &AwxTrafficBackend::jobLaunched);

        SplitOutcome applied;
        backend.applySplit(split(30), this, applied.callback());
        fixture.startClock();
        QTRY_VERIFY(applied.done());
        fixture.stopClock();
        QVERIFY2(applied.ok(), qPrintable(applied.describe()));
        QCOMPARE(applied.result->value(), split(30));
        QCOMPARE(fixture.world().canaryWeight(), 30);
        QCOMPARE(jobStatusAtWeightChange, QStringList { u"successful"_s });
        QVERIFY(statusesSeen.size() >= 2);
        QCOMPARE(statusesSeen.front(), qMakePair(u"pending"_s, 0));
        QCOMPARE(statusesSeen.back(), qMakePair(u"successful"_s, 30));
        for (qsizetype i = 0; i + 1 < statusesSeen.size(); ++i)
            QCOMPARE(statusesSeen.at(i).second, 0);

        QCOMPARE(launched.count(), 1);
        const int jobId = launched.front().at(0).toInt();
        QCOMPARE(launched.front().at(1).toUrl(),
            fixture.environment->baseUrl().resolved(QUrl(apiPath + u"jobs/%1/"_s.arg(jobId))));
        const auto job = fixture.awx().job(jobId);
        QCOMPARE(job->extraVars.value(u"canary_weight"_s).toInt(), 30);
        QCOMPARE(job->extraVars.value(u"old_weight"_s).toInt(), 70);
        QCOMPARE(backend.description(), u"AWX template 'Set canary weight' (#7) on "_s + host);

        SplitOutcome read;
        backend.readSplit(this, read.callback());
        QTRY_VERIFY(read.done());
        QVERIFY2(read.ok(), qPrintable(read.describe()));
        QCOMPARE(read.result->value(), split(30));
        QCOMPARE(applied.calls, 1);
        QCOMPARE(read.calls, 1);
    }

    void readSplit_withoutSuccessfulJob_isUnknown()
    {
        AwxSimFixture fixture(0);
        AwxTrafficBackend backend(fixture.config(u"Set canary weight"_s), fixture.clock);
        SplitOutcome read;
        backend.readSplit(this, read.callback());
        QTRY_VERIFY(read.done());
        QVERIFY(!read.ok());
        QCOMPARE(kindName(read.error().kind), u"Configuration"_s);
        QCOMPARE(read.error().summary(),
            u"AWX: no successful job of AWX template 'Set canary weight' (#7) yet: the current split is unknown"_s);
    }

    void rampTemplate_isNotConfirmed_butReadBack()
    {
        // The ramp ignores the weight it is given and ends at 100 %: the back-end must not claim 30.
        AwxSimFixture fixture(0);
        AwxTrafficBackend backend(fixture.config(u"Start canary deployment"_s), fixture.clock);
        SplitOutcome applied;
        backend.applySplit(split(30), this, applied.callback());
        fixture.startClock(1000);
        QTRY_VERIFY(applied.done());
        fixture.stopClock();
        QCOMPARE(kindName(applied.error().kind), u"NotConfirmed"_s);
        QVERIFY2(applied.error().message.contains(u"reports canary_weight = 100, not 30"_s),
            qPrintable(applied.describe()));
        QCOMPARE(fixture.world().canaryWeight(), 100);

        SplitOutcome read;
        backend.readSplit(this, read.callback());
        QTRY_VERIFY(read.done());
        QCOMPARE(read.result->value(), split(100));
    }

    void failures_data()
    {
        QTest::addColumn<QString>("setup");
        QTest::addColumn<QString>("templateRef");
        QTest::addColumn<QString>("apiPath");
        QTest::addColumn<int>("canary");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("httpStatus");
        QTest::addColumn<QStringList>("mentions");
        QTest::addColumn<int>("jobs");

        QTest::newRow("wrong token 401")
            << u"wrong token"_s << u"7"_s << u"/api/v2/"_s << 30 << u"Unauthorized"_s << 401
            << QStringList { u"Authentication credentials were not provided."_s, u"CONTROLLER_OAUTH_TOKEN"_s }
            << 0;
        QTest::newRow("wrong password 401")
            << u"wrong password"_s << u"7"_s << u"/api/v2/"_s << 30 << u"Unauthorized"_s << 401
            << QStringList { u"Authentication credentials were not provided."_s, u"CONTROLLER_PASSWORD"_s }
            << 0;
        QTest::newRow("read-only token 403 on launch")
            << u"read token"_s << u"7"_s << u"/api/v2/"_s << 30 << u"Forbidden"_s << 403
            << QStringList { u"You do not have permission to perform this action."_s, u"'write' scope"_s,
                   u"Execute role on template 'Set canary weight' (#7)"_s }
            << 0;
        QTest::newRow("unknown id 404")
            << QString() << u"99"_s << u"/api/v2/"_s << 30 << u"NotFound"_s << 404
            << QStringList { u"Not found."_s, u"no job template #99"_s, u"/api/controller/v2/"_s } << 0;
        QTest::newRow("unknown name")
            << QString() << u"Set the weight"_s << u"/api/v2/"_s << 30 << u"NotFound"_s << 0
            << QStringList { u"no job template named 'Set the weight'"_s } << 0;
        QTest::newRow("AWX path on an AAP 2.5 gateway")
            << u"gateway only"_s << u"Set canary weight"_s << u"/api/v2/"_s << 30 << u"NotFound"_s << 404
            << QStringList { u"no AWX API at"_s, u"AAP 2.5 and later serve it at /api/controller/v2/"_s }
            << 0;
        QTest::newRow("gateway path on AWX")
            << u"awx only"_s << u"7"_s << u"/api/controller/v2/"_s << 30 << u"NotFound"_s << 404
            << QStringList { u"no job template #7"_s, u"up to 2.4 serve it at /api/v2/"_s } << 0;
        QTest::newRow("template 11 neither prompts nor has a survey")
            << QString() << u"11"_s << u"/api/v2/"_s << 30 << u"Configuration"_s << 0
            << QStringList { u"neither prompts for variables on launch nor has a survey"_s,
                   u"'canary_weight', 'old_weight'"_s, u"Prompt on launch"_s }
            << 0;
        QTest::newRow("template 13 drops old_weight")
            << QString() << u"13"_s << u"/api/v2/"_s << 30 << u"IgnoredVariables"_s << 0
            << QStringList { u"ignored 'old_weight'"_s, u"the job was canceled"_s } << 1;
        QTest::newRow("template 12 broken project")
            << QString() << u"12"_s << u"/api/v2/"_s << 30 << u"JobFailed"_s << 0
            << QStringList { u"ended in error: Previous Task Failed:"_s,
                   u"\"job_type\": \"project_update\""_s, u"/api/v2/jobs/1200/"_s }
            << 1;
        QTest::newRow("canceled by someone")
            << u"cancel"_s << u"7"_s << u"/api/v2/"_s << 30 << u"JobFailed"_s << 0
            << QStringList { u"AWX job #1200 of template 'Set canary weight' (#7) was canceled"_s } << 1;
        QTest::newRow("invalid split") << QString() << u"7"_s << u"/api/v2/"_s << -1 << u"InvalidInput"_s << 0
                                       << QStringList { u"does not add up to 100"_s } << 0;
        QTest::newRow("no template") << QString() << QString() << u"/api/v2/"_s << 30 << u"Configuration"_s
                                     << 0 << QStringList { u"no AWX job template configured"_s } << 0;
        QTest::newRow("AWX down") << u"stopped"_s << u"7"_s << u"/api/v2/"_s << 30 << u"Transport"_s << 0
                                  << QStringList() << 0;
    }

    void failures()
    {
        QFETCH(QString, setup);
        QFETCH(QString, templateRef);
        QFETCH(QString, apiPath);
        QFETCH(int, canary);
        QFETCH(QString, kind);
        QFETCH(int, httpStatus);
        QFETCH(QStringList, mentions);
        QFETCH(int, jobs);

        AwxSimFixture fixture(0);
        awx::AwxConfig config = fixture.config(templateRef, apiPath);
        if (setup == u"wrong token"_s) {
            config.token = u"not-a-token"_s;
        } else if (setup == u"wrong password"_s) {
            config.token.clear();
            config.username = u"admin"_s;
            config.password = u"wrong"_s;
        } else if (setup == u"read token"_s) {
            fixture.environment->server().addToken(u"reader"_s, { u"awx.read"_s });
            config.token = u"reader"_s;
        } else if (setup == u"gateway only"_s) {
            fixture.awx().setServedApiPaths({ u"/api/controller/v2/"_s });
        } else if (setup == u"awx only"_s) {
            fixture.awx().setServedApiPaths({ u"/api/v2/"_s });
        } else if (setup == u"stopped"_s) {
            fixture.environment->stop();
        }
        AwxTrafficBackend backend(config, fixture.clock);
        if (setup == u"cancel"_s) {
            // An operator cancels the job in AWX while the console waits for it.
            connect(&backend, &AwxTrafficBackend::jobLaunched, this,
                [&backend](int jobId) { backend.client().cancel(jobId, &backend, [](const auto &) {}); });
        }

        SplitOutcome applied;
        backend.applySplit(canary < 0 ? Split { 50, 60 } : split(canary), this, applied.callback());
        fixture.startClock();
        QTRY_VERIFY(applied.done());
        fixture.stopClock();
        QVERIFY2(!applied.ok(), qPrintable(applied.describe()));
        const TrafficError &error = applied.error();
        QCOMPARE(kindName(error.kind), kind);
        QCOMPARE(error.httpStatus, httpStatus);
        QCOMPARE(error.backend, u"AWX"_s);
        for (const QString &text : mentions)
            QVERIFY2(error.summary().contains(text), qPrintable(error.summary()));
        QCOMPARE(fixture.awx().jobCount(), jobs);
        QCOMPARE(fixture.world().canaryWeight(), 0);
        QCOMPARE(applied.calls, 1);
        if (jobs > 0)
            QVERIFY2(
                awx::Job::isTerminalStatus(fixture.awx().jobs().back().status), "the job must have ended");
    }

    void jobThatNeverEnds_timesOut_namingTheJob()
    {
        AwxSimFixture fixture(0);
        fixture.awx().setRunMs(10LL * 3600 * 1000);
        awx::AwxConfig config = fixture.config(u"7"_s);
        config.jobTimeoutMs = 60'000;
        AwxTrafficBackend backend(config, fixture.clock);
        SplitOutcome applied;
        backend.applySplit(split(30), this, applied.callback());
        fixture.startClock(1000);
        QTRY_VERIFY(applied.done());
        fixture.stopClock();
        QCOMPARE(kindName(applied.error().kind), u"Timeout"_s);
        const QString summary = applied.error().summary();
        QVERIFY2(
            summary.contains(u"AWX job #1200 of template 'Set canary weight' (#7) did not finish within 60 s "
                             u"(last status: running)"_s),
            qPrintable(summary));
        QVERIFY(applied.error().detail.endsWith(u"/api/v2/jobs/1200/"_s));
        QCOMPARE(fixture.awx().job(1200)->status, u"running"_s); // left alone for the operator
        QCOMPARE(fixture.world().canaryWeight(), 0);
    }

    void deadContext_getsNoCallback_andTheBackendCanGo()
    {
        AwxSimFixture fixture(0);
        auto backend = std::make_unique<AwxTrafficBackend>(fixture.config(u"7"_s), fixture.clock);
        SplitOutcome abandoned;
        auto context = std::make_unique<QObject>();
        backend->applySplit(split(40), context.get(), abandoned.callback());
        QSignalSpy launched(backend.get(), &AwxTrafficBackend::jobLaunched);
        QTRY_COMPARE(launched.count(), 1);
        context.reset();

        SplitOutcome orphaned;
        backend->readSplit(this, orphaned.callback());
        backend.reset();
        fixture.startClock();
        QTRY_COMPARE(fixture.awx().job(1200)->status, u"successful"_s);
        fixture.stopClock();
        // The job runs on in AWX; nobody is called back for it.
        QCOMPARE(fixture.world().canaryWeight(), 40);
        QCoreApplication::processEvents();
        QVERIFY(!abandoned.done());
        QVERIFY(!orphaned.done());
    }

    void fakeAwx_apply_data()
    {
        using Response = FakeAwxServer::Response;
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QList<Response>>("responses");
        QTest::addColumn<QString>("templateRef");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("mentions");

        QTest::newRow("happy path") << QString() << QString() << QList<Response>() << u"5"_s << QString()
                                    << u"70/30"_s;
        QTest::newRow("template not JSON")
            << u"GET"_s << u"/api/v2/job_templates/5/"_s << QList<Response> { { 200, "<html>AWX</html>" } }
            << u"5"_s << u"UnexpectedShape"_s << u"not valid JSON"_s;
        QTest::newRow("template without id") << u"GET"_s << u"/api/v2/job_templates/5/"_s
                                             << QList<Response> { { 200, "{\"name\":\"Canary\"}" } } << u"5"_s
                                             << u"UnexpectedShape"_s << u"id: missing"_s;
        QTest::newRow("template list instead of one")
            << u"GET"_s << u"/api/v2/job_templates/5/"_s
            << QList<Response> { { 200, "{\"count\":0,\"next\":null,\"previous\":null,\"results\":[]}" } }
            << u"5"_s << u"UnexpectedShape"_s << u"id: missing"_s;
        QTest::newRow("ambiguous name")
            << u"GET"_s << u"/api/v2/job_templates/"_s
            << QList<Response> { { 200,
                   "{\"count\":2,\"next\":null,\"previous\":null,\"results\":["
                   "{\"id\":5,\"name\":\"Canary\",\"summary_fields\":{\"organization\":{\"name\":\"Shop\"}}},"
                   "{\"id\":6,\"name\":\"Canary\",\"summary_fields\":{\"organization\":{\"name\":"
                   "\"Platform\"}}}]}" } }
            << u"Canary"_s << u"Configuration"_s
            << u"2 job templates are named 'Canary' (#5 in 'Shop', #6 in 'Platform')"_s;
        QTest::newRow("pre-flight shape")
            << u"GET"_s << u"/api/v2/job_templates/5/launch/"_s
            << QList<Response> { { 200, "{\"survey_enabled\":false}" } } << u"5"_s << u"UnexpectedShape"_s
            << u"can_start_without_user_input: missing"_s;
        QTest::newRow("passwords needed")
            << u"GET"_s << u"/api/v2/job_templates/5/launch/"_s
            << QList<Response> { { 200,
                   "{\"can_start_without_user_input\":false,\"ask_variables_on_launch\":true,"
                   "\"passwords_needed_to_start\":[\"ssh_password\"]}" } }
            << u"5"_s << u"Configuration"_s << u"needs passwords to start (ssh_password)"_s;
        QTest::newRow("foreign survey question")
            << u"GET"_s << u"/api/v2/job_templates/5/launch/"_s
            << QList<Response> { { 200,
                   "{\"can_start_without_user_input\":false,\"survey_enabled\":true,"
                   "\"variables_needed_to_start\":[\"canary_weight\",\"approver\"]}" } }
            << u"5"_s << u"Configuration"_s << u"cannot answer ('approver')"_s;
        QTest::newRow("launch 400")
            << u"POST"_s << u"/api/v2/job_templates/5/launch/"_s
            << QList<Response> { { 400,
                   "{\"resources_needed_to_start\":[\"Job Template inventory is missing or undefined.\"]}" } }
            << u"5"_s << u"Rejected"_s
            << u"HTTP 400: AWX refused to launch template 'Canary' (#5): resources_needed_to_start: Job Template inventory is missing or undefined."_s;
        QTest::newRow("launch 405") << u"POST"_s << u"/api/v2/job_templates/5/launch/"_s
                                    << QList<Response> { { 405,
                                           "{\"detail\":\"Method \\\"POST\\\" not allowed.\"}" } }
                                    << u"5"_s << u"Rejected"_s << u"HTTP 405: Method \"POST\" not allowed."_s;
        QTest::newRow("launch 502 HTML")
            << u"POST"_s << u"/api/v2/job_templates/5/launch/"_s
            << QList<Response> { { 502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html" } }
            << u"5"_s << u"ServerError"_s << u"HTTP 502: 502 Bad Gateway"_s;
        QTest::newRow("launch without job id")
            << u"POST"_s << u"/api/v2/job_templates/5/launch/"_s
            << QList<Response> { { 201, "{\"id\":77,\"status\":\"pending\"}" } } << u"5"_s
            << u"UnexpectedShape"_s << u"job: missing"_s;
        QTest::newRow("poll hiccups are retried")
            << u"GET"_s << u"/api/v2/jobs/77/"_s
            << QList<Response> { { 200, "{\"id\":77,\"status\":\"runn", "application/json", true },
                   { 502, "Bad Gateway", "text/plain" },
                   { 200, "{\"id\":77,\"status\":\"successful\",\"artifacts\":{\"canary_weight\":30}}" } }
            << u"5"_s << QString() << u"70/30"_s;
        QTest::newRow("poll shape error")
            << u"GET"_s << u"/api/v2/jobs/77/"_s << QList<Response> { { 200, "{\"id\":77}" } } << u"5"_s
            << u"UnexpectedShape"_s << u"status: missing"_s;
        QTest::newRow("job deleted") << u"GET"_s << u"/api/v2/jobs/77/"_s
                                     << QList<Response> { { 404, "{\"detail\":\"Not found.\"}" } } << u"5"_s
                                     << u"NotFound"_s << u"Not found. — job #77 was deleted"_s;
        QTest::newRow("failed playbook, message from its output")
            << u"GET"_s << u"/api/v2/jobs/77/"_s
            << QList<Response> { { 200,
                   "{\"id\":77,\"status\":\"failed\",\"failed\":true,\"job_explanation\":\"\"}" } }
            << u"5"_s << u"JobFailed"_s
            << u"AWX job #77 of template 'Canary' (#5) failed: task 'Check canary_weight': canary_weight "
               u"must be "
               u"a \"whole\" number"_s;
        QTest::newRow("traceback's last line")
            << u"GET"_s << u"/api/v2/jobs/77/"_s
            << QList<Response> { { 200,
                   "{\"id\":77,\"status\":\"error\",\"failed\":true,\"job_explanation\":\"Task was marked as "
                   "running but "
                   "was not present in the job queue.\",\"result_traceback\":\"Traceback:\\n  File "
                   "x\\nRuntimeError: "
                   "receptor gone\\n\"}" } }
            << u"5"_s << u"JobFailed"_s
            << u"ended in error: Task was marked as running but was not present in the job queue. "
               u"(RuntimeError: "
               u"receptor gone)"_s;
        QTest::newRow("success reporting another weight")
            << u"GET"_s << u"/api/v2/jobs/77/"_s
            << QList<Response> { { 200,
                   "{\"id\":77,\"status\":\"successful\",\"artifacts\":{\"canary_weight\":\"10\"}}" } }
            << u"5"_s << u"NotConfirmed"_s << u"reports canary_weight = 10, not 30"_s;
        QTest::newRow("success without artifacts")
            << u"GET"_s << u"/api/v2/jobs/77/"_s
            << QList<Response> { { 200, "{\"id\":77,\"status\":\"successful\"}" } } << u"5"_s << QString()
            << u"70/30"_s;
    }

    void fakeAwx_apply()
    {
        QFETCH(QString, method);
        QFETCH(QString, path);
        QFETCH(QList<FakeAwxServer::Response>, responses);
        QFETCH(QString, templateRef);
        QFETCH(QString, kind);
        QFETCH(QString, mentions);

        FakeAwxServer server;
        QVERIFY(server.isListening());
        serveHappyPath(server);
        server.on("GET", u"/api/v2/jobs/77/stdout/"_s,
            { { 200,
                "{\"range\":{\"start\":0,\"end\":9,\"absolute_end\":9},\"content\":\"\\nPLAY [Canary] "
                "***\\n\\n"
                "TASK [Check canary_weight] ***\\nfatal: [localhost]: FAILED! => {\\n    \\\"changed\\\": "
                "false,\\n"
                "    \\\"msg\\\": \\\"canary_weight must be a \\\\\\\"whole\\\\\\\" number\\\"\\n}\\n\\nPLAY "
                "RECAP ***\\n\"}" } });
        if (!method.isEmpty())
            server.on(method.toUtf8(), path, responses);

        awx::AwxConfig config;
        config.url = server.url();
        config.token = u"t"_s;
        config.templateRef = templateRef;
        config.pollIntervalMs = 5;
        VirtualClock clock(0);
        AwxTrafficBackend backend(config, clock);
        SplitOutcome applied;
        backend.applySplit(split(30), this, applied.callback());
        QTRY_VERIFY(applied.done());
        if (kind.isEmpty()) {
            QVERIFY2(applied.ok(), qPrintable(applied.describe()));
            QCOMPARE(applied.result->value().toString(), mentions);
        } else {
            QVERIFY(!applied.ok());
            QCOMPARE(kindName(applied.error().kind), kind);
            QVERIFY2(applied.error().summary().contains(mentions), qPrintable(applied.error().summary()));
        }
        QCOMPARE(applied.calls, 1);
        // Every request carries the token, and the weights went as an object.
        if (applied.ok())
            QVERIFY(server.requests().contains(u"POST /api/v2/job_templates/5/launch/"_s));
    }

    void fakeAwx_readSplit_data()
    {
        QTest::addColumn<QByteArray>("job");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("artifacts") << QByteArray(
            "{\"id\":70,\"status\":\"successful\",\"artifacts\":{\"canary_weight\":25}}")
                                   << QString() << u"75/25"_s;
        QTest::newRow("artifacts win over extra_vars")
            << QByteArray("{\"id\":70,\"status\":\"successful\",\"artifacts\":{\"canary_weight\":\"25\"},"
                          "\"extra_vars\":\"{\\\"canary_weight\\\": 90}\"}")
            << QString() << u"75/25"_s;
        QTest::newRow("extra_vars JSON") << QByteArray("{\"id\":70,\"status\":\"successful\",\"artifacts\":{}"
                                                       ",\"extra_vars\":\"{\\\"canary_weight\\\": 90}\"}")
                                         << QString() << u"10/90"_s;
        QTest::newRow("extra_vars YAML") << QByteArray("{\"id\":70,\"status\":\"successful\",\"extra_vars\":"
                                                       "\"---\\nnamespace: shop\\ncanary_weight: 40\\n\"}")
                                         << QString() << u"60/40"_s;
        QTest::newRow("nothing recorded")
            << QByteArray("{\"id\":70,\"status\":\"successful\",\"extra_vars\":\"{}\"}") << u"Configuration"_s
            << u"recorded no canary_weight"_s;
        QTest::newRow("not a percent")
            << QByteArray("{\"id\":70,\"status\":\"successful\",\"artifacts\":{\"canary_weight\":\"most\"}}")
            << u"UnexpectedShape"_s << u"canary_weight = most in its artifacts"_s;
        QTest::newRow("out of range")
            << QByteArray("{\"id\":70,\"status\":\"successful\",\"artifacts\":{\"canary_weight\":130}}")
            << u"UnexpectedShape"_s << u"not a whole percent from 0 to 100"_s;
    }

    void fakeAwx_readSplit()
    {
        QFETCH(QByteArray, job);
        QFETCH(QString, kind);
        QFETCH(QString, mentions);
        FakeAwxServer server;
        serveHappyPath(server);
        server.on("GET", u"/api/v2/jobs/"_s,
            { { 200, "{\"count\":1,\"next\":null,\"previous\":null,\"results\":[" + job + "]}" } });
        awx::AwxConfig config;
        config.url = server.url();
        config.token = u"t"_s;
        config.templateRef = u"5"_s;
        AwxTrafficBackend backend(config);
        SplitOutcome read;
        backend.readSplit(this, read.callback());
        QTRY_VERIFY(read.done());
        if (kind.isEmpty()) {
            QVERIFY2(read.ok(), qPrintable(read.describe()));
            QCOMPARE(read.result->value().toString(), mentions);
        } else {
            QVERIFY(!read.ok());
            QCOMPARE(kindName(read.error().kind), kind);
            QVERIFY2(read.error().summary().contains(mentions), qPrintable(read.error().summary()));
            QVERIFY(read.error().detail.endsWith(u"/api/v2/jobs/70/"_s));
        }
        QCOMPARE(server.requests().last(),
            u"GET /api/v2/jobs/?job_template__in=5&status=successful&order_by=-id&page_size=5"_s);
    }
};

QTEST_GUILESS_MAIN(TestAwxTrafficBackend)
#include "tst_awxtrafficbackend.moc"
