#pragma once

#include <QObject>

namespace canary::sim {

// The events the simulated tenant has been sent (POST /api/v2/events/ingest), kept for the timeline.
class EventStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventStore)

public:
    explicit EventStore(QObject *parent = nullptr);
    ~EventStore() override;
};

} // namespace canary::sim
