#include "profileform.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "awx/awxconfig.h"
#include "dynatrace/tokenlookup.h"
#include "net/redaction.h"
#include "net/restclient.h"
#include "profile/secretdestinations.h"
#include "profile/targetoptions.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

using profile::Profile;
using profile::ProfileProblem;
using secrets::SecretName;

namespace {

// The AWX secret field stands for the token or the password; problems about either land beside it.
const QString AwxSecretKey = u"awx-secret"_s;

QString problemKeyOf(const QString &key)
{
    if (key == secrets::secretNameText(SecretName::AwxToken)
        || key == secrets::secretNameText(SecretName::AwxPassword))
        return AwxSecretKey;
    return key;
}

QUrl urlFromText(const QString &text)
{
    const QString trimmed = text.trimmed();
    return trimmed.isEmpty() ? QUrl() : QUrl(trimmed);
}

const std::initializer_list<SecretName> AllSecrets { SecretName::DynatraceToken, SecretName::AwxToken,
    SecretName::AwxPassword, SecretName::KubeToken };

// Where the form names the origin of a secret, for the field's hints and the refusal of a homeless one.
QString urlFieldOf(SecretName name)
{
    switch (name) {
    case SecretName::DynatraceToken:
        return ProfileForm::tr("the environment URL");
    case SecretName::AwxToken:
    case SecretName::AwxPassword:
        return ProfileForm::tr("the AWX URL");
    case SecretName::KubeToken:
        break;
    }
    return ProfileForm::tr("the API server");
}

QPushButton *moveButtonIn(QWidget *parent, const QString &objectName)
{
    auto *move = new QPushButton(parent);
    move->setObjectName(objectName);
    move->setAutoDefault(false);
    move->hide();
    return move;
}

void setTextQuietly(QLineEdit *edit, const QString &text)
{
    // setText() does not emit textEdited: loading a profile is not an edit.
    edit->setText(text);
    edit->setCursorPosition(0);
}

} // namespace

