#include <QAbstractItemModelTester>
#include <QFont>
#include <QIcon>
#include <QPersistentModelIndex>
#include <QSignalSpy>
#include <QTest>
#include <QTreeView>

#include "timeline/timelinefilterproxy.h"
#include "timeline/timelinemodel.h"
#include "timelinefixtures.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using namespace canary::testing;
using session::TimelineEntry;
using ui::TimelineFilterProxy;
using ui::TimelineModel;

namespace {

constexpr auto Tester = QAbstractItemModelTester::FailureReportingMode::QtTest;

QStringList ids(const QAbstractItemModel &model)
{
    QStringList result;
    for (int row = 0; row < model.rowCount(); ++row)
        result.append(model.index(row, 0).data(TimelineModel::IdRole).toString());
    return result;
}

// entries e0 (oldest) … e<n-1> (newest), a minute apart, ending at `newestMs`.
std::vector<TimelineEntry> minuteEvents(int count, qint64 newestMs, const QString &prefix = u"e"_s)
{
    std::vector<TimelineEntry> entries;
    for (int i = 0; i < count; ++i)
        entries.push_back(eventEntry(prefix + QString::number(i), newestMs - qint64(count - 1 - i) * 60'000));
    return entries;
}

} // namespace

class TestTimelineModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void setEntries_newestFirst_duplicatesKeepTheNewest()
    {
        VirtualClock clock(localNoonMs());
        TimelineModel model(clock);
        QAbstractItemModelTester tester(&model, Tester);

        const qint64 t = localNoonMs();
        auto updated = eventEntry(u"b"_s, t - 1000, u"CUSTOM_INFO"_s, u"b, seen again"_s);
        model.setEntries({ eventEntry(u"a"_s, t - 5000), eventEntry(u"c"_s, t - 100),
            eventEntry(u"b"_s, t - 3000), updated, eventEntry(u"d"_s, t - 5000) });

        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.columnCount(), int(TimelineModel::ColumnCount));
        // Same start: ordered by id so refreshes never shuffle equal rows.
        QCOMPARE(ids(model), (QStringList { u"c"_s, u"b"_s, u"a"_s, u"d"_s }));
        QCOMPARE(model.index(1, TimelineModel::TitleColumn).data().toString(), u"b, seen again"_s);
        QCOMPARE(model.index(0, 0).data(TimelineModel::StartRole).toLongLong(), t - 100);
    }

