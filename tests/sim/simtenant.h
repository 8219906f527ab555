#pragma once

#include <memory>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>

#include "net/urlbuilder.h"
#include "sim/simulatedenvironment.h"
#include "util/clock.h"

namespace canary::testing {

// One HTTP answer of the simulated tenant, read as the tests need it.
struct TenantAnswer
{
    int status = 0;
    QByteArray body;

    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QJsonObject envelope() const { return json().value(QStringLiteral("error")).toObject(); }
    QJsonObject violation() const
    {
        return envelope().value(QStringLiteral("constraintViolations")).toArray().at(0).toObject();
    }
    QJsonArray list(const QString &key) const { return json().value(key).toArray(); }
};

// A started simulator on a virtual clock, spoken to with plain HTTP (no client code under test in between),
// for the route tests of the events and problems APIs.
struct SimTenant
{
    // 2026-11-26 10:00:00 UTC, a whole hour.
    static constexpr qint64 StartMs = 1'795'687'200'000;

    explicit SimTenant(sim::WorldConfig world = {}, int eventPageSize = 0, int problemPageSize = 0,
        bool workshopCalculatedMetrics = true)
        : clock(StartMs)
    {
        sim::SimulatedEnvironment::Options options;
        options.workshopCalculatedMetrics = workshopCalculatedMetrics;
        options.clock = &clock;
        options.seed = 3;
        options.world = std::move(world);
        options.defaultEventPageSize = eventPageSize;
        options.defaultProblemPageSize = problemPageSize;
        environment = std::make_unique<sim::SimulatedEnvironment>(options);
        QString error;
        if (!environment->start(&error))
            qFatal("cannot start the simulator: %s", qPrintable(error));
    }

    qint64 now() const { return clock.nowMs(); }
    sim::World &world() { return environment->world(); }

    // Query items are encoded as RestClient encodes them ('+' as %2B); `token` empty: no Authorization.
    TenantAnswer get(
        const QString &path, const net::QueryItems &query = {}, const QString &token = QStringLiteral("*"))
    {
        return send("GET", path, query, {}, token);
    }
    TenantAnswer post(const QString &path, const QByteArray &body, const QString &token = QStringLiteral("*"))
    {
        return send("POST", path, {}, body, token);
    }

    TenantAnswer send(const QByteArray &verb, const QString &path, const net::QueryItems &query,
        const QByteArray &body, const QString &token)
    {
        QNetworkRequest request(net::buildUrl(environment->baseUrl(), path, query));
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        const QString sent = token == QStringLiteral("*") ? environment->token() : token;
        if (!sent.isEmpty())
            request.setRawHeader("Authorization", "Api-Token " + sent.toUtf8());
        QNetworkReply *reply = nam.sendCustomRequest(request, verb, body);
        QSignalSpy finished(reply, &QNetworkReply::finished);
        TenantAnswer answer;
        if (reply->isFinished() || finished.wait(10'000)) {
            answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            answer.body = reply->readAll();
        }
        reply->deleteLater();
        return answer;
    }

    VirtualClock clock;
    std::unique_ptr<sim::SimulatedEnvironment> environment;
    QNetworkAccessManager nam;
};

} // namespace canary::testing
