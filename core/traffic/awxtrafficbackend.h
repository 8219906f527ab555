#pragma once

#include <memory>
#include <optional>

#include <QUrl>

#include "awx/awxclient.h"
#include "awx/awxconfig.h"
#include "awx/jobtemplate.h"
#include "net/restclient.h"
#include "trafficbackend.h"

namespace canary {
class Clock;
}

namespace canary::traffic {

// The split lives in an AWX / Automation Controller job template that takes the weights as extra variables
// (AwxConfig::canaryVariable and oldVariable). applySplit() launches it and reports success only when the job
// ended `successful`; readSplit() reads what the template's last successful job recorded (its set_stats
// artifacts, else its extra_vars). Jobs of other templates (a separate reset template) are not seen.
//
// Destroying the back-end abandons what is under way without calling back; an AWX job already launched
// keeps running.
class AwxTrafficBackend final : public TrafficBackend
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AwxTrafficBackend)

public:
    // `clock` measures the job timeout, so tests can run a ten-minute job in a moment.
    explicit AwxTrafficBackend(awx::AwxConfig config, QObject *parent = nullptr);
    AwxTrafficBackend(awx::AwxConfig config, Clock &clock, QObject *parent = nullptr);
    // Over `shared`, a client of the configured AWX with its credentials that others use too (not owned;
    // must outlive the back-end): environment::Environment hands the rollback and the back-end one client
    // when they run on the same AWX.
    AwxTrafficBackend(
        awx::AwxConfig config, net::RestClient *shared, Clock &clock, QObject *parent = nullptr);
    ~AwxTrafficBackend() override;

    // "AWX template 'Set canary weight' (#7) on awx.example.com"; before the template was looked up, only
    // what was configured.
    QString description() const override;
    QString targetId() const override;

    void readSplit(const QObject *context, SplitCallback onDone) override;
    void applySplit(const Split &split, const QObject *context, SplitCallback onDone) override;

    // Holds secrets: never log it.
    const awx::AwxConfig &config() const { return m_config; }
    // The template once a call looked it up (cached until AWX says it is gone).
    std::optional<awx::JobTemplate> resolvedTemplate() const { return m_template; }
    awx::AwxClient &client() { return m_client; }

Q_SIGNALS:
    // A job was launched; `jobUrl` is its absolute API URL, for the operator to follow.
    void jobLaunched(int jobId, const QUrl &jobUrl);
    // Every status the job was seen in, "pending" first.
    void jobStatusChanged(int jobId, const QString &status);

private:
    class Operation;

    QUrl absoluteJobUrl(int jobId, const QString &serverRelativeUrl) const;

    awx::AwxConfig m_config;
    Clock &m_clock;
    std::unique_ptr<net::RestClient> m_ownRest; // when no client is shared
    awx::AwxClient m_client;
    std::optional<awx::JobTemplate> m_template;
};

} // namespace canary::traffic
