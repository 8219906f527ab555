#include "rollbackdialog.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

RollbackDialog::RollbackDialog(const QString &action, const QString &details, QWidget *parent)
    : QDialog(parent)
    , m_reason(new QLineEdit(this))
    , m_run(nullptr)
{
    setObjectName(u"rollbackDialog"_s);
    setWindowTitle(tr("Roll back the canary"));
    auto *layout = new QVBoxLayout(this);

    auto *headline = new QLabel(u"<b>%1</b>"_s.arg(action.toHtmlEscaped()), this);
    headline->setObjectName(u"rollbackAction"_s);
    headline->setWordWrap(true);
    layout->addWidget(headline);

    auto *detailLabel = new QLabel(details, this);
    detailLabel->setObjectName(u"rollbackDetails"_s);
    detailLabel->setTextFormat(Qt::PlainText);
    detailLabel->setWordWrap(true);
    detailLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(detailLabel);

    m_reason->setObjectName(u"rollbackReason"_s);
    m_reason->setPlaceholderText(tr("Reason (optional, recorded with the rollback)"));
    m_reason->setMaxLength(500);
    layout->addWidget(m_reason);

    auto *buttons = new QDialogButtonBox(this);
    m_run = buttons->addButton(tr("Run rollback"), QDialogButtonBox::AcceptRole);
    m_run->setObjectName(u"runRollback"_s);
    m_run->setDefault(true);
    buttons->addButton(QDialogButtonBox::Cancel)->setObjectName(u"cancelRollback"_s);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    m_reason->setFocus();
    resize(520, sizeHint().height());
}

RollbackDialog::~RollbackDialog() = default;

QString RollbackDialog::reason() const
{
    return m_reason->text().trimmed();
}

} // namespace canary::ui
