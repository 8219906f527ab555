#include "mainwindow.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QVBoxLayout>

#include "chart/requestchart.h"
#include "models/buildsummarymodel.h"
#include "session/canarysession.h"
#include "traffic/trafficpanel.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

MainWindow::MainWindow(session::CanarySession *session, Options options, QWidget *parent)
    : QMainWindow(parent)
    , m_session(session)
    , m_options(std::move(options))
    , m_chart(new RequestChart(this))
    , m_buildModel(new BuildSummaryModel(this))
    , m_buildTable(new QTableView(this))
    , m_updateLabel(new QLabel(tr("Waiting for the first data…"), this))
    , m_staleLabel(new QLabel(this))
    , m_central(nullptr)
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
    layout->addWidget(createHeader());
    auto *splitter = new QSplitter(Qt::Vertical, central);
    splitter->addWidget(m_chart);
    splitter->addWidget(m_buildTable);
    splitter->setStretchFactor(0, 4);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);
    setCentralWidget(central);

    m_staleLabel->setStyleSheet(u"QLabel { background: #b02a37; color: white; padding: 2px 6px; }"_s);
    m_staleLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_staleLabel->hide();
    statusBar()->addWidget(m_updateLabel);
    statusBar()->addWidget(m_staleLabel, 1);

    connect(m_session, &session::CanarySession::snapshotChanged, this, &MainWindow::onSnapshotChanged);
    connect(m_session, &session::CanarySession::refreshFailed, this, &MainWindow::onRefreshFailed);
    connect(m_session, &session::CanarySession::staleChanged, this, &MainWindow::onStaleChanged);

    resize(1100, 700);
}

MainWindow::~MainWindow() = default;

void MainWindow::attachTraffic(traffic::TrafficController *controller, traffic::Ramp *ramp,
    const Clock &clock, const traffic::BuildRoles &roles)
{
    if (m_trafficPanel)
        return;
    m_trafficPanel = new TrafficPanel(controller, ramp, clock, m_central);
    m_trafficPanel->setObjectName(u"trafficPanel"_s);
    m_trafficPanel->setConfiguredRoles(roles);
    static_cast<QVBoxLayout *>(m_central->layout())->insertWidget(1, m_trafficPanel);
    if (!m_session->snapshot().isEmpty())
        m_trafficPanel->showSnapshot(m_session->snapshot());
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
    return header;
}

void MainWindow::onSnapshotChanged(const session::Snapshot &snapshot)
{
    std::vector<RequestChart::BuildLine> lines;
    std::vector<BuildSummaryModel::Row> rows;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const auto &build : snapshot.builds) {
        const QColor color = m_palette.colorFor(build.build, build.isRemainder);
        lines.push_back({ build.build, color, build.isRemainder });
        rows.push_back({ build, color, build.latestComplete(now) });
    }
    m_chart->setSeries(snapshot.builds, lines, snapshot.fetchedAtMs);
    if (m_trafficPanel)
        m_trafficPanel->showSnapshot(snapshot);
    m_buildModel->setRows(std::move(rows));

    const QString when = QLocale().toString(
        QDateTime::fromMSecsSinceEpoch(snapshot.fetchedAtMs).time(), QLocale::LongFormat);
    m_updateLabel->setText(
        tr("Last update %1 · %2 per point · %n build(s)", nullptr, int(snapshot.builds.size()))
            .arg(when, snapshot.resolution));
}

void MainWindow::onRefreshFailed(const dynatrace::ApiError &error)
{
    const QString when = QLocale().toString(QDateTime::currentDateTime().time(), QLocale::LongFormat);
    m_staleLabel->setText(tr("STALE — refresh failed at %1: %2").arg(when, error.summary()));
    m_staleLabel->setToolTip(error.summary());
}

void MainWindow::onStaleChanged(bool stale)
{
    m_staleLabel->setVisible(stale);
    m_chart->setStale(stale);
}

} // namespace canary::ui
