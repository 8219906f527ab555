#include "problembanner.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

#include "net/redaction.h"
#include "timelinemodel.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

ProblemBanner::ProblemBanner(const Clock &clock, QWidget *parent)
    : QWidget(parent)
    , m_clock(clock)
    , m_icon(new QLabel(this))
    , m_title(new QLabel(this))
    , m_severity(new QLabel(this))
    , m_age(new QLabel(this))
    , m_more(new QLabel(this))
    , m_show(new QPushButton(tr("Show in timeline"), this))
    , m_open(new QPushButton(tr("Open in Dynatrace"), this))
{
    m_title->setObjectName(u"problemTitle"_s);
    m_severity->setObjectName(u"problemSeverity"_s);
    m_age->setObjectName(u"problemAge"_s);
    m_more->setObjectName(u"problemMore"_s);
    m_show->setObjectName(u"showProblem"_s);
    m_open->setObjectName(u"openInDynatrace"_s);

    m_icon->setPixmap(TimelineModel::kindIcon(TimelineModel::Kind::Problem).pixmap(20, 20));
    // Titles come from the tenant: shown as text, never interpreted as markup.
    for (auto *label : { m_title, m_severity, m_age, m_more })
        label->setTextFormat(Qt::PlainText);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setStyleSheet(u"QLabel { font-weight: bold; }"_s);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_severity->setStyleSheet(
        u"QLabel { background: #b02a37; color: white; font-weight: bold; padding: 1px 6px; border-radius: 3px; }"_s);
    m_open->setToolTip(tr("Open the problem in the Dynatrace web UI"));
    m_show->setToolTip(tr("Select the problem in the event timeline"));

    auto *frame = new QFrame(this);
    frame->setObjectName(u"problemBannerFrame"_s);
    frame->setStyleSheet(u"#problemBannerFrame { background: #f8d7da; border: 1px solid #b02a37; "
                         "border-radius: 4px; } #problemBannerFrame QLabel { color: #58151c; }"
                         " #problemBannerFrame QLabel#problemSeverity { color: white; }"_s);
    auto *row = new QHBoxLayout(frame);
    row->setContentsMargins(8, 4, 8, 4);
    row->addWidget(m_icon);
    row->addWidget(m_title, 1);
    row->addWidget(m_severity);
    row->addWidget(m_age);
    row->addWidget(m_more);
    row->addWidget(m_show);
    row->addWidget(m_open);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(frame);
    setAccessibleName(tr("Open problem"));

    connect(m_open, &QPushButton::clicked, this, [this] {
        const QUrl url = problemUrl();
        if (url.isValid())
            Q_EMIT openRequested(url);
    });
    connect(m_show, &QPushButton::clicked, this, [this] {
        if (m_problem)
            Q_EMIT showRequested(m_problem->problemId);
    });
    m_ageTimer.setInterval(1000);
    connect(&m_ageTimer, &QTimer::timeout, this, &ProblemBanner::refreshAge);

    updateButtons();
    hide();
}

ProblemBanner::~ProblemBanner() = default;

void ProblemBanner::setProblems(const std::vector<dynatrace::Problem> &problems)
{
    const dynatrace::Problem *newest = nullptr;
    m_openCount = 0;
    for (const auto &problem : problems) {
        if (!problem.isOpen())
            continue;
        ++m_openCount;
        if (!newest || problem.startMs > newest->startMs)
            newest = &problem;
    }
    if (!newest) {
        m_problem.reset();
        m_ageTimer.stop();
        hide();
        return;
    }
    m_problem = *newest;
    // Masked like the timeline's rows: a title is whatever the event that opened the problem said.
    const QString title = newest->title.isEmpty() ? tr("Problem") : net::redactSecrets(newest->title);
    m_title->setText(newest->displayId.isEmpty() ? title : newest->displayId + u" · "_s + title);
    m_title->setToolTip(m_title->text());
    m_severity->setText(newest->severityLevel);
    m_severity->setVisible(!newest->severityLevel.isEmpty());
    m_more->setText(m_openCount > 1 ? tr("+%1 more").arg(m_openCount - 1) : QString());
    m_more->setVisible(m_openCount > 1);
    refreshAge();
    updateButtons();
    m_ageTimer.start();
    show();
}

void ProblemBanner::setProblemUrl(ProblemUrl problemUrl)
{
    m_problemUrl = std::move(problemUrl);
    updateButtons();
}

void ProblemBanner::refreshAge()
{
    if (!m_problem) {
        m_age->clear();
        return;
    }
    m_age->setText(ageText(m_clock.nowMs() - m_problem->startMs));
}

QUrl ProblemBanner::problemUrl() const
{
    return m_problem && m_problemUrl ? m_problemUrl(*m_problem) : QUrl();
}

void ProblemBanner::updateButtons()
{
    m_open->setEnabled(problemUrl().isValid());
    m_show->setEnabled(m_problem.has_value());
}

QString ProblemBanner::text() const
{
    QStringList parts;
    for (const auto *label : { m_title, m_severity, m_age, m_more }) {
        if (!label->text().isEmpty())
            parts.append(label->text());
    }
    return parts.join(u" · "_s);
}

QString ProblemBanner::ageText(qint64 ageMs)
{
    const qint64 seconds = std::max<qint64>(0, ageMs / 1000);
    if (seconds < 60)
        return tr("open for %1 s").arg(seconds);
    if (seconds < 3600)
        return tr("open for %1 min %2 s").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
    if (seconds < 86400)
        return tr("open for %1 h %2 min")
            .arg(seconds / 3600)
            .arg((seconds % 3600) / 60, 2, 10, QLatin1Char('0'));
    return tr("open for %1 d %2 h").arg(seconds / 86400).arg((seconds % 86400) / 3600);
}

} // namespace canary::ui
