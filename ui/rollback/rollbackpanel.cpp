#include "rollbackpanel.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include "dynatrace/event.h"
#include "rollback/autoremediation.h"
#include "rollback/rollbackservice.h"
#include "rollbackdialog.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using canary::rollback::RollbackState;
using canary::rollback::Stage;

namespace canary::ui {

namespace {

QString elapsedText(qint64 ms)
{
    const qint64 seconds = std::max<qint64>(0, ms / 1000);
    return u"%1:%2"_s.arg(seconds / 60).arg(seconds % 60, 2, 10, QChar(u'0'));
}

QString stageText(const RollbackState &state)
{
    switch (state.stage) {
    case Stage::Preflight:
        return RollbackPanel::tr("Checking the plan can run…");
    case Stage::Launching:
        return RollbackPanel::tr("Launching: %1…")
            .arg(state.fallback ? state.actionText() : state.plan.shortText());
    case Stage::Following:
        return RollbackPanel::tr("Following AWX job %1: %2").arg(state.jobId).arg(state.jobStatus);
    case Stage::Verifying:
        if (!state.backendVerified)
            return RollbackPanel::tr("Verifying: waiting for the traffic back-end to read 0 % canary…");
        if (state.observedCanaryPercent)
            return RollbackPanel::tr("Verifying: back-end at 0 %; %1 % of requests still on the canary…")
                .arg(*state.observedCanaryPercent, 0, 'f', 1);
        return RollbackPanel::tr(
            "Verifying: back-end at 0 %; waiting for the next complete metric interval…");
    case Stage::Recording:
        return RollbackPanel::tr("Recording the result in Dynatrace…");
    case Stage::Finished:
        break;
    }
    return {};
}

} // namespace

RollbackPanel::RollbackPanel(
    rollback::RollbackService *service, rollback::AutoRemediation *guard, const Clock &clock, QWidget *parent)
    : QWidget(parent)
    , m_service(service)
    , m_guard(guard)
    , m_clock(clock)
    , m_rollback(new QPushButton(tr("Roll back"), this))
    , m_fallback(new QPushButton(tr("Set canary to 0 % through the traffic back-end"), this))
    , m_planStatus(new QLabel(tr("Reading the backout plan…"), this))
    , m_auto(new QCheckBox(tr("Auto-remediate"), this))
    , m_progressBox(new QWidget(this))
    , m_progress(new QLabel(m_progressBox))
    , m_cancel(new QPushButton(tr("Cancel job"), m_progressBox))
    , m_output(new QPlainTextEdit(m_progressBox))
    , m_result(new QLabel(this))
    , m_notice(new QLabel(this))
    , m_countdownBox(new QWidget(this))
    , m_countdown(new QLabel(m_countdownBox))
    , m_operator(qEnvironmentVariable("USER", u"operator"_s))
{
    m_rollback->setObjectName(u"rollbackButton"_s);
    m_rollback->setStyleSheet(
        u"QPushButton { background: #b02a37; color: white; font-weight: bold; padding: 4px 12px; }"
        "QPushButton:disabled { background: #c9c9c9; color: #555; }"_s);
    m_rollback->setEnabled(false);
    m_fallback->setObjectName(u"fallbackButton"_s);
    m_fallback->hide();
    m_planStatus->setObjectName(u"planStatus"_s);
    m_planStatus->setWordWrap(true);
    m_planStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_planStatus->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_auto->setObjectName(u"autoRemediation"_s);
    m_auto->setToolTip(
        tr("When an ERROR problem opens on the target, count down %1 s, then run the backout plan "
           "(once per problem; cancellable)")
            .arg(m_guard ? m_guard->countdownMs() / 1000 : 30));
    m_auto->setVisible(m_guard != nullptr);
    m_progress->setObjectName(u"rollbackProgress"_s);
    m_progress->setWordWrap(true);
    m_cancel->setObjectName(u"cancelRollbackJob"_s);
    m_output->setObjectName(u"rollbackOutput"_s);
    m_output->setReadOnly(true);
    m_output->setMaximumBlockCount(200);
    m_output->setMaximumHeight(110);
    m_output->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_result->setObjectName(u"rollbackResult"_s);
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_result->hide();
    m_notice->setObjectName(u"rollbackNotice"_s);
    m_notice->setWordWrap(true);
    m_notice->setStyleSheet(u"QLabel { color: #8a5300; }"_s);
    m_notice->hide();
    m_countdown->setObjectName(u"countdownLabel"_s);
    m_countdownBox->setObjectName(u"countdownBox"_s);
    m_countdownBox->setStyleSheet(u"#countdownBox { background: #fff3cd; border: 1px solid #e0a800; }"_s);
    m_countdownBox->hide();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *row = new QHBoxLayout;
    m_row = row;
    row->addWidget(m_rollback);
    row->addWidget(m_fallback);
    row->addWidget(m_planStatus, 1);
    row->addWidget(m_auto);
    layout->addLayout(row);

    auto *countdownRow = new QHBoxLayout(m_countdownBox);
    auto *stopAuto = new QPushButton(tr("Cancel auto-remediation"), m_countdownBox);
    stopAuto->setObjectName(u"cancelCountdown"_s);
    countdownRow->addWidget(m_countdown, 1);
    countdownRow->addWidget(stopAuto);
    layout->addWidget(m_countdownBox);

    auto *progressLayout = new QVBoxLayout(m_progressBox);
    progressLayout->setContentsMargins(0, 0, 0, 0);
    auto *progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_cancel);
    progressLayout->addLayout(progressRow);
    progressLayout->addWidget(m_output);
    m_progressBox->hide();
    layout->addWidget(m_progressBox);
    layout->addWidget(m_notice);
    layout->addWidget(m_result);

