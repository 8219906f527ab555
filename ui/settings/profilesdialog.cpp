#include "profilesdialog.h"

#include <optional>
#include <utility>

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QSplitter>
#include <QTreeView>
#include <QVBoxLayout>

#include "awx/awxconfig.h"
#include "checkreportmodel.h"
#include "onboarding/metriconboarding.h"
#include "profile/profilefile.h"
#include "profile/profilesaver.h"
#include "profile/profilestore.h"
#include "profile/secretdestinations.h"
#include "profile/targetoptions.h"
#include "profileform.h"
#include "secrets/secretorigin.h"
#include "traffic/trafficbackend.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

using onboarding::CheckItem;
using profile::Profile;
using profile::ProfileProblem;
using secrets::SecretError;
using secrets::SecretName;

namespace {

constexpr int NameRole = Qt::UserRole + 1; // the stored name; empty for the new, unsaved profile
constexpr int NewRole = Qt::UserRole + 2;

const std::initializer_list<SecretName> AllSecrets { SecretName::DynatraceToken, SecretName::AwxToken,
    SecretName::AwxPassword, SecretName::KubeToken };

QString secretTitle(SecretName name)
{
    switch (name) {
    case SecretName::DynatraceToken:
        return ProfilesDialog::tr("Dynatrace API token");
    case SecretName::AwxToken:
        return ProfilesDialog::tr("AWX token");
    case SecretName::AwxPassword:
        return ProfilesDialog::tr("AWX password");
    case SecretName::KubeToken:
        break;
    }
    return ProfilesDialog::tr("Kubernetes token");
}

bool isKeychainUnavailable(const SecretError &error)
{
    return error.kind == SecretError::Kind::NoBackend || error.kind == SecretError::Kind::LockedOrDenied;
}

} // namespace

struct ProfilesDialog::SecretSource
{
    SecretSource(QString value, QString description, bool refusedForOrigin = false)
        : value(std::move(value))
        , description(std::move(description))
        , refusedForOrigin(refusedForOrigin)
    { }

    QString value;
    QString description; // "typed in the form", "DT_API_TOKEN from the environment", …
    // Set when a stored secret was not used because it belongs to another origin: the report says why.
    bool refusedForOrigin = false;
};

