#pragma once

#include <functional>

#include <QHash>
#include <QList>
#include <QMap>
#include <QSet>
#include <QWidget>

#include "profile/profile.h"
#include "secrets/secretstore.h"

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
QT_END_NAMESPACE

namespace canary::ui {

// The editor of one profile: every Profile field, grouped as an operator thinks of them (Dynatrace, traffic,
// AWX, rollback, security), plus the secrets that belong to the profile but never live in it (the Dynatrace
// API token, the AWX token or password, the Kubernetes token). A secret field is never filled with the stored
// value: it only says whether one is stored, and whatever is typed replaces it on save.
//
// The form knows nothing of stores: ProfilesDialog loads it, reads it back and tells it which problems to
// show. Problems are keyed like the profile file ("dynatrace.url"), secrets by their name
// ("dynatrace-token"); the key "" is the profile as a whole.
class ProfileForm final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProfileForm)

public:
    // What the keychain holds for one secret of the loaded profile.
    enum class SecretState {
        Unknown, // not asked yet, or the answer is still on its way
        None, // nothing stored
        Stored, // in the keychain
        SessionOnly, // held for this run only
        Unavailable, // the keychain could not be asked (no keychain, locked)
    };

    explicit ProfileForm(QWidget *parent = nullptr);
    ~ProfileForm() override;

    // Loads `profile` and forgets typed secrets, touched fields and shown problems. A built-in profile is
    // shown read-only with a note saying how to make one's own.
    void setProfile(const profile::Profile &profile, bool builtIn);
    // The values as they stand in the form, not normalised.
    profile::Profile profile() const;
    bool isBuiltIn() const { return m_builtIn; }

    // The secret the AWX field stands for under the chosen auth: AwxToken or AwxPassword.
    secrets::SecretName awxSecretName() const;
    // What was typed for `name` (trimmed); empty: keep what is stored. The AWX field answers only for
    // awxSecretName().
    QString typedSecret(secrets::SecretName name) const;
    void clearTypedSecrets();
    // `storedFor` is the origin the stored secret is bound to (empty when nothing is stored): the field then
    // says, as the form is edited, whether that origin is still the one the profile names for it.
    void setSecretState(secrets::SecretName name, SecretState state, const QString &detail = {},
        const QString &storedFor = {});
    SecretState secretState(secrets::SecretName name) const;
    QString storedOrigin(secrets::SecretName name) const { return m_storedOrigins.value(name); }
    // The origin the form names for `name` right now (profile::secretOrigin of the normalised form).
    QString currentOrigin(secrets::SecretName name) const;
    // A secret is stored, for an origin other than the one the form now names: it is not used, and the
    // field asks for the token of the new origin.
    bool isStoredElsewhere(secrets::SecretName name) const;
    // The operator confirmed moving the stored secret to `origin` (ProfilesDialog asked); the field says so
    // while the form still names that origin. An empty origin withdraws it.
    void setMoveConfirmed(secrets::SecretName name, const QString &origin);
    QString moveConfirmedTo(secrets::SecretName name) const { return m_movesTo.value(name); }
    // The confirmed move of `name`, if the form still names the origin it was confirmed for.
    bool movesNow(secrets::SecretName name) const;

    // The problems of the form's values, normalised as the store will save them, plus a token of the wrong
    // kind; keyed as above.
    QList<profile::ProfileProblem> problems() const;
    // Shows these problems beside their fields: only those of fields the user has touched, unless
    // revealAllProblems() was called since the last setProfile().
    void showProblems(const QList<profile::ProfileProblem> &problems);
    void revealAllProblems();
    // `message` as the form shows it for `key`: known secret shapes masked, and the field's own text left
    // out, so that a problem never repeats what was typed.
    QString withoutValue(const QString &key, const QString &message) const;
    // The message shown for `key`, empty when none is.
    QString shownProblem(const QString &key) const;

    // Asked for a CA bundle file when "Browse…" is clicked; returns the chosen path or an empty string.
    void setCaBundleChooser(std::function<QString(const QString &current)> chooser);

    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *dynatraceUrlEdit() const { return m_dynatraceUrl; }
    QLineEdit *dynatraceTokenEdit() const { return m_dynatraceToken; }
    QLineEdit *secretEditFor(secrets::SecretName name) const { return secretEdit(name); }
    // "Move the saved token to …", null for a name the form shows no field for now.
    QPushButton *moveButton(secrets::SecretName name) const;

