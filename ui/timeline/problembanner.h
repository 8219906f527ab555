#pragma once

#include <functional>
#include <optional>
#include <vector>

#include <QTimer>
#include <QUrl>
#include <QWidget>

#include "dynatrace/event.h"

QT_BEGIN_NAMESPACE
class QLabel;
class QPushButton;
QT_END_NAMESPACE

namespace canary {
class Clock;
}

namespace canary::ui {

// A red strip that says a Davis problem is open now: the newest one, how long it has been open, how many
// more there are, and a way into Dynatrace. Hidden while nothing is open.
class ProblemBanner final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProblemBanner)

public:
    using ProblemUrl = std::function<QUrl(const dynatrace::Problem &)>;

    explicit ProblemBanner(const Clock &clock, QWidget *parent = nullptr);
    ~ProblemBanner() override;

    // Shows the newest open problem of `problems` (closed ones are ignored), or hides the banner.
    void setProblems(const std::vector<dynatrace::Problem> &problems);
    // Where "Open in Dynatrace" leads (e.g. dynatrace::problemPageUrl); without it the button is disabled.
    void setProblemUrl(ProblemUrl problemUrl);
    // Re-reads the clock; a timer calls it every second while the banner shows.
    void refreshAge();

    // "open for 4 min 05 s", from an age in ms.
    static QString ageText(qint64 ageMs);

    const std::optional<dynatrace::Problem> &shownProblem() const { return m_problem; }
    int openCount() const { return m_openCount; }
    QUrl problemUrl() const;
    // Everything the banner says, on one line (for tests and screen readers).
    QString text() const;

Q_SIGNALS:
    // "Open in Dynatrace" was clicked; the owner opens the URL (QDesktopServices::openUrl).
    void openRequested(const QUrl &url);
    // "Show in timeline" was clicked.
    void showRequested(const QString &problemId);

private:
    void updateButtons();

    const Clock &m_clock;
    QLabel *m_icon;
    QLabel *m_title;
    QLabel *m_severity;
    QLabel *m_age;
    QLabel *m_more;
    QPushButton *m_show;
    QPushButton *m_open;
    QTimer m_ageTimer;
    ProblemUrl m_problemUrl;
    std::optional<dynatrace::Problem> m_problem;
    int m_openCount = 0;
};

} // namespace canary::ui