ProfilesDialog::ProfilesDialog(
    profile::ProfileStore *profiles, secrets::SecretStore *secrets, QWidget *parent)
    : QDialog(parent)
    , m_profiles(profiles)
    , m_secrets(secrets)
    , m_saver(new profile::ProfileSaver(profiles, secrets, this))
    , m_environment(QProcessEnvironment::systemEnvironment())
{
    connect(m_saver, &profile::ProfileSaver::saved, this, &ProfilesDialog::onSaved);
    connect(m_saver, &profile::ProfileSaver::saveFailed, this, &ProfilesDialog::onSaveFailed);

    setObjectName(u"profilesDialog"_s);
    setWindowTitle(tr("Profiles"));
    auto *layout = new QVBoxLayout(this);

    auto *splitter = new QSplitter(this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(createListSide());
    splitter->addWidget(createEditorSide());
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);

    m_status = new QLabel(this);
    m_status->setObjectName(u"statusMessage"_s);
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    m_importErrors = new QPlainTextEdit(this);
    m_importErrors->setObjectName(u"importErrors"_s);
    m_importErrors->setReadOnly(true);
    m_importErrors->setMaximumHeight(m_importErrors->fontMetrics().lineSpacing() * 8);
    m_importErrors->hide();
    layout->addWidget(m_importErrors);

    auto *buttons = new QDialogButtonBox(this);
    m_keepForSession
        = buttons->addButton(tr("Keep the token for this session only"), QDialogButtonBox::ActionRole);
    m_keepForSession->setObjectName(u"keepForSession"_s);
    m_keepForSession->setToolTip(
        tr("Secrets stay in memory, never in a file, and are gone when the app exits"));
    m_keepForSession->hide();
    m_use = buttons->addButton(tr("&Use this profile"), QDialogButtonBox::ActionRole);
    m_use->setObjectName(u"useProfile"_s);
    m_save = buttons->addButton(QDialogButtonBox::Save);
    m_save->setObjectName(u"saveProfile"_s);
    m_close = buttons->addButton(QDialogButtonBox::Close);
    m_close->setObjectName(u"closeProfiles"_s);
    connect(m_keepForSession, &QPushButton::clicked, this, &ProfilesDialog::onKeepForSession);
    connect(m_use, &QPushButton::clicked, this, &ProfilesDialog::onUse);
    connect(m_save, &QPushButton::clicked, this, [this] { save(); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    connect(m_form, &ProfileForm::edited, this, &ProfilesDialog::onFormEdited);
    connect(m_form, &ProfileForm::forgetRequested, this, &ProfilesDialog::onForget);
    connect(m_form, &ProfileForm::moveRequested, this, &ProfilesDialog::onMoveRequested);
    m_form->setCaBundleChooser(
        [this](const QString &current) { return chooseFile(FileRole::CaBundle, current); });

    load(Profile::demoName());
    resize(1000, 760);
}

ProfilesDialog::~ProfilesDialog()
{
    // The check (and the back-end it owns) goes first: its answers must not reach a half-destroyed dialog.
    delete m_check.data();
}

QWidget *ProfilesDialog::createListSide()
{
    auto *side = new QWidget(this);
    auto *layout = new QVBoxLayout(side);
    layout->setContentsMargins(0, 0, 0, 0);
    m_list = new QListWidget(side);
    m_list->setObjectName(u"profileList"_s);
    layout->addWidget(m_list, 1);
    connect(m_list, &QListWidget::currentRowChanged, this, &ProfilesDialog::onCurrentRowChanged);

    const auto button = [side, layout](const QString &text, const QString &name) {
        auto *b = new QPushButton(text, side);
        b->setObjectName(name);
        b->setAutoDefault(false);
        layout->addWidget(b);
        return b;
    };
    m_new = button(tr("&New"), u"newProfile"_s);
    m_duplicate = button(tr("D&uplicate"), u"duplicateProfile"_s);
    m_delete = button(tr("&Delete…"), u"deleteProfile"_s);
    m_import = button(tr("&Import…"), u"importProfile"_s);
    m_export = button(tr("E&xport…"), u"exportProfile"_s);
    connect(m_new, &QPushButton::clicked, this, &ProfilesDialog::onNew);
    connect(m_duplicate, &QPushButton::clicked, this, &ProfilesDialog::onDuplicate);
    connect(m_delete, &QPushButton::clicked, this, &ProfilesDialog::onDelete);
    connect(m_import, &QPushButton::clicked, this, &ProfilesDialog::onImport);
    connect(m_export, &QPushButton::clicked, this, &ProfilesDialog::onExport);
    side->setMinimumWidth(180);
    return side;
}

QWidget *ProfilesDialog::createEditorSide()
{
    auto *side = new QWidget(this);
    auto *layout = new QVBoxLayout(side);
    layout->setContentsMargins(0, 0, 0, 0);

    auto *scroll = new QScrollArea(side);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_form = new ProfileForm(scroll);
    scroll->setWidget(m_form);
    layout->addWidget(scroll, 3);

    auto *testRow = new QHBoxLayout;
    m_test = new QPushButton(tr("&Test connection"), side);
    m_test->setObjectName(u"testConnection"_s);
    m_test->setAutoDefault(false);
    m_test->setToolTip(tr("Tests what the form says now, saved or not; nothing is changed anywhere"));
    connect(m_test, &QPushButton::clicked, this, &ProfilesDialog::testConnection);
    testRow->addWidget(m_test);
    m_createMetric = new QPushButton(tr("Create &metric"), side);
    m_createMetric->setObjectName(u"createMetric"_s);
    m_createMetric->setAutoDefault(false);
    m_createMetric->setToolTip(tr("Creates the per-build calculated service metric in Dynatrace (POST "
                                  "/api/config/v1/calculatedMetrics/service, needs WriteConfig). It records "
                                  "from now on; there is no backfill."));
    m_createMetric->hide();
    connect(m_createMetric, &QPushButton::clicked, this, &ProfilesDialog::createMetric);
    testRow->addWidget(m_createMetric);
    m_tokenSource = new QLabel(side);
    m_tokenSource->setObjectName(u"tokenSource"_s);
    m_tokenSource->setWordWrap(true);
    m_tokenSource->setTextFormat(Qt::PlainText);
    testRow->addWidget(m_tokenSource, 1);
    layout->addLayout(testRow);

    m_reportModel = new CheckReportModel(this);
    m_reportView = new QTreeView(side);
    m_reportView->setObjectName(u"connectionReport"_s);
    m_reportView->setModel(m_reportModel);
    m_reportView->setRootIsDecorated(false);
    m_reportView->setUniformRowHeights(true);
    m_reportView->setWordWrap(true);
    m_reportView->setSelectionMode(QAbstractItemView::NoSelection);
    m_reportView->header()->setStretchLastSection(true);
    m_reportView->setMinimumHeight(m_reportView->fontMetrics().lineSpacing() * 6);
    layout->addWidget(m_reportView, 1);
    return side;
}

void ProfilesDialog::setBackendFactory(BackendFactory factory)
{
    m_backendFactory = std::move(factory);
}

void ProfilesDialog::setFileChooser(FileChooser chooser)
{
    m_fileChooser = std::move(chooser);
}

void ProfilesDialog::setAsker(Asker asker)
{
    m_asker = std::move(asker);
}

void ProfilesDialog::setEnvironment(const QProcessEnvironment &environment)
{
    m_environment = environment;
}

QString ProfilesDialog::statusText() const
{
    return m_status->text();
}

void ProfilesDialog::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? u"color: #c62828;"_s : QString());
}

void ProfilesDialog::hideOffers()
{
    m_keepForSession->hide();
    m_importErrors->hide();
}

// --- The list ---------------------------------------------------------------------------------------------

void ProfilesDialog::reloadList(const QString &select)
{
    const QSignalBlocker blocker(m_list);
    m_list->clear();
    for (const QString &name : m_profiles->names()) {
        auto *item = new QListWidgetItem(name, m_list);
        item->setData(NameRole, name);
        if (name == Profile::demoName())
            item->setToolTip(tr("Built-in: the embedded simulator"));
    }
    if (m_isNew) {
        auto *item = new QListWidgetItem(tr("New profile"), m_list);
        item->setData(NewRole, true);
        QFont font = item->font();
        font.setItalic(true);
        item->setFont(font);
    }
    m_list->setCurrentRow(rowOf(select));
}

int ProfilesDialog::rowOf(const QString &name) const
{
    for (int row = 0; row < m_list->count(); ++row) {
        const QListWidgetItem *item = m_list->item(row);
        if (name.isEmpty() ? item->data(NewRole).toBool() : item->data(NameRole).toString() == name)
            return row;
    }
    return -1;
}

void ProfilesDialog::setCurrentRowQuietly(int row)
{
    const QSignalBlocker blocker(m_list);
    m_list->setCurrentRow(row);
}

