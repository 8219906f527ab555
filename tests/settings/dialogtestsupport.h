#pragma once

#include <QAbstractButton>
#include <QLabel>
#include <QLineEdit>
#include <QList>
#include <QMessageBox>
#include <QPushButton>
#include <QQueue>
#include <QTest>
#include <QUuid>

#include "profile/profilestore.h"
#include "secrets/secretstore.h"
#include "secretstestsupport.h"
#include "settings/checkreportmodel.h"
#include "settings/profileform.h"
#include "settings/profilesdialog.h"

namespace canary::testing {

// One dialog on a profile store of its own (an INI file under the isolated XDG config folder) and a keychain
// service of its own, with questions and file choices answered from queues the test fills.
struct DialogFixture
{
    explicit DialogFixture(const IsolatedXdgDirs &dirs)
        : iniPath(dirs.root() + QStringLiteral("/config/canary-console/profiles-")
            + QUuid::createUuid().toString(QUuid::Id128) + QStringLiteral(".conf"))
        , profiles(iniPath)
        , secretStore(uniqueService())
        , dialog(&profiles, &secretStore)
    {
        // Nothing from the developer's or CI's environment leaks into "Test connection".
        dialog.setEnvironment(QProcessEnvironment());
        dialog.setAsker([this](const ui::ProfilesDialog::Question &question) {
            asked.append(question);
            return answers.isEmpty() ? QMessageBox::Cancel : answers.dequeue();
        });
        dialog.setFileChooser([this](ui::ProfilesDialog::FileRole role, const QString &) {
            chooserRoles.append(role);
            return files.isEmpty() ? QString() : files.dequeue();
        });
        dialog.resize(1100, 900);
    }

    bool show()
    {
        dialog.show();
        return QTest::qWaitForWindowExposed(&dialog);
    }

    template<typename T>
    T *find(const QString &name) const
    {
        return dialog.findChild<T *>(name);
    }

    QPushButton *button(const QString &name) const { return find<QPushButton>(name); }
    ui::ProfileForm *form() const { return dialog.form(); }
    QLineEdit *edit(const QString &name) const { return form()->findChild<QLineEdit *>(name); }

    // The rows of the last report whose feature starts with `featureStart`: status, or -1 when missing.
    int statusOf(const QString &featureStart) const
    {
        const ui::CheckReportModel *model = dialog.reportModel();
        const int row = model->rowOf(featureStart);
        return row < 0 ? -1 : model->index(row, 0).data(ui::CheckReportModel::StatusRole).toInt();
    }

    QString iniPath;
    profile::ProfileStore profiles;
    secrets::SecretStore secretStore;
    ui::ProfilesDialog dialog;
    QList<ui::ProfilesDialog::Question> asked;
    QQueue<QMessageBox::StandardButton> answers;
    QQueue<QString> files;
    QList<ui::ProfilesDialog::FileRole> chooserRoles;
};

// A profile for the store, pointing at `url`.
inline profile::Profile storedProfile(const QString &name, const QUrl &url)
{
    profile::Profile profile;
    profile.name = name;
    profile.dynatraceUrl = url;
    return profile;
}

} // namespace canary::testing
