#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTest>

#include "awx/awxparser.h"
#include "net/httpresponse.h"
#include "testdata.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary::awx;

namespace {

QString fixturesDir()
{
    return canary::testing::testDataPath(u"awx"_s);
}

QByteArray readFixture(const QString &name)
{
    return canary::testing::readTestData(u"awx/"_s + name);
}

// Which parser reads which fixture: every *.json in the folder must be listed, so a new fixture cannot be
// skipped silently.
enum class Parser { TemplatePage, Template, LaunchInfo, LaunchResult, Job, Stdout, ErrorMap };

const QList<QPair<QString, Parser>> &fixtureParsers()
{
    static const QList<QPair<QString, Parser>> parsers {
        { u"job_templates_list.json"_s, Parser::TemplatePage },
        { u"awx-ui_data.job_template.json"_s, Parser::Template },
        { u"launch_get.json"_s, Parser::LaunchInfo },
        { u"launch_post_201.json"_s, Parser::LaunchResult },
        { u"launch_post_201_ignored_extra_vars.json"_s, Parser::LaunchResult },
        { u"job_running.json"_s, Parser::Job },
        { u"job_successful.json"_s, Parser::Job },
        { u"job_failed.json"_s, Parser::Job },
        { u"job_error_dependency.json"_s, Parser::Job },
        { u"awx-ui_data.job.json"_s, Parser::Job },
        { u"job_stdout_format_json.json"_s, Parser::Stdout },
        { u"error_responses.json"_s, Parser::ErrorMap },
    };
    return parsers;
}

QString kindName(AwxError::Kind kind)
{
    switch (kind) {
    case AwxError::Kind::MalformedJson:
        return u"MalformedJson"_s;
    case AwxError::Kind::UnexpectedShape:
        return u"UnexpectedShape"_s;
    default:
        return u"kind %1"_s.arg(int(kind));
    }
}

} // namespace

class TestAwxParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fixturesFolderPresent()
    {
        QVERIFY2(QDir(fixturesDir()).exists(), qPrintable(u"missing fixtures folder "_s + fixturesDir()));
        const QStringList files = QDir(fixturesDir()).entryList({ u"*.json"_s }, QDir::Files, QDir::Name);
        QVERIFY(!files.isEmpty());
        for (const QString &file : files) {
            const bool known = std::any_of(fixtureParsers().cbegin(), fixtureParsers().cend(),
                [&file](const auto &entry) { return entry.first == file; });
            QVERIFY2(known, qPrintable(u"no parser test covers "_s + file));
        }
    }

    void everyFixtureParses_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("parser");
        for (const auto &[file, parser] : fixtureParsers())
            QTest::newRow(qPrintable(file)) << file << int(parser);
    }

    void everyFixtureParses()
    {
        QFETCH(QString, file);
        QFETCH(int, parser);
        const QByteArray json = readFixture(file);
        QVERIFY2(!json.isEmpty(), qPrintable(u"missing fixture "_s + file));
        QString error;
        switch (Parser(parser)) {
        case Parser::TemplatePage: {
            const auto page = parseJobTemplatePage(json);
            if (!page)
                error = page.error().message;
            break;
        }
        case Parser::Template: {
            const auto parsed = parseJobTemplate(json);
            if (!parsed)
                error = parsed.error().message;
            break;
        }
        case Parser::LaunchInfo: {
            const auto parsed = parseLaunchInfo(json);
            if (!parsed)
                error = parsed.error().message;
            break;
        }
        case Parser::LaunchResult: {
            const auto parsed = parseLaunchResult(json);
            if (!parsed)
                error = parsed.error().message;
            break;
        }
        case Parser::Job: {
            const auto parsed = parseJob(json);
            if (!parsed)
                error = parsed.error().message;
            break;
        }
        case Parser::Stdout: {
            const auto parsed = parseStdoutContent(json);
            if (!parsed)
                error = parsed.error().message;
            break;
        }
        case Parser::ErrorMap: {
            const QJsonObject cases = QJsonDocument::fromJson(json).object();
            QVERIFY(!cases.isEmpty());
            for (auto it = cases.constBegin(); it != cases.constEnd(); ++it) {
                const QByteArray body = QJsonDocument(it.value().toObject()).toJson();
                if (!parseErrorBody(body))
                    error = u"case "_s + it.key();
            }
            break;
        }
        }
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    void templateList()
    {
        const auto page = parseJobTemplatePage(readFixture(u"job_templates_list.json"_s));
        QVERIFY2(page, qPrintable(page ? QString() : page.error().message));
        QCOMPARE(page->count, 1);
        QVERIFY(page->next.isEmpty());
        QCOMPARE(page->results.size(), 1);
        const JobTemplate &jobTemplate = page->results.front();
        QCOMPARE(jobTemplate.id, 42);
        QCOMPARE(jobTemplate.name, u"canary-shift"_s);
        QCOMPARE(jobTemplate.url, u"/api/v2/job_templates/42/"_s);
        QCOMPARE(jobTemplate.launchUrl, u"/api/v2/job_templates/42/launch/"_s);
        QCOMPARE(jobTemplate.organization, u"Platform"_s);
        QVERIFY(jobTemplate.askVariablesOnLaunch);
        QVERIFY(!jobTemplate.surveyEnabled);
        QCOMPARE(jobTemplate.canStart, std::optional<bool>(true));
        QCOMPARE(jobTemplate.extraVarsText, u"---\nnamespace: shop\ncanary_ingress: web-canary\n"_s);
    }

    void templateDetail_verbatimAwxUiData()
    {
        const QByteArray json = readFixture(u"awx-ui_data.job_template.json"_s);
        const auto jobTemplate = parseJobTemplate(json);
        QVERIFY2(jobTemplate, qPrintable(jobTemplate ? QString() : jobTemplate.error().message));
        QCOMPARE(jobTemplate->id, 7);
        QCOMPARE(jobTemplate->name, u"Mike's JT"_s);
        QVERIFY(!jobTemplate->askVariablesOnLaunch);
        QVERIFY(jobTemplate->surveyEnabled);
        QCOMPARE(jobTemplate->launchUrl, u"/api/v2/job_templates/7/launch/"_s);
        // The fixture README suggests wrapping it to stand in for a list page.
        const auto page = parseJobTemplatePage(
            QByteArray("{\"count\":1,\"next\":null,\"previous\":null,\"results\":[" + json + "]}"));
        QVERIFY(page);
        QCOMPARE(page->results.front().id, 7);
        // A template is not a page.
        const auto notAPage = parseJobTemplatePage(json);
        QVERIFY(!notAPage);
        QCOMPARE(notAPage.error().kind, AwxError::Kind::UnexpectedShape);
        QVERIFY(notAPage.error().message.contains(u"results"_s));
    }

    void launchInfo()
    {
        const auto info = parseLaunchInfo(readFixture(u"launch_get.json"_s));
        QVERIFY(info);
        QVERIFY(info->canStartWithoutUserInput);
        QVERIFY(info->askVariablesOnLaunch);
        QVERIFY(!info->surveyEnabled);
        QVERIFY(!info->inventoryNeededToStart);
        QVERIFY(info->variablesNeededToStart.isEmpty());
        QVERIFY(info->passwordsNeededToStart.isEmpty());
        QCOMPARE(info->templateId, 42);
        QCOMPARE(info->templateName, u"canary-shift"_s);
        QCOMPARE(info->defaultExtraVarsText, u"---\nnamespace: shop\ncanary_ingress: web-canary\n"_s);
    }

    void launchResult_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("jobId");
        QTest::addColumn<QStringList>("ignoredExtraVars");
        QTest::addColumn<QStringList>("ignoredFieldNames");
        QTest::addColumn<QString>("canaryWeightSent");
        QTest::newRow("accepted") << u"launch_post_201.json"_s << 1190 << QStringList() << QStringList()
                                  << u"25"_s;
        QTest::newRow("ignored") << u"launch_post_201_ignored_extra_vars.json"_s << 1191
                                 << QStringList { u"canary_weight"_s }
                                 << QStringList { u"extra_vars.canary_weight"_s } << QString();
    }

    void launchResult()
    {
        QFETCH(QString, file);
        QFETCH(int, jobId);
        QFETCH(QStringList, ignoredExtraVars);
        QFETCH(QStringList, ignoredFieldNames);
        QFETCH(QString, canaryWeightSent);
        const auto result = parseLaunchResult(readFixture(file));
        QVERIFY2(result, qPrintable(result ? QString() : result.error().message));
        QCOMPARE(result->jobId, jobId);
        QCOMPARE(result->job.id, jobId);
        QCOMPARE(result->jobUrl, u"/api/v2/jobs/%1/"_s.arg(jobId));
        QCOMPARE(result->job.status, u"pending"_s);
        QCOMPARE(result->hasIgnoredFields(), !ignoredExtraVars.isEmpty());
        QCOMPARE(result->ignoredExtraVars(), ignoredExtraVars);
        QCOMPARE(result->ignoredFieldNames(), ignoredFieldNames);
        QCOMPARE(result->job.extraVars.value(u"namespace"_s).toString(), u"shop"_s);
        const QJsonValue weight = result->job.extraVars.value(u"canary_weight"_s);
        QCOMPARE(weight.isUndefined() ? QString() : QString::number(weight.toInt()), canaryWeightSent);
    }

    void launchResult_otherIgnoredFields()
    {
        LaunchResult result;
        result.ignoredFields = QJsonDocument::fromJson(
            "{\"limit\":\"web\",\"extra_vars\":{\"old_weight\":70,\"canary_weight\":30}}")
                                   .object();
        QCOMPARE(result.ignoredExtraVars(), (QStringList { u"canary_weight"_s, u"old_weight"_s }));
        QCOMPARE(result.ignoredFieldNames(),
            (QStringList { u"extra_vars.canary_weight"_s, u"extra_vars.old_weight"_s, u"limit"_s }));
    }

    void jobs_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("id");
        QTest::addColumn<QString>("status");
        QTest::addColumn<bool>("failed");
        QTest::addColumn<bool>("terminal");
        QTest::addColumn<QString>("explanation");
        QTest::addColumn<bool>("hasFinished");
        QTest::addColumn<double>("elapsed");
        QTest::addColumn<int>("artifactCount");
        QTest::newRow("running") << u"job_running.json"_s << 1190 << u"running"_s << false << false
                                 << QString() << false << 0.0 << 0;
        QTest::newRow("successful") << u"job_successful.json"_s << 1190 << u"successful"_s << false << true
                                    << QString() << true << 14.465 << 2;
        QTest::newRow("failed") << u"job_failed.json"_s << 1190 << u"failed"_s << true << true << QString()
                                << true << 6.15 << 0;
        QTest::newRow("error") << u"job_error_dependency.json"_s << 1190 << u"error"_s << true << true
                               << u"Previous Task Failed: {\"job_type\": \"project_update\", \"job_name\": "
                                  u"\"rollout-playbooks\", \"job_id\": \"1189\"}"_s
                               << true << 0.418 << 0;
        QTest::newRow("awx-ui verbatim") << u"awx-ui_data.job.json"_s << 2 << u"successful"_s << false << true
                                         << u"Job explanation placeholder"_s << true << 31.79 << 0;
    }

    void jobs()
    {
        QFETCH(QString, file);
        QFETCH(int, id);
        QFETCH(QString, status);
        QFETCH(bool, failed);
        QFETCH(bool, terminal);
        QFETCH(QString, explanation);
        QFETCH(bool, hasFinished);
        QFETCH(double, elapsed);
        QFETCH(int, artifactCount);
        const auto job = parseJob(readFixture(file));
        QVERIFY2(job, qPrintable(job ? QString() : job.error().message));
        QCOMPARE(job->id, id);
        QCOMPARE(job->status, status);
        QCOMPARE(job->failed, failed);
        QCOMPARE(job->isTerminal(), terminal);
        QCOMPARE(job->isSuccessful(), status == u"successful"_s);
        QCOMPARE(job->jobExplanation, explanation);
        QVERIFY(job->started.isValid());
        QCOMPARE(job->finished.isValid(), hasFinished);
        QCOMPARE(job->elapsed, elapsed);
        QCOMPARE(job->artifacts.size(), artifactCount);
        QCOMPARE(job->resultTraceback, std::optional<QString>(QString()));
        QVERIFY(job->templateId > 0);
    }

    void successfulJob_details()
    {
        const auto job = parseJob(readFixture(u"job_successful.json"_s));
        QVERIFY(job);
        QCOMPARE(job->artifacts.value(u"canary_weight_applied"_s).toInt(), 25);
        QCOMPARE(job->extraVars.value(u"canary_weight"_s).toInt(), 25);
        // Microseconds round to the nearest millisecond: .911804 -> .912.
        QCOMPARE(job->started, QDateTime(QDate(2025, 11, 26), QTime(9, 15, 4, 912), Qt::UTC));
        QVERIFY(job->eventProcessingFinished);
        QCOMPARE(job->url, u"/api/v2/jobs/1190/"_s);
        QCOMPARE(job->name, u"canary-shift"_s);
    }

    void launcher_fromLaunchedBy_elseCreatedBy()
    {
        const auto modern = parseJob(readFixture(u"job_successful.json"_s));
        QVERIFY(modern);
        QCOMPARE(modern->launchedBy, u"deploy-bot"_s);
        QCOMPARE(modern->created, QDateTime(QDate(2025, 11, 26), QTime(9, 15, 2, 118), Qt::UTC));
        QVERIFY(modern->hasArtifacts);
        QVERIFY(modern->hasExtraVars);
        // The 2019 detail predates launched_by: summary_fields.created_by says who.
        const auto older = parseJob(readFixture(u"awx-ui_data.job.json"_s));
        QVERIFY(older);
        QCOMPARE(older->launchedBy, u"admin"_s);
    }

    void launcher_inAnUnknownShape_costsNothingElse()
    {
        const auto job = parseJob(R"({"id":5,"status":"successful","launched_by":"alice",)"
                                  R"("summary_fields":{"created_by":7}})");
        QVERIFY2(job, job ? "" : qPrintable(job.error().message));
        QCOMPARE(job->id, 5);
        QVERIFY(job->launchedBy.isEmpty());
        // A list that leaves the heavy fields out says so.
        QVERIFY(!job->hasArtifacts);
        QVERIFY(!job->hasExtraVars);
    }

    void jobList_withoutTraceback()
    {
        QByteArray item = readFixture(u"job_successful.json"_s);
        QVERIFY(!item.isEmpty());
        QJsonObject object = QJsonDocument::fromJson(item).object();
        object.remove(u"result_traceback"_s);
        const QByteArray page = "{\"count\":3,\"next\":\"/api/v2/job_templates/42/jobs/"
                                "?page=2\",\"previous\":null,\"results\":["
            + QJsonDocument(object).toJson() + "]}";
        const auto jobs = parseJobPage(page);
        QVERIFY(jobs);
        QCOMPARE(jobs->count, 3);
        QCOMPARE(jobs->next, u"/api/v2/job_templates/42/jobs/?page=2"_s);
        QCOMPARE(jobs->results.size(), 1);
        QCOMPARE(jobs->results.front().resultTraceback, std::nullopt);
    }

    void stdoutContent()
    {
        const auto content = parseStdoutContent(readFixture(u"job_stdout_format_json.json"_s));
        QVERIFY(content);
        QVERIFY(content->contains(u"TASK [Patch canary ingress annotation]"_s));
        QVERIFY(content->contains(u"PLAY RECAP"_s));
    }

    void errorResponses_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("message");
        QTest::addColumn<QStringList>("fields");
        QTest::newRow("400 survey") << u"400_survey_or_required_vars"_s
                                    << u"variables_needed_to_start: 'canary_weight' value missing"_s
                                    << QStringList { u"variables_needed_to_start"_s };
        QTest::newRow("400 extra_vars")
            << u"400_bad_extra_vars_type"_s
            << u"extra_vars: Cannot parse as JSON (error: Expecting value: line 1 column 1 "
               u"(char 0)) or YAML (error: ...)."_s
            << QStringList { u"extra_vars"_s };
        QTest::newRow("400 passwords")
            << u"400_passwords_needed"_s << u"passwords_needed_to_start: ssh_password"_s
            << QStringList { u"passwords_needed_to_start"_s };
        QTest::newRow("400 resources")
            << u"400_resources_needed"_s
            << u"resources_needed_to_start: Job Template inventory is missing or undefined."_s
            << QStringList { u"resources_needed_to_start"_s };
        QTest::newRow("401") << u"401_no_or_bad_credentials"_s
                             << u"Authentication credentials were not provided."_s << QStringList();
        QTest::newRow("403") << u"403_no_permission_or_read_scope"_s
                             << u"You do not have permission to perform this action."_s << QStringList();
        QTest::newRow("404") << u"404_unknown_id"_s << u"Not found."_s << QStringList();
        QTest::newRow("405") << u"405_cancel_finished_job"_s << u"Method \"POST\" not allowed."_s
                             << QStringList();
        QTest::newRow("relaunch string field")
            << u"relaunch_400_active_retry"_s
            << u"hosts: Wait until job finishes before retrying on failed hosts."_s
            << QStringList { u"hosts"_s };
    }

    void errorResponses()
    {
        QFETCH(QString, key);
        QFETCH(QString, message);
        QFETCH(QStringList, fields);
        const QByteArray all = readFixture(u"error_responses.json"_s);
        QVERIFY(!all.isEmpty());
        const QJsonObject cases = QJsonDocument::fromJson(all).object();
        QVERIFY2(cases.contains(key), qPrintable(key));
        const auto error = parseErrorBody(QJsonDocument(cases.value(key).toObject()).toJson());
        QVERIFY(error);
        QCOMPARE(error->message, message);
        QStringList names;
        for (const auto &field : error->fieldErrors)
            names.append(field.field);
        QCOMPARE(names, fields);
    }

    void errorBodies_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("recognised");
        QTest::addColumn<QString>("message");
        QTest::newRow("__all__") << QByteArray("{\"__all__\":[\"Job template is not runnable.\"]}") << true
                                 << u"Job template is not runnable."_s;
        QTest::newRow("field order kept") << QByteArray("{\"zeta\":[\"z\"],\"alpha\":[\"a1\",\"a2\"]}")
                                          << true << u"zeta: z; alpha: a1 a2"_s;
        QTest::newRow("nested") << QByteArray("{\"extra_vars\":{\"canary_weight\":[\"bad\"]}}") << true
                                << u"extra_vars: canary_weight: bad"_s;
        QTest::newRow("list") << QByteArray("[\"one\",\"two\"]") << true << u"one; two"_s;
        QTest::newRow("string") << QByteArray("\"plain\"") << true << u"plain"_s;
        QTest::newRow("html") << QByteArray("<html><body>502 Bad Gateway</body></html>") << false
                              << QString();
        QTest::newRow("empty") << QByteArray() << false << QString();
        QTest::newRow("number") << QByteArray("42") << false << QString();
    }

    void errorBodies()
    {
        QFETCH(QByteArray, body);
        QFETCH(bool, recognised);
        QFETCH(QString, message);
        const auto error = parseErrorBody(body);
        QCOMPARE(error.has_value(), recognised);
        if (error)
            QCOMPARE(error->message, message);
    }

    void errorFromResponse_data()
    {
        using Failure = canary::net::HttpResponse::Failure;
        QTest::addColumn<int>("failure");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("summary");
        QTest::newRow("401")
            << int(Failure::None) << 401
            << QByteArray("{\"detail\":\"Authentication credentials were not provided.\"}")
            << int(AwxError::Kind::Unauthorized)
            << u"HTTP 401 from /api/v2/jobs/5/: Authentication credentials were not provided."_s;
        QTest::newRow("405") << int(Failure::None) << 405
                             << QByteArray("{\"detail\":\"Method \\\"POST\\\" not allowed.\"}")
                             << int(AwxError::Kind::NotAllowed)
                             << u"HTTP 405 from /api/v2/jobs/5/: Method \"POST\" not allowed."_s;
        QTest::newRow("502 html") << int(Failure::None) << 502
                                  << QByteArray("<html><head><title>x</title></head><body><h1>502 Bad "
                                                "Gateway</h1></body></html>")
                                  << int(AwxError::Kind::ServerError)
                                  << u"HTTP 502 from /api/v2/jobs/5/: 502 Bad Gateway"_s;
        QTest::newRow("503 empty") << int(Failure::None) << 503 << QByteArray()
                                   << int(AwxError::Kind::ServerError)
                                   << u"HTTP 503 from /api/v2/jobs/5/: Service Unavailable"_s;
        QTest::newRow("409") << int(Failure::None) << 409 << QByteArray() << int(AwxError::Kind::HttpError)
                             << u"HTTP 409 from /api/v2/jobs/5/: Conflict"_s;
        QTest::newRow("transport") << int(Failure::Transport) << 0 << QByteArray()
                                   << int(AwxError::Kind::Transport) << u"Connection refused"_s;
        QTest::newRow("timeout") << int(Failure::Timeout) << 0 << QByteArray() << int(AwxError::Kind::Timeout)
                                 << u"Connection refused"_s;
    }

    void errorFromResponse()
    {
        QFETCH(int, failure);
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(int, kind);
        QFETCH(QString, summary);
        canary::net::HttpResponse response;
        response.url = QUrl(u"https://awx.example.com/api/v2/jobs/5/?x=1"_s);
        response.failure = canary::net::HttpResponse::Failure(failure);
        response.status = status;
        response.body = body;
        response.errorString = u"Connection refused"_s;
        const AwxError error = canary::awx::errorFromResponse(response);
        QCOMPARE(int(error.kind), kind);
        QCOMPARE(error.summary(), summary);
        QCOMPARE(error.url, QUrl(u"https://awx.example.com/api/v2/jobs/5/"_s));
    }

    // AWX echoes what was sent in its field errors; a token in there never reaches a dialog or a log.
    void errorFromResponse_redactsEchoedSecrets()
    {
        canary::net::HttpResponse response;
        response.url = QUrl(u"https://awx.example.com/api/v2/job_templates/9/launch/"_s);
        response.status = 400;
        response.body = QByteArray(R"({"extra_vars":["Invalid value token=s3cr3t-launch-value"]})");
        const AwxError fieldError = canary::awx::errorFromResponse(response);
        QVERIFY2(!fieldError.summary().contains(u"s3cr3t-launch-value"_s), qPrintable(fieldError.summary()));
        QVERIFY2(fieldError.summary().contains(u"extra_vars: Invalid value token="_s),
            qPrintable(fieldError.summary())); // the rest of the text stays

        response.status = 401;
        response.body = QByteArray(R"({"detail":"Bearer abcdefghijklmnop rejected"})");
        const AwxError detail = canary::awx::errorFromResponse(response);
        QVERIFY2(!detail.summary().contains(u"abcdefghijklmnop"_s), qPrintable(detail.summary()));
        QVERIFY2(detail.summary().endsWith(u"rejected"_s), qPrintable(detail.summary()));
    }

    void malformed_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("empty") << QByteArray() << u"MalformedJson"_s << u"empty body"_s;
        QTest::newRow("html") << QByteArray("<html>") << u"MalformedJson"_s << u"parse error"_s;
        QTest::newRow("truncated") << QByteArray("{\"id\":1190,\"status\":\"runn") << u"MalformedJson"_s
                                   << u"parse error"_s;
        QTest::newRow("array") << QByteArray("[]") << u"UnexpectedShape"_s << u"root"_s;
        QTest::newRow("no id") << QByteArray("{\"status\":\"running\"}") << u"UnexpectedShape"_s
                               << u"id: missing"_s;
        QTest::newRow("id as string") << QByteArray("{\"id\":\"1190\",\"status\":\"running\"}")
                                      << u"UnexpectedShape"_s << u"id: expected a whole number"_s;
        QTest::newRow("no status") << QByteArray("{\"id\":1190}") << u"UnexpectedShape"_s
                                   << u"status: missing"_s;
        QTest::newRow("failed as string") << QByteArray("{\"id\":1,\"status\":\"failed\",\"failed\":\"yes\"}")
                                          << u"UnexpectedShape"_s << u"failed"_s;
        QTest::newRow("artifacts list") << QByteArray("{\"id\":1,\"status\":\"successful\",\"artifacts\":[]}")
                                        << u"UnexpectedShape"_s << u"artifacts"_s;
        QTest::newRow("bad time") << QByteArray("{\"id\":1,\"status\":\"running\",\"started\":\"yesterday\"}")
                                  << u"UnexpectedShape"_s << u"started"_s;
        QTest::newRow("a template") << QByteArray("{\"id\":7,\"type\":\"job_template\",\"name\":\"x\"}")
                                    << u"UnexpectedShape"_s << u"type"_s;
    }

    void malformed()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, kind);
        QFETCH(QString, mentions);
        const auto job = parseJob(json);
        QVERIFY(!job);
        QCOMPARE(kindName(job.error().kind), kind);
        QVERIFY2(job.error().message.contains(mentions), qPrintable(job.error().message));
    }

    void truncatedAtEveryCut()
    {
        // No prefix of a real answer may parse, crash or throw.
        const QByteArray json = readFixture(u"launch_post_201.json"_s).trimmed();
        QVERIFY(!json.isEmpty());
        for (qsizetype cut = 0; cut < json.size(); cut += 7) {
            const auto result = parseLaunchResult(json.left(cut));
            QVERIFY2(!result, qPrintable(QString::number(cut)));
            QCOMPARE(kindName(result.error().kind), u"MalformedJson"_s);
        }
    }

    void launchInfo_shapeErrors()
    {
        const auto missing = parseLaunchInfo("{\"ask_variables_on_launch\":true}");
        QVERIFY(!missing);
        QVERIFY(missing.error().message.contains(u"can_start_without_user_input: missing"_s));
        const auto launch = parseLaunchResult("{\"id\":5,\"status\":\"pending\"}");
        QVERIFY(!launch);
        QVERIFY(launch.error().message.contains(u"job: missing"_s));
        const auto ignoredList
            = parseLaunchResult("{\"job\":5,\"ignored_fields\":[],\"status\":\"pending\"}");
        QVERIFY(!ignoredList);
        QVERIFY(ignoredList.error().message.contains(u"ignored_fields"_s));
    }

    void extraVars_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("empty") << QString() << QByteArray("{}");
        QTest::newRow("json") << u"{\"canary_weight\": 30, \"old_weight\": 70}"_s
                              << QByteArray("{\"canary_weight\":30,\"old_weight\":70}");
        QTest::newRow("yaml") << u"---\nnamespace: shop\ncanary_weight: 30\n"_s
                              << QByteArray("{\"canary_weight\":30,\"namespace\":\"shop\"}");
        QTest::newRow("yaml scalars")
            << u"a: 'quoted'\nb: \"dq\"\nc: true\nd: ~\ne: 1.5\nf: text # comment\n"_s
            << QByteArray("{\"a\":\"quoted\",\"b\":\"dq\",\"c\":true,\"d\":null,\"e\":1.5,\"f\":\"text\"}");
        QTest::newRow("yaml nested skipped") << u"weights:\n  canary: 30\ncanary_weight: 40\nlist:\n- 1\n"_s
                                             << QByteArray("{\"canary_weight\":40}");
        QTest::newRow("not a mapping") << u"just some text"_s << QByteArray("{}");
        QTest::newRow("json list") << u"[1, 2]"_s << QByteArray("{}");
    }

    void extraVars()
    {
        QFETCH(QString, text);
        QFETCH(QByteArray, expected);
        QCOMPARE(QJsonDocument(parseExtraVars(text)).toJson(QJsonDocument::Compact), expected);
    }
};

QTEST_GUILESS_MAIN(TestAwxParser)
#include "tst_awxparser.moc"
