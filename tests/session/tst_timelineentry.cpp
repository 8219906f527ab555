#include <QSignalSpy>
#include <QTest>

#include "session/actionlog.h"
#include "session/timelineentry.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using session::TimelineEntry;

class TestTimelineEntry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fromEvent_keepsThePropertiesAndTheBackoutPlan()
    {
        dynatrace::Event event;
        event.eventId = u"-1_1000"_s;
        event.eventType = u"CUSTOM_CONFIGURATION"_s;
        event.title = u"Canary weight set to 30"_s;
        event.startMs = 1000;
        event.status = u"OPEN"_s;
        event.entityId = u"SERVICE-C4A7E2B19F03D658"_s;
        event.entityName = u"simplenodeservice.canary-jenkins"_s;
        event.properties = { { u"remediationAction"_s, u"9"_s }, { u"remediationType"_s, u"ansible"_s },
            { u"canary.change.id"_s, u"abc"_s } };
        const auto entry = TimelineEntry::fromEvent(event);
        QCOMPARE(entry.origin, TimelineEntry::Origin::Event);
        QVERIFY(entry.isConfigurationChange());
        QCOMPARE(entry.remediationAction(), u"9"_s);
        QCOMPARE(entry.source, u"Canary Console"_s);
        QVERIFY(entry.properties.value(u"entity"_s).contains(u"SERVICE-C4A7E2B19F03D658"_s));
        QVERIFY(!entry.endMs);
    }

    // Issue 17: a change seen made outside and the event its maker (a pipeline) recorded are one change.
    void outsideChange_isMatchedWithThePipelinesEvent()
    {
        const auto configurationEvent
            = [](const QString &id, const QString &title, qint64 startMs, const QString &source) {
                  dynatrace::Event event;
                  event.eventId = id;
                  event.eventType = u"CUSTOM_CONFIGURATION"_s;
                  event.title = title;
                  event.startMs = startMs;
                  event.status = u"OPEN"_s;
                  event.properties = { { u"dt.event.source"_s, source } };
                  return event;
              };
        const std::vector<dynatrace::Event> events {
            configurationEvent(u"old"_s, u"Canary weight set to 30"_s, 10'000, u"Jenkins"_s), // far too early
            configurationEvent(
                u"other"_s, u"Canary weight set to 50"_s, 95'000, u"Jenkins"_s), // another weight
            configurationEvent(u"pipeline"_s, u"Canary weight set to 30"_s, 92'000, u"Jenkins"_s),
        };
        TimelineEntry seen;
        seen.origin = TimelineEntry::Origin::LocalAction;
        seen.id = u"local-1"_s;
        seen.type = u"TRAFFIC_CHANGE_EXTERNAL"_s;
        seen.title = u"Traffic changed to 70/30 (stable/canary) outside Canary Console"_s;
        seen.startMs = 100'000;
        seen.properties = { { u"split.old"_s, u"100/0"_s }, { u"split.new"_s, u"70/30"_s } };
        TimelineEntry again = seen; // a second outside change to 30 % with no event of its own
        again.id = u"local-2"_s;
        again.startMs = 101'000;

        const auto entries = session::combineTimeline(events, {}, { seen, again }, 60'000);
        QCOMPARE(entries.size(), std::size_t(5));
        const auto find = [&entries](const QString &id) {
            return *std::find_if(entries.cbegin(), entries.cend(),
                [&id](const TimelineEntry &entry) { return entry.id == id; });
        };
        const TimelineEntry matched = find(u"local-1"_s);
        QCOMPARE(matched.properties.value(u"split.recordedEventId"_s), u"pipeline"_s);
        QCOMPARE(matched.properties.value(u"split.recordedBy"_s), u"Jenkins"_s);
        QVERIFY2(matched.title.endsWith(u"recorded in Dynatrace by Jenkins"_s), qPrintable(matched.title));
        // One event, one change: the second sighting stays unmatched.
        QVERIFY(!find(u"local-2"_s).properties.contains(u"split.recordedEventId"_s));
    }

    void fromEvent_oddEvents_stillReadable()
    {
        dynatrace::Event event;
        event.properties = { { u"dt.event.source"_s, u"Jenkins"_s } };
        const auto entry = TimelineEntry::fromEvent(event);
        QCOMPARE(entry.type, u"UNKNOWN"_s);
        QCOMPARE(entry.title, u"UNKNOWN"_s); // never an empty line
        QCOMPARE(entry.source, u"Jenkins"_s);
        QVERIFY(!entry.isConfigurationChange());
    }

    void fromProblem_carriesDisplayIdAndSeverity()
    {
        dynatrace::Problem problem;
        problem.problemId = u"-813_1604628540000V2"_s;
        problem.displayId = u"P-230726"_s;
        problem.title = u"Failure rate increase"_s;
        problem.status = u"OPEN"_s;
        problem.severityLevel = u"ERROR"_s;
        problem.rootCause = dynatrace::EntityStub { u"SERVICE-1"_s, u"SERVICE"_s, u"simplenodeservice"_s };
        const auto entry = TimelineEntry::fromProblem(problem);
        QCOMPARE(entry.origin, TimelineEntry::Origin::Problem);
        QCOMPARE(entry.id, problem.problemId);
        QCOMPARE(entry.displayId, u"P-230726"_s);
        QCOMPARE(entry.severity, u"ERROR"_s);
        QVERIFY(entry.properties.value(u"rootCause"_s).contains(u"SERVICE-1"_s));
    }

    void actionLog_isLocal_timed_andBounded()
    {
        VirtualClock clock(5000);
        session::ActionLog log(clock);
        QSignalSpy added(&log, &session::ActionLog::actionAdded);
        const auto first
            = log.add(u"TRAFFIC_CHANGE"_s, u"Canary set to 30 %"_s, true, { { u"split"_s, u"70/30"_s } });
        QCOMPARE(first.origin, TimelineEntry::Origin::LocalAction);
        QCOMPARE(first.startMs, 5000);
        QCOMPARE(first.status, u"OK"_s);
        QCOMPARE(added.count(), 1);
        const auto failed = log.add(u"TRAFFIC_CHANGE"_s, u"Canary set to 50 % failed"_s, false);
        QCOMPARE(failed.status, u"FAILED"_s);
        QVERIFY(failed.id != first.id);
        for (std::size_t i = 0; i < session::ActionLog::DefaultCapacity; ++i)
            log.add(u"X"_s, {}, true);
        QCOMPARE(log.entries().size(), session::ActionLog::DefaultCapacity);
        QVERIFY(log.entries().front().id != first.id);
    }
};

QTEST_GUILESS_MAIN(TestTimelineEntry)
#include "tst_timelineentry.moc"