void ProfilesDialog::onCurrentRowChanged(int row)
{
    if (row < 0)
        return;
    const QListWidgetItem *item = m_list->item(row);
    const QString target = item->data(NameRole).toString();
    if (item->data(NewRole).toBool() || target == m_loadedName)
        return;
    // The selection moves only once the unsaved changes are dealt with.
    setCurrentRowQuietly(rowOf(m_isNew ? QString() : m_loadedName));
    leaveThen([this, target] { load(target); });
}

void ProfilesDialog::selectProfile(const QString &name)
{
    if (name == m_loadedName && !m_isNew)
        return;
    leaveThen([this, name] { load(name); });
}

void ProfilesDialog::load(const QString &name)
{
    m_isNew = false;
    m_loadedName = name;
    ++m_generation;
    m_moves.clear();
    // The store may have changed behind the dialog (canaryctl, another window): the list follows it.
    reloadList(name);
    m_reportModel->clear();
    m_createMetric->hide();
    m_tokenSource->clear();

    Profile profile = Profile::demo();
    if (name != Profile::demoName()) {
        const auto read = m_profiles->read(name);
        if (read) {
            profile = read.value();
        } else {
            // Show what can be shown: saving the form replaces what could not be read.
            profile = Profile {};
            profile.name = name;
            setStatus(tr("'%1' could not be read:\n%2").arg(name, read.error().join(u'\n')), true);
        }
    }
    m_loadedProfile = profile;
    m_form->setProfile(profile, profile.isDemo());
    if (!profile.isDemo())
        loadSecretStates(name);
    updateButtons();
}

void ProfilesDialog::loadSecretStates(const QString &name)
{
    const quint64 generation = m_generation;
    for (const SecretName secret : AllSecrets) {
        m_secrets->read(secrets::secretKey(name, secret), this,
            [this, generation, secret](const secrets::ReadResult &result) {
                if (generation != m_generation)
                    return;
                if (result) {
                    // Only the origin is kept: the form never holds a stored value.
                    m_form->setSecretState(secret,
                        result->storage == secrets::Storage::SessionOnly
                            ? ProfileForm::SecretState::SessionOnly
                            : ProfileForm::SecretState::Stored,
                        {}, boundOrigin(secret, secrets::unsealSecret(result->value)));
                } else if (result.error().kind == SecretError::Kind::NotFound) {
                    m_form->setSecretState(secret, ProfileForm::SecretState::None);
                } else {
                    m_form->setSecretState(
                        secret, ProfileForm::SecretState::Unavailable, result.error().message);
                    setStatus(tr("The keychain could not be asked for the %1: %2")
                                  .arg(secretTitle(secret), result.error().message),
                        true);
                }
                updateButtons();
            });
    }
}

void ProfilesDialog::onFormEdited()
{
    m_form->showProblems(allProblems());
    updateButtons();
}

QList<ProfileProblem> ProfilesDialog::allProblems() const
{
    QList<ProfileProblem> problems = m_form->problems();
    const QString name = m_form->profile().normalised().name;
    if (name.isEmpty())
        return problems;
    // What only the store knows: names taken, by the built-in or by another profile.
    if (name.compare(Profile::demoName(), Qt::CaseInsensitive) == 0) {
        problems.prepend({ u"name"_s, tr("'%1' is the built-in profile's name: choose another").arg(name) });
    } else {
        for (const QString &existing : m_profiles->names()) {
            if (existing.compare(name, Qt::CaseInsensitive) == 0
                && existing.compare(m_loadedName, Qt::CaseInsensitive) != 0)
                problems.prepend({ u"name"_s,
                    tr("a profile named '%1' already exists (names are compared regardless of case)")
                        .arg(existing) });
        }
    }
    return problems;
}

bool ProfilesDialog::hasUnsavedChanges() const
{
    if (m_form->isBuiltIn())
        return false;
    for (const SecretName secret : AllSecrets) {
        if (!m_form->typedSecret(secret).isEmpty() || (m_moves.contains(secret) && m_form->movesNow(secret)))
            return true;
    }
    return m_form->profile().normalised() != m_loadedProfile.normalised();
}

void ProfilesDialog::updateButtons()
{
    const bool builtIn = m_form->isBuiltIn();
    const bool dirty = hasUnsavedChanges();
    m_list->setEnabled(!m_saving);
    m_new->setEnabled(!m_saving);
    m_import->setEnabled(!m_saving);
    m_export->setEnabled(!m_saving);
    m_duplicate->setEnabled(!m_saving && !m_isNew);
    m_delete->setEnabled(!m_saving && !m_isNew && !builtIn);
    m_save->setEnabled(!m_saving && !builtIn);
    m_use->setEnabled(!m_saving && !m_isNew && !dirty && !m_loadedName.isEmpty());
    m_test->setEnabled(!m_testing && !m_creatingMetric && !builtIn);
    m_createMetric->setEnabled(!m_testing && !m_creatingMetric);
    setWindowTitle(dirty ? tr("Profiles — unsaved changes") : tr("Profiles"));
}

// --- Questions and files ----------------------------------------------------------------------------------

QMessageBox::StandardButton ProfilesDialog::ask(const Question &question)
{
    if (m_asker)
        return m_asker(question);
    QMessageBox box(QMessageBox::Question, question.title, question.text, question.buttons, this);
    box.setObjectName(u"question:"_s + question.id);
    for (auto it = question.buttonTexts.cbegin(); it != question.buttonTexts.cend(); ++it) {
        if (QAbstractButton *button = box.button(it.key()))
            button->setText(it.value());
    }
    if (question.defaultButton != QMessageBox::NoButton)
        box.setDefaultButton(question.defaultButton);
    const int answer = box.exec();
    return answer == 0 ? QMessageBox::Cancel : QMessageBox::StandardButton(answer);
}

