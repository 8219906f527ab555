#include <QAbstractItemModelTester>
#include <QIcon>
#include <QSignalSpy>
#include <QTest>

#include "models/buildsummarymodel.h"

using namespace Qt::Literals::StringLiterals;
using canary::session::BuildSeries;
using canary::ui::BuildSummaryModel;

namespace {

BuildSummaryModel::Row row(
    const QString &build, std::vector<std::optional<double>> values, QColor color, bool remainder = false)
{
    BuildSeries series;
    series.build = build;
    series.isRemainder = remainder;
    for (std::size_t i = 0; i < values.size(); ++i)
        series.timestamps.push_back(qint64(i + 1) * 10'000);
    series.values = std::move(values);
    return { series, color, series.latestComplete(1'000'000) };
}

} // namespace

class TestBuildSummaryModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rows_showTotalsSharesAndLatest()
    {
        BuildSummaryModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);

        model.setRows({ row(u"1.0.0-034c71"_s, { 10, 20, std::nullopt }, Qt::blue),
            row(u"4.0.0-034c71"_s, { std::nullopt, 5, 5 }, Qt::yellow) });

        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(BuildSummaryModel::ColumnCount));
        QCOMPARE(model.index(0, 0).data(BuildSummaryModel::BuildRole).toString(), u"1.0.0-034c71"_s);
        QCOMPARE(model.index(0, 0).data(BuildSummaryModel::TotalRole).toDouble(), 30.0);
        QCOMPARE(model.index(1, 0).data(BuildSummaryModel::TotalRole).toDouble(), 10.0);
        QCOMPARE(model.index(0, 0).data(BuildSummaryModel::SharePercentRole).toDouble(), 75.0);
        QCOMPARE(model.index(1, 0).data(BuildSummaryModel::SharePercentRole).toDouble(), 25.0);
        // The build's colour as a swatch, the very same icon on every call: a new one per repaint would pile
        // up in QPixmapCache (tests/bench/bench_day.cpp found that).
        const auto swatch = model.index(0, 0).data(Qt::DecorationRole).value<QIcon>();
        QCOMPARE(swatch.pixmap(16, 16).toImage().pixelColor(8, 8), QColor(Qt::blue));
        QCOMPARE(model.index(0, 0).data(Qt::DecorationRole).value<QIcon>().cacheKey(), swatch.cacheKey());
        QVERIFY(model.index(1, 0).data(Qt::DecorationRole).value<QIcon>().cacheKey() != swatch.cacheKey());
        // The newest slot of the first build is a gap: it gets no requests now, whatever it had before.
        QCOMPARE(model.index(0, BuildSummaryModel::LatestColumn).data().toString(), u"–"_s);
        QCOMPARE(model.index(1, BuildSummaryModel::LatestColumn).data().toString(),
            QLocale().toString(5.0, 'f', 0));
        QVERIFY(model.index(1, BuildSummaryModel::ShareColumn).data().toString().contains(u"25"_s));
    }

    void sameBuilds_updateInPlace_newBuilds_reset()
    {
        BuildSummaryModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setRows({ row(u"a"_s, { 1 }, Qt::blue), row(u"b"_s, { 1 }, Qt::red) });

        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setRows({ row(u"a"_s, { 2 }, Qt::blue), row(u"b"_s, { 3 }, Qt::red) });
        QCOMPARE(reset.count(), 0);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(model.index(1, 0).data(BuildSummaryModel::TotalRole).toDouble(), 3.0);

        model.setRows({ row(u"a"_s, { 2 }, Qt::blue), row(u"c"_s, { 3 }, Qt::green),
            row(u"other"_s, { 1 }, Qt::gray, true) });
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 3);
        QVERIFY(model.index(2, 0).data(BuildSummaryModel::IsRemainderRole).toBool());
        QVERIFY(!model.index(2, 0).data(Qt::ToolTipRole).toString().isEmpty());

        model.setRows({});
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.rowFor(u"a"_s), nullptr);
    }

    void noTraffic_sharesAreZeroNotNaN()
    {
        BuildSummaryModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setRows({ row(u"a"_s, { std::nullopt, std::nullopt }, Qt::blue) });
        QCOMPARE(model.index(0, 0).data(BuildSummaryModel::SharePercentRole).toDouble(), 0.0);
        QCOMPARE(model.index(0, BuildSummaryModel::LatestColumn).data().toString(), u"–"_s);
    }
};

QTEST_MAIN(TestBuildSummaryModel)
#include "tst_buildsummarymodel.moc"
