#include "trafficpanel.h"

#include <utility>

#include <QDateTime>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

#include "traffic/trafficcontroller.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

namespace {

QString percentText(int percent)
{
    return QStringLiteral("%1 %").arg(percent);
}

QString stateText(traffic::Ramp::State state)
{
    using State = traffic::Ramp::State;
    switch (state) {
    case State::Idle:
        return TrafficPanel::tr("not started");
    case State::Applying:
        return TrafficPanel::tr("applying step");
    case State::Waiting:
        return TrafficPanel::tr("waiting");
    case State::Paused:
        return TrafficPanel::tr("paused");
    case State::Held:
        return TrafficPanel::tr("held: the back-end failed");
    case State::Finished:
        return TrafficPanel::tr("finished");
    case State::Aborted:
        return TrafficPanel::tr("aborted");
    }
    return {};
}

} // namespace

TrafficPanel::TrafficPanel(
    traffic::ChangeGate *gate, traffic::Ramp *ramp, const Clock &clock, QWidget *parent)
    : QWidget(parent)
    , m_gate(gate)
    , m_controller(gate->controller())
    , m_ramp(ramp)
    , m_clock(clock)
    , m_slider(new QSlider(Qt::Horizontal, this))
    , m_stableName(new QLabel(tr("stable"), this))
    , m_canaryName(new QLabel(tr("canary"), this))
    , m_requestedLabel(new QLabel(this))
    , m_appliedLabel(new QLabel(tr("Applied: unknown"), this))
    , m_observedLabel(new QLabel(tr("Observed: no data yet"), this))
    , m_busyLabel(new QLabel(this))
    , m_errorLabel(new QLabel(this))
    , m_driftLabel(new QLabel(this))
    , m_outsideLabel(new QLabel(this))
    , m_reason(new QLineEdit(this))

    , m_rampSteps(new QLineEdit(u"30, 70, 100"_s, this))
    , m_rampPause(new QSpinBox(this))
    , m_rampStart(new QPushButton(tr("Start canary"), this))
    , m_rampPauseResume(new QPushButton(tr("Pause"), this))
    , m_rampAbort(new QPushButton(tr("Abort"), this))
    , m_rampStatus(new QLabel(this))
{
    m_slider->setObjectName(u"canarySlider"_s);
    m_requestedLabel->setObjectName(u"requestedLabel"_s);
    m_appliedLabel->setObjectName(u"appliedLabel"_s);
    m_observedLabel->setObjectName(u"observedLabel"_s);
    m_busyLabel->setObjectName(u"applyingLabel"_s);
    m_errorLabel->setObjectName(u"trafficErrorLabel"_s);
    m_driftLabel->setObjectName(u"driftWarning"_s);
    m_outsideLabel->setObjectName(u"outsideChange"_s);
    m_reason->setObjectName(u"reasonEdit"_s);
    m_stableName->setObjectName(u"stableBuildLabel"_s);
    m_canaryName->setObjectName(u"canaryBuildLabel"_s);

    m_slider->setRange(0, 100);
    m_slider->setSingleStep(1);
    m_slider->setPageStep(10);
    m_slider->setTickPosition(QSlider::TicksBelow);
    m_slider->setTickInterval(10);
    m_slider->setAccessibleName(tr("Canary traffic weight"));
    m_slider->setToolTip(tr("Share of traffic sent to the canary. Arrows: 1 %, Page Up/Down: 10 %, "
                            "Home/End: 0 % / 100 %. Applied when the slider settles."));
    m_reason->setPlaceholderText(tr("Reason (optional, recorded with the change)"));
    m_busyLabel->hide();
    m_errorLabel->hide();
    m_errorLabel->setWordWrap(true);
    m_errorLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errorLabel->setStyleSheet(u"QLabel { color: #b02a37; }"_s);
    m_driftLabel->hide();
    m_driftLabel->setWordWrap(true);
    m_driftLabel->setStyleSheet(u"QLabel { background: #fff3cd; color: #664d03; padding: 2px 6px; }"_s);
    m_requestedLabel->setStyleSheet(u"QLabel { font-weight: bold; }"_s);
    m_outsideLabel->hide();
    m_outsideLabel->setWordWrap(true);
    m_outsideLabel->setTextFormat(Qt::PlainText); // names what the back-end reports: never markup
    m_outsideLabel->setStyleSheet(u"QLabel { background: #cfe2ff; color: #052c65; padding: 2px 6px; }"_s);

    auto *sliderRow = new QHBoxLayout;
    sliderRow->addWidget(m_stableName);
    sliderRow->addWidget(m_slider, 1);
    sliderRow->addWidget(m_canaryName);

    auto *quickRow = new QHBoxLayout;
    quickRow->addWidget(new QLabel(tr("Canary:"), this));
    for (const int percent : QuickSteps) {
        auto *button = new QPushButton(percentText(percent), this);
        button->setObjectName(u"quickStep%1"_s.arg(percent));
        button->setToolTip(tr("Send %1 % of traffic to the canary now").arg(percent));
        connect(button, &QPushButton::clicked, this, [this, percent] {
            m_settle.stop();
            setSliderQuietly(percent);
            requestPercent(percent);
        });
        quickRow->addWidget(button);
    }
    quickRow->addStretch();
    quickRow->addWidget(m_reason, 2);

    m_previewLabel = new QLabel(this);
    m_guardLabel = new QLabel(this);
    m_overrideButton = new QPushButton(tr("Override…"), this);

    auto *numbers = new QHBoxLayout;
    m_numbersRow = numbers;
    numbers->addWidget(m_requestedLabel);
    numbers->addSpacing(16);
    numbers->addWidget(m_appliedLabel);
    numbers->addSpacing(16);
    numbers->addWidget(m_observedLabel);
    numbers->addSpacing(16);
    numbers->addWidget(m_busyLabel);
    numbers->addStretch();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(sliderRow);
    layout->addLayout(quickRow);
    layout->addLayout(numbers);
    layout->addWidget(m_previewLabel);
    layout->addWidget(m_driftLabel);
    layout->addWidget(m_outsideLabel);
    auto *guardRow = new QHBoxLayout;
    guardRow->addWidget(m_guardLabel, 1);
    guardRow->addWidget(m_overrideButton, 0, Qt::AlignTop);
    layout->addLayout(guardRow);
    layout->addWidget(m_errorLabel);
    layout->addWidget(createRampRow());

    // Dragging across the range must send one apply, not one per pixel: apply when the slider settles.
    m_settle.setSingleShot(true);
    m_settle.setInterval(SettleMs);
    connect(&m_settle, &QTimer::timeout, this, &TrafficPanel::applyNow);
    connect(m_slider, &QSlider::valueChanged, this, &TrafficPanel::onSliderMoved);
    // While dragging (or stepping with the keys), before anything is applied: what the new weight would
    // mean. onSliderMoved shows it for every value the operator picks.
    connect(m_slider, &QSlider::sliderPressed, this, [this] { updateImpactPreview(m_slider->value()); });

    m_previewLabel->setObjectName(u"impactPreview"_s);
    m_previewLabel->setWordWrap(true);
    m_previewLabel->setStyleSheet(u"QLabel { color: #495057; }"_s);
    m_previewLabel->hide();
    m_guardLabel->setObjectName(u"guardBlocked"_s);
    m_guardLabel->setWordWrap(true);
    m_guardLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_guardLabel->setStyleSheet(
        u"QLabel { background: #fff3cd; color: #664d03; border: 1px solid #e0c36b; padding: 4px; }"_s);
    m_guardLabel->hide();
    m_overrideButton->setObjectName(u"guardOverride"_s);
    m_overrideButton->setToolTip(tr("Go ahead despite the guard-rails; the reason typed in the reason field "
                                    "is recorded with the change and in the audit log"));
    m_overrideButton->hide();
    connect(m_overrideButton, &QPushButton::clicked, this, &TrafficPanel::overrideBlock);
    connect(m_slider, &QSlider::sliderReleased, this, &TrafficPanel::onSliderReleased);

    connect(m_controller, &traffic::TrafficController::applyStarted, this, &TrafficPanel::onApplyStarted);
    connect(m_controller, &traffic::TrafficController::splitApplied, this, &TrafficPanel::onApplied);
    connect(m_controller, &traffic::TrafficController::applyFailed, this, &TrafficPanel::onApplyFailed);
    // Another process (canaryctl, a pipeline, another window) is changing this target: this change waits.
    connect(m_controller, &traffic::TrafficController::applyWaiting, this,
        [this](const traffic::Split &split, const QString &holder) {
            m_busyLabel->setText(
                tr("Waiting for %1 before applying %2…").arg(holder, percentText(split.canary)));
        });
    connect(m_controller, &traffic::TrafficController::applyOutcomeUnknown, this,
        [this](const traffic::Split &split, const traffic::TrafficError &error) {
            m_busyLabel->setText(tr("No usable answer to %1 (%2): reading the split back…")
                                     .arg(percentText(split.canary), error.summary()));
        });
    connect(m_controller, &traffic::TrafficController::splitRead, this, &TrafficPanel::onSplitRead);
    connect(m_controller, &traffic::TrafficController::readFailed, this,
        [this](const traffic::TrafficError &error) {
            showError(tr("Cannot read the current split: %1").arg(error.summary()));
            // What was applied is no longer confirmed: observed traffic is not measured against it.
            m_appliedConfirmed = false;
            updateDrift();
        });
    connect(m_controller, &traffic::TrafficController::splitChangedOutside, this,
        [this](const traffic::Split &, const traffic::Split &to, const traffic::ChangeOrigin &origin) {
            QString text = tr("Traffic changed to %1 (stable/canary) outside Canary Console, seen at %2; the "
                              "slider shows it now.")
                               .arg(to.toString(),
                                   QDateTime::fromMSecsSinceEpoch(m_clock.nowMs()).toString(u"HH:mm:ss"_s));
            if (origin.isKnown())
                text += u' ' + tr("Made by: %1.").arg(origin.toString());
            m_outsideLabel->setText(text);
            m_outsideLabel->show();
        });
    connect(m_controller, &traffic::TrafficController::busyChanged, this, &TrafficPanel::onBusyChanged);
    connect(m_controller, &traffic::TrafficController::recordFailed, this, [this](const QString &message) {
        showError(tr("Traffic changed, but recording the event in Dynatrace failed: %1").arg(message));
    });

    // What the guard-rails answer, shown: the rules themselves are the gate's.
    connect(m_gate, &traffic::ChangeGate::changeRequested, this, [this](int percent) {
        clearBlock();
        m_outsideLabel->hide();
        setSliderQuietly(percent);
    });
    connect(m_gate, &traffic::ChangeGate::increaseHeld, this, &TrafficPanel::onIncreaseHeld);
    connect(m_gate, &traffic::ChangeGate::holdChanged, this, [this](const traffic::GateHold &hold) {
        m_shownHold = hold;
        showGuardMessage(tr("<b>The situation changed</b> — the increase to %1 % is now held because:")
                             .arg(hold.toPercent),
            hold.reasons, tr("Review the reasons and press Override again to go ahead anyway."));
    });
    connect(m_gate, &traffic::ChangeGate::overrideRefused, this, [this](const QString &why) {
        showError(tr("Override needs a reason: %1").arg(why));
        m_reason->setFocus();
    });
    connect(m_gate, &traffic::ChangeGate::recordFailed, this, &TrafficPanel::showError);
    connect(m_gate, &traffic::ChangeGate::rampFrozen, this, [this](const QStringList &freezes) {
        showGuardMessage(tr("<b>Ramp paused by the guard-rails</b>:"), freezes,
            tr("Resume once nothing freezes increases; decreases and Abort are always possible."));
    });
    connect(m_gate, &traffic::ChangeGate::guardRailsChanged, this, &TrafficPanel::offerRampWithinGuardRails);
    offerRampWithinGuardRails();

    if (m_controller->applied())
        onSplitRead(*m_controller->applied());
    updateRequestedLabel();
}

