#include <memory>

#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "fakebackend.h"
#include "store/database.h"
#include "store/lease.h"
#include "traffic/changegate.h"
#include "traffic/ramp.h"
#include "traffic/trafficcontroller.h"
#include "traffic/trafficpanel.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::testing::FakeBackend;
using traffic::Split;

namespace {

// The panel over a controller that, like the window's, takes the target's lease in a shared store and
// writes each change's record before it is sent.
struct PanelFixture
{
    PanelFixture()
        : database(std::move(store::Database::open(dir.filePath(u"canary.db"_s))).value())
        , controller(&backend, nullptr)
        , ramp(&controller, clock)
        , gate(&controller)
        , panel(&gate, &ramp, clock)
    {
        controller.setLease(
            [this] {
                return std::make_unique<store::Lease>(
                    *database, clock, store::Lease::trafficName(backend.targetId()));
            },
            60'000);
        controller.setJournal(
            [this](const std::optional<Split> &, const Split &, const QString &) -> Expected<void, QString> {
                if (!journalError.isEmpty())
                    return journalError;
                return {};
            });
        gate.attachRamp(&ramp);
        panel.resize(900, 200);
        panel.show();
        error = panel.findChild<QLabel *>(u"trafficErrorLabel"_s);
        applying = panel.findChild<QLabel *>(u"applyingLabel"_s);
        testing::readSplitAt(backend, controller, 10);
    }

    void click(int percent)
    {
        QTest::mouseClick(panel.findChild<QPushButton *>(u"quickStep%1"_s.arg(percent)), Qt::LeftButton);
    }

    QTemporaryDir dir;
    std::unique_ptr<store::Database> database;
    FakeBackend backend;
    VirtualClock clock { 1'000'000 };
    traffic::TrafficController controller;
    traffic::Ramp ramp;
    traffic::ChangeGate gate;
    ui::TrafficPanel panel;
    QString journalError;
    QLabel *error = nullptr;
    QLabel *applying = nullptr;
};

} // namespace

class TestTrafficPanelLease : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Another process holds the target: the panel says whom the change waits for, and applies it once the
    // holder is done, from the split read then.
    void heldTarget_showsWhomItWaitsFor()
    {
        PanelFixture f;
        auto other = std::move(store::Database::open(f.dir.filePath(u"canary.db"_s))).value();
        store::Lease held(*other, f.clock, store::Lease::trafficName(f.backend.targetId()));
        held.setUser(u"alice"_s);
        held.setCommand(u"canaryctl split set 20"_s);
        QVERIFY(held.tryAcquire());

        QSignalSpy waiting(&f.controller, &traffic::TrafficController::applyWaiting);
        f.click(25);
        QCOMPARE(waiting.size(), 1);
        QVERIFY(f.applying->isVisible());
        QVERIFY2(f.applying->text().contains(u"Waiting for canaryctl split set 20"_s)
                && f.applying->text().contains(u"alice"_s),
            qPrintable(f.applying->text()));
        QVERIFY(f.backend.pending.isEmpty()); // nothing read or sent while held

        f.backend.current = *Split::fromCanaryPercent(20); // what alice left
        held.release();
        QTRY_COMPARE(f.backend.pending.size(), 1); // the read under the lease
        QSignalSpy applied(&f.controller, &traffic::TrafficController::splitApplied);
        f.backend.succeed();
        QCOMPARE(f.backend.applied, QList<Split> { *Split::fromCanaryPercent(25) });
        f.backend.succeed();
        QCOMPARE(applied.size(), 1);
        QCOMPARE(applied.at(0).at(0).value<Split>(), *Split::fromCanaryPercent(20));
        QVERIFY(!f.error->isVisible());
    }

    // The change's record cannot be written: nothing is sent, and the panel says so.
    void unwritableRecord_nothingSent_panelSaysWhy()
    {
        PanelFixture f;
        f.journalError = u"database or disk is full"_s;
        f.click(25);
        QTRY_COMPARE(f.backend.pending.size(), 1); // the read under the lease
        f.backend.succeed();
        QVERIFY(f.backend.applied.isEmpty());
        QVERIFY(f.error->isVisible());
        QVERIFY2(f.error->text().contains(
                     u"nothing was changed: the audit log could not be written: database or disk is full"_s),
            qPrintable(f.error->text()));
        QVERIFY(!f.controller.isBusy());
    }
};

QTEST_MAIN(TestTrafficPanelLease)
#include "tst_trafficpanellease.moc"