ProfileForm::ProfileForm(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(u"profileForm"_s);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    m_builtInNote = new QLabel(
        tr("<b>Demo</b> is built-in; duplicate it to make your own. It runs the embedded simulator and "
           "needs no token."),
        this);
    m_builtInNote->setObjectName(u"builtInNote"_s);
    m_builtInNote->setWordWrap(true);
    m_builtInNote->hide();
    layout->addWidget(m_builtInNote);

    m_generalProblem = problemLabel(QString(), this);
    layout->addWidget(m_generalProblem);

    auto *nameForm = new QFormLayout;
    layout->addLayout(nameForm);
    m_name = addLine(nameForm, tr("&Name"), u"name"_s, u"profileName"_s);
    m_name->setPlaceholderText(tr("e.g. Prod EU"));
    m_name->setMaxLength(64);

    // Dynatrace: where the metrics come from and what is watched.
    m_dynatraceGroup = new QGroupBox(tr("Dynatrace"), this);
    auto *dynatrace = new QFormLayout(m_dynatraceGroup);
    m_dynatraceUrl = addLine(dynatrace, tr("Environment &URL"), u"dynatrace.url"_s, u"dynatraceUrl"_s);
    m_dynatraceUrl->setPlaceholderText(tr("https://<id>.live.dynatrace.com or https://<host>/e/<id>"));
    m_dynatraceUrlHint = new QLabel(m_dynatraceGroup);
    m_dynatraceUrlHint->setObjectName(u"dynatraceUrlHint"_s);
    m_dynatraceUrlHint->setWordWrap(true);
    m_dynatraceUrlHint->setTextFormat(Qt::PlainText);
    m_dynatraceUrlHint->hide();
    dynatrace->addRow(QString(), m_dynatraceUrlHint);

    m_dynatraceToken = new QLineEdit(m_dynatraceGroup);
    m_dynatraceToken->setObjectName(u"dynatraceToken"_s);
    m_dynatraceToken->setEchoMode(QLineEdit::Password);
    m_forgetDynatraceToken = new QPushButton(tr("Forget"), m_dynatraceGroup);
    m_forgetDynatraceToken->setObjectName(u"forgetDynatraceToken"_s);
    m_forgetDynatraceToken->setToolTip(tr("Remove the stored token from the keychain"));
    m_moveDynatraceToken = moveButtonIn(m_dynatraceGroup, u"moveDynatraceToken"_s);
    addRow(dynatrace, tr("API &token"),
        secretRow(m_dynatraceToken, m_forgetDynatraceToken, m_moveDynatraceToken),
        secrets::secretNameText(SecretName::DynatraceToken));
    connect(m_dynatraceToken, &QLineEdit::textEdited, this,
        [this] { onEdited(secrets::secretNameText(SecretName::DynatraceToken)); });
    connect(m_forgetDynatraceToken, &QPushButton::clicked, this,
        [this] { Q_EMIT forgetRequested(SecretName::DynatraceToken); });
    connect(m_moveDynatraceToken, &QPushButton::clicked, this,
        [this] { Q_EMIT moveRequested(SecretName::DynatraceToken); });

    m_entitySelector
        = addLine(dynatrace, tr("&Entity selector"), u"target.entity-selector"_s, u"entitySelector"_s);
    m_metricSelector
        = addLine(dynatrace, tr("&Metric selector"), u"target.metric-selector"_s, u"metricSelector"_s);
    m_failureMetric
        = addLine(dynatrace, tr("&Failure metric"), u"target.failure-metric"_s, u"failureMetricSelector"_s);
    m_failureMetric->setPlaceholderText(tr("empty: no failure rates, no failure-rate verdict"));
    m_responseTimeMetric = addLine(dynatrace, tr("Res&ponse-time metric"), u"target.response-time-metric"_s,
        u"responseTimeMetricSelector"_s);
    m_responseTimeMetric->setPlaceholderText(tr("empty: no response times, no response-time verdict"));
    m_buildDimension
        = addLine(dynatrace, tr("&Build dimension"), u"target.build-dimension"_s, u"buildDimension"_s);
    m_buildDimension->setPlaceholderText(tr("empty: from the metric's descriptor"));
    m_stableBuild = addLine(dynatrace, tr("&Stable build"), u"target.stable-build"_s, u"stableBuild"_s);
    m_stableBuild->setPlaceholderText(tr("empty: the older build"));
    m_canaryBuild = addLine(dynatrace, tr("&Canary build"), u"target.canary-build"_s, u"canaryBuild"_s);
    m_canaryBuild->setPlaceholderText(tr("empty: the newer build"));
    m_refresh = new QSpinBox(m_dynatraceGroup);
    m_refresh->setObjectName(u"refresh"_s);
    m_refresh->setRange(5, 24 * 3600);
    m_refresh->setSuffix(tr(" s"));
    addRow(dynatrace, tr("&Refresh every"), m_refresh, u"refresh"_s);
    connect(m_refresh, &QSpinBox::valueChanged, this, [this] {
        if (m_refresh->hasFocus())
            onEdited(u"refresh"_s);
    });
    m_from = addLine(dynatrace, tr("&Window from"), u"from"_s, u"from"_s);
    m_resolution = addLine(dynatrace, tr("Reso&lution"), u"resolution"_s, u"resolution"_s);
    m_resolution->setPlaceholderText(tr("empty: Dynatrace's default"));
    layout->addWidget(m_dynatraceGroup);

    // Traffic: where the split lives; only the chosen back-end's fields are shown.
    m_trafficGroup = new QGroupBox(tr("Traffic"), this);
    m_trafficForm = new QFormLayout(m_trafficGroup);
    m_backend = new QComboBox(m_trafficGroup);
    m_backend->setObjectName(u"trafficBackend"_s);
    m_backend->addItem(tr("Simulator (sim)"), u"sim"_s);
    m_backend->addItem(tr("AWX job template (awx)"), u"awx"_s);
    m_backend->addItem(tr("Kubernetes object (kubernetes)"), u"kubernetes"_s);
    addRow(m_trafficForm, tr("Back-&end"), m_backend, u"traffic.backend"_s);
    connect(m_backend, &QComboBox::activated, this, [this] {
        updateVisibility();
        onEdited(u"traffic.backend"_s);
    });
    m_awxTemplate = addLine(m_trafficForm, tr("Job te&mplate"), u"awx.template"_s, u"awxTemplate"_s);
    m_awxTemplate->setPlaceholderText(tr("name or id of the template that sets the weight"));
    m_awxTemplateRow = m_awxTemplate->parentWidget();
    m_awxCanaryVar = addLine(m_trafficForm, tr("Canary weight var"), u"awx.canary-var"_s, u"awxCanaryVar"_s);
    m_awxCanaryVarRow = m_awxCanaryVar->parentWidget();
    m_awxOldVar = addLine(m_trafficForm, tr("Stable weight var"), u"awx.old-var"_s, u"awxOldVar"_s);
    m_awxOldVarRow = m_awxOldVar->parentWidget();
    m_kubeObject = addLine(m_trafficForm, tr("&Object"), u"kube.object"_s, u"kubeObject"_s);
    m_kubeObject->setPlaceholderText(u"ingress/NS/NAME, traefikservice/NS/NAME, httproute/NS/NAME"_s);
    m_kubeObjectRow = m_kubeObject->parentWidget();
    m_kubeContext = addLine(m_trafficForm, tr("Conte&xt"), u"kube.context"_s, u"kubeContext"_s);
    m_kubeContext->setPlaceholderText(tr("empty: the kubeconfig's current-context"));
    m_kubeContextRow = m_kubeContext->parentWidget();
    m_kubeServer = addLine(m_trafficForm, tr("API ser&ver"), u"kube.server"_s, u"kubeServer"_s);
    m_kubeServer->setPlaceholderText(tr("empty: the kubeconfig; otherwise its token comes from KUBE_TOKEN"));
    m_kubeServerRow = m_kubeServer->parentWidget();
    // The token goes to the API server above and nowhere else, so it sits right under it.
    m_kubeToken = new QLineEdit(m_trafficGroup);
    m_kubeToken->setObjectName(u"kubeToken"_s);
    m_kubeToken->setEchoMode(QLineEdit::Password);
    m_forgetKubeToken = new QPushButton(tr("Forget"), m_trafficGroup);
    m_forgetKubeToken->setObjectName(u"forgetKubeToken"_s);
    m_forgetKubeToken->setToolTip(tr("Remove the stored token from the keychain"));
    m_moveKubeToken = moveButtonIn(m_trafficGroup, u"moveKubeToken"_s);
    m_kubeTokenRow = addRow(m_trafficForm, tr("API server to&ken"),
        secretRow(m_kubeToken, m_forgetKubeToken, m_moveKubeToken),
        secrets::secretNameText(SecretName::KubeToken));
    connect(m_kubeToken, &QLineEdit::textEdited, this,
        [this] { onEdited(secrets::secretNameText(SecretName::KubeToken)); });
    connect(m_forgetKubeToken, &QPushButton::clicked, this,
        [this] { Q_EMIT forgetRequested(SecretName::KubeToken); });
    connect(m_moveKubeToken, &QPushButton::clicked, this,
        [this] { Q_EMIT moveRequested(SecretName::KubeToken); });
    layout->addWidget(m_trafficGroup);

    // AWX: moves traffic with the awx back-end and runs backout plans whatever the back-end.
    m_awxGroup = new QGroupBox(tr("AWX / Automation Controller"), this);
    m_awxForm = new QFormLayout(m_awxGroup);
    m_awxUrl = addLine(m_awxForm, tr("AWX U&RL"), u"awx.url"_s, u"awxUrl"_s);
    m_awxUrl->setPlaceholderText(tr("empty: CONTROLLER_HOST"));
    m_awxUrlHint = new QLabel(m_awxGroup);
    m_awxUrlHint->setObjectName(u"awxUrlHint"_s);
    m_awxUrlHint->setWordWrap(true);
    m_awxUrlHint->setTextFormat(Qt::PlainText);
    m_awxUrlHint->hide();
    m_awxForm->addRow(QString(), m_awxUrlHint);
    m_awxApiPath = new QComboBox(m_awxGroup);
    m_awxApiPath->setObjectName(u"awxApiPath"_s);
    m_awxApiPath->addItem(
        tr("%1 (AWX)").arg(awx::AwxConfig::AwxApiPath), awx::AwxConfig::AwxApiPath.toString());
    m_awxApiPath->addItem(tr("%1 (AAP 2.5+ gateway)").arg(awx::AwxConfig::GatewayApiPath),
        awx::AwxConfig::GatewayApiPath.toString());
    addRow(m_awxForm, tr("API &path"), m_awxApiPath, u"awx.api-path"_s);
    connect(m_awxApiPath, &QComboBox::activated, this, [this] { onEdited(u"awx.api-path"_s); });
    m_awxAuth = new QComboBox(m_awxGroup);
    m_awxAuth->setObjectName(u"awxAuth"_s);
    m_awxAuth->addItem(tr("Token (OAuth2 / gateway)"), u"token"_s);
    m_awxAuth->addItem(tr("User name and password"), u"basic"_s);
    addRow(m_awxForm, tr("&Authentication"), m_awxAuth, u"awx.auth"_s);
    connect(m_awxAuth, &QComboBox::activated, this, [this] {
        // The field now stands for the other secret: what was typed for the first is not the second.
        m_awxSecret->clear();
        updateVisibility();
        updateSecretField(awxSecretName());
        onEdited(u"awx.auth"_s);
    });
    m_awxUsername = addLine(m_awxForm, tr("User na&me"), u"awx.username"_s, u"awxUsername"_s);
    m_awxUsername->setPlaceholderText(tr("empty: CONTROLLER_USERNAME"));
    m_awxUsernameRow = m_awxUsername->parentWidget();
    m_awxSecret = new QLineEdit(m_awxGroup);
    m_awxSecret->setObjectName(u"awxSecret"_s);
    m_awxSecret->setEchoMode(QLineEdit::Password);
    m_forgetAwxSecret = new QPushButton(tr("Forget"), m_awxGroup);
    m_forgetAwxSecret->setObjectName(u"forgetAwxSecret"_s);
    m_moveAwxSecret = moveButtonIn(m_awxGroup, u"moveAwxSecret"_s);
    QWidget *awxSecretRow = addRow(
        m_awxForm, tr("AWX token"), secretRow(m_awxSecret, m_forgetAwxSecret, m_moveAwxSecret), AwxSecretKey);
    m_awxSecretLabel = qobject_cast<QLabel *>(m_awxForm->labelForField(awxSecretRow));
    connect(m_awxSecret, &QLineEdit::textEdited, this, [this] { onEdited(AwxSecretKey); });
    connect(
        m_forgetAwxSecret, &QPushButton::clicked, this, [this] { Q_EMIT forgetRequested(awxSecretName()); });
    connect(m_moveAwxSecret, &QPushButton::clicked, this, [this] { Q_EMIT moveRequested(awxSecretName()); });
    layout->addWidget(m_awxGroup);

    // Rollback: what may run, and whether it asks first.
    m_rollbackGroup = new QGroupBox(tr("Rollback"), this);
    auto *rollback = new QFormLayout(m_rollbackGroup);
    m_allowedOrigins = new QPlainTextEdit(m_rollbackGroup);
    m_allowedOrigins->setObjectName(u"allowedOrigins"_s);
    m_allowedOrigins->setPlaceholderText(tr("one origin per line, e.g. https://gitlab.example.com"));
    m_allowedOrigins->setTabChangesFocus(true);
    m_allowedOrigins->setFixedHeight(m_allowedOrigins->fontMetrics().lineSpacing() * 4);
    addRow(rollback, tr("Also &trusted"), m_allowedOrigins, u"rollback.allow-origin"_s);
    connect(m_allowedOrigins, &QPlainTextEdit::textChanged, this, [this] {
        if (m_allowedOrigins->hasFocus())
            onEdited(u"rollback.allow-origin"_s);
    });
    // Events choose the plan; these bound what the AWX token may be made to launch.
    m_allowedTemplates = new QPlainTextEdit(m_rollbackGroup);
    m_allowedTemplates->setObjectName(u"allowedTemplates"_s);
    m_allowedTemplates->setPlaceholderText(
        tr("one job template per line, by id or exact name, e.g. 9 or Reset canary weighting; none: any "
           "template an event names"));
    m_allowedTemplates->setTabChangesFocus(true);
    m_allowedTemplates->setFixedHeight(m_allowedTemplates->fontMetrics().lineSpacing() * 4);
    addRow(rollback, tr("Only these &job templates"), m_allowedTemplates, u"rollback.allow-template"_s);
    connect(m_allowedTemplates, &QPlainTextEdit::textChanged, this, [this] {
        if (m_allowedTemplates->hasFocus())
            onEdited(u"rollback.allow-template"_s);
    });
    m_planSource = new QLineEdit(m_rollbackGroup);
    m_planSource->setObjectName(u"planSource"_s);
    m_planSource->setPlaceholderText(tr("dt.event.source, e.g. Jenkins; empty: any"));
    addRow(rollback, tr("Plans onl&y from"), m_planSource, u"rollback.plan-source"_s);
    connect(m_planSource, &QLineEdit::textEdited, this, [this] { onEdited(u"rollback.plan-source"_s); });
    m_confirmRollback = new QCheckBox(tr("Ask before rolling back"), m_rollbackGroup);
    m_confirmRollback->setObjectName(u"confirmRollback"_s);
    addRow(rollback, QString(), m_confirmRollback, u"rollback.confirm"_s);
    connect(m_confirmRollback, &QCheckBox::clicked, this, [this] { onEdited(u"rollback.confirm"_s); });
    m_autoRemediate
        = new QCheckBox(tr("Roll back automatically when an ERROR problem opens"), m_rollbackGroup);
    m_autoRemediate->setObjectName(u"autoRemediate"_s);
    addRow(rollback, QString(), m_autoRemediate, u"auto-remediation.enabled"_s);
    connect(m_autoRemediate, &QCheckBox::clicked, this, [this] {
        updateVisibility();
        onEdited(u"auto-remediation.enabled"_s);
    });
    m_countdown = new QSpinBox(m_rollbackGroup);
    m_countdown->setObjectName(u"countdown"_s);
    m_countdown->setRange(5, 3600);
    m_countdown->setSuffix(tr(" s"));
    addRow(rollback, tr("After a &countdown of"), m_countdown, u"auto-remediation.countdown"_s);
    connect(m_countdown, &QSpinBox::valueChanged, this, [this] {
        if (m_countdown->hasFocus())
            onEdited(u"auto-remediation.countdown"_s);
    });
    layout->addWidget(m_rollbackGroup);

    // Guard-rails: what an increase of the canary's share must respect (docs/guardrails.md).
    m_guardGroup = new QGroupBox(tr("Guard-rails on increases"), this);
    auto *guard = new QFormLayout(m_guardGroup);
    const auto addCheck
        = [this, guard](QCheckBox *&box, const QString &text, const QString &objectName, const QString &key) {
              box = new QCheckBox(text, m_guardGroup);
              box->setObjectName(objectName);
              addRow(guard, QString(), box, key);
              connect(box, &QCheckBox::clicked, this, [this, key] {
                  updateVisibility();
                  onEdited(key);
              });
          };
    const auto addSpin = [this, guard](QSpinBox *&spin, const QString &label, int min, int max,
                             const QString &suffix, const QString &objectName, const QString &key) {
        spin = new QSpinBox(m_guardGroup);
        spin->setObjectName(objectName);
        spin->setRange(min, max);
        spin->setSuffix(suffix);
        addRow(guard, label, spin, key);
        connect(spin, &QSpinBox::valueChanged, this, [this, spin, key] {
            if (spin->hasFocus())
                onEdited(key);
        });
    };
    addCheck(m_guardEnabled, tr("Check every increase (decreases and rollbacks are never blocked)"),
        u"guardEnabled"_s, u"guard.enabled"_s);
    addSpin(m_guardMaxStep, tr("Largest &step up"), 1, 100, tr(" points"), u"guardMaxStep"_s,
        u"guard.max-step"_s);
    addSpin(m_guardMinInterval, tr("&Time between increases"), 0, 86'400, tr(" s"), u"guardMinInterval"_s,
        u"guard.min-interval"_s);
    addCheck(m_guardFreezeOnProblem, tr("Freeze increases while a problem is open"),
        u"guardFreezeOnProblem"_s, u"guard.freeze-on-problem"_s);
    addCheck(m_guardFreezeOnStale, tr("Freeze increases while the data is stale"), u"guardFreezeOnStale"_s,
        u"guard.freeze-on-stale"_s);
    addCheck(m_guardFreezeOnFail, tr("Freeze increases while the verdict is FAIL"), u"guardFreezeOnFail"_s,
        u"guard.freeze-on-fail"_s);
    layout->addWidget(m_guardGroup);

    // Security: whom to trust on the wire.
    m_securityGroup = new QGroupBox(tr("Security"), this);
    auto *security = new QFormLayout(m_securityGroup);
    m_caBundle = new QLineEdit(m_securityGroup);
    m_caBundle->setObjectName(u"caBundle"_s);
    m_caBundle->setPlaceholderText(tr("empty: the system's CAs"));
    m_browseCaBundle = new QPushButton(tr("Browse…"), m_securityGroup);
    m_browseCaBundle->setObjectName(u"browseCaBundle"_s);
    auto *caRow = new QWidget(m_securityGroup);
    auto *caLayout = new QHBoxLayout(caRow);
    caLayout->setContentsMargins(0, 0, 0, 0);
    caLayout->addWidget(m_caBundle, 1);
    caLayout->addWidget(m_browseCaBundle);
    addRow(security, tr("CA &bundle (PEM)"), caRow, u"tls.ca-bundle"_s);
    connect(m_caBundle, &QLineEdit::textEdited, this, [this] { onEdited(u"tls.ca-bundle"_s); });
    connect(m_browseCaBundle, &QPushButton::clicked, this, &ProfileForm::chooseCaBundle);
    m_allowInsecureTls = new QCheckBox(tr("Allow insecure TLS (skip certificate checks)"), m_securityGroup);
    m_allowInsecureTls->setObjectName(u"allowInsecureTls"_s);
    addRow(security, QString(), m_allowInsecureTls, u"tls.allow-insecure"_s);
    m_insecureWarning = new QLabel(
        tr("Certificates are not checked: anyone on the network path can read the token and change what "
           "you see. Use a CA bundle instead when you can."),
        m_securityGroup);
    m_insecureWarning->setObjectName(u"insecureTlsWarning"_s);
    m_insecureWarning->setWordWrap(true);
    m_insecureWarning->setStyleSheet(u"color: #c62828; font-weight: bold;"_s);
    m_insecureWarning->hide();
    security->addRow(QString(), m_insecureWarning);
    connect(m_allowInsecureTls, &QCheckBox::clicked, this, [this] {
        updateVisibility();
        onEdited(u"tls.allow-insecure"_s);
    });
    layout->addWidget(m_securityGroup);
    layout->addStretch(1);

    for (const SecretName name : AllSecrets)
        m_secretStates.insert(name, SecretState::Unknown);
    setProfile(Profile {}, false);
}

