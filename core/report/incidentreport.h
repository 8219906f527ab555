#pragma once

#include <optional>
#include <vector>

#include <QString>
#include <QUrl>

#include "dynatrace/event.h"
#include "rollback/rollbackstate.h"
#include "session/buildseries.h"
#include "session/timelineentry.h"
#include "traffic/observedsplit.h"
#include "util/expected.h"
#include "verdict/verdict.h"

namespace canary::store {
struct AuditEntry;
}

// The post-incident story of one window, for the review: what the builds did, what the verdict said and
// when, what the operator and Dynatrace recorded, and how the rollback ended. Built by the GUI (with the
// chart image beside it) and by `canaryctl report` (without one).
namespace canary::report {

// The overall verdict from `atMs` on, until the next change: the story of when the canary turned bad.
struct VerdictChange
{
    qint64 atMs = 0;
    verdict::Outcome outcome = verdict::Outcome::NotEnoughData;
    QString summary;
};

struct IncidentReport
{
    QString service; // what the report is about: the target's entity selector or the service's name
    QString environment; // the tenant's host, or "simulated environment"
    QString profile; // empty: flags only
    qint64 fromMs = 0; // the window the report covers
    qint64 toMs = 0;
    qint64 generatedAtMs = 0;
    traffic::BuildRoles roles;
    std::vector<session::BuildSeries> builds; // request counts (and health, when fetched) per build
    std::optional<verdict::Verdict> verdict; // at the time of the export
    bool verdictStale = false; // the newest refresh had failed: the verdict judges older data
    std::vector<VerdictChange> verdictChanges; // oldest first
    // Dynatrace's events and problems and the operator's own actions, in any order (sorted when written).
    std::vector<session::TimelineEntry> timeline;
    std::vector<rollback::RollbackState> rollbacks; // oldest first
    QString chartImageFile; // beside the Markdown file, relative ("chart.png"); empty: no image
    // The tenant the report reads, for the console's own links into it (a problem's page); empty: no links.
    QUrl tenantUrl;
};

// What one read of the target gives a report, whoever builds it (the window, canaryctl): the window the
// snapshot covers (from its oldest interval to when it was fetched; `generatedAtMs` before any fetch), its
// builds and the roles, and Dynatrace's events and problems as timeline entries. The caller adds the
// verdict, the operator's actions and the rollbacks it knows of.
IncidentReport reportFromRead(const session::Snapshot &snapshot, const std::vector<dynatrace::Event> &events,
    const std::vector<dynatrace::Problem> &problems, const traffic::BuildRoles &roles, qint64 generatedAtMs);

// An audit-log row as an operator action of the timeline (canaryctl has no in-memory action log: its
// history is the audit log). Type is the audit action ("split.set", "rollback.finish", …), the status the
// result; a reason, an override's reason and guard-rail blocks become properties.
session::TimelineEntry timelineEntryFromAudit(const store::AuditEntry &entry);

// The report as Markdown: a summary, the chart image, the verdict per metric and its changes, the builds'
// totals, the timeline (oldest first, the operator's actions marked as this app's) and the rollbacks.
// Pure: same report, same text.
QString toMarkdown(const IncidentReport &report);

// "incident-<service>-<yyyyMMdd-HHmmss>", safe as a file or folder name on every platform.
QString suggestedBaseName(const IncidentReport &report);

// Writes `<directory>/<baseName>.md` (and `<baseName>.png` from `png` when given, naming it in the text);
// the directory is created. Returns the Markdown file's absolute path, or why it was not written; nothing is
// left half-written (QSaveFile).
Expected<QString, QString> writeReport(
    IncidentReport report, const QString &directory, const QString &baseName, const QByteArray &png);

} // namespace canary::report