Q_SIGNALS:
    // The user changed something (not setProfile()).
    void edited();
    // "Forget" was clicked next to a stored secret.
    void forgetRequested(canary::secrets::SecretName name);
    // "Move the saved token to …" was clicked: the stored secret is for another origin than the form's.
    void moveRequested(canary::secrets::SecretName name);

private:
    QLineEdit *addLine(
        QFormLayout *form, const QString &label, const QString &key, const QString &objectName);
    QWidget *addRow(QFormLayout *form, const QString &label, QWidget *field, const QString &key);
    QLabel *problemLabel(const QString &key, QWidget *parent);
    QWidget *secretRow(QLineEdit *edit, QPushButton *forget, QPushButton *move);
    void updateSecretFields();
    void touch(const QString &key);
    void onEdited(const QString &key);
    void updateVisibility();
    void updateHints();
    void updateSecretField(secrets::SecretName name);
    QLineEdit *secretEdit(secrets::SecretName name) const;
    void chooseCaBundle();

    bool m_builtIn = false;
    bool m_revealAll = false;
    QSet<QString> m_touched;
    QHash<QString, QLabel *> m_problemLabels;
    QHash<QString, QLineEdit *> m_lineEdits; // by problem key, to keep a field's value out of its problems
    QMap<secrets::SecretName, SecretState> m_secretStates;
    QMap<secrets::SecretName, QString> m_storedOrigins;
    QMap<secrets::SecretName, QString> m_movesTo;
    std::function<QString(const QString &)> m_caBundleChooser;

    QLabel *m_builtInNote;
    QLabel *m_generalProblem;
    QLineEdit *m_name;
    QGroupBox *m_dynatraceGroup;
    QLineEdit *m_dynatraceUrl;
    QLabel *m_dynatraceUrlHint;
    QLineEdit *m_dynatraceToken;
    QPushButton *m_forgetDynatraceToken;
    QPushButton *m_moveDynatraceToken;
    QLineEdit *m_entitySelector;
    QLineEdit *m_metricSelector;
    QLineEdit *m_failureMetric;
    QLineEdit *m_responseTimeMetric;
    QLineEdit *m_buildDimension;
    QLineEdit *m_stableBuild;
    QLineEdit *m_canaryBuild;
    QSpinBox *m_refresh;
    QLineEdit *m_from;
    QLineEdit *m_resolution;

    QGroupBox *m_trafficGroup;
    QFormLayout *m_trafficForm;
    QComboBox *m_backend;
    QWidget *m_awxTemplateRow;
    QLineEdit *m_awxTemplate;
    QWidget *m_awxCanaryVarRow;
    QLineEdit *m_awxCanaryVar;
    QWidget *m_awxOldVarRow;
    QLineEdit *m_awxOldVar;
    QWidget *m_kubeObjectRow;
    QLineEdit *m_kubeObject;
    QWidget *m_kubeContextRow;
    QLineEdit *m_kubeContext;
    QWidget *m_kubeServerRow;
    QLineEdit *m_kubeServer;
    QWidget *m_kubeTokenRow;
    QLineEdit *m_kubeToken;
    QPushButton *m_forgetKubeToken;
    QPushButton *m_moveKubeToken;

    QGroupBox *m_awxGroup;
    QFormLayout *m_awxForm;
    QLineEdit *m_awxUrl;
    QLabel *m_awxUrlHint;
    QComboBox *m_awxApiPath;
    QComboBox *m_awxAuth;
    QWidget *m_awxUsernameRow;
    QLineEdit *m_awxUsername;
    QLabel *m_awxSecretLabel;
    QLineEdit *m_awxSecret;
    QPushButton *m_forgetAwxSecret;
    QPushButton *m_moveAwxSecret;

    QGroupBox *m_rollbackGroup;
    QPlainTextEdit *m_allowedOrigins;
    QPlainTextEdit *m_allowedTemplates;
    QLineEdit *m_planSource;
    QCheckBox *m_confirmRollback;
    QCheckBox *m_autoRemediate;
    QSpinBox *m_countdown;

    profile::Profile m_loaded; // what setProfile() was given: the base of profile()
    QGroupBox *m_guardGroup;
    QCheckBox *m_guardEnabled;
    QSpinBox *m_guardMaxStep;
    QSpinBox *m_guardMinInterval;
    QCheckBox *m_guardFreezeOnProblem;
    QCheckBox *m_guardFreezeOnStale;
    QCheckBox *m_guardFreezeOnFail;

    QGroupBox *m_securityGroup;
    QLineEdit *m_caBundle;
    QPushButton *m_browseCaBundle;
    QCheckBox *m_allowInsecureTls;
    QLabel *m_insecureWarning;
};

} // namespace canary::ui