ProfileForm::~ProfileForm() = default;

QLabel *ProfileForm::problemLabel(const QString &key, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(u"problem:"_s + key);
    label->setWordWrap(true);
    label->setTextFormat(Qt::PlainText);
    label->setStyleSheet(u"color: #c62828;"_s);
    label->hide();
    m_problemLabels.insert(key, label);
    return label;
}

QWidget *ProfileForm::addRow(QFormLayout *form, const QString &label, QWidget *field, const QString &key)
{
    // The field and its problem stay together, so hiding the row hides both.
    auto *row = new QWidget(form->parentWidget() ? form->parentWidget() : this);
    auto *rowLayout = new QVBoxLayout(row);
    rowLayout->setContentsMargins(0, 0, 0, 0);
    rowLayout->setSpacing(2);
    field->setParent(row);
    rowLayout->addWidget(field);
    rowLayout->addWidget(problemLabel(key, row));
    if (label.isEmpty())
        form->addRow(row);
    else
        form->addRow(label, row);
    return row;
}

QLineEdit *ProfileForm::addLine(
    QFormLayout *form, const QString &label, const QString &key, const QString &objectName)
{
    auto *edit = new QLineEdit(this);
    edit->setObjectName(objectName);
    addRow(form, label, edit, key);
    m_lineEdits.insert(key, edit);
    connect(edit, &QLineEdit::textEdited, this, [this, key] { onEdited(key); });
    return edit;
}

