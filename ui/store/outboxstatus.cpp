#include "outboxstatus.h"

#include "store/outboxsender.h"

namespace canary::ui {

OutboxStatus::OutboxStatus(QWidget *parent)
    : QLabel(parent)
{
    setObjectName(QStringLiteral("outboxStatus"));
    setTextFormat(Qt::PlainText);
    setVisible(false);
}

void OutboxStatus::setSender(store::OutboxSender *sender)
{
    disconnect(m_pendingConnection);
    disconnect(m_failedConnection);
    disconnect(m_deliveredConnection);
    m_sender = sender;
    m_lastError.clear();
    if (m_sender) {
        m_pendingConnection
            = connect(m_sender, &store::OutboxSender::pendingChanged, this, &OutboxStatus::showCount);
        m_failedConnection = connect(m_sender, &store::OutboxSender::deliveryFailed, this,
            [this](const QString &, const QString &message) { showError(message); });
        // A delivery ends the failure streak: the old error no longer explains what is waiting.
        m_deliveredConnection = connect(m_sender, &store::OutboxSender::delivered, this, [this] {
            m_lastError.clear();
            refresh();
        });
        m_lastError = m_sender->lastError();
    }
    showCount(m_sender ? std::max(0, m_sender->pendingCount()) : 0);
}

void OutboxStatus::showCount(int count)
{
    m_pending = std::max(0, count);
    refresh();
}

void OutboxStatus::showError(const QString &message)
{
    m_lastError = message;
    refresh();
}

void OutboxStatus::refresh()
{
    // No translations are loaded, so %n would read "event(s)": the plural is spelled out.
    setText(m_pending == 1 ? tr("1 event waiting to reach Dynatrace")
                           : tr("%1 events waiting to reach Dynatrace").arg(m_pending));
    setToolTip(m_lastError.isEmpty()
            ? tr("Recorded here and sent as soon as Dynatrace takes them.")
            : tr("Recorded here and sent again until Dynatrace takes them. Last delivery error: %1")
                  .arg(m_lastError));
    setVisible(m_pending > 0);
}

} // namespace canary::ui
