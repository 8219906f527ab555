#include "incidentreport.h"

#include <algorithm>

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QLocale>
#include <QRegularExpression>
#include <QSaveFile>

#include "dynatrace/deeplinks.h"
#include "net/redaction.h"
#include "store/auditlog.h"
#include "util/terminaltext.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::report {

namespace {

QString utc(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(u"yyyy-MM-dd HH:mm:ss"_s) + u" UTC"_s;
}

QString clockTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(u"HH:mm:ss"_s);
}

// Text quoted from outside (titles, properties, reasons, messages, URLs, build names: from Dynatrace events
// that anyone with events.ingest may write, from AWX and the back-end) as Markdown that shows it and does
// nothing else: credentials masked (net::redactSecrets), line breaks as spaces (a row is one line), other
// control characters as the terminal shows them (\x1b, <U+202E>), and then every character Markdown or HTML
// would act on escaped, so that no quoted text becomes a link, an image, an HTML tag, emphasis, a code span
// or a table cell of its own:
// - '\\', '`', '*', '_' (not between letters or digits), '[', ']', '|', '~', '!', '#', '@' get a backslash
//   (CommonMark's escape for ASCII punctuation);
// - '<', '>' and '&' become entities, so no tag (<img>) or autolink (<http://…>) can start;
// - "://", "www." and '@' are broken with a backslash: GitHub-flavoured Markdown links a bare URL or e-mail
//   address in text without any markup, and an escaped character ends the text it would have to be found in.
// The only links in a report are the console's own (deep links into the tenant, linkTarget()).
QString quoted(const QString &text)
{
    QString plain = net::redactSecrets(text);
    plain.replace(u"\r\n"_s, u" "_s).replace(u'\n', u' ');
    plain = escapeTerminalControls(plain);
    QString md;
    md.reserve(plain.size() + plain.size() / 8);
    for (qsizetype i = 0; i < plain.size(); ++i) {
        const QChar c = plain[i];
        switch (c.unicode()) {
        case u'<':
            md += u"&lt;"_s;
            break;
        case u'>':
            md += u"&gt;"_s;
            break;
        case u'&':
            md += u"&amp;"_s;
            break;
        case u'_':
            // Between letters or digits an underscore never emphasises (CUSTOM_CONFIGURATION reads as is).
            if (i > 0 && i + 1 < plain.size() && plain[i - 1].isLetterOrNumber()
                && plain[i + 1].isLetterOrNumber()) {
                md += c;
                break;
            }
            Q_FALLTHROUGH();
        case u'\\':
        case u'`':
        case u'*':
        case u'[':
        case u']':
        case u'|':
        case u'~':
        case u'!':
        case u'#':
        case u'@':
            md += u'\\';
            md += c;
            break;
        case u':':
            md += QStringView(plain).mid(i, 3) == u"://" ? u"\\:"_s : u":"_s;
            break;
        case u'.':
            md += i >= 3 && QStringView(plain).mid(i - 3, 3).compare(u"www", Qt::CaseInsensitive) == 0
                ? u"\\."_s
                : u"."_s;
            break;
        default:
            md += c;
        }
    }
    return md.trimmed();
}

// A table cell quoting text from outside: quoted() escapes the pipes that would end the cell.
QString cell(const QString &text)
{
    return quoted(text);
}

