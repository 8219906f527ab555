#pragma once

#include <QFrame>
#include <QStringList>

#include "verdict/verdict.h"

QT_BEGIN_NAMESPACE
class QLabel;
class QVBoxLayout;
QT_END_NAMESPACE

namespace canary::ui {

// The canary's health in words: a badge with the overall outcome (PASS, MARGINAL, FAIL, NOT ENOUGH DATA)
// and one sentence per metric that names the numbers behind it. Over stale data the badge says so rather
// than keep showing a judgement of the past as current.
class VerdictPanel final : public QFrame
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(VerdictPanel)

public:
    explicit VerdictPanel(QWidget *parent = nullptr);

    void showVerdict(const verdict::Verdict &verdict);
    // Health data cannot be judged at all (no failure or response-time metric on the tenant): says why.
    void showUnavailable(const QString &why);
    void setStale(bool stale);

    const verdict::Verdict &verdict() const { return m_verdict; }
    bool isStale() const { return m_stale; }
    QString badgeText() const;
    QStringList sentences() const;

Q_SIGNALS:
    // The overall outcome changed (not on every refresh): for the guard-rails and the report.
    void outcomeChanged(canary::verdict::Outcome outcome);

private:
    void updateBadge();

    verdict::Verdict m_verdict;
    bool m_hasVerdict = false;
    bool m_stale = false;
    QLabel *m_badge;
    QLabel *m_summary;
    QVBoxLayout *m_metrics;
    QList<QLabel *> m_sentenceLabels;
};

} // namespace canary::ui
