#pragma once

#include <QDialog>

QT_BEGIN_NAMESPACE
class QLabel;
class QLineEdit;
class QPushButton;
QT_END_NAMESPACE

namespace canary::ui {

// "Are you sure?" with the exact action: where the request goes, from which recorded change, and why it is
// trusted; plus an optional reason that goes into the record. Enter runs it, Esc cancels.
class RollbackDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RollbackDialog)

public:
    RollbackDialog(const QString &action, const QString &details, QWidget *parent = nullptr);
    ~RollbackDialog() override;

    QString reason() const;
    QPushButton *runButton() const { return m_run; }

private:
    QLineEdit *m_reason;
    QPushButton *m_run;
};

} // namespace canary::ui