QWidget *ProfileForm::secretRow(QLineEdit *edit, QPushButton *forget, QPushButton *move)
{
    auto *row = new QWidget(this);
    auto *rowLayout = new QVBoxLayout(row);
    rowLayout->setContentsMargins(0, 0, 0, 0);
    rowLayout->setSpacing(2);
    auto *line = new QHBoxLayout;
    edit->setParent(row);
    forget->setParent(row);
    move->setParent(row);
    line->addWidget(edit, 1);
    line->addWidget(forget);
    rowLayout->addLayout(line);
    // Offered only while the stored secret belongs to another origin than the one the form names.
    rowLayout->addWidget(move, 0, Qt::AlignLeft);
    return row;
}

void ProfileForm::setProfile(const Profile &profile, bool builtIn)
{
    m_loaded = profile;
    m_builtIn = builtIn;
    m_revealAll = false;
    m_touched.clear();

    setTextQuietly(m_name, profile.name);
    setTextQuietly(m_dynatraceUrl, profile.dynatraceUrl.toString());
    m_dynatraceToken->clear();
    setTextQuietly(m_entitySelector, profile.entitySelector);
    setTextQuietly(m_metricSelector, profile.metricSelector);
    setTextQuietly(m_failureMetric, profile.failureMetricSelector);
    setTextQuietly(m_responseTimeMetric, profile.responseTimeMetricSelector);
    setTextQuietly(m_buildDimension, profile.buildDimension);
    setTextQuietly(m_stableBuild, profile.stableBuild);
    setTextQuietly(m_canaryBuild, profile.canaryBuild);
    m_refresh->setValue(profile.refreshSeconds);
    setTextQuietly(m_from, profile.from);
    setTextQuietly(m_resolution, profile.resolution);

    m_backend->setCurrentIndex(std::max(0, m_backend->findData(profile.trafficBackend)));
    setTextQuietly(m_awxTemplate, profile.awxTemplate);
    setTextQuietly(m_awxCanaryVar, profile.awxCanaryVar);
    setTextQuietly(m_awxOldVar, profile.awxOldVar);
    setTextQuietly(m_kubeObject, profile.kubeObject);
    setTextQuietly(m_kubeContext, profile.kubeContext);
    setTextQuietly(m_kubeServer, profile.kubeServer.toString());
    m_kubeToken->clear();

    setTextQuietly(m_awxUrl, profile.awxUrl.toString());
    m_awxApiPath->setCurrentIndex(std::max(0, m_awxApiPath->findData(profile.awxApiPath)));
    m_awxAuth->setCurrentIndex(std::max(0, m_awxAuth->findData(profile.awxAuth)));
    setTextQuietly(m_awxUsername, profile.awxUsername);
    m_awxSecret->clear();

    {
        const QSignalBlocker blocker(m_allowedOrigins);
        m_allowedOrigins->setPlainText(profile.allowedOrigins.join(u'\n'));
    }
    {
        const QSignalBlocker blocker(m_allowedTemplates);
        m_allowedTemplates->setPlainText(profile.allowedTemplates.join(u'\n'));
    }
    setTextQuietly(m_planSource, profile.planEventSource);
    m_confirmRollback->setChecked(profile.confirmRollback);
    m_autoRemediate->setChecked(profile.autoRemediate);
    m_countdown->setValue(profile.countdownSeconds);

    m_guardEnabled->setChecked(profile.guardEnabled);
    {
        const QSignalBlocker step(m_guardMaxStep);
        const QSignalBlocker interval(m_guardMinInterval);
        m_guardMaxStep->setValue(profile.guardMaxStepPercent);
        m_guardMinInterval->setValue(profile.guardMinIntervalSeconds);
    }
    m_guardFreezeOnProblem->setChecked(profile.guardFreezeOnProblem);
    m_guardFreezeOnStale->setChecked(profile.guardFreezeOnStale);
    m_guardFreezeOnFail->setChecked(profile.guardFreezeOnFail);

    setTextQuietly(m_caBundle, profile.caBundle);
    m_allowInsecureTls->setChecked(profile.allowInsecureTls);

    m_builtInNote->setVisible(builtIn);
    for (QWidget *group : std::initializer_list<QWidget *> {
             m_dynatraceGroup, m_trafficGroup, m_awxGroup, m_rollbackGroup, m_guardGroup, m_securityGroup })
        group->setEnabled(!builtIn);
    m_name->setReadOnly(builtIn);
    m_name->setEnabled(!builtIn);

    for (const SecretName name : AllSecrets)
        m_secretStates[name] = SecretState::Unknown;
    m_storedOrigins.clear();
    m_movesTo.clear();
    showProblems({});
    updateVisibility();
    updateSecretFields();
    updateHints();
}

