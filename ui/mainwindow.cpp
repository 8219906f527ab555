#include "mainwindow.h"

#include <QBuffer>
#include <QComboBox>
#include <QDateTime>
#include <QDesktopServices>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include "chart/requestchart.h"
#include "common/freshnesslabel.h"
#include "dynatrace/deeplinks.h"
#include "models/buildsummarymodel.h"
#include "rollback/autoremediation.h"
#include "rollback/rollbackpanel.h"
#include "rollback/rollbackservice.h"
#include "session/actionlog.h"
#include "session/canarysession.h"
#include "session/freshness.h"
#include "store/outboxstatus.h"
#include "timeline/problembanner.h"
#include "timeline/timelinepanel.h"
#include "traffic/changegate.h"
#include "traffic/trafficcontroller.h"
#include "traffic/trafficpanel.h"
#include "util/clock.h"
#include "verdict/guardconditions.h"
#include "verdict/snapshotjudge.h"
#include "verdict/verdictpanel.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

MainWindow::MainWindow(session::CanarySession *session, Options options, QWidget *parent)
    : QMainWindow(parent)
    , m_session(session)
    , m_options(std::move(options))
    , m_chart(new RequestChart(this))
    , m_failureChart(new RequestChart(this))
    , m_responseTimeChart(new RequestChart(this))
    , m_chartRow(nullptr)
    , m_verdictPanel(new VerdictPanel(this))
    , m_buildModel(new BuildSummaryModel(this))
    , m_buildTable(new QTableView(this))
    , m_updateLabel(new QLabel(tr("Waiting for the first data…"), this))
    , m_staleLabel(new QLabel(this))
    , m_central(nullptr)
    , m_splitter(nullptr)
    , m_clock(m_options.clock ? *m_options.clock : Clock::system())
{
    setWindowTitle(m_options.demo ? tr("Canary Console — Demo") : tr("Canary Console"));
    m_chart->setObjectName(u"requestChart"_s);
    m_buildTable->setObjectName(u"buildTable"_s);
    m_updateLabel->setObjectName(u"lastUpdateLabel"_s);
    m_staleLabel->setObjectName(u"staleLabel"_s);

    m_buildTable->setModel(m_buildModel);
    m_buildTable->verticalHeader()->hide();
    m_buildTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_buildTable->horizontalHeader()->setStretchLastSection(false);
    m_buildTable->setWordWrap(false);
    m_buildTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_buildTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_buildTable->setMaximumHeight(140);

    m_central = new QWidget(this);
    auto *central = m_central;
    auto *layout = new QVBoxLayout(central);
    m_insecureBanner = new QLabel(central);
    m_insecureBanner->setObjectName(u"insecureTlsBanner"_s);
    m_insecureBanner->setWordWrap(true);
    m_insecureBanner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_insecureBanner->setStyleSheet(
        u"QLabel { background: #b02a37; color: white; font-weight: bold; padding: 4px 8px; }"_s);
    m_insecureBanner->hide();
    layout->addWidget(m_insecureBanner);
    m_header = createHeader();
    layout->addWidget(m_header);
    m_splitter = new QSplitter(Qt::Vertical, central);
    m_splitter->setObjectName(u"mainSplitter"_s);
    // The request chart with the health charts beside it: failure rate and response time per build.
    m_failureChart->setObjectName(u"failureChart"_s);
    m_failureChart->setValueAxis(tr("Failure rate (%)"), u"%.1f"_s);
    m_responseTimeChart->setObjectName(u"responseTimeChart"_s);
    m_responseTimeChart->setValueAxis(tr("Response time (ms)"), u"%d"_s);
    m_chartRow = new QSplitter(Qt::Horizontal, central);
    m_chartRow->setObjectName(u"chartRow"_s);
    m_chartRow->addWidget(m_chart);
    auto *health = new QSplitter(Qt::Vertical, m_chartRow);
    health->addWidget(m_failureChart);
    health->addWidget(m_responseTimeChart);
    m_chartRow->addWidget(health);
    m_chartRow->setStretchFactor(0, 3);
    m_chartRow->setStretchFactor(1, 2);
    m_failureChart->hide();
    m_responseTimeChart->hide();
    m_splitter->addWidget(m_chartRow);
    m_splitter->addWidget(m_buildTable);
    m_splitter->setStretchFactor(0, 4);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setChildrenCollapsible(false);
    layout->addWidget(m_verdictPanel);
    layout->addWidget(m_splitter, 1);
    setCentralWidget(central);

    m_staleLabel->setStyleSheet(u"QLabel { background: #b02a37; color: white; padding: 2px 6px; }"_s);
    m_staleLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_staleLabel->hide();
    m_chartFreshness = new FreshnessLabel(tr("Chart data"), m_clock, this);
    m_chartFreshness->setObjectName(u"chartFreshness"_s);
    m_chartFreshness->setStaleAfterMs(
        session::Freshness::staleAfterFor(m_session->target().refreshIntervalMs));
    connect(m_chartFreshness, &FreshnessLabel::staleChanged, this, &MainWindow::updateChartStale);
    m_outboxStatus = new OutboxStatus(this);
    m_outboxStatus->setObjectName(u"outboxStatus"_s);
    m_storeError = new QLabel(this);
    m_storeError->setObjectName(u"storeError"_s);
    m_storeError->setStyleSheet(u"QLabel { background: #b02a37; color: white; padding: 2px 6px; }"_s);
    m_storeError->hide();
    statusBar()->addWidget(m_chartFreshness);
    statusBar()->addWidget(m_updateLabel);
    statusBar()->addWidget(m_staleLabel, 1);
    statusBar()->addPermanentWidget(m_storeError);
    statusBar()->addPermanentWidget(m_outboxStatus);

    connect(m_session, &session::CanarySession::snapshotChanged, this, &MainWindow::onSnapshotChanged);
    connect(m_session, &session::CanarySession::refreshFailed, this, &MainWindow::onRefreshFailed);
    connect(m_session, &session::CanarySession::staleChanged, this, &MainWindow::onStaleChanged);
    connect(m_session, &session::CanarySession::eventsChanged, this, &MainWindow::updateServiceLink);
    connect(m_session, &session::CanarySession::problemsChanged, this, &MainWindow::updateServiceLink);
    connect(m_session, &session::CanarySession::problemsChanged, this, &MainWindow::updateGuardConditions);

    resize(1100, 700);
}

