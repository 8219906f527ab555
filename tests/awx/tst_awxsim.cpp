#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>

#include "awx/awxclient.h"
#include "awxsimfixture.h"
#include "sim/world.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::AwxApi;
using canary::testing::AwxSimFixture;

namespace {

// One finished raw HTTP exchange, for what AwxClient does not expose (headers, exact bodies).
struct Exchange
{
    int status = 0;
    QByteArray body;
    QByteArray location;
    QByteArray wwwAuthenticate;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

// Holds the result of one AwxClient call.
template<typename T>
struct Outcome
{
    std::optional<awx::AwxResult<T>> result;
    bool done() const { return result.has_value(); }
    awx::AwxCallback<T> callback()
    {
        return [this](const awx::AwxResult<T> &value) { result = value; };
    }
    const T &value() const { return result->value(); }
    const awx::AwxError &error() const { return result->error(); }
    bool ok() const { return result && result->hasValue(); }
};

QByteArray bearer(const QString &token)
{
    return "Bearer " + token.toUtf8();
}

QByteArray basic(const QString &user, const QString &password)
{
    return "Basic " + (user + u':' + password).toUtf8().toBase64();
}

} // namespace

class TestAwxSim : public QObject
{
    Q_OBJECT

private:
    QNetworkAccessManager m_nam;

    Exchange exchange(AwxSimFixture &fixture, const QByteArray &method, const QString &path,
        const QByteArray &authorization, const QByteArray &body = {})
    {
        QNetworkRequest request(fixture.environment->baseUrl().resolved(QUrl(path)));
        request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        if (!authorization.isEmpty())
            request.setRawHeader("Authorization", authorization);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        QNetworkReply *reply = m_nam.sendCustomRequest(request, method, body);
        Exchange result;
        if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 5000))
            return result;
        result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.body = reply->readAll();
        result.location = reply->rawHeader("Location");
        result.wwwAuthenticate = reply->rawHeader("WWW-Authenticate");
        reply->deleteLater();
        return result;
    }

    // Launches `templateId` with `extraVars` through AwxClient and returns the launch result.
    static awx::LaunchResult launch(awx::AwxClient &client, int templateId, const QJsonObject &extraVars)
    {
        Outcome<awx::LaunchResult> launched;
        client.launch(templateId, extraVars, &client, launched.callback());
        if (!QTest::qWaitFor([&] { return launched.done(); }, 5000) || !launched.ok())
            return {};
        return launched.value();
    }

    static std::optional<awx::Job> fetchJob(awx::AwxClient &client, int jobId)
    {
        Outcome<awx::Job> job;
        client.job(jobId, &client, job.callback());
        if (!QTest::qWaitFor([&] { return job.done(); }, 5000) || !job.ok())
            return std::nullopt;
        return job.value();
    }

