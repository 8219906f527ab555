#include <QSignalSpy>
#include <QTest>
#include <QWidget>

#include "dynatrace/eventsclient.h"
#include "net/restclient.h"
#include "sim/eventstore.h"
#include "simfixture.h"
#include "store/database.h"
#include "store/outbox.h"
#include "store/outboxsender.h"
#include "store/outboxstatus.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::store::Database;
using canary::store::Outbox;
using canary::store::OutboxSender;
using canary::testing::SimFixture;

namespace {

dynatrace::EventIngest infoEvent(const QString &title)
{
    dynatrace::EventIngest ingest;
    ingest.eventType = u"CUSTOM_INFO"_s;
    ingest.title = title;
    return ingest;
}

} // namespace

class TestOutboxStatus : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsWhatIsWaiting_andWhy_hiddenWhenNothingIs()
    {
        SimFixture fixture(0, 1);
        auto database = std::move(Database::open(QString::fromLatin1(Database::InMemory))).value();
        Outbox outbox(*database, fixture.clock);
        // Dynatrace is unreachable for now: nothing listens on port 1.
        net::RestClient rest(QUrl(u"http://127.0.0.1:1"_s));
        rest.setAuthorization("Api-Token " + fixture.environment->token().toUtf8());
        dynatrace::EventsClient events(&rest);
        const QString tenant = Outbox::tenantOf(fixture.environment->baseUrl());
        OutboxSender sender(&outbox, &events, tenant, fixture.clock);

        QWidget window; // shown as in the main window: the label's own visibility decides
        auto &status = *new ui::OutboxStatus(&window);
        status.setSender(&sender);
        window.show();
        QVERIFY(status.isHidden());

        QSignalSpy failed(&sender, &OutboxSender::deliveryFailed);
        QVERIFY(outbox.enqueue(tenant, infoEvent(u"one"_s)));
        QVERIFY(outbox.enqueue(tenant, infoEvent(u"two"_s)));
        QTRY_COMPARE(failed.count(), 1);
        QVERIFY(status.isVisible());
        QCOMPARE(status.text(), u"2 events waiting to reach Dynatrace"_s);
        QVERIFY2(status.toolTip().contains(u"127.0.0.1:1"_s), qPrintable(status.toolTip()));

        // Dynatrace is back: everything goes out and the label disappears.
        net::RestClient reachable(fixture.environment->baseUrl());
        reachable.setAuthorization("Api-Token " + fixture.environment->token().toUtf8());
        dynatrace::EventsClient working(&reachable);
        OutboxSender recovered(&outbox, &working, tenant, fixture.clock);
        status.setSender(&recovered);
        QCOMPARE(status.text(), u"2 events waiting to reach Dynatrace"_s);
        QStringList shown; // what the label said after each change of the count
        connect(&recovered, &OutboxSender::pendingChanged, this,
            [&] { shown.append(status.isVisible() ? status.text() : u"(hidden)"_s); });
        QSignalSpy drained(&recovered, &OutboxSender::drained);
        recovered.flush();
        QTRY_COMPARE(drained.count(), 1);
        QCOMPARE(shown, (QStringList { u"1 event waiting to reach Dynatrace"_s, u"(hidden)"_s }));
        QVERIFY(status.isHidden());
        QCOMPARE(fixture.environment->events().size(), 2);
    }
};

QTEST_MAIN(TestOutboxStatus)
#include "tst_outboxstatus.moc"