QString ProfilesDialog::chooseFile(FileRole role, const QString &suggestion)
{
    if (m_fileChooser)
        return m_fileChooser(role, suggestion);
    const QString profileFilter = tr("Profile files (*.conf *.ini *.txt);;All files (*)");
    switch (role) {
    case FileRole::Import:
        return QFileDialog::getOpenFileName(this, tr("Import a profile"), suggestion, profileFilter);
    case FileRole::Export:
        return QFileDialog::getSaveFileName(this, tr("Export the profile"), suggestion, profileFilter);
    case FileRole::CaBundle:
        break;
    }
    return QFileDialog::getOpenFileName(
        this, tr("CA bundle"), suggestion, tr("PEM certificates (*.pem *.crt *.cer);;All files (*)"));
}

void ProfilesDialog::leaveThen(std::function<void()> then)
{
    if (!hasUnsavedChanges())
        return then();
    const QString name = m_isNew ? tr("the new profile") : u"'%1'"_s.arg(m_loadedName);
    const auto answer = ask({ u"unsaved"_s, tr("Unsaved changes"), tr("Save the changes to %1?").arg(name),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save, {} });
    switch (answer) {
    case QMessageBox::Save:
        return save(std::move(then));
    case QMessageBox::Discard:
        discardChanges();
        return then();
    default:
        return;
    }
}

void ProfilesDialog::discardChanges()
{
    load(m_isNew ? Profile::demoName() : m_loadedName);
}

void ProfilesDialog::done(int result)
{
    if (m_saving) {
        setStatus(tr("Still saving: wait for the keychain to answer"), true);
        return;
    }
    leaveThen([this, result] { QDialog::done(result); });
}

// --- New, duplicate, delete, use, forget ------------------------------------------------------------------

void ProfilesDialog::onNew()
{
    leaveThen([this] {
        hideOffers();
        ++m_generation;
        m_moves.clear();
        m_isNew = true;
        m_loadedName.clear();
        m_loadedProfile = Profile {};
        m_loadedProfile.name.clear();
        reloadList(QString());
        m_form->setProfile(m_loadedProfile, false);
        for (const SecretName secret : AllSecrets)
            m_form->setSecretState(secret, ProfileForm::SecretState::None);
        m_reportModel->clear();
        m_createMetric->hide();
        m_tokenSource->clear();
        setStatus(tr("Name the profile, paste the environment URL and the API token, test, save."));
        updateButtons();
        m_form->nameEdit()->setFocus();
    });
}

void ProfilesDialog::onDuplicate()
{
    leaveThen([this] {
        hideOffers();
        const QString from = m_loadedName;
        QString to = tr("%1 copy").arg(from);
        for (int n = 2; m_profiles->contains(to); ++n)
            to = tr("%1 copy %2").arg(from).arg(n);
        const auto result = m_profiles->duplicate(from, to);
        if (!result)
            return setStatus(tr("Could not duplicate '%1':\n%2").arg(from, result.error().join(u'\n')), true);
        load(to);
        setStatus(tr("Duplicated '%1' as '%2'. Secrets are not copied: type the token for this one.")
                      .arg(from, to));
        Q_EMIT profileSaved(to);
        m_form->nameEdit()->setFocus();
        m_form->nameEdit()->selectAll();
    });
}

void ProfilesDialog::onDelete()
{
    const QString name = m_loadedName;
    if (name.isEmpty() || m_form->isBuiltIn())
        return;
    const auto answer = ask({ u"delete"_s, tr("Delete profile"),
        tr("Delete the profile '%1'? Its token and password are removed from the keychain too.").arg(name),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel,
        { { QMessageBox::Yes, tr("Delete") } } });
    if (answer != QMessageBox::Yes)
        return;
    hideOffers();
    const auto removed = m_profiles->remove(name);
    if (!removed)
        return setStatus(tr("Could not delete '%1':\n%2").arg(name, removed.error().join(u'\n')), true);

    load(Profile::demoName());
    setStatus(tr("Deleted '%1'; removing its secrets from the keychain…").arg(name));
    Q_EMIT profileRemoved(name);

    auto failures = std::make_shared<QStringList>();
    auto outstanding = std::make_shared<int>(int(AllSecrets.size()));
    for (const SecretName secret : AllSecrets) {
        m_secrets->remove(secrets::secretKey(name, secret), this,
            [this, name, secret, failures, outstanding](const secrets::StoreResult &result) {
                if (!result)
                    failures->append(u"%1: %2"_s.arg(secretTitle(secret), result.error().message));
                if (--*outstanding > 0)
                    return;
                if (failures->isEmpty())
                    setStatus(tr("Deleted '%1' and its secrets.").arg(name));
                else
                    setStatus(tr("Deleted '%1', but its secrets could not be removed from the keychain:\n%2")
                                  .arg(name, failures->join(u'\n')),
                        true);
            });
    }
}

void ProfilesDialog::onUse()
{
    if (m_loadedName.isEmpty() || hasUnsavedChanges())
        return;
    Q_EMIT profileActivated(m_loadedName);
    accept();
}

void ProfilesDialog::onForget(SecretName secret)
{
    const QString name = m_loadedName;
    if (name.isEmpty())
        return;
    const quint64 generation = m_generation;
    m_secrets->remove(secrets::secretKey(name, secret), this,
        [this, name, secret, generation](const secrets::StoreResult &result) {
            if (!result)
                return setStatus(tr("Could not forget the %1 of '%2': %3")
                                     .arg(secretTitle(secret), name, result.error().message),
                    true);
            if (generation == m_generation) {
                m_moves.remove(secret);
                m_form->setSecretState(secret, ProfileForm::SecretState::None);
            }
            setStatus(tr("Forgot the %1 of '%2'.").arg(secretTitle(secret), name));
        });
}