    auto *runner = m_service->runner();
    connect(m_rollback, &QPushButton::clicked, this, [this] { onRollbackClicked(false); });
    connect(m_fallback, &QPushButton::clicked, this, [this] { onRollbackClicked(true); });
    connect(m_cancel, &QPushButton::clicked, runner, &rollback::RollbackRunner::cancel);
    connect(m_service, &rollback::RollbackService::planResolved, this, &RollbackPanel::onPlanResolved);
    connect(m_service, &rollback::RollbackService::planFailed, this, &RollbackPanel::onPlanFailed);
    connect(runner, &rollback::RollbackRunner::runningChanged, this, &RollbackPanel::updateButtons);
    connect(runner, &rollback::RollbackRunner::stateChanged, this, &RollbackPanel::onStateChanged);
    connect(runner, &rollback::RollbackRunner::outputChanged, m_output, &QPlainTextEdit::setPlainText);
    connect(runner, &rollback::RollbackRunner::notice, this, [this](const QString &text) {
        m_notice->setText(text);
        m_notice->show();
    });
    connect(runner, &rollback::RollbackRunner::rollbackSucceeded, this, &RollbackPanel::onFinished);
    connect(runner, &rollback::RollbackRunner::rollbackFailed, this, &RollbackPanel::onFinished);
    m_elapsedTimer.setInterval(1000);
    connect(&m_elapsedTimer, &QTimer::timeout, this, &RollbackPanel::updateElapsed);

