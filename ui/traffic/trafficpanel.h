#pragma once

#include <optional>

#include <QTimer>
#include <QWidget>

#include "session/buildseries.h"
#include "traffic/observedsplit.h"
#include "traffic/ramp.h"
#include "traffic/split.h"

QT_BEGIN_NAMESPACE
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QSlider;
class QSpinBox;
QT_END_NAMESPACE

namespace canary {
class Clock;
}
namespace canary::traffic {
class TrafficController;
struct TrafficError;
} // namespace canary::traffic

namespace canary::ui {

// The operator's main gesture: the canary weight slider, quick steps, the ramp, and three numbers kept
// apart: requested (the slider), applied (what the back-end confirmed), observed (what the metrics show).
class TrafficPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrafficPanel)

public:
    static constexpr int SettleMs = 400;
    static constexpr std::array<int, 6> QuickSteps { 0, 10, 25, 50, 75, 100 };

    TrafficPanel(traffic::TrafficController *controller, traffic::Ramp *ramp, const Clock &clock,
        QWidget *parent = nullptr);
    ~TrafficPanel() override;

    void setConfiguredRoles(const traffic::BuildRoles &roles);
    void setDriftMargin(double percent) { m_driftMargin = percent; }
    // New metrics: updates "observed" and the drift warning.
    void showSnapshot(const session::Snapshot &snapshot);

    int requestedPercent() const;
    std::optional<traffic::Split> appliedSplit() const { return m_applied; }
    bool isDriftWarningShown() const;
    traffic::BuildRoles roles() const { return m_roles; }

    // A widget in the row of numbers, such as how old the back-end's split is.
    void addStatusWidget(QWidget *widget);

Q_SIGNALS:
    void buildRolesResolved(const canary::traffic::BuildRoles &roles);

private:
    void onSliderMoved();
    void onSliderReleased();
    void applyNow();
    void requestPercent(int percent);
    void onApplyStarted(const traffic::Split &split);
    void onApplied(const traffic::Split &from, const traffic::Split &to);
    void onApplyFailed(const traffic::Split &requested, const traffic::TrafficError &error);
    void onSplitRead(const traffic::Split &split);
    void onBusyChanged(bool busy);
    void setSliderQuietly(int percent);
    void updateRequestedLabel();
    void updateAppliedLabel();
    void showError(const QString &text);
    void updateDrift();
    void updateRampControls();
    QWidget *createRampRow();

    traffic::TrafficController *m_controller;
    traffic::Ramp *m_ramp;
    const Clock &m_clock;
    QSlider *m_slider;
    QLabel *m_stableName;
    QLabel *m_canaryName;
    QLabel *m_requestedLabel;
    QLabel *m_appliedLabel;
    QLabel *m_observedLabel;
    QLabel *m_busyLabel;
    QLabel *m_errorLabel;
    QLabel *m_driftLabel;
    QLineEdit *m_reason;
    QLineEdit *m_rampSteps;
    QSpinBox *m_rampPause;
    QPushButton *m_rampStart;
    QPushButton *m_rampPauseResume;
    QPushButton *m_rampAbort;
    QLabel *m_rampStatus;
    QTimer m_settle;
    QTimer m_rampClock;

    traffic::BuildRoles m_configuredRoles;
    traffic::BuildRoles m_roles;
    std::optional<traffic::Split> m_applied;
    qint64 m_appliedAtMs = 0;
    session::Snapshot m_snapshot;
    double m_driftMargin = 10.0;
    QHBoxLayout *m_numbersRow = nullptr;
};

} // namespace canary::ui
