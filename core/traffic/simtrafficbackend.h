#pragma once

#include <QPointer>

#include "net/restclient.h"
#include "trafficbackend.h"

namespace canary::traffic {

// The simulator's router, through its control endpoint (/api/sim/v1/split): the demo's back-end. Same
// HTTP path and token as the simulated tenant, so the demo exercises the real request machinery.
class SimTrafficBackend final : public TrafficBackend
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SimTrafficBackend)

public:
    SimTrafficBackend(const QUrl &simulatorUrl, const QString &token,
        int timeoutMs = net::RestClient::DefaultTimeoutMs, QObject *parent = nullptr);

    QString description() const override;
    void readSplit(const QObject *context, SplitCallback onDone) override;
    void applySplit(const Split &split, const QObject *context, SplitCallback onDone) override;

private:
    void deliver(
        net::RestCall *call, const QObject *context, SplitCallback onDone, std::optional<Split> expected);

    net::RestClient *m_rest;
};

} // namespace canary::traffic