Profile ProfileForm::profile() const
{
    // Starts from the profile as loaded: a setting this form does not show (a newer key, one only a file
    // or canaryctl sets) is kept rather than reset to its default on save.
    Profile profile = m_loaded;
    profile.name = m_name->text();
    profile.dynatraceUrl = urlFromText(m_dynatraceUrl->text());
    profile.entitySelector = m_entitySelector->text();
    profile.metricSelector = m_metricSelector->text();
    profile.failureMetricSelector = m_failureMetric->text();
    profile.responseTimeMetricSelector = m_responseTimeMetric->text();
    profile.buildDimension = m_buildDimension->text();
    profile.stableBuild = m_stableBuild->text();
    profile.canaryBuild = m_canaryBuild->text();
    profile.refreshSeconds = m_refresh->value();
    profile.from = m_from->text();
    profile.resolution = m_resolution->text();

    profile.trafficBackend = m_backend->currentData().toString();
    profile.awxTemplate = m_awxTemplate->text();
    profile.awxCanaryVar = m_awxCanaryVar->text();
    profile.awxOldVar = m_awxOldVar->text();
    profile.kubeObject = m_kubeObject->text();
    profile.kubeContext = m_kubeContext->text();
    profile.kubeServer = urlFromText(m_kubeServer->text());

    profile.awxUrl = urlFromText(m_awxUrl->text());
    profile.awxApiPath = m_awxApiPath->currentData().toString();
    profile.awxAuth = m_awxAuth->currentData().toString();
    profile.awxUsername = m_awxUsername->text();

    for (const QString &line : m_allowedOrigins->toPlainText().split(u'\n')) {
        if (!line.trimmed().isEmpty())
            profile.allowedOrigins.append(line.trimmed());
    }
    for (const QString &line : m_allowedTemplates->toPlainText().split(u'\n')) {
        if (!line.trimmed().isEmpty())
            profile.allowedTemplates.append(line.trimmed());
    }
    profile.planEventSource = m_planSource->text();
    profile.confirmRollback = m_confirmRollback->isChecked();
    profile.autoRemediate = m_autoRemediate->isChecked();
    profile.countdownSeconds = m_countdown->value();

    profile.guardEnabled = m_guardEnabled->isChecked();
    profile.guardMaxStepPercent = m_guardMaxStep->value();
    profile.guardMinIntervalSeconds = m_guardMinInterval->value();
    profile.guardFreezeOnProblem = m_guardFreezeOnProblem->isChecked();
    profile.guardFreezeOnStale = m_guardFreezeOnStale->isChecked();
    profile.guardFreezeOnFail = m_guardFreezeOnFail->isChecked();

    profile.caBundle = m_caBundle->text();
    profile.allowInsecureTls = m_allowInsecureTls->isChecked();
    return profile;
}

