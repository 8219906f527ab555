#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include "report/incidentreport.h"
#include "store/auditlog.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using report::IncidentReport;
using session::TimelineEntry;

namespace {

constexpr qint64 T0 = 1'795'687'200'000; // 2026-11-26 10:00:00 UTC

TimelineEntry entry(TimelineEntry::Origin origin, qint64 atMs, const QString &type, const QString &title,
    const QString &status = {})
{
    TimelineEntry e;
    e.origin = origin;
    e.id = title;
    e.type = type;
    e.title = title;
    e.status = status;
    e.startMs = atMs;
    return e;
}

// The workshop's story: 30 % to build 4, its failure rate jumps, a problem opens, the verdict turns FAIL,
// the operator rolls back through AWX and it is verified.
IncidentReport workshopStory()
{
    IncidentReport r;
    r.service = uR"(type(SERVICE),entityName.equals("simplenodeservice"))"_s;
    r.environment = u"simulated environment"_s;
    r.profile = u"Demo"_s;
    r.fromMs = T0;
    r.toMs = T0 + 30 * 60'000;
    r.generatedAtMs = T0 + 30 * 60'000 + 5'000;
    r.roles = { u"1.0.0-034c71"_s, u"4.0.0-034c71"_s };
    session::BuildSeries stable;
    stable.build = r.roles.stable;
    stable.timestamps = { T0 + 60'000, T0 + 120'000 };
    stable.values = { 700.0, 650.0 };
    session::BuildSeries canary;
    canary.build = r.roles.canary;
    canary.timestamps = stable.timestamps;
    canary.values = { 300.0, std::nullopt };
    r.builds = { stable, canary };

    auto change = entry(
        TimelineEntry::Origin::Event, T0 + 5 * 60'000, u"CUSTOM_CONFIGURATION"_s, u"Canary weight 30 %"_s);
    change.properties = { { u"remediationType"_s, u"ansible"_s }, { u"remediationAction"_s, u"9"_s },
        { u"reason"_s, u"ramp | step 1"_s } };
    auto problem = entry(TimelineEntry::Origin::Problem, T0 + 9 * 60'000, u"PROBLEM"_s,
        u"simplenodeservice.canary: Failure rate increase"_s, u"CLOSED"_s);
    problem.displayId = u"P-2211124"_s;
    problem.severity = u"ERROR"_s;
    problem.endMs = T0 + 20 * 60'000;
    auto action = entry(TimelineEntry::Origin::LocalAction, T0 + 4 * 60'000, u"TRAFFIC_CHANGE"_s,
        u"Canary 0 % → 30 %"_s, u"OK"_s);
    // Out of order on purpose: the report sorts.
    r.timeline = { problem, change, action };

    verdict::Verdict v = verdict::combine({ verdict::judgeFailureRate(62, 500, 40, 5'000) });
    r.verdict = v;
    r.verdictChanges = { { T0 + 5 * 60'000, verdict::Outcome::NotEnoughData, u"not enough data"_s },
        { T0 + 8 * 60'000, verdict::Outcome::Fail, v.summary } };

    rollback::RollbackState state;
    state.id = u"rollback-1"_s;
    state.operatorName = u"alice"_s;
    state.reason = u"failure rate"_s;
    state.plan.kind = rollback::BackoutPlan::Kind::AwxTemplate;
    state.plan.templateId = 9;
    state.jobId = 1190;
    state.jobStatus = u"successful"_s;
    state.stage = rollback::Stage::Finished;
    state.startedAtMs = T0 + 12 * 60'000;
    state.finishedAtMs = T0 + 12 * 60'000 + 25'000;
    state.backendVerified = true;
    state.observedCanaryPercent = 0.0;
    state.verified = true;
    r.rollbacks = { state };
    return r;
}

} // namespace

class TestIncidentReport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void markdown_tellsTheStory()
    {
        const QString md = report::toMarkdown(workshopStory());
        QVERIFY(
            md.startsWith(uR"(# Incident report: type(SERVICE),entityName.equals("simplenodeservice"))"_s));
        QVERIFY(md.contains(u"- Window: 2026-11-26 10:00:00 UTC to 2026-11-26 10:30:00 UTC"_s));
        QVERIFY(md.contains(u"(profile \"Demo\")"_s));
        QVERIFY(md.contains(u"- Stable build: `1.0.0-034c71`; canary build: `4.0.0-034c71`"_s));
        QVERIFY(md.contains(u"- Verdict at export: **FAIL** — "_s));
        QVERIFY(md.contains(u"- First FAIL: 2026-11-26 10:08:00 UTC"_s));
        QVERIFY(md.contains(u"- Operator actions: 1; Dynatrace problems: 1; other Dynatrace events: 1"_s));
        // The verdict's own sentence, with its numbers, in the table.
        QVERIFY(md.contains(u"| Failure rate | FAIL | Failure rate: canary 12.4 % (62 of 500 requests)"_s));
        QVERIFY(md.contains(u"- 2026-11-26 10:05:00 UTC **NOT ENOUGH DATA**: not enough data"_s));
        QVERIFY(md.contains(u"| `4.0.0-034c71` | canary | 300 |"_s));
        QVERIFY(md.contains(u"| `1.0.0-034c71` | stable | 1,350 |"_s));
        QVERIFY(md.contains(
            u"AWX job 1190 successful — **verified**: the back-end reads 0 % canary and the canary "
            "received 0.0 % of requests afterwards"_s));
        QVERIFY(md.contains(u"Reason: failure rate"_s));
        QVERIFY(!md.contains(u"stale data"_s));
        auto stale = workshopStory();
        stale.verdictStale = true;
        QVERIFY(report::toMarkdown(stale).contains(
            u"- Verdict at export: **FAIL** (on stale data: the newest refresh had failed) — "_s));
        // No chart image unless one was written.
        QVERIFY(!md.contains(u"## Chart"_s));
    }

    void timeline_isOldestFirst_marksTheOperator_andEscapesCells()
    {
        const QString md = report::toMarkdown(workshopStory());
        const auto action
            = md.indexOf(u"| Operator (Canary Console) | TRAFFIC_CHANGE | Canary 0 % → 30 % | OK |"_s);
        const auto change = md.indexOf(u"| Dynatrace event | CUSTOM_CONFIGURATION | Canary weight 30 % |"_s);
        const auto problem = md.indexOf(
            u"| Dynatrace problem | PROBLEM | simplenodeservice.canary: Failure rate increase | CLOSED | P-2211124; ERROR; until 10:20:00"_s);
        QVERIFY(action > 0);
        QVERIFY(change > action);
        QVERIFY(problem > change);
        // A pipe inside a value would split the table's row.
        QVERIFY(md.contains(u"backout: ansible 9; reason: ramp \\| step 1 |"_s));
    }

    // Issue 20 item 4: what events, problems, AWX and the back-end say is quoted, never obeyed: no HTML, no
    // link, no code span or cell of its own, no terminal escape, no credential. The console's own deep links
    // stay links.
    void quotedText_isNeutralised_andOnlyTheConsolesLinksAreLinks()
    {
        const QString hostile
            = u"<img src=\"http://evil.example/pixel.png\"> [Approve the rollback "
              "here](http://evil.example/phish) www.evil.example `code` a|b *x* \x1b[2K\r\u202E\u009b"_s;
        IncidentReport r = workshopStory();
        r.tenantUrl = QUrl(u"https://abc12345.live.dynatrace.com"_s);
        TimelineEntry event
            = entry(TimelineEntry::Origin::Event, T0 + 60'000, u"CUSTOM_CONFIGURATION"_s, hostile);
        event.properties.insert(u"remediationType"_s, u"gitlab"_s);
        event.properties.insert(u"remediationAction"_s,
            u"https://gitlab.example.com/api/v4/projects/4/trigger/pipeline?token=0123456789abcdef0123&ref=main"_s);
        event.properties.insert(u"dt.event.description"_s, hostile);
        r.timeline.push_back(event);
        TimelineEntry problem = entry(TimelineEntry::Origin::Problem, T0 + 120'000, u"PROBLEM"_s, hostile);
        problem.id = u"-123_456V2"_s;
        problem.displayId = u"P-1)"_s;
        r.timeline.push_back(problem);
        rollback::RollbackState rollback;
        rollback.id = u"rollback-9"_s;
        rollback.startedAtMs = T0 + 180'000;
        rollback.stage = rollback::Stage::Finished;
        rollback.failure = rollback::Failure::JobFailed;
        rollback.message = hostile;
        rollback.jobUrl = u"http://evil.example/#/jobs/1"_s;
        rollback.operatorName = u"[mallory](http://evil.example/)"_s;
        r.rollbacks.push_back(rollback);
        r.builds.push_back(session::BuildSeries {});
        r.builds.back().build = u"1.0`|`<b>"_s;

        const QString md = report::toMarkdown(r);
        QVERIFY2(!md.contains(u"<img"_s) && md.contains(u"&lt;img src="_s), qPrintable(md));
        QVERIFY2(!md.contains(u"here](http"_s) && md.contains(u"\\[Approve the rollback here\\]"_s),
            qPrintable(md));
        QVERIFY2(
            !md.contains(u"http://evil"_s) && !md.contains(u"www.evil"_s), qPrintable(md)); // no autolink
        QVERIFY2(md.contains(u"\\`code\\`"_s) && md.contains(u"a\\|b"_s) && md.contains(u"\\*x\\*"_s),
            qPrintable(md));
        for (const QChar c : { QChar(0x1b), QChar(u'\r'), QChar(0x202e), QChar(0x9b) })
            QVERIFY2(!md.contains(c), qPrintable(u"raw U+%1"_s.arg(c.unicode(), 4, 16, QLatin1Char('0'))));
        QVERIFY2(md.contains(u"\\\\x1b\\[2K"_s) && md.contains(u"&lt;U+202E&gt;"_s), qPrintable(md));
        QVERIFY2(!md.contains(u"0123456789abcdef0123"_s), qPrintable(md));
        // A build name cannot close its code span: the fence is longer than any run of backticks in it.
        QVERIFY2(md.contains(u"| ``1.0`\\|`<b>`` |"_s), qPrintable(md));
        // The console's own link to the problem's page is a link, its id encoded so it cannot end it.
        QVERIFY2(
            md.contains(
                u"[open in Dynatrace](<https://abc12345.live.dynatrace.com/#problems/problemdetails;pid="_s),
            qPrintable(md));
        // Every row of the timeline is still one row of six cells.
        for (const QString &line : md.split(u'\n')) {
            if (!line.startsWith(u"| 2026-"_s))
                continue;
            const qsizetype pipes = line.count(u'|') - line.count(u"\\|"_s);
            QVERIFY2(pipes == 7, qPrintable(line));
        }
    }

    void emptyReport_saysSoInsteadOfEmptyTables()
    {
        IncidentReport r;
        r.service = u"checkout"_s;
        r.environment = u"tenant.example"_s;
        const QString md = report::toMarkdown(r);
        QVERIFY(md.contains(u"- Verdict at export: none (no health data was judged)"_s));
        QVERIFY(md.contains(u"No verdict: the window had no health data to judge."_s));
        QVERIFY(md.contains(u"No request data in the window."_s));
        QVERIFY(md.contains(u"Nothing was recorded in the window."_s));
        QVERIFY(md.contains(u"No rollback ran in the window."_s));
    }

    void reportFromRead_coversTheSnapshotsWindow()
    {
        const auto story = workshopStory();
        session::Snapshot snapshot;
        snapshot.fetchedAtMs = T0 + 3 * 60'000;
        snapshot.builds = story.builds; // intervals ending at T0 + 1 and 2 minutes
        dynatrace::Event event;
        event.eventId = u"e1"_s;
        event.eventType = u"CUSTOM_CONFIGURATION"_s;
        event.startMs = T0;
        dynatrace::Problem problem;
        problem.problemId = u"p1"_s;
        problem.startMs = T0 + 60'000;
        const auto r = report::reportFromRead(snapshot, { event }, { problem }, story.roles, T0 + 200'000);
        QCOMPARE(r.fromMs, T0 + 60'000);
        QCOMPARE(r.toMs, T0 + 3 * 60'000);
        QCOMPARE(r.generatedAtMs, T0 + 200'000);
        QCOMPARE(r.roles.canary, story.roles.canary);
        QCOMPARE(r.builds.size(), std::size_t(2));
        QCOMPARE(r.timeline.size(), std::size_t(2));
        QCOMPARE(r.timeline[0].origin, TimelineEntry::Origin::Event);
        QCOMPARE(r.timeline[1].origin, TimelineEntry::Origin::Problem);
        // Before any fetch the window is the moment of the report.
        const auto empty = report::reportFromRead({}, {}, {}, {}, T0);
        QCOMPARE(empty.fromMs, T0);
        QCOMPARE(empty.toMs, T0);
    }

    void auditEntries_becomeOperatorActions()
    {
        store::AuditEntry entry;
        entry.id = 7;
        entry.atMs = T0 + 60'000;
        entry.operatorName = u"alice"_s;
        entry.action = u"split.guard-override"_s;
        entry.result = store::AuditResult::Succeeded;
        entry.message = u"guard-rails overridden: vendor asked for the failing build"_s;
        entry.detail = QJsonObject { { u"reason"_s, u"vendor asked for the failing build"_s },
            { u"blocks"_s, QJsonArray { u"verdict is FAIL"_s, u"problem P-1 is open"_s } } };
        const auto e = report::timelineEntryFromAudit(entry);
        QCOMPARE(e.origin, TimelineEntry::Origin::LocalAction);
        QCOMPARE(e.id, u"audit-7"_s);
        QCOMPARE(e.type, u"split.guard-override"_s);
        QCOMPARE(e.title, entry.message);
        QCOMPARE(e.status, u"SUCCEEDED"_s);
        QCOMPARE(e.source, u"alice"_s);
        QCOMPARE(e.startMs, entry.atMs);
        QCOMPARE(e.properties.value(u"reason"_s), u"vendor asked for the failing build"_s);
        QCOMPARE(e.properties.value(u"guard.blocks"_s), u"verdict is FAIL; problem P-1 is open"_s);

        IncidentReport r;
        r.timeline = { e };
        QVERIFY(report::toMarkdown(r).contains(u"| Operator (Canary Console) | split.guard-override | "
                                               u"guard-rails overridden: vendor asked for the "
                                               "failing build | SUCCEEDED | reason: vendor asked for the "
                                               "failing build; guard.blocks: verdict is "
                                               "FAIL; problem P-1 is open |"_s));
    }

    void baseName_isSafe()
    {
        auto r = workshopStory();
        QCOMPARE(report::suggestedBaseName(r), u"incident-simplenodeservice-20261126-103005"_s);
        r.service = u"../../etc/passwd name|x"_s;
        // Nothing that walks out of the folder or breaks a file name on any platform.
        QCOMPARE(report::suggestedBaseName(r), u"incident-etc-passwd-name-x-20261126-103005"_s);
        r.service = u"///"_s;
        QCOMPARE(report::suggestedBaseName(r), u"incident-service-20261126-103005"_s);
    }

    void write_putsTheImageBesideTheMarkdown()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QByteArray png = QByteArray::fromHex("89504e470d0a1a0a") + QByteArray(64, 'x');
        const auto result
            = report::writeReport(workshopStory(), dir.filePath(u"reports"_s), u"incident-x"_s, png);
        QVERIFY2(result, qPrintable(result ? QString() : result.error()));
        const QString written = result.value();
        QCOMPARE(written, dir.filePath(u"reports/incident-x.md"_s));
        QFile image(dir.filePath(u"reports/incident-x.png"_s));
        QVERIFY(image.open(QIODevice::ReadOnly));
        QCOMPARE(image.readAll(), png);
        QFile markdown(written);
        QVERIFY(markdown.open(QIODevice::ReadOnly));
        const QString md = QString::fromUtf8(markdown.readAll());
        QVERIFY(md.contains(u"## Chart\n\n![Requests per build over the window](incident-x.png)"_s));
        QVERIFY(md.contains(u"Canary 0 % → 30 %"_s)); // UTF-8 survives
    }

    void write_failsClearly_whenTheFolderCannotBeMade()
    {
        QTemporaryDir dir;
        QFile blocker(dir.filePath(u"file"_s));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        const auto result = report::writeReport(workshopStory(), dir.filePath(u"file/sub"_s), u"r"_s, {});
        QVERIFY(!result);
        QVERIFY(result.error().contains(u"cannot create the folder"_s));
        QVERIFY(result.error().contains(u"file/sub"_s));
    }
};

QTEST_GUILESS_MAIN(TestIncidentReport)
#include "tst_incidentreport.moc"
