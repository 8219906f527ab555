#pragma once

#include <vector>

#include <QMainWindow>

#include "chart/buildpalette.h"
#include "chart/requestchart.h"
#include "report/incidentreport.h"
#include "session/buildseries.h"
#include "traffic/guardrails.h"
#include "traffic/observedsplit.h"
#include "util/expected.h"
#include "verdict/verdict.h"

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
class QSplitter;
class QTableView;
class QToolButton;
QT_END_NAMESPACE

namespace canary {
class Clock;
}
namespace canary::dynatrace {
struct ApiError;
}
namespace canary::session {
class ActionLog;
class CanarySession;
} // namespace canary::session
namespace canary::rollback {
class AutoRemediation;
class RollbackService;
} // namespace canary::rollback
namespace canary::traffic {
class ChangeGate;
class Ramp;
} // namespace canary::traffic

namespace canary::ui {

class BuildSummaryModel;
class FreshnessLabel;
class OutboxStatus;
class ProblemBanner;
class RollbackPanel;
class TimelinePanel;
class TrafficPanel;
class VerdictPanel;

// The operator's window: the per-build request chart with its build table, and a status bar that
// says how fresh the data is. It only shows what the session emits; it never talks to the network.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    struct Options
    {
        bool demo = false; // the embedded simulator, not a real tenant
        QString environmentText; // shown in the header, e.g. the tenant host
        QString profileName; // the profile this window shows; empty: flags only, no profile
        const Clock *clock = nullptr; // for the age of the data; null: the system clock
    };