SecretName ProfileForm::awxSecretName() const
{
    return m_awxAuth->currentData().toString() == u"basic"_s ? SecretName::AwxPassword : SecretName::AwxToken;
}

QLineEdit *ProfileForm::secretEdit(SecretName name) const
{
    if (name == SecretName::DynatraceToken)
        return m_dynatraceToken;
    if (name == SecretName::KubeToken)
        return m_kubeToken;
    return name == awxSecretName() ? m_awxSecret : nullptr;
}

QString ProfileForm::typedSecret(SecretName name) const
{
    const QLineEdit *edit = secretEdit(name);
    return edit ? edit->text().trimmed() : QString();
}

void ProfileForm::clearTypedSecrets()
{
    m_dynatraceToken->clear();
    m_awxSecret->clear();
    m_kubeToken->clear();
    updateHints();
}

void ProfileForm::setSecretState(
    SecretName name, SecretState state, const QString &detail, const QString &storedFor)
{
    m_secretStates[name] = state;
    m_storedOrigins[name]
        = state == SecretState::Stored || state == SecretState::SessionOnly ? storedFor : QString();
    if (m_storedOrigins[name].isEmpty())
        m_movesTo.remove(name);
    updateSecretField(name);
    if (QLineEdit *edit = secretEdit(name); edit && !detail.isEmpty())
        edit->setToolTip(detail);
}

