#pragma once

#include <vector>

#include <QWidget>

#include "chart/requestchart.h"
#include "session/timelineentry.h"

QT_BEGIN_NAMESPACE
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QTextBrowser;
class QToolButton;
class QTreeView;
QT_END_NAMESPACE

namespace canary {
class Clock;
}

namespace canary::ui {

class TimelineFilterProxy;
class TimelineModel;

// The event timeline: kind filters and a search above the list, and every detail of the selected entry
// (its backout plan first) beside it. Selecting an entry says so, so the chart can highlight its marker.
class TimelinePanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimelinePanel)

public:
    explicit TimelinePanel(const Clock &clock, QWidget *parent = nullptr);
    ~TimelinePanel() override;

    // The whole timeline as of now (see TimelineModel::setEntries); the selection stays on its entry.
    void setEntries(std::vector<session::TimelineEntry> entries);
    // One entry between refreshes, e.g. a local action the operator just took.
    void addEntry(const session::TimelineEntry &entry);
    // Selects and scrolls to an entry, clearing the filters if they hide it; an empty id clears the
    // selection. False when the timeline has no such entry.
    bool selectEntry(const QString &id);
    QString selectedId() const { return m_selectedId; }
    void clearFilters();
    // Says the list is incomplete and why (a page that failed half-way, an unreachable tenant); empty hides
    // it. What did arrive stays listed.
    void setLoadError(const QString &text);
    QString loadError() const;

    // One marker per configuration change (and deployment) in the timeline, for RequestChart::setMarkers.
    std::vector<RequestChart::Marker> chartMarkers() const;

    // "ansible → launch AWX template 9", "NA: no backout needed", …; empty when the entry records none.
    static QString backoutPlanText(const session::TimelineEntry &entry);

    TimelineModel *model() const { return m_model; }
    TimelineFilterProxy *proxy() const { return m_proxy; }
    QTreeView *view() const { return m_view; }
    QString detailsText() const;
    QString detailsHtml() const;

    // A widget beside the filters, such as how old the timeline's data is.
    void addStatusWidget(QWidget *widget);

Q_SIGNALS:
    // The selected entry changed, by the operator or by selectEntry(); empty when nothing is selected.
    void entrySelected(const QString &id);

private:
    QWidget *createToolbar();
    void applyFilters();
    void onSelectionChanged();
    void onModelAboutToBeReset();
    void onModelReset();
    void showDetails(const session::TimelineEntry *entry);
    void refreshDetails();
    void updateCount();
    const session::TimelineEntry *selectedEntry() const;

    TimelineModel *m_model;
    TimelineFilterProxy *m_proxy;
    QTreeView *m_view;
    QTextBrowser *m_details;
    QLineEdit *m_search;
    QLabel *m_count;
    QLabel *m_loadError;
    std::vector<std::pair<int, QToolButton *>> m_kindButtons; // (TimelineModel::Kind, button)
    QString m_selectedId;
    bool m_resetting = false;
    QHBoxLayout *m_toolbarLayout = nullptr;
};

} // namespace canary::ui
