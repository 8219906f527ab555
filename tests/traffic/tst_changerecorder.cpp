#include <optional>

#include <QDir>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QUuid>

#include "dynatrace/eventsclient.h"
#include "session/target.h"
#include "sim/eventstore.h"
#include "sim/simserver.h"
#include "simfixture.h"
#include "traffic/changerecorder.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::SimFixture;
using canary::traffic::ChangeEventKeys;
using canary::traffic::ChangeRecorder;
using canary::traffic::RecorderConfig;
using canary::traffic::RecordResult;
using canary::traffic::Split;

using Properties = QMap<QString, QString>;
using OptionalSplit = std::optional<Split>;

namespace {

// QVERIFY2 builds its message even when the check passes: error() must not be asked of a value.
QString failureOf(const canary::dynatrace::IngestResult &result)
{
    return result ? QString() : result.error().summary();
}

RecorderConfig workshopConfig()
{
    RecorderConfig config;
    config.entitySelector = session::Target::defaultEntitySelector();
    config.remediationAction = u"9"_s;
    config.operatorName = u"alice"_s;
    config.appVersion = u"0.1.0"_s;
    config.backendDescription = u"AWX template 'Set canary weight' (#8) on awx.example.com"_s;
    return config;
}

Split split(int canaryPercent)
{
    return *Split::fromCanaryPercent(canaryPercent);
}

// A recorder over real HTTP to the fixture's simulator, collecting every result it delivers.
struct Recorder
{
    Recorder(SimFixture &fixture, RecorderConfig config)
        : rest(fixture.environment->baseUrl())
        , events(&rest)
        , recorder(&events, std::move(config))
    {
        rest.setAuthorization("Api-Token " + fixture.environment->token().toUtf8());
        rest.setTimeoutMs(8'000);
    }

    QString record(const OptionalSplit &from, const Split &to, const QString &reason = {})
    {
        return recorder.record(from, to, reason, &rest, [this](const RecordResult &r) { results.append(r); });
    }

    net::RestClient rest;
    dynatrace::EventsClient events;
    ChangeRecorder recorder;
    QList<RecordResult> results;
};

// Restores an environment variable when the test ends, whatever it did to it.
class EnvironmentGuard
{
public:
    explicit EnvironmentGuard(const char *name)
        : m_name(name)
        , m_set(qEnvironmentVariableIsSet(name))
        , m_value(qgetenv(name))
    { }
    ~EnvironmentGuard()
    {
        if (m_set)
            qputenv(m_name, m_value);
        else
            qunsetenv(m_name);
    }
    EnvironmentGuard(const EnvironmentGuard &) = delete;
    EnvironmentGuard &operator=(const EnvironmentGuard &) = delete;

private:
    const char *m_name;
    bool m_set;
    QByteArray m_value;
};

} // namespace

class TestChangeRecorder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void eventFor_data();
    void eventFor();
    void record_storesTheWorkshopShapedEvent_withUniqueChangeIds();
    void disabled_reportsSkipped_andSendsNothing();
    void refusedEvent_isAnError_andNotSent();
    void withoutARemediationAction_theBackendsOwnResetIsTheBackout();
    void systemUserName_data();
    void systemUserName();
};

void TestChangeRecorder::eventFor_data()
{
    QTest::addColumn<OptionalSplit>("from");
    QTest::addColumn<Split>("to");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QString>("title");
    QTest::addColumn<Properties>("properties"); // besides the fixed ones every event carries

    QTest::newRow("ramp step") << OptionalSplit(split(0)) << split(30) << u"ramp step 1 of 3"_s
                               << u"Canary weight set to 30"_s
                               << Properties { { u"remediationAction"_s, u"9"_s },
                                      { u"canary.split.old"_s, u"100/0"_s },
                                      { u"canary.split.new"_s, u"70/30"_s },
                                      { u"canary.reason"_s, u"ramp step 1 of 3"_s } };
    QTest::newRow("full canary, no reason")
        << OptionalSplit(split(70)) << split(100) << QString() << u"Canary weight set to 100"_s
        << Properties { { u"remediationAction"_s, u"9"_s }, { u"canary.split.old"_s, u"30/70"_s },
               { u"canary.split.new"_s, u"0/100"_s } };
    QTest::newRow("reset to 0: nothing to back out")
        << OptionalSplit(split(30)) << split(0) << u"error rate 50 %"_s << u"Canary weight set to 0"_s
        << Properties { { u"remediationAction"_s, u"NA"_s }, { u"canary.split.old"_s, u"70/30"_s },
               { u"canary.split.new"_s, u"100/0"_s }, { u"canary.reason"_s, u"error rate 50 %"_s } };
    QTest::newRow("unknown previous split")
        << OptionalSplit() << split(10) << u"  "_s << u"Canary weight set to 10"_s
        << Properties { { u"remediationAction"_s, u"9"_s }, { u"canary.split.new"_s, u"90/10"_s } };
}

