#pragma once

#include <QTimer>

#include "awx/awxconfig.h"
#include "net/restclient.h"
#include "sim/awxapi.h"
#include "simfixture.h"

namespace canary::testing {

// The simulator with its AWX API, on a virtual clock, jobs at AWX-like pace (1 s pending, 3 s running, ramp
// steps of 10 s), plus a clock that can be set running: every turn of the event loop moves it `stepMs`, so
// a test waits for a job without sleeping and without a job taking real seconds.
struct AwxSimFixture : SimFixture
{
    explicit AwxSimFixture(int canaryWeight = 0)
        : SimFixture(canaryWeight, 1)
    {
        awx().setPendingMs(1000);
        awx().setRunMs(3000);
        awx().setRampStepMs(10'000);
        pump.setInterval(1);
        QObject::connect(&pump, &QTimer::timeout, &pump, [this] { clock.advanceMs(stepMs); });
    }

    sim::AwxApi &awx() { return environment->awx(); }
    QString token() const { return environment->token(); }

    void startClock(qint64 step = 250)
    {
        stepMs = step;
        pump.start();
    }
    void stopClock() { pump.stop(); }

    // Bearer auth with the environment's full-access token, polling every 5 ms of real time.
    awx::AwxConfig config(
        const QString &templateRef, const QString &apiPath = QStringLiteral("/api/v2/")) const
    {
        awx::AwxConfig config;
        config.url = environment->baseUrl();
        config.apiPath = apiPath;
        config.token = token();
        config.templateRef = templateRef;
        config.pollIntervalMs = 5;
        config.jobTimeoutMs = 120'000;
        config.requestTimeoutMs = 5000;
        return config;
    }

    // A RestClient for AwxClient tests, authenticated like `config`.
    std::unique_ptr<net::RestClient> restClient(const QByteArray &authorization) const
    {
        auto rest = std::make_unique<net::RestClient>(environment->baseUrl());
        rest->setAuthorization(authorization);
        rest->setTimeoutMs(5000);
        return rest;
    }

    QTimer pump;
    qint64 stepMs = 250;
};

} // namespace canary::testing
