#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "canaryctlrun.h"
#include "rollback/rollbackactions.h"
#include "rollback/rollbackjournal.h"
#include "sim/awxapi.h"
#include "sim/dynatraceapi.h"
#include "sim/eventstore.h"
#include "sim/faultinjector.h"
#include "sim/simserver.h"
#include "simfixture.h"
#include "store/auditlog.h"
#include "store/database.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::World;
using canary::testing::canaryctl;
using canary::testing::Run;
using canary::testing::SimFixture;

namespace {

// Where canaryctl keeps its state (the local store, the rollback journal) unless a test says otherwise:
// never the developer's own data directory.
QString defaultStateDir()
{
    static QTemporaryDir dir;
    return dir.path();
}

QProcessEnvironment cleanEnvironment()
{
    auto environment = QProcessEnvironment::systemEnvironment();
    for (const auto &name :
        { u"DT_ENV_URL"_s, u"DT_API_TOKEN"_s, u"DYNATRACE_ENV_URL"_s, u"DYNATRACE_API_TOKEN"_s })
        environment.remove(name);
    environment.insert(u"CANARY_STATE_DIR"_s, defaultStateDir());
    return environment;
}

QProcessEnvironment environmentFor(const SimFixture &fixture, const QString &token)
{
    auto environment = cleanEnvironment();
    environment.insert(u"DT_ENV_URL"_s, fixture.environment->baseUrl().toString());
    environment.insert(u"DT_API_TOKEN"_s, token);
    return environment;
}

} // namespace