MainWindow::~MainWindow() = default;

void MainWindow::attachTraffic(
    traffic::ChangeGate *gate, traffic::Ramp *ramp, const Clock &clock, const traffic::BuildRoles &roles)
{
    if (m_trafficPanel)
        return;
    m_gate = gate;
    m_trafficPanel = new TrafficPanel(gate, ramp, clock, m_central);
    m_trafficPanel->setObjectName(u"trafficPanel"_s);
    m_trafficPanel->setConfiguredRoles(roles);
    updateGuardConditions();
    // Above the problem banner and the chart, below the rollback.
    auto *layout = static_cast<QVBoxLayout *>(m_central->layout());
    layout->insertWidget(
        layout->indexOf(m_problemBanner ? static_cast<QWidget *>(m_problemBanner) : m_splitter),
        m_trafficPanel);
    if (!m_session->snapshot().isEmpty())
        m_trafficPanel->showSnapshot(m_session->snapshot());

    // The split is read when the window opens and confirmed by every change; its age says how long ago. It
    // is not re-read on a schedule (an AWX read is a job search), so only a failed read makes it stale.
    m_splitFreshness = new FreshnessLabel(tr("Back-end split"), clock, m_trafficPanel);
    m_splitFreshness->setObjectName(u"splitFreshness"_s);
    m_trafficPanel->addStatusWidget(m_splitFreshness);
    traffic::TrafficController *controller = gate->controller();
    connect(controller, &traffic::TrafficController::splitRead, m_splitFreshness,
        [this, &clock] { m_splitFreshness->markFetched(clock.nowMs()); });
    connect(controller, &traffic::TrafficController::splitApplied, m_splitFreshness,
        [this, &clock] { m_splitFreshness->markFetched(clock.nowMs()); });
    connect(controller, &traffic::TrafficController::readFailed, m_splitFreshness,
        [this](const traffic::TrafficError &error) { m_splitFreshness->markFailed(error.message); });
}

