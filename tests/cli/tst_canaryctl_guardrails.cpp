#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "canaryctlrun.h"
#include "sim/eventstore.h"
#include "simfixture.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::canaryctl;
using canary::testing::Run;
using canary::testing::SimFixture;

namespace {

// One simulator, one state directory (so one audit log) and one profile file with the guard-rails.
struct Setup
{
    QTemporaryDir dir;
    QString config;
    QProcessEnvironment environment;

    Setup(const SimFixture &fixture, const QByteArray &extraKeys = {})
    {
        config = dir.filePath(u"guarded.conf"_s);
        QFile file(config);
        if (!file.open(QIODevice::WriteOnly))
            qFatal("cannot write the profile");
        file.write("name = guarded\ndynatrace.url = " + fixture.environment->baseUrl().toString().toUtf8()
            + "\nfrom = now-10m\nresolution = 1m\n" + extraKeys);
        file.close();
        environment = QProcessEnvironment::systemEnvironment();
        for (const auto &name :
            { u"DT_ENV_URL"_s, u"DT_API_TOKEN"_s, u"DYNATRACE_ENV_URL"_s, u"DYNATRACE_API_TOKEN"_s })
            environment.remove(name);
        environment.insert(u"DT_API_TOKEN"_s, fixture.environment->token());
        environment.insert(u"CANARY_STATE_DIR"_s, dir.filePath(u"state"_s));
        environment.insert(u"USER"_s, u"guard-tester"_s);
    }

    Run split(const QStringList &arguments) const
    {
        return canaryctl(
            QStringList { u"split"_s, u"set"_s } + arguments + QStringList { u"--config"_s, config },
            environment);
    }

    QJsonArray audit(const QString &action) const
    {
        const Run run = canaryctl({ u"audit"_s, u"list"_s, u"--json"_s }, environment);
        QJsonArray matching;
        for (const QJsonValue &entry : QJsonDocument::fromJson(run.out).array()) {
            if (entry[u"action"_s].toString() == action)
                matching.append(entry);
        }
        return matching;
    }
};

// The newest event setting the split to `split` ("60/40"), if the simulator ingested one.
std::optional<sim::StoredEvent> eventSetting(const SimFixture &fixture, const QString &split)
{
    for (const auto &event : fixture.environment->events().events()) {
        if (event.properties.value(u"canary.split.new"_s) == split)
            return event;
    }
    return std::nullopt;
}

} // namespace

