#pragma once

#include <functional>
#include <memory>

#include <QDialog>
#include <QMap>
#include <QMessageBox>
#include <QPointer>
#include <QProcessEnvironment>

#include "onboarding/connectioncheck.h"
#include "profile/profile.h"
#include "secrets/secretorigin.h"
#include "secrets/secretstore.h"
#include "util/expected.h"

QT_BEGIN_NAMESPACE
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QTreeView;
QT_END_NAMESPACE

namespace canary::profile {
class ProfileSaver;
class ProfileStore;
struct SaveFailure;
struct SavedProfile;
} // namespace canary::profile
namespace canary::traffic {
class TrafficBackend;
}

namespace canary::ui {

class CheckReportModel;
class ProfileForm;

// "Settings": the operator's profiles. A list on the left (Demo first, read-only), the selected profile's
// form on the right, "Test connection" for what the form says right now, export and import of profile files.
//
// Secrets go to the keychain (SecretStore), never into the profile: Save hands the form to a
// profile::ProfileSaver, which writes the secrets that changed first and the profile only once every write
// succeeded, so a failing keychain leaves nothing half-saved; the dialog says why (with "keep for this
// session only" when there is no keychain or it is locked). Nothing here blocks: keychain calls and the
// connection test answer through the event loop.
class ProfilesDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProfilesDialog)

public:
    // Makes the traffic back-end the connection test reads the split from; without one it is not tested.
    // `environment` is the dialog's environment with the secrets being tested put under the variables that
    // carry them (DT_API_TOKEN, CONTROLLER_OAUTH_TOKEN or CONTROLLER_PASSWORD), as the apps do.
    using BackendFactory = std::function<Expected<std::unique_ptr<traffic::TrafficBackend>, QString>(
        const profile::Profile &profile, const QProcessEnvironment &environment)>;

    // Which file is asked for: a profile to import, where to export one, a CA bundle.
    enum class FileRole { Import, Export, CaBundle };
    // Returns the chosen path, or an empty string when the user cancelled. The default asks QFileDialog.
    using FileChooser = std::function<QString(FileRole role, const QString &suggestion)>;

    // A question the dialog asks; `id` names it for tests: "delete", "unsaved", "replace", "move".
    struct Question
    {
        QString id;
        QString title;
        QString text;
        QMessageBox::StandardButtons buttons;
        QMessageBox::StandardButton defaultButton = QMessageBox::NoButton;
        QMap<QMessageBox::StandardButton, QString> buttonTexts; // the buttons' own words, where they matter
    };
    // Returns the button chosen (Cancel/Escape: QMessageBox::Cancel). The default shows a QMessageBox.
    using Asker = std::function<QMessageBox::StandardButton(const Question &)>;

    // Neither store is owned; both must outlive the dialog.
    ProfilesDialog(profile::ProfileStore *profiles, secrets::SecretStore *secrets, QWidget *parent = nullptr);
    ~ProfilesDialog() override;

    void setBackendFactory(BackendFactory factory);
    void setFileChooser(FileChooser chooser);
    void setAsker(Asker asker);
    // Where DT_API_TOKEN, CONTROLLER_OAUTH_TOKEN and friends are looked up for "Test connection"; the
    // process environment by default.
    void setEnvironment(const QProcessEnvironment &environment);

    // Shows the stored profile `name` (asking first when the form has unsaved changes).
    void selectProfile(const QString &name);
    // The stored profile the form shows; empty while a new one is being created.
    QString currentName() const { return m_loadedName; }
    bool hasUnsavedChanges() const;
    bool isSaving() const { return m_saving; }
    bool isTesting() const { return m_testing; }

    ProfileForm *form() const { return m_form; }
    CheckReportModel *reportModel() const { return m_reportModel; }
    QString statusText() const;

Q_SIGNALS:
    // "Create metric" ended: created (`ok`) or not, with the line shown in the status.
    void metricCreationFinished(bool ok, const QString &message);
    // The profile was written to the store (after its secrets reached the keychain), also by an import.
    void profileSaved(const QString &name);
    void profileRemoved(const QString &name);
    // "Use this profile".
    void profileActivated(const QString &name);
    // "Test connection" ended with this report.
    void connectionTested(const canary::onboarding::CheckReport &report);