private Q_SLOTS:
    void initTestCase() { QNetworkProxy::setApplicationProxy(QNetworkProxy::NoProxy); }

    void templates_listedByName_withAwxPaging_data()
    {
        QTest::addColumn<QString>("apiPath");
        QTest::newRow("AWX") << u"/api/v2/"_s;
        QTest::newRow("AAP 2.5 gateway") << u"/api/controller/v2/"_s;
    }

    void templates_listedByName_withAwxPaging()
    {
        QFETCH(QString, apiPath);
        AwxSimFixture fixture;
        const QByteArray auth = bearer(fixture.token());
        const Exchange all = exchange(fixture, "GET", apiPath + u"job_templates/"_s, auth);
        QCOMPARE(all.status, 200);
        const QJsonObject page = all.json();
        QCOMPARE(page.keys(), (QStringList { u"count"_s, u"next"_s, u"previous"_s, u"results"_s }));
        QCOMPARE(page.value(u"count"_s).toInt(), 6);
        QVERIFY(page.value(u"next"_s).isNull());
        QStringList names;
        for (const QJsonValue &item : page.value(u"results"_s).toArray())
            names.append(item.toObject().value(u"name"_s).toString());
        QCOMPARE(names,
            (QStringList { u"Reset canary weighting"_s, u"Set canary weight"_s,
                u"Set canary weight (broken project)"_s, u"Set canary weight (no prompt)"_s,
                u"Set canary weight (survey)"_s, u"Start canary deployment"_s }));
        // URLs follow the API path the request came in on.
        const QJsonObject first = page.value(u"results"_s).toArray().at(0).toObject();
        QCOMPARE(first.value(u"url"_s).toString(), apiPath + u"job_templates/9/"_s);
        QCOMPARE(first.value(u"related"_s).toObject().value(u"launch"_s).toString(),
            apiPath + u"job_templates/9/launch/"_s);

        const Exchange paged = exchange(fixture, "GET", apiPath + u"job_templates/?page_size=4"_s, auth);
        QCOMPARE(paged.json().value(u"results"_s).toArray().size(), 4);
        const QString next = paged.json().value(u"next"_s).toString();
        QCOMPARE(next, apiPath + u"job_templates/?page_size=4&page=2"_s);
        const Exchange second = exchange(fixture, "GET", next, auth);
        QCOMPARE(second.json().value(u"results"_s).toArray().size(), 2);
        QCOMPARE(
            second.json().value(u"previous"_s).toString(), apiPath + u"job_templates/?page_size=4&page=1"_s);
        QCOMPARE(exchange(fixture, "GET", apiPath + u"job_templates/?page=3&page_size=4"_s, auth).json(),
            QJsonDocument::fromJson("{\"detail\":\"Invalid page.\"}").object());

        const Exchange byName
            = exchange(fixture, "GET", apiPath + u"job_templates/?name=Set%20canary%20weight"_s, auth);
        QCOMPARE(byName.json().value(u"count"_s).toInt(), 1); // exact, not a prefix match
        QCOMPARE(byName.json().value(u"results"_s).toArray().at(0).toObject().value(u"id"_s).toInt(), 7);
    }

    void findTemplate_byNameAndId_data()
    {
        QTest::addColumn<QString>("reference");
        QTest::addColumn<int>("id");
        QTest::addColumn<bool>("asks");
        QTest::addColumn<bool>("survey");
        QTest::newRow("7 by name") << u"Set canary weight"_s << 7 << true << false;
        QTest::newRow("7 by id") << u"7"_s << 7 << true << false;
        QTest::newRow("8") << u"Start canary deployment"_s << 8 << true << false;
        QTest::newRow("9") << u"9"_s << 9 << false << false;
        QTest::newRow("11") << u"Set canary weight (no prompt)"_s << 11 << false << false;
        QTest::newRow("12") << u"12"_s << 12 << true << false;
        QTest::newRow("13") << u"13"_s << 13 << false << true;
    }

    void findTemplate_byNameAndId()
    {
        QFETCH(QString, reference);
        QFETCH(int, id);
        QFETCH(bool, asks);
        QFETCH(bool, survey);
        AwxSimFixture fixture;
        auto rest = fixture.restClient(bearer(fixture.token()));
        awx::AwxClient client(rest.get(), u"/api/v2/"_s);
        Outcome<awx::JobTemplate> found;
        client.findTemplate(reference, this, found.callback());
        QTRY_VERIFY(found.done());
        QVERIFY2(found.ok(), qPrintable(found.ok() ? QString() : found.error().summary()));
        QCOMPARE(found.value().id, id);
        QCOMPARE(found.value().askVariablesOnLaunch, asks);
        QCOMPARE(found.value().surveyEnabled, survey);
        QCOMPARE(found.value().organization, u"Default"_s);
        QCOMPARE(found.value().canStart, std::optional<bool>(true));

        Outcome<awx::LaunchInfo> info;
        client.launchInfo(id, this, info.callback());
        QTRY_VERIFY(info.done());
        QVERIFY(info.ok());
        QCOMPARE(info.value().templateId, id);
        QCOMPARE(info.value().askVariablesOnLaunch, asks);
        QCOMPARE(info.value().surveyEnabled, survey);
        QCOMPARE(info.value().canStartWithoutUserInput, !survey);
        QCOMPARE(
            info.value().variablesNeededToStart, survey ? QStringList { u"canary_weight"_s } : QStringList());
    }

    void setCanaryWeight_lifeCycle_followsTheVirtualClock()
    {
        AwxSimFixture fixture(0);
        const QByteArray auth = bearer(fixture.token());
        QSignalSpy weights(&fixture.world(), &sim::World::canaryWeightChanged);

        const Exchange launched = exchange(fixture, "POST", u"/api/v2/job_templates/7/launch/"_s, auth,
            "{\"extra_vars\":{\"canary_weight\":30}}");
        QCOMPARE(launched.status, 201);
        const QJsonObject body = launched.json();
        const int jobId = body.value(u"job"_s).toInt();
        QCOMPARE(launched.location, (u"/api/v2/jobs/%1/"_s.arg(jobId)).toUtf8());
        // "job" and "ignored_fields" in front of the whole job, as JobTemplateLaunch.post answers.
        QVERIFY(launched.body.startsWith(
            (u"{\"job\":%1,\"ignored_fields\":{},\"id\":%1,"_s.arg(jobId)).toUtf8()));
        QCOMPARE(body.value(u"status"_s).toString(), u"pending"_s);
        QVERIFY(body.value(u"started"_s).isNull());
        QCOMPARE(QJsonDocument::fromJson(body.value(u"extra_vars"_s).toString().toUtf8())
                     .object()
                     .value(u"canary_weight"_s)
                     .toInt(),
            30);

        auto rest = fixture.restClient(auth);
        awx::AwxClient client(rest.get(), u"/api/v2/"_s);
        fixture.clock.advanceMs(500);
        QCOMPARE(fetchJob(client, jobId)->status, u"pending"_s);
        fixture.clock.advanceMs(600);
        auto job = fetchJob(client, jobId);
        QCOMPARE(job->status, u"running"_s);
        QVERIFY(job->started.isValid());
        QVERIFY(!job->finished.isValid());
        QCOMPARE(fixture.world().canaryWeight(), 0);
        fixture.clock.advanceMs(2800);
        QCOMPARE(fetchJob(client, jobId)->status, u"running"_s);
        QCOMPARE(fixture.world().canaryWeight(), 0);
        QCOMPARE(weights.count(), 0);

        fixture.clock.advanceMs(300);
        job = fetchJob(client, jobId);
        QCOMPARE(job->status, u"successful"_s);
        QVERIFY(!job->failed);
        QCOMPARE(job->elapsed, 3.0);
        QCOMPARE(
            job->artifacts, QJsonDocument::fromJson("{\"canary_weight\":30,\"old_weight\":70}").object());
        QCOMPARE(fixture.world().canaryWeight(), 30);
        QCOMPARE(weights.count(), 1);
        QCOMPARE(fixture.awx().jobCount(), 1);
        QCOMPARE(fixture.awx().job(jobId)->finishedMs, AwxSimFixture::StartMs + 60'000 + 4000);

        // The detail view has the fields lists and launches leave out.
        const QJsonObject detail = exchange(fixture, "GET", u"/api/v2/jobs/%1/"_s.arg(jobId), auth).json();
        QVERIFY(detail.contains(u"host_status_counts"_s));
        QVERIFY(detail.contains(u"result_traceback"_s));
        QVERIFY(detail.value(u"event_processing_finished"_s).toBool());
    }

    void setCanaryWeight_outOfRange_failsLikeAnAssertTask()
    {
        AwxSimFixture fixture(10);
        auto rest = fixture.restClient(bearer(fixture.token()));
        awx::AwxClient client(rest.get(), u"/api/v2/"_s);
        const awx::LaunchResult launched = launch(client, 7, { { u"canary_weight"_s, 150 } });
        QVERIFY(launched.jobId > 0);
        QVERIFY(!launched.hasIgnoredFields());
        fixture.clock.advanceMs(5000);
        const auto job = fetchJob(client, launched.jobId);
        QCOMPARE(job->status, u"failed"_s);
        QVERIFY(job->failed);
        QCOMPARE(job->jobExplanation, QString());
        QVERIFY(job->artifacts.isEmpty());
        QCOMPARE(fixture.world().canaryWeight(), 10);

        Outcome<QString> output;
        client.stdoutText(launched.jobId, this, output.callback());
        QTRY_VERIFY(output.done());
        QVERIFY(output.ok());
        QVERIFY2(output.value().contains(u"fatal: [localhost]: FAILED!"_s), qPrintable(output.value()));
        QVERIFY(output.value().contains(u"canary_weight must be a whole number from 0 to 100, got 150"_s));
        QVERIFY(output.value().contains(u"failed=1"_s));
    }

    void setCanaryWeight_inconsistentOldWeight_fails()
    {
        AwxSimFixture fixture(10);
        auto rest = fixture.restClient(bearer(fixture.token()));
        awx::AwxClient client(rest.get(), u"/api/v2/"_s);
        const auto launched = launch(client, 7, { { u"canary_weight"_s, 30 }, { u"old_weight"_s, 50 } });
        fixture.clock.advanceMs(5000);
        QCOMPARE(fetchJob(client, launched.jobId)->status, u"failed"_s);
        // Ansible's `| int`: a numeric string is a number.
        const auto asText = launch(client, 7, { { u"canary_weight"_s, u"40"_s } });
        fixture.clock.advanceMs(5000);
        QCOMPARE(fetchJob(client, asText.jobId)->status, u"successful"_s);
        QCOMPARE(fixture.world().canaryWeight(), 40);
    }

    void launchErrors_useDrfShapes_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("answer");
        QTest::newRow("missing canary_weight")
            << u"job_templates/7/launch/"_s << QByteArray("{\"extra_vars\":{\"old_weight\":70}}") << 400
            << QByteArray("{\"variables_needed_to_start\":[\"'canary_weight' value missing\"]}");
        QTest::newRow("no body")
            << u"job_templates/7/launch/"_s << QByteArray() << 400
            << QByteArray("{\"variables_needed_to_start\":[\"'canary_weight' value missing\"]}");
        QTest::newRow("survey too large")
            << u"job_templates/13/launch/"_s << QByteArray("{\"extra_vars\":{\"canary_weight\":150}}") << 400
            << QByteArray("{\"variables_needed_to_start\":[\"'canary_weight' value 150 is too large (must be "
                          "no more than 100).\"]}");
        QTest::newRow("survey not an integer")
            << u"job_templates/13/launch/"_s << QByteArray("{\"extra_vars\":{\"canary_weight\":\"x\"}}")
            << 400
            << QByteArray("{\"variables_needed_to_start\":[\"Value \\\"x\\\" for 'canary_weight' expected to "
                          "be an integer.\"]}");
        QTest::newRow("extra_vars not parseable")
            << u"job_templates/7/launch/"_s << QByteArray("{\"extra_vars\":\"canary_weight=30\"}") << 400
            << QByteArray("{\"extra_vars\":[\"Cannot parse as JSON (error: Expecting value: line 1 column 1 "
                          "(char 0)) or YAML (error: Input type `str` is not a dictionary).\"]}");
        QTest::newRow("not JSON")
            << u"job_templates/7/launch/"_s << QByteArray("canary_weight=30") << 400
            << QByteArray("{\"detail\":\"JSON parse error - Expecting value: line 1 column 1 (char 0)\"}");
        QTest::newRow("unknown template") << u"job_templates/99/launch/"_s << QByteArray("{}") << 404
                                          << QByteArray("{\"detail\":\"Not found.\"}");
        QTest::newRow("cancel unknown job")
            << u"jobs/4242/cancel/"_s << QByteArray() << 404 << QByteArray("{\"detail\":\"Not found.\"}");
        QTest::newRow("POST on a template")
            << u"job_templates/7/"_s << QByteArray("{}") << 405
            << QByteArray("{\"detail\":\"Method \\\"POST\\\" not allowed.\"}");
    }

    void launchErrors_useDrfShapes()
    {
        QFETCH(QString, path);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QByteArray, answer);
        AwxSimFixture fixture;
        const Exchange result
            = exchange(fixture, "POST", u"/api/v2/"_s + path, bearer(fixture.token()), body);
        QCOMPARE(result.status, status);
        QCOMPARE(result.body, answer);
        QCOMPARE(fixture.awx().jobCount(), 0);
    }

    void otherMethods_are405()
    {
        AwxSimFixture fixture;
        const Exchange put
            = exchange(fixture, "PUT", u"/api/controller/v2/jobs/1/"_s, bearer(fixture.token()), "{}");
        QCOMPARE(put.status, 405);
        QCOMPARE(put.body, QByteArray("{\"detail\":\"Method \\\"PUT\\\" not allowed.\"}"));
        const Exchange get
            = exchange(fixture, "DELETE", u"/api/v2/job_templates/"_s, bearer(fixture.token()));
        QCOMPARE(get.status, 405);
    }

    void authentication_data()
    {
        QTest::addColumn<QByteArray>("authorization");
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<int>("status");
        QTest::newRow("bearer") << QByteArray("env") << QByteArray("GET") << 200;
        QTest::newRow("basic admin") << QByteArray("basic-admin") << QByteArray("GET") << 200;
        QTest::newRow("basic other user") << QByteArray("basic-other") << QByteArray("GET") << 401;
        QTest::newRow("wrong token") << QByteArray("Bearer nope") << QByteArray("GET") << 401;
        QTest::newRow("no header") << QByteArray() << QByteArray("GET") << 401;
        QTest::newRow("Dynatrace style") << QByteArray("api-token") << QByteArray("GET") << 401;
        QTest::newRow("read token reads") << QByteArray("Bearer reader") << QByteArray("GET") << 200;
        QTest::newRow("read token launches") << QByteArray("Bearer reader") << QByteArray("POST") << 403;
        QTest::newRow("write token launches") << QByteArray("Bearer writer") << QByteArray("POST") << 201;
        QTest::newRow("metrics token") << QByteArray("Bearer metrics") << QByteArray("GET") << 403;
    }

    void authentication()
    {
        QFETCH(QByteArray, authorization);
        QFETCH(QByteArray, method);
        QFETCH(int, status);
        AwxSimFixture fixture;
        fixture.environment->server().addToken(u"reader"_s, { u"awx.read"_s });
        fixture.environment->server().addToken(u"writer"_s, { u"awx.write"_s });
        fixture.environment->server().addToken(u"metrics"_s, { u"metrics.read"_s });
        if (authorization == "env")
            authorization = bearer(fixture.token());
        else if (authorization == "basic-admin")
            authorization = basic(u"admin"_s, fixture.token());
        else if (authorization == "basic-other")
            authorization = basic(u"operator"_s, fixture.token());
        else if (authorization == "api-token")
            authorization = "Api-Token " + fixture.token().toUtf8();

        const Exchange result = exchange(fixture, method, u"/api/v2/job_templates/7/launch/"_s, authorization,
            method == "POST" ? QByteArray("{\"extra_vars\":{\"canary_weight\":5}}") : QByteArray());
        QCOMPARE(result.status, status);
        if (status == 401) {
            QCOMPARE(
                result.body, QByteArray("{\"detail\":\"Authentication credentials were not provided.\"}"));
            QVERIFY(result.wwwAuthenticate.startsWith("Bearer"));
        } else if (status == 403) {
            QCOMPARE(result.body,
                QByteArray("{\"detail\":\"You do not have permission to perform this action.\"}"));
        }
        QCOMPARE(fixture.awx().jobCount(), status == 201 ? 1 : 0);
    }

    void userCapabilities_followTheToken()
    {
        AwxSimFixture fixture;
        fixture.environment->server().addToken(u"reader"_s, { u"awx.read"_s });
        auto rest = fixture.restClient("Bearer reader");
        awx::AwxClient client(rest.get(), u"/api/v2/"_s);
        Outcome<awx::JobTemplate> found;
        client.findTemplate(u"7"_s, this, found.callback());
        QTRY_VERIFY(found.done());
        QCOMPARE(found.value().canStart, std::optional<bool>(false));
    }

    void missingTrailingSlash_isRedirected()
    {
        AwxSimFixture fixture;
        const Exchange result
            = exchange(fixture, "GET", u"/api/v2/job_templates?name=x"_s, bearer(fixture.token()));
        QCOMPARE(result.status, 301);
        QCOMPARE(result.location, QByteArray("/api/v2/job_templates/?name=x"));
    }

    void servedApiPaths_limitWhatAnswers()
    {
        AwxSimFixture fixture;
        fixture.awx().setServedApiPaths({ u"/api/controller/v2/"_s });
        const QByteArray auth = bearer(fixture.token());
        QCOMPARE(exchange(fixture, "GET", u"/api/v2/job_templates/"_s, auth).status, 404);
        QCOMPARE(exchange(fixture, "GET", u"/api/controller/v2/job_templates/"_s, auth).status, 200);
    }

    void ramp_walksThroughItsSteps()
    {
        AwxSimFixture fixture(0);
        auto rest = fixture.restClient(bearer(fixture.token()));
        awx::AwxClient client(rest.get(), u"/api/controller/v2/"_s);
        const auto launched = launch(client, AwxApi::StartCanaryDeploymentTemplateId, {});
        QVERIFY(launched.jobId > 0);
        QCOMPARE(launched.jobUrl, u"/api/controller/v2/jobs/%1/"_s.arg(launched.jobId));
        const std::array<std::pair<qint64, int>, 6> timeline { { { 900, 0 }, { 200, 30 }, { 9'800, 30 },
            { 200, 70 }, { 10'000, 100 }, { 3'000, 100 } } };
        for (const auto &[advance, weight] : timeline) {
            fixture.clock.advanceMs(advance);
            QCOMPARE(fixture.world().canaryWeight(), weight);
        }
        const auto job = fetchJob(client, launched.jobId);
        QCOMPARE(job->status, u"successful"_s);
        QCOMPARE(job->artifacts.value(u"canary_weight"_s).toInt(), 100);
        QCOMPARE(job->extraVars.value(u"remediation_template_id"_s).toInt(),
            AwxApi::ResetCanaryWeightingTemplateId);
    }

    void reset_setsTheWorldBackToStable()
    {
        AwxSimFixture fixture(100);
        auto rest = fixture.restClient(bearer(fixture.token()));
        awx::AwxClient client(rest.get(), u"/api/v2/"_s);
        const auto launched = launch(client, AwxApi::ResetCanaryWeightingTemplateId, {});
        fixture.clock.advanceMs(3999);
        QCOMPARE(fixture.world().canaryWeight(), 100);
        fixture.clock.advanceMs(1);
        QCOMPARE(fixture.world().canaryWeight(), 0);
        QCOMPARE(fetchJob(client, launched.jobId)->artifacts.value(u"old_weight"_s).toInt(), 100);
    }

    void noPromptTemplate_ignoresTheVariables_andChangesNothing()
    {
        AwxSimFixture fixture(20);
        auto rest = fixture.restClient(bearer(fixture.token()));
        awx::AwxClient client(rest.get(), u"/api/v2/"_s);
        const auto launched = launch(client, AwxApi::SetCanaryWeightNoPromptTemplateId,
            { { u"canary_weight"_s, 30 }, { u"old_weight"_s, 70 } });
        QVERIFY(launched.jobId > 0);
        QCOMPARE(launched.ignoredFields,
            QJsonDocument::fromJson("{\"extra_vars\":{\"canary_weight\":30,\"old_weight\":70}}").object());
        QVERIFY(!launched.job.extraVars.contains(u"canary_weight"_s));
        fixture.clock.advanceMs(5000);
        QCOMPARE(fetchJob(client, launched.jobId)->status, u"successful"_s);
        QCOMPARE(fixture.world().canaryWeight(), 20);
    }

    void brokenProject_endsInError()
    {
        AwxSimFixture fixture(20);
        auto rest = fixture.restClient(bearer(fixture.token()));
        awx::AwxClient client(rest.get(), u"/api/v2/"_s);
        const auto launched = launch(client, AwxApi::BrokenProjectTemplateId, { { u"canary_weight"_s, 50 } });
        fixture.clock.advanceMs(1000);
        const auto job = fetchJob(client, launched.jobId);
        QCOMPARE(job->status, u"error"_s);
        QVERIFY(job->failed);
        QCOMPARE(job->jobExplanation,
            u"Previous Task Failed: {\"job_type\": \"project_update\", \"job_name\": "
            u"\"demo-ar-workflows-ansible\", "
            u"\"job_id\": \"%1\"}"_s.arg(launched.jobId + 1));
        QCOMPARE(fixture.world().canaryWeight(), 20);
    }

    void cancel_stopsAnActiveJob_only()
    {
        AwxSimFixture fixture(0);
        const QByteArray auth = bearer(fixture.token());
        auto rest = fixture.restClient(auth);
        awx::AwxClient client(rest.get(), u"/api/v2/"_s);
        const auto launched = launch(client, 7, { { u"canary_weight"_s, 30 } });
        fixture.clock.advanceMs(1500);
        QCOMPARE(exchange(fixture, "GET", u"/api/v2/jobs/%1/cancel/"_s.arg(launched.jobId), auth).body,
            QByteArray("{\"can_cancel\":true}"));
        Outcome<bool> canceled;
        client.cancel(launched.jobId, this, canceled.callback());
        QTRY_VERIFY(canceled.done());
        QVERIFY(canceled.ok());
        fixture.clock.advanceMs(10'000);
        const auto job = fetchJob(client, launched.jobId);
        QCOMPARE(job->status, u"canceled"_s);
        QCOMPARE(fixture.world().canaryWeight(), 0);

        Outcome<bool> again;
        client.cancel(launched.jobId, this, again.callback());
        QTRY_VERIFY(again.done());
        QVERIFY(!again.ok());
        QCOMPARE(again.error().kind, awx::AwxError::Kind::NotAllowed);
        QCOMPARE(again.error().message, u"Method \"POST\" not allowed."_s);
    }

    void lastSuccessfulJob_isTheNewestSuccess()
    {
        AwxSimFixture fixture(0);
        auto rest = fixture.restClient(bearer(fixture.token()));
        awx::AwxClient client(rest.get(), u"/api/v2/"_s);

        Outcome<std::optional<awx::Job>> none;
        client.lastSuccessfulJob(7, this, none.callback());
        QTRY_VERIFY(none.done());
        QVERIFY(none.ok());
        QVERIFY(!none.value().has_value());

        const auto first = launch(client, 7, { { u"canary_weight"_s, 10 } });
        fixture.clock.advanceMs(5000);
        const auto second = launch(client, 7, { { u"canary_weight"_s, 20 } });
        fixture.clock.advanceMs(5000);
        // Two more, still running when asked.
        launch(client, 7, { { u"canary_weight"_s, 500 } });
        launch(client, 7, { { u"canary_weight"_s, 30 } });
        fixture.clock.advanceMs(2000);
        QVERIFY(first.jobId < second.jobId);

        Outcome<std::optional<awx::Job>> last;
        client.lastSuccessfulJob(7, this, last.callback());
        QTRY_VERIFY(last.done());
        QVERIFY(last.ok());
        QCOMPARE(last.value()->id, second.jobId);
        QCOMPARE(last.value()->artifacts.value(u"canary_weight"_s).toInt(), 20);
        QCOMPARE(last.value()->resultTraceback, std::nullopt); // stripped from lists

        const QJsonObject all = exchange(
            fixture, "GET", u"/api/v2/job_templates/7/jobs/?order_by=-finished"_s, bearer(fixture.token()))
                                    .json();
        QCOMPARE(all.value(u"count"_s).toInt(), 4);
        // Like PostgreSQL, unfinished jobs (finished = null) lead a descending order: the newest first, held
        // pending behind the one running (allow_simultaneous is off).
        const QJsonArray results = all.value(u"results"_s).toArray();
        QCOMPARE(results.at(0).toObject().value(u"status"_s).toString(), u"pending"_s);
        QCOMPARE(results.at(1).toObject().value(u"status"_s).toString(), u"running"_s);
        QCOMPARE(exchange(fixture, "GET", u"/api/v2/job_templates/7/jobs/?order_by=bogus"_s,
                     bearer(fixture.token()))
                     .status,
            400);
    }

    void jobList_filtersAsAwxDoes()
    {
        AwxSimFixture fixture(0);
        auto rest = fixture.restClient(bearer(fixture.token()));
        awx::AwxClient client(rest.get(), u"/api/v2/"_s);
        const auto set = launch(client, 7, { { u"canary_weight"_s, 10 } });
        fixture.clock.advanceMs(5000);
        const auto reset = launch(client, 9, {});
        const auto ramp = launch(client, 8, {});
        fixture.clock.advanceMs(5000);
        const QByteArray auth = bearer(fixture.token());

        const auto ids = [](const QJsonObject &page) {
            QList<int> found;
            for (const QJsonValue &item : page.value(u"results"_s).toArray())
                found.append(item.toObject().value(u"id"_s).toInt());
            return found;
        };
        const QJsonObject both
            = exchange(fixture, "GET", u"/api/v2/jobs/?job_template__in=7,9&order_by=-id&page_size=5"_s, auth)
                  .json();
        QCOMPARE(ids(both), (QList<int> { reset.jobId, set.jobId }));
        const QJsonObject item = both.value(u"results"_s).toArray().at(0).toObject();
        QCOMPARE(item.value(u"launched_by"_s).toObject().value(u"name"_s).toString(), u"admin"_s);
        QCOMPARE(item.value(u"summary_fields"_s)
                     .toObject()
                     .value(u"created_by"_s)
                     .toObject()
                     .value(u"username"_s)
                     .toString(),
            u"admin"_s);
        QVERIFY(!item.contains(u"result_traceback"_s));

        const QJsonObject active = exchange(fixture, "GET",
            u"/api/v2/jobs/?unified_job_template__in=7,8,9&status__in=pending,waiting,running&order_by=-id"_s,
            auth)
                                       .json();
        QCOMPARE(ids(active), QList<int> { ramp.jobId }); // the ramp pauses between its steps
        const QString since = QDateTime::fromMSecsSinceEpoch(fixture.clock.nowMs() - 7000, Qt::UTC)
                                  .toString(Qt::ISODateWithMs);
        QCOMPARE(ids(exchange(fixture, "GET", u"/api/v2/jobs/?job_template=9&created__gte="_s + since, auth)
                         .json()),
            QList<int> { reset.jobId });
        QCOMPARE(exchange(fixture, "GET", u"/api/v2/jobs/?bogus=1"_s, auth).status, 400);
        QCOMPARE(exchange(fixture, "GET", u"/api/v2/jobs/?job_template=x"_s, auth).status, 400);
    }

    void systemClock_movesJobsByItself()
    {
        // Without a VirtualClock the simulator schedules its own transitions.
        sim::SimulatedEnvironment::Options options;
        sim::SimulatedEnvironment environment(options);
        QVERIFY(environment.start());
        environment.awx().setPendingMs(10);
        environment.awx().setRunMs(20);
        net::RestClient rest(environment.baseUrl());
        rest.setAuthorization(bearer(environment.token()));
        awx::AwxClient client(&rest, u"/api/v2/"_s);
        QSignalSpy statuses(&environment.awx(), &AwxApi::jobStatusChanged);
        const auto launched = launch(client, 7, { { u"canary_weight"_s, 60 } });
        QVERIFY(launched.jobId > 0);
        QTRY_COMPARE(environment.world().canaryWeight(), 60);
        QCOMPARE(statuses.count(), 2);
        QCOMPARE(statuses.at(1).at(1).toString(), u"successful"_s);
    }
};

QTEST_GUILESS_MAIN(TestAwxSim)
#include "tst_awxsim.moc"