    MainWindow(session::CanarySession *session, Options options, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Adds the traffic slider panel; without it the window only watches.
    // Every change asked for goes through `gate` (not owned), which the window feeds with the guard-rails'
    // conditions as it sees them: the open problems, the data's staleness and the verdict it shows.
    void attachTraffic(
        traffic::ChangeGate *gate, traffic::Ramp *ramp, const Clock &clock, const traffic::BuildRoles &roles);

    // Adds the event timeline under the chart and the problem banner over it, both fed by the session's
    // events and problems, plus the operator's own actions from `actions` (may be null). Configuration
    // changes become chart markers; a marker and its timeline entry select each other.
    void attachTimeline(const Clock &clock, session::ActionLog *actions);

    // What the guard-rails would freeze on now.
    traffic::GuardConditions guardConditions() const;

    // The window's story for the post-incident review (report::toMarkdown), as of now.
    report::IncidentReport incidentReport() const;
    // Writes it, with the request chart as a PNG beside it, into `directory`; returns the Markdown file's
    // path, or why it was not written. The toolbar's "Incident report…" asks for the folder (or uses
    // setReportDirectory's) and then opens the file.
    Expected<QString, QString> exportIncidentReport(const QString &directory);
    void setReportDirectory(const QString &directory) { m_reportDirectory = directory; }

    // Adds the one-click rollback under the header: always visible, fed by `service` (its plan is read
    // again whenever the session reads events), with the auto-remediation guard when `guard` is given.
    void attachRollback(
        rollback::RollbackService *service, rollback::AutoRemediation *guard, const Clock &clock);

    // The profile switcher in the header: `names` in order, `current` selected (an empty `current` or one
    // not in `names`, e.g. a --config file, shows as "(command line)"). Choosing another emits
    // profileSwitchRequested; the window itself never switches.
    void setProfiles(const QStringList &names, const QString &current);
    QComboBox *profileSwitcher() const { return m_profileSwitcher; }

    // A red banner, until the window closes: a TLS connection to `host` went on despite certificate errors,
    // because the profile allows it. Each host is named once.
    void showInsecureTls(const QString &host, const QString &errors);
    QLabel *insecureTlsBanner() const { return m_insecureBanner; }

    // The pending events of the environment's outbox, in the status bar.
    OutboxStatus *outboxStatus() const { return m_outboxStatus; }
    // The local store (audit log, outbox) could not record something: said in red, until the next success.
    void showStoreError(const QString &message);
    // The local state was refused as not this console's (a planted rollback journal record): said in the same
    // place, in its own words (what, where, what to do).
    void showStoreRefusal(const QString &message);
    QLabel *storeErrorLabel() const { return m_storeError; }

    // How old each panel's data is (null until the panel is attached).
    FreshnessLabel *chartFreshness() const { return m_chartFreshness; }
    FreshnessLabel *timelineFreshness() const { return m_timelineFreshness; }
    FreshnessLabel *splitFreshness() const { return m_splitFreshness; }
    FreshnessLabel *planFreshness() const { return m_planFreshness; }

    // Where "Open service in Dynatrace" leads: the service of the target's events or problems over the
    // chart's time range; empty until a refresh has named the service.
    QUrl servicePageUrl() const;

    RequestChart *chart() const { return m_chart; }
    // Failure rate (%) and response time (ms) per build, beside the request chart; hidden without data.
    RequestChart *failureChart() const { return m_failureChart; }
    RequestChart *responseTimeChart() const { return m_responseTimeChart; }
    VerdictPanel *verdictPanel() const { return m_verdictPanel; }
    TimelinePanel *timelinePanel() const { return m_timelinePanel; }
    ProblemBanner *problemBanner() const { return m_problemBanner; }
    RollbackPanel *rollbackPanel() const { return m_rollbackPanel; }
    BuildSummaryModel *buildModel() const { return m_buildModel; }
    TrafficPanel *trafficPanel() const { return m_trafficPanel; }

Q_SIGNALS:
    void profileSwitchRequested(const QString &name);
    void profilesDialogRequested();
    // The chart holds data for the first time (once per window): what "start to first data" measures.
    void firstDataShown();
    // An incident report was written (the Markdown file's path).
    void incidentReportWritten(const QString &path);

private:
    void onSnapshotChanged(const session::Snapshot &snapshot);
    void onRefreshFailed(const dynatrace::ApiError &error);
    void onStaleChanged(bool stale);
    void updateChartStale();
    void markTimelineRead();
    void rebuildTimeline();
    void showTimelineErrors();
    void updateServiceLink();
    QWidget *createHeader();
    void updateVerdict(const session::Snapshot &snapshot);
    void updateHealthCharts(
        const session::Snapshot &snapshot, const std::vector<RequestChart::BuildLine> &lines);
    void updateGuardConditions();
    void exportIncidentReportInteractively();
    traffic::BuildRoles currentRoles(const session::Snapshot &snapshot) const;

    session::CanarySession *m_session;
    Options m_options;
    BuildPalette m_palette;
    RequestChart *m_chart;
    RequestChart *m_failureChart;
    RequestChart *m_responseTimeChart;
    QSplitter *m_chartRow;
    VerdictPanel *m_verdictPanel;
    verdict::Verdict m_verdict;
    std::vector<report::VerdictChange> m_verdictChanges;
    traffic::ChangeGate *m_gate = nullptr;
    rollback::RollbackService *m_rollbackService = nullptr;
    std::vector<rollback::RollbackState> m_rollbacks; // finished in this window, oldest first
    QString m_reportDirectory;
    BuildSummaryModel *m_buildModel;
    QTableView *m_buildTable;
    QLabel *m_updateLabel;
    QLabel *m_staleLabel;
    QWidget *m_central;
    QSplitter *m_splitter;
    QToolButton *m_openService = nullptr;
    QComboBox *m_profileSwitcher = nullptr;
    QWidget *m_header = nullptr;
    const Clock &m_clock;
    OutboxStatus *m_outboxStatus = nullptr;
    QLabel *m_storeError = nullptr;
    FreshnessLabel *m_chartFreshness = nullptr;
    FreshnessLabel *m_timelineFreshness = nullptr;
    FreshnessLabel *m_splitFreshness = nullptr;
    FreshnessLabel *m_planFreshness = nullptr;
    bool m_firstDataShown = false;
    qint64 m_eventsReadAtMs = 0;
    qint64 m_problemsReadAtMs = 0;
    QLabel *m_insecureBanner = nullptr;
    QStringList m_insecureHosts;
    QString m_serviceId; // SERVICE-…, learnt from the target's events and problems
    TrafficPanel *m_trafficPanel = nullptr;
    TimelinePanel *m_timelinePanel = nullptr;
    ProblemBanner *m_problemBanner = nullptr;
    RollbackPanel *m_rollbackPanel = nullptr;
    session::ActionLog *m_actions = nullptr;
    QString m_eventsError; // why the newest events read is incomplete; empty when it was not
    QString m_problemsError;
};

} // namespace canary::ui