QString ProfilesDialog::boundOrigin(SecretName name, const secrets::BoundSecret &bound) const
{
    switch (bound.state) {
    case secrets::BoundSecret::State::Sealed:
        return bound.origin;
    case secrets::BoundSecret::State::Unreadable:
        return {}; // belongs nowhere: never sent
    case secrets::BoundSecret::State::Old:
        break;
    }
    return profile::secretOrigin(m_loadedProfile.normalised(), name);
}

void ProfilesDialog::onMoveRequested(SecretName secret)
{
    const QString name = m_loadedName;
    const QString from = m_form->storedOrigin(secret);
    const QString to = m_form->currentOrigin(secret);
    if (name.isEmpty() || from.isEmpty() || to.isEmpty() || from == to)
        return;
    // Cancel is the default and the escape: Enter or Esc moves nothing.
    const auto answer = ask({ u"move"_s, tr("Move the saved secret"),
        tr("The %1 of '%2' was saved for %3 and is only ever sent there.\n\nMove it to %4? From then on it "
           "is sent to %4 and only to %4; %3 no longer gets it. It moves when you save the profile.")
            .arg(secretTitle(secret), name, from, to),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel,
        { { QMessageBox::Yes, tr("Move to %1").arg(to) } } });
    if (answer != QMessageBox::Yes)
        return setStatus(tr("Nothing moved: the %1 stays with %2.").arg(secretTitle(secret), from));
    const quint64 generation = m_generation;
    m_secrets->read(secrets::secretKey(name, secret), this,
        [this, generation, secret, from, to](const secrets::ReadResult &result) {
            if (generation != m_generation)
                return;
            if (!result)
                return setStatus(tr("Not moved: the %1 could not be read: %2")
                                     .arg(secretTitle(secret), result.error().message),
                    true);
            const secrets::BoundSecret bound = secrets::unsealSecret(result->value);
            // The entry may have changed since the question (canaryctl, another window): only what was
            // confirmed moves, and only while the form still names the origin it was confirmed for.
            if (boundOrigin(secret, bound) != from || m_form->currentOrigin(secret) != to)
                return setStatus(
                    tr("Not moved: the %1 or the URL changed meanwhile; ask again.").arg(secretTitle(secret)),
                    true);
            m_moves.insert(secret, { bound.value, from, to });
            m_form->setMoveConfirmed(secret, to);
            setStatus(tr("The %1 moves from %2 to %3 when you save.").arg(secretTitle(secret), from, to));
            updateButtons();
        });
}

// --- Save -------------------------------------------------------------------------------------------------

void ProfilesDialog::save(std::function<void()> then)
{
    if (m_saving || m_form->isBuiltIn())
        return;
    hideOffers();
    m_form->revealAllProblems();
    const QList<ProfileProblem> problems = allProblems();
    m_form->showProblems(problems);
    if (!problems.isEmpty()) {
        QStringList lines;
        for (const ProfileProblem &problem : problems)
            lines.append(m_form->withoutValue(problem.key, problem.message));
        return onSaveFailed({ tr("fix the marked fields first:\n%1").arg(lines.join(u'\n')), std::nullopt });
    }

    profile::ProfileSave request;
    request.profile = m_form->profile().normalised();
    request.oldName = m_loadedName;
    m_saveNotes.clear();
    for (const SecretName secret : AllSecrets) {
        QString typed = m_form->typedSecret(secret);
        // A confirmed move goes through the saver like a typed secret: sealed for the profile's origin.
        if (typed.isEmpty() && m_moves.contains(secret) && m_form->movesNow(secret))
            typed = m_moves.value(secret).value;
        request.typedSecrets.insert(secret, typed);
        // The AWX field stands for one of its two secrets: only that one is said to stay behind.
        const bool shown = (secret != SecretName::AwxToken && secret != SecretName::AwxPassword)
            || secret == m_form->awxSecretName();
        if (shown && typed.isEmpty() && m_form->isStoredElsewhere(secret))
            m_saveNotes.append(
                tr("The %1 stays with %2: type the one for %3, or move it.")
                    .arg(secretTitle(secret), m_form->storedOrigin(secret),
                        m_form->currentOrigin(secret).isEmpty() ? tr("an unset URL")
                                                                : m_form->currentOrigin(secret)));
    }
    m_afterSave = std::move(then);
    setSaving(true);
    // An old, unbound entry would be bound to the origin the profile names when it is first read: after this
    // save, the edited one. It is bound to the origin it was saved under first.
    const auto stored = m_loadedName.isEmpty() || !m_profiles->contains(m_loadedName)
        ? Expected<Profile, QStringList>(QStringList())
        : m_profiles->read(m_loadedName);
    const auto originsMove = [&request](const Profile &before) {
        if (before.name != request.profile.name)
            return true;
        for (const SecretName secret : AllSecrets) {
            if (profile::secretOrigin(before.normalised(), secret)
                != profile::secretOrigin(request.profile, secret))
                return true;
        }
        return false;
    };
    if (!stored || !originsMove(stored.value())) {
        setStatus(
            request.touchesSecrets() ? tr("Saving: writing the secrets to the keychain…") : tr("Saving…"));
        m_saver->save(std::move(request)); // with no secret to write, it answers right here
        return;
    }
    setStatus(tr("Saving: binding the stored secrets of '%1' to its origins first…").arg(m_loadedName));
    bindUnboundSecrets(stored.value(), [this, request](const QString &failure) mutable {
        if (!failure.isEmpty())
            return onSaveFailed(
                { tr("nothing was saved: the stored secrets could not be bound to their origin "
                     "first: %1")
                        .arg(failure),
                    std::nullopt });
        setStatus(
            request.touchesSecrets() ? tr("Saving: writing the secrets to the keychain…") : tr("Saving…"));
        m_saver->save(std::move(request));
    });
}

