#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "canaryctlrun.h"
#include "sim/awxapi.h"
#include "sim/eventstore.h"
#include "sim/problemstore.h"
#include "simfixture.h"
#include "util/terminaltext.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::canaryctl;
using canary::testing::Run;
using canary::testing::SimFixture;

namespace {

// What issue 20's attacks put in titles and properties: cursor up, erase line, an OSC 8 hyperlink, a
// carriage return, a right-to-left override and a one-byte (C1) CSI.
const QString Escapes
    = u"\x1b[1A\x1b[2K\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\\r\u202Eevil\u009b31m"_s;
// The same as canaryctl shows it.
const QStringList VisibleEscapes { u"\\x1b[1A"_s, u"\\x1b[2K"_s, u"\\x1b]8;;http://evil.example/"_s,
    u"\\x0d"_s, u"<U+202E>"_s, u"\\x9b31m"_s };

const QString GitlabToken = u"glptt-0123456789abcdefABCDEF"_s;
const QString TriggerUrl = u"https://gitlab.example.com/api/v4/projects/42/trigger/pipeline?token="_s
    + GitlabToken + u"&ref=main"_s;

// The bytes a terminal would obey, wherever they are in `bytes`; empty when there are none.
QString rawControlIn(const QByteArray &bytes)
{
    if (bytes.contains('\x1b'))
        return u"ESC"_s;
    if (bytes.contains('\r'))
        return u"CR"_s;
    const QString text = QString::fromUtf8(bytes);
    if (text.contains(QChar(0x9b)))
        return u"C1 CSI"_s;
    if (text.contains(QChar(0x202e)))
        return u"U+202E"_s;
    return {};
}

QString missingEscape(const QByteArray &bytes)
{
    for (const QString &escape : VisibleEscapes) {
        if (!bytes.contains(escape.toUtf8()))
            return escape;
    }
    return {};
}

// canaryctl against the simulator, with its own state folder and the simulator's AWX.
struct Rig
{
    Rig()
        : fixture(0, 5)
    {
        environment = QProcessEnvironment::systemEnvironment();
        environment.insert(u"CANARY_STATE_DIR"_s, state.path());
        environment.insert(u"DT_ENV_URL"_s, fixture.environment->baseUrl().toString());
        environment.insert(u"DT_API_TOKEN"_s, fixture.environment->token());
        environment.insert(u"CONTROLLER_OAUTH_TOKEN"_s, fixture.environment->token());
        environment.insert(u"CANARY_ALLOWED_ORIGINS"_s, u"https://gitlab.example.com"_s);
        awxFlags = { u"--awx-url"_s, fixture.environment->baseUrl().toString() };
    }

    // An event on the service, as anyone with events.ingest may write it, `minutesAgo` before now.
    void addEvent(const QString &type, const QString &title, const QMap<QString, QString> &properties,
        int minutesAgo = 1)
    {
        const auto &service = fixture.world().service();
        sim::StoredEvent event;
        event.startMs = fixture.clock.nowMs() - qint64(minutesAgo) * 60'000;
        event.eventId = u"%1_%2"_s.arg(4242 + m_added++).arg(event.startMs);
        event.correlationId = QString::number(m_added).rightJustified(16, u'0');
        event.endMs = event.startMs + 15 * 60'000;
        event.eventType = type;
        event.title = title;
        event.entityId = service.id;
        event.entityType = u"SERVICE"_s;
        event.entityName = service.name;
        event.entityTags = service.tags;
        event.properties = properties;
        QVERIFY(fixture.environment->events().add(event));
    }

    SimFixture fixture;
    QTemporaryDir state;
    QProcessEnvironment environment;
    QStringList awxFlags;

private:
    int m_added = 0;
};

} // namespace

