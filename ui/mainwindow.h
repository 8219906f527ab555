#pragma once

#include <QMainWindow>

#include "chart/buildpalette.h"
#include "session/buildseries.h"

QT_BEGIN_NAMESPACE
class QLabel;
class QTableView;
QT_END_NAMESPACE

namespace canary {
class Clock;
}
namespace canary::dynatrace {
struct ApiError;
}
namespace canary::session {
class CanarySession;
}
namespace canary::traffic {
class Ramp;
class TrafficController;
struct BuildRoles;
} // namespace canary::traffic

namespace canary::ui {

class BuildSummaryModel;
class RequestChart;
class TrafficPanel;

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
    };

    MainWindow(session::CanarySession *session, Options options, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Adds the traffic slider panel; without it the window only watches.
    void attachTraffic(traffic::TrafficController *controller, traffic::Ramp *ramp, const Clock &clock,
        const traffic::BuildRoles &roles);

    RequestChart *chart() const { return m_chart; }
    BuildSummaryModel *buildModel() const { return m_buildModel; }
    TrafficPanel *trafficPanel() const { return m_trafficPanel; }

private:
    void onSnapshotChanged(const session::Snapshot &snapshot);
    void onRefreshFailed(const dynatrace::ApiError &error);
    void onStaleChanged(bool stale);
    QWidget *createHeader();

    session::CanarySession *m_session;
    Options m_options;
    BuildPalette m_palette;
    RequestChart *m_chart;
    BuildSummaryModel *m_buildModel;
    QTableView *m_buildTable;
    QLabel *m_updateLabel;
    QLabel *m_staleLabel;
    QWidget *m_central;
    TrafficPanel *m_trafficPanel = nullptr;
};

} // namespace canary::ui