TrafficPanel::~TrafficPanel() = default;

QWidget *TrafficPanel::createRampRow()
{
    auto *row = new QWidget(this);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    m_rampSteps->setObjectName(u"rampSteps"_s);
    m_rampSteps->setToolTip(tr("Canary weights of the ramp, in order"));
    m_rampPause->setObjectName(u"rampPauseSeconds"_s);
    m_rampPause->setRange(0, 24 * 3600);
    m_rampPause->setValue(120);
    m_rampPause->setSuffix(tr(" s between steps"));
    m_rampStart->setObjectName(u"rampStart"_s);
    m_rampPauseResume->setObjectName(u"rampPauseResume"_s);
    m_rampAbort->setObjectName(u"rampAbort"_s);
    m_rampStatus->setObjectName(u"rampStatus"_s);
    layout->addWidget(new QLabel(tr("Ramp:"), row));
    layout->addWidget(m_rampSteps);
    layout->addWidget(m_rampPause);
    layout->addWidget(m_rampStart);
    layout->addWidget(m_rampPauseResume);
    layout->addWidget(m_rampAbort);
    layout->addWidget(m_rampStatus, 1);

    connect(m_rampStart, &QPushButton::clicked, this, [this] {
        const auto steps = traffic::RampPlan::parseSteps(m_rampSteps->text());
        if (!steps) {
            showError(tr("Ramp: %1").arg(steps.error()));
            return;
        }
        m_errorLabel->hide();
        clearBlock();
        if (const auto decision = m_gate->checkRamp(*steps, qint64(m_rampPause->value()) * 1000);
            !decision.allowed) {
            showGuardMessage(tr("<b>Ramp not started</b> — the guard-rails refuse it:"), decision.reasons(),
                tr("Make the steps smaller or the pause longer, or move the canary step by step."));
            return;
        }
        m_ramp->start(traffic::RampPlan { *steps, m_rampPause->value() });
    });
    connect(m_rampPauseResume, &QPushButton::clicked, this, [this] {
        if (m_ramp->isRunning()) {
            m_ramp->pause();
            return;
        }
        if (const QStringList freezes = m_gate->freezes(); !freezes.isEmpty()) {
            showGuardMessage(tr("<b>Ramp stays paused</b> — increases are frozen:"), freezes,
                tr("Decreases and Abort are always possible."));
            return;
        }
        clearBlock();
        m_ramp->resume();
    });
    connect(m_rampAbort, &QPushButton::clicked, m_ramp, &traffic::Ramp::abort);
    connect(m_ramp, &traffic::Ramp::stateChanged, this, &TrafficPanel::updateRampControls);
    connect(m_ramp, &traffic::Ramp::guarded, this, [this](int index, const QStringList &reasons) {
        showGuardMessage(tr("<b>Ramp paused by the guard-rails</b> before step %1 (%2 %):")
                             .arg(index + 1)
                             .arg(m_ramp->plan().steps.value(index)),
            reasons, tr("Resume once nothing holds the step; decreases and Abort are always possible."));
    });
    connect(m_ramp, &traffic::Ramp::held, this,
        [this](const traffic::TrafficError &error) { showError(tr("Ramp held: %1").arg(error.summary())); });
    connect(m_ramp, &traffic::Ramp::pausedByOutsideChange, this, [this](const traffic::Split &to) {
        showError(tr("Ramp paused: traffic changed to %1 (stable/canary) outside Canary Console. Resume to "
                     "go on from there, or Abort.")
                      .arg(to.toString()));
    });
    m_rampClock.setInterval(1000);
    connect(&m_rampClock, &QTimer::timeout, this, &TrafficPanel::updateRampControls);
    updateRampControls();
    return row;
}

