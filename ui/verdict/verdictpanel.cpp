#include "verdictpanel.h"

#include <QLabel>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace canary::ui {

namespace {

// Background and text colours of the badge; the text says the outcome too, colour is never the only cue.
QString badgeStyle(verdict::Outcome outcome, bool stale)
{
    if (stale)
        return u"background:#fff3cd; color:#664d03; border:1px solid #e0c36b;"_s;
    switch (outcome) {
    case verdict::Outcome::Fail:
        return u"background:#c92a2a; color:white;"_s;
    case verdict::Outcome::Marginal:
        return u"background:#f08c00; color:white;"_s;
    case verdict::Outcome::Pass:
        return u"background:#2b8a3e; color:white;"_s;
    case verdict::Outcome::NotEnoughData:
        break;
    }
    return u"background:#e9ecef; color:#343a40;"_s;
}

} // namespace

VerdictPanel::VerdictPanel(QWidget *parent)
    : QFrame(parent)
    , m_badge(new QLabel(this))
    , m_summary(new QLabel(this))
    , m_metrics(new QVBoxLayout)
{
    setObjectName(u"verdictPanel"_s);
    setFrameShape(QFrame::StyledPanel);
    m_badge->setObjectName(u"verdictBadge"_s);
    m_badge->setAlignment(Qt::AlignCenter);
    m_badge->setMinimumWidth(150);
    m_badge->setContentsMargins(10, 4, 10, 4);
    QFont font = m_badge->font();
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 1.2);
    m_badge->setFont(font);
    m_summary->setObjectName(u"verdictSummary"_s);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *title = new QLabel(tr("<b>Canary verdict</b> (canary vs stable over the newest %1 minutes)")
                                 .arg(verdict::VerdictPolicy {}.lookbackMs / 60'000),
        this);
    auto *top = new QHBoxLayout;
    top->addWidget(m_badge);
    top->addWidget(m_summary, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    layout->addWidget(title);
    layout->addLayout(top);
    layout->addLayout(m_metrics);
    updateBadge();
}

void VerdictPanel::showVerdict(const verdict::Verdict &verdict)
{
    const bool changed = !m_hasVerdict || verdict.overall != m_verdict.overall;
    m_verdict = verdict;
    m_hasVerdict = true;
    m_summary->setText(verdict.summary);
    // One label per metric, reused across refreshes: the panel does not flicker or reflow every 10 s.
    while (m_sentenceLabels.size() > qsizetype(verdict.metrics.size()))
        delete m_sentenceLabels.takeLast();
    while (m_sentenceLabels.size() < qsizetype(verdict.metrics.size())) {
        auto *label = new QLabel(this);
        label->setObjectName(u"verdictSentence%1"_s.arg(m_sentenceLabels.size()));
        label->setWordWrap(true);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_metrics->addWidget(label);
        m_sentenceLabels.append(label);
    }
    for (std::size_t i = 0; i < verdict.metrics.size(); ++i)
        m_sentenceLabels[qsizetype(i)]->setText(verdict.metrics[i].sentence);
    updateBadge();
    if (changed)
        Q_EMIT outcomeChanged(verdict.overall);
}

void VerdictPanel::showUnavailable(const QString &why)
{
    verdict::Verdict none;
    none.summary = why;
    showVerdict(none);
}

void VerdictPanel::setStale(bool stale)
{
    if (stale == m_stale)
        return;
    m_stale = stale;
    updateBadge();
}

QString VerdictPanel::badgeText() const
{
    return m_badge->text();
}

QStringList VerdictPanel::sentences() const
{
    QStringList texts;
    for (const auto *label : m_sentenceLabels)
        texts.append(label->text());
    return texts;
}

void VerdictPanel::updateBadge()
{
    const QString name = m_hasVerdict ? verdict::outcomeName(m_verdict.overall) : tr("WAITING FOR DATA");
    m_badge->setText(m_stale ? tr("STALE (last: %1)").arg(name) : name);
    m_badge->setStyleSheet(badgeStyle(m_verdict.overall, m_stale));
    m_badge->setToolTip(
        m_stale ? tr("The newest refresh failed: this verdict judges older data") : QString());
}

} // namespace canary::ui
