#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "fakebackend.h"
#include "store/auditlog.h"
#include "store/database.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"
#include "watch/livefeed.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::FakeBackend;
using watch::LiveChange;

class TestLiveFeed : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void splitReads_areNewsOnlyWhenFirstOrChanged_andAnOutsideChangeSaysSo()
    {
        FakeBackend backend;
        traffic::TrafficController controller(&backend, nullptr);
        VirtualClock clock(1'000'000);
        watch::LiveFeed feed(clock);
        feed.watchTraffic(&controller);
        QSignalSpy changes(&feed, &watch::LiveFeed::changed);
        const auto read = [&](int canary) {
            backend.current = *traffic::Split::fromCanaryPercent(canary);
            controller.refresh();
            backend.succeed();
        };
        const auto kinds = [&] {
            QStringList names;
            for (const auto &arguments : std::as_const(changes))
                names.append(LiveChange::kindName(arguments.at(0).value<LiveChange>().kind));
            return names;
        };
        read(20);
        read(20);
        read(20);
        QCOMPARE(kinds(), (QStringList { u"split"_s }));
        read(45);
        QCOMPARE(kinds(), (QStringList { u"split"_s, u"split-changed-outside"_s, u"split"_s }));
        const LiveChange outside = changes.at(1).at(0).value<LiveChange>();
        QCOMPARE(outside.json[u"from"_s][u"canary"_s].toInt(), 20);
        QCOMPARE(outside.json[u"to"_s][u"canary"_s].toInt(), 45);
        QCOMPARE(outside.json[u"kind"_s].toString(), u"split-changed-outside"_s);
        QCOMPARE(outside.json[u"atMs"_s].toInteger(), 1'000'000);

        // This process's own apply is not news again when the next read confirms it.
        controller.requestSplit(*traffic::Split::fromCanaryPercent(60));
        backend.succeed();
        read(60);
        QCOMPARE(changes.count(), 3);

        backend.current = *traffic::Split::fromCanaryPercent(60);
        controller.refresh();
        backend.fail();
        QCOMPARE(kinds().constLast(), u"split-read-failed"_s);
    }

    // Who made an outside change reaches the JSON line; a rollback another process writes to the shared audit
    // log is news as it is written, what was there before the watch began is not.
    void outsideChangeOrigin_andAuditRowsOfOtherProcesses()
    {
        FakeBackend backend;
        traffic::TrafficController controller(&backend, nullptr);
        VirtualClock clock(1'000'000);
        watch::LiveFeed feed(clock);
        feed.watchTraffic(&controller);
        QTemporaryDir dir;
        auto database = std::move(store::Database::open(dir.filePath(u"canary.db"_s))).value();
        store::AuditLog audit(*database, clock);
        QVERIFY(audit.append(
            { u"bob"_s, u"split.set"_s, u"router"_s, {}, store::AuditResult::Succeeded, u"old"_s }));
        QSignalSpy changes(&feed, &watch::LiveFeed::changed);
        feed.watchAudit(&audit, 1'000);
        QCOMPARE(changes.size(), 0);

        backend.current = *traffic::Split::fromCanaryPercent(10);
        controller.refresh();
        backend.succeed();
        backend.reportOrigin(traffic::ChangeOrigin { u"kubectl-edit (Update) on Ingress canary"_s, {},
            QDateTime::fromMSecsSinceEpoch(999'000, Qt::UTC), {} });
        backend.current = *traffic::Split::fromCanaryPercent(50);
        controller.refresh();
        backend.succeed();
        const auto outside
            = std::find_if(changes.cbegin(), changes.cend(), [](const QList<QVariant> &arguments) {
                  return arguments.at(0).value<LiveChange>().kind == LiveChange::Kind::SplitChangedOutside;
              });
        QVERIFY(outside != changes.cend());
        const LiveChange change = outside->at(0).value<LiveChange>();
        QCOMPARE(
            change.json[u"origin"_s][u"source"_s].toString(), u"kubectl-edit (Update) on Ingress canary"_s);
        QVERIFY(change.text.contains(u"kubectl-edit (Update) on Ingress canary"_s));

        changes.clear();
        QVERIFY(audit.append({ u"alice"_s, u"rollback.start"_s, u"Reset canary weighting"_s, {},
            store::AuditResult::Requested, u"launch AWX template 9\x1b[2J"_s }));
        QTRY_COMPARE(changes.size(), 1);
        const LiveChange row = changes.at(0).at(0).value<LiveChange>();
        QCOMPARE(row.kind, LiveChange::Kind::Audit);
        QCOMPARE(row.json[u"action"_s].toString(), u"rollback.start"_s);
        QCOMPARE(row.json[u"operator"_s].toString(), u"alice"_s);
        QCOMPARE(row.json[u"result"_s].toString(), u"requested"_s);
        QVERIFY(!row.line().contains(QChar(0x1b))); // the state folder is untrusted: no terminal escapes
    }

    void line_showsControlCharacters_insteadOfObeyingThem()
    {
        LiveChange change;
        change.atMs = 0;
        change.text = u"event CUSTOM_INFO: \x1b]0;owned\x07 fine\r\nnext \u202Egnp.exe"_s;
        const QString line = change.line();
        QVERIFY2(!line.contains(QChar(0x1b)) && !line.contains(u'\r') && !line.contains(u'\n')
                && !line.contains(QChar(0x07)) && !line.contains(QChar(0x202e)),
            qPrintable(line));
        QVERIFY2(line.endsWith(u"event CUSTOM_INFO: \\x1b]0;owned\\x07 fine\\x0d\\x0anext <U+202E>gnp.exe"_s),
            qPrintable(line));
    }
};

QTEST_MAIN(TestLiveFeed)
#include "tst_livefeed.moc"
