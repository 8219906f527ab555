#include <QNetworkProxy>
#include <QSignalSpy>
#include <QTest>
#include <QUuid>

#include "awxsimfixture.h"
#include "sim/faultinjector.h"
#include "sim/simserver.h"
#include "sim/world.h"
#include "traffic/awxtrafficbackend.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::AwxApi;
using canary::sim::Fault;
using canary::testing::AwxSimFixture;
using canary::traffic::AwxTrafficBackend;
using canary::traffic::Split;
using canary::traffic::TrafficError;

namespace {

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

Split split(int canary)
{
    return *Split::fromCanaryPercent(canary);
}

const QString Alice = u"alice-token"_s;
const QString ChangeIdVariable = u"canary_console_change_id"_s;

// Alice works in AWX too: a token of hers, and the configuration of her console.
awx::AwxConfig aliceConfig(AwxSimFixture &fixture, const QString &templateRef)
{
    fixture.environment->server().addToken(Alice, { u"awx.read"_s, u"awx.write"_s });
    fixture.awx().setTokenUser(Alice, u"alice"_s);
    awx::AwxConfig config = fixture.config(templateRef);
    config.token = Alice;
    return config;
}

SplitOutcome applyAndWait(AwxSimFixture &fixture, AwxTrafficBackend &backend, int canary)
{
    SplitOutcome applied;
    backend.applySplit(split(canary), nullptr, applied.callback());
    fixture.startClock();
    (void)QTest::qWaitFor([&] { return applied.done(); }, 20'000); // the caller checks done()
    fixture.stopClock();
    return applied;
}

SplitOutcome readNow(AwxTrafficBackend &backend)
{
    SplitOutcome read;
    backend.readSplit(nullptr, read.callback());
    (void)QTest::qWaitFor([&] { return read.done(); }, 5000); // the caller checks done()
    return read;
}

int sumOf(const QMap<QString, int> &counts)
{
    int sum = 0;
    for (int count : counts)
        sum += count;
    return sum;
}

} // namespace

class TestAwxWatch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QNetworkProxy::setApplicationProxy(QNetworkProxy::NoProxy); }

    void readSplit_namesTheJobAndWhoLaunchedIt_inOneRequest()
    {
        AwxSimFixture fixture(0);
        AwxTrafficBackend alices(aliceConfig(fixture, u"Set canary weight"_s), fixture.clock);
        const SplitOutcome applied = applyAndWait(fixture, alices, 30);
        QVERIFY2(applied.ok(), qPrintable(applied.describe()));
        const int jobId = fixture.awx().jobs().back().id;

        AwxTrafficBackend backend(fixture.config(u"Set canary weight"_s), fixture.clock);
        QVERIFY(!backend.lastReadOrigin());
        const SplitOutcome first = readNow(backend);
        QVERIFY2(first.ok(), qPrintable(first.describe()));
        QCOMPARE(first.result->value(), split(30));
        const auto origin = backend.lastReadOrigin();
        QVERIFY(origin);
        QCOMPARE(origin->source, u"AWX job #%1 of 'Set canary weight'"_s.arg(jobId));
        QCOMPARE(origin->actor, u"alice"_s);
        QCOMPARE(
            origin->link, fixture.environment->baseUrl().resolved(QUrl(u"/api/v2/jobs/%1/"_s.arg(jobId))));
        QCOMPARE(origin->at.toMSecsSinceEpoch(), fixture.awx().job(jobId)->finishedMs);
        // The sim's router knows the same.
        QCOMPARE(fixture.world().lastWeightChange().actor, u"alice"_s);
        QCOMPARE(fixture.world().lastWeightChange().source, origin->source);

        // Steady state: the template is known, so a cycle is the one job list and nothing else.
        fixture.environment->faults().resetRequestCounts();
        const SplitOutcome again = readNow(backend);
        QVERIFY(again.ok());
        QCOMPARE(sumOf(fixture.environment->faults().requestCounts()), 1);
        QCOMPARE(fixture.environment->faults().requestCount(u"GET /api/v2/jobs/"_s), 1);
    }

    void readSplit_followsTheResetTemplate_data()
    {
        QTest::addColumn<bool>("watchReset");
        QTest::newRow("reset template watched") << true;
        QTest::newRow("set template alone") << false;
    }

    void readSplit_followsTheResetTemplate()
    {
        QFETCH(bool, watchReset);
        AwxSimFixture fixture(0);
        AwxTrafficBackend backend(fixture.config(u"Set canary weight"_s), fixture.clock);
        if (watchReset)
            backend.watchResetTemplates({ AwxApi::ResetCanaryWeightingTemplateId });
        QVERIFY(applyAndWait(fixture, backend, 40).ok());

        // Someone runs "Reset canary weighting" in AWX: no variables, the playbook's 0 %.
        AwxTrafficBackend alices(aliceConfig(fixture, u"Reset canary weighting"_s), fixture.clock);
        bool launched = false;
        alices.client().launch(AwxApi::ResetCanaryWeightingTemplateId, {}, this,
            [&](const awx::AwxResult<awx::LaunchResult> &result) { launched = bool(result); });
        QTRY_VERIFY(launched);
        fixture.startClock();
        QTRY_COMPARE(fixture.world().canaryWeight(), 0);
        fixture.stopClock();

        const SplitOutcome read = readNow(backend);
        QVERIFY2(read.ok(), qPrintable(read.describe()));
        if (!watchReset) {
            QCOMPARE(read.result->value(), split(40)); // blind to the reset: why it must be watched
            return;
        }
        QCOMPARE(read.result->value(), split(0));
        const int resetJob = fixture.awx().jobs().back().id;
        QCOMPARE(
            backend.lastReadOrigin()->source, u"AWX job #%1 of 'Reset canary weighting'"_s.arg(resetJob));
        QCOMPARE(backend.lastReadOrigin()->actor, u"alice"_s);
    }

    void applySplit_refusesWhileAJobIsUnderWay()
    {
        AwxSimFixture fixture(0);
        AwxTrafficBackend alices(aliceConfig(fixture, u"Set canary weight"_s), fixture.clock);
        SplitOutcome hers;
        alices.applySplit(split(50), nullptr, hers.callback());
        QTRY_COMPARE(fixture.awx().jobCount(), 1); // the clock stands still: her job stays pending
        const int jobId = fixture.awx().jobs().front().id;

        AwxTrafficBackend backend(fixture.config(u"Set canary weight"_s), fixture.clock);
        SplitOutcome mine;
        backend.applySplit(split(30), nullptr, mine.callback());
        QTRY_VERIFY(mine.done());
        QVERIFY(!mine.ok());
        QCOMPARE(mine.error().kind, TrafficError::Kind::Conflict);
        QCOMPARE(mine.error().message,
            u"AWX job #%1 of 'Set canary weight', launched by alice, is still pending: wait for it to finish"_s
                .arg(jobId));
        QCOMPARE(fixture.awx().jobCount(), 1);

        // Once hers is done, mine goes.
        fixture.startClock();
        QTRY_VERIFY(hers.done());
        fixture.stopClock();
        QVERIFY(applyAndWait(fixture, backend, 30).ok());
        QCOMPARE(fixture.world().canaryWeight(), 30);
    }

    void launch_carriesAChangeId_thatASurveyMayDrop()
    {
        AwxSimFixture fixture(0);
        AwxTrafficBackend backend(fixture.config(u"Set canary weight"_s), fixture.clock);
        QVERIFY(applyAndWait(fixture, backend, 20).ok());
        const QString changeId = fixture.awx().jobs().back().extraVars.value(ChangeIdVariable).toString();
        QVERIFY2(!QUuid::fromString(changeId).isNull(), qPrintable(changeId));

        // The survey asks for canary_weight alone: AWX drops the change id (and would drop old_weight).
        awx::AwxConfig config = fixture.config(u"Set canary weight (survey)"_s);
        config.oldVariable.clear();
        AwxTrafficBackend surveyed(config, fixture.clock);
        const SplitOutcome applied = applyAndWait(fixture, surveyed, 60);
        QVERIFY2(applied.ok(), qPrintable(applied.describe()));
        QVERIFY(!fixture.awx().jobs().back().extraVars.contains(ChangeIdVariable));
        QCOMPARE(fixture.world().canaryWeight(), 60);
    }

    // The launch reaches AWX but its answer does not come back. Qt's HTTP/1.1 layer would send the POST again
    // on its own (AWX would start a second job): the launch's body cannot be rewound (RestClient::sendOnce),
    // so the call fails instead, and the back-end finds its job by the change id. Exactly one job, and it
    // ran.
    void lostLaunchAnswer_runsOneJob_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("remaining");
        QTest::newRow("reset after the job was created, once")
            << int(Fault::Kind::ConnectionResetAfterHandling) << 1;
        QTest::newRow("reset after the job was created, every try")
            << int(Fault::Kind::ConnectionResetAfterHandling) << Fault::Unlimited;
        QTest::newRow("reset before AWX saw it") << int(Fault::Kind::ConnectionReset) << 1;
    }

    void lostLaunchAnswer_runsOneJob()
    {
        QFETCH(int, kind);
        QFETCH(int, remaining);
        AwxSimFixture fixture(0);
        Fault fault;
        fault.endpoint = u"POST /api/v2/job_templates/7/launch/"_s;
        fault.kind = Fault::Kind(kind);
        fault.remaining = remaining;
        QVERIFY(fixture.environment->faults().addFault(fault));
        QSignalSpy weightChanges(&fixture.world(), &sim::World::canaryWeightChanged);

        AwxTrafficBackend backend(fixture.config(u"Set canary weight"_s), fixture.clock);
        const SplitOutcome applied = applyAndWait(fixture, backend, 30);
        QVERIFY2(applied.ok(), qPrintable(applied.describe()));
        QCOMPARE(applied.result->value(), split(30));
        fixture.environment->faults().liftAll();

        const QList<sim::AwxSimJob> jobs = fixture.awx().jobs();
        QVERIFY(!jobs.isEmpty());
        const QString changeId = jobs.front().extraVars.value(ChangeIdVariable).toString();
        QVERIFY(!changeId.isEmpty());
        int ran = 0;
        for (const sim::AwxSimJob &job : jobs) {
            QCOMPARE(job.extraVars.value(ChangeIdVariable).toString(), changeId); // one change, no other
            if (job.startedMs >= 0) {
                ++ran;
                QCOMPARE(job.status, u"successful"_s);
            } else {
                QCOMPARE(job.status, u"canceled"_s); // a copy, stopped before it ran
            }
        }
        QCOMPARE(ran, 1);
        QCOMPARE(jobs.size(), 1); // never launched twice, not even as a copy canceled at once
        QCOMPARE(weightChanges.count(), 1);
        QCOMPARE(fixture.world().canaryWeight(), 30);
        qInfo("%lld job(s) for %d POST(s) of the launch", qlonglong(jobs.size()),
            fixture.environment->faults().requestCount(u"POST /api/v2/job_templates/7/launch/"_s));
    }
};

QTEST_GUILESS_MAIN(TestAwxWatch)
#include "tst_awxwatch.moc"
