#pragma once

#include <optional>

#include <QTimer>
#include <QWidget>

#include "session/buildseries.h"
#include "traffic/changegate.h"
#include "traffic/observedsplit.h"
#include "traffic/ramp.h"
#include "traffic/split.h"
#include "verdict/impactpreview.h"

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

    // Every change the operator asks for goes through `gate` (traffic::ChangeGate: the guard-rails' answer);
    // the panel shows what it answers.
    TrafficPanel(
        traffic::ChangeGate *gate, traffic::Ramp *ramp, const Clock &clock, QWidget *parent = nullptr);
    ~TrafficPanel() override;

    void setConfiguredRoles(const traffic::BuildRoles &roles);
    void setDriftMargin(double percent) { m_driftMargin = percent; }
    // New metrics: updates "observed" and the drift warning.
    void showSnapshot(const session::Snapshot &snapshot);

    int requestedPercent() const;
    std::optional<traffic::Split> appliedSplit() const { return m_applied; }
    bool isDriftWarningShown() const;
    // "Traffic changed to 50/50 outside Canary Console …" while shown; empty otherwise.
    QString outsideChangeText() const;
    traffic::BuildRoles roles() const { return m_roles; }

    // A widget in the row of numbers, such as how old the back-end's split is.
    void addStatusWidget(QWidget *widget);

    // The increase the guard-rails hold, shown with an override that needs a typed reason, if any, and why.
    std::optional<int> blockedPercent() const
    {
        return m_shownHold ? std::optional<int>(m_shownHold->toPercent) : std::nullopt;
    }
    QStringList blockReasons() const { return m_shownHold ? m_shownHold->reasons : QStringList(); }
    // What the guard-rails say now (a held increase, a refused or paused ramp); empty when nothing.
    QString guardMessage() const;

    // The current rates the impact preview projects from (MainWindow, on every snapshot).
    void setCurrentRates(const verdict::CurrentRates &rates);
    // What the preview says now (empty while not dragging or choosing).
    QString impactPreviewText() const;

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
    void updateImpactPreview(int percent);
    void clearBlock();
    void onIncreaseHeld(const traffic::GateHold &hold);
    void offerRampWithinGuardRails();
    void showGuardMessage(const QString &headline, const QStringList &reasons, const QString &hint);
    void overrideBlock();

    traffic::ChangeGate *m_gate;
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
    QLabel *m_outsideLabel; // the split moved without this console asking
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
    qint64 m_appliedAtMs = 0; // since when m_applied is in force, as far as this console knows
    bool m_appliedConfirmed = false; // the newest read or apply answered (false: the back-end went quiet)
    session::Snapshot m_snapshot;
    double m_driftMargin = 10.0;
    QHBoxLayout *m_numbersRow = nullptr;

    // The hold on show, which Override answers.
    std::optional<traffic::GateHold> m_shownHold;
    QLabel *m_guardLabel = nullptr;
    QPushButton *m_overrideButton = nullptr;
    verdict::CurrentRates m_rates;
    QLabel *m_previewLabel = nullptr;
};

} // namespace canary::ui
