#include "timelinepanel.h"

#include <algorithm>
#include <array>

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTextBrowser>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include "timelinefilterproxy.h"
#include "timelinemodel.h"

using namespace Qt::Literals::StringLiterals;
using canary::session::TimelineEntry;

namespace canary::ui {

namespace {

struct KindFilter
{
    TimelineModel::Kind kind;
    const char *objectName;
};

constexpr std::array<KindFilter, 5> KindFilters { {
    { TimelineModel::Kind::ConfigurationChange, "filterConfigurationChanges" },
    { TimelineModel::Kind::Deployment, "filterDeployments" },
    { TimelineModel::Kind::Problem, "filterProblems" },
    { TimelineModel::Kind::Other, "filterOtherEvents" },
    { TimelineModel::Kind::LocalAction, "filterLocalActions" },
} };

QString filterLabel(TimelineModel::Kind kind)
{
    switch (kind) {
    case TimelineModel::Kind::ConfigurationChange:
        return TimelinePanel::tr("Configuration changes");
    case TimelineModel::Kind::Deployment:
        return TimelinePanel::tr("Deployments");
    case TimelineModel::Kind::Problem:
        return TimelinePanel::tr("Problems");
    case TimelineModel::Kind::Other:
        return TimelinePanel::tr("Other events");
    case TimelineModel::Kind::LocalAction:
        return TimelinePanel::tr("Local actions");
    }
    return {};
}

QString dateTimeText(qint64 ms)
{
    return QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms), u"yyyy-MM-dd HH:mm:ss t"_s);
}

QString row(const QString &key, const QString &value)
{
    return u"<tr><td width=\"35%\" valign=\"top\" style=\"color:#555; padding-right:10px\">"_s
        + key.toHtmlEscaped() + u"</td><td valign=\"top\">"_s + value.toHtmlEscaped() + u"</td></tr>"_s;
}

bool isDigits(const QString &text)
{
    return !text.isEmpty() && std::all_of(text.cbegin(), text.cend(), [](QChar c) { return c.isDigit(); });
}

// In single selection, a plain QTreeView moves the selection to a neighbour when the selected row goes
// away (a refresh dropped it, a filter hid it). Here that would claim the operator picked another entry
// and highlight the wrong marker, so the selection is cleared instead.
class TimelineView final : public QTreeView
{
public:
    using QTreeView::QTreeView;

protected:
    void rowsAboutToBeRemoved(const QModelIndex &parent, int start, int end) override
    {
        const QModelIndex current = currentIndex();
        if (current.isValid() && current.parent() == parent && current.row() >= start && current.row() <= end)
            selectionModel()->clear();
        QTreeView::rowsAboutToBeRemoved(parent, start, end);
    }
};

} // namespace

TimelinePanel::TimelinePanel(const Clock &clock, QWidget *parent)
    : QWidget(parent)
    , m_model(new TimelineModel(clock, this))
    , m_proxy(new TimelineFilterProxy(this))
    , m_view(new TimelineView(this))
    , m_details(new QTextBrowser(this))
    , m_search(new QLineEdit(this))
    , m_count(new QLabel(this))
    , m_loadError(new QLabel(this))
{
    m_view->setObjectName(u"timelineView"_s);
    m_details->setObjectName(u"timelineDetails"_s);
    m_search->setObjectName(u"timelineSearch"_s);
    m_count->setObjectName(u"timelineCount"_s);

    m_proxy->setSourceModel(m_model);
    m_view->setModel(m_proxy);
    m_view->setRootIsDecorated(false);
    m_view->setItemsExpandable(false);
    // Lets the view lay out 10,000 rows without asking each one for its height.
    m_view->setUniformRowHeights(true);
    m_view->setAllColumnsShowFocus(true);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setSortingEnabled(false);
    m_view->setAccessibleName(tr("Event timeline"));
    auto *header = m_view->header();
    // Never ResizeToContents: it would measure every one of 10,000 rows on each refresh.
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setStretchLastSection(false);
    header->setSectionResizeMode(TimelineModel::TitleColumn, QHeaderView::Stretch);
    header->resizeSection(TimelineModel::TimeColumn, 130);
    header->resizeSection(TimelineModel::TypeColumn, 190);
    header->resizeSection(TimelineModel::SourceColumn, 140);
    header->resizeSection(TimelineModel::StatusColumn, 70);

    m_details->setOpenLinks(false);
    m_details->setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    m_details->setAccessibleName(tr("Details of the selected entry"));
    m_details->setPlaceholderText(tr("Select an entry to see all its properties."));

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(m_view);
    splitter->addWidget(m_details);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(createToolbar());
    m_loadError->setObjectName(u"timelineLoadError"_s);
    m_loadError->setWordWrap(true);
    m_loadError->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_loadError->setStyleSheet(u"QLabel { background: #f8d7da; color: #58151c; padding: 2px 6px; }"_s);
    m_loadError->hide();
    layout->addWidget(m_loadError);
    layout->addWidget(splitter, 1);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
        &TimelinePanel::onSelectionChanged);
    connect(m_proxy, &QAbstractItemModel::modelAboutToBeReset, this, &TimelinePanel::onModelAboutToBeReset);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &TimelinePanel::onModelReset);
    connect(m_proxy, &QAbstractItemModel::dataChanged, this,
        [this](const QModelIndex &topLeft, const QModelIndex &bottomRight) {
            const auto rows = m_view->selectionModel()->selectedRows();
            if (!rows.isEmpty() && rows.first().row() >= topLeft.row()
                && rows.first().row() <= bottomRight.row())
                refreshDetails();
        });
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &TimelinePanel::updateCount);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &TimelinePanel::updateCount);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &TimelinePanel::updateCount);
    updateCount();
}