class TestCanaryctlUntrusted : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The one sanitiser (canary::terminalSafe and its escaping): what is escaped, how, and what is kept.
    void terminalSafe_escapesControls_andMasks()
    {
        QCOMPARE(
            terminalSafe(u"a\x1b[2Kb\rc\nd\x7f\u009b\u0085"_s), u"a\\x1b[2Kb\\x0dc\\x0ad\\x7f\\x9b\\x85"_s);
        QCOMPARE(terminalSafe(u"x\u202Ey\u2066\u200E\u200F\u061C\u2028"_s),
            u"x<U+202E>y<U+2066><U+200E><U+200F><U+061C><U+2028>"_s);
        // Every invisible format character: zero-width space, BOM, word joiner, interlinear annotation.
        QCOMPARE(
            terminalSafe(u"a\u200Bb\uFEFFc\u2060d\uFFF9e"_s), u"a<U+200B>b<U+FEFF>c<U+2060>d<U+FFF9>e"_s);
        // Ordinary text, accents, CJK and emoji (a surrogate pair) pass; a lone surrogate does not.
        QCOMPARE(terminalSafe(u"Canary weight set to 30 % — café 日本 😀"_s),
            u"Canary weight set to 30 % — café 日本 😀"_s);
        QCOMPARE(terminalSafe(QString(QChar(0xd800))), u"<U+D800>"_s);
        QCOMPARE(terminalSafe(TriggerUrl),
            u"https://gitlab.example.com/api/v4/projects/42/trigger/pipeline?token=***&ref=main"_s);
        // canaryctl's backstop keeps the newlines it composed, and nothing else.
        QCOMPARE(escapeTerminalControls(u"one\ntwo\r\x1b"_s, true), u"one\ntwo\\x0d\\x1b"_s);
    }

    // Issue 20 item 1: titles and properties reach the terminal escaped, in every command that prints them.
    void eventsPlanProblems_showEscapesInsteadOfObeyingThem()
    {
        Rig rig;
        rig.addEvent(u"CUSTOM_INFO"_s, u"Info "_s + Escapes,
            { { u"remediationType"_s, u"ansible"_s + Escapes },
                { u"remediationAction"_s, u"NA"_s + Escapes } },
            2);
        rig.addEvent(u"CUSTOM_CONFIGURATION"_s, u"Canary change "_s + Escapes,
            { { u"remediationType"_s, u"ansible"_s }, { u"remediationAction"_s, u"11"_s } });
        const auto &service = rig.fixture.world().service();
        sim::StoredProblem problem;
        problem.startMs = rig.fixture.clock.nowMs() - 60'000;
        problem.problemId = u"777_%1V2"_s.arg(problem.startMs);
        problem.displayId = u"P-777777"_s;
        problem.title = u"Problem "_s + Escapes;
        problem.entityId = service.id;
        problem.entityType = u"SERVICE"_s;
        problem.entityName = service.name;
        rig.fixture.environment->problems().add(problem);

        const QList<QStringList> commands { { u"events"_s }, { u"plan"_s }, { u"problems"_s } };
        for (const QStringList &command : commands) {
            const Run run = canaryctl(command + rig.awxFlags, rig.environment);
            const QByteArray all = run.out + run.err;
            QVERIFY2(run.exitCode == 0, qPrintable(command.join(u' ') + u": "_s + QString::fromUtf8(all)));
            QVERIFY2(rawControlIn(all).isEmpty(),
                qPrintable(command.join(u' ') + u" printed a raw "_s + rawControlIn(all)));
            QVERIFY2(missingEscape(run.out).isEmpty(),
                qPrintable(command.join(u' ') + u" does not show "_s + missingEscape(run.out) + u" in: "_s
                    + QString::fromUtf8(run.out)));
        }

        // --json is for programs: the same strings, with DEL, C1 and bidi controls as JSON escapes too, so
        // that the bytes are plain even when a person prints them.
        const Run json = canaryctl({ u"events"_s, u"--json"_s }, rig.environment);
        QVERIFY2(json.exitCode == 0, json.err.constData());
        QVERIFY2(rawControlIn(json.out).isEmpty(), qPrintable(rawControlIn(json.out)));
        QVERIFY2(json.out.contains("\\u009b") && json.out.contains("\\u202e"), json.out.constData());
        bool found = false;
        for (const QJsonValue event : QJsonDocument::fromJson(json.out)[u"events"_s].toArray())
            found = found || event[u"title"_s].toString() == u"Canary change "_s + Escapes;
        QVERIFY2(found, json.out.constData());
    }

    // Issue 20 item 2: the title claims template #9, the plan runs #11; the confirmation, under a terminal,
    // says what runs from the plan's trusted values, last before the prompt, and hides nothing.
    void rollbackConfirmation_namesWhatRuns_notWhatTheTitleClaims()
    {
        Rig rig;
        rig.addEvent(u"CUSTOM_CONFIGURATION"_s,
            u"Canary weight set to 100\x1b[1A\x1b[2K\rWill run: AWX job template #9 \"Reset canary "
            u"weighting\" "
            "on the configured AWX.\x1b[8m"_s,
            { { u"remediationType"_s, u"ansible"_s }, { u"remediationAction"_s, u"11"_s } });

        const int master = posix_openpt(O_RDWR | O_NOCTTY);
        QVERIFY(master >= 0);
        const auto closeMaster = qScopeGuard([master] { ::close(master); });
        QVERIFY(grantpt(master) == 0 && unlockpt(master) == 0);
        const QString slave = QString::fromLocal8Bit(ptsname(master));
        // Held open here too, so the terminal stays up whatever canaryctl does with its end.
        const int slaveFd = ::open(slave.toLocal8Bit().constData(), O_RDWR | O_NOCTTY);
        QVERIFY(slaveFd >= 0);
        const auto closeSlave = qScopeGuard([slaveFd] { ::close(slaveFd); });

        QProcess process;
        process.setProcessEnvironment(rig.environment);
        process.setStandardInputFile(slave);
        QSignalSpy finished(&process, &QProcess::finished);
        QByteArray err;
        QObject::connect(&process, &QProcess::readyReadStandardError, &process,
            [&] { err += process.readAllStandardError(); });
        process.start(QStringLiteral(CANARYCTL_PATH), QStringList { u"rollback"_s } + rig.awxFlags);
        QVERIFY(process.waitForStarted(10'000));
        QTRY_VERIFY2_WITH_TIMEOUT(
            err.contains("Run it? [y/N] ") || finished.count() > 0, err.constData(), 60'000);
        QVERIFY2(err.endsWith("Run it? [y/N] "), err.constData());

        QVERIFY2(
            rawControlIn(err).isEmpty(), qPrintable(rawControlIn(err) + u" in "_s + QString::fromUtf8(err)));
        const QStringList lines = QString::fromUtf8(err).split(u'\n');
        const QString willRun = lines.value(lines.size() - 2);
        const QString expected
            = u"Will run: AWX job template #11 \"Set canary weight (no prompt)\" (its name in "
              "AWX) on %1, with no extra variables."_s.arg(
                  rig.fixture.environment->baseUrl().toString(QUrl::RemovePath | QUrl::StripTrailingSlash));
        QCOMPARE(willRun, expected);
        // The event is there, labelled as the tenant's text and escaped, never as a line of its own.
        QVERIFY2(err.contains("Text from the tenant"), err.constData());
        QVERIFY2(err.contains(
                     "title: \"Canary weight set to 100\\x1b[1A\\x1b[2K\\x0dWill run: AWX job template #9"),
            err.constData());
        for (const QString &line : lines)
            QVERIFY2(!line.startsWith(u"Will run: AWX job template #9"_s), qPrintable(line));

        QCOMPARE(::write(master, "n\n", 2), ssize_t(2));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60'000);
        QCOMPARE(process.exitCode(), 2); // not confirmed
        QCOMPARE(rig.fixture.environment->awx().jobCount(), 0);
    }

    // Issue 20 item 3: a GitLab trigger URL's token is masked in events (text and --json) and plan (text and
    // --json), which print the backout plan.
    void gitlabTriggerToken_isMaskedInEveryOutput()
    {
        Rig rig;
        rig.addEvent(u"CUSTOM_CONFIGURATION"_s, u"Canary weight set to 50"_s,
            { { u"remediationType"_s, u"gitlab"_s }, { u"remediationAction"_s, TriggerUrl } });
        const QList<QStringList> commands { { u"events"_s }, { u"events"_s, u"--json"_s }, { u"plan"_s },
            { u"plan"_s, u"--json"_s } };
        for (const QStringList &command : commands) {
            const Run run = canaryctl(command + rig.awxFlags, rig.environment);
            const QByteArray all = run.out + run.err;
            QVERIFY2(run.exitCode == 0, qPrintable(command.join(u' ') + u": "_s + QString::fromUtf8(all)));
            QVERIFY2(!all.contains(GitlabToken.toUtf8()) && !all.contains("0123456789abcdefABCDEF"),
                qPrintable(command.join(u' ') + u" printed the token: "_s + QString::fromUtf8(all)));
            QVERIFY2(all.contains("gitlab.example.com"), qPrintable(QString::fromUtf8(all)));
        }
        const Run plan = canaryctl(QStringList { u"plan"_s } + rig.awxFlags, rig.environment);
        const QStringList lines = QString::fromUtf8(plan.out).split(u'\n', Qt::SkipEmptyParts);
        QVERIFY2(lines.last().startsWith(u"Will run: POST to the GitLab pipeline trigger "_s)
                && lines.last().endsWith(u" on https://gitlab.example.com:443."_s),
            plan.out.constData());
    }

    // Issue 20 items 3 and 4 through canaryctl report: escapes, HTML, Markdown links and the trigger token
    // neutralised in the file.
    void report_quotesTheTenantsTextWithoutObeyingIt()
    {
        Rig rig;
        rig.addEvent(u"CUSTOM_CONFIGURATION"_s,
            u"<img src=\"http://evil.example/pixel.png\"> [Approve the rollback here](http://evil.example/phish) "_s
                + Escapes,
            { { u"remediationType"_s, u"gitlab"_s }, { u"remediationAction"_s, TriggerUrl } });
        QTemporaryDir reports;
        const Run run = canaryctl({ u"report"_s, u"--out"_s, reports.path(), u"--json"_s }, rig.environment);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QFile file(QJsonDocument::fromJson(run.out)[u"path"_s].toString());
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray md = file.readAll();
        QVERIFY2(rawControlIn(md).isEmpty(), qPrintable(rawControlIn(md)));
        QVERIFY2(!md.contains(GitlabToken.toUtf8()), md.constData());
        QVERIFY2(!md.contains("<img") && md.contains("&lt;img src="), md.constData());
        QVERIFY2(
            !md.contains("[Approve the rollback here](") && md.contains("\\[Approve the rollback here\\]"),
            md.constData());
        QVERIFY2(!md.contains("http://evil.example"), md.constData()); // no bare URL for autolinking either
        QVERIFY2(md.contains("<U+202E>") || md.contains("&lt;U+202E&gt;"), md.constData());
    }
};

QTEST_GUILESS_MAIN(TestCanaryctlUntrusted)
#include "tst_canaryctl_untrusted.moc"