void MainWindow::attachTimeline(const Clock &clock, session::ActionLog *actions)
{
    if (m_timelinePanel)
        return;
    m_actions = actions;
    m_timelinePanel = new TimelinePanel(clock, m_splitter);
    m_timelinePanel->setObjectName(u"timelinePanel"_s);
    m_splitter->addWidget(m_timelinePanel);
    m_splitter->setStretchFactor(2, 3);
    resize(width(), std::max(height(), 900));
    // The chart first: the table needs a few rows, the timeline the rest.
    m_splitter->setSizes({ 420, 100, 320 });

    m_problemBanner = new ProblemBanner(clock, m_central);
    m_problemBanner->setObjectName(u"problemBanner"_s);
    const QUrl environment = m_session->target().dynatraceUrl;
    m_problemBanner->setProblemUrl([environment](const dynatrace::Problem &problem) {
        return dynatrace::problemPageUrl(environment, problem.problemId);
    });
    auto *layout = static_cast<QVBoxLayout *>(m_central->layout());
    layout->insertWidget(layout->indexOf(m_splitter), m_problemBanner);

    connect(m_problemBanner, &ProblemBanner::openRequested, this,
        [](const QUrl &url) { QDesktopServices::openUrl(url); });
    connect(m_problemBanner, &ProblemBanner::showRequested, m_timelinePanel, &TimelinePanel::selectEntry);
    connect(m_chart, &RequestChart::markerClicked, m_timelinePanel, &TimelinePanel::selectEntry);
    connect(m_timelinePanel, &TimelinePanel::entrySelected, m_chart, &RequestChart::setHighlightedMarker);
    m_timelineFreshness = new FreshnessLabel(tr("Timeline"), clock, m_timelinePanel);
    m_timelineFreshness->setObjectName(u"timelineFreshness"_s);
    m_timelineFreshness->setStaleAfterMs(
        session::Freshness::staleAfterFor(m_session->target().refreshIntervalMs));
    m_timelinePanel->addStatusWidget(m_timelineFreshness);
    connect(m_session, &session::CanarySession::eventsChanged, this, [this] {
        m_eventsError.clear();
        m_eventsReadAtMs = m_clock.nowMs();
        markTimelineRead();
        rebuildTimeline();
    });
    connect(m_session, &session::CanarySession::problemsChanged, this, [this] {
        m_problemsError.clear();
        m_problemsReadAtMs = m_clock.nowMs();
        markTimelineRead();
        rebuildTimeline();
    });
    // Session order: what arrived (…Changed), then why the rest did not (…Failed).
    connect(m_session, &session::CanarySession::eventsFailed, this, [this](const dynatrace::ApiError &error) {
        m_eventsError = tr("Events incomplete, showing what arrived: %1").arg(error.summary());
        m_timelineFreshness->markFailed(error.summary());
        showTimelineErrors();
    });
    connect(
        m_session, &session::CanarySession::problemsFailed, this, [this](const dynatrace::ApiError &error) {
            m_problemsError = tr("Problems incomplete, showing what arrived: %1").arg(error.summary());
            m_timelineFreshness->markFailed(error.summary());
            showTimelineErrors();
        });
    if (m_actions) {
        connect(m_actions, &session::ActionLog::actionAdded, m_timelinePanel, &TimelinePanel::addEntry);
        connect(m_actions, &QObject::destroyed, this, [this] { m_actions = nullptr; });
    }
    rebuildTimeline();
}

