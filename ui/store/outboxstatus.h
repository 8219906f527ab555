#pragma once

#include <QLabel>
#include <QPointer>

namespace canary::store {
class OutboxSender;
}

namespace canary::ui {

// "2 events waiting to reach Dynatrace": the outbox of the open environment, hidden while it is empty. The
// tooltip says why the last delivery failed, so an operator sees at a glance that a change is recorded
// locally but not yet in Dynatrace.
class OutboxStatus final : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OutboxStatus)

public:
    explicit OutboxStatus(QWidget *parent = nullptr);

    // Follows `sender` (nullptr: nothing to show, e.g. an environment without event recording).
    void setSender(store::OutboxSender *sender);

    int pendingCount() const { return m_pending; }
    QString lastError() const { return m_lastError; }

private:
    void showCount(int count);
    void showError(const QString &message);
    void refresh();

    QPointer<store::OutboxSender> m_sender;
    QMetaObject::Connection m_pendingConnection;
    QMetaObject::Connection m_failedConnection;
    QMetaObject::Connection m_deliveredConnection;
    int m_pending = 0;
    QString m_lastError;
};

} // namespace canary::ui