void TestChangeRecorder::eventFor()
{
    QFETCH(OptionalSplit, from);
    QFETCH(Split, to);
    QFETCH(QString, reason);
    QFETCH(QString, title);
    QFETCH(Properties, properties);

    ChangeRecorder recorder(nullptr, workshopConfig());
    const auto event = recorder.eventFor(from, to, reason, u"3f2a…"_s);
    QCOMPARE(event.eventType, u"CUSTOM_CONFIGURATION"_s);
    QCOMPARE(event.title, title);
    QCOMPARE(event.entitySelector, session::Target::defaultEntitySelector());
    QVERIFY(!event.startTimeMs && !event.endTimeMs && !event.timeoutMinutes); // Dynatrace's defaults

    Properties expected = properties;
    expected.insert(u"remediationType"_s, u"ansible"_s);
    expected.insert(u"canary.operator"_s, u"alice"_s);
    expected.insert(u"canary.app.version"_s, u"0.1.0"_s);
    expected.insert(u"canary.backend"_s, u"AWX template 'Set canary weight' (#8) on awx.example.com"_s);
    expected.insert(u"canary.change.id"_s, u"3f2a…"_s);
    expected.insert(u"dt.event.is_rootcause_relevant"_s, u"true"_s);
    QCOMPARE(event.properties, expected);
    QVERIFY(event.violations().isEmpty());
    // The published key names are the ones used.
    QCOMPARE(event.properties.value(ChangeEventKeys::ChangeId.toString()), u"3f2a…"_s);
}