void MainWindow::attachRollback(
    rollback::RollbackService *service, rollback::AutoRemediation *guard, const Clock &clock)
{
    if (m_rollbackPanel)
        return;
    m_rollbackPanel = new RollbackPanel(service, guard, clock, m_central);
    m_rollbackPanel->setObjectName(u"rollbackPanel"_s);
    // Right under the header: in a bad moment nobody should have to look for it.
    auto *layout = static_cast<QVBoxLayout *>(m_central->layout());
    layout->insertWidget(layout->indexOf(m_header) + 1, m_rollbackPanel);
    m_rollbackService = service;
    const auto keep = [this](const rollback::RollbackState &state) { m_rollbacks.push_back(state); };
    connect(service->runner(), &rollback::RollbackRunner::rollbackSucceeded, this, keep);
    connect(service->runner(), &rollback::RollbackRunner::rollbackFailed, this, keep);
    m_planFreshness = new FreshnessLabel(tr("Plan"), clock, m_rollbackPanel);
    m_planFreshness->setObjectName(u"planFreshness"_s);
    m_planFreshness->setStaleAfterMs(
        session::Freshness::staleAfterFor(m_session->target().refreshIntervalMs));
    m_rollbackPanel->addStatusWidget(m_planFreshness);
    connect(service, &rollback::RollbackService::planResolved, m_planFreshness,
        [this, &clock] { m_planFreshness->markFetched(clock.nowMs()); });
    connect(service, &rollback::RollbackService::planFailed, m_planFreshness,
        [this](const dynatrace::ApiError &error) { m_planFreshness->markFailed(error.summary()); });
    connect(
        m_session, &session::CanarySession::eventsChanged, service, &rollback::RollbackService::refreshPlan);
    if (guard) {
        connect(m_session, &session::CanarySession::problemsChanged, guard,
            [this, guard] { guard->onProblems(m_session->problems()); });
    }
    service->refreshPlan();
}