    if (m_guard) {
        m_auto->setChecked(m_guard->isEnabled());
        connect(m_auto, &QCheckBox::toggled, m_guard, &rollback::AutoRemediation::setEnabled);
        connect(stopAuto, &QPushButton::clicked, m_guard, &rollback::AutoRemediation::cancel);
        connect(m_guard, &rollback::AutoRemediation::countdownStarted, this,
            [this](const dynatrace::Problem &problem, qint64 deadlineMs) {
                m_countdown->setProperty("problem", u"%1 '%2'"_s.arg(problem.displayId, problem.title));
                showCountdown(deadlineMs - m_clock.nowMs());
                m_countdownBox->show();
            });
        connect(m_guard, &rollback::AutoRemediation::countdownChanged, this, &RollbackPanel::showCountdown);
        connect(m_guard, &rollback::AutoRemediation::countdownCanceled, this,
            [this](const QString &, const QString &why) {
                m_countdownBox->hide();
                m_notice->setText(tr("Auto-remediation stopped: %1").arg(why));
                m_notice->show();
            });
        connect(m_guard, &rollback::AutoRemediation::remediationDue, this,
            [this](const dynatrace::Problem &problem) {
                m_countdownBox->hide();
                const QString reason
                    = tr("auto-remediation: problem %1 '%2'").arg(problem.displayId, problem.title);
                if (m_service->isResolving()) {
                    // The plan is being read again (the refresh that showed the problem): run the fresh one.
                    m_pendingAutoReason = reason;
                    return;
                }
                if (!m_planRunnable) {
                    m_notice->setText(tr("Auto-remediation for %1: no backout plan to run (%2)")
                                          .arg(problem.displayId, m_planStatus->text()));
                    m_notice->show();
                    return;
                }
                run(false, reason);
            });
    }
    if (const QString damaged = m_service->journal().loadError(); !damaged.isEmpty()) {
        // The runner refuses to launch over it; said here before anyone clicks.
        m_notice->setText(tr("The rollback journal cannot be read (%1). It may hold a rollback in flight: "
                             "nothing is launched until it is read and moved aside.")
                              .arg(damaged));
        m_notice->show();
    }
    updateButtons();
}

RollbackPanel::~RollbackPanel() = default;

QString RollbackPanel::progressText() const
{
    return m_progressBox->isVisibleTo(this) ? m_progress->text() : QString();
}

QString RollbackPanel::resultText() const
{
    return m_result->isVisibleTo(this) ? m_result->text() : QString();
}

QString RollbackPanel::outputText() const
{
    return m_output->toPlainText();
}

QString RollbackPanel::countdownText() const
{
    return m_countdownBox->isVisibleTo(this) ? m_countdown->text() : QString();
}

void RollbackPanel::showCountdown(qint64 remainingMs)
{
    m_countdown->setText(tr("Auto-remediation: the backout plan runs in %1 s for %2")
                             .arg((std::max<qint64>(0, remainingMs) + 999) / 1000)
                             .arg(m_countdown->property("problem").toString()));
}

void RollbackPanel::onPlanResolved()
{
    const auto &plan = *m_service->plan();
    m_planRunnable = plan && plan->needsAction();
    m_fallbackOffered = false;
    if (!plan) {
        m_rollback->setText(tr("Roll back"));
        m_planStatus->setText(tr("No backout plan to run: %1").arg(plan.error().message));
        m_planStatus->setStyleSheet(u"QLabel { color: #b02a37; }"_s);
        m_rollback->setToolTip(plan.error().message);
        // Only an explicit, labelled choice sends traffic back without a recorded plan; it goes through the
        // traffic gate, so it is offered only where the console steers traffic.
        m_fallbackOffered = m_service->config().gate != nullptr;
    } else if (!plan->needsAction()) {
        m_rollback->setText(tr("Roll back"));
        m_planStatus->setText(
            tr("No backout needed: the newest change (\"%1\") was itself a reset.").arg(plan->source.title));
        m_planStatus->setStyleSheet({});
        m_rollback->setToolTip(plan->detailText());
    } else {
        m_rollback->setText(tr("Roll back: %1").arg(plan->shortText()));
        m_planStatus->setText(tr("Backout plan recorded on \"%1\".").arg(plan->source.title));
        m_planStatus->setStyleSheet({});
        m_rollback->setToolTip(plan->detailText());
    }
    updateButtons();
    if (!m_pendingAutoReason.isEmpty()) {
        const QString reason = std::exchange(m_pendingAutoReason, QString());
        if (m_planRunnable) {
            run(false, reason);
        } else {
            m_notice->setText(tr("Auto-remediation: no backout plan to run (%1)").arg(m_planStatus->text()));
            m_notice->show();
        }
    }
}