void ProfilesDialog::setSaving(bool saving)
{
    m_saving = saving;
    updateButtons();
}

void ProfilesDialog::onSaved(const profile::SavedProfile &result)
{
    QStringList written;
    for (const SecretName secret : result.writtenSecrets)
        written.append(secretTitle(secret));
    setSaving(false);
    load(result.name);
    QString message = tr("Saved '%1'.").arg(result.name);
    if (!written.isEmpty())
        message += u' '
            + (result.sessionOnly ? tr("%1: kept for this session only, not in the keychain.")
                                  : tr("%1: in the keychain, not in the profile."))
                  .arg(written.join(u", "_s));
    for (const QString &note : std::exchange(m_saveNotes, {}))
        message += u' ' + note;
    setStatus(message);
    Q_EMIT profileSaved(result.name);
    if (const auto then = std::exchange(m_afterSave, nullptr))
        then();
}

void ProfilesDialog::onSaveFailed(const profile::SaveFailure &failure)
{
    m_afterSave = nullptr;
    m_saveNotes.clear();
    setSaving(false);
    const std::optional<SecretError> &error = failure.secretError;
    QString message = failure.message;
    if (error && error->kind == SecretError::Kind::LockedOrDenied)
        message
            = tr("the keychain is locked or access was denied: unlock your keyring and try again, or keep "
                 "the token for this session only");
    setStatus(tr("Not saved: %1").arg(message), true);
    m_keepForSession->setVisible(error && isKeychainUnavailable(*error) && !m_secrets->isSessionOnly());
}

void ProfilesDialog::onKeepForSession()
{
    // The operator's explicit choice, never made silently (docs/security.md).
    m_secrets->setSessionOnly(true);
    m_keepForSession->hide();
    save();
}

// --- Import and export ------------------------------------------------------------------------------------

void ProfilesDialog::onExport()
{
    hideOffers();
    m_form->revealAllProblems();
    QList<ProfileProblem> problems = m_form->problems();
    m_form->showProblems(allProblems());
    if (!problems.isEmpty())
        return setStatus(tr("Not exported: fix the marked fields first"), true);
    const Profile profile = m_form->isBuiltIn() ? m_loadedProfile : m_form->profile().normalised();
    const QString suggestion
        = QDir::home().filePath((profile.name.isEmpty() ? u"profile"_s : profile.name) + u".conf"_s);
    const QString path = chooseFile(FileRole::Export, suggestion);
    if (path.isEmpty())
        return;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(profile::writeProfileText(profile)) < 0
        || !file.commit())
        return setStatus(
            tr("Not exported: %1: %2").arg(QDir::toNativeSeparators(path), file.errorString()), true);
    setStatus(tr("Exported '%1' to %2. The file holds no secret: the token stays in the keychain.")
                  .arg(profile.name, QDir::toNativeSeparators(path)));
}

void ProfilesDialog::onImport()
{
    leaveThen([this] {
        hideOffers();
        const QString path = chooseFile(FileRole::Import, QDir::homePath());
        if (path.isEmpty())
            return;
        const auto read = profile::readProfileFile(path);
        if (!read) {
            setStatus(
                tr("Not imported: %1 has errors (nothing was changed):").arg(QFileInfo(path).fileName()),
                true);
            m_importErrors->setPlainText(read.error().join(u'\n'));
            m_importErrors->show();
            return;
        }
        Profile profile = read.value();
        const auto uniqueName = [this](const QString &base) {
            for (int n = 2;; ++n) {
                const QString candidate = u"%1 (%2)"_s.arg(base).arg(n);
                if (!m_profiles->contains(candidate))
                    return candidate;
            }
        };
        if (profile.isDemo()) {
            profile.name = uniqueName(profile.name);
        } else if (m_profiles->contains(profile.name)) {
            const QString other = uniqueName(profile.name);
            const auto answer = ask({ u"replace"_s, tr("Import profile"),
                tr("A profile named '%1' already exists. Replace it, or import this one as '%2'?")
                    .arg(profile.name, other),
                QMessageBox::Yes | QMessageBox::No | QMessageBox::Cancel, QMessageBox::No,
                { { QMessageBox::Yes, tr("Replace") },
                    { QMessageBox::No, tr("Import as '%1'").arg(other) } } });
            if (answer == QMessageBox::Cancel || answer == QMessageBox::NoButton)
                return;
            if (answer == QMessageBox::No)
                profile.name = other;
        }
        const QString fileName = QFileInfo(path).fileName();
        const auto finish = [this, profile, fileName] {
            const auto saved = m_profiles->save(profile);
            if (!saved) {
                setStatus(tr("Not imported:"), true);
                m_importErrors->setPlainText(saved.error().join(u'\n'));
                m_importErrors->show();
                return;
            }
            load(profile.name);
            setStatus(
                tr("Imported '%1' from %2. A profile file holds no secrets: type the token and save, or use "
                   "DT_API_TOKEN.")
                    .arg(profile.name, fileName));
            Q_EMIT profileSaved(profile.name);
        };
        const auto replaced = m_profiles->read(profile.name);
        if (!replaced)
            return finish();
        setStatus(
            tr("Importing: binding the stored secrets of '%1' to its origins first…").arg(profile.name));
        bindUnboundSecrets(replaced.value(), [this, finish](const QString &failure) {
            if (!failure.isEmpty())
                return setStatus(tr("Not imported: %1").arg(failure), true);
            finish();
        });
    });
}