void MainWindow::rebuildTimeline()
{
    if (!m_timelinePanel)
        return;
    const auto &problems = m_session->problems();
    // A pipeline's event may land a while after its change was seen: two refreshes either way still match.
    const qint64 matchWindowMs
        = std::max<qint64>(5 * 60'000, 2 * qint64(m_session->target().refreshIntervalMs));
    m_timelinePanel->setEntries(session::combineTimeline(m_session->events(), problems,
        m_actions ? m_actions->entries() : std::deque<session::TimelineEntry>(), matchWindowMs));
    m_chart->setMarkers(m_timelinePanel->chartMarkers());
    m_chart->setHighlightedMarker(m_timelinePanel->selectedId());
    m_problemBanner->setProblems(problems);
    showTimelineErrors();
}

void MainWindow::showTimelineErrors()
{
    QStringList errors;
    for (const QString *text : { &m_eventsError, &m_problemsError }) {
        if (!text->isEmpty())
            errors.append(*text);
    }
    m_timelinePanel->setLoadError(errors.join(u'\n'));
}

void MainWindow::updateServiceLink()
{
    // The target is usually an entity selector, not an id; the events and problems on it name the service.
    for (const auto &event : m_session->events()) {
        if (event.entityId.startsWith(u"SERVICE-"_s)) {
            m_serviceId = event.entityId;
            break;
        }
    }
    if (m_serviceId.isEmpty()) {
        for (const auto &problem : m_session->problems()) {
            for (const auto &entity : problem.affectedEntities) {
                if (entity.id.startsWith(u"SERVICE-"_s)) {
                    m_serviceId = entity.id;
                    break;
                }
            }
        }
    }
    if (m_openService) {
        m_openService->setEnabled(!m_serviceId.isEmpty());
        m_openService->setToolTip(m_serviceId.isEmpty()
                ? tr("The service is not known yet: none of its events or problems has been read")
                : tr("Open %1 in Dynatrace for the chart's time range").arg(m_serviceId));
    }
}

QUrl MainWindow::servicePageUrl() const
{
    if (m_serviceId.isEmpty())
        return {};
    auto [fromMs, toMs] = m_chart->timeRangeMs();
    if (toMs <= fromMs) { // nothing plotted yet: the last half hour
        toMs = QDateTime::currentMSecsSinceEpoch();
        fromMs = toMs - 30 * 60'000;
    }
    return dynatrace::servicePageUrl(m_session->target().dynatraceUrl, m_serviceId, fromMs, toMs);
}

QWidget *MainWindow::createHeader()
{
    auto *header = new QWidget(this);
    auto *layout = new QHBoxLayout(header);
    layout->setContentsMargins(0, 0, 0, 0);

    if (m_options.demo) {
        auto *badge = new QLabel(tr("DEMO"), header);
        badge->setObjectName(u"demoBadge"_s);
        badge->setToolTip(tr("Simulated canary environment running inside this app on 127.0.0.1; "
                             "start with --dynatrace-url to watch a real tenant."));
        badge->setStyleSheet(u"QLabel { background: #e0a800; color: black; font-weight: bold; "
                             "padding: 2px 8px; border-radius: 4px; }"_s);
        layout->addWidget(badge);
    }
    auto *title = new QLabel(header);
    title->setObjectName(u"targetLabel"_s);
    title->setText(tr("<b>Requests per build</b> — %1<br><small>%2</small>")
                       .arg(m_options.environmentText.toHtmlEscaped(),
                           m_session->target().entitySelector.toHtmlEscaped()));
    title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    title->setWordWrap(true);
    // A long entity selector must wrap, not widen the window past the screen.
    title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    layout->addWidget(title, 1);

    m_openService = new QToolButton(header);
    m_openService->setObjectName(u"openServiceButton"_s);
    m_openService->setText(tr("Open service in Dynatrace"));
    m_openService->setEnabled(false);
    connect(m_openService, &QToolButton::clicked, this, [this] {
        const QUrl url = servicePageUrl();
        if (url.isValid())
            QDesktopServices::openUrl(url);
    });
    layout->addWidget(m_openService);
    auto *report = new QToolButton(header);
    report->setObjectName(u"incidentReportButton"_s);
    report->setText(tr("Incident report…"));
    report->setToolTip(
        tr("Write the window's story (chart, verdict, timeline, actions, rollback) as Markdown "
           "for the post-incident review"));
    connect(report, &QToolButton::clicked, this, &MainWindow::exportIncidentReportInteractively);
    layout->addWidget(report);

    m_profileSwitcher = new QComboBox(header);
    m_profileSwitcher->setObjectName(u"profileSwitcher"_s);
    m_profileSwitcher->setToolTip(tr("Switch to another connection profile"));
    m_profileSwitcher->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    connect(m_profileSwitcher, &QComboBox::activated, this, [this](int index) {
        const QString name = m_profileSwitcher->itemData(index).toString();
        if (!name.isEmpty() && name != m_options.profileName)
            Q_EMIT profileSwitchRequested(name);
    });
    layout->addWidget(m_profileSwitcher);
    auto *profiles = new QToolButton(header);
    profiles->setObjectName(u"profilesButton"_s);
    profiles->setText(tr("Profiles…"));
    connect(profiles, &QToolButton::clicked, this, &MainWindow::profilesDialogRequested);
    layout->addWidget(profiles);
    setProfiles({}, m_options.profileName);
    return header;
}

void MainWindow::setProfiles(const QStringList &names, const QString &current)
{
    const QSignalBlocker blocker(m_profileSwitcher);
    m_profileSwitcher->clear();
    if (current.isEmpty() || !names.contains(current))
        m_profileSwitcher->addItem(current.isEmpty() ? tr("(command line)") : current, QString());
    for (const QString &name : names)
        m_profileSwitcher->addItem(name, name);
    const int index = m_profileSwitcher->findData(current);
    m_profileSwitcher->setCurrentIndex(std::max(index, 0));
}

void MainWindow::showInsecureTls(const QString &host, const QString &errors)
{
    if (m_insecureHosts.contains(host))
        return;
    m_insecureHosts.append(host);
    m_insecureBanner->setText(
        tr("INSECURE TLS: certificate errors ignored for %1, because the profile allows "
           "it. Anyone on the network path could read the tokens and change the traffic "
           "split.")
            .arg(m_insecureHosts.join(u", "_s)));
    m_insecureBanner->setToolTip(errors);
    m_insecureBanner->show();
}

void MainWindow::onSnapshotChanged(const session::Snapshot &snapshot)
{
    std::vector<RequestChart::BuildLine> lines;
    std::vector<BuildSummaryModel::Row> rows;
    const qint64 now = m_clock.nowMs();
    for (const auto &build : snapshot.builds) {
        const QColor color = m_palette.colorFor(build.build, build.isRemainder);
        lines.push_back({ build.build, color, build.isRemainder });
        rows.push_back({ build, color, build.latestComplete(now) });
    }
    m_chart->setSeries(snapshot.builds, lines, snapshot.fetchedAtMs);
    updateHealthCharts(snapshot, lines);
    m_chartFreshness->markFetched(m_clock.nowMs());
    if (m_trafficPanel)
        m_trafficPanel->showSnapshot(snapshot);
    updateVerdict(snapshot);
    m_buildModel->setRows(std::move(rows));

    const QString when = QLocale().toString(
        QDateTime::fromMSecsSinceEpoch(snapshot.fetchedAtMs).time(), QLocale::LongFormat);
    m_updateLabel->setText(
        tr("Last update %1 · %2 per point · %n build(s)", nullptr, int(snapshot.builds.size()))
            .arg(when, snapshot.resolution));
    if (!m_firstDataShown && !snapshot.builds.empty()) {
        m_firstDataShown = true;
        Q_EMIT firstDataShown();
    }
}

void MainWindow::showStoreError(const QString &message)
{
    m_storeError->setText(tr("Not recorded locally: %1").arg(message));
    m_storeError->setToolTip(message);
    m_storeError->show();
}

void MainWindow::showStoreRefusal(const QString &message)
{
    m_storeError->setText(message);
    m_storeError->setToolTip(message);
    m_storeError->show();
}

void MainWindow::markTimelineRead()
{
    // The timeline is as old as the older of its two reads.
    if (m_eventsReadAtMs > 0 && m_problemsReadAtMs > 0 && m_eventsError.isEmpty()
        && m_problemsError.isEmpty())
        m_timelineFreshness->markFetched(std::min(m_eventsReadAtMs, m_problemsReadAtMs));
}

void MainWindow::updateChartStale()
{
    const bool stale = m_session->isStale() || m_chartFreshness->isStale();
    m_staleLabel->setVisible(m_session->isStale());
    m_chart->setStale(stale);
    m_failureChart->setStale(stale);
    m_responseTimeChart->setStale(stale);
    m_verdictPanel->setStale(stale);
    updateGuardConditions();
}

traffic::BuildRoles MainWindow::currentRoles(const session::Snapshot &snapshot) const
{
    const traffic::BuildRoles configured = m_trafficPanel ? m_trafficPanel->roles() : traffic::BuildRoles {};
    return configured.isComplete() ? configured : traffic::resolveBuildRoles(snapshot.builds, configured);
}

void MainWindow::updateVerdict(const session::Snapshot &snapshot)
{
    const auto roles = currentRoles(snapshot);
    m_verdict = verdict::judgeSnapshot(snapshot, roles, snapshot.fetchedAtMs);
    if (m_verdictChanges.empty() || m_verdictChanges.back().outcome != m_verdict.overall)
        m_verdictChanges.push_back({ snapshot.fetchedAtMs, m_verdict.overall, m_verdict.summary });
    m_verdictPanel->showVerdict(m_verdict);
    if (m_trafficPanel)
        m_trafficPanel->setCurrentRates(verdict::currentRates(snapshot, roles, snapshot.fetchedAtMs));
    updateGuardConditions();
}

// The health charts show per build what the verdict judges: the failure rate of each interval (failed over
// requests, in %) and its mean response time.
void MainWindow::updateHealthCharts(
    const session::Snapshot &snapshot, const std::vector<RequestChart::BuildLine> &lines)
{
    m_failureChart->setVisible(snapshot.hasFailures);
    m_responseTimeChart->setVisible(snapshot.hasResponseTime);
    if (snapshot.hasFailures) {
        std::vector<session::BuildSeries> rates = snapshot.builds;
        for (std::size_t b = 0; b < rates.size(); ++b) {
            auto &series = rates[b];
            for (std::size_t i = 0; i < series.values.size(); ++i) {
                const auto &requests = snapshot.builds[b].values[i];
                const auto failed = i < series.failures.size() ? series.failures[i] : std::nullopt;
                series.values[i] = requests && *requests > 0
                    ? std::optional(100.0 * failed.value_or(0.0) / *requests)
                    : std::nullopt;
            }
        }
        m_failureChart->setSeries(rates, lines, snapshot.fetchedAtMs);
    }
    if (snapshot.hasResponseTime) {
        std::vector<session::BuildSeries> times = snapshot.builds;
        for (auto &series : times)
            series.values = series.responseTimeMs;
        m_responseTimeChart->setSeries(times, lines, snapshot.fetchedAtMs);
    }
}

traffic::GuardConditions MainWindow::guardConditions() const
{
    std::optional<QString> stale;
    if (m_session->isStale() || m_chartFreshness->isStale())
        stale = m_session->lastError() ? m_session->lastError()->summary() : QString();
    return verdict::guardConditions(m_session->problems(), stale, m_verdict);
}

void MainWindow::updateGuardConditions()
{
    if (m_gate)
        m_gate->setConditions(guardConditions());
}

report::IncidentReport MainWindow::incidentReport() const
{
    const auto &snapshot = m_session->snapshot();
    report::IncidentReport r = report::reportFromRead(
        snapshot, m_session->events(), m_session->problems(), currentRoles(snapshot), m_clock.nowMs());
    r.service = m_session->target().entitySelector;
    r.tenantUrl = m_session->target().dynatraceUrl; // the report's own links to the problems' pages
    r.environment = m_options.environmentText;
    r.profile = m_options.profileName;
    if (!snapshot.isEmpty()) {
        r.verdict = m_verdict;
        r.verdictStale = m_verdictPanel->isStale();
    }
    r.verdictChanges = m_verdictChanges;
    if (m_actions)
        r.timeline.insert(r.timeline.end(), m_actions->entries().begin(), m_actions->entries().end());
    r.rollbacks = m_rollbacks;
    if (m_rollbackService && m_rollbackService->runner()->isRunning())
        r.rollbacks.push_back(m_rollbackService->runner()->state());
    return r;
}

Expected<QString, QString> MainWindow::exportIncidentReport(const QString &directory)
{
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    m_chart->grab().save(&buffer, "PNG");
    const auto story = incidentReport();
    const auto written = report::writeReport(story, directory, report::suggestedBaseName(story), png);
    if (written)
        Q_EMIT incidentReportWritten(written.value());
    return written;
}

void MainWindow::exportIncidentReportInteractively()
{
    const auto write = [this](const QString &directory) {
        const auto written = exportIncidentReport(directory);
        if (!written) {
            showStoreError(tr("incident report not written: %1").arg(written.error()));
            return;
        }
        statusBar()->showMessage(tr("Incident report written to %1").arg(written.value()), 10'000);
        QDesktopServices::openUrl(QUrl::fromLocalFile(written.value()));
    };
    if (!m_reportDirectory.isEmpty())
        return write(m_reportDirectory);
    // Not modal-looped: the window keeps refreshing while the operator picks a folder.
    auto *dialog = new QFileDialog(this, tr("Folder for the incident report"));
    dialog->setFileMode(QFileDialog::Directory);
    dialog->setOption(QFileDialog::ShowDirsOnly);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, write);
    dialog->open();
}

void MainWindow::onRefreshFailed(const dynatrace::ApiError &error)
{
    m_chartFreshness->markFailed(error.summary());
    const QString when = QLocale().toString(QDateTime::currentDateTime().time(), QLocale::LongFormat);
    m_staleLabel->setText(tr("STALE — refresh failed at %1: %2").arg(when, error.summary()));
    m_staleLabel->setToolTip(error.summary());
}

void MainWindow::onStaleChanged(bool)
{
    updateChartStale();
}

} // namespace canary::ui