TimelinePanel::~TimelinePanel() = default;

void TimelinePanel::addStatusWidget(QWidget *widget)
{
    m_toolbarLayout->addWidget(widget);
}

QWidget *TimelinePanel::createToolbar()
{
    auto *bar = new QWidget(this);
    auto *layout = new QHBoxLayout(bar);
    m_toolbarLayout = layout;
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("Show:"), bar));
    for (const auto &filter : KindFilters) {
        auto *button = new QToolButton(bar);
        button->setObjectName(QString::fromLatin1(filter.objectName));
        button->setText(filterLabel(filter.kind));
        button->setIcon(TimelineModel::kindIcon(filter.kind));
        button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        button->setCheckable(true);
        button->setChecked(true);
        button->setAutoRaise(true);
        button->setToolTip(tr("Show or hide: %1").arg(TimelineModel::kindName(filter.kind)));
        connect(button, &QToolButton::toggled, this, &TimelinePanel::applyFilters);
        layout->addWidget(button);
        m_kindButtons.emplace_back(int(filter.kind), button);
    }
    layout->addSpacing(12);
    m_search->setPlaceholderText(tr("Search title, type, source, properties…"));
    m_search->setClearButtonEnabled(true);
    m_search->setAccessibleName(tr("Search the timeline"));
    connect(m_search, &QLineEdit::textChanged, this, &TimelinePanel::applyFilters);
    layout->addWidget(m_search, 1);
    layout->addWidget(m_count);
    return bar;
}

void TimelinePanel::setEntries(std::vector<TimelineEntry> entries)
{
    m_model->setEntries(std::move(entries));
}

void TimelinePanel::addEntry(const TimelineEntry &entry)
{
    m_model->addEntry(entry);
}

bool TimelinePanel::selectEntry(const QString &id)
{
    auto *selection = m_view->selectionModel();
    if (id.isEmpty()) {
        selection->clear();
        return true;
    }
    const int sourceRow = m_model->rowOf(id);
    if (sourceRow < 0)
        return false;
    QModelIndex index = m_proxy->mapFromSource(m_model->index(sourceRow, 0));
    if (!index.isValid()) {
        clearFilters();
        index = m_proxy->mapFromSource(m_model->index(sourceRow, 0));
    }
    selection->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(index, QAbstractItemView::EnsureVisible);
    return true;
}

void TimelinePanel::clearFilters()
{
    for (const auto &[kind, button] : m_kindButtons) {
        const QSignalBlocker blocker(button);
        button->setChecked(true);
    }
    {
        const QSignalBlocker blocker(m_search);
        m_search->clear();
    }
    m_proxy->clearFilters();
}

void TimelinePanel::applyFilters()
{
    TimelineModel::Kinds kinds;
    for (const auto &[kind, button] : m_kindButtons) {
        if (button->isChecked())
            kinds |= TimelineModel::Kind(kind);
    }
    m_proxy->setKinds(kinds);
    m_proxy->setSearchText(m_search->text());
}

void TimelinePanel::setLoadError(const QString &text)
{
    m_loadError->setText(text);
    m_loadError->setVisible(!text.isEmpty());
}

QString TimelinePanel::loadError() const
{
    return m_loadError->isVisibleTo(this) ? m_loadError->text() : QString();
}

std::vector<RequestChart::Marker> TimelinePanel::chartMarkers() const
{
    std::vector<RequestChart::Marker> markers;
    for (const auto &entry : m_model->entries()) {
        if (entry.isConfigurationChange())
            markers.push_back({ entry.id, entry.startMs, entry.title,
                TimelineModel::kindColor(TimelineModel::kindOf(entry)) });
    }
    return markers;
}

QString TimelinePanel::backoutPlanText(const TimelineEntry &entry)
{
    const QString action = entry.remediationAction().trimmed();
    const QString type = entry.remediationType().trimmed();
    if (action.isEmpty() && type.isEmpty())
        return {};
    // The workshop's reset records "NA": undoing a return to the stable build needs nothing.
    if (action.compare(u"NA"_s, Qt::CaseInsensitive) == 0)
        return tr("NA: no backout needed");
    QString what;
    if (action.isEmpty())
        what = tr("no action recorded");
    else if (isDigits(action))
        what = tr("launch AWX template %1").arg(action);
    else if (action.startsWith(u"http://"_s, Qt::CaseInsensitive)
        || action.startsWith(u"https://"_s, Qt::CaseInsensitive))
        what = tr("launch URL %1").arg(action);
    else
        what = action;
    return type.isEmpty() ? what : type + u" → "_s + what;
}

