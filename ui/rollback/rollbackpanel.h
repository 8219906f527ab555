#pragma once

#include <QPointer>
#include <QTimer>
#include <QWidget>

#include "rollback/rollbackstate.h"
#include "rollbackdialog.h"

QT_BEGIN_NAMESPACE
class QHBoxLayout;
class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
QT_END_NAMESPACE

namespace canary {
class Clock;
}
namespace canary::dynatrace {
struct ApiError;
struct Problem;
} // namespace canary::dynatrace
namespace canary::rollback {
class AutoRemediation;
class RollbackService;
} // namespace canary::rollback

namespace canary::ui {

// The one-click rollback: a button that says what it will run (or why it cannot), the confirmation, and the
// rollback followed to the end (stage, job status, output, elapsed time, cancel, verified or not). With a
// guard, also the opt-in auto-remediation and its countdown.
class RollbackPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RollbackPanel)

public:
    RollbackPanel(rollback::RollbackService *service, rollback::AutoRemediation *guard, const Clock &clock,
        QWidget *parent = nullptr);
    ~RollbackPanel() override;

    // Without confirmation a click runs the plan at once (a profile setting for drills).
    void setConfirmationRequired(bool required) { m_confirm = required; }
    void setOperatorName(const QString &name) { m_operator = name; }

    QPushButton *rollbackButton() const { return m_rollback; }
    QPushButton *fallbackButton() const { return m_fallback; }
    RollbackDialog *dialog() const { return m_dialog; }
    QString progressText() const;
    QString resultText() const;
    QString outputText() const;
    QString countdownText() const;

    // A widget beside the plan, such as how old the plan is.
    void addStatusWidget(QWidget *widget);

private:
    void onPlanResolved();
    void onPlanFailed(const dynatrace::ApiError &error);
    void onRollbackClicked(bool fallback);
    void run(bool fallback, const QString &reason);
    void onStateChanged(const rollback::RollbackState &state);
    void onFinished(const rollback::RollbackState &state);
    void updateButtons();
    void updateElapsed();
    void showCountdown(qint64 remainingMs);

    rollback::RollbackService *m_service;
    rollback::AutoRemediation *m_guard;
    const Clock &m_clock;
    QPushButton *m_rollback;
    QPushButton *m_fallback;
    QLabel *m_planStatus;
    QCheckBox *m_auto;
    QWidget *m_progressBox;
    QLabel *m_progress;
    QPushButton *m_cancel;
    QPlainTextEdit *m_output;
    QLabel *m_result;
    QLabel *m_notice;
    QWidget *m_countdownBox;
    QLabel *m_countdown;
    QPointer<RollbackDialog> m_dialog;
    QTimer m_elapsedTimer;
    QString m_operator;
    QString m_pendingAutoReason; // the countdown ended while the plan was being read
    bool m_confirm = true;
    bool m_planRunnable = false;
    bool m_fallbackOffered = false;
    QHBoxLayout *m_row = nullptr;
};

} // namespace canary::ui
