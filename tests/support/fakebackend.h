#pragma once

#include <QList>
#include <QPointer>

#include "traffic/trafficbackend.h"

namespace canary::testing {

// A traffic back-end whose calls the test completes by hand: succeed(), fail(), in any order.
class FakeBackend final : public traffic::TrafficBackend
{
public:
    struct Call
    {
        std::optional<traffic::Split> split; // nullopt: a read
        QPointer<const QObject> context;
        traffic::SplitCallback done;
    };

    using TrafficBackend::TrafficBackend;

    QString description() const override { return QStringLiteral("fake router"); }
    void readSplit(const QObject *context, traffic::SplitCallback onDone) override
    {
        pending.append({ std::nullopt, context, std::move(onDone) });
    }
    void applySplit(
        const traffic::Split &split, const QObject *context, traffic::SplitCallback onDone) override
    {
        applied.append(split);
        pending.append({ split, context, std::move(onDone) });
    }

    // Completes the oldest pending call with the split it asked for (or `current` for a read).
    void succeed()
    {
        Call call = pending.takeFirst();
        if (call.split)
            current = *call.split;
        if (call.context)
            call.done(current);
    }
    void fail(traffic::TrafficError::Kind kind = traffic::TrafficError::Kind::Forbidden,
        const QString &message = QStringLiteral("You do not have permission to perform this action."))
    {
        Call call = pending.takeFirst();
        if (call.context)
            call.done(traffic::TrafficError { kind, 403, QStringLiteral("fake"), message, {} });
    }

    // What the next answered read says about who made the change behind it, as a real back-end would.
    void reportOrigin(std::optional<traffic::ChangeOrigin> origin) { setLastReadOrigin(std::move(origin)); }
    void offerBackout(std::optional<traffic::BackoutAction> backout) { setOwnBackout(std::move(backout)); }

    QList<traffic::Split> applied; // every applySplit() ever made, in order
    QList<Call> pending;
    traffic::Split current;
};

// The back-end holds `canary` %, and `controller` reads it: a read the controller asked for, answered.
template<typename Controller>
void readSplitAt(FakeBackend &backend, Controller &controller, int canary)
{
    backend.current = *traffic::Split::fromCanaryPercent(canary);
    controller.refresh();
    backend.succeed();
}

} // namespace canary::testing