ProfileForm::SecretState ProfileForm::secretState(SecretName name) const
{
    return m_secretStates.value(name, SecretState::Unknown);
}

QString ProfileForm::currentOrigin(SecretName name) const
{
    return profile::secretOrigin(profile().normalised(), name);
}

bool ProfileForm::isStoredElsewhere(SecretName name) const
{
    const QString stored = storedOrigin(name);
    return !stored.isEmpty() && stored != currentOrigin(name);
}

void ProfileForm::setMoveConfirmed(SecretName name, const QString &origin)
{
    if (origin.isEmpty())
        m_movesTo.remove(name);
    else
        m_movesTo.insert(name, origin);
    updateSecretField(name);
}

bool ProfileForm::movesNow(SecretName name) const
{
    const QString to = moveConfirmedTo(name);
    return !to.isEmpty() && isStoredElsewhere(name) && to == currentOrigin(name);
}

QPushButton *ProfileForm::moveButton(SecretName name) const
{
    if (name == SecretName::DynatraceToken)
        return m_moveDynatraceToken;
    if (name == SecretName::KubeToken)
        return m_moveKubeToken;
    return name == awxSecretName() ? m_moveAwxSecret : nullptr;
}

void ProfileForm::updateSecretFields()
{
    updateSecretField(SecretName::DynatraceToken);
    updateSecretField(awxSecretName());
    updateSecretField(SecretName::KubeToken);
}

void ProfileForm::updateSecretField(SecretName name)
{
    QLineEdit *edit = secretEdit(name);
    if (!edit)
        return;
    const SecretState state = secretState(name);
    const bool token = name != SecretName::AwxPassword;
    const QString origin = currentOrigin(name);
    const QString stored = storedOrigin(name);
    QString placeholder;
    QString move;
    switch (state) {
    case SecretState::Unknown:
        placeholder = m_builtIn ? tr("not needed") : tr("asking the keychain…");
        break;
    case SecretState::None:
        placeholder = name == SecretName::DynatraceToken ? tr("not set: paste an access token (dt0c01.…)")
            : name == SecretName::KubeToken              ? tr("not set: paste the API server's bearer token")
            : token                                      ? tr("not set: paste the AWX token")
                                                         : tr("not set: type the AWX password");
        break;
    case SecretState::Stored:
    case SecretState::SessionOnly:
        if (!stored.isEmpty() && stored != origin) {
            // The stored secret is never sent to another origin than its own: the field asks again, and
            // moving it is a separate, confirmed step (ProfilesDialog).
            const QString to = origin.isEmpty() ? tr("an unset URL") : origin;
            if (!origin.isEmpty() && moveConfirmedTo(name) == origin) {
                placeholder = tr("saved for %1: moves to %2 when you save").arg(stored, origin);
            } else {
                placeholder = origin.isEmpty()
                    ? tr("saved for %1: not sent to %2").arg(stored, to)
                    : tr("saved for %1: not sent to %2. Paste the token for %2").arg(stored, to);
                if (!origin.isEmpty())
                    move = token ? tr("Move the saved token to %1…").arg(origin)
                                 : tr("Move the saved password to %1…").arg(origin);
            }
        } else if (state == SecretState::SessionOnly) {
            placeholder = tr("kept for this session only");
        } else {
            placeholder = tr("stored in the keychain");
        }
        break;
    case SecretState::Unavailable:
        placeholder = tr("keychain unavailable");
        break;
    }
    if (state == SecretState::None && origin.isEmpty() && !m_builtIn)
        placeholder = tr("set %1 first: a saved secret belongs to one origin").arg(urlFieldOf(name));
    edit->setPlaceholderText(placeholder);
    // The placeholder disappears once something is typed; the tooltip keeps saying whose secret is stored.
    edit->setToolTip(stored.isEmpty() ? QString() : tr("The stored one is for %1 only.").arg(stored));
    QPushButton *forget = name == SecretName::DynatraceToken ? m_forgetDynatraceToken
        : name == SecretName::KubeToken                      ? m_forgetKubeToken
                                                             : m_forgetAwxSecret;
    forget->setEnabled(state == SecretState::Stored || state == SecretState::SessionOnly);
    QPushButton *moveButton = this->moveButton(name);
    moveButton->setText(move);
    moveButton->setVisible(!move.isEmpty());
    if (name != SecretName::DynatraceToken && m_awxSecretLabel)
        m_awxSecretLabel->setText(token ? tr("AWX token") : tr("AWX password"));
}

void ProfileForm::touch(const QString &key)
{
    m_touched.insert(problemKeyOf(key));
}

void ProfileForm::onEdited(const QString &key)
{
    touch(key);
    updateHints();
    // The fields follow the URLs as they are typed: a changed origin is said at once, not on Save.
    updateSecretFields();
    Q_EMIT edited();
}