void ProfilesDialog::bindUnboundSecrets(const Profile &stored, std::function<void(const QString &)> then)
{
    // An entry written before secrets recorded their origin belongs to the stored profile's origin, and is
    // bound to it when first read. A replacing import would make that the imported file's origin: the
    // entries are bound to the origins of the profile being replaced first, so the import adopts none.
    const auto outstanding = std::make_shared<int>(int(AllSecrets.size()));
    const auto failures = std::make_shared<QStringList>();
    const auto oneDone = [outstanding, failures, then = std::move(then)](const QString &failure) {
        if (!failure.isEmpty())
            failures->append(failure);
        if (--*outstanding == 0)
            then(failures->join(u"; "_s));
    };
    for (const SecretName secret : AllSecrets) {
        const QString key = secrets::secretKey(stored.name, secret);
        const QString origin = profile::secretOrigin(stored.normalised(), secret);
        m_secrets->read(key, this, [this, key, origin, secret, oneDone](const secrets::ReadResult &result) {
            if (!result)
                return oneDone(result.error().kind == SecretError::Kind::NotFound
                        ? QString()
                        : tr("%1: %2").arg(secretTitle(secret), result.error().message));
            // Only an old entry is bound here; a sealed one already is, an unreadable one never will be.
            if (secrets::unsealSecret(result->value).state != secrets::BoundSecret::State::Old
                || origin.isEmpty())
                return oneDone({});
            m_secrets->write(key, secrets::sealSecret(result->value, origin), this,
                [secret, oneDone](const secrets::StoreResult &written) {
                    oneDone(
                        written ? QString() : tr("%1: %2").arg(secretTitle(secret), written.error().message));
                });
        });
    }
}

// --- Test connection --------------------------------------------------------------------------------------

void ProfilesDialog::resolveSecret(SecretName name, std::function<void(SecretSource)> then)
{
    // The same order the apps use: what the operator typed here, then the environment, then the keychain.
    const QString typed = m_form->typedSecret(name);
    if (!typed.isEmpty())
        return then({ typed, tr("the one typed in the form") });
    const QString variable = secrets::overridingVariable(name);
    const QString fromEnvironment = name == SecretName::DynatraceToken
        ? profile::TargetOptions::tokenFrom(m_environment)
        : m_environment.value(variable);
    if (!fromEnvironment.isEmpty())
        return then({ fromEnvironment, tr("%1 from the environment").arg(variable) });
    if (m_loadedName.isEmpty())
        return then({ {}, tr("none") });
    // A stored secret is only tried against the origin it was saved for, or the one the operator confirmed
    // moving it to.
    const QString origin = profile::secretOrigin(m_form->profile().normalised(), name);
    if (m_moves.contains(name) && m_form->movesNow(name))
        return then({ m_moves.value(name).value,
            tr("the stored one, moving from %1 to %2 (confirmed)").arg(m_moves.value(name).from, origin) });
    m_secrets->read(secrets::secretKey(m_loadedName, name), this,
        [this, name, origin, then = std::move(then)](const secrets::ReadResult &result) {
            if (result) {
                const secrets::BoundSecret bound = secrets::unsealSecret(result->value);
                const QString savedFor = boundOrigin(name, bound);
                if (savedFor.isEmpty() || savedFor != origin)
                    return then({ {},
                        tr("none: the stored one was saved for %1 and is not sent to %2")
                            .arg(savedFor.isEmpty() ? tr("no origin") : savedFor,
                                origin.isEmpty() ? tr("an unset URL") : origin),
                        true });
                return then({ bound.value,
                    result->storage == secrets::Storage::SessionOnly
                        ? tr("the one kept for this session")
                        : tr("the one stored in the keychain") });
            }
            then({ {},
                result.error().kind == SecretError::Kind::NotFound ? tr("none") : result.error().message });
        });
}

void ProfilesDialog::testConnection()
{
    if (m_testing || m_form->isBuiltIn())
        return;
    m_testing = true;
    updateButtons();
    m_reportModel->clear();
    m_tokenSource->setText(tr("Testing…"));
    const quint64 generation = m_generation;
    const Profile profile = m_form->profile().normalised();
    const SecretName awxSecret = m_form->awxSecretName();
    resolveSecret(
        SecretName::DynatraceToken, [this, generation, profile, awxSecret](const SecretSource &token) {
            resolveSecret(awxSecret, [this, generation, profile, token](const SecretSource &awx) {
                resolveSecret(
                    SecretName::KubeToken, [this, generation, profile, token, awx](const SecretSource &kube) {
                        if (generation != m_generation) {
                            // Another profile was loaded meanwhile: its secrets are not this form's.
                            m_testing = false;
                            m_tokenSource->clear();
                            return updateButtons();
                        }
                        startCheck(profile, token, awx, kube);
                    });
            });
        });
}