public Q_SLOTS:
    void done(int result) override;

private:
    struct SecretSource;

    QWidget *createListSide();
    QWidget *createEditorSide();
    void reloadList(const QString &select);
    int rowOf(const QString &name) const;
    void setCurrentRowQuietly(int row);
    void onCurrentRowChanged(int row);
    void load(const QString &name);
    void loadSecretStates(const QString &name);
    void onFormEdited();
    QList<profile::ProfileProblem> allProblems() const;
    void updateButtons();
    void setStatus(const QString &text, bool error = false);
    void hideOffers();

    // Continues with `then` once unsaved changes are saved or discarded; not at all when the user stays.
    void leaveThen(std::function<void()> then);
    QMessageBox::StandardButton ask(const Question &question);
    QString chooseFile(FileRole role, const QString &suggestion);

    void onNew();
    void onDuplicate();
    void onDelete();
    void onImport();
    void onExport();
    void onUse();
    void onForget(secrets::SecretName name);
    void onMoveRequested(secrets::SecretName name);
    // Binds the stored profile's secrets saved before secrets recorded their origin to the origins it names;
    // `then` gets the failures, empty when every one is bound or needed nothing.
    void bindUnboundSecrets(const profile::Profile &stored, std::function<void(const QString &)> then);
    // The origin a stored entry belongs to: the one it was sealed with, else (an entry written before
    // secrets recorded their origin) the stored profile's, as the apps bind it.
    QString boundOrigin(secrets::SecretName name, const secrets::BoundSecret &bound) const;

    void save(std::function<void()> then = {});
    void onSaved(const profile::SavedProfile &result);
    void onSaveFailed(const profile::SaveFailure &failure);
    void discardChanges();
    void setSaving(bool saving);
    void onKeepForSession();

    void testConnection();
    void resolveSecret(secrets::SecretName name, std::function<void(SecretSource)> then);
    void startCheck(const profile::Profile &profile, const SecretSource &token, const SecretSource &awxSecret,
        const SecretSource &kubeToken);
    void onCheckFinished(onboarding::CheckReport report);
    void createMetric();

    profile::ProfileStore *m_profiles;
    secrets::SecretStore *m_secrets;
    profile::ProfileSaver *m_saver = nullptr;
    std::function<void()> m_afterSave; // what waits for the save under way: a switch, closing
    BackendFactory m_backendFactory;
    FileChooser m_fileChooser;
    Asker m_asker;
    QProcessEnvironment m_environment;

    QListWidget *m_list = nullptr;
    QPushButton *m_new = nullptr;
    QPushButton *m_duplicate = nullptr;
    QPushButton *m_delete = nullptr;
    QPushButton *m_import = nullptr;
    QPushButton *m_export = nullptr;
    ProfileForm *m_form = nullptr;
    QPushButton *m_test = nullptr;
    QPushButton *m_createMetric = nullptr; // offered when the test found the metric missing and creatable
    QString m_testedToken; // the Dynatrace token the last test used, for "Create metric"
    profile::Profile m_testedProfile;
    bool m_creatingMetric = false;
    QLabel *m_tokenSource = nullptr;
    QTreeView *m_reportView = nullptr;
    CheckReportModel *m_reportModel = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_keepForSession = nullptr;
    QPlainTextEdit *m_importErrors = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_use = nullptr;
    QPushButton *m_close = nullptr;

    QString m_loadedName; // empty: a new profile
    bool m_isNew = false;
    profile::Profile m_loadedProfile;
    // A stored secret the operator confirmed moving to the origin the form names now: read and unsealed on
    // confirmation, re-sealed for `to` by the next save, never shown.
    struct Move
    {
        QString value;
        QString from;
        QString to;
    };
    QMap<secrets::SecretName, Move> m_moves;
    QStringList m_saveNotes; // what the save under way leaves behind: a secret staying with its old origin
    quint64 m_generation = 0; // bumped on every load: late keychain answers for another profile are dropped
    bool m_saving = false;
    bool m_switching = false;
    bool m_testing = false;
    QPointer<onboarding::ConnectionCheck> m_check;
    std::vector<onboarding::CheckItem>
        m_extraItems; // what the dialog found before the check: added to its report
};

} // namespace canary::ui