void TrafficPanel::setConfiguredRoles(const traffic::BuildRoles &roles)
{
    m_configuredRoles = roles;
    m_roles = traffic::resolveBuildRoles(m_snapshot.builds, roles);
    if (!m_roles.stable.isEmpty())
        m_stableName->setText(m_roles.stable);
    if (!m_roles.canary.isEmpty())
        m_canaryName->setText(m_roles.canary);
}

int TrafficPanel::requestedPercent() const
{
    return m_slider->value();
}

bool TrafficPanel::isDriftWarningShown() const
{
    return !m_driftLabel->isHidden();
}

void TrafficPanel::setSliderQuietly(int percent)
{
    const QSignalBlocker blocker(m_slider);
    m_slider->setValue(percent);
    updateRequestedLabel();
}

void TrafficPanel::updateRequestedLabel()
{
    m_requestedLabel->setText(tr("Requested: %1").arg(percentText(m_slider->value())));
}

void TrafficPanel::onSliderMoved()
{
    updateRequestedLabel();
    updateImpactPreview(m_slider->value());
    if (!m_slider->isSliderDown())
        m_settle.start(); // keyboard, wheel, clicks on the groove: apply once the value settles
}

void TrafficPanel::onSliderReleased()
{
    m_settle.stop();
    applyNow();
}