// Text from outside as an inline code span (build names): no Markdown inside it acts, and the fence is one
// backtick longer than any run of backticks in the text, so the text cannot close it early. A pipe still ends
// a table cell inside a code span, so it is escaped (GitHub-flavoured Markdown shows "\|" there as "|").
QString codeSpan(const QString &text)
{
    QString plain = net::redactSecrets(text);
    plain.replace(u"\r\n"_s, u" "_s).replace(u'\n', u' ');
    plain = escapeTerminalControls(plain).trimmed();
    plain.replace(u'|', u"\\|"_s);
    qsizetype longest = 0;
    qsizetype run = 0;
    for (const QChar c : std::as_const(plain)) {
        run = c == u'`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    const QString fence(longest + 1, u'`');
    // A space on each side when the text starts or ends with a backtick, which CommonMark strips again.
    const QString pad = plain.startsWith(u'`') || plain.endsWith(u'`') ? u" "_s : QString();
    return fence + pad + plain + pad + fence;
}

// The destination of a link the console built itself (a deep link into the tenant), in angle brackets and
// with everything outside a URL's plain characters percent-encoded, so an id inside it cannot end the link.
QString linkTarget(const QUrl &url)
{
    const QByteArray encoded = url.toEncoded();
    QString target;
    for (const char c : encoded) {
        const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
            || QByteArrayView("-._~:/?#@!$&'*+,;=%").contains(c);
        target += plain ? QString(QLatin1Char(c))
                        : u"%%1"_s.arg(uint(uchar(c)), 2, 16, QLatin1Char('0')).toUpper();
    }
    return u'<' + target + u'>';
}

QString number(double value)
{
    QLocale locale = QLocale::c();
    locale.setNumberOptions(QLocale::DefaultNumberOptions);
    return locale.toString(value, 'f', 0);
}

QString originText(const session::TimelineEntry &entry)
{
    switch (entry.origin) {
    case session::TimelineEntry::Origin::Event:
        return u"Dynatrace event"_s;
    case session::TimelineEntry::Origin::Problem:
        return u"Dynatrace problem"_s;
    case session::TimelineEntry::Origin::LocalAction:
        return u"Operator (Canary Console)"_s;
    }
    return {};
}

// The Details cell: each quoted part escaped (quoted()), and for a problem the console's own link to its
// page in the tenant.
QString details(const session::TimelineEntry &entry, const QUrl &tenantUrl)
{
    QStringList parts;
    if (!entry.displayId.isEmpty())
        parts.append(quoted(entry.displayId));
    if (!entry.severity.isEmpty())
        parts.append(quoted(entry.severity));
    if (entry.endMs && *entry.endMs > entry.startMs)
        parts.append(u"until %1"_s.arg(clockTime(*entry.endMs)));
    if (!entry.remediationType().isEmpty() || !entry.remediationAction().isEmpty())
        parts.append(
            u"backout: %1"_s.arg(quoted(u"%1 %2"_s.arg(entry.remediationType(), entry.remediationAction()))));
    for (const auto *key : { "reason", "canary.reason", "guard.blocks", "dt.event.description" }) {
        const QString value = entry.properties.value(QString::fromLatin1(key));
        if (!value.isEmpty())
            parts.append(u"%1: %2"_s.arg(QString::fromLatin1(key), quoted(value.left(500))));
    }
    if (entry.origin == session::TimelineEntry::Origin::Problem) {
        if (const QUrl link = dynatrace::problemPageUrl(tenantUrl, entry.id);
            link.isValid() && !link.isEmpty())
            parts.append(u"[open in Dynatrace](%1)"_s.arg(linkTarget(link)));
    }
    return parts.join(u"; "_s);
}

// Every field but the times, the id and the fixed names is quoted(): the operator's name and reason, what ran
// (a GitLab host), AWX's or the back-end's message and AWX's job URL, shown as text and never as a link.
QString rollbackLine(const rollback::RollbackState &state)
{
    QString line = u"- %1, started %2 by %3: %4"_s.arg(quoted(state.id), utc(state.startedAtMs),
        state.operatorName.isEmpty() ? u"unknown"_s : quoted(state.operatorName), quoted(state.actionText()));
    if (state.succeeded()) {
        line += state.verified ? u" — **verified**: the back-end reads 0 % canary"_s : u" — finished"_s;
        if (state.observedCanaryPercent)
            line += u" and the canary received %1 % of requests afterwards"_s.arg(
                QString::number(*state.observedCanaryPercent, 'f', 1));
    } else if (state.stage == rollback::Stage::Finished) {
        line += u" — **failed** (%1): %2"_s.arg(rollback::failureName(state.failure), quoted(state.message));
    } else {
        line += u" — in progress (%1)"_s.arg(rollback::stageName(state.stage));
    }
    if (state.finishedAtMs > 0)
        line += u", finished %1"_s.arg(utc(state.finishedAtMs));
    if (!state.reason.isEmpty())
        line += u". Reason: %1"_s.arg(quoted(state.reason));
    if (!state.jobUrl.isEmpty())
        line += u". Job: %1"_s.arg(quoted(state.jobUrl));
    return line;
}

} // namespace

IncidentReport reportFromRead(const session::Snapshot &snapshot, const std::vector<dynatrace::Event> &events,
    const std::vector<dynatrace::Problem> &problems, const traffic::BuildRoles &roles, qint64 generatedAtMs)
{
    IncidentReport r;
    r.generatedAtMs = generatedAtMs;
    r.toMs = snapshot.fetchedAtMs > 0 ? snapshot.fetchedAtMs : generatedAtMs;
    r.fromMs = r.toMs;
    for (const auto &build : snapshot.builds) {
        if (!build.timestamps.empty())
            r.fromMs = std::min(r.fromMs, build.timestamps.front());
    }
    r.roles = roles;
    r.builds = snapshot.builds;
    for (const auto &event : events)
        r.timeline.push_back(session::TimelineEntry::fromEvent(event));
    for (const auto &problem : problems)
        r.timeline.push_back(session::TimelineEntry::fromProblem(problem));
    return r;
}

session::TimelineEntry timelineEntryFromAudit(const store::AuditEntry &entry)
{
    session::TimelineEntry e;
    e.origin = session::TimelineEntry::Origin::LocalAction;
    e.id = u"audit-%1"_s.arg(entry.id);
    e.type = entry.action;
    e.title = entry.message.isEmpty() ? entry.action : entry.message;
    e.source = entry.operatorName;
    e.status = store::resultName(entry.result).toUpper();
    e.startMs = entry.atMs;
    const QString reason = entry.detail.value(u"reason"_s).toString();
    if (!reason.isEmpty())
        e.properties.insert(u"reason"_s, reason);
    QStringList blocks;
    for (const auto &block : entry.detail.value(u"blocks"_s).toArray())
        blocks.append(block.toString());
    if (!blocks.isEmpty())
        e.properties.insert(u"guard.blocks"_s, blocks.join(u"; "_s));
    return e;
}

QString toMarkdown(const IncidentReport &report)
{
    QString md;
    const auto add = [&md](const QString &line = {}) { md += line + u'\n'; };

    add(u"# Incident report: %1"_s.arg(quoted(report.service)));
    add();
    add(u"- Window: %1 to %2"_s.arg(utc(report.fromMs), utc(report.toMs)));
    add(u"- Environment: %1%2"_s.arg(quoted(report.environment),
        report.profile.isEmpty() ? QString() : u" (profile \"%1\")"_s.arg(quoted(report.profile))));
    if (report.roles.isComplete())
        add(u"- Stable build: %1; canary build: %2"_s.arg(
            codeSpan(report.roles.stable), codeSpan(report.roles.canary)));
    add(u"- Generated: %1 by Canary Console"_s.arg(utc(report.generatedAtMs)));
    add();

    add(u"## Summary"_s);
    add();
    if (report.verdict)
        add(u"- Verdict at export: **%1**%2 — %3"_s.arg(verdict::outcomeName(report.verdict->overall),
            report.verdictStale ? u" (on stale data: the newest refresh had failed)"_s : QString(),
            quoted(report.verdict->summary)));
    else
        add(u"- Verdict at export: none (no health data was judged)"_s);
    const auto firstFail = std::find_if(report.verdictChanges.cbegin(), report.verdictChanges.cend(),
        [](const VerdictChange &change) { return change.outcome == verdict::Outcome::Fail; });
    if (firstFail != report.verdictChanges.cend())
        add(u"- First FAIL: %1"_s.arg(utc(firstFail->atMs)));
    const auto actions = std::count_if(
        report.timeline.cbegin(), report.timeline.cend(), [](const session::TimelineEntry &e) {
            return e.origin == session::TimelineEntry::Origin::LocalAction;
        });
    const auto problems = std::count_if(report.timeline.cbegin(), report.timeline.cend(),
        [](const session::TimelineEntry &e) { return e.origin == session::TimelineEntry::Origin::Problem; });
    add(u"- Operator actions: %1; Dynatrace problems: %2; other Dynatrace events: %3"_s.arg(actions)
            .arg(problems)
            .arg(qsizetype(report.timeline.size()) - actions - problems));
    if (report.rollbacks.empty())
        add(u"- Rollback: none in this window"_s);
    else
        add(u"- Rollback: %1"_s.arg(rollbackLine(report.rollbacks.back()).mid(2)));
    add();

    if (!report.chartImageFile.isEmpty()) {
        add(u"## Chart"_s);
        add();
        add(u"![Requests per build over the window](%1)"_s.arg(report.chartImageFile));
        add();
    }

    add(u"## Verdict"_s);
    add();
    if (report.verdict && !report.verdict->metrics.empty()) {
        add(u"| Metric | Outcome | What it rests on |"_s);
        add(u"|---|---|---|"_s);
        for (const auto &metric : report.verdict->metrics)
            add(u"| %1 | %2 | %3 |"_s.arg(
                cell(metric.metric), verdict::outcomeName(metric.outcome), cell(metric.sentence)));
    } else {
        add(u"No verdict: the window had no health data to judge."_s);
    }
    add();
    if (!report.verdictChanges.empty()) {
        add(u"How it changed:"_s);
        add();
        for (const auto &change : report.verdictChanges)
            add(u"- %1 **%2**: %3"_s.arg(
                utc(change.atMs), verdict::outcomeName(change.outcome), quoted(change.summary)));
        add();
    }

    add(u"## Builds"_s);
    add();
    if (report.builds.empty()) {
        add(u"No request data in the window."_s);
    } else {
        add(u"| Build | Role | Requests in the window |"_s);
        add(u"|---|---|---|"_s);
        for (const auto &build : report.builds) {
            const QString role = build.build == report.roles.canary ? u"canary"_s
                : build.build == report.roles.stable                ? u"stable"_s
                                                                    : QString();
            add(u"| %1 | %2 | %3 |"_s.arg(codeSpan(build.build), role, number(build.total())));
        }
    }
    add();

    add(u"## Timeline"_s);
    add();
    std::vector<session::TimelineEntry> timeline = report.timeline;
    std::stable_sort(timeline.begin(), timeline.end(),
        [](const session::TimelineEntry &a, const session::TimelineEntry &b) {
            return a.startMs < b.startMs;
        });
    if (timeline.empty()) {
        add(u"Nothing was recorded in the window."_s);
    } else {
        add(u"| Time (UTC) | Source | Type | Title | Status | Details |"_s);
        add(u"|---|---|---|---|---|---|"_s);
        for (const auto &entry : timeline) {
            add(u"| %1 | %2 | %3 | %4 | %5 | %6 |"_s.arg(utc(entry.startMs), originText(entry),
                cell(entry.type), cell(entry.title), cell(entry.status), details(entry, report.tenantUrl)));
        }
    }
    add();

    add(u"## Rollback"_s);
    add();
    if (report.rollbacks.empty())
        add(u"No rollback ran in the window."_s);
    for (const auto &state : report.rollbacks)
        add(rollbackLine(state));
    // Every line at once as well (each quoted field is masked already): a credential in something this
    // function composes itself would be a bug, but it must not reach the file either.
    return net::redactSecrets(md);
}

QString suggestedBaseName(const IncidentReport &report)
{
    // Masked first: a file name is shown and shared as much as the report.
    QString service = net::redactSecrets(report.service);
    // entitySelector type(SERVICE),entityName.equals("simplenodeservice") → simplenodeservice
    static const QRegularExpression quoted(u"\"([^\"]+)\""_s);
    if (const auto match = quoted.match(service); match.hasMatch())
        service = match.captured(1);
    service.replace(QRegularExpression(u"[^A-Za-z0-9._-]+"_s), u"-"_s);
    service = service.left(60);
    while (service.startsWith(u'-') || service.startsWith(u'.'))
        service.remove(0, 1);
    if (service.isEmpty())
        service = u"service"_s;
    return u"incident-%1-%2"_s.arg(service,
        QDateTime::fromMSecsSinceEpoch(report.generatedAtMs, Qt::UTC).toString(u"yyyyMMdd-HHmmss"_s));
}

Expected<QString, QString> writeReport(
    IncidentReport report, const QString &directory, const QString &baseName, const QByteArray &png)
{
    const auto fail = [](const QString &why) { return Expected<QString, QString>(Unexpected(why)); };
    if (!QDir().mkpath(directory))
        return fail(u"cannot create the folder %1"_s.arg(directory));
    const QDir dir(directory);
    const auto save = [](const QString &path, const QByteArray &bytes) -> QString {
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            return u"cannot write %1: %2"_s.arg(path, file.errorString());
        if (file.write(bytes) != bytes.size() || !file.commit())
            return u"cannot write %1: %2"_s.arg(path, file.errorString());
        return {};
    };
    report.chartImageFile.clear();
    if (!png.isEmpty()) {
        report.chartImageFile = baseName + u".png"_s;
        if (const QString why = save(dir.filePath(report.chartImageFile), png); !why.isEmpty())
            return fail(why);
    }
    const QString markdownPath = dir.filePath(baseName + u".md"_s);
    if (const QString why = save(markdownPath, toMarkdown(report).toUtf8()); !why.isEmpty())
        return fail(why);
    return QFileInfo(markdownPath).absoluteFilePath();
}

} // namespace canary::report