void ProfileForm::updateVisibility()
{
    const QString backend = m_backend->currentData().toString();
    for (QWidget *row : { m_awxTemplateRow, m_awxCanaryVarRow, m_awxOldVarRow })
        m_trafficForm->setRowVisible(row, backend == u"awx"_s);
    for (QWidget *row : { m_kubeObjectRow, m_kubeContextRow, m_kubeServerRow, m_kubeTokenRow })
        m_trafficForm->setRowVisible(row, backend == u"kubernetes"_s);
    m_awxForm->setRowVisible(m_awxUsernameRow, m_awxAuth->currentData().toString() == u"basic"_s);
    m_countdown->setEnabled(m_autoRemediate->isChecked());
    for (QWidget *rule : std::initializer_list<QWidget *> { m_guardMaxStep, m_guardMinInterval,
             m_guardFreezeOnProblem, m_guardFreezeOnStale, m_guardFreezeOnFail })
        rule->setEnabled(m_guardEnabled->isChecked());
    m_insecureWarning->setVisible(m_allowInsecureTls->isChecked());
}

void ProfileForm::updateHints()
{
    // What the store will make of a pasted URL, said before saving rather than discovered after.
    const QString urlText = m_dynatraceUrl->text().trimmed();
    QString hint;
    if (!urlText.isEmpty()) {
        const auto url = profile::normaliseDynatraceUrl(urlText);
        if (url && url->userInfo().isEmpty()) {
            if (url->toString() != urlText)
                hint = tr("will be saved as %1").arg(url->toString());
            if (const QString refusal = net::transportPolicyError(*url); !refusal.isEmpty())
                hint = hint.isEmpty() ? refusal : hint + u"; "_s + refusal;
        }
    } else if (!m_builtIn) {
        hint = tr("empty: the embedded simulator");
    }
    m_dynatraceUrlHint->setText(hint);
    m_dynatraceUrlHint->setVisible(!hint.isEmpty());

    QString awxHint;
    const Profile normalised = profile().normalised();
    if (!m_awxUrl->text().trimmed().isEmpty() && normalised.awxUrl.isValid()
        && !normalised.awxUrl.host().isEmpty()) {
        const QString shown = normalised.awxUrl.toString();
        if (shown != m_awxUrl->text().trimmed()
            || normalised.awxApiPath != m_awxApiPath->currentData().toString())
            awxHint = tr("will be saved as %1 with the API path %2").arg(shown, normalised.awxApiPath);
    }
    m_awxUrlHint->setText(awxHint);
    m_awxUrlHint->setVisible(!awxHint.isEmpty());
}

QList<ProfileProblem> ProfileForm::problems() const
{
    const Profile normalised = profile().normalised();
    QList<ProfileProblem> problems = normalised.problems();
    const QString token = typedSecret(SecretName::DynatraceToken);
    if (!token.isEmpty()) {
        if (const QString problem = dynatrace::tokenKindProblem(token); !problem.isEmpty())
            problems.append({ secrets::secretNameText(SecretName::DynatraceToken), problem });
    }
    // ProfileSaver refuses a typed secret that would belong to no origin (an empty AWX URL means
    // CONTROLLER_HOST, which is not the profile's to bind): said beside the field, before Save.
    for (const SecretName name : { SecretName::DynatraceToken, awxSecretName(), SecretName::KubeToken }) {
        if (!typedSecret(name).isEmpty() && profile::secretOrigin(normalised, name).isEmpty())
            problems.append({ secrets::secretNameText(name),
                tr("set %1 first: a saved secret belongs to one origin and is only ever sent there")
                    .arg(urlFieldOf(name)) });
    }
    return problems;
}

void ProfileForm::showProblems(const QList<ProfileProblem> &problems)
{
    QHash<QString, QStringList> byKey;
    for (const ProfileProblem &problem : problems) {
        const QString key = problemKeyOf(problem.key);
        if (m_revealAll || m_touched.contains(key) || key.isEmpty())
            // A problem may quote the value (a URL, a selector): a token typed into the wrong field is
            // named, never shown.
            byKey[m_problemLabels.contains(key) ? key : QString()].append(withoutValue(key, problem.message));
    }
    for (auto it = m_problemLabels.cbegin(); it != m_problemLabels.cend(); ++it) {
        const QStringList messages = byKey.value(it.key());
        it.value()->setText(messages.join(u'\n'));
        it.value()->setVisible(!messages.isEmpty());
    }
}

QString ProfileForm::withoutValue(const QString &key, const QString &message) const
{
    // A problem names what is wrong, not what was typed: a token pasted into the wrong field (the one place
    // a value is both unexpected and secret) must not be repeated beside it. Known shapes are masked
    // wherever they are; the field's own text whatever its shape.
    QString shown = net::redactSecrets(message);
    if (const QLineEdit *edit = m_lineEdits.value(key); edit) {
        const QString value = edit->text().trimmed();
        if (value.size() >= net::MinimumRegisteredSecretLength)
            shown.replace(value, u"…"_s);
    }
    return shown;
}

void ProfileForm::revealAllProblems()
{
    m_revealAll = true;
}

QString ProfileForm::shownProblem(const QString &key) const
{
    const QLabel *label = m_problemLabels.value(problemKeyOf(key));
    return label && !label->isHidden() ? label->text() : QString();
}

void ProfileForm::setCaBundleChooser(std::function<QString(const QString &)> chooser)
{
    m_caBundleChooser = std::move(chooser);
}

void ProfileForm::chooseCaBundle()
{
    if (!m_caBundleChooser)
        return;
    const QString path = m_caBundleChooser(m_caBundle->text().trimmed());
    if (path.isEmpty())
        return;
    m_caBundle->setText(path);
    onEdited(u"tls.ca-bundle"_s);
}

} // namespace canary::ui