void TestChangeRecorder::record_storesTheWorkshopShapedEvent_withUniqueChangeIds()
{
    SimFixture fixture;
    Recorder recorder(fixture, workshopConfig());
    QSignalSpy stored(&fixture.environment->events(), &sim::EventStore::eventStored);

    const QString first = recorder.record(split(0), split(30), u"ramp"_s);
    QTRY_COMPARE(recorder.results.size(), 1);
    fixture.clock.advanceMs(120'000);
    const QString second = recorder.record(split(30), split(0));
    QTRY_COMPARE(recorder.results.size(), 2);

    for (const RecordResult &result : std::as_const(recorder.results)) {
        QVERIFY2(result.hasValue(), qPrintable(failureOf(result)));
        QVERIFY(result->allAccepted());
        QVERIFY(!result->skipped);
    }
    QVERIFY(!QUuid::fromString(first).isNull());
    QVERIFY(!QUuid::fromString(second).isNull());
    QVERIFY(first != second);

    QCOMPARE(stored.count(), 2);
    const auto &events = fixture.environment->events().events(); // newest first
    QCOMPARE(events.size(), 2);
    QCOMPARE(events.at(1).title, u"Canary weight set to 30"_s);
    QCOMPARE(events.at(1).properties,
        recorder.recorder.eventFor(split(0), split(30), u"ramp"_s, first).properties);
    QCOMPARE(events.at(0).title, u"Canary weight set to 0"_s);
    QCOMPARE(events.at(0).properties,
        recorder.recorder.eventFor(split(30), split(0), QString(), second).properties);
    QCOMPARE(events.at(0).properties.value(u"remediationAction"_s), u"NA"_s);
    QVERIFY(!events.at(0).properties.contains(u"canary.reason"_s));
    for (const auto &event : events) {
        QCOMPARE(event.eventType, u"CUSTOM_CONFIGURATION"_s);
        QCOMPARE(event.entityId, fixture.environment->serviceId());
    }
}

void TestChangeRecorder::disabled_reportsSkipped_andSendsNothing()
{
    SimFixture fixture;
    QSignalSpy handled(&fixture.environment->server(), &sim::SimServer::requestHandled);
    RecorderConfig config = workshopConfig();
    config.enabled = false;
    Recorder recorder(fixture, config);

    QCOMPARE(recorder.record(split(0), split(30)), QString());
    QVERIFY(recorder.results.isEmpty()); // never synchronously
    QTRY_COMPARE(recorder.results.size(), 1);
    QVERIFY(recorder.results.front().hasValue());
    QVERIFY(recorder.results.front()->skipped);
    QVERIFY(!recorder.results.front()->allAccepted());
    QCOMPARE(recorder.results.front()->reportCount, 0);

    // Enabled again, the next change is the first and only request the simulator sees.
    config.enabled = true;
    recorder.recorder.setConfig(config);
    QVERIFY(!recorder.record(split(30), split(70)).isEmpty());
    QTRY_COMPARE(recorder.results.size(), 2);
    QVERIFY(recorder.results.back().hasValue());
    QCOMPARE(handled.count(), 1);
    QCOMPARE(fixture.environment->events().size(), 1);
    QCOMPARE(fixture.environment->events().events().front().title, u"Canary weight set to 70"_s);
}

void TestChangeRecorder::refusedEvent_isAnError_andNotSent()
{
    SimFixture fixture;
    QSignalSpy handled(&fixture.environment->server(), &sim::SimServer::requestHandled);
    Recorder recorder(fixture, workshopConfig());

    // Not a split at all: refused before anything is sent.
    QCOMPARE(recorder.record(split(0), Split { 50, 60 }), QString());
    QTRY_COMPARE(recorder.results.size(), 1);
    QVERIFY(!recorder.results.front().hasValue());
    QCOMPARE(recorder.results.front().error().kind, dynatrace::ApiError::Kind::BadRequest);
    QVERIFY(recorder.results.front().error().message.contains(u"50/60"_s));

    QVERIFY(!recorder.record(split(0), split(30)).isEmpty());
    QTRY_COMPARE(recorder.results.size(), 2);
    QCOMPARE(handled.count(), 1);
}

// Issue 17, plan safety: an increase never goes on record without a way back when the back-end offers one;
// "NA" is a change to 0 %'s, never an increase's.
void TestChangeRecorder::withoutARemediationAction_theBackendsOwnResetIsTheBackout()
{
    for (const QString &configured : { QString(), u"NA"_s }) {
        auto config = workshopConfig();
        config.remediationAction = configured;
        ChangeRecorder recorder(nullptr, config);
        QVERIFY(!recorder.backoutForIncrease());
        auto event = recorder.eventFor(split(0), split(30), {}, u"id"_s);
        QVERIFY(!event.properties.contains(u"remediationAction"_s));

        const traffic::BackoutAction own { u"ansible"_s, u"9"_s,
            u"AWX template 'Reset canary weighting' (#9)"_s };
        recorder.setBackoutSource([own] { return std::optional(own); });
        QCOMPARE(recorder.backoutForIncrease(), std::optional(own));
        event = recorder.eventFor(split(0), split(30), {}, u"id"_s);
        QCOMPARE(event.properties.value(u"remediationType"_s), u"ansible"_s);
        QCOMPARE(event.properties.value(u"remediationAction"_s), u"9"_s);
        QCOMPARE(event.properties.value(ChangeEventKeys::RemediationSource.toString()), own.description);
        // Back to 0 % nothing is left to undo, whoever's the backout.
        event = recorder.eventFor(split(30), split(0), {}, u"id"_s);
        QCOMPARE(event.properties.value(u"remediationAction"_s), u"NA"_s);
        QVERIFY(!event.properties.contains(ChangeEventKeys::RemediationSource.toString()));
    }
    // A configured action wins over the back-end's, and is not labelled as the back-end's.
    ChangeRecorder configured(nullptr, workshopConfig());
    configured.setBackoutSource([] {
        return std::optional(traffic::BackoutAction { u"ansible"_s, u"77"_s, u"x"_s });
    });
    const auto event = configured.eventFor(split(0), split(30), {}, u"id"_s);
    QCOMPARE(event.properties.value(u"remediationAction"_s), u"9"_s);
    QVERIFY(!event.properties.contains(ChangeEventKeys::RemediationSource.toString()));
}

void TestChangeRecorder::systemUserName_data()
{
    QTest::addColumn<QByteArray>("user");
    QTest::addColumn<QByteArray>("username");
    QTest::addColumn<QString>("expected"); // empty: the home folder's name

    QTest::newRow("USER") << QByteArray("alice") << QByteArray("bob") << u"alice"_s;
    QTest::newRow("USERNAME (Windows)") << QByteArray() << QByteArray("bob") << u"bob"_s;
    QTest::newRow("neither") << QByteArray() << QByteArray() << QString();
}

void TestChangeRecorder::systemUserName()
{
    QFETCH(QByteArray, user);
    QFETCH(QByteArray, username);
    QFETCH(QString, expected);

    const EnvironmentGuard userGuard("USER");
    const EnvironmentGuard usernameGuard("USERNAME");
    auto set = [](const char *name, const QByteArray &value) {
        if (value.isEmpty())
            qunsetenv(name);
        else
            qputenv(name, value);
    };
    set("USER", user);
    set("USERNAME", username);
    if (expected.isEmpty())
        expected = QDir(QStandardPaths::writableLocation(QStandardPaths::HomeLocation)).dirName();
    QCOMPARE(RecorderConfig::systemUserName(), expected);
    QCOMPARE(RecorderConfig().operatorName, expected);
}

QTEST_GUILESS_MAIN(TestChangeRecorder)
#include "tst_changerecorder.moc"