class TestCanaryctlGuardRails : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stepAndCoolDown_blockIncreases_overrideIsRecorded_decreasesPass()
    {
        SimFixture fixture(0, 5);
        const Setup setup(fixture);

        // +30 is over the default maximum step of +25: nothing moves, nothing is sent, the refusal is
        // audited.
        Run run = setup.split({ u"30"_s });
        QCOMPARE(run.exitCode, 10);
        QVERIFY2(run.err.contains(
                     "canaryctl: blocked: step of +30 points exceeds the maximum of +25 (0 % to 30 %)\n"),
            run.err.constData());
        QVERIFY2(run.err.contains("at most 25 % now"), run.err.constData());
        QVERIFY2(run.err.contains("--override-reason"), run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 0);
        QCOMPARE(fixture.environment->events().size(), 0);
        QCOMPARE(setup.audit(u"split.blocked"_s).size(), 1);

        // A reason that says nothing is no reason.
        run = setup.split({ u"30"_s, u"--override-reason"_s, u"  because  "_s });
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("too short"), run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 0);

        // Exactly the maximum step passes.
        run = setup.split({ u"25"_s });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 25);

        // The next increase within 5 minutes, in another process: the audit log knows the last one.
        run = setup.split({ u"35"_s, u"--json"_s });
        QCOMPARE(run.exitCode, 10);
        QVERIFY2(run.err.contains("canaryctl: blocked: last increase ")
                && run.err.contains(" ago; increases need 5 min between them (next allowed at "),
            run.err.constData());
        const QJsonObject refusal = QJsonDocument::fromJson(run.out).object();
        QVERIFY(refusal[u"blocked"_s].toBool());
        QCOMPARE(refusal[u"maxAllowedPercent"_s].toInt(), 25);
        QCOMPARE(refusal[u"current"_s][u"canary"_s].toInt(), 25);
        QCOMPARE(fixture.world().canaryWeight(), 25);

        // Overridden: it goes ahead, and the reason is in the event and the audit log.
        run = setup.split({ u"60"_s, u"--reason"_s, u"second step"_s, u"--override-reason"_s,
            u"hotfix verified\n in staging"_s });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains(
                     "canaryctl: overridden: step of +35 points exceeds the maximum of +25 (25 % to 60 %)"),
            run.err.constData());
        QVERIFY2(run.err.contains("canaryctl: overridden: last increase "), run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 60);
        const auto event = eventSetting(fixture, u"40/60"_s);
        QVERIFY(event);
        QCOMPARE(event->properties.value(u"canary.reason"_s),
            u"second step (guard-rails overridden: hotfix verified in staging)"_s);
        const QJsonArray overrides = setup.audit(u"split.guard-override"_s);
        QCOMPARE(overrides.size(), 1);
        const QJsonObject recorded = overrides.at(0).toObject();
        QCOMPARE(recorded[u"operator"_s].toString(), u"guard-tester"_s);
        QCOMPARE(recorded[u"result"_s].toString(), u"succeeded"_s);
        QCOMPARE(recorded[u"detail"_s][u"reason"_s].toString(), u"hotfix verified in staging"_s);
        QCOMPARE(recorded[u"detail"_s][u"from"_s][u"canary"_s].toInt(), 25);
        QCOMPARE(recorded[u"detail"_s][u"to"_s][u"canary"_s].toInt(), 60);
        QCOMPARE(recorded[u"detail"_s][u"blocks"_s].toArray().size(), 2);
        QVERIFY(recorded[u"message"_s].toString().contains(u"hotfix verified in staging"_s));

        // Decreases pass while the cool-down runs, and need no reason.
        run = setup.split({ u"10"_s });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 10);
        run = setup.split({ u"0"_s });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 0);
        QCOMPARE(setup.audit(u"split.blocked"_s).size(), 2);

        // The profile can switch them off.
        const Setup off(fixture, "guard.enabled = false\n");
        run = off.split({ u"100"_s });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 100);
    }

    void openProblem_freezesIncreases_decreasesPass()
    {
        SimFixture fixture(SimFixture::WorkshopDemo {});
        fixture.world().setCanaryWeight(50);
        fixture.clock.advanceMs(3 * 60'000);
        const Setup setup(fixture);

        Run run = setup.split({ u"60"_s });
        QCOMPARE(run.exitCode, 10);
        QVERIFY2(run.err.contains("canaryctl: blocked: problem P-"), run.err.constData());
        QVERIFY2(run.err.contains(" \"Failure rate increase\" is open\n"), run.err.constData());
        QVERIFY2(run.err.contains("no increase now"), run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 50);

        run = setup.split({ u"20"_s });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 20);
    }

    // Build 4 at 30 % for 20 minutes fails about every other request: the verdict is FAIL, and with the open
    // problem not counted (freeze-on-problem off) it is the verdict alone that freezes the increase.
    void failVerdict_freezesIncreases_decreasesPass()
    {
        SimFixture fixture(30, 20);
        const Setup setup(
            fixture, "guard.freeze-on-problem = false\nguard.max-step = 100\nguard.min-interval = 0\n");
        Run run = setup.split({ u"40"_s });
        QCOMPARE(run.exitCode, 10);
        QVERIFY2(run.err.contains("canaryctl: blocked: verdict is FAIL: Failure rate: canary "),
            run.err.constData());
        QVERIFY2(run.err.contains("p < 0.001"), run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 30);

        run = setup.split({ u"40"_s, u"--override-reason"_s, u"verified the errors are expected"_s });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.err.contains("canaryctl: overridden: verdict is FAIL"), run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 40);

        run = setup.split({ u"10"_s });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 10);

        const Setup notFrozen(fixture,
            "guard.freeze-on-problem = false\nguard.freeze-on-fail = false\nguard.max-step = 100\n"
            "guard.min-interval = 0\n");
        run = notFrozen.split({ u"20"_s });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 20);
    }

    void staleData_freezesIncreases()
    {
        SimFixture fixture(0, 5);
        const Setup setup(fixture, "target.metric-selector = calc:service.no_such_metric\n");
        Run run = setup.split({ u"10"_s });
        QCOMPARE(run.exitCode, 10);
        QVERIFY2(run.err.contains("canaryctl: blocked: data is stale: the metrics query failed: "),
            run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 0);

        const Setup notFrozen(fixture,
            "target.metric-selector = calc:service.no_such_metric\n"
            "guard.freeze-on-stale = false\n");
        run = notFrozen.split({ u"10"_s });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(fixture.world().canaryWeight(), 10);
    }
};

QTEST_GUILESS_MAIN(TestCanaryctlGuardRails)
#include "tst_canaryctl_guardrails.moc"
