#include <QAbstractItemModelTester>
#include <QFont>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTest>
#include <QTextBrowser>
#include <QToolButton>
#include <QTreeView>

#include "timeline/timelinefilterproxy.h"
#include "timeline/timelinemodel.h"
#include "timeline/timelinepanel.h"
#include "timelinefixtures.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using namespace canary::testing;
using session::TimelineEntry;
using ui::TimelineModel;
using ui::TimelinePanel;

namespace {

constexpr auto Tester = QAbstractItemModelTester::FailureReportingMode::QtTest;
const QString AwxUrl = u"http://ansible.example.com/api/v2/job_templates/9/launch/"_s;

// The workshop's ramp as the timeline shows it: Dynatrace's records and what the operator did here.
std::vector<TimelineEntry> workshopEntries()
{
    const qint64 t = localNoonMs();
    auto c30 = configurationChange(u"c30"_s, t - 600'000, u"Canary weight set to 30"_s);
    c30.properties.insert(u"zeta"_s, u"last"_s);
    c30.properties.insert(u"alpha"_s, u"first"_s);
    c30.properties.insert(u"markup"_s, u"<b>bold</b> & <script>x</script>"_s);
    c30.properties.insert(u"dt.event.description"_s, u"simplenodeservice-canary-weight-"_s.repeated(12));
    return { eventEntry(u"d1"_s, t - 900'000, u"CUSTOM_DEPLOYMENT"_s, u"Deploy 4.0.0-034c71"_s), c30,
        localAction(u"local-1"_s, t - 590'000, u"Canary set to 30 %"_s),
        configurationChange(u"c70"_s, t - 480'000, u"Canary weight set to 70"_s, AwxUrl),
        problemEntry(u"p1"_s, t - 300'000),
        configurationChange(u"c0"_s, t - 240'000, u"Canary weight set to 0"_s, u"NA"_s),
        eventEntry(u"i1"_s, t - 100'000, u"CUSTOM_INFO"_s, u"Load generator restarted"_s),
        localAction(u"local-2"_s, t - 60'000, u"Canary set to 50 % failed"_s, u"FAILED"_s) };
}

QStringList ids(const QAbstractItemModel *model)
{
    QStringList result;
    for (int row = 0; row < model->rowCount(); ++row)
        result.append(model->index(row, 0).data(TimelineModel::IdRole).toString());
    return result;
}

struct PanelFixture
{
    PanelFixture()
    {
        panel.resize(1200, 600);
        panel.show();
        search = panel.findChild<QLineEdit *>(u"timelineSearch"_s);
        details = panel.findChild<QTextBrowser *>(u"timelineDetails"_s);
        count = panel.findChild<QLabel *>(u"timelineCount"_s);
    }

    QToolButton *button(const QString &name) const { return panel.findChild<QToolButton *>(name); }

    QModelIndex indexOf(const QString &id) const
    {
        const int row = panel.model()->rowOf(id);
        return row < 0 ? QModelIndex() : panel.proxy()->mapFromSource(panel.model()->index(row, 0));
    }

    void clickRow(const QString &id) const
    {
        const QRect rect = panel.view()->visualRect(indexOf(id).siblingAtColumn(TimelineModel::TitleColumn));
        QTest::mouseClick(panel.view()->viewport(), Qt::LeftButton, {}, rect.center());
    }

    QString selectedViewId() const
    {
        const auto rows = panel.view()->selectionModel()->selectedRows();
        return rows.isEmpty() ? QString() : rows.first().data(TimelineModel::IdRole).toString();
    }

    VirtualClock clock { localNoonMs() };
    TimelinePanel panel { clock };
    // Before any data, so every change the panel makes is checked.
    QAbstractItemModelTester modelTester { panel.model(), Tester };
    QAbstractItemModelTester proxyTester { panel.proxy(), Tester };
    QLineEdit *search = nullptr;
    QTextBrowser *details = nullptr;
    QLabel *count = nullptr;
};

} // namespace

class TestTimelinePanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void kindButtons_hideAndShowKinds()
    {
        PanelFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        f.panel.setEntries(workshopEntries());
        QCOMPARE(f.panel.proxy()->rowCount(), 8);
        QCOMPARE(f.count->text(), u"8 entries"_s);

        QTest::mouseClick(f.button(u"filterLocalActions"_s), Qt::LeftButton);
        QVERIFY(!f.button(u"filterLocalActions"_s)->isChecked());
        QCOMPARE(
            ids(f.panel.proxy()), (QStringList { u"i1"_s, u"c0"_s, u"p1"_s, u"c70"_s, u"c30"_s, u"d1"_s }));
        QCOMPARE(f.count->text(), u"6 of 8 shown"_s);

        QTest::mouseClick(f.button(u"filterConfigurationChanges"_s), Qt::LeftButton);
        QTest::mouseClick(f.button(u"filterOtherEvents"_s), Qt::LeftButton);
        QCOMPARE(ids(f.panel.proxy()), (QStringList { u"p1"_s, u"d1"_s }));
        QTest::mouseClick(f.button(u"filterDeployments"_s), Qt::LeftButton);
        QCOMPARE(ids(f.panel.proxy()), QStringList { u"p1"_s });
        QTest::mouseClick(f.button(u"filterProblems"_s), Qt::LeftButton);
        QCOMPARE(f.panel.proxy()->rowCount(), 0);

        QTest::mouseClick(f.button(u"filterLocalActions"_s), Qt::LeftButton);
        QCOMPARE(ids(f.panel.proxy()), (QStringList { u"local-2"_s, u"local-1"_s }));
        for (const auto &name : { u"filterConfigurationChanges"_s, u"filterDeployments"_s,
                 u"filterProblems"_s, u"filterOtherEvents"_s })
            QTest::mouseClick(f.button(name), Qt::LeftButton);
        QCOMPARE(f.panel.proxy()->rowCount(), 8);
        QVERIFY(!f.panel.proxy()->isFiltering());
    }

    void typingInTheSearch_filters_andClearingItShowsAll()
    {
        PanelFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        f.panel.setEntries(workshopEntries());
        QVERIFY(f.search->isClearButtonEnabled());

        f.search->setFocus();
        QTest::keyClicks(f.search, u"JOB_templates"_s);
        QCOMPARE(ids(f.panel.proxy()), QStringList { u"c70"_s }); // only in its remediationAction
        QTest::keyClick(f.search, Qt::Key_A, Qt::ControlModifier);
        QTest::keyClick(f.search, Qt::Key_Backspace);
        QCOMPARE(f.panel.proxy()->rowCount(), 8);

        QTest::keyClicks(f.search, u"canary"_s);
        QCOMPARE(
            ids(f.panel.proxy()), (QStringList { u"local-2"_s, u"c0"_s, u"c70"_s, u"local-1"_s, u"c30"_s }));
        // Search and kind filter together.
        QTest::mouseClick(f.button(u"filterLocalActions"_s), Qt::LeftButton);
        QCOMPARE(ids(f.panel.proxy()), (QStringList { u"c0"_s, u"c70"_s, u"c30"_s }));
    }

    void clickingARow_showsEveryProperty_backoutPlanFirst()
    {
        PanelFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        f.panel.setEntries(workshopEntries());
        QSignalSpy selected(&f.panel, &TimelinePanel::entrySelected);

        f.clickRow(u"c30"_s);
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.first().first().toString(), u"c30"_s);
        QCOMPARE(f.panel.selectedId(), u"c30"_s);

        const QString text = f.panel.detailsText();
        QVERIFY2(text.startsWith(u"Backout plan: ansible → launch AWX template 9"_s), qPrintable(text));
        QVERIFY(text.indexOf(u"Canary weight set to 30"_s) > text.indexOf(u"Backout plan"_s));
        // Every property, keys in order, values as text: markup is shown, never rendered.
        const auto entry = workshopEntries()[1];
        int previous = -1;
        for (auto it = entry.properties.cbegin(); it != entry.properties.cend(); ++it) {
            const int at = text.indexOf(it.key(), previous + 1);
            QVERIFY2(at > previous, qPrintable(it.key()));
            QVERIFY2(text.indexOf(it.value(), at) > at, qPrintable(it.value()));
            previous = at;
        }
        QVERIFY(text.contains(u"<b>bold</b> & <script>x</script>"_s));
        QVERIFY(!f.panel.detailsHtml().contains(u"<script>"_s));
        QVERIFY(text.contains(u"Jenkins"_s));
        QVERIFY(text.contains(u"CUSTOM_CONFIGURATION"_s));
        // A long value without spaces wraps instead of widening the pane.
        QTRY_COMPARE(f.details->horizontalScrollBar()->maximum(), 0);

        // Other plans read as what they are.
        f.clickRow(u"c70"_s);
        QVERIFY(f.panel.detailsText().startsWith(u"Backout plan: ansible → launch URL "_s + AwxUrl));
        f.clickRow(u"c0"_s);
        QVERIFY(f.panel.detailsText().startsWith(u"Backout plan: NA: no backout needed"_s));
        f.clickRow(u"i1"_s);
        QVERIFY(!f.panel.detailsText().contains(u"Backout plan"_s));
        QCOMPARE(selected.count(), 4);
        QCOMPARE(selected.last().first().toString(), u"i1"_s);
    }

    void backoutPlanText_data()
    {
        QTest::addColumn<QString>("action");
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("expected");
        QTest::newRow("AWX template id") << u"9"_s << u"ansible"_s << u"ansible → launch AWX template 9"_s;
        QTest::newRow("workshop reset") << u"NA"_s << u"ansible"_s << u"NA: no backout needed"_s;
        QTest::newRow("launch URL (2023)") << AwxUrl << u"ansible"_s << u"ansible → launch URL "_s + AwxUrl;
        QTest::newRow("URL without type (2022)") << AwxUrl << QString() << u"launch URL "_s + AwxUrl;
        QTest::newRow("anything else") << u"./rollback.sh"_s << u"script"_s << u"script → ./rollback.sh"_s;
        QTest::newRow("type only") << QString() << u"ansible"_s << u"ansible → no action recorded"_s;
        QTest::newRow("none") << QString() << QString() << QString();
    }

    void backoutPlanText()
    {
        QFETCH(QString, action);
        QFETCH(QString, type);
        QFETCH(QString, expected);
        QCOMPARE(
            TimelinePanel::backoutPlanText(configurationChange(u"c"_s, 0, u"x"_s, action, type)), expected);
    }

    void aChangeWithoutAPlan_saysSo()
    {
        PanelFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        f.panel.setEntries({ configurationChange(u"c"_s, localNoonMs(), u"Manual change"_s, {}, {}) });
        QVERIFY(f.panel.selectEntry(u"c"_s));
        QVERIFY(f.panel.detailsText().startsWith(u"No backout plan recorded"_s));
        QVERIFY(f.panel.detailsText().contains(u"Properties (0)"_s));
    }

    void localActions_areDrawnApart()
    {
        PanelFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        f.panel.setEntries(workshopEntries());
        const QModelIndex local = f.indexOf(u"local-1"_s);
        const QModelIndex dynatrace = f.indexOf(u"c30"_s);
        QCOMPARE(
            local.siblingAtColumn(TimelineModel::SourceColumn).data().toString(), u"you (Canary Console)"_s);
        QVERIFY(local.data(Qt::FontRole).value<QFont>().italic());

        // What the operator sees: the local row's empty cell area is tinted, Dynatrace's is not.
        const auto cellColor = [&f](const QModelIndex &index) {
            const QRect cell = f.panel.view()->visualRect(index.siblingAtColumn(TimelineModel::StatusColumn));
            const QImage image = f.panel.view()->viewport()->grab().toImage();
            return image.pixelColor(cell.right() - 2, cell.center().y());
        };
        QTRY_VERIFY(f.panel.view()->visualRect(local).isValid());
        QCOMPARE(cellColor(local), QColor(0xe3f4f6));
        QVERIFY(cellColor(dynatrace) != QColor(0xe3f4f6));
        // The open problem is bold and red; the details pane says who did the local action.
        QVERIFY(f.indexOf(u"p1"_s).data(Qt::FontRole).value<QFont>().bold());
        f.clickRow(u"local-1"_s);
        QVERIFY(f.panel.detailsText().contains(u"you (Canary Console)"_s));
        QVERIFY(f.panel.detailsText().contains(u"Your action in Canary Console"_s));
    }

    void selection_survivesARefresh_andFollowsChanges()
    {
        PanelFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        auto entries = workshopEntries();
        f.panel.setEntries(entries);
        f.clickRow(u"c30"_s);
        QSignalSpy selected(&f.panel, &TimelinePanel::entrySelected);

        // Newer events arrive on top, and the selected change gets a new backout plan in the meantime.
        entries.push_back(eventEntry(u"n1"_s, localNoonMs() + 1000));
        entries.push_back(problemEntry(u"p2"_s, localNoonMs() + 2000));
        entries[1].properties.insert(u"remediationAction"_s, u"NA"_s);
        f.panel.setEntries(entries);

        QCOMPARE(f.selectedViewId(), u"c30"_s);
        QCOMPARE(f.panel.selectedId(), u"c30"_s);
        QCOMPARE(selected.count(), 0);
        QVERIFY(f.panel.detailsText().startsWith(u"Backout plan: NA: no backout needed"_s));

        // A local action added between refreshes does not move the selection either.
        f.panel.addEntry(localAction(u"local-3"_s, localNoonMs() + 3000, u"Rollback"_s));
        QCOMPARE(f.selectedViewId(), u"c30"_s);
        QCOMPARE(ids(f.panel.proxy()).first(), u"local-3"_s);
        QCOMPARE(selected.count(), 0);
    }

    void selection_survivesAResetRefresh()
    {
        PanelFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        std::vector<TimelineEntry> entries;
        for (int i = 0; i < 400; ++i)
            entries.push_back(eventEntry(u"e%1"_s.arg(i), localNoonMs() - i * 1000));
        f.panel.setEntries(entries);
        QVERIFY(f.panel.selectEntry(u"e100"_s));
        QSignalSpy selected(&f.panel, &TimelinePanel::entrySelected);
        QSignalSpy reset(f.panel.model(), &QAbstractItemModel::modelReset);

        std::vector<TimelineEntry> half; // every other entry: too scattered for row signals
        for (int i = 0; i < 400; i += 2)
            half.push_back(entries[std::size_t(i)]);
        f.panel.setEntries(half);
        QCOMPARE(reset.count(), 1);
        QCOMPARE(f.selectedViewId(), u"e100"_s);
        QCOMPARE(selected.count(), 0);
        QVERIFY(f.panel.detailsText().contains(u"e100"_s));
    }

    void aVanishedSelection_isCleared_withAnEmptyId()
    {
        PanelFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        auto entries = workshopEntries();
        f.panel.setEntries(entries);
        f.clickRow(u"i1"_s);
        QSignalSpy selected(&f.panel, &TimelinePanel::entrySelected);

        entries.erase(entries.begin() + 6); // i1
        f.panel.setEntries(entries);
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.first().first().toString(), QString());
        QCOMPARE(f.panel.selectedId(), QString());
        QVERIFY(f.panel.detailsText().isEmpty());
    }

    void selectEntry_clearsFiltersThatHideIt_andScrollsToIt()
    {
        PanelFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        auto entries = workshopEntries();
        for (int i = 0; i < 500; ++i)
            entries.push_back(eventEntry(u"old%1"_s.arg(i), localNoonMs() - 1'000'000 - i * 1000,
                u"CUSTOM_INFO"_s, u"Old event %1"_s.arg(i)));
        f.panel.setEntries(entries);
        QTest::keyClicks(f.search, u"weight"_s);
        QTest::mouseClick(f.button(u"filterLocalActions"_s), Qt::LeftButton);
        QVERIFY(!f.indexOf(u"old450"_s).isValid());
        QSignalSpy selected(&f.panel, &TimelinePanel::entrySelected);

        QVERIFY(f.panel.selectEntry(u"old450"_s));
        QVERIFY(f.search->text().isEmpty());
        QVERIFY(f.button(u"filterLocalActions"_s)->isChecked());
        QVERIFY(!f.panel.proxy()->isFiltering());
        QCOMPARE(f.selectedViewId(), u"old450"_s);
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.first().first().toString(), u"old450"_s);
        QTRY_VERIFY(f.panel.view()->viewport()->rect().intersects(
            f.panel.view()->visualRect(f.indexOf(u"old450"_s))));

        // A visible entry: filters stay as they are.
        QTest::keyClicks(f.search, u"old event 45"_s);
        QCOMPARE(f.search->text(), u"old event 45"_s);
        QVERIFY(f.indexOf(u"old451"_s).isValid());
        QVERIFY(f.panel.selectEntry(u"old451"_s));
        QCOMPARE(f.search->text(), u"old event 45"_s);

        QVERIFY(!f.panel.selectEntry(u"no such entry"_s));
        QCOMPARE(f.selectedViewId(), u"old451"_s);

        QVERIFY(f.panel.selectEntry(QString()));
        QCOMPARE(f.selectedViewId(), QString());
        QCOMPARE(selected.last().first().toString(), QString());
    }

    void keyboard_movesTheSelection()
    {
        PanelFixture f;
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        f.panel.setEntries(workshopEntries());
        f.clickRow(u"local-2"_s);
        QSignalSpy selected(&f.panel, &TimelinePanel::entrySelected);
        QTest::keyClick(f.panel.view(), Qt::Key_Down);
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.first().first().toString(), u"i1"_s);
    }

    void chartMarkers_onePerConfigurationChangeOrDeployment()
    {
        PanelFixture f;
        f.panel.setEntries(workshopEntries());
        const auto markers = f.panel.chartMarkers();
        QStringList markerIds;
        for (const auto &marker : markers) {
            markerIds.append(marker.id);
            QVERIFY(marker.color.isValid());
            QCOMPARE(marker.timeMs, f.panel.model()->entryAt(f.panel.model()->rowOf(marker.id))->startMs);
        }
        QCOMPARE(markerIds, (QStringList { u"c0"_s, u"c70"_s, u"c30"_s, u"d1"_s }));
        QCOMPARE(markers.front().title, u"Canary weight set to 0"_s);
    }
};

QTEST_MAIN(TestTimelinePanel)
#include "tst_timelinepanel.moc"