void TrafficPanel::applyNow()
{
    requestPercent(m_slider->value());
}

void TrafficPanel::requestPercent(int percent)
{
    if (!traffic::Split::fromCanaryPercent(percent) || m_gate->isUnchanged(percent))
        return;
    m_errorLabel->hide();
    m_previewLabel->hide();
    clearBlock();
    m_gate->request(percent, m_reason->text().trimmed());
}

void TrafficPanel::onIncreaseHeld(const traffic::GateHold &hold)
{
    m_shownHold = hold;
    showGuardMessage(tr("<b>Increase to %1 % not applied</b> — the guard-rails hold it:").arg(hold.toPercent),
        hold.reasons,
        tr("Decreases are always possible. To go ahead anyway, type a reason (at least %1 words) and press "
           "Override.")
            .arg(traffic::GuardRails::MinimumOverrideWords));
    m_overrideButton->show();
    if (const auto applied = m_controller->applied())
        setSliderQuietly(applied->canary);
    updateRequestedLabel();
}

void TrafficPanel::clearBlock()
{
    m_shownHold.reset();
    m_guardLabel->hide();
    m_overrideButton->hide();
}

void TrafficPanel::overrideBlock()
{
    if (!m_shownHold)
        return;
    m_errorLabel->hide();
    // The event's reason is the override's own ("guard-rails overridden: …"): the field holds it.
    m_gate->override(*m_shownHold, m_reason->text());
}