QString TimelinePanel::detailsText() const
{
    return m_details->toPlainText().trimmed();
}

QString TimelinePanel::detailsHtml() const
{
    return m_details->toHtml();
}

const TimelineEntry *TimelinePanel::selectedEntry() const
{
    const auto rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return nullptr;
    return m_model->entryAt(m_proxy->mapToSource(rows.first()).row());
}

void TimelinePanel::onSelectionChanged()
{
    // A reset clears the selection only for a moment: onModelReset() puts it back by id.
    if (m_resetting)
        return;
    const TimelineEntry *entry = selectedEntry();
    showDetails(entry);
    const QString id = entry ? entry->id : QString();
    if (id == m_selectedId)
        return;
    m_selectedId = id;
    Q_EMIT entrySelected(id);
}

void TimelinePanel::onModelAboutToBeReset()
{
    m_resetting = true;
}

void TimelinePanel::onModelReset()
{
    m_resetting = false;
    updateCount();
    const int sourceRow = m_selectedId.isEmpty() ? -1 : m_model->rowOf(m_selectedId);
    const QModelIndex index
        = sourceRow < 0 ? QModelIndex() : m_proxy->mapFromSource(m_model->index(sourceRow, 0));
    if (index.isValid())
        m_view->selectionModel()->setCurrentIndex(
            index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    else
        onSelectionChanged();
}

void TimelinePanel::refreshDetails()
{
    showDetails(selectedEntry());
}

void TimelinePanel::showDetails(const TimelineEntry *entry)
{
    if (!entry) {
        m_details->clear();
        return;
    }
    QString html;
    // The backout plan is what an operator looks for first when a change went wrong: it goes on top.
    const QString plan = backoutPlanText(*entry);
    if (!plan.isEmpty()) {
        const bool nothingToDo
            = entry->remediationAction().trimmed().compare(u"NA"_s, Qt::CaseInsensitive) == 0;
        html += u"<table width=\"100%\" cellpadding=\"6\" cellspacing=\"0\" border=\"1\" "
                "style=\"background-color:%1; border-color:%2; border-style:solid\">"
                "<tr><td><b>%3</b> %4</td></tr></table>"_s.arg(nothingToDo ? u"#e9ecef"_s : u"#fff3cd"_s,
                    nothingToDo ? u"#adb5bd"_s : u"#e0a800"_s, tr("Backout plan:").toHtmlEscaped(),
                    plan.toHtmlEscaped());
    } else if (entry->isConfigurationChange()) {
        html += u"<p style=\"color:#664d03\"><i>%1</i></p>"_s.arg(
            tr("No backout plan recorded with this change.").toHtmlEscaped());
    }

    html += u"<h3>"_s + entry->title.toHtmlEscaped() + u"</h3>"_s;
    html += u"<table width=\"100%\" cellspacing=\"0\" cellpadding=\"2\">"_s;
    html += row(tr("Kind"), TimelineModel::kindName(TimelineModel::kindOf(*entry)));
    html += row(tr("Type"), entry->type);
    html += row(tr("Source"),
        entry->source.isEmpty() && entry->origin == TimelineEntry::Origin::LocalAction
            ? tr("you (Canary Console)")
            : entry->source);
    html += row(tr("Status"), entry->status);
    html += row(tr("Started"), dateTimeText(entry->startMs));
    if (entry->endMs)
        html += row(tr("Ended"), dateTimeText(*entry->endMs));
    if (!entry->displayId.isEmpty())
        html += row(tr("Problem"), entry->displayId);
    if (!entry->severity.isEmpty())
        html += row(tr("Severity"), entry->severity);
    html += row(tr("Id"), entry->id);
    html += u"</table>"_s;

    html += u"<h4>"_s + tr("Properties (%1)").arg(entry->properties.size()).toHtmlEscaped() + u"</h4>"_s;
    if (entry->properties.isEmpty()) {
        html += u"<p><i>"_s + tr("none").toHtmlEscaped() + u"</i></p>"_s;
    } else {
        // QMap iterates in key order: the properties come out sorted by key.
        html += u"<table width=\"100%\" cellspacing=\"0\" cellpadding=\"2\">"_s;
        for (auto it = entry->properties.cbegin(); it != entry->properties.cend(); ++it)
            html += row(it.key(), it.value());
        html += u"</table>"_s;
    }
    m_details->setHtml(html);
}

void TimelinePanel::updateCount()
{
    const int shown = m_proxy->rowCount();
    const int total = m_model->rowCount();
    const QLocale locale;
    m_count->setText(shown == total
            ? tr("%n entries", nullptr, total)
            : tr("%1 of %2 shown").arg(locale.toString(shown), locale.toString(total)));
}

} // namespace canary::ui
