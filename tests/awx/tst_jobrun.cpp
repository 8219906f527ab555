#include <QJsonObject>
#include <QNetworkProxy>
#include <QSignalSpy>
#include <QTest>

#include "awx/awxclient.h"
#include "awx/jobrun.h"
#include "awxsimfixture.h"
#include "net/retrypolicy.h"
#include "sim/faultinjector.h"
#include "sim/simserver.h"
#include "sim/world.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::awx::JobRun;
using canary::awx::JobRunError;
using canary::awx::JobRunResult;
using canary::sim::AwxApi;
using canary::testing::AwxSimFixture;

namespace {

// A JobRun against the simulator's AWX with every signal recorded. The RestClient repeats nothing itself,
// so each failed poll reaches the JobRun and its own policy decides.
struct Run
{
    explicit Run(AwxSimFixture &fixture, const QString &token = {})
        : rest(fixture.restClient("Bearer " + (token.isEmpty() ? fixture.token() : token).toUtf8()))
        , client(rest.get(), u"/api/v2/"_s)
        , run(&client, fixture.clock)
        , launched(&run, &JobRun::launched)
        , statuses(&run, &JobRun::statusChanged)
        , retrying(&run, &JobRun::pollRetrying)
        , output(&run, &JobRun::outputChanged)
        , canceled(&run, &JobRun::cancelAnswered)
        , finished(&run, &JobRun::finished)
        , failed(&run, &JobRun::failed)
    {
        rest->setRetryPolicy(net::RetryPolicy::none());
        run.setPollIntervalMs(5);
        run.setTimeoutMs(120'000);
    }

    int outcomes() const { return int(finished.count() + failed.count()); }
    JobRunResult result() const { return finished.constLast().at(0).value<JobRunResult>(); }
    JobRunError error() const { return failed.constLast().at(0).value<JobRunError>(); }
    // For a failure message: QVERIFY2 evaluates it whether or not the check fails.
    QString failure() const { return failed.isEmpty() ? QString() : error().awx.summary(); }
    QStringList statusList() const
    {
        QStringList list;
        for (const auto &args : statuses)
            list.append(args.at(0).toString());
        return list;
    }

    std::unique_ptr<net::RestClient> rest;
    awx::AwxClient client;
    JobRun run;
    QSignalSpy launched;
    QSignalSpy statuses;
    QSignalSpy retrying;
    QSignalSpy output;
    QSignalSpy canceled;
    QSignalSpy finished;
    QSignalSpy failed;
};

QJsonObject weights(int canary)
{
    return { { u"canary_weight"_s, canary }, { u"old_weight"_s, 100 - canary } };
}

} // namespace

class TestJobRun : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QNetworkProxy::setApplicationProxy(QNetworkProxy::NoProxy); }

    void start_launchesWithTheVariables_andFollowsToSuccess()
    {
        AwxSimFixture fixture(0);
        Run job(fixture);
        job.run.start(AwxApi::SetCanaryWeightTemplateId, weights(30));
        fixture.startClock();
        QTRY_COMPARE(job.outcomes(), 1);
        fixture.stopClock();
        QVERIFY2(job.failed.isEmpty(), qPrintable(job.failure()));
        const JobRunResult result = job.result();
        QVERIFY(result.job.isSuccessful());
        QCOMPARE(result.job.id, 1200);
        QVERIFY(!result.output); // nobody asked for it, nothing failed
        QVERIFY(!result.cancelRequested);
        QCOMPARE(job.launched.count(), 1);
        QCOMPARE(job.launched.front().at(0).toInt(), 1200);
        QCOMPARE(job.launched.front().at(1).toString(), u"/api/v2/jobs/1200/"_s);
        QCOMPARE(job.statusList().front(), u"pending"_s);
        QCOMPARE(job.statusList().back(), u"successful"_s);
        QCOMPARE(job.statusList().removeDuplicates(), 0);
        QCOMPARE(fixture.world().canaryWeight(), 30);
        QCOMPARE(fixture.awx().job(1200)->extraVars.value(u"old_weight"_s).toInt(), 70);
        QVERIFY(job.retrying.isEmpty());
    }

    void preflight_refusesWhatTheTemplateWouldNotRunAsAsked_data()
    {
        QTest::addColumn<int>("templateId");
        QTest::addColumn<QJsonObject>("extraVars");
        QTest::addColumn<bool>("variablesNotPrompted");
        QTest::addColumn<QStringList>("unanswered");

        QTest::newRow("required survey question unanswered")
            << int(AwxApi::SetCanaryWeightSurveyTemplateId) << QJsonObject() << false
            << QStringList { u"canary_weight"_s };
        QTest::newRow("variables the template would drop")
            << int(AwxApi::SetCanaryWeightNoPromptTemplateId) << weights(30) << true << QStringList();
    }

    void preflight_refusesWhatTheTemplateWouldNotRunAsAsked()
    {
        QFETCH(int, templateId);
        QFETCH(QJsonObject, extraVars);
        QFETCH(bool, variablesNotPrompted);
        QFETCH(QStringList, unanswered);

        AwxSimFixture fixture(0);
        Run job(fixture);
        QSignalSpy aboutToLaunch(&job.run, &JobRun::aboutToLaunch);
        job.run.start(templateId, extraVars);
        QTRY_COMPARE(job.outcomes(), 1);
        QCOMPARE(job.failed.count(), 1);
        const JobRunError error = job.error();
        QCOMPARE(error.kind, JobRunError::Kind::Refused);
        QCOMPARE(error.blockers.variablesNotPrompted, variablesNotPrompted);
        QCOMPARE(error.blockers.unansweredVariables, unanswered);
        QCOMPARE(error.launchInfo.templateId, templateId);
        QCOMPARE(error.jobId, 0);
        QVERIFY(aboutToLaunch.isEmpty());
        QVERIFY(job.launched.isEmpty());
        QCOMPARE(fixture.awx().jobCount(), 0);
    }

    void ignoredFields_cancelTheJob_andFail()
    {
        AwxSimFixture fixture(0);
        Run job(fixture);
        // The survey template asks for canary_weight only: AWX launches, dropping old_weight.
        job.run.start(AwxApi::SetCanaryWeightSurveyTemplateId, weights(30));
        fixture.startClock();
        QTRY_COMPARE(job.outcomes(), 1);
        fixture.stopClock();
        QCOMPARE(job.failed.count(), 1);
        const JobRunError error = job.error();
        QCOMPARE(error.kind, JobRunError::Kind::IgnoredFields);
        QCOMPARE(error.jobId, 1200);
        QCOMPARE(error.launch.ignoredExtraVars(), QStringList { u"old_weight"_s });
        QVERIFY(!error.cancelError);
        QCOMPARE(job.launched.count(), 1);
        QCOMPARE(fixture.awx().job(1200)->status, u"canceled"_s);
        QCOMPARE(fixture.world().canaryWeight(), 0);
    }

    void transient503WhilePolling_isRetried_andTheJobIsFollowedToTheEnd()
    {
        AwxSimFixture fixture(0);
        Run job(fixture);
        QString error;
        QVERIFY2(fixture.environment->faults().addFault(
                     { u"GET /api/v2/jobs/*"_s, sim::Fault::Kind::ServerError, 503, 2 }, &error),
            qPrintable(error));
        job.run.start(AwxApi::SetCanaryWeightTemplateId, weights(40));
        fixture.startClock();
        QTRY_COMPARE(job.outcomes(), 1);
        fixture.stopClock();
        QVERIFY2(job.failed.isEmpty(), qPrintable(job.failure()));
        QVERIFY(job.result().job.isSuccessful());
        QCOMPARE(job.retrying.count(), 2);
        for (const auto &args : job.retrying)
            QCOMPARE(args.at(0).value<awx::AwxError>().httpStatus, 503);
        QCOMPARE(fixture.world().canaryWeight(), 40);
    }

    void forbiddenWhilePolling_isFinal()
    {
        AwxSimFixture fixture(0);
        fixture.environment->server().addToken(u"operator"_s, { u"awx.write"_s });
        Run job(fixture, u"operator"_s);
        // The token loses its AWX scopes once the job runs: every further poll is a 403.
        connect(&job.run, &JobRun::launched, this,
            [&fixture] { fixture.environment->server().addToken(u"operator"_s, { u"metrics.read"_s }); });
        job.run.start(AwxApi::SetCanaryWeightTemplateId, weights(20));
        fixture.startClock();
        QTRY_COMPARE(job.outcomes(), 1);
        QCOMPARE(job.failed.count(), 1);
        const JobRunError error = job.error();
        QCOMPARE(error.kind, JobRunError::Kind::Poll);
        QCOMPARE(error.awx.kind, awx::AwxError::Kind::Forbidden);
        QCOMPARE(error.awx.httpStatus, 403);
        QCOMPARE(error.jobId, 1200);
        QVERIFY(job.retrying.isEmpty());
        const int polls = fixture.environment->faults().requestCount(u"GET /api/v2/jobs/1200/"_s);
        QCOMPARE(polls, 1);
        // Nothing polls any more, and nothing else is reported, while the job goes on in AWX.
        QTRY_COMPARE(fixture.awx().job(1200)->status, u"successful"_s);
        fixture.stopClock();
        QCoreApplication::processEvents();
        QCOMPARE(fixture.environment->faults().requestCount(u"GET /api/v2/jobs/1200/"_s), polls);
        QCOMPARE(job.outcomes(), 1);
    }

    void jobThatNeverEnds_timesOut_withItsLastStatus()
    {
        AwxSimFixture fixture(0);
        fixture.awx().setRunMs(10LL * 3600 * 1000);
        Run job(fixture);
        job.run.setTimeoutMs(60'000);
        job.run.start(AwxApi::SetCanaryWeightTemplateId, weights(30));
        fixture.startClock(1000);
        QTRY_COMPARE(job.outcomes(), 1);
        fixture.stopClock();
        QCOMPARE(job.failed.count(), 1);
        const JobRunError error = job.error();
        QCOMPARE(error.kind, JobRunError::Kind::TimedOut);
        QCOMPARE(error.lastStatus, u"running"_s);
        QVERIFY(!error.lastPollError);
        QVERIFY(error.followedMs >= 60'000);
        QCOMPARE(fixture.awx().job(1200)->status, u"running"_s); // left alone
    }

    void follow_picksUpAJobLaunchedBefore_andReadsItsOutput()
    {
        AwxSimFixture fixture(100);
        Run job(fixture);
        std::optional<awx::AwxResult<awx::LaunchResult>> launch;
        job.client.launch(AwxApi::ResetCanaryWeightingTemplateId, {}, this,
            [&launch](const awx::AwxResult<awx::LaunchResult> &result) { launch = result; });
        QTRY_VERIFY(launch.has_value());
        QVERIFY(*launch);

        job.run.setFollowOutput(true);
        job.run.follow((*launch)->jobId);
        fixture.startClock();
        QTRY_COMPARE(job.outcomes(), 1);
        fixture.stopClock();
        QVERIFY2(job.failed.isEmpty(), qPrintable(job.failure()));
        QVERIFY(job.result().job.isSuccessful());
        QVERIFY(job.result().output.has_value());
        QVERIFY(!job.result().output->isEmpty());
        QVERIFY(!job.output.isEmpty());
        QCOMPARE(job.output.constLast().at(0).toString(), *job.result().output);
        QVERIFY(job.launched.isEmpty());
        QCOMPARE(fixture.awx().jobCount(), 1);
        QCOMPARE(fixture.world().canaryWeight(), 0);
    }

    void cancel_endsTheRunWithTheJobsCanceledStatus()
    {
        AwxSimFixture fixture(0);
        fixture.awx().setRunMs(10 * 60'000);
        Run job(fixture);
        QVERIFY(!job.run.cancel()); // nothing launched yet
        job.run.start(AwxApi::SetCanaryWeightTemplateId, weights(50));
        QTRY_COMPARE(job.launched.count(), 1);
        QVERIFY(job.run.cancel());
        fixture.startClock();
        QTRY_COMPARE(job.outcomes(), 1);
        fixture.stopClock();
        QCOMPARE(job.canceled.count(), 1);
        QVERIFY(job.canceled.front().at(0).toBool());
        QCOMPARE(job.finished.count(), 1);
        QCOMPARE(job.result().job.status, u"canceled"_s);
        QVERIFY(job.result().cancelRequested);
        QVERIFY(!job.run.cancel()); // over
        QCOMPARE(fixture.world().canaryWeight(), 0);
    }

    void pollPolicy_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("httpStatus");
        QTest::addColumn<bool>("transient");
        using Kind = awx::AwxError::Kind;
        QTest::newRow("no answer") << int(Kind::Transport) << 0 << true;
        QTest::newRow("timeout") << int(Kind::Timeout) << 0 << true;
        QTest::newRow("429") << int(Kind::HttpError) << 429 << true;
        QTest::newRow("502") << int(Kind::ServerError) << 502 << true;
        QTest::newRow("503") << int(Kind::ServerError) << 503 << true;
        QTest::newRow("504") << int(Kind::ServerError) << 504 << true;
        QTest::newRow("500") << int(Kind::ServerError) << 500 << false;
        QTest::newRow("401") << int(Kind::Unauthorized) << 401 << false;
        QTest::newRow("403") << int(Kind::Forbidden) << 403 << false;
        QTest::newRow("404") << int(Kind::NotFound) << 404 << false;
        QTest::newRow("not JSON") << int(Kind::MalformedJson) << 0 << false;
        QTest::newRow("wrong shape") << int(Kind::UnexpectedShape) << 0 << false;
    }

    void pollPolicy()
    {
        QFETCH(int, kind);
        QFETCH(int, httpStatus);
        QFETCH(bool, transient);
        awx::AwxError error;
        error.kind = awx::AwxError::Kind(kind);
        error.httpStatus = httpStatus;
        QCOMPARE(JobRun::isTransientPollFailure(error), transient);
    }
};

QTEST_GUILESS_MAIN(TestJobRun)
#include "tst_jobrun.moc"