// Offer a ramp the guard-rails accept: steps of the largest allowed size up to 100 %, and pauses at least as
// long as increases must be apart (the workshop's 30/70/100 every 2 minutes is neither).
void TrafficPanel::offerRampWithinGuardRails()
{
    if (!m_gate->isGuarding() || m_ramp->isRunning())
        return;
    const auto &policy = m_gate->guardRails()->policy();
    QStringList steps;
    const int step = std::clamp(policy.maxStepUpPercent, 1, 100);
    for (int percent = step; percent < 100 + step; percent += step)
        steps.append(QString::number(std::min(percent, 100)));
    m_rampSteps->setText(steps.join(u", "_s));
    m_rampPause->setValue(std::max(m_rampPause->value(), int((policy.minMsBetweenIncreases + 999) / 1000)));
}

void TrafficPanel::showGuardMessage(const QString &headline, const QStringList &reasons, const QString &hint)
{
    QString text = headline + u"<ul style=\"margin:0\">"_s;
    for (const QString &reason : reasons)
        text += u"<li>%1</li>"_s.arg(reason.toHtmlEscaped());
    text += u"</ul>"_s + hint.toHtmlEscaped();
    m_guardLabel->setText(text);
    m_guardLabel->show();
}

QString TrafficPanel::guardMessage() const
{
    return m_guardLabel->isVisible() ? m_guardLabel->text() : QString();
}

void TrafficPanel::setCurrentRates(const verdict::CurrentRates &rates)
{
    m_rates = rates;
    if (m_previewLabel->isVisible())
        updateImpactPreview(m_slider->value());
}

QString TrafficPanel::impactPreviewText() const
{
    return m_previewLabel->isVisible() ? m_previewLabel->text() : QString();
}

void TrafficPanel::updateImpactPreview(int percent)
{
    m_previewLabel->setText(verdict::previewImpact(m_rates, percent).text);
    m_previewLabel->show();
}

void TrafficPanel::onApplyStarted(const traffic::Split &split)
{
    m_busyLabel->setText(
        tr("Applying %1 through %2…").arg(percentText(split.canary), m_controller->backend()->description()));
}

void TrafficPanel::onApplied(const traffic::Split &, const traffic::Split &to)
{
    m_applied = to;
    m_appliedAtMs = m_clock.nowMs();
    m_appliedConfirmed = true;
    updateAppliedLabel();
    m_reason->clear();
    if (!m_controller->queued() && !m_controller->inFlight() && !m_slider->isSliderDown()
        && !m_settle.isActive())
        setSliderQuietly(to.canary); // e.g. the ramp moved traffic
    updateDrift();
}

void TrafficPanel::onApplyFailed(const traffic::Split &requested, const traffic::TrafficError &error)
{
    // Held again under the target's lease: the gate's increaseHeld shows why, with the override.
    if (error.kind != traffic::TrafficError::Kind::Held) {
        showError(error.outcomeUnknown ? tr("Setting the canary to %1 may or may not have happened: %2")
                                             .arg(percentText(requested.canary), error.summary())
                                       : tr("Could not set the canary to %1: %2")
                                             .arg(percentText(requested.canary), error.summary()));
    }
    // The operator's newest wish is still queued: leave the slider there. Otherwise show the truth.
    if (!m_controller->queued() && !m_controller->inFlight())
        setSliderQuietly(m_applied ? m_applied->canary : requested.canary);
}