class TestCanaryctl : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void statusJson_printsPerBuildCounts_matchingTheSimulator()
    {
        SimFixture fixture(30, 20);
        const Run run
            = canaryctl({ u"status"_s, u"--json"_s, u"--resolution"_s, u"1m"_s, u"--from"_s, u"now-15m"_s },
                environmentFor(fixture, fixture.environment->token()));
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(run.err.isEmpty());

        QJsonParseError error;
        const auto document = QJsonDocument::fromJson(run.out, &error);
        QVERIFY2(error.error == QJsonParseError::NoError, run.out.constData());
        const auto builds = document[u"builds"_s].toArray();
        QCOMPARE(builds.size(), 2);
        QCOMPARE(builds[0][u"build"_s].toString(), fixture.environment->stableBuild());
        QCOMPARE(builds[1][u"build"_s].toString(), fixture.environment->canaryBuild());

        const std::array roles { World::BuildRole::Stable, World::BuildRole::Canary };
        for (qsizetype b = 0; b < 2; ++b) {
            double sum = 0;
            const auto points = builds[b][u"points"_s].toArray();
            QVERIFY(points.size() >= 15);
            for (const auto &pointValue : points) {
                const auto point = pointValue.toArray();
                QCOMPARE(point.size(), 2);
                const auto expected
                    = fixture.expectedRequests(roles[std::size_t(b)], point[0].toInteger(), 60'000);
                if (expected) {
                    QCOMPARE(point[1].toDouble(), *expected);
                    sum += *expected;
                } else {
                    QVERIFY(point[1].isNull());
                }
            }
            QCOMPARE(builds[b][u"total"_s].toDouble(), sum);
        }
        QCOMPARE(document[u"buildDimension"_s].toString(), u"Build"_s);
    }

    // The faulty build 4 at 30 % for 20 minutes: the verdict says FAIL on the failure rate, naming the
    // numbers, in the JSON for pipelines and in the text for people.
    void status_givesTheVerdict_withItsNumbers()
    {
        SimFixture fixture(30, 20);
        const auto environment = environmentFor(fixture, fixture.environment->token());
        Run run = canaryctl(
            { u"status"_s, u"--json"_s, u"--resolution"_s, u"1m"_s, u"--from"_s, u"now-15m"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto document = QJsonDocument::fromJson(run.out);
        QCOMPARE(document[u"roles"_s][u"canary"_s].toString(), fixture.environment->canaryBuild());
        const auto verdict = document[u"verdict"_s];
        QCOMPARE(verdict[u"outcome"_s].toString(), u"FAIL"_s);
        const auto metrics = verdict[u"metrics"_s].toArray();
        QVERIFY(!metrics.isEmpty());
        QCOMPARE(metrics[0][u"metric"_s].toString(), u"Failure rate"_s);
        QCOMPARE(metrics[0][u"outcome"_s].toString(), u"FAIL"_s);
        QVERIFY(metrics[0][u"canaryCount"_s].toInteger() >= 100);
        const QString sentence = metrics[0][u"sentence"_s].toString();
        QVERIFY2(sentence.startsWith(u"Failure rate: canary "_s), qPrintable(sentence));
        QVERIFY(sentence.contains(u"requests) vs stable "_s));
        QVERIFY(sentence.contains(u"p < 0.001"_s));
        const auto builds = document[u"builds"_s].toArray();
        QVERIFY(builds[1][u"failureRate"_s].toDouble() > 0.2); // build 4 fails about every other request
        QVERIFY(builds[0][u"failureRate"_s].toDouble() < 0.05);

        run = canaryctl({ u"status"_s, u"--resolution"_s, u"1m"_s, u"--from"_s, u"now-15m"_s }, environment);
        QCOMPARE(run.exitCode, 0);
        const QString text = QString::fromUtf8(run.out);
        QVERIFY2(text.contains(u"VERDICT: FAIL: failure rate FAIL"_s), qPrintable(text));
        QVERIFY(text.contains(u"  " + sentence + u"\n"));

        // Naming the roles the other way round judges the other way round: stable is not worse than 4.0.0.
        run = canaryctl(
            { u"status"_s, u"--json"_s, u"--resolution"_s, u"1m"_s, u"--stable-build"_s,
                fixture.environment->canaryBuild(), u"--canary-build"_s, fixture.environment->stableBuild() },
            environment);
        QCOMPARE(run.exitCode, 0);
        QVERIFY(QJsonDocument::fromJson(run.out)[u"verdict"_s][u"outcome"_s].toString() != u"FAIL"_s);
    }

    // The incident report from the command line: the verdict, the builds, Dynatrace's events and the
    // operator's actions from the audit log, as Markdown in the folder asked for.
    void report_writesTheStory_fromTheAuditLogAndDynatrace()
    {
        SimFixture fixture(30, 20);
        QTemporaryDir stateDir;
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, stateDir.path());
        Run run = canaryctl({ u"split"_s, u"set"_s, u"10"_s, u"--reason"_s, u"failure rate too high"_s,
                                u"--resolution"_s, u"1m"_s },
            environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());

        QTemporaryDir reports;
        run = canaryctl({ u"report"_s, u"--out"_s, reports.path(), u"--resolution"_s, u"1m"_s, u"--json"_s },
            environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto answer = QJsonDocument::fromJson(run.out);
        QCOMPARE(answer[u"verdict"_s].toString(), u"FAIL"_s);
        const QString path = answer[u"path"_s].toString();
        QVERIFY(path.startsWith(reports.path() + u"/incident-"_s));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString story = QString::fromUtf8(file.readAll());
        QVERIFY2(story.contains(u"- Verdict at export: **FAIL**"_s), qPrintable(story));
        QVERIFY(story.contains(u"| Failure rate | FAIL | Failure rate: canary "_s));
        QVERIFY(story.contains(u"| Operator (Canary Console) | split.set | "_s));
        QVERIFY(story.contains(u"| Dynatrace event | CUSTOM_CONFIGURATION | "_s));
        QVERIFY(story.contains(u"failure rate too high"_s)); // the change's reason, on its event
        QVERIFY(!story.contains(u"## Chart"_s)); // no image from the command line

        run = canaryctl({ u"report"_s }, environment);
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.err.contains("report needs --out DIR"));
    }

    void statusText_isATableForPeople()
    {
        SimFixture fixture(30, 5);
        const Run run = canaryctl({ u"status"_s }, environmentFor(fixture, fixture.environment->token()));
        QCOMPARE(run.exitCode, 0);
        const QString text = QString::fromUtf8(run.out);
        QVERIFY(text.contains(u"BUILD"_s));
        QVERIFY(text.contains(fixture.environment->stableBuild()));
        QVERIFY(text.contains(fixture.environment->canaryBuild()));
    }

    void errors_haveSpecificMessagesAndExitCodes()
    {
        SimFixture fixture(30, 5);

        Run run = canaryctl({ u"status"_s }, environmentFor(fixture, u"dt0c01.WRONG"_s));
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(
            run.err.contains("401") && run.err.contains("Token Authentication failed"), run.err.constData());
        QCOMPARE(run.err.count('\n'), 1);

        run = canaryctl({ u"status"_s, u"--metric-selector"_s, u"calc:service.nope"_s, u"--build-dimension"_s,
                            u"Build"_s },
            environmentFor(fixture, fixture.environment->token()));
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.err.contains("calc:service.nope"), run.err.constData());

        run = canaryctl({ u"status"_s, u"--metric-selector"_s, u"builtin:service.requestCount.total"_s },
            environmentFor(fixture, fixture.environment->token()));
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.err.contains("no build dimension"), run.err.constData());

        auto noToken = environmentFor(fixture, {});
        noToken.remove(u"DT_API_TOKEN"_s);
        run = canaryctl({ u"status"_s }, noToken);
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.err.contains("DT_API_TOKEN"));

        run = canaryctl({ u"frobnicate"_s }, environmentFor(fixture, fixture.environment->token()));
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.err.contains("unknown command"));

        run = canaryctl(
            { u"status"_s, u"--no-such-flag"_s }, environmentFor(fixture, fixture.environment->token()));
        QCOMPARE(run.exitCode, 2);

        run = canaryctl({ u"status"_s }, cleanEnvironment());
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.err.contains("--dynatrace-url"));

        fixture.environment->stop();
        run = canaryctl({ u"status"_s }, environmentFor(fixture, fixture.environment->token()));
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("refused"), run.err.constData());
    }

    void splitSetThenGet_movesTheSimulatedRouter_andRecordsTheEvent()
    {
        SimFixture fixture(0, 5);
        const auto environment = environmentFor(fixture, fixture.environment->token());
        Run run = canaryctl({ u"split"_s, u"set"_s, u"30"_s, u"--reason"_s, u"first canary step"_s,
                                u"--remediation-action"_s, u"9"_s, u"--operator"_s, u"ci-pipeline"_s },
            environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("canary weight set to 30 %"), run.out.constData());
        QVERIFY(run.out.contains("Canary weight set to 30"));
        QCOMPARE(fixture.world().canaryWeight(), 30);

        const auto &events = fixture.environment->events().events();
        QCOMPARE(events.size(), 1);
        const auto &event = events.front();
        QCOMPARE(event.eventType, u"CUSTOM_CONFIGURATION"_s);
        QCOMPARE(event.title, u"Canary weight set to 30"_s);
        QCOMPARE(event.entityId, fixture.environment->serviceId());
        QCOMPARE(event.properties.value(u"remediationType"_s), u"ansible"_s);
        QCOMPARE(event.properties.value(u"remediationAction"_s), u"9"_s);
        QCOMPARE(event.properties.value(u"canary.split.old"_s), u"100/0"_s);
        QCOMPARE(event.properties.value(u"canary.split.new"_s), u"70/30"_s);
        QCOMPARE(event.properties.value(u"canary.reason"_s), u"first canary step"_s);
        // Who acted, as the audit log has it: --operator, not the login.
        QCOMPARE(event.properties.value(u"canary.operator"_s), u"ci-pipeline"_s);

        run = canaryctl({ u"split"_s, u"get"_s, u"--json"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto split = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(split[u"canary"_s].toInt(), 30);
        QCOMPARE(split[u"stable"_s].toInt(), 70);

        // Back to 0 %: the reset needs no backout, as in the workshop.
        run = canaryctl({ u"split"_s, u"set"_s, u"0"_s, u"--remediation-action"_s, u"9"_s }, environment);
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(
            fixture.environment->events().events().front().properties.value(u"remediationAction"_s), u"NA"_s);
    }

    void splitSet_badInput_andNoEvent()
    {
        SimFixture fixture(0, 5);
        const auto environment = environmentFor(fixture, fixture.environment->token());
        for (const auto &bad : { u"130"_s, u"-1"_s, u"thirty"_s, u"30.5"_s }) {
            // "--" ends the options, so a negative number reaches the command as a value.
            const Run run = canaryctl({ u"split"_s, u"set"_s, u"--"_s, bad }, environment);
            QCOMPARE(run.exitCode, 2);
            QVERIFY2(run.err.contains(bad.toUtf8()), run.err.constData());
        }
        QCOMPARE(canaryctl({ u"split"_s, u"set"_s }, environment).exitCode, 2);
        QCOMPARE(fixture.world().canaryWeight(), 0);

        Run run = canaryctl({ u"split"_s, u"set"_s, u"40"_s, u"--no-event"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 40);
        QCOMPARE(fixture.environment->events().size(), 0);

        run = canaryctl({ u"split"_s, u"set"_s, u"50"_s }, environmentFor(fixture, u"dt0c01.WRONG"_s));
        QCOMPARE(run.exitCode, 3);
        QCOMPARE(fixture.world().canaryWeight(), 40);

        run = canaryctl(
            { u"split"_s, u"set"_s, u"50"_s, u"--traffic-backend"_s, u"carrier-pigeon"_s }, environment);
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.err.contains("carrier-pigeon"));
    }

    // The workshop's whole history, read over several small pages: every generation of event, with its
    // backout plan as it was written.
    void eventsJson_readsEveryGeneration_acrossPages()
    {
        SimFixture fixture(SimFixture::WorkshopDemo {});
        const auto environment = environmentFor(fixture, fixture.environment->token());
        const Run run = canaryctl({ u"events"_s, u"--from"_s, u"now-30m"_s, u"--json"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject answer = QJsonDocument::fromJson(run.out).object();
        QVERIFY(answer[u"complete"_s].toBool());
        const QJsonArray events = answer[u"events"_s].toArray();
        QVERIFY(events.size() > SimFixture::SmallPageSize); // more than one page was followed
        QMap<QString, QJsonObject> byTitle;
        qint64 previousStart = std::numeric_limits<qint64>::max();
        for (const QJsonValue event : events) {
            byTitle.insert(event[u"title"_s].toString(), event.toObject());
            const qint64 start = event[u"startTime"_s].toInteger();
            QVERIFY2(start <= previousStart, "newest first");
            previousStart = start;
        }
        QCOMPARE(byTitle.size(), 5);

        const auto action = [&](const QString &title) {
            return byTitle.value(title)[u"properties"_s][u"remediationAction"_s].toString();
        };
        QCOMPARE(action(u"Canary weight set to 70"_s), u"9"_s);
        QCOMPARE(action(u"Canary weight set to 0"_s), u"NA"_s);
        QCOMPARE(action(u"simplenodeservice canary weight set to 30%"_s),
            fixture.environment->baseUrl().toString() + u"/api/v2/job_templates/9/launch/"_s);
        const QJsonObject reset = byTitle.value(u"Canary weight set to 0"_s);
        QCOMPARE(reset[u"status"_s].toString(), u"OPEN"_s);
        QVERIFY(reset[u"endTime"_s].isNull()); // open: no end yet, not -1
        QCOMPARE(byTitle.value(u"Failure rate increase"_s)[u"eventType"_s].toString(), u"ERROR_EVENT"_s);
        QCOMPARE(byTitle.value(u"Canary weight set to 70"_s)[u"entityId"_s].toString(),
            fixture.environment->serviceId());
    }

    void eventsText_filtersByType_andShowsTheBackoutPlan()
    {
        SimFixture fixture(SimFixture::WorkshopDemo {});
        const auto environment = environmentFor(fixture, fixture.environment->token());
        Run run = canaryctl({ u"events"_s, u"--type"_s, u"CUSTOM_CONFIGURATION"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QStringList lines = QString::fromUtf8(run.out).split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 4);
        for (const auto &line : lines)
            QVERIFY2(line.contains(u"CUSTOM_CONFIGURATION"_s), qPrintable(line));
        QVERIFY(!run.out.contains("Failure rate increase"));
        QVERIFY2(run.out.contains("Canary weight set to 100  [backout: ansible 9]"), run.out.constData());
        QVERIFY(run.out.contains("Canary weight set to 0  [backout: ansible NA]  OPEN"));

        // Nothing to show says so instead of printing nothing.
        run = canaryctl({ u"events"_s, u"--type"_s, u"CUSTOM_INFO"_s }, environment);
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out, QByteArray("(no events for this target in the window)\n"));
    }

    void problems_closedInTheHistory_thenOpenAfterAShiftToTheFaultyCanary()
    {
        SimFixture fixture(SimFixture::WorkshopDemo {});
        const auto environment = environmentFor(fixture, fixture.environment->token());
        Run run = canaryctl({ u"problems"_s, u"--json"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QJsonArray problems = QJsonDocument::fromJson(run.out).object()[u"problems"_s].toArray();
        QCOMPARE(problems.size(), 1);
        QCOMPARE(problems.at(0)[u"status"_s].toString(), u"CLOSED"_s);
        QCOMPARE(problems.at(0)[u"title"_s].toString(), u"Failure rate increase"_s);
        const QString closedId = problems.at(0)[u"problemId"_s].toString();

        fixture.world().setCanaryWeight(50);
        fixture.clock.advanceMs(3 * 60'000);
        run = canaryctl({ u"problems"_s, u"--json"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        problems = QJsonDocument::fromJson(run.out).object()[u"problems"_s].toArray();
        QCOMPARE(problems.size(), 2);
        const QJsonObject open = problems.at(0).toObject(); // newest first
        QCOMPARE(open[u"status"_s].toString(), u"OPEN"_s);
        QVERIFY(open[u"endTime"_s].isNull());
        QCOMPARE(open[u"severityLevel"_s].toString(), u"ERROR"_s);
        QVERIFY(open[u"problemId"_s].toString() != closedId);
        const QString displayId = open[u"displayId"_s].toString();
        QVERIFY2(displayId.startsWith(u"P-"_s), qPrintable(displayId));

        run = canaryctl({ u"problems"_s }, environment);
        QCOMPARE(run.exitCode, 0);
        const QString firstLine = QString::fromUtf8(run.out).section(u'\n', 0, 0);
        QVERIFY2(firstLine.contains(displayId) && firstLine.contains(u"OPEN"_s)
                && firstLine.contains(u"Failure rate increase"_s),
            qPrintable(firstLine));
    }

    void timelineCommands_reportTheTenantsOwnErrors()
    {
        SimFixture fixture(SimFixture::WorkshopDemo {});
        // A metrics-only token: Dynatrace names the scope that is missing; exit 3 like any auth failure.
        fixture.environment->server().addToken(u"dt0c01.METRICS"_s, { u"metrics.read"_s });
        Run run = canaryctl({ u"events"_s }, environmentFor(fixture, u"dt0c01.METRICS"_s));
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("403") && run.err.contains("events.read"), run.err.constData());
        run = canaryctl({ u"problems"_s }, environmentFor(fixture, u"dt0c01.METRICS"_s));
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("problems.read"), run.err.constData());

        run = canaryctl({ u"events"_s, u"--from"_s, u"yesterday-ish"_s },
            environmentFor(fixture, fixture.environment->token()));
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.err.contains("400"), run.err.constData());

        fixture.environment->stop();
        run = canaryctl({ u"problems"_s }, environmentFor(fixture, fixture.environment->token()));
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("refused"), run.err.constData());
    }

    // Issue 5's "done when" from a shell: the ramp recorded its backout, the faulty canary takes everything,
    // and `canaryctl rollback --yes` runs the recorded AWX template, follows it and verifies.
    void planThenRollback_runsTheRecordedBackout_andVerifies()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir state;
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        environment.insert(u"CONTROLLER_OAUTH_TOKEN"_s, fixture.environment->token());
        const QString sim = fixture.environment->baseUrl().toString();
        const QStringList rollbackFlags { u"--awx-url"_s, sim, u"--traffic-backend"_s, u"sim"_s,
            u"--poll-interval"_s, u"5"_s, u"--resolution"_s, u"10s"_s };

        Run run = canaryctl({ u"plan"_s }, environment);
        QCOMPARE(run.exitCode, 5); // nothing recorded yet
        QVERIFY2(run.err.contains("remediationAction"), run.err.constData());

        run = canaryctl({ u"split"_s, u"set"_s, u"100"_s, u"--remediation-action"_s, u"9"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 100);

        run = canaryctl(QStringList { u"plan"_s, u"--json"_s } + rollbackFlags, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject plan = QJsonDocument::fromJson(run.out).object()[u"plan"_s].toObject();
        QCOMPARE(plan[u"kind"_s].toString(), u"awx-template"_s);
        QCOMPARE(plan[u"templateId"_s].toInt(), 9);
        QCOMPARE(plan[u"summary"_s].toString(),
            u"Launch 'Reset canary weighting' (#9) on 127.0.0.1:%1"_s.arg(
                fixture.environment->baseUrl().port()));
        QCOMPARE(plan[u"source"_s][u"title"_s].toString(), u"Canary weight set to 100"_s);

        // Not a terminal and no --yes: nothing runs.
        run = canaryctl(QStringList { u"rollback"_s } + rollbackFlags, environment);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("--yes"), run.err.constData());
        QCOMPARE(fixture.environment->awx().jobCount(), 0);

        // The simulated world runs while canaryctl follows the job (250 ms per real millisecond).
        QTimer pump;
        QObject::connect(&pump, &QTimer::timeout, &pump, [&] { fixture.clock.advanceMs(250); });
        pump.start(1);
        run = canaryctl(
            QStringList { u"rollback"_s, u"--yes"_s, u"--reason"_s, u"failure rate up"_s } + rollbackFlags,
            environment);
        pump.stop();
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("rollback succeeded") && run.out.contains("verified"), run.out.constData());
        QVERIFY2(run.err.contains("launched AWX job"), run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 0);
        QCOMPARE(fixture.environment->awx().jobCount(), 1);
        bool recorded = false;
        for (const auto &event : fixture.environment->events().events())
            recorded = recorded
                || (event.title.startsWith(u"Rollback executed: AWX job"_s)
                    && event.properties.value(u"rollback.reason"_s) == u"failure rate up"_s);
        QVERIFY(recorded);

        // Now the newest change is the rollback's own reset ("Canary weight set to 0", NA) or nothing to run.
        run = canaryctl(QStringList { u"rollback"_s, u"--yes"_s } + rollbackFlags, environment);
        QCOMPARE(run.exitCode, 5);
    }

    // Without a plan, --fallback sets 0 % through the named back-end: a change like any other, so it is in
    // the audit log as split.set and in Dynatrace as "Canary weight set to 0", measured from the split read
    // first.
    // (--no-wait: the simulator runs on a virtual clock, so the observed-traffic check is another test's.)
    void rollbackFallback_setsZeroThroughTheGate_auditedAndRecorded()
    {
        SimFixture fixture(40, 5);
        QTemporaryDir state;
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        const QStringList flags { u"--traffic-backend"_s, u"sim"_s, u"--operator"_s, u"night-shift"_s };

        Run run = canaryctl(QStringList { u"rollback"_s, u"--yes"_s } + flags, environment);
        QCOMPARE(run.exitCode, 5); // no plan recorded: the fallback is never taken silently
        QCOMPARE(fixture.world().canaryWeight(), 40);

        run = canaryctl(QStringList { u"rollback"_s, u"--yes"_s, u"--no-wait"_s, u"--fallback"_s,
                            u"--reason"_s, u"no plan, error rate up"_s }
                + flags,
            environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 0);

        run = canaryctl({ u"outbox"_s, u"flush"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        int changeEvents = 0;
        for (const auto &event : fixture.environment->events().events()) {
            if (event.title != u"Canary weight set to 0"_s)
                continue;
            ++changeEvents;
            QCOMPARE(event.properties.value(u"canary.operator"_s), u"night-shift"_s);
            QCOMPARE(event.properties.value(u"canary.split.old"_s), u"60/40"_s);
            QVERIFY2(event.properties.value(u"canary.reason"_s).contains(u"no plan, error rate up"_s),
                qPrintable(event.properties.value(u"canary.reason"_s)));
        }
        QCOMPARE(changeEvents, 1);

        run = canaryctl({ u"audit"_s, u"list"_s, u"--json"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QStringList splitRows;
        for (const auto &value : QJsonDocument::fromJson(run.out).array()) {
            const QJsonObject entry = value.toObject();
            if (entry[u"action"_s].toString() == u"split.set"_s)
                splitRows.append(entry[u"result"_s].toString() + u':' + entry[u"operator"_s].toString());
        }
        QCOMPARE(splitRows, (QStringList { u"requested:night-shift"_s, u"succeeded:night-shift"_s }));
    }

    // Issue 17's "why", point 2, as it now happens: canaryctl itself never records a change without a backout
    // (the simulator's own reset goes on the event), but the pipeline may. A "Canary weight set to 30" it
    // posted without a remediationAction, after an older reset: plan and rollback do not say "nothing needed"
    // while 30 % sits on the canary; they say what they found and point at the fallback, which then runs.
    void pipelineChangeWithoutAPlan_thenPlanAndRollback_offerAndRunTheFallback()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir state;
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        Run run
            = canaryctl({ u"split"_s, u"set"_s, u"0"_s, u"--remediation-action"_s, u"NA"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        fixture.clock.advanceMs(60'000);
        fixture.world().setCanaryWeight(
            30, sim::WeightOrigin { u"Jenkins pipeline"_s, u"jenkins"_s, {}, -1 });
        const auto &service = fixture.world().service();
        sim::StoredEvent pipeline;
        pipeline.eventId = u"4242_%1"_s.arg(fixture.clock.nowMs());
        pipeline.correlationId = u"00000000000000aa"_s;
        pipeline.startMs = fixture.clock.nowMs();
        pipeline.endMs = pipeline.startMs + 15 * 60'000;
        pipeline.eventType = u"CUSTOM_CONFIGURATION"_s;
        pipeline.title = u"Canary weight set to 30"_s;
        pipeline.entityId = service.id;
        pipeline.entityType = u"SERVICE"_s;
        pipeline.entityName = service.name;
        pipeline.entityTags = service.tags;
        pipeline.properties = { { u"remediationType"_s, u"ansible"_s } };
        fixture.environment->events().add(pipeline);
        fixture.clock.advanceMs(1'000);

        run = canaryctl({ u"plan"_s }, environment);
        QCOMPARE(run.exitCode, 5);
        QVERIFY2(run.err.contains("the newest change, \"Canary weight set to 30\"")
                && run.err.contains("carries no backout plan") && run.err.contains("--fallback"),
            run.err.constData());
        QVERIFY2(!run.out.contains("No backout needed") && !run.err.contains("no backout needed"),
            run.out.constData());
        run = canaryctl({ u"plan"_s, u"--json"_s }, environment);
        QCOMPARE(QJsonDocument::fromJson(run.out).object()[u"refusal"_s].toString(),
            u"newest-change-without-plan"_s);

        run = canaryctl({ u"rollback"_s, u"--yes"_s }, environment);
        QCOMPARE(run.exitCode, 5);
        QVERIFY2(run.err.contains("--fallback"), run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 30);

        run = canaryctl(
            { u"rollback"_s, u"--yes"_s, u"--no-wait"_s, u"--fallback"_s, u"--traffic-backend"_s, u"sim"_s },
            environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 0);
    }

    // Issue 17, plan safety: with no remediation action configured, split set records the back-end's own
    // reset (the simulator's "Reset canary weighting") and says where it came from; plan then names it, and
    // the rollback runs it on the simulator's AWX.
    void splitSetWithoutRemediationAction_recordsTheBackendsOwnReset()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir state;
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        Run run = canaryctl({ u"split"_s, u"set"_s, u"30"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 30);
        QCOMPARE(fixture.environment->events().size(), 1);
        const auto &recorded = fixture.environment->events().events().front();
        QCOMPARE(recorded.title, u"Canary weight set to 30"_s);
        QCOMPARE(recorded.properties.value(u"remediationType"_s), u"ansible"_s);
        QCOMPARE(recorded.properties.value(u"remediationAction"_s), u"9"_s);
        QVERIFY2(
            recorded.properties.value(u"canary.remediation.source"_s).contains(u"Reset canary weighting"_s),
            qPrintable(recorded.properties.value(u"canary.remediation.source"_s)));

        fixture.clock.advanceMs(1'000);
        environment.insert(u"CONTROLLER_OAUTH_TOKEN"_s, fixture.environment->token());
        run = canaryctl({ u"plan"_s, u"--json"_s, u"--awx-url"_s, fixture.environment->baseUrl().toString() },
            environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject plan = QJsonDocument::fromJson(run.out).object()[u"plan"_s].toObject();
        QCOMPARE(plan[u"kind"_s].toString(), u"awx-template"_s);
        QCOMPARE(plan[u"templateId"_s].toInt(), 9);
    }

    // canaryctl watch --json: the split as first read, then a change someone else made, each one JSON line as
    // it happens, until the process is stopped.
    void watchJson_streamsTheSplit_andAChangeMadeElsewhere()
    {
        SimFixture fixture(20, 5);
        QTemporaryDir state;
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        QProcess watch;
        watch.setProcessEnvironment(environment);
        watch.start(QStringLiteral(CANARYCTL_PATH),
            { u"watch"_s, u"--json"_s, u"--traffic-backend"_s, u"sim"_s, u"--refresh"_s, u"1"_s });
        QVERIFY(watch.waitForStarted(10'000));
        QList<QJsonObject> lines;
        QByteArray pending;
        const auto read = [&] {
            pending += watch.readAllStandardOutput();
            while (pending.contains('\n')) {
                const qsizetype end = pending.indexOf('\n');
                lines.append(QJsonDocument::fromJson(pending.left(end)).object());
                pending.remove(0, end + 1);
            }
        };
        const auto kindSeen = [&](const QString &kind) {
            read();
            return std::any_of(lines.cbegin(), lines.cend(),
                [&kind](const QJsonObject &line) { return line[u"kind"_s].toString() == kind; });
        };
        QTRY_VERIFY_WITH_TIMEOUT(kindSeen(u"split"_s), 20'000);
        const auto firstSplit = *std::find_if(lines.cbegin(), lines.cend(),
            [](const QJsonObject &line) { return line[u"kind"_s].toString() == u"split"_s; });
        QCOMPARE(firstSplit[u"split"_s][u"canary"_s].toInt(), 20);
        QVERIFY(!kindSeen(u"split-changed-outside"_s)); // the first read is where traffic is, not a change

        // kubectl, the pipeline, another console: the router says who.
        fixture.world().setCanaryWeight(45,
            sim::WeightOrigin {
                u"AWX job #77 of 'Start canary deployment'"_s, u"jenkins\x1b[31m"_s, {}, -1 });
        QTRY_VERIFY_WITH_TIMEOUT(kindSeen(u"split-changed-outside"_s), 20'000);
        const auto outside = *std::find_if(lines.cbegin(), lines.cend(),
            [](const QJsonObject &line) { return line[u"kind"_s].toString() == u"split-changed-outside"_s; });
        QCOMPARE(outside[u"from"_s][u"canary"_s].toInt(), 20);
        QCOMPARE(outside[u"to"_s][u"canary"_s].toInt(), 45);
        QVERIFY(outside[u"backend"_s].toString().contains(u"simulated router"_s));
        QCOMPARE(outside[u"origin"_s][u"source"_s].toString(), u"AWX job #77 of 'Start canary deployment'"_s);
        QCOMPARE(outside[u"origin"_s][u"actor"_s].toString(), u"jenkins\x1b[31m"_s); // JSON escapes it
        watch.kill();
        QVERIFY(watch.waitForFinished(10'000));
    }

    // The fallback needs no plan: a Dynatrace outage (the events cannot be read) does not block it.
    void rollbackFallback_goesAhead_whenTheEventsCannotBeRead()
    {
        SimFixture fixture(30, 5);
        QTemporaryDir state;
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        sim::Fault outage { u"/api/v2/events*"_s, sim::Fault::Kind::ServerError, 500, sim::Fault::Unlimited };
        QString error;
        QVERIFY2(fixture.environment->faults().addFault(outage, &error), qPrintable(error));

        Run run = canaryctl({ u"rollback"_s, u"--yes"_s }, environment);
        QCOMPARE(run.exitCode, 4); // a plan needs the events
        QCOMPARE(fixture.world().canaryWeight(), 30);
        run = canaryctl({ u"rollback"_s, u"--yes"_s, u"--no-wait"_s, u"--fallback"_s, u"--traffic-backend"_s,
                            u"sim"_s, u"--no-event"_s },
            environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains("the fallback needs no plan and goes ahead"), run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 0);
    }

    // A check that can judge the token without a request answers at once: canaryctl still exits.
    void check_withATokenItCanJudgeAtOnce_exits()
    {
        SimFixture fixture(30, 5);
        const Run run = canaryctl({ u"check"_s }, environmentFor(fixture, u"SECRETTOKEN123abc"_s));
        QVERIFY2(run.exitCode == 4 || run.exitCode == 3, run.err.constData()); // -1 or a timeout: it hung
        QVERIFY(!run.out.contains("SECRETTOKEN123abc") && !run.err.contains("SECRETTOKEN123abc"));
    }

    // A password in the environment URL or the flag is refused, as a profile refuses it, and is never shown;
    // nothing is sent or audited.
    void passwordInTheUrl_isRefused_andNeverShown()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir state;
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        QUrl url = fixture.environment->baseUrl();
        url.setUserInfo(u"admin:PASSW0RD"_s);
        environment.insert(u"DT_ENV_URL"_s, url.toString());
        const int before = fixture.world().canaryWeight();
        for (const QStringList &arguments :
            { QStringList { u"split"_s, u"set"_s, u"12"_s, u"--no-event"_s }, QStringList { u"status"_s },
                QStringList { u"events"_s, u"--dynatrace-url"_s, url.toString() } }) {
            const Run run = canaryctl(arguments, environment);
            QVERIFY2(run.exitCode == 2, run.err.constData());
            QVERIFY2(run.err.contains("must not carry a user name or password"), run.err.constData());
            QVERIFY(!run.out.contains("PASSW0RD") && !run.err.contains("PASSW0RD"));
        }
        QCOMPARE(fixture.world().canaryWeight(), before);
        QVERIFY(!QFile::exists(state.filePath(u"canary.db"_s)));
    }

    // Every event leaves the audit head of its time in Dynatrace. Deleting the newest entry leaves a chain
    // that verifies on its own; audit verify finds it against the head Dynatrace keeps, and says so apart
    // when Dynatrace cannot be read.
    void auditVerify_findsEntriesCutFromTheEnd_againstTheHeadsInDynatrace()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir state;
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        Run run
            = canaryctl({ u"split"_s, u"set"_s, u"30"_s, u"--remediation-action"_s, u"9"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.environment->events().size(), 1);
        const auto recorded = fixture.environment->events().events().front().properties;

        run = canaryctl({ u"audit"_s, u"verify"_s, u"--json"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject verified = QJsonDocument::fromJson(run.out).object();
        // The head when the event was stored: the change's "succeeded", the newest entry.
        const QString head = verified[u"headHash"_s].toString();
        QCOMPARE(head.size(), 64);
        QCOMPARE(recorded.value(u"canary.audit.head"_s), head);
        QCOMPARE(recorded.value(u"canary.audit.rows"_s), QString::number(verified[u"entries"_s].toInteger()));
        QCOMPARE(verified[u"dynatrace"_s][u"anchors"_s].toInt(), 1);
        run = canaryctl({ u"audit"_s, u"verify"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("anchored: Dynatrace event"), run.out.constData());

        // Someone with the file drops the newest entry: what is left still chains.
        const QString connection = u"intruder"_s;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, connection);
            db.setDatabaseName(state.filePath(u"canary.db"_s));
            QVERIFY(db.open());
            QSqlQuery query(db);
            QVERIFY(query.exec(u"DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)"_s));
            db.close();
        }
        QSqlDatabase::removeDatabase(connection);
        const qint64 left = verified[u"entries"_s].toInteger() - 1;

        run = canaryctl({ u"audit"_s, u"verify"_s }, environment);
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.out.startsWith("audit chain intact: "), run.out.constData());
        QVERIFY2(run.err.contains(u"the audit log ends at row %1"_s.arg(left).toUtf8()), run.err.constData());
        QVERIFY2(
            run.err.contains(
                u"recorded head %1 (%2 rows): rows were cut or rewritten"_s.arg(head).arg(left + 1).toUtf8()),
            run.err.constData());
        run = canaryctl({ u"audit"_s, u"verify"_s, u"--json"_s }, environment);
        QCOMPARE(run.exitCode, 4);
        const QJsonObject cut = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(cut[u"ok"_s].toBool(), false);
        QCOMPARE(cut[u"dynatrace"_s][u"problem"_s].toString(), u"truncated"_s);

        // Dynatrace out of reach: the local result still, then why nothing was compared, apart.
        environment.insert(u"DT_ENV_URL"_s, u"http://127.0.0.1:1"_s);
        run = canaryctl({ u"audit"_s, u"verify"_s }, environment);
        QCOMPARE(run.exitCode, 11);
        QVERIFY2(run.out.startsWith("audit chain intact: "), run.out.constData());
        QVERIFY2(run.err.contains("could not be read to compare"), run.err.constData());
    }

    // A rollback killed before its launch leaves a journal at preflight: --resume ends it as "nothing ran"
    // and exits, also when that happens before the event loop runs.
    void resumeOfARollbackKilledBeforeTheLaunch_endsAndExits()
    {
        SimFixture fixture(30, 5);
        QTemporaryDir state;
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        rollback::RollbackState inFlight;
        inFlight.id = u"rollback-1"_s;
        inFlight.operatorName = u"jane"_s;
        inFlight.stage = rollback::Stage::Preflight;
        inFlight.startedAtMs = fixture.clock.nowMs();
        {
            // As the runner leaves it: the start row committed before the journal names the rollback (a
            // record without one is refused as not this console's).
            auto database = store::Database::open(state.filePath(u"canary.db"_s));
            QVERIFY(database);
            store::AuditLog audit(**database, fixture.clock);
            QVERIFY(audit.append({ u"jane"_s, u"rollback.start"_s, rollback::auditTarget(inFlight),
                rollback::auditDetail(inFlight), store::AuditResult::Requested, u"roll back"_s }));
        }
        rollback::RollbackJournal journal(state.filePath(u"rollback-journal.json"_s));
        QVERIFY(journal.save(inFlight));

        const Run run = canaryctl({ u"rollback"_s, u"--resume"_s, u"--yes"_s }, environment);
        QCOMPARE(run.exitCode, 7);
        QVERIFY2(run.err.contains("the app stopped before the launch; nothing ran"), run.err.constData());
        QVERIFY(!rollback::RollbackJournal(journal.path()).inFlight());
    }

    void rollbackExitCodes_refusedAndJobFailed()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir state;
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        environment.insert(u"CONTROLLER_OAUTH_TOKEN"_s, fixture.environment->token());
        const QString sim = fixture.environment->baseUrl().toString();
        const QStringList flags { u"--awx-url"_s, sim, u"--poll-interval"_s, u"5"_s };

        // A launch URL on some other host: refused, and nothing is launched anywhere.
        Run run = canaryctl({ u"split"_s, u"set"_s, u"50"_s, u"--remediation-action"_s,
                                u"https://awx.elsewhere.example/api/v2/job_templates/9/launch/"_s },
            environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        run = canaryctl(QStringList { u"rollback"_s, u"--yes"_s } + flags, environment);
        QCOMPARE(run.exitCode, 6);
        QVERIFY2(run.err.contains("awx.elsewhere.example") && run.err.contains("nothing was sent"),
            run.err.constData());
        QCOMPARE(fixture.environment->awx().jobCount(), 0);

        // A template whose project is broken: the job ends in error.
        run = canaryctl({ u"split"_s, u"set"_s, u"60"_s, u"--remediation-action"_s, u"12"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QTimer pump;
        QObject::connect(&pump, &QTimer::timeout, &pump, [&] { fixture.clock.advanceMs(250); });
        pump.start(1);
        run = canaryctl(QStringList { u"rollback"_s, u"--yes"_s } + flags, environment);
        pump.stop();
        QVERIFY2(run.exitCode == 8, run.err.constData());
        QVERIFY2(run.err.contains("error"), run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 60);
    }

    // Killed after the launch: the next run resumes following the same job and shows how it ended.
    void rollbackKilledAfterLaunch_resumeFollowsTheSameJob()
    {
        SimFixture fixture(0, 5);
        fixture.environment->awx().setRunMs(10 * 60'000);
        QTemporaryDir state;
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        environment.insert(u"CONTROLLER_OAUTH_TOKEN"_s, fixture.environment->token());
        const QStringList flags { u"--awx-url"_s, fixture.environment->baseUrl().toString(),
            u"--traffic-backend"_s, u"sim"_s, u"--poll-interval"_s, u"5"_s, u"--resolution"_s, u"10s"_s };
        Run run
            = canaryctl({ u"split"_s, u"set"_s, u"100"_s, u"--remediation-action"_s, u"9"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());

        QProcess doomed;
        doomed.setProcessEnvironment(environment);
        doomed.start(QStringLiteral(CANARYCTL_PATH), QStringList { u"rollback"_s, u"--yes"_s } + flags);
        QVERIFY(doomed.waitForStarted(10'000));
        const QString journalPath = state.filePath(u"rollback-journal.json"_s);
        const auto stage = [&] {
            QFile file(journalPath);
            if (!file.open(QIODevice::ReadOnly))
                return QString();
            return QJsonDocument::fromJson(file.readAll()).object()[u"inFlight"_s][u"stage"_s].toString();
        };
        QTRY_COMPARE_WITH_TIMEOUT(stage(), u"following"_s, 30'000);
        doomed.kill();
        QVERIFY(doomed.waitForFinished(10'000));
        QCOMPARE(doomed.exitStatus(), QProcess::CrashExit);
        QCOMPARE(fixture.environment->awx().jobCount(), 1);

        // A new rollback is refused while one is in flight; --resume carries it on.
        run = canaryctl(QStringList { u"rollback"_s, u"--yes"_s } + flags, environment);
        QCOMPARE(run.exitCode, 6);
        QVERIFY2(run.err.contains("--resume"), run.err.constData());

        QTimer pump;
        QObject::connect(&pump, &QTimer::timeout, &pump, [&] { fixture.clock.advanceMs(2'000); });
        pump.start(1);
        run = canaryctl(QStringList { u"rollback"_s, u"--resume"_s } + flags, environment);
        pump.stop();
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains("resuming"), run.err.constData());
        QVERIFY2(run.out.contains("rollback succeeded"), run.out.constData());
        QCOMPARE(fixture.environment->awx().jobCount(), 1); // followed, never launched twice
        QCOMPARE(fixture.world().canaryWeight(), 0);
        QCOMPARE(stage(), QString()); // nothing in flight any more
    }

    void rollbackNoWait_returnsAfterTheLaunch_andResumeFinishesIt()
    {
        SimFixture fixture(0, 5);
        QTemporaryDir state;
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        environment.insert(u"CONTROLLER_OAUTH_TOKEN"_s, fixture.environment->token());
        const QStringList flags { u"--awx-url"_s, fixture.environment->baseUrl().toString(),
            u"--traffic-backend"_s, u"sim"_s, u"--poll-interval"_s, u"5"_s, u"--resolution"_s, u"10s"_s };
        Run run
            = canaryctl({ u"split"_s, u"set"_s, u"100"_s, u"--remediation-action"_s, u"9"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());

        run = canaryctl(QStringList { u"rollback"_s, u"--yes"_s, u"--no-wait"_s } + flags, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.startsWith("started: AWX job"), run.out.constData());
        QCOMPARE(fixture.environment->awx().jobCount(), 1);
        QCOMPARE(fixture.world().canaryWeight(), 100); // the job has not run yet: the clock stood still

        QTimer pump;
        QObject::connect(&pump, &QTimer::timeout, &pump, [&] { fixture.clock.advanceMs(250); });
        pump.start(1);
        run = canaryctl(QStringList { u"rollback"_s, u"--resume"_s } + flags, environment);
        pump.stop();
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 0);
        QCOMPARE(fixture.environment->awx().jobCount(), 1);

        run = canaryctl(QStringList { u"rollback"_s, u"--resume"_s } + flags, environment);
        QCOMPARE(run.exitCode, 5); // nothing left in flight
    }

    void check_reportsPerFeature_andExitsNonZeroWhenSomethingIsMissing()
    {
        SimFixture fixture(30, 2);
        auto environment = environmentFor(fixture, fixture.environment->token());
        environment.insert(u"CONTROLLER_OAUTH_TOKEN"_s, fixture.environment->token());
        Run run = canaryctl({ u"check"_s, u"--awx-url"_s, fixture.environment->baseUrl().toString(),
                                u"--remediation-action"_s, u"9"_s, u"--traffic-backend"_s, u"sim"_s },
            environment);
        QVERIFY2(run.exitCode == 0, QByteArray(run.out + run.err).constData());
        QVERIFY(run.out.contains("[ok]"));
        QVERIFY(!run.out.contains("[missing]"));
        QVERIFY2(run.out.contains("'Reset canary weighting' (#9), may launch"), run.out.constData());
        QVERIFY(!run.out.contains(fixture.environment->token().section(u'.', 2).toUtf8()));

        fixture.environment->server().addToken(u"dt0c01.METRICS.ONLY"_s, { u"metrics.read"_s });
        run = canaryctl({ u"check"_s, u"--json"_s }, environmentFor(fixture, u"dt0c01.METRICS.ONLY"_s));
        QCOMPARE(run.exitCode, 4);
        const QJsonObject report = QJsonDocument::fromJson(run.out).object();
        QVERIFY(!report[u"ok"_s].toBool());
        QStringList missing;
        for (const QJsonValue item : report[u"checks"_s].toArray()) {
            if (item[u"status"_s].toString() == u"missing"_s)
                missing.append(item[u"detail"_s].toString());
        }
        QCOMPARE(missing.size(), 4);
        QVERIFY(missing.join(u' ').contains(u"problems.write"_s));
    }

    void metricCreateDryRun_printsTheBody_andCreatesNothing()
    {
        SimFixture fixture(30, 2);
        const Run run = canaryctl({ u"metric"_s, u"create"_s, u"--dry-run"_s, u"--metric-key"_s,
                                      u"calc:service.requests_by_version"_s, u"--dimension"_s, u"Version"_s },
            environmentFor(fixture, fixture.environment->token()));
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(run.err.isEmpty());
        QJsonParseError error;
        const QJsonObject body = QJsonDocument::fromJson(run.out, &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, run.out.constData());
        QCOMPARE(body[u"tsmMetricKey"_s].toString(), u"calc:service.requests_by_version"_s);
        QCOMPARE(body[u"entityId"_s].toString(), fixture.environment->serviceId());
        QCOMPARE(body[u"metricDefinition"_s][u"metric"_s].toString(), u"REQUEST_COUNT"_s);
        const QJsonObject dimension = body[u"dimensionDefinition"_s].toObject();
        QCOMPARE(dimension[u"name"_s].toString(), u"Version"_s);
        QCOMPARE(dimension[u"dimension"_s].toString(), u"{Version}"_s);
        QCOMPARE(dimension[u"placeholders"_s][0][u"attribute"_s].toString(), u"APPLICATION_BUILD_VERSION"_s);
        QVERIFY(
            !fixture.environment->dynatrace().metricRegistry().find(u"calc:service.requests_by_version"_s));
    }

    void metricCreate_againstTheSimulator_thenStatusReadsIt()
    {
        SimFixture fixture(30, 2);
        const auto environment = environmentFor(fixture, fixture.environment->token());
        const QString key = u"calc:service.requests_by_build_cli"_s;
        Run run = canaryctl({ u"metric"_s, u"create"_s, u"--metric-key"_s, key }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("created calc:service.requests_by_build_cli")
                && run.out.contains(fixture.environment->serviceId().toUtf8())
                && run.out.contains("no backfill"),
            run.out.constData());
        QVERIFY(fixture.environment->dynatrace().metricRegistry().find(key));

        fixture.clock.advanceMs(3 * 60'000);
        run = canaryctl({ u"status"_s, u"--json"_s, u"--metric-selector"_s, key, u"--resolution"_s, u"1m"_s,
                            u"--from"_s, u"now-3m"_s },
            environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto document = QJsonDocument::fromJson(run.out);
        QCOMPARE(document[u"buildDimension"_s].toString(), u"Build"_s);
        QCOMPARE(document[u"builds"_s].toArray().size(), 2);

        // Once more: the key exists now, and Dynatrace's text says so on one line.
        run = canaryctl({ u"metric"_s, u"create"_s, u"--metric-key"_s, key }, environment);
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.err.contains("already exists"), run.err.constData());
        QCOMPARE(run.err.count('\n'), 1);
    }

    void metricCreate_withoutWriteConfig_exits3_andPrintsTheSteps()
    {
        SimFixture fixture(30, 2);
        fixture.environment->server().addToken(
            u"dt0c01.READER.SECRET"_s, { u"metrics.read"_s, u"entities.read"_s });
        Run run = canaryctl({ u"metric"_s, u"create"_s, u"--metric-key"_s, u"calc:service.new"_s },
            environmentFor(fixture, u"dt0c01.READER.SECRET"_s));
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.startsWith("canaryctl: ") && run.err.contains("WriteConfig"), run.err.constData());
        QCOMPARE(run.err.count('\n'), 1);
        QVERIFY2(run.out.startsWith("1. In Dynatrace, open Settings") && run.out.contains("calc:service.new"),
            run.out.constData());
        QVERIFY(!fixture.environment->dynatrace().metricRegistry().find(u"calc:service.new"_s));

        run = canaryctl({ u"metric"_s, u"steps"_s, u"--dimension"_s, u"Version"_s }, cleanEnvironment());
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.contains("6. Save the metric") && run.out.contains("name Version")
                && run.out.contains("calc:service.requests_by_build"),
            run.out.constData());

        run = canaryctl({ u"metric"_s }, cleanEnvironment());
        QCOMPARE(run.exitCode, 2);
        run = canaryctl(
            { u"metric"_s, u"create"_s, u"--metric-key"_s, u"builtin:service.requestCount.total"_s },
            environmentFor(fixture, fixture.environment->token()));
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("calc:service."), run.err.constData());
        run = canaryctl({ u"metric"_s, u"create"_s }, cleanEnvironment());
        QCOMPARE(run.exitCode, 2);
    }

    void configFile_suppliesTheTarget_andBadFilesGetLineMessages()
    {
        SimFixture fixture(30, 5);
        QTemporaryDir dir;
        const QString path = dir.filePath(u"staging.conf"_s);
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("# staging\nname = staging\ndynatrace.url = "
                + fixture.environment->baseUrl().toString().toUtf8()
                + "\nrefresh = 60\nfrom = now-10m\nresolution = 1m\n");
        }
        auto environment = cleanEnvironment();
        environment.insert(u"DT_API_TOKEN"_s, fixture.environment->token());
        Run run = canaryctl({ u"status"_s, u"--json"_s, u"--config"_s, path }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(QJsonDocument::fromJson(run.out).object()[u"builds"_s].toArray().size(), 2);

        // A secret in the file is refused with its line, and the secret is not repeated.
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::Append));
            file.write(
                "dynatrace.token = dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.SECRETSECRETSECRET\nrefresh = soon\n");
        }
        run = canaryctl({ u"status"_s, u"--config"_s, path }, environment);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(
            run.err.contains("staging.conf:7:") && run.err.contains("staging.conf:8:"), run.err.constData());
        QVERIFY(!run.err.contains("SECRETSECRET"));

        environment.insert(u"XDG_CONFIG_HOME"_s, dir.path()); // an empty profile store
        run = canaryctl({ u"status"_s, u"--profile"_s, u"nope"_s }, environment);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("nope"), run.err.constData());
    }

    // Starts canary-sim with `flags` and fills `environment` from the export lines it prints.
    static void startSimulator(
        QProcess &simulator, const QStringList &flags, QProcessEnvironment &environment)
    {
        simulator.setProcessEnvironment(cleanEnvironment());
        simulator.start(QStringLiteral(CANARY_SIM_PATH), QStringList { u"--port"_s, u"0"_s } + flags);
        QVERIFY(simulator.waitForStarted(10'000));
        QByteArray banner;
        QTRY_VERIFY_WITH_TIMEOUT(
            (banner += simulator.readAllStandardOutput()).contains("DT_API_TOKEN="), 20'000);
        environment = cleanEnvironment();
        for (const auto &line : banner.split('\n')) {
            if (!line.startsWith("export "))
                continue;
            const auto equals = line.indexOf('=');
            environment.insert(
                QString::fromUtf8(line.mid(7, equals - 7)), QString::fromUtf8(line.mid(equals + 1)));
        }
        QVERIFY(environment.value(u"DT_ENV_URL"_s).startsWith(u"http://127.0.0.1:"_s));
    }

    static void stopSimulator(QProcess &simulator)
    {
        QSignalSpy finished(&simulator, &QProcess::finished);
        simulator.terminate();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20'000);
        QCOMPARE(simulator.exitStatus(), QProcess::NormalExit);
        QCOMPARE(simulator.exitCode(), 0);
    }

    void standaloneSimulator_andCanaryctl_endToEnd()
    {
        QProcess simulator;
        QProcessEnvironment environment;
        startSimulator(simulator, { u"--seed"_s, u"3"_s }, environment);
        if (QTest::currentTestFailed())
            return;

        const Run run = canaryctl({ u"status"_s, u"--json"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto builds = QJsonDocument::fromJson(run.out)[u"builds"_s].toArray();
        // The standalone simulator replays the workshop's ramp in its history: both builds had traffic.
        QCOMPARE(builds.size(), 2);
        QVERIFY(builds[0][u"total"_s].toDouble() > 0);
        QVERIFY(builds[1][u"total"_s].toDouble() > 0);
        stopSimulator(simulator);
    }

    void standaloneFreshTenant_metricCreateThenItExists()
    {
        // canary-sim --no-calculated-metrics: a tenant where nobody created the per-build metric yet.
        QProcess simulator;
        QProcessEnvironment environment;
        startSimulator(simulator, { u"--no-calculated-metrics"_s }, environment);
        if (QTest::currentTestFailed())
            return;
        Run run = canaryctl({ u"check"_s }, environment);
        QVERIFY2(run.out.contains("canaryctl metric create"), run.out.constData());
        run = canaryctl({ u"metric"_s, u"create"_s }, environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        run = canaryctl({ u"metric"_s, u"create"_s }, environment);
        QCOMPARE(run.exitCode, 4); // it exists now
        stopSimulator(simulator);
    }
};

QTEST_GUILESS_MAIN(TestCanaryctl)
#include "tst_canaryctl.moc"