void ProfilesDialog::startCheck(const Profile &profile, const SecretSource &token,
    const SecretSource &awxSecret, const SecretSource &kubeToken)
{
    m_extraItems.clear();
    // A stored secret left out because it belongs to another origin is a finding of its own: the token
    // check alone would only say that there is none.
    const auto refused = [this](const QString &title, const SecretSource &source) {
        if (source.refusedForOrigin)
            m_extraItems.push_back({ tr("Stored %1").arg(title), CheckItem::Status::Missing,
                tr("not used: %1. Paste the token for this URL, or move the saved one (confirmed) and save.")
                    .arg(source.description) });
    };
    refused(secretTitle(SecretName::DynatraceToken), token);
    m_createMetric->hide();
    m_testedToken = token.value;
    m_testedProfile = profile;
    onboarding::CheckSetup setup;
    setup.dynatraceUrl = profile.dynatraceUrl;
    setup.token = token.value;
    setup.metricSelector = profile.metricSelector;
    setup.buildDimension = profile.buildDimension;
    setup.tls = net::TlsPolicy { profile.caBundle, profile.allowInsecureTls };
    if (const QString problem = setup.tls->problem(); !problem.isEmpty())
        m_extraItems.push_back({ tr("TLS: CA bundle"), CheckItem::Status::Failed, problem });
    setup.entitySelector
        = profile.entitySelector; // names the service in the steps to create a missing metric
    QString sources = tr("Dynatrace token: %1").arg(token.description);

    // AWX moves traffic with the awx back-end and runs backout plans with any: tested when it is configured.
    if (!profile.awxUrl.isEmpty() || profile.trafficBackend == u"awx"_s) {
        awx::AwxConfig base = profile.toAwxConfig();
        if (profile.awxAuth == u"basic"_s)
            base.password = awxSecret.value;
        else
            base.token = awxSecret.value;
        const auto config = awx::AwxConfig::fromEnvironment(m_environment, base);
        if (config) {
            setup.awx = config.value();
            if (!profile.awxTemplate.isEmpty())
                setup.awxTemplates = { profile.awxTemplate };
            else
                m_extraItems.push_back(
                    { tr("AWX on %1").arg(config->hostDisplay()), CheckItem::Status::Missing,
                        tr("no job template named (awx.template): nothing to check the launch rights of") });
        } else {
            m_extraItems.push_back({ tr("AWX"), CheckItem::Status::Missing, config.error() });
        }
        sources += u"; "_s
            + tr("%1: %2").arg(
                profile.awxAuth == u"basic"_s ? tr("AWX password") : tr("AWX token"), awxSecret.description);
        refused(profile.awxAuth == u"basic"_s ? tr("AWX password") : tr("AWX token"), awxSecret);
    }
    const bool kubernetes = profile.trafficBackend == u"kubernetes"_s;
    if (kubernetes && !profile.kubeServer.isEmpty()) {
        sources += u"; "_s + tr("Kubernetes token: %1").arg(kubeToken.description);
        refused(secretTitle(SecretName::KubeToken), kubeToken);
    }

    std::unique_ptr<traffic::TrafficBackend> backend;
    if (m_backendFactory) {
        QProcessEnvironment withSecrets = m_environment;
        if (!token.value.isEmpty())
            withSecrets.insert(u"DT_API_TOKEN"_s, token.value);
        if (!awxSecret.value.isEmpty())
            withSecrets.insert(
                profile.awxAuth == u"basic"_s ? u"CONTROLLER_PASSWORD"_s : u"CONTROLLER_OAUTH_TOKEN"_s,
                awxSecret.value);
        if (kubernetes && !kubeToken.value.isEmpty())
            withSecrets.insert(secrets::overridingVariable(SecretName::KubeToken), kubeToken.value);
        auto made = m_backendFactory(profile, withSecrets);
        if (made)
            backend = std::move(made.value());
        else
            m_extraItems.push_back({ tr("Traffic back-end: %1").arg(profile.trafficBackend),
                CheckItem::Status::Failed, made.error() });
    }
    setup.backend = backend.get();

    m_tokenSource->setText(tr("Testing… (%1)").arg(sources));
    m_tokenSource->setProperty("sources", sources);
    auto *check = new onboarding::ConnectionCheck(std::move(setup), this);
    if (backend)
        backend.release()->setParent(check); // lives exactly as long as the check that reads it
    m_check = check;
    connect(check, &onboarding::ConnectionCheck::finished, this, &ProfilesDialog::onCheckFinished);
    check->start();
}

void ProfilesDialog::onCheckFinished(onboarding::CheckReport report)
{
    if (m_check) {
        m_check->deleteLater(); // finished() may come from within start()
        m_check = nullptr;
    }
    report.items.insert(report.items.end(), m_extraItems.begin(), m_extraItems.end());
    m_extraItems.clear();
    m_reportModel->setReport(report);
    m_reportView->resizeColumnToContents(CheckReportModel::FeatureColumn);
    const auto ok = std::count_if(
        report.items.begin(), report.items.end(), [](const CheckItem &item) { return item.isOk(); });
    m_tokenSource->setText(tr("%1 of %2 work. %3")
                               .arg(ok)
                               .arg(report.items.size())
                               .arg(m_tokenSource->property("sources").toString()));
    m_testing = false;
    // The one thing the test can fix itself: the per-build metric, when the token may create it.
    m_createMetric->setVisible(report.metricMissing && report.metricCreatable);
    updateButtons();
    Q_EMIT connectionTested(report);
}

void ProfilesDialog::createMetric()
{
    if (m_creatingMetric || m_testing)
        return;
    m_creatingMetric = true;
    updateButtons();
    setStatus(tr("Creating the per-build metric %1…").arg(m_testedProfile.metricSelector));
    auto setup = onboarding::MetricOnboardingSetup::fromTarget(m_testedProfile.toTarget(), m_testedToken);
    auto *onboarding = new onboarding::MetricOnboarding(std::move(setup), this);
    connect(onboarding, &onboarding::MetricOnboarding::finished, this,
        [this, onboarding](const onboarding::MetricOnboardingResult &result) {
            onboarding->deleteLater();
            m_creatingMetric = false;
            QString message;
            if (result) {
                message = tr("Created %1 on %2: it records from now on (no backfill), so the chart fills as "
                             "requests arrive.")
                              .arg(result->metric.tsmMetricKey, result->serviceName);
                m_createMetric->hide();
                setStatus(message);
            } else {
                message = result.error().text();
                setStatus(message, true);
            }
            updateButtons();
            Q_EMIT metricCreationFinished(bool(result), message);
            if (result)
                testConnection(); // the report now shows the metric
        });
    onboarding->start();
}

} // namespace canary::ui