void TrafficPanel::onSplitRead(const traffic::Split &split)
{
    // A watch reads the same split again and again: it has been in force since it first was.
    if (m_applied != split) {
        m_applied = split;
        m_appliedAtMs = m_clock.nowMs();
    }
    m_appliedConfirmed = true;
    updateAppliedLabel();
    // A move the gate sent on once the read answered is what the slider shows, not the split it left.
    if (!m_slider->isSliderDown() && !m_settle.isActive() && !m_controller->inFlight())
        setSliderQuietly(split.canary);
    updateDrift();
}

QString TrafficPanel::outsideChangeText() const
{
    return m_outsideLabel->isHidden() ? QString() : m_outsideLabel->text();
}

void TrafficPanel::updateAppliedLabel()
{
    if (!m_applied)
        return;
    m_appliedLabel->setText(tr("Applied: %1 (since %2)")
                                .arg(percentText(m_applied->canary),
                                    QDateTime::fromMSecsSinceEpoch(m_appliedAtMs).toString(u"HH:mm:ss"_s)));
}

void TrafficPanel::showError(const QString &text)
{
    m_errorLabel->setText(text);
    m_errorLabel->show();
}

void TrafficPanel::onBusyChanged(bool busy)
{
    m_busyLabel->setVisible(busy);
}

void TrafficPanel::showSnapshot(const session::Snapshot &snapshot)
{
    m_snapshot = snapshot;
    const auto roles = traffic::resolveBuildRoles(snapshot.builds, m_configuredRoles);
    if (roles.canary != m_roles.canary || roles.stable != m_roles.stable) {
        m_roles = roles;
        m_stableName->setText(roles.stable.isEmpty() ? tr("stable") : roles.stable);
        m_canaryName->setText(roles.canary.isEmpty() ? tr("canary") : roles.canary);
        Q_EMIT buildRolesResolved(roles);
    }
    updateDrift();
}

void TrafficPanel::updateDrift()
{
    const qint64 now = m_snapshot.fetchedAtMs ? m_snapshot.fetchedAtMs : m_clock.nowMs();
    const auto shares = traffic::observedShares(m_snapshot, m_roles, now, 1);
    if (shares.empty()) {
        m_observedLabel->setText(tr("Observed: no traffic in the latest interval"));
    } else {
        const auto &share = shares.front();
        m_observedLabel->setText(
            tr("Observed: %1 % (interval ending %2, %n request(s))", nullptr, int(share.requests))
                .arg(QLocale().toString(share.canaryPercent, 'f', 1),
                    QDateTime::fromMSecsSinceEpoch(share.slotEndMs).toString(u"HH:mm:ss"_s)));
    }
    const bool drifting = m_applied && m_appliedConfirmed
        && traffic::isDrifting(m_snapshot, m_roles, *m_applied, m_appliedAtMs, now, m_driftMargin);
    if (drifting) {
        m_driftLabel->setText(
            tr("Observed traffic does not follow the applied split (%1 % to the canary) for two "
               "intervals: check the router or the build names.")
                .arg(m_applied->canary));
    }
    m_driftLabel->setVisible(drifting);
}

void TrafficPanel::updateRampControls()
{
    using State = traffic::Ramp::State;
    const State state = m_ramp->state();
    const bool running = m_ramp->isRunning();
    const bool resumable = state == State::Paused || state == State::Held;
    m_rampStart->setEnabled(!running && !resumable);
    m_rampPauseResume->setEnabled(running || resumable);
    m_rampPauseResume->setText(resumable ? tr("Resume") : tr("Pause"));
    m_rampAbort->setEnabled(running || resumable);
    m_rampSteps->setEnabled(!running && !resumable);
    m_rampPause->setEnabled(!running && !resumable);

    QString text = stateText(state);
    const auto &steps = m_ramp->plan().steps;
    if (m_ramp->currentStep() >= 0 && state != State::Idle)
        text = tr("step %1 of %2 (%3) — %4")
                   .arg(m_ramp->currentStep() + 1)
                   .arg(steps.size())
                   .arg(percentText(steps.value(m_ramp->currentStep())), text);
    if (state == State::Waiting) {
        const qint64 seconds = std::max<qint64>(0, (m_ramp->nextStepAtMs() - m_clock.nowMs() + 999) / 1000);
        text += tr(", next step in %1:%2").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
    }
    m_rampStatus->setText(text);
    if (state == State::Waiting)
        m_rampClock.start();
    else
        m_rampClock.stop();
}

void TrafficPanel::addStatusWidget(QWidget *widget)
{
    m_numbersRow->insertWidget(m_numbersRow->count() - 1, widget); // before the stretch
}

} // namespace canary::ui