    void setEntries_updatesRowByRow_soPersistentIndexesSurvive()
    {
        VirtualClock clock(localNoonMs());
        TimelineModel model(clock);
        QAbstractItemModelTester tester(&model, Tester);
        const qint64 t = localNoonMs();
        model.setEntries(minuteEvents(5, t)); // e4 (newest) … e0

        const QPersistentModelIndex e2 = model.index(model.rowOf(u"e2"_s), TimelineModel::TitleColumn);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

        // Refresh: two new events on top, e0 gone, e3 closed in the meantime (title changed), the rest alike.
        auto entries = minuteEvents(5, t);
        entries.erase(entries.begin());
        entries[2].title = u"e3, now closed"_s;
        entries.push_back(eventEntry(u"new1"_s, t + 60'000));
        entries.push_back(eventEntry(u"new2"_s, t + 120'000));
        model.setEntries(entries);

        QCOMPARE(reset.count(), 0);
        QCOMPARE(ids(model), (QStringList { u"new2"_s, u"new1"_s, u"e4"_s, u"e3"_s, u"e2"_s, u"e1"_s }));
        QCOMPARE(inserted.count(), 1); // one run of new rows, one signal
        QCOMPARE(inserted.first().at(1).toInt(), 0);
        QCOMPARE(inserted.first().at(2).toInt(), 1);
        QCOMPARE(removed.count(), 1);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.first().at(0).value<QModelIndex>().row(), model.rowOf(u"e3"_s));
        QVERIFY(e2.isValid());
        QCOMPARE(e2.data(TimelineModel::IdRole).toString(), u"e2"_s);
        QCOMPARE(e2.row(), 4);

        // The same set again changes nothing at all.
        inserted.clear();
        removed.clear();
        changed.clear();
        model.setEntries(entries);
        QCOMPARE(inserted.count() + removed.count() + changed.count() + reset.count(), 0);

        // An entry whose start moved changes place: it is removed and inserted, never left out of order.
        entries[0].startMs = t + 180'000; // e1 becomes the newest
        model.setEntries(entries);
        QCOMPARE(ids(model).first(), u"e1"_s);
        QCOMPARE(model.rowCount(), 6);
    }

    void setEntries_scatteredChanges_fallBackToOneReset()
    {
        VirtualClock clock(localNoonMs());
        TimelineModel model(clock);
        QAbstractItemModelTester tester(&model, Tester);
        model.setEntries(minuteEvents(400, localNoonMs()));

        // Every other entry gone: 200 separate runs, cheaper as one reset than 200 removes.
        std::vector<TimelineEntry> half;
        for (const auto &entry : minuteEvents(400, localNoonMs()))
            if (entry.id.mid(1).toInt() % 2 == 0)
                half.push_back(entry);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.setEntries(half);
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 200);
        QCOMPARE(ids(model).first(), u"e398"_s);
    }

    void capacity_evictsTheOldest_insideARemove()
    {
        VirtualClock clock(localNoonMs());
        TimelineModel model(clock);
        QAbstractItemModelTester tester(&model, Tester);
        model.setCapacity(3);
        const qint64 t = localNoonMs();

        model.setEntries(minuteEvents(5, t));
        QCOMPARE(ids(model), (QStringList { u"e4"_s, u"e3"_s, u"e2"_s }));

        // A refresh with a newer entry: the oldest kept one goes, and it goes before the new one comes.
        QStringList log;
        connect(
            &model, &QAbstractItemModel::rowsRemoved, this, [&log](const QModelIndex &, int first, int last) {
                log.append(u"removed %1-%2"_s.arg(first).arg(last));
            });
        connect(&model, &QAbstractItemModel::rowsInserted, this,
            [&log, &model](const QModelIndex &, int first, int last) {
                log.append(u"inserted %1-%2"_s.arg(first).arg(last));
                QVERIFY(model.rowCount() <= model.capacity());
            });
        auto entries = minuteEvents(5, t);
        entries.push_back(eventEntry(u"e5"_s, t + 60'000));
        model.setEntries(entries);
        QCOMPARE(ids(model), (QStringList { u"e5"_s, u"e4"_s, u"e3"_s }));
        QCOMPARE(log, (QStringList { u"removed 2-2"_s, u"inserted 0-0"_s }));

        // One local action between refreshes: same rule.
        log.clear();
        model.addEntry(localAction(u"local-1"_s, t + 120'000, u"Canary set to 30 %"_s));
        QCOMPARE(ids(model), (QStringList { u"local-1"_s, u"e5"_s, u"e4"_s }));
        QCOMPARE(log, (QStringList { u"removed 2-2"_s, u"inserted 0-0"_s }));

        // Older than everything kept while full: not shown at all.
        model.addEntry(eventEntry(u"ancient"_s, t - 3'600'000));
        QCOMPARE(ids(model), (QStringList { u"local-1"_s, u"e5"_s, u"e4"_s }));

        // Shrinking evicts at once.
        model.setCapacity(1);
        QCOMPARE(ids(model), QStringList { u"local-1"_s });
    }

    void defaultCapacity_isTenThousand()
    {
        VirtualClock clock(localNoonMs());
        TimelineModel model(clock);
        QAbstractItemModelTester tester(&model, Tester);
        QCOMPARE(model.capacity(), 10'000);
        model.setEntries(minuteEvents(10'050, localNoonMs()));
        QCOMPARE(model.rowCount(), 10'000);
        QCOMPARE(ids(model).last(), u"e50"_s);
    }

    void addEntry_updatesInPlace_byId()
    {
        VirtualClock clock(localNoonMs());
        TimelineModel model(clock);
        QAbstractItemModelTester tester(&model, Tester);
        const qint64 t = localNoonMs();
        model.setEntries(minuteEvents(3, t));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);

        auto e1 = eventEntry(u"e1"_s, t - 60'000);
        e1.status = u"OPEN"_s;
        model.addEntry(e1);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(inserted.count(), 0);
        QCOMPARE(model.index(1, TimelineModel::StatusColumn).data().toString(), u"OPEN"_s);

        model.addEntry(localAction(u"local-1"_s, t - 90'000, u"Ramp started"_s));
        QCOMPARE(ids(model), (QStringList { u"e2"_s, u"e1"_s, u"local-1"_s, u"e0"_s }));
    }

    void columns_showLocalTime_typeIcon_andProblemDisplayId()
    {
        VirtualClock clock(localNoonMs());
        TimelineModel model(clock);
        QAbstractItemModelTester tester(&model, Tester);
        const qint64 today = QDateTime(QDate(2024, 5, 14), QTime(10, 15, 30)).toMSecsSinceEpoch();
        const qint64 yesterday = QDateTime(QDate(2024, 5, 13), QTime(23, 59, 59)).toMSecsSinceEpoch();
        model.setEntries({ configurationChange(u"c"_s, today, u"Canary weight set to 30"_s),
            problemEntry(u"p"_s, yesterday, u"CLOSED"_s) });

        QCOMPARE(model.index(0, TimelineModel::TimeColumn).data().toString(), u"10:15:30"_s);
        QCOMPARE(model.index(1, TimelineModel::TimeColumn).data().toString(), u"2024-05-13 23:59:59"_s);
        QCOMPARE(model.index(0, TimelineModel::TypeColumn).data().toString(), u"CUSTOM_CONFIGURATION"_s);
        QCOMPARE(model.index(1, TimelineModel::TypeColumn).data().toString(), u"PROBLEM (ERROR)"_s);
        QCOMPARE(model.index(1, TimelineModel::TitleColumn).data().toString(),
            u"P-230726 Failure rate increase"_s);
        QCOMPARE(model.index(0, TimelineModel::SourceColumn).data().toString(), u"Jenkins"_s);
        QCOMPARE(model.index(1, TimelineModel::StatusColumn).data().toString(), u"CLOSED"_s);
        for (int row = 0; row < 2; ++row) {
            const auto icon
                = model.index(row, TimelineModel::TypeColumn).data(Qt::DecorationRole).value<QIcon>();
            QVERIFY(!icon.isNull());
            QVERIFY(!model.index(row, TimelineModel::TitleColumn).data(Qt::DecorationRole).isValid());
        }
        QCOMPARE(model.headerData(TimelineModel::TimeColumn, Qt::Horizontal).toString(), u"Time"_s);
        QCOMPARE(model.headerData(TimelineModel::StatusColumn, Qt::Horizontal).toString(), u"Status"_s);
    }

    void roles_carryTheEntry()
    {
        VirtualClock clock(localNoonMs());
        TimelineModel model(clock);
        QAbstractItemModelTester tester(&model, Tester);
        const auto change = configurationChange(u"c"_s, localNoonMs(), u"Canary weight set to 30"_s);
        model.setEntries({ change });
        const QModelIndex index = model.index(0, TimelineModel::TitleColumn);

        const auto entry = index.data(TimelineModel::EntryRole).value<TimelineEntry>();
        QCOMPARE(entry.id, change.id);
        QCOMPARE(entry.properties, change.properties);
        QCOMPARE(index.data(TimelineModel::IdRole).toString(), u"c"_s);
        QCOMPARE(index.data(TimelineModel::OriginRole).toInt(), int(TimelineEntry::Origin::Event));
        QCOMPARE(index.data(TimelineModel::TypeRole).toString(), u"CUSTOM_CONFIGURATION"_s);
        QCOMPARE(index.data(TimelineModel::StartRole).toLongLong(), localNoonMs());
        QVERIFY(index.data(TimelineModel::IsConfigurationChangeRole).toBool());
        QCOMPARE(index.data(TimelineModel::RemediationActionRole).toString(), u"9"_s);
        QCOMPARE(index.data(TimelineModel::KindRole).toInt(), int(TimelineModel::Kind::ConfigurationChange));
        QVERIFY(index.data(Qt::ToolTipRole).toString().contains(u"Canary weight set to 30"_s));
        QVERIFY(model.roleNames().values().contains("remediationAction"));
    }

    void localActions_andOpenProblems_standOut()
    {
        VirtualClock clock(localNoonMs());
        TimelineModel model(clock);
        QAbstractItemModelTester tester(&model, Tester);
        const qint64 t = localNoonMs();
        auto local = localAction(u"local-1"_s, t, u"Canary set to 30 %"_s, u"FAILED"_s);
        local.source.clear(); // still says who did it
        model.setEntries({ local, problemEntry(u"open"_s, t - 1000),
            problemEntry(u"closed"_s, t - 2000, u"CLOSED"_s), eventEntry(u"plain"_s, t - 3000) });

        const auto at
            = [&model](const QString &id, int column) { return model.index(model.rowOf(id), column); };
        QCOMPARE(at(u"local-1"_s, TimelineModel::SourceColumn).data().toString(), u"you (Canary Console)"_s);
        QVERIFY(at(u"local-1"_s, TimelineModel::TitleColumn).data(Qt::FontRole).value<QFont>().italic());
        QVERIFY(at(u"local-1"_s, TimelineModel::TitleColumn).data(Qt::BackgroundRole).isValid());
        QVERIFY(at(u"local-1"_s, TimelineModel::StatusColumn).data(Qt::ForegroundRole).isValid()); // FAILED

        QVERIFY(at(u"open"_s, TimelineModel::TitleColumn).data(Qt::FontRole).value<QFont>().bold());
        QCOMPARE(at(u"open"_s, TimelineModel::TitleColumn).data(Qt::ForegroundRole).value<QColor>(),
            QColor(0xb02a37));
        QVERIFY(at(u"open"_s, 0).data(TimelineModel::IsOpenProblemRole).toBool());

        for (const auto &id : { u"closed"_s, u"plain"_s }) {
            QVERIFY(!at(id, TimelineModel::TitleColumn).data(Qt::FontRole).isValid());
            QVERIFY(!at(id, TimelineModel::TitleColumn).data(Qt::ForegroundRole).isValid());
            QVERIFY(!at(id, TimelineModel::TitleColumn).data(Qt::BackgroundRole).isValid());
        }
    }

    void kindOf_sortsEntriesForIconsAndFilters()
    {
        using Kind = TimelineModel::Kind;
        const qint64 t = localNoonMs();
        QCOMPARE(TimelineModel::kindOf(configurationChange(u"a"_s, t, u"x"_s)), Kind::ConfigurationChange);
        QCOMPARE(TimelineModel::kindOf(eventEntry(u"a"_s, t, u"CUSTOM_DEPLOYMENT"_s)), Kind::Deployment);
        QCOMPARE(TimelineModel::kindOf(eventEntry(u"a"_s, t, u"ERROR_EVENT"_s)), Kind::Problem);
        QCOMPARE(TimelineModel::kindOf(problemEntry(u"a"_s, t)), Kind::Problem);
        QCOMPARE(TimelineModel::kindOf(eventEntry(u"a"_s, t, u"CUSTOM_ANNOTATION"_s)), Kind::Other);
        QCOMPARE(TimelineModel::kindOf(localAction(u"a"_s, t, u"x"_s)), Kind::LocalAction);
        // A local action that happens to be named like a Dynatrace type is still local.
        auto local = localAction(u"b"_s, t, u"x"_s);
        local.type = u"CUSTOM_CONFIGURATION"_s;
        QCOMPARE(TimelineModel::kindOf(local), Kind::LocalAction);
    }

    void proxy_filtersByKind_keepsNewestFirst()
    {
        VirtualClock clock(localNoonMs());
        TimelineModel model(clock);
        TimelineFilterProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester modelTester(&model, Tester);
        QAbstractItemModelTester proxyTester(&proxy, Tester);
        const qint64 t = localNoonMs();

        model.setEntries({ configurationChange(u"c1"_s, t - 4000, u"Canary weight set to 30"_s),
            eventEntry(u"d1"_s, t - 3000, u"CUSTOM_DEPLOYMENT"_s), problemEntry(u"p1"_s, t - 2000),
            eventEntry(u"i1"_s, t - 1000), localAction(u"local-1"_s, t, u"Canary set to 30 %"_s),
            configurationChange(u"c2"_s, t + 1000, u"Canary weight set to 70"_s) });
        QCOMPARE(ids(proxy), (QStringList { u"c2"_s, u"local-1"_s, u"i1"_s, u"p1"_s, u"d1"_s, u"c1"_s }));
        QVERIFY(!proxy.isFiltering());

        QSignalSpy changed(&proxy, &TimelineFilterProxy::filtersChanged);
        proxy.setKinds(TimelineModel::Kind::ConfigurationChange | TimelineModel::Kind::Problem);
        QCOMPARE(ids(proxy), (QStringList { u"c2"_s, u"p1"_s, u"c1"_s }));
        QCOMPARE(changed.count(), 1);
        proxy.setKinds(TimelineModel::Kind::LocalAction);
        QCOMPARE(ids(proxy), QStringList { u"local-1"_s });
        proxy.setKinds(TimelineModel::allKinds() & ~TimelineModel::Kinds(TimelineModel::Kind::LocalAction));
        QCOMPARE(ids(proxy), (QStringList { u"c2"_s, u"i1"_s, u"p1"_s, u"d1"_s, u"c1"_s }));

        // New rows arriving while filtered land in order, and only when they pass.
        auto entries = model.entries();
        entries.push_back(localAction(u"local-2"_s, t + 2000, u"Ramp started"_s));
        entries.push_back(configurationChange(u"c3"_s, t + 3000, u"Canary weight set to 100"_s));
        model.setEntries(entries);
        QCOMPARE(ids(proxy).first(), u"c3"_s);
        QVERIFY(!ids(proxy).contains(u"local-2"_s));

        proxy.clearFilters();
        QCOMPARE(proxy.rowCount(), model.rowCount());
        QVERIFY(!proxy.isFiltering());
    }

    void proxy_searchesTitleTypeSourceAndEveryPropertyValue_caseInsensitive()
    {
        VirtualClock clock(localNoonMs());
        TimelineModel model(clock);
        TimelineFilterProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester modelTester(&model, Tester);
        QAbstractItemModelTester proxyTester(&proxy, Tester);
        const qint64 t = localNoonMs();

        auto gitlab = configurationChange(u"g"_s, t - 3000, u"Canary weight set to 70"_s,
            u"https://gitlab.example/api/v4/projects/7/trigger/pipeline"_s, u"gitlab"_s);
        gitlab.source = u"GitLab CI"_s;
        model.setEntries({ configurationChange(u"c"_s, t - 4000, u"Canary weight set to 30"_s), gitlab,
            eventEntry(u"i"_s, t - 2000, u"CUSTOM_ANNOTATION"_s, u"Load test"_s,
                { { u"annotationDescription"_s, u"Nightly SOAK run"_s } }),
            localAction(u"local-1"_s, t, u"Canary set to 30 %"_s) });

        const auto search = [&proxy](const QString &text) {
            proxy.setSearchText(text);
            return ids(proxy);
        };
        QCOMPARE(search(u"weight SET"_s), (QStringList { u"g"_s, u"c"_s })); // title
        QCOMPARE(search(u"annotation"_s), QStringList { u"i"_s }); // type
        QCOMPARE(search(u"gitlab ci"_s), QStringList { u"g"_s }); // source
        QCOMPARE(search(u"soak"_s), QStringList { u"i"_s }); // a property value
        QCOMPARE(search(u"trigger/pipeline"_s), QStringList { u"g"_s }); // the backout plan's URL
        QCOMPARE(search(u"canary console"_s), QStringList { u"local-1"_s });
        QCOMPARE(search(u"  "_s), (QStringList { u"local-1"_s, u"i"_s, u"g"_s, u"c"_s })); // blank: no search
        QCOMPARE(search(u"nothing like this"_s), QStringList {});

        // Kind and text combine.
        proxy.setKinds(TimelineModel::Kind::LocalAction);
        QCOMPARE(search(u"canary"_s), QStringList { u"local-1"_s });

        // A row that starts to match (its data changed) shows up without touching the filter.
        proxy.setKinds(TimelineModel::allKinds());
        QCOMPARE(search(u"rolled back"_s), QStringList {});
        auto entries = model.entries();
        entries.back().title = u"Canary weight set to 30, rolled back"_s; // the oldest: "c"
        model.setEntries(entries);
        QCOMPARE(ids(proxy), QStringList { u"c"_s });
    }

    void tenThousandEntries_withTheViewOpen_areOneInsert()
    {
        VirtualClock clock(localNoonMs());
        TimelineModel model(clock);
        TimelineFilterProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester modelTester(&model, Tester);
        QAbstractItemModelTester proxyTester(&proxy, Tester);
        QTreeView view;
        view.setUniformRowHeights(true);
        view.setModel(&proxy);
        view.resize(800, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

        // The first load is one insert, not 10,000.
        auto entries = minuteEvents(TimelineModel::DefaultCapacity, localNoonMs());
        model.setEntries(entries);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(proxy.rowCount(), 10'000);

        // A refresh with one more event at the bound: one eviction and one insert; nothing else is touched.
        entries.push_back(eventEntry(u"newest"_s, localNoonMs() + 60'000));
        model.setEntries(entries);
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(removed.count(), 1);
        QCOMPARE(changed.count(), 0);
        QCOMPARE(proxy.index(0, 0).data(TimelineModel::IdRole).toString(), u"newest"_s);
        QCOMPARE(proxy.index(9'999, 0).data(TimelineModel::IdRole).toString(), u"e1"_s);
    }
};

QTEST_MAIN(TestTimelineModel)
#include "tst_timelinemodel.moc"