void RollbackPanel::onPlanFailed(const dynatrace::ApiError &error)
{
    m_notice->setText(tr("Cannot read the backout plan: %1").arg(error.summary()));
    m_notice->show();
}

void RollbackPanel::updateButtons()
{
    const bool running = m_service->runner()->isRunning();
    const bool asking = !m_dialog.isNull();
    m_rollback->setEnabled(m_planRunnable && !running && !asking);
    m_fallback->setVisible(m_fallbackOffered);
    m_fallback->setEnabled(m_fallbackOffered && !running && !asking);
    m_cancel->setVisible(running);
    if (running)
        m_elapsedTimer.start();
    else
        m_elapsedTimer.stop();
}

void RollbackPanel::onRollbackClicked(bool fallback)
{
    if (m_service->runner()->isRunning() || m_dialog)
        return;
    if (!m_confirm) {
        run(fallback, {});
        return;
    }
    const auto &plan = m_service->plan();
    const QString action = fallback || !plan || !*plan
        ? tr("Set the canary to 0 % through the traffic back-end (no recorded plan)")
        : plan->value().shortText();
    const QString details = fallback || !plan || !*plan
        ? tr("No backout plan is recorded or it cannot run. This sends all traffic to the stable build "
             "through the traffic back-end, then verifies and records the result.")
        : plan->value().detailText();
    m_dialog = new RollbackDialog(action, details, this);
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_dialog, &QDialog::accepted, this, [this, fallback] { run(fallback, m_dialog->reason()); });
    connect(m_dialog, &QObject::destroyed, this, &RollbackPanel::updateButtons, Qt::QueuedConnection);
    updateButtons();
    m_dialog->open();
}

void RollbackPanel::run(bool fallback, const QString &reason)
{
    m_result->hide();
    m_notice->hide();
    m_output->clear();
    const bool started
        = fallback ? m_service->executeFallback(reason, m_operator) : m_service->execute(reason, m_operator);
    if (started)
        m_progressBox->show();
    updateButtons();
}

void RollbackPanel::onStateChanged(const RollbackState &state)
{
    if (state.stage == Stage::Finished)
        return;
    m_progressBox->show();
    m_progress->setProperty("stage", stageText(state));
    updateElapsed();
}

void RollbackPanel::updateElapsed()
{
    const auto &state = m_service->runner()->state();
    if (!m_service->runner()->isRunning())
        return;
    m_progress->setText(
        tr("%1 (%2 elapsed)")
            .arg(m_progress->property("stage").toString(), elapsedText(m_clock.nowMs() - state.startedAtMs)));
}

void RollbackPanel::onFinished(const RollbackState &state)
{
    m_progressBox->setVisible(
        state.stage == Stage::Finished && state.jobId > 0 && !m_output->toPlainText().isEmpty());
    m_progress->setText(tr("Finished after %1").arg(elapsedText(state.finishedAtMs - state.startedAtMs)));
    if (state.succeeded()) {
        m_result->setText(tr("Rolled back: %1").arg(state.message));
        m_result->setStyleSheet(u"QLabel { color: #1e7b34; font-weight: bold; }"_s);
    } else {
        m_result->setText(tr("Rollback %1: %2").arg(rollback::failureName(state.failure), state.message));
        m_result->setStyleSheet(u"QLabel { color: #b02a37; font-weight: bold; }"_s);
    }
    m_result->show();
    updateButtons();
    m_service->refreshPlan();
}

void RollbackPanel::addStatusWidget(QWidget *widget)
{
    m_row->insertWidget(m_row->indexOf(m_auto), widget);
}

} // namespace canary::ui
